//! A worker's HTTP Basic gate (RFC 7617): `Guard::check` takes a
//! request's `Authorization` value and answers allowed (with the user),
//! denied (401) or limited (429). Fixed-size state, no heap:
//! - a cache of verified credentials, keyed by the SHA-256 of the
//!   credentials token, so a browser sending the same header with every
//!   request costs one password hash in all; every entry is compared in
//!   constant time, with no early exit;
//! - a failure table per client address: after `MAX_FAILURES_PER_WINDOW`
//!   failures within `FAILURE_WINDOW_SECS` the client is answered 429
//!   without any hashing until its window ends, so a flood of guesses
//!   cannot pin a core. Credentials already cached still pass (a browser
//!   behind the same NAT as a guesser keeps working).
//!
//! A guard is used with one `Users` for its whole life (the cache holds
//! indexes into it). Contract: no panic on any input.

use super::crypt;
use super::users::Users;
use crate::base64;
use crate::http::syntax;
use sha2::{Digest, Sha256};
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};
use zeroize::Zeroize;

/// Verified credentials a worker remembers: a handful of people (or
/// browsers) use a site protected this way; when more do, the oldest is
/// verified again.
pub const MAX_CACHED_CREDENTIALS: usize = 16;

/// Client addresses whose failures are counted; when all are in use, the
/// one whose window started first is forgotten.
pub const MAX_TRACKED_CLIENTS: usize = 256;

/// Failed attempts a client may make per window: enough for typos, few
/// enough that guessing is hopeless (10 a minute per address).
pub const MAX_FAILURES_PER_WINDOW: u32 = 10;

/// The length of a client's failure window, from its first failure.
pub const FAILURE_WINDOW_SECS: i64 = 60;

/// The longest decoded `user:password` taken; a longer token fails.
pub const MAX_CREDENTIALS_BYTES: usize = 512;

/// The longest password verified: SHA-crypt's work grows with the
/// password's length (a 500-byte one costs five times a short one), so a
/// longer one fails without a hash. Password managers make 20 to 64.
pub const MAX_PASSWORD_BYTES: usize = 128;

/// The answer to one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict<'u> {
    /// The credentials are right: serve the request (the user's name, for
    /// the log).
    Allowed(&'u [u8]),
    /// No or wrong credentials: answer 401 with `WWW-Authenticate`.
    Denied,
    /// Too many failures from this client: answer 429 with `Retry-After`.
    Limited { retry_after_secs: u32 },
}

/// One remembered credentials token.
#[derive(Clone, Copy)]
struct Cached {
    /// SHA-256 of the token.
    key: [u8; 32],
    /// The user's index in `Users`.
    user: u16,
    /// Whether the slot is in use.
    used: bool,
}

/// One client's failures in its current window.
#[derive(Clone, Copy)]
struct Client {
    address: [u8; 16],
    /// When the window ends: `FAILURE_WINDOW_SECS` after its first
    /// failure.
    until_secs: i64,
    /// Failures in the window; 0: the slot is free.
    failures: u32,
}

/// A worker's credentials cache and failure limiter. See the module docs.
pub struct Guard {
    cached: [Cached; MAX_CACHED_CREDENTIALS],
    /// The slot the next verified token replaces (round robin: the oldest).
    next_cached: usize,
    clients: [Client; MAX_TRACKED_CLIENTS],
    /// Password verifications done, for the tests of the cache.
    #[cfg(test)]
    pub verifications: u32,
}

impl Default for Guard {
    fn default() -> Self {
        Guard::new()
    }
}

impl Guard {
    /// Empty: nothing cached, no failures.
    pub const fn new() -> Guard {
        Guard {
            cached: [Cached {
                key: [0; 32],
                user: 0,
                used: false,
            }; MAX_CACHED_CREDENTIALS],
            next_cached: 0,
            clients: [Client {
                address: [0; 16],
                until_secs: 0,
                failures: 0,
            }; MAX_TRACKED_CLIENTS],
            #[cfg(test)]
            verifications: 0,
        }
    }

    /// Decides a request from `client` (16 bytes, IPv4 as IPv4-mapped
    /// IPv6) whose `Authorization` value is `authorization`, at `now_secs`
    /// (the server's clock, in seconds). No header, or another scheme than Basic, is
    /// denied without counting a failure (a browser asks first without
    /// credentials); a Basic token that does not verify counts one.
    #[inline(never)] // See the module docs of `auth`.
    pub fn check<'u>(
        &mut self,
        users: &Users<'u>,
        authorization: Option<&[u8]>,
        client: &[u8; 16],
        now_secs: i64,
    ) -> Verdict<'u> {
        let Some(token) = authorization.and_then(basic_token) else {
            return Verdict::Denied;
        };
        let mut hasher = Sha256::default();
        hasher.update(token);
        let key: [u8; 32] = hasher.finalize().into();
        let index = match self.cached(&key) {
            Some(index) => index,
            None => {
                if let Some(retry_after_secs) = self.limited(client, now_secs) {
                    return Verdict::Limited { retry_after_secs };
                }
                let Some(index) = self.verify(users, token) else {
                    self.fail(client, now_secs);
                    return Verdict::Denied;
                };
                if let Some(slot) = self.cached.get_mut(self.next_cached) {
                    *slot = Cached {
                        key,
                        user: index,
                        used: true,
                    };
                }
                self.next_cached = (self.next_cached + 1) % MAX_CACHED_CREDENTIALS;
                index
            }
        };
        match users.entries().get(usize::from(index)) {
            Some(entry) => Verdict::Allowed(entry.user),
            None => Verdict::Denied,
        }
    }

    /// The user index cached for `key`: every slot is compared, in
    /// constant time.
    fn cached(&self, key: &[u8; 32]) -> Option<u16> {
        let mut found = Choice::from(0);
        let mut user = 0u16;
        for slot in &self.cached {
            let hit = slot.key.ct_eq(key) & Choice::from(u8::from(slot.used));
            user.conditional_assign(&slot.user, hit);
            found |= hit;
        }
        bool::from(found).then_some(user)
    }

    /// Decodes `token` and verifies its password; the user's index when
    /// right. An unknown user costs a verification all the same (against
    /// the first user's hash), so timing does not tell which users exist.
    fn verify(&mut self, users: &Users<'_>, token: &[u8]) -> Option<u16> {
        #[cfg(test)]
        {
            self.verifications += 1;
        }
        let mut decoded = [0u8; MAX_CREDENTIALS_BYTES];
        let len = base64::decode(token, &mut decoded).unwrap_or(0);
        // RFC 7617 §2: the user-id ends at the first colon; the password
        // may hold more. Without a colon the user is empty, which no
        // entry is.
        let (user, password) =
            super::split_once(decoded.get(..len).unwrap_or_default(), b':').unwrap_or_default();
        let index = users.find(user);
        let right = password.len() <= MAX_PASSWORD_BYTES
            && users
                .entries()
                .get(index.unwrap_or(0))
                .is_some_and(|e| crypt::verify(&e.hash, password));
        decoded.zeroize();
        let index = u16::try_from(index?).ok()?;
        right.then_some(index)
    }

    /// The seconds until `client` may try again, when its window is full.
    fn limited(&self, client: &[u8; 16], now_secs: i64) -> Option<u32> {
        for c in &self.clients {
            let left = window_left(c, now_secs);
            if left > 0 && c.failures >= MAX_FAILURES_PER_WINDOW && c.address == *client {
                return Some(left);
            }
        }
        None
    }

    /// Counts a failure for `client`: in its window when one is open,
    /// else in a new window in the first slot whose window is over, or
    /// else the one whose window ends first.
    fn fail(&mut self, client: &[u8; 16], now_secs: i64) {
        let mut slot = 0;
        let mut soonest = i64::MAX;
        for (i, c) in self.clients.iter_mut().enumerate() {
            let open = window_left(c, now_secs) > 0;
            if open && c.address == *client {
                c.failures = c.failures.saturating_add(1);
                return;
            }
            // A window that is over ends before any open one.
            let end = if open { c.until_secs } else { i64::MIN };
            if end < soonest {
                soonest = end;
                slot = i;
            }
        }
        if let Some(c) = self.clients.get_mut(slot) {
            *c = Client {
                address: *client,
                until_secs: now_secs.saturating_add(FAILURE_WINDOW_SECS),
                failures: 1,
            };
        }
    }
}

/// The seconds left in `client`'s window at `now_secs`: 1 to
/// `FAILURE_WINDOW_SECS`, else 0, the window over (a clock that went
/// back before its start ends it too). A free slot's window ended at 0.
fn window_left(client: &Client, now_secs: i64) -> u32 {
    let left = client.until_secs.wrapping_sub(now_secs);
    if (1..=FAILURE_WINDOW_SECS).contains(&left) {
        left as u32
    } else {
        0
    }
}

/// The token68 of a `Basic` credentials value (RFC 9110 §11.4:
/// `auth-scheme 1*SP token68`, the scheme case-insensitive, §11.1), or
/// `None` for another scheme. The token itself is checked when decoded.
fn basic_token(value: &[u8]) -> Option<&[u8]> {
    let value = syntax::trim_ows(value);
    let (scheme, rest) = value.split_at_checked(5)?;
    if !syntax::eq_ignore_case(scheme, b"Basic") {
        return None;
    }
    match rest {
        [] | [b' ', ..] => Some(syntax::skip_ows(rest)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::users::{hash_line, parse};
    use crate::buf::Buf;
    use ::base64::Engine;
    use ::base64::engine::general_purpose::STANDARD;

    /// A users file: `(user, password)` lines made by `hash_line`.
    fn file(accounts: &[(&str, &str)]) -> Vec<u8> {
        let mut text = Vec::new();
        for (i, (user, password)) in accounts.iter().enumerate() {
            let mut mem = [0u8; 256];
            let mut line = Buf::new(&mut mem);
            hash_line(
                user.as_bytes(),
                password.as_bytes(),
                &[i as u8; 16],
                &mut line,
            );
            text.extend_from_slice(line.as_bytes());
            text.push(b'\n');
        }
        text
    }

    fn basic(credentials: &str) -> Vec<u8> {
        format!("Basic {}", STANDARD.encode(credentials)).into_bytes()
    }

    const ACCOUNTS: &[(&str, &str)] = &[
        ("alice", "correct horse"),
        ("jürgen", "pässwörd"),
        ("empty", ""),
        ("colons", "a:b::c:"),
    ];
    const CLIENT: [u8; 16] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1];
    const OTHER: [u8; 16] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 2];

    #[test]
    fn right_credentials_pass_and_wrong_ones_do_not() {
        let text = file(ACCOUNTS);
        let users = parse(&text).unwrap();
        let mut guard = Guard::new();
        for &(user, password) in ACCOUNTS {
            let header = basic(&format!("{user}:{password}"));
            let got = guard.check(&users, Some(&header), &CLIENT, 0);
            assert_eq!(got, Verdict::Allowed(user.as_bytes()), "{user}");
        }
        let wrong = [
            "alice:correct horse ",
            "alice:Correct horse",
            "Alice:correct horse",
            "alice:",
            "mallory:correct horse",
            ":correct horse",
            "empty: ",
            "colons:a:b::c",
            "colons:a",
            "alice:correct horse\0",
        ];
        for credentials in wrong {
            let header = basic(credentials);
            let got = guard.check(&users, Some(&header), &OTHER, 0);
            assert_eq!(got, Verdict::Denied, "{credentials:?}");
        }
    }

    #[test]
    fn malformed_headers_are_denied() {
        let text = file(ACCOUNTS);
        let users = parse(&text).unwrap();
        let good = STANDARD.encode("alice:correct horse");
        let cases: &[(Vec<u8>, bool)] = &[
            // (header, counted as a failure)
            (b"Basic".to_vec(), true),
            (b"Basic ".to_vec(), true),
            (b"Basic !!!".to_vec(), true),
            (
                format!("Basic {}", STANDARD.encode("alice")).into_bytes(),
                true,
            ),
            (format!("Basic {good} x").into_bytes(), true),
            (format!("Basic {}", &good[1..]).into_bytes(), true),
            (
                format!("Basic {}", good.trim_end_matches('=')).into_bytes(),
                true,
            ),
            (format!("Basic {}", "QQ==".repeat(200)).into_bytes(), true),
            (b"Bearer x".to_vec(), false),
            (format!("Bearer {good}").into_bytes(), false),
            (format!("Basic\t{good}").into_bytes(), false),
            (format!("Basicx {good}").into_bytes(), false),
            (b"".to_vec(), false),
        ];
        for (header, counted) in cases {
            let mut guard = Guard::new();
            let got = guard.check(&users, Some(header), &CLIENT, 0);
            assert_eq!(
                got,
                Verdict::Denied,
                "{:?}",
                String::from_utf8_lossy(header)
            );
            let failures = guard.clients.iter().map(|c| c.failures).sum::<u32>();
            assert_eq!(
                failures,
                u32::from(*counted),
                "{:?}",
                String::from_utf8_lossy(header)
            );
        }
        // The scheme is case-insensitive; spaces around and after it pass.
        for header in [
            format!("basic {good}"),
            format!("BASIC {good}"),
            format!("Basic   {good}"),
            format!(" \tBasic {good} \t"),
        ] {
            let mut guard = Guard::new();
            let got = guard.check(&users, Some(header.as_bytes()), &CLIENT, 0);
            assert_eq!(got, Verdict::Allowed(b"alice"), "{header:?}");
        }
    }

    #[test]
    fn no_header_is_denied_and_never_counted() {
        let text = file(ACCOUNTS);
        let users = parse(&text).unwrap();
        let mut guard = Guard::new();
        for _ in 0..3 * MAX_FAILURES_PER_WINDOW {
            assert_eq!(guard.check(&users, None, &CLIENT, 0), Verdict::Denied);
        }
        assert_eq!(guard.verifications, 0);
        let header = basic("alice:correct horse");
        let got = guard.check(&users, Some(&header), &CLIENT, 0);
        assert_eq!(got, Verdict::Allowed(b"alice"));
    }

    #[test]
    fn a_password_past_the_limit_never_verifies() {
        let (at, past) = (
            "p".repeat(MAX_PASSWORD_BYTES),
            "p".repeat(MAX_PASSWORD_BYTES + 1),
        );
        let text = file(&[("at", at.as_str()), ("past", past.as_str())]);
        let users = parse(&text).unwrap();
        let mut guard = Guard::new();
        let got = guard.check(&users, Some(&basic(&format!("at:{at}"))), &CLIENT, 0);
        assert_eq!(got, Verdict::Allowed(b"at"));
        let got = guard.check(&users, Some(&basic(&format!("past:{past}"))), &CLIENT, 0);
        assert_eq!(got, Verdict::Denied);
    }

    #[test]
    fn a_verified_header_is_not_hashed_again() {
        let text = file(ACCOUNTS);
        let users = parse(&text).unwrap();
        let mut guard = Guard::new();
        let alice = basic("alice:correct horse");
        assert_eq!(
            guard.check(&users, Some(&alice), &CLIENT, 0),
            Verdict::Allowed(b"alice")
        );
        assert_eq!(guard.verifications, 1);
        for now in 0..100 {
            let got = guard.check(&users, Some(&alice), &OTHER, now);
            assert_eq!(got, Verdict::Allowed(b"alice"));
        }
        assert_eq!(guard.verifications, 1);
        // A wrong password is never cached: each try costs a hash.
        let wrong = basic("alice:wrong");
        guard.check(&users, Some(&wrong), &CLIENT, 0);
        guard.check(&users, Some(&wrong), &CLIENT, 0);
        assert_eq!(guard.verifications, 3);
        let jurgen = basic("jürgen:pässwörd");
        guard.check(&users, Some(&jurgen), &CLIENT, 0);
        assert_eq!(guard.verifications, 4);
        for _ in 0..MAX_CACHED_CREDENTIALS - 1 {
            guard.check(&users, Some(&basic("empty:")), &CLIENT, 0);
        }
        assert_eq!(guard.verifications, 5, "one token, cached once");
        // alice, jürgen and empty are cached; they pass without a hash.
        for header in [&alice, &jurgen] {
            assert!(matches!(
                guard.check(&users, Some(header), &CLIENT, 0),
                Verdict::Allowed(_)
            ));
        }
        assert_eq!(guard.verifications, 5);
    }

    #[test]
    fn the_oldest_cached_token_is_evicted() {
        let accounts: Vec<(String, String)> = (0..=MAX_CACHED_CREDENTIALS)
            .map(|i| (format!("user{i}"), format!("pw{i}")))
            .collect();
        let pairs: Vec<(&str, &str)> = accounts
            .iter()
            .map(|(u, p)| (u.as_str(), p.as_str()))
            .collect();
        let text = file(&pairs);
        let users = parse(&text).unwrap();
        let mut guard = Guard::new();
        let headers: Vec<Vec<u8>> = accounts
            .iter()
            .map(|(u, p)| basic(&format!("{u}:{p}")))
            .collect();
        for h in &headers {
            assert!(matches!(
                guard.check(&users, Some(h), &CLIENT, 0),
                Verdict::Allowed(_)
            ));
        }
        let n = guard.verifications;
        assert_eq!(n as usize, MAX_CACHED_CREDENTIALS + 1);
        // The newest MAX_CACHED_CREDENTIALS are cached; the first is not.
        for h in &headers[1..] {
            guard.check(&users, Some(h), &CLIENT, 0);
        }
        assert_eq!(guard.verifications, n);
        guard.check(&users, Some(&headers[0]), &CLIENT, 0);
        assert_eq!(guard.verifications, n + 1);
    }

    #[test]
    fn failures_are_limited_per_client_and_window() {
        let text = file(ACCOUNTS);
        let users = parse(&text).unwrap();
        let mut guard = Guard::new();
        let alice = basic("alice:correct horse");
        // A browser behind the same address logged in before the flood.
        assert_eq!(
            guard.check(&users, Some(&alice), &CLIENT, 100),
            Verdict::Allowed(b"alice")
        );
        let wrong = basic("alice:guess");
        for i in 0..MAX_FAILURES_PER_WINDOW {
            let got = guard.check(&users, Some(&wrong), &CLIENT, 100 + i64::from(i));
            assert_eq!(got, Verdict::Denied, "failure {i}");
        }
        let hashed = guard.verifications;
        // Window opened at 100; at 115, 45 seconds are left.
        let got = guard.check(&users, Some(&wrong), &CLIENT, 115);
        assert_eq!(
            got,
            Verdict::Limited {
                retry_after_secs: 45
            }
        );
        let got = guard.check(&users, Some(&basic("jürgen:pässwörd")), &CLIENT, 159);
        assert_eq!(
            got,
            Verdict::Limited {
                retry_after_secs: 1
            }
        );
        assert_eq!(guard.verifications, hashed, "limited: nothing hashed");
        // Cached credentials still pass; other clients are unaffected.
        assert_eq!(
            guard.check(&users, Some(&alice), &CLIENT, 120),
            Verdict::Allowed(b"alice")
        );
        assert_eq!(
            guard.check(&users, Some(&wrong), &OTHER, 120),
            Verdict::Denied
        );
        let jurgen = basic("jürgen:pässwörd");
        assert_eq!(
            guard.check(&users, Some(&jurgen), &OTHER, 120),
            Verdict::Allowed("jürgen".as_bytes())
        );
        // No header is still a plain 401.
        assert_eq!(guard.check(&users, None, &CLIENT, 120), Verdict::Denied);
        // The window ends 60 s after its first failure.
        assert_eq!(
            guard.check(&users, Some(&wrong), &CLIENT, 160),
            Verdict::Denied
        );
        assert_eq!(guard.verifications, hashed + 3);
        let empty = basic("empty:");
        assert_eq!(
            guard.check(&users, Some(&empty), &CLIENT, 161),
            Verdict::Allowed(b"empty")
        );
        // A clock that goes back ends a window rather than extending it.
        let mut guard = Guard::new();
        for _ in 0..MAX_FAILURES_PER_WINDOW {
            guard.check(&users, Some(&wrong), &CLIENT, 1000);
        }
        assert!(matches!(
            guard.check(&users, Some(&wrong), &CLIENT, 1000),
            Verdict::Limited { .. }
        ));
        assert_eq!(
            guard.check(&users, Some(&wrong), &CLIENT, 999),
            Verdict::Denied
        );
    }

    #[test]
    fn a_full_table_forgets_the_oldest_window() {
        let text = file(&ACCOUNTS[..1]);
        let users = parse(&text).unwrap();
        let mut guard = Guard::new();
        // Skip the hashing: the table is what is tested.
        let address = |i: usize| {
            let mut a = [0u8; 16];
            a[..8].copy_from_slice(&(i as u64).to_be_bytes());
            a
        };
        for i in 0..MAX_TRACKED_CLIENTS {
            for _ in 0..MAX_FAILURES_PER_WINDOW {
                guard.fail(&address(i), i as i64 / 8);
            }
        }
        for i in 0..MAX_TRACKED_CLIENTS {
            assert!(guard.limited(&address(i), 40).is_some(), "{i}");
        }
        // A new client takes the slot of client 0 (the oldest window).
        guard.fail(&address(MAX_TRACKED_CLIENTS), 40);
        assert_eq!(guard.limited(&address(0), 40), None);
        assert_eq!(guard.limited(&address(1), 40), Some(20));
        let wrong = basic("alice:x");
        let got = guard.check(&users, Some(&wrong), &address(1), 40);
        assert_eq!(
            got,
            Verdict::Limited {
                retry_after_secs: 20
            }
        );
        // Expired windows are reused first.
        guard.fail(&address(MAX_TRACKED_CLIENTS + 1), 70);
        assert!(guard.limited(&address(7), 70).is_none());
        assert_eq!(guard.limited(&address(255), 70), Some(21));
    }

    #[test]
    fn random_headers_never_pass_by_chance() {
        let text = file(&ACCOUNTS[..1]);
        let users = parse(&text).unwrap();
        let mut rng = crate::testing::XorShift(11);
        let alphabet = b"Basic QWxpY2U6=+/ \t:!\x00\xff";
        let mut guard = Guard::new();
        for i in 0..2000 {
            let len = rng.below(40);
            let header: Vec<u8> = (0..len).map(|_| rng.pick(alphabet)).collect();
            let got = guard.check(&users, Some(&header), &CLIENT, i);
            assert_ne!(got, Verdict::Allowed(b"alice"), "{header:?}");
        }
    }
}
