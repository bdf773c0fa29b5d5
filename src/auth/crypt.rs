//! Password hashes in crypt(3)'s Modular Crypt Format: parsing the stored
//! strings, and verifying a password against one. Two families, the ones
//! `htpasswd -B`, `openssl passwd -5/-6` and `mkpasswd` write:
//! - bcrypt (`$2a$`/`$2b$`/`$2y$`, Provos and Mazières 1999, as OpenBSD's
//!   bcrypt.c): the EksBlowfish steps come from RustCrypto's `blowfish`
//!   (feature `bcrypt`); the construction around them (cost loop,
//!   "OrpheanBeholderScryDoubt" encrypted 64 times, 23 bytes kept) is the
//!   dozen lines of `bcrypt_raw`, tested against OpenBSD's and htpasswd's
//!   vectors. The `bcrypt` crate's own function asserts on its inputs,
//!   which would link a panic into the plain build.
//! - SHA-crypt (`$5$` SHA-256, `$6$` SHA-512, Drepper's "Unix crypt using
//!   SHA-256 and SHA-512", glibc): RustCrypto's `sha-crypt`, whole.
//!
//! The encodings are ours (neither crate exposes them without alloc): both
//! use crypt's 64 characters, bcrypt in the order `./A-Za-z0-9` with bits
//! taken most significant first, SHA-crypt in the order `./0-9A-Za-z`,
//! least significant first, over bytes in a permuted order. A stored hash
//! is checked in full when the file is parsed (prefix, cost or rounds,
//! salt, digest length, alphabet, zero spare bits), so that verifying is
//! computing the digest, encoding it and comparing the two encodings in
//! constant time. Contract: no panic on any input.

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
/// The characters of a bcrypt digest (23 bytes).
const BCRYPT_DIGEST_CHARS: usize = 31;

/// The characters of a SHA-256-crypt digest (32 bytes).
const SHA256_DIGEST_CHARS: usize = 43;
/// The characters of a SHA-512-crypt digest (64 bytes).
const SHA512_DIGEST_CHARS: usize = 86;

/// The longest encoded digest, for the buffers verification encodes into.
pub const MAX_DIGEST_CHARS: usize = SHA512_DIGEST_CHARS;

/// SHA-crypt's character order (crypt(3)'s `b64t`).
pub const CRYPT_ALPHABET: &[u8; 64] =
    b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// bcrypt's character order (OpenBSD bcrypt.c `Base64Code`).
const BCRYPT_ALPHABET: &[u8; 64] =
    b"./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// "OrpheanBeholderScryDoubt", the plaintext bcrypt encrypts.
const BCRYPT_MAGIC: [u32; 6] = [
    0x4f72_7068,
    0x6561_6e42,
    0x6568_6f6c,
    0x6465_7253,
    0x6372_7944,
    0x6f75_6274,
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

/// The fix every refusal of a weak or plain password names.
macro_rules! make_one {
    () => {
        "make one with `htpasswd -nB USER` or `openssl passwd -6`"
    };
}

/// Why a stored hash was refused; each says what to do instead.
pub const PLAIN_TEXT: &str = concat!("a plain-text password, not a hash: ", make_one!());
pub const WEAK: &str = concat!("a weak hash ($apr1$, $1$, {SHA}, crypt DES): ", make_one!());
pub const UNSUPPORTED: &str = concat!(
    "an unsupported hash (bcrypt $2y$/$2b$/$2a$ and SHA-crypt $5$/$6$ are): ",
    make_one!()
);
pub const BAD_BCRYPT: &str = concat!(
    "a malformed bcrypt hash (`$2y$NN$` then 53 characters of ./A-Za-z0-9): ",
    make_one!()
);
pub const BCRYPT_COST: &str =
    "a bcrypt cost outside 4..=12: make a new hash with `htpasswd -nB -C 10 USER`";
pub const BAD_SHA_CRYPT: &str = concat!(
    "a malformed SHA-crypt hash (`$5$` or `$6$`, optional `rounds=N$` with N \
     at least 1000, a salt of at most 16 characters, `$`, 43 or 86 characters \
     of ./0-9A-Za-z): ",
    make_one!()
);
pub const SHA_CRYPT_ROUNDS: &str =
    "SHA-crypt rounds above 500000: make a new hash with `openssl passwd -6`";

/// Parses and checks a stored hash (the text after `user:`).
pub fn parse_hash(text: &[u8]) -> Result<Hash<'_>, &'static str> {
    if let Some(rest) = text.strip_prefix(b"$2") {
        return parse_bcrypt(rest);
    }
    if let Some(rest) = text.strip_prefix(b"$5$") {
        return parse_sha_crypt(Scheme::Sha256, rest);
    }
    if let Some(rest) = text.strip_prefix(b"$6$") {
        return parse_sha_crypt(Scheme::Sha512, rest);
    }
    if text.starts_with(b"$apr1$") || text.starts_with(b"$1$") || text.starts_with(b"{SHA}") {
        return Err(WEAK);
    }
    match text.first() {
        Some(b'$' | b'{') => Err(UNSUPPORTED),
        // Traditional DES crypt: 13 characters of the crypt alphabet, what
        // `htpasswd -d` writes. Anything else is a password as typed.
        _ if text.len() == 13 && text.iter().all(|c| CRYPT_ALPHABET.contains(c)) => Err(WEAK),
        _ => Err(PLAIN_TEXT),
    }
}

/// `$2` is stripped: `<minor>$<cost>$<salt><digest>`.
fn parse_bcrypt(rest: &[u8]) -> Result<Hash<'_>, &'static str> {
    // $2a$, $2b$ and $2y$ differ only for passwords of 256 bytes or more
    // (OpenBSD's 2014 fix), and bcrypt uses 72 of them; $2x$ is
    // crypt_blowfish's deliberately buggy variant and is refused.
    let rest = match rest {
        [b'a' | b'b' | b'y', b'$', rest @ ..] => rest,
        _ => return Err(UNSUPPORTED),
    };
    let [d1 @ b'0'..=b'9', d2 @ b'0'..=b'9', b'$', rest @ ..] = rest else {
        return Err(BAD_BCRYPT);
    };
    let cost = u32::from(d1 - b'0') * 10 + u32::from(d2 - b'0');
    let (salt, digest) = rest.split_at_checked(BCRYPT_SALT_CHARS).ok_or(BAD_BCRYPT)?;
    let mut salt_bytes = [0u8; 16];
    let mut digest_bytes = [0u8; 23];
    if digest.len() != BCRYPT_DIGEST_CHARS
        || !bcrypt_decode(salt, &mut salt_bytes)
        || !bcrypt_decode(digest, &mut digest_bytes)
    {
        return Err(BAD_BCRYPT);
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
    if let Some(after) = rest.strip_prefix(b"rounds=") {
        let end = after.iter().position(|&c| c == b'$').ok_or(BAD_SHA_CRYPT)?;
        let (digits, after) = after.split_at_checked(end).ok_or(BAD_SHA_CRYPT)?;
        // Digits only, no leading zero: what crypt(3) writes back.
        if digits.first() == Some(&b'0') {
            return Err(BAD_SHA_CRYPT);
        }
        let mut n = 0u32;
        for &d in digits {
            if !d.is_ascii_digit() {
                return Err(BAD_SHA_CRYPT);
            }
            n = n.saturating_mul(10).saturating_add(u32::from(d - b'0'));
        }
        if n < MIN_SHA_CRYPT_ROUNDS {
            return Err(BAD_SHA_CRYPT);
        }
        if n > MAX_SHA_CRYPT_ROUNDS {
            return Err(SHA_CRYPT_ROUNDS);
        }
        cost = n;
        rest = after.get(1..).unwrap_or_default();
    }
    let end = rest.iter().position(|&c| c == b'$').ok_or(BAD_SHA_CRYPT)?;
    let (salt, digest) = rest.split_at_checked(end).ok_or(BAD_SHA_CRYPT)?;
    let digest = digest.get(1..).unwrap_or_default();
    let want = match scheme {
        Scheme::Sha512 => SHA512_DIGEST_CHARS,
        _ => SHA256_DIGEST_CHARS,
    };
    // A salt is any bytes but `$` (glibc); ours must also keep the line a
    // line. The digest's spare bits are zero when crypt(3) wrote it.
    let salt_ok = salt.len() <= MAX_SHA_CRYPT_SALT_BYTES && salt.iter().all(|&c| c > b' ');
    let mut decoded = [0u8; 64];
    if !salt_ok || digest.len() != want || !crypt_decode(digest, &mut decoded) {
        return Err(BAD_SHA_CRYPT);
    }
    Ok(Hash {
        scheme,
        cost,
        salt,
        digest,
    })
}

/// Whether `password` matches `hash`: the digest is computed and encoded,
/// then compared with the stored one in constant time. A password with a
/// NUL never matches: crypt(3) would have stopped at it, so "ab\0cd"
/// would otherwise pass for "ab".
pub fn verify(hash: &Hash<'_>, password: &[u8]) -> bool {
    let mut encoded = [0u8; MAX_DIGEST_CHARS];
    let len = match hash.scheme {
        Scheme::Bcrypt => {
            let mut salt = [0u8; 16];
            if !bcrypt_decode(hash.salt, &mut salt) {
                return false;
            }
            let mut raw = bcrypt(hash.cost, &salt, password);
            let len = bcrypt_encode(raw.get(..23).unwrap_or_default(), &mut encoded);
            raw.zeroize();
            len
        }
        Scheme::Sha256 | Scheme::Sha512 => {
            let Ok(params) = Params::new(hash.cost) else {
                return false;
            };
            sha_crypt(hash.scheme, password, hash.salt, params, &mut encoded)
        }
    };
    let computed = encoded.get(..len).unwrap_or_default();
    let same = bool::from(computed.ct_eq(hash.digest));
    encoded.zeroize();
    same && !password.contains(&0)
}

/// SHA-crypt of `password` with `salt`, encoded into `out`; returns the
/// encoded length (43 or 86).
pub fn sha_crypt(
    scheme: Scheme,
    password: &[u8],
    salt: &[u8],
    params: Params,
    out: &mut [u8; MAX_DIGEST_CHARS],
) -> usize {
    if scheme == Scheme::Sha512 {
        let mut digest = sha_crypt::sha512_crypt(password, salt, params);
        let len = crypt_encode(&digest, out);
        digest.zeroize();
        len
    } else {
        let mut digest = sha_crypt::sha256_crypt(password, salt, params);
        let len = crypt_encode(&digest, out);
        digest.zeroize();
        len
    }
}

/// bcrypt of `password` (OpenBSD's `$2b$`: the password and its NUL, cut
/// to 72 bytes, is the key) with 2^`cost` key expansions; the 24 bytes
/// of the encrypted magic, of which the hash string keeps 23.
pub fn bcrypt(cost: u32, salt: &[u8; 16], password: &[u8]) -> [u8; 24] {
    let mut key = [0u8; BCRYPT_KEY_BYTES];
    let len = crate::buf::copy(&mut key, password);
    // The NUL after the password when it fits: `key` starts zeroed.
    let len = (len + 1).min(BCRYPT_KEY_BYTES);
    let out = bcrypt_raw(cost, salt, key.get(..len).unwrap_or(&key));
    key.zeroize();
    out
}

/// EksBlowfish (Provos and Mazières, §4) with `key` (1..=72 bytes), then
/// "OrpheanBeholderScryDoubt" encrypted 64 times in ECB mode.
fn bcrypt_raw(cost: u32, salt: &[u8; 16], key: &[u8]) -> [u8; 24] {
    let mut state = Blowfish::bc_init_state();
    state.salted_expand_key(salt, key);
    for _ in 0..1u64 << cost.min(31) {
        state.bc_expand_key(key);
        state.bc_expand_key(salt);
    }
    let mut words = BCRYPT_MAGIC;
    for pair in words.chunks_exact_mut(2) {
        if let [l, r] = pair {
            for _ in 0..64 {
                [*l, *r] = state.bc_encrypt([*l, *r]);
            }
        }
    }
    let mut out = [0u8; 24];
    for (word, bytes) in words.iter().zip(out.chunks_exact_mut(4)) {
        crate::buf::copy(bytes, &word.to_be_bytes());
    }
    out
}

/// Encodes `bytes` in bcrypt's base64 (most significant bits first, no
/// padding) into `out`; returns the characters written.
pub fn bcrypt_encode(bytes: &[u8], out: &mut [u8]) -> usize {
    let mut acc = 0u32;
    let mut bits = 0u32;
    let mut len = 0;
    let mut emit = |v: u32, len: &mut usize| {
        if let (Some(slot), Some(&c)) = (out.get_mut(*len), BCRYPT_ALPHABET.get(v as usize & 63)) {
            *slot = c;
            *len += 1;
        }
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
    let mut slots = out.iter_mut();
    for &c in text {
        let Some(v) = BCRYPT_ALPHABET.iter().position(|&a| a == c) else {
            return false;
        };
        acc = (acc << 6 | v as u32) & 0xfff;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            if let Some(slot) = slots.next() {
                *slot = (acc >> bits) as u8;
            }
        }
    }
    acc & ((1 << bits) - 1) == 0
}

/// The byte order of SHA-crypt's encoding (Drepper's spec, step 22):
/// for SHA-256 `(n, modulus, step)` = `(32, 30, 21)` gives the triples
/// (0,10,20), (21,1,11), (12,22,2), …; for SHA-512 `(64, 63, 22)` gives
/// (0,21,42), (22,43,1), (44,2,23), …. Each triple is one 24-bit group,
/// its first byte most significant; the last one or two bytes follow.
fn permutation(n: usize) -> (usize, usize) {
    if n == 64 { (63, 22) } else { (30, 21) }
}

/// Encodes a SHA-crypt digest (32 or 64 bytes) into `out`; returns the
/// characters written (43 or 86).
fn crypt_encode(digest: &[u8], out: &mut [u8]) -> usize {
    let byte = |i: usize| u32::from(digest.get(i).copied().unwrap_or(0));
    let (modulus, step) = permutation(digest.len());
    let third = modulus / 3;
    let mut len = 0;
    let mut emit = |mut w: u32, chars: usize| {
        for _ in 0..chars {
            if let (Some(slot), Some(&c)) = (out.get_mut(len), CRYPT_ALPHABET.get(w as usize & 63))
            {
                *slot = c;
                len += 1;
            }
            w >>= 6;
        }
    };
    for g in 0..third {
        let a = g * step % modulus;
        let b = (a + third) % modulus;
        let c = (a + 2 * third) % modulus;
        emit(byte(a) << 16 | byte(b) << 8 | byte(c), 4);
    }
    if digest.len() == 64 {
        emit(byte(63), 2);
    } else {
        emit(byte(31) << 8 | byte(30), 3);
    }
    len
}

/// Checks a SHA-crypt digest's characters (`text`: 43 or 86) and decodes
/// them into `out` in encoding order; false when a character is outside
/// the alphabet or the last group's spare bits are not zero.
fn crypt_decode(text: &[u8], out: &mut [u8]) -> bool {
    let mut len = 0;
    for group in text.chunks(4) {
        let mut w = 0u32;
        for (k, &c) in group.iter().enumerate() {
            let Some(v) = CRYPT_ALPHABET.iter().position(|&a| a == c) else {
                return false;
            };
            w |= (v as u32) << (6 * k);
        }
        // A whole group holds 24 bits; the last, shorter one holds 16
        // (SHA-256, 3 characters) or 8 (SHA-512, 2 characters).
        let bits = match group.len() {
            4 => 24,
            3 => 16,
            _ => 8,
        };
        if w >> bits != 0 {
            return false;
        }
        for shift in [16u32, 8, 0] {
            if shift < bits
                && let Some(slot) = out.get_mut(len)
            {
                *slot = (w >> shift) as u8;
                len += 1;
            }
        }
    }
    true
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
            ("secret", PLAIN_TEXT),
            ("", PLAIN_TEXT),
            ("password123456", PLAIN_TEXT),
            // htpasswd -m, -s, -d and md5crypt.
            ("$apr1$9JxUzbLp$0Zp8zGfAJOGXyXVHKqCEt/", WEAK),
            ("{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", WEAK),
            ("abJnggxhB/yWI", WEAK),
            ("$1$saltsalt$qjXMvbEw8oaL.CzflDugX/", WEAK),
            ("{SSHA}abcdef", UNSUPPORTED),
            ("$y$j9T$salt$hash", UNSUPPORTED),
            ("$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", UNSUPPORTED),
            (&BCRYPT.replacen("$2y$", "$2x$", 1), UNSUPPORTED),
            (&BCRYPT.replacen("$2y$", "$2$", 1), UNSUPPORTED),
            (&BCRYPT.replacen("$05$", "$5$", 1), BAD_BCRYPT),
            (&BCRYPT.replacen("$05$", "$0a$", 1), BAD_BCRYPT),
            (&BCRYPT[..BCRYPT.len() - 1], BAD_BCRYPT),
            (&format!("{BCRYPT}W"), BAD_BCRYPT),
            (&BCRYPT.replacen("CC", "C!", 1), BAD_BCRYPT),
            // Spare bits set in the salt's last character, and the digest's.
            (&BCRYPT.replacen("C.E5", "CCE5", 1), BAD_BCRYPT),
            (&BCRYPT.replacen("eW", "eX", 1), BAD_BCRYPT),
            (&BCRYPT.replacen("$05$", "$03$", 1), BCRYPT_COST),
            (&BCRYPT.replacen("$05$", "$13$", 1), BCRYPT_COST),
            (&BCRYPT.replacen("$05$", "$99$", 1), BCRYPT_COST),
            ("$5$", BAD_SHA_CRYPT),
            ("$5$salt", BAD_SHA_CRYPT),
            ("$5$salt$", BAD_SHA_CRYPT),
            ("$5$rounds=5000", BAD_SHA_CRYPT),
            (&SHA256.replacen("$5$", "$5$rounds=999$", 1), BAD_SHA_CRYPT),
            (&SHA256.replacen("$5$", "$5$rounds=$", 1), BAD_SHA_CRYPT),
            (&SHA256.replacen("$5$", "$5$rounds=5k$", 1), BAD_SHA_CRYPT),
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
                BAD_SHA_CRYPT,
            ),
            (
                &SHA256.replacen("saltstring", "salt string", 1),
                BAD_SHA_CRYPT,
            ),
            (&SHA256.replacen("$5$", "$6$", 1), BAD_SHA_CRYPT),
            (&sha512.replacen("$6$", "$5$", 1), BAD_SHA_CRYPT),
            (&format!("{SHA256}."), BAD_SHA_CRYPT),
            (&SHA256.replacen("/", "+", 1), BAD_SHA_CRYPT),
            // Spare bits set in the last character (SHA-256: 16 of 18 bits
            // used, SHA-512: 8 of 12).
            (&SHA256.replacen("Ec5", "EcE", 1), BAD_SHA_CRYPT),
            (&sha512.replacen("z1", "z2", 1), BAD_SHA_CRYPT),
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
        assert!(BAD_SHA_CRYPT.contains(&MIN_SHA_CRYPT_ROUNDS.to_string()));
        assert!(BAD_SHA_CRYPT.contains(&MAX_SHA_CRYPT_SALT_BYTES.to_string()));
        assert_eq!(
            Params::RECOMMENDED,
            Params::new(DEFAULT_SHA_CRYPT_ROUNDS).unwrap()
        );
        for reason in [PLAIN_TEXT, WEAK, UNSUPPORTED, BAD_BCRYPT, BAD_SHA_CRYPT] {
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
            let digest: Vec<u8> = (0..n as u8).collect();
            let mut text = [0u8; MAX_DIGEST_CHARS];
            assert_eq!(crypt_encode(&digest, &mut text), chars);
            let mut back = vec![0u8; n];
            assert!(crypt_decode(&text[..chars], &mut back));
            back.sort();
            assert_eq!(back, digest, "a permutation of the digest");
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
            let n = bcrypt_encode(&bcrypt(4, &salt, &password)[..23], &mut chars);
            text.push_str(std::str::from_utf8(&chars[..n]).unwrap());
            let hash = parse_hash(text.as_bytes()).unwrap();
            assert!(verify(&hash, &password));
            let mut wrong = password.clone();
            wrong.push(b'!');
            assert_eq!(verify(&hash, &wrong), password.len() >= 72);
        }
    }
}
