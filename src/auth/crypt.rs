//! Password hashes in crypt(3)'s Modular Crypt Format: parsing the stored
//! strings, and verifying a password against one. Two families, the ones
//! `htpasswd -B`, `openssl passwd -5/-6` and `mkpasswd` write:
//! - bcrypt (`$2a$`/`$2b$`/`$2y$`, Provos and Mazières 1999, as OpenBSD's
//!   bcrypt.c): the EksBlowfish steps come from RustCrypto's `blowfish`
//!   (feature `bcrypt`); the construction around them (cost loop,
//!   "OrpheanBeholderScryDoubt" encrypted 64 times, 23 bytes kept) is the
//!   dozen lines of `bcrypt`, tested against OpenBSD's and htpasswd's
//!   vectors. The `bcrypt` crate's own function asserts on its inputs,
//!   which would link a panic into the plain build.
//! - SHA-crypt (`$5$` SHA-256, `$6$` SHA-512, Drepper's "Unix crypt using
//!   SHA-256 and SHA-512", glibc): RustCrypto's `sha-crypt`, whole.
//!
//! The encodings are ours (neither crate exposes them without alloc): both
//! use crypt's 64 characters, bcrypt in the order `./A-Za-z0-9` with bits
//! taken most significant first, SHA-crypt in the order `./0-9A-Za-z`,
//! least significant first, over bytes in a permuted order. Each is
//! needed one way only: bcrypt's salt must be decoded, so its digest is
//! decoded too and compared as bytes; SHA-crypt's digest is encoded (as
//! `users::hash_line` needs anyway) and compared as characters. A stored
//! hash is checked in full when the file is parsed (prefix, cost or
//! rounds, salt, digest length, alphabet, zero spare bits), so that no
//! line is taken that no password could match. Contract: no panic on any
//! input.

use blowfish::Blowfish;
pub use sha_crypt::Params;
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

/// The highest bcrypt cost accepted: 2^12 key expansions take some
/// 0.45 s of a core here (release build; cost 10: 0.11 s), about the most
/// a worker can stall on a login it has not seen before (verified
/// credentials are cached, see `guard`). `htpasswd -B` writes cost 5 by
/// default; `-C 10` to `-C 12` are the usual advice.
pub const MAX_BCRYPT_COST: u32 = 12;

/// The lowest bcrypt cost any implementation writes (OpenBSD bcrypt.c).
pub const MIN_BCRYPT_COST: u32 = 4;

/// The most SHA-crypt rounds accepted: 500,000 rounds take some 0.5 s of
/// a core here (release build, SHA-256 or SHA-512), as bcrypt's highest
/// cost does; the default, 5,000, takes 7 ms.
pub const MAX_SHA_CRYPT_ROUNDS: u32 = 500_000;

/// The fewest rounds a SHA-crypt hash can have: Drepper's spec raises any
/// lower `rounds=` to 1,000 and writes that back, so a stored hash with
/// fewer was not written by crypt(3).
pub const MIN_SHA_CRYPT_ROUNDS: u32 = 1_000;

/// The rounds of a SHA-crypt hash without `rounds=` (Drepper's spec).
pub const DEFAULT_SHA_CRYPT_ROUNDS: u32 = 5_000;

/// The longest SHA-crypt salt, in characters (Drepper's spec truncates
/// longer ones, and writes the truncated salt).
pub const MAX_SHA_CRYPT_SALT_BYTES: usize = 16;

/// bcrypt uses the first 72 bytes of the password and its NUL (the
/// Blowfish key schedule's 18 words).
const BCRYPT_KEY_BYTES: usize = 72;

/// The characters of a bcrypt salt (16 bytes).
const BCRYPT_SALT_CHARS: usize = 22;
/// The bytes of a bcrypt digest as stored (31 characters): 23 of the 24
/// that bcrypt computes.
const BCRYPT_DIGEST_BYTES: usize = 23;

/// The characters of a SHA-256-crypt digest (32 bytes).
const SHA256_DIGEST_CHARS: usize = 43;
/// The characters of a SHA-512-crypt digest (64 bytes).
const SHA512_DIGEST_CHARS: usize = 86;

/// The longest encoded digest, for the buffers verification encodes into.
pub const MAX_DIGEST_CHARS: usize = SHA512_DIGEST_CHARS;

/// SHA-crypt's character order (crypt(3)'s `b64t`).
pub const CRYPT_ALPHABET: &[u8; 64] =
    b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// bcrypt's character order (OpenBSD bcrypt.c `Base64Code`): crypt's
/// with the digits moved after the letters (see `bcrypt_value`). Only
/// the tests encode with it.
#[cfg(test)]
const BCRYPT_ALPHABET: &[u8; 64] =
    b"./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// "OrpheanBeholderScryDoubt", the plaintext bcrypt encrypts: three
/// Blowfish blocks.
const BCRYPT_MAGIC: [[u32; 2]; 3] = [
    [0x4f72_7068, 0x6561_6e42],
    [0x6568_6f6c, 0x6465_7253],
    [0x6372_7944, 0x6f75_6274],
];

/// The algorithm of a stored hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// bcrypt; `cost` is the log2 of its key expansions.
    Bcrypt,
    /// SHA-256-crypt (`$5$`); `cost` is its rounds.
    Sha256,
    /// SHA-512-crypt (`$6$`); `cost` is its rounds.
    Sha512,
}

/// A stored hash, checked, borrowing its text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hash<'a> {
    pub scheme: Scheme,
    /// bcrypt's cost or SHA-crypt's rounds.
    pub cost: u32,
    /// The salt's characters (22 for bcrypt; 0 to 16 for SHA-crypt).
    pub salt: &'a [u8],
    /// The digest's characters.
    pub digest: &'a [u8],
}

/// The fix every refusal of a hash names.
macro_rules! fix {
    () => {
        "use `htpasswd -nB USER` or `openssl passwd -6`"
    };
}

/// Why a stored hash was refused; each says what to do instead. A
/// password as typed, crypt DES, MD5 (`$apr1$`, `$1$`), `{SHA}`, `$2x$`
/// and the rest are all `UNSUPPORTED`: the fix is the same.
pub const UNSUPPORTED: &str = concat!("plain-text, weak or unsupported: ", fix!());
pub const MALFORMED: &str = concat!("a malformed bcrypt or SHA-crypt hash: ", fix!());
pub const BCRYPT_COST: &str = "a bcrypt cost outside 4..=12: use `htpasswd -nB -C 10 USER`";
pub const SHA_CRYPT_ROUNDS: &str = "SHA-crypt rounds above 500000: use `openssl passwd -6`";

/// Parses and checks a stored hash (the text after `user:`).
#[inline(never)] // See the module docs of `auth`.
pub fn parse_hash(text: &[u8]) -> Result<Hash<'_>, &'static str> {
    match text {
        [b'$', b'2', rest @ ..] => parse_bcrypt(rest),
        [b'$', b'5', b'$', rest @ ..] => parse_sha_crypt(Scheme::Sha256, rest),
        [b'$', b'6', b'$', rest @ ..] => parse_sha_crypt(Scheme::Sha512, rest),
        _ => Err(UNSUPPORTED),
    }
}

/// `$2` is stripped: `<minor>$<cost>$<salt><digest>`.
#[inline(never)] // See the module docs of `auth`.
fn parse_bcrypt(rest: &[u8]) -> Result<Hash<'_>, &'static str> {
    // $2a$, $2b$ and $2y$ differ only for passwords of 256 bytes or more
    // (OpenBSD's 2014 fix), and bcrypt uses 72 of them; $2x$ is
    // crypt_blowfish's deliberately buggy variant and is refused.
    let [b'a' | b'b' | b'y', b'$', rest @ ..] = rest else {
        return Err(UNSUPPORTED);
    };
    let [d1 @ b'0'..=b'9', d2 @ b'0'..=b'9', b'$', rest @ ..] = rest else {
        return Err(MALFORMED);
    };
    let cost = u32::from(d1 - b'0') * 10 + u32::from(d2 - b'0');
    let (salt, digest) = rest.split_at_checked(BCRYPT_SALT_CHARS).ok_or(MALFORMED)?;
    // Decoding checks the lengths, the alphabet and the spare bits.
    if !bcrypt_decode(salt, &mut [0; 16]) || !bcrypt_decode(digest, &mut [0; BCRYPT_DIGEST_BYTES]) {
        return Err(MALFORMED);
    }
    if !(MIN_BCRYPT_COST..=MAX_BCRYPT_COST).contains(&cost) {
        return Err(BCRYPT_COST);
    }
    Ok(Hash {
        scheme: Scheme::Bcrypt,
        cost,
        salt,
        digest,
    })
}

/// `$5$` or `$6$` is stripped: `[rounds=N$]<salt>$<digest>`.
fn parse_sha_crypt(scheme: Scheme, rest: &[u8]) -> Result<Hash<'_>, &'static str> {
    let mut cost = DEFAULT_SHA_CRYPT_ROUNDS;
    let mut rest = rest;
    if let Some(after) = crate::http::syntax::strip_prefix(rest, b"rounds=") {
        // Digits only, no leading zero (what crypt(3) writes back), `$`.
        let mut n = 0u32;
        rest = after;
        loop {
            match rest {
                [b'$', after @ ..] => {
                    rest = after;
                    break;
                }
                [d @ b'0'..=b'9', after @ ..] if n > 0 || *d > b'0' => {
                    n = n.saturating_mul(10).saturating_add(u32::from(d - b'0'));
                    rest = after;
                }
                _ => return Err(MALFORMED),
            }
        }
        if n < MIN_SHA_CRYPT_ROUNDS {
            return Err(MALFORMED);
        }
        if n > MAX_SHA_CRYPT_ROUNDS {
            return Err(SHA_CRYPT_ROUNDS);
        }
        cost = n;
    }
    let (salt, digest) = super::split_once(rest, b'$').ok_or(MALFORMED)?;
    // The digest's spare bits, those of its last character, are zero when
    // crypt(3) wrote it: SHA-256's last 3 characters hold 16 bits, so the
    // last one's value is below 16; SHA-512's last 2 hold 8: below 4.
    let (chars, spare) = match scheme {
        Scheme::Sha512 => (SHA512_DIGEST_CHARS, 2),
        _ => (SHA256_DIGEST_CHARS, 4),
    };
    // A salt is any bytes but `$` (glibc); ours must also keep the line a
    // line.
    if salt.len() > MAX_SHA_CRYPT_SALT_BYTES
        || salt.iter().any(|&c| c <= b' ')
        || digest.len() != chars
        || last_value(digest).is_none_or(|v| v >> spare != 0)
    {
        return Err(MALFORMED);
    }
    Ok(Hash {
        scheme,
        cost,
        salt,
        digest,
    })
}

/// Whether `password` matches `hash`: the digest is computed and compared
/// with the stored one in constant time. A password with a NUL never
/// matches: crypt(3) would have stopped at it, so "ab\0cd" would otherwise
/// pass for "ab".
#[inline(never)] // See the module docs of `auth`.
pub fn verify(hash: &Hash<'_>, password: &[u8]) -> bool {
    let mut computed = [0u8; MAX_DIGEST_CHARS];
    let mut decoded = [0u8; BCRYPT_DIGEST_BYTES];
    let mut ok = true;
    let stored = if hash.scheme == Scheme::Bcrypt {
        let mut salt = [0u8; 16];
        // Both decode: `parse_hash` checked them.
        ok = bcrypt_decode(hash.salt, &mut salt) && bcrypt_decode(hash.digest, &mut decoded);
        bcrypt(hash.cost, &salt, password, &mut computed);
        decoded.as_slice()
    } else {
        sha_crypt(hash.scheme, password, hash.salt, hash.cost, &mut computed);
        hash.digest
    };
    let same = computed
        .get(..stored.len())
        .is_some_and(|computed| bool::from(computed.ct_eq(stored)));
    computed.zeroize();
    ok && same && !password.contains(&0)
}

/// SHA-crypt of `password` with `salt` and `rounds` (1,000 and more),
/// encoded into `out`; returns the encoded length (43 or 86; 0 for too
/// few rounds).
pub fn sha_crypt(
    scheme: Scheme,
    password: &[u8],
    salt: &[u8],
    rounds: u32,
    out: &mut [u8; MAX_DIGEST_CHARS],
) -> usize {
    let Ok(params) = Params::new(rounds) else {
        return 0;
    };
    let mut digest = [0u8; 64];
    let len = if scheme == Scheme::Sha512 {
        crate::buf::copy(
            &mut digest,
            &sha_crypt::sha512_crypt(password, salt, params),
        )
    } else {
        crate::buf::copy(
            &mut digest,
            &sha_crypt::sha256_crypt(password, salt, params),
        )
    };
    let len = crypt_encode(digest.get(..len).unwrap_or_default(), out);
    digest.zeroize();
    len
}

/// bcrypt of `password` (OpenBSD's `$2b$`: the password and its NUL, cut
/// to 72 bytes, is the key) with `salt` and 2^`cost` key expansions
/// (EksBlowfish, Provos and Mazières §4), then "OrpheanBeholderScryDoubt"
/// encrypted 64 times in ECB mode: 24 bytes into `out` (what fits), of
/// which the hash string keeps 23.
#[inline(never)] // See the module docs of `auth`.
pub fn bcrypt(cost: u32, salt: &[u8; 16], password: &[u8], out: &mut [u8]) {
    let mut key = [0u8; BCRYPT_KEY_BYTES];
    let len = crate::buf::copy(&mut key, password);
    // The NUL after the password when it fits: `key` starts zeroed.
    let key_used = key.get(..len + 1).unwrap_or(&key);
    let mut state = Blowfish::bc_init_state();
    state.salted_expand_key(salt, key_used);
    for _ in 0..1u64 << cost.min(31) {
        state.bc_expand_key(key_used);
        state.bc_expand_key(salt);
    }
    key.zeroize();
    let mut blocks = BCRYPT_MAGIC;
    let mut n = 0;
    for block in &mut blocks {
        for _ in 0..64 {
            *block = state.bc_encrypt(*block);
        }
        for word in *block {
            for byte in word.to_be_bytes() {
                if let Some(slot) = out.get_mut(n) {
                    *slot = byte;
                }
                n += 1;
            }
        }
    }
}

/// The value of the character `c` in crypt's order `./0-9A-Za-z`.
fn value(c: u8) -> Option<u32> {
    let mut v = 0;
    while let Some(&a) = CRYPT_ALPHABET.get(v) {
        if a == c {
            return Some(v as u32);
        }
        v += 1;
    }
    None
}

/// The value of the character `c` in bcrypt's order `./A-Za-z0-9`, from
/// its value in crypt's `./0-9A-Za-z`: the 10 digits move from 2..=11 to
/// 54..=63, the 52 letters from 12..=63 to 2..=53.
fn bcrypt_value(c: u8) -> Option<u32> {
    let v = value(c)?;
    Some(match v {
        2..=11 => v + 52,
        12.. => v - 10,
        _ => v,
    })
}

/// The value of the last character of `text` (0 when empty), when every
/// character is in crypt's alphabet.
fn last_value(text: &[u8]) -> Option<u32> {
    let mut last = 0;
    for &c in text {
        last = value(c)?;
    }
    Some(last)
}

/// Encodes `bytes` in bcrypt's base64 (most significant bits first, no
/// padding) into `out`; returns the characters written. Only the tests
/// make bcrypt hashes.
#[cfg(test)]
pub fn bcrypt_encode(bytes: &[u8], out: &mut [u8]) -> usize {
    let mut acc = 0u32;
    let mut bits = 0u32;
    let mut len = 0;
    let mut emit = |v: u32, len: &mut usize| {
        out[*len] = BCRYPT_ALPHABET[v as usize & 63];
        *len += 1;
    };
    for &b in bytes {
        acc = (acc << 8 | u32::from(b)) & 0xffff;
        bits += 8;
        while bits >= 6 {
            bits -= 6;
            emit(acc >> bits, &mut len);
        }
    }
    if bits > 0 {
        emit(acc << (6 - bits), &mut len);
    }
    len
}

/// Decodes bcrypt's base64 `text` into exactly `out`; false unless every
/// character is in the alphabet, the lengths match and the spare bits of
/// the last character are zero (what bcrypt writes).
fn bcrypt_decode(text: &[u8], out: &mut [u8]) -> bool {
    if text.len() != (out.len() * 8).div_ceil(6) {
        return false;
    }
    let mut acc = 0u32;
    let mut bits = 0u32;
    let mut len = 0;
    for &c in text {
        let Some(v) = bcrypt_value(c) else {
            return false;
        };
        // Bits already written leave at the top; fewer than 14 pend.
        acc = acc << 6 | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            if let Some(slot) = out.get_mut(len) {
                *slot = (acc >> bits) as u8;
            }
            len += 1;
        }
    }
    acc & ((1 << bits) - 1) == 0
}

/// The byte order of SHA-crypt's encoding (Drepper's spec, step 22), in
/// 24-bit groups, first byte most significant; 64 is past the digest and
/// reads as 0. SHA-256: `a, a + 10, a + 20` (mod 30) for `a = i * 21 % 30`,
/// `i` in `0..10`, then 31 and 30; SHA-512: `a, a + 21, a + 42` (mod 63)
/// for `a = i * 22 % 63`, `i` in `0..21`, then 63. A table is smaller
/// than the arithmetic (the test derives it).
const SHA256_ORDER: [u8; 33] = [
    0, 10, 20, 21, 1, 11, 12, 22, 2, 3, 13, 23, 24, 4, 14, 15, 25, 5, 6, 16, 26, 27, 7, 17, 18, 28,
    8, 9, 19, 29, 64, 31, 30,
];
const SHA512_ORDER: [u8; 66] = [
    0, 21, 42, 22, 43, 1, 44, 2, 23, 3, 24, 45, 25, 46, 4, 47, 5, 26, 6, 27, 48, 28, 49, 7, 50, 8,
    29, 9, 30, 51, 31, 52, 10, 53, 11, 32, 12, 33, 54, 34, 55, 13, 56, 14, 35, 15, 36, 57, 37, 58,
    16, 59, 17, 38, 18, 39, 60, 40, 61, 19, 62, 20, 41, 64, 64, 63,
];

/// Encodes a SHA-crypt digest (32 or 64 bytes) into `out`; returns the
/// characters written (43 or 86): each group of `*_ORDER` as 4
/// characters, least significant first, but the last only as many as it
/// has bits for (3 for SHA-256's 2 bytes, 2 for SHA-512's 1).
fn crypt_encode(digest: &[u8], out: &mut [u8]) -> usize {
    let (order, chars): (&[u8], usize) = if digest.len() == 64 {
        (&SHA512_ORDER, SHA512_DIGEST_CHARS)
    } else {
        (&SHA256_ORDER, SHA256_DIGEST_CHARS)
    };
    let mut len = 0;
    for group in order.chunks_exact(3) {
        let mut w = 0;
        for &i in group {
            w = w << 8 | u32::from(digest.get(usize::from(i)).copied().unwrap_or(0));
        }
        for _ in 0..4 {
            if len < chars
                && let (Some(slot), Some(&c)) =
                    (out.get_mut(len), CRYPT_ALPHABET.get(w as usize & 63))
            {
                *slot = c;
                len += 1;
            }
            w >>= 6;
        }
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::XorShift;

    const BCRYPT: &str = "$2y$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW";
    const SHA256: &str = "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5";

    #[test]
    fn stored_hashes_are_parsed_or_refused_with_their_reason() {
        let sha512 = "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1";
        let ok: &[(&str, Scheme, u32)] = &[
            (BCRYPT, Scheme::Bcrypt, 5),
            (&BCRYPT.replacen("$2y$05", "$2a$04", 1), Scheme::Bcrypt, 4),
            (&BCRYPT.replacen("$2y$05", "$2b$12", 1), Scheme::Bcrypt, 12),
            (SHA256, Scheme::Sha256, 5000),
            (sha512, Scheme::Sha512, 5000),
            (
                &SHA256.replacen("$5$", "$5$rounds=1000$", 1),
                Scheme::Sha256,
                1000,
            ),
            (
                &SHA256.replacen("$5$", "$5$rounds=500000$", 1),
                Scheme::Sha256,
                500_000,
            ),
            (&SHA256.replacen("saltstring", "", 1), Scheme::Sha256, 5000),
            (
                &SHA256.replacen("saltstring", "sixteen_chars_ok", 1),
                Scheme::Sha256,
                5000,
            ),
        ];
        for &(text, scheme, cost) in ok {
            let hash = parse_hash(text.as_bytes()).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!((hash.scheme, hash.cost), (scheme, cost), "{text}");
        }
        let refused: &[(&str, &str)] = &[
            // Plain text, htpasswd -m, -s, -d and md5crypt: one reason.
            ("secret", UNSUPPORTED),
            ("", UNSUPPORTED),
            ("password123456", UNSUPPORTED),
            ("$apr1$9JxUzbLp$0Zp8zGfAJOGXyXVHKqCEt/", UNSUPPORTED),
            ("{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", UNSUPPORTED),
            ("abJnggxhB/yWI", UNSUPPORTED),
            ("$1$saltsalt$qjXMvbEw8oaL.CzflDugX/", UNSUPPORTED),
            ("{SSHA}abcdef", UNSUPPORTED),
            ("$y$j9T$salt$hash", UNSUPPORTED),
            ("$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", UNSUPPORTED),
            (&BCRYPT.replacen("$2y$", "$2x$", 1), UNSUPPORTED),
            (&BCRYPT.replacen("$2y$", "$2$", 1), UNSUPPORTED),
            (&BCRYPT.replacen("$05$", "$5$", 1), MALFORMED),
            (&BCRYPT.replacen("$05$", "$0a$", 1), MALFORMED),
            (&BCRYPT[..BCRYPT.len() - 1], MALFORMED),
            (&format!("{BCRYPT}W"), MALFORMED),
            (&BCRYPT.replacen("CC", "C!", 1), MALFORMED),
            // Spare bits set in the salt's last character, and the digest's.
            (&BCRYPT.replacen("C.E5", "CCE5", 1), MALFORMED),
            (&BCRYPT.replacen("eW", "eX", 1), MALFORMED),
            (&BCRYPT.replacen("$05$", "$03$", 1), BCRYPT_COST),
            (&BCRYPT.replacen("$05$", "$13$", 1), BCRYPT_COST),
            (&BCRYPT.replacen("$05$", "$99$", 1), BCRYPT_COST),
            ("$5$", MALFORMED),
            ("$5$salt", MALFORMED),
            ("$5$salt$", MALFORMED),
            ("$5$rounds=5000", MALFORMED),
            (&SHA256.replacen("$5$", "$5$rounds=999$", 1), MALFORMED),
            (&SHA256.replacen("$5$", "$5$rounds=$", 1), MALFORMED),
            (&SHA256.replacen("$5$", "$5$rounds=5k$", 1), MALFORMED),
            (
                &SHA256.replacen("$5$", "$5$rounds=500001$", 1),
                SHA_CRYPT_ROUNDS,
            ),
            (
                &SHA256.replacen("$5$", "$5$rounds=99999999999999999999$", 1),
                SHA_CRYPT_ROUNDS,
            ),
            (
                &SHA256.replacen("saltstring", "seventeen_chars__", 1),
                MALFORMED,
            ),
            (&SHA256.replacen("saltstring", "salt string", 1), MALFORMED),
            (&SHA256.replacen("$5$", "$6$", 1), MALFORMED),
            (&sha512.replacen("$6$", "$5$", 1), MALFORMED),
            (&format!("{SHA256}."), MALFORMED),
            (&SHA256.replacen("/", "+", 1), MALFORMED),
            // Spare bits set in the last character (SHA-256: 16 of 18 bits
            // used, SHA-512: 8 of 12).
            (&SHA256.replacen("Ec5", "EcE", 1), MALFORMED),
            (&sha512.replacen("z1", "z2", 1), MALFORMED),
        ];
        for &(text, reason) in refused {
            assert_eq!(parse_hash(text.as_bytes()), Err(reason), "{text}");
        }
    }

    #[test]
    fn reasons_name_the_limits_they_enforce() {
        let costs = format!("{MIN_BCRYPT_COST}..={MAX_BCRYPT_COST}");
        assert!(BCRYPT_COST.contains(&costs));
        assert!(SHA_CRYPT_ROUNDS.contains(&MAX_SHA_CRYPT_ROUNDS.to_string()));
        assert_eq!(
            Params::RECOMMENDED,
            Params::new(DEFAULT_SHA_CRYPT_ROUNDS).unwrap()
        );
        for reason in [UNSUPPORTED, MALFORMED] {
            assert!(reason.contains("htpasswd -nB USER") && reason.contains("openssl passwd -6"));
        }
    }

    #[test]
    fn bcrypt_base64_round_trips_and_is_canonical() {
        let mut rng = XorShift(7);
        for len in [16usize, 23] {
            for _ in 0..500 {
                let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
                let mut text = [0u8; 31];
                let n = bcrypt_encode(&bytes, &mut text);
                assert_eq!(n, (len * 8).div_ceil(6));
                let mut back = vec![0u8; len];
                assert!(bcrypt_decode(&text[..n], &mut back));
                assert_eq!(back, bytes);
                // Every other last character: spare bits set, or another value.
                let last = text[n - 1];
                for &c in BCRYPT_ALPHABET.iter().filter(|&&c| c != last) {
                    text[n - 1] = c;
                    let mut other = vec![0u8; len];
                    if bcrypt_decode(&text[..n], &mut other) {
                        assert_ne!(other, bytes);
                    }
                }
            }
        }
        assert!(!bcrypt_decode(b"short", &mut [0u8; 16]));
    }

    #[test]
    fn sha_crypt_encoding_uses_every_byte_once() {
        for (n, chars) in [(32usize, SHA256_DIGEST_CHARS), (64, SHA512_DIGEST_CHARS)] {
            let encode = |digest: &[u8]| {
                let mut text = [0u8; MAX_DIGEST_CHARS];
                assert_eq!(crypt_encode(digest, &mut text), chars);
                text[..chars].to_vec()
            };
            // Every bit of every byte shows, each differently.
            let mut seen = std::collections::HashSet::new();
            seen.insert(encode(&vec![0u8; n]));
            for i in 0..n * 8 {
                let mut digest = vec![0u8; n];
                digest[i / 8] = 1 << (i % 8);
                assert!(seen.insert(encode(&digest)), "bit {i}");
            }
            // What parse_hash takes: every bit set leaves the spare ones 0.
            let text = encode(&vec![0xffu8; n]);
            let prefix = if n == 64 { "$6$salt$" } else { "$5$salt$" };
            let hash = format!("{prefix}{}", String::from_utf8(text).unwrap());
            assert!(parse_hash(hash.as_bytes()).is_ok(), "{hash}");
        }
    }

    #[test]
    fn sha_crypt_orders_follow_drepper() {
        for (order, modulus, step) in [(&SHA256_ORDER[..], 30, 21), (&SHA512_ORDER[..], 63, 22)] {
            let third = modulus / 3;
            let mut want = Vec::new();
            for i in 0..third {
                let a = i * step % modulus;
                want.extend([a, (a + third) % modulus, (a + 2 * third) % modulus]);
            }
            // The bytes left: SHA-256's 31 and 30, SHA-512's 63 (64: none).
            want.extend([64, modulus + 1, modulus].map(|i| i.min(64)));
            assert_eq!(order, want.iter().map(|&i| i as u8).collect::<Vec<_>>());
        }
    }

    #[test]
    fn verification_agrees_with_a_rehash() {
        let mut rng = XorShift(99);
        for _ in 0..6 {
            let password: Vec<u8> = (0..rng.below(90))
                .map(|_| 1 + rng.next() as u8 % 255)
                .collect();
            let salt: [u8; 16] = std::array::from_fn(|_| rng.next() as u8);
            let mut text = String::from("$2b$04$");
            let mut chars = [0u8; 31];
            let n = bcrypt_encode(&salt, &mut chars);
            text.push_str(std::str::from_utf8(&chars[..n]).unwrap());
            let mut raw = [0u8; 24];
            bcrypt(4, &salt, &password, &mut raw);
            let n = bcrypt_encode(&raw[..23], &mut chars);
            text.push_str(std::str::from_utf8(&chars[..n]).unwrap());
            let hash = parse_hash(text.as_bytes()).unwrap();
            assert!(verify(&hash, &password));
            let mut wrong = password.clone();
            wrong.push(b'!');
            assert_eq!(verify(&hash, &wrong), password.len() >= 72);
        }
    }
}
