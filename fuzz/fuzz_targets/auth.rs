//! `auth`: the users file, stored hashes, `hash_line` and the guard.
//! Input: one selector byte, then the bytes its mode reads. Only cheap
//! hashes are ever verified (bcrypt cost 4 to 6, SHA-crypt 1,000 to
//! 2,000 rounds, and `hash_line`'s 5,000 in one mode of eight), so an
//! input costs milliseconds at most.
//!
//! Properties:
//! - `parse` on any file never panics; what it accepts has 1 to
//!   `MAX_USERS` users, each non-empty, without `:` or controls, distinct,
//!   found by `find` at its own index, with a hash `parse_hash` accepts;
//! - `parse_hash` accepts only `$2a$`/`$2b$`/`$2y$` with a cost in
//!   `4..=MAX_BCRYPT_COST` and `$5$`/`$6$` with rounds in
//!   `1000..=MAX_SHA_CRYPT_ROUNDS`, with salt and digest inside the text;
//! - against fixed users, a header is `Allowed(user)` only when it is
//!   `Basic` and its token decodes to that user's `user:password`; those
//!   users' own credentials are allowed and a changed password is not;
//!   with `MAX_FAILURES_PER_WINDOW` failures the next try is `Limited`
//!   with 1 to 60 seconds, unless it is cached;
//! - a line from `hash_line` parses when the user is valid (and is
//!   refused otherwise) and verifies its password (unless it holds a NUL,
//!   which never verifies), and no other password.

#![no_main]

use httpd::auth::crypt::{self, Scheme};
use httpd::auth::{
    FAILURE_WINDOW_SECS, Guard, MAX_FAILURES_PER_WINDOW, MAX_USERS, Verdict, hash_line, parse,
};
use httpd::buf::Buf;
use httpd_fuzz::show;
use libfuzzer_sys::fuzz_target;

/// Users with cheap hashes: (user, password, hash).
const ACCOUNTS: [(&str, &str, &str); 3] = [
    (
        "alice",
        "correct horse",
        "$2y$04$od/ZjLuII8ZgKi2pKqDqI.IuNw2gPXmmjs4biqF9lk47BuCrWJ1rS",
    ),
    (
        "bob",
        "a:b",
        "$5$rounds=1000$fuzzsalt$YIbU7cZXRCKbFzOXTC8tAU3wYMsphF361izsfABOtB2",
    ),
    (
        "jürgen",
        "pässwörd",
        "$6$rounds=1000$fuzzsalt$pJgC0XYbxM1NAoLet6y9pY/aXyvK5BLtJMCgGyQ4l2OhS.iZccsgyoJDngjCLNLKaptWjwbV75.e2JYhvlMP7.",
    ),
];

const CLIENT: [u8; 16] = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    match sel % 8 {
        0 | 1 => file(rest),
        2 | 3 | 4 => header(rest),
        5 => line(rest),
        _ => hash(rest),
    }
});

/// Whether verifying `hash` is cheap enough for a fuzz iteration.
fn cheap(hash: &crypt::Hash<'_>) -> bool {
    match hash.scheme {
        Scheme::Bcrypt => hash.cost <= 6,
        Scheme::Sha256 | Scheme::Sha512 => hash.cost <= 2000,
    }
}

fn file(text: &[u8]) {
    let shown = show(text);
    let Ok(users) = parse(text) else {
        return;
    };
    let entries = users.entries();
    assert!((1..=MAX_USERS).contains(&entries.len()), "{shown:?}");
    for (i, entry) in entries.iter().enumerate() {
        let user = entry.user;
        assert!(!user.is_empty(), "{shown:?}");
        assert!(
            !user.iter().any(|&b| b == b':' || b < b' ' || b == 0x7f),
            "{shown:?}"
        );
        assert_eq!(users.find(user), Some(i), "{shown:?}");
        assert!(text.windows(user.len()).any(|w| w == user), "{shown:?}");
    }
    let first = entries[0];
    if entries.iter().all(|e| cheap(&e.hash)) {
        let mut credentials = first.user.to_vec();
        credentials.extend_from_slice(b":x");
        let header = basic(&credentials);
        let mut guard = Guard::new();
        let got = guard.check(&users, Some(&header), &CLIENT, 0);
        assert!(
            got == Verdict::Denied || got == Verdict::Allowed(first.user),
            "{shown:?}: {got:?}"
        );
    }
}

fn header(value: &[u8]) {
    let shown = show(value);
    let text: String = ACCOUNTS
        .iter()
        .map(|(u, _, h)| format!("{u}:{h}\n"))
        .collect();
    let users = parse(text.as_bytes()).unwrap();
    let mut guard = Guard::new();
    let got = guard.check(&users, Some(value), &CLIENT, 0);
    if let Verdict::Allowed(user) = got {
        let token = httpd_fuzz::trim_ows(value);
        assert!(
            token.len() > 6 && token[..6].eq_ignore_ascii_case(b"basic "),
            "{shown:?}"
        );
        let decoded = decode(token[6..].trim_ascii_start()).expect("decodes");
        let right = ACCOUNTS
            .iter()
            .any(|(u, p, _)| u.as_bytes() == user && decoded == format!("{u}:{p}").as_bytes());
        assert!(right, "{shown:?}: {got:?}");
    } else {
        assert_eq!(got, Verdict::Denied, "{shown:?}");
    }
    // The accounts' own credentials pass; with the input as the password
    // (it is none of theirs), they fail and are counted.
    let (u, p, _) = ACCOUNTS[value.len() % ACCOUNTS.len()];
    let right = basic(format!("{u}:{p}").as_bytes());
    let mut wrong = format!("{u}:").into_bytes();
    wrong.extend_from_slice(value);
    if wrong != format!("{u}:{p}").as_bytes() {
        let wrong = basic(&wrong);
        let mut guard = Guard::new();
        for i in 0..MAX_FAILURES_PER_WINDOW {
            let got = guard.check(&users, Some(&wrong), &CLIENT, i64::from(i));
            assert_eq!(got, Verdict::Denied, "{shown:?}");
        }
        match guard.check(&users, Some(&right), &CLIENT, 30) {
            Verdict::Limited { retry_after_secs } => {
                assert!((1..=FAILURE_WINDOW_SECS as u32).contains(&retry_after_secs))
            }
            other => panic!("{shown:?}: {other:?}"),
        }
        let got = guard.check(&users, Some(&right), &[0; 16], 30);
        assert_eq!(got, Verdict::Allowed(u.as_bytes()), "{shown:?}");
        // Cached now: allowed even from the limited client.
        let got = guard.check(&users, Some(&right), &CLIENT, 31);
        assert_eq!(got, Verdict::Allowed(u.as_bytes()), "{shown:?}");
    }
}

fn line(rest: &[u8]) {
    let Some((&n, rest)) = rest.split_first() else {
        return;
    };
    let (user, password) = rest.split_at(usize::from(n).min(rest.len()));
    let random: [u8; 16] = std::array::from_fn(|i| rest.get(i).copied().unwrap_or(i as u8));
    let mut mem = [0u8; 1024];
    let mut out = Buf::new(&mut mem);
    hash_line(user, password, &random, &mut out);
    let shown = (show(user), show(password));
    if out.overflowed() {
        return;
    }
    let line = out.as_bytes();
    // `#` first makes the line a comment (so no users at all).
    let valid_user = !user.is_empty()
        && user[0] != b'#'
        && !user.iter().any(|&b| b == b':' || b < b' ' || b == 0x7f);
    let parsed = parse(line);
    assert_eq!(parsed.is_ok(), valid_user, "{shown:?}");
    let Ok(users) = parsed else {
        return;
    };
    let entry = users.entries()[0];
    assert_eq!(entry.user, user, "{shown:?}");
    assert_eq!(
        crypt::verify(&entry.hash, password),
        !password.contains(&0),
        "{shown:?}"
    );
    let mut other = password.to_vec();
    other.push(b'!');
    assert!(!crypt::verify(&entry.hash, &other), "{shown:?}");
}

fn hash(text: &[u8]) {
    let shown = show(text);
    let Ok(hash) = crypt::parse_hash(text) else {
        return;
    };
    let inside = |part: &[u8]| {
        let (start, end) = (text.as_ptr() as usize, text.as_ptr() as usize + text.len());
        let p = part.as_ptr() as usize;
        part.is_empty() || (p >= start && p + part.len() <= end)
    };
    assert!(inside(hash.salt) && inside(hash.digest), "{shown:?}");
    match hash.scheme {
        Scheme::Bcrypt => {
            assert!(
                (4..=crypt::MAX_BCRYPT_COST).contains(&hash.cost),
                "{shown:?}"
            );
            assert!(text[..4] == *b"$2a$" || text[..4] == *b"$2b$" || text[..4] == *b"$2y$");
        }
        Scheme::Sha256 | Scheme::Sha512 => {
            assert!(
                (1000..=crypt::MAX_SHA_CRYPT_ROUNDS).contains(&hash.cost),
                "{shown:?}"
            );
        }
    }
    if cheap(&hash) {
        let _ = crypt::verify(&hash, text);
    }
}

/// `Basic` and the standard base64 of `credentials`.
fn basic(credentials: &[u8]) -> Vec<u8> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = b"Basic ".to_vec();
    for chunk in credentials.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * k)) as usize & 63]);
            } else {
                out.push(b'=');
            }
        }
    }
    out
}

/// The library's strict decoder (itself tested against the `base64`
/// crate in the unit tests).
fn decode(token: &[u8]) -> Option<Vec<u8>> {
    let mut out = vec![0u8; token.len()];
    let n = httpd::base64::decode(token, &mut out).ok()?;
    out.truncate(n);
    Some(out)
}
