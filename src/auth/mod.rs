//! HTTP Basic authentication (RFC 7617) for `--auth-file` and `--auth`:
//! the pure part, no I/O. `users` parses the htpasswd-style users file
//! (and writes the line for `--auth USER:PASSWORD`), `crypt` checks the
//! stored password hashes and verifies a password against one, `guard` is
//! a worker's per-request gate (a cache of verified credentials and a
//! limiter of failures per client). The server reads the file, gets the
//! random bytes and the clock, and turns a `Verdict` into 401, 429 or the
//! response; the cryptography is RustCrypto's (see `crypt`).
//!
//! Size: the entry points (`Guard::check`, `parse`, `hash_line`,
//! `crypt::parse_hash`, `crypt::verify`) and the bcrypt halves are
//! `#[inline(never)]`. Each has one caller, so LLVM would inline them
//! into `main` or the connection loop, where (it seems) their locals join
//! a stack frame of kilobytes and every access to one takes a 4-byte
//! offset: kept apart, the plain build is 0.8 to 1.2 KiB smaller
//! (measured, rustc 1.95, opt-level "z").

pub mod crypt;
pub mod guard;
pub mod users;
#[cfg(test)]
mod vectors;

pub use crypt::{MAX_BCRYPT_COST, MAX_SHA_CRYPT_ROUNDS};
pub use guard::{
    FAILURE_WINDOW_SECS, Guard, MAX_CACHED_CREDENTIALS, MAX_CREDENTIALS_BYTES,
    MAX_FAILURES_PER_WINDOW, MAX_TRACKED_CLIENTS, Verdict,
};
pub use users::{Entry, MAX_AUTH_FILE_BYTES, MAX_USERS, Users, UsersError, hash_line, parse};

/// `text` split at the first `separator` (which neither part holds), or
/// `None` without one: the users file's lines and `user:hash`, a hash's
/// `salt$digest`, the credentials' `user:password`. One loop for all.
fn split_once(text: &[u8], separator: u8) -> Option<(&[u8], &[u8])> {
    for (i, &b) in text.iter().enumerate() {
        if b == separator {
            return Some((text.get(..i)?, text.get(i + 1..)?));
        }
    }
    None
}
