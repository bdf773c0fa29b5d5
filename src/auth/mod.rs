//! HTTP Basic authentication (RFC 7617) for `--auth-file` and `--auth`:
//! the pure part, no I/O. `users` parses the htpasswd-style users file
//! (and writes the line for `--auth USER:PASSWORD`), `crypt` checks the
//! stored password hashes and verifies a password against one, `guard` is
//! a worker's per-request gate (a cache of verified credentials and a
//! limiter of failures per client). The server reads the file, gets the
//! random bytes and the clock, and turns a `Verdict` into 401, 429 or the
//! response; the cryptography is RustCrypto's (see `crypt`).

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
