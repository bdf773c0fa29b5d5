//! The TLS 1.3 key schedule (RFC 8446 §7.1): HKDF-Extract, the
//! `HKDF-Expand-Label` and `Derive-Secret` functions, and the running
//! transcript hash (§4.4.1), for SHA-256 and SHA-384 suites. HMAC comes
//! from the `hmac` crate; HKDF's two steps are written on it (RFC 5869
//! defines each as one HMAC for the lengths TLS 1.3 uses) and checked
//! against the `hkdf` crate and RFC 8448's traces in the tests.

use hmac::{Hmac, KeyInit, Mac};
use sha2::digest::Digest;
use sha2::{Sha256, Sha384};
use zeroize::Zeroize;

/// The longest hash output: SHA-384's.
pub const MAX_HASH_BYTES: usize = 48;

/// The hash of a cipher suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hash {
    Sha256,
    Sha384,
}

impl Hash {
    /// Bytes of its output (`Hash.length` in RFC 8446).
    #[allow(clippy::len_without_is_empty)] // a hash is never empty
    pub const fn len(self) -> usize {
        match self {
            Hash::Sha256 => 32,
            Hash::Sha384 => 48,
        }
    }
}

/// A secret or hash value of up to `MAX_HASH_BYTES`; the first
/// `hash.len()` bytes are used. Zeroized when dropped.
#[derive(Clone)]
pub struct Secret {
    bytes: [u8; MAX_HASH_BYTES],
    len: u8,
}

impl Secret {
    /// `len` zero bytes (the "0" input of §7.1).
    pub const fn zero(hash: Hash) -> Secret {
        Secret {
            bytes: [0; MAX_HASH_BYTES],
            len: hash.len() as u8,
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or_default()
    }

    fn from(bytes: &[u8]) -> Secret {
        let mut secret = Secret {
            bytes: [0; MAX_HASH_BYTES],
            len: bytes.len().min(MAX_HASH_BYTES) as u8,
        };
        crate::buf::copy(&mut secret.bytes, bytes);
        secret
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

/// HKDF-Extract(salt, IKM) (RFC 5869 §2.2): by its definition,
/// HMAC-Hash(salt, IKM).
pub fn extract(hash: Hash, salt: &[u8], ikm: &[u8]) -> Secret {
    hmac(hash, salt, ikm)
}

/// HKDF-Expand-Label(secret, label, context, out.len()) (§7.1): the
/// label gets its "tls13 " prefix here. Every output TLS 1.3 asks for
/// (keys, IVs, secrets, finished keys) is at most one hash long, so
/// HKDF-Expand (RFC 5869 §2.3) is its first block alone:
/// T(1) = HMAC-Hash(PRK, info | 0x01). (The `hkdf` crate's general
/// `expand` carries an `expect`, which would bring a panic path into the
/// binary; both HKDF steps are HMAC from the `hmac` crate.)
pub fn expand_label(hash: Hash, secret: &[u8], label: &[u8], context: &[u8], out: &mut [u8]) {
    let length = (out.len() as u16).to_be_bytes();
    let label_len = [(b"tls13 ".len() + label.len()) as u8];
    let context_len = [context.len() as u8];
    let info: [&[u8]; 7] = [
        &length,
        &label_len,
        b"tls13 ",
        label,
        &context_len,
        context,
        &[1],
    ];
    crate::buf::copy(out, mac(hash, secret, &info).as_bytes());
}

/// A `hash.len()`-byte secret from HKDF-Expand-Label.
pub fn expand_secret(hash: Hash, secret: &[u8], label: &[u8], context: &[u8]) -> Secret {
    let mut out = Secret::zero(hash);
    let len = hash.len();
    if let Some(bytes) = out.bytes.get_mut(..len) {
        expand_label(hash, secret, label, context, bytes);
    }
    out
}

/// Derive-Secret(secret, label, messages) given the transcript hash of
/// the messages (§7.1).
pub fn derive_secret(hash: Hash, secret: &[u8], label: &[u8], transcript: &Secret) -> Secret {
    expand_secret(hash, secret, label, transcript.as_bytes())
}

/// HMAC(key, data) with the suite's hash: the Finished MAC (§4.4.4).
pub fn hmac(hash: Hash, key: &[u8], data: &[u8]) -> Secret {
    mac(hash, key, &[data])
}

/// HMAC(key, the concatenation of `parts`).
fn mac(hash: Hash, key: &[u8], parts: &[&[u8]]) -> Secret {
    fn run<M: Mac + KeyInit>(hash: Hash, key: &[u8], parts: &[&[u8]]) -> Secret {
        // HMAC takes keys of any length: this never fails.
        let Ok(mut m) = <M as KeyInit>::new_from_slice(key) else {
            return Secret::zero(hash);
        };
        for part in parts {
            m.update(part);
        }
        Secret::from(&m.finalize().into_bytes())
    }
    match hash {
        Hash::Sha256 => run::<Hmac<Sha256>>(hash, key, parts),
        Hash::Sha384 => run::<Hmac<Sha384>>(hash, key, parts),
    }
}

/// The running hash of the handshake messages (§4.4.1).
#[derive(Clone)]
pub enum Transcript {
    Sha256(Sha256),
    Sha384(Sha384),
}

impl Transcript {
    pub fn new(hash: Hash) -> Transcript {
        match hash {
            Hash::Sha256 => Transcript::Sha256(Sha256::new()),
            Hash::Sha384 => Transcript::Sha384(Sha384::new()),
        }
    }

    pub fn hash(&self) -> Hash {
        match self {
            Transcript::Sha256(_) => Hash::Sha256,
            Transcript::Sha384(_) => Hash::Sha384,
        }
    }

    pub fn update(&mut self, message: &[u8]) {
        match self {
            Transcript::Sha256(h) => h.update(message),
            Transcript::Sha384(h) => h.update(message),
        }
    }

    /// The hash of the messages so far; the transcript goes on.
    pub fn current(&self) -> Secret {
        match self {
            Transcript::Sha256(h) => Secret::from(&h.clone().finalize()),
            Transcript::Sha384(h) => Secret::from(&h.clone().finalize()),
        }
    }
}

/// The secrets of one handshake, in the order §7.1 derives them.
pub struct Schedule {
    pub hash: Hash,
    /// The Handshake Secret until the server Finished, then the Master
    /// Secret.
    secret: Secret,
}

impl Schedule {
    /// From the (EC)DHE shared secret, with no PSK: Early Secret, then
    /// Handshake Secret.
    pub fn handshake(hash: Hash, shared: &[u8]) -> Schedule {
        let zero = Secret::zero(hash);
        let early = extract(hash, zero.as_bytes(), zero.as_bytes());
        let empty = Transcript::new(hash).current();
        let derived = derive_secret(hash, early.as_bytes(), b"derived", &empty);
        Schedule {
            hash,
            secret: extract(hash, derived.as_bytes(), shared),
        }
    }

    /// `(client, server)` traffic secrets from the current stage's secret
    /// at `transcript`: handshake ("hs") or application ("ap").
    pub fn traffic(&self, stage: &[u8; 2], transcript: &Secret) -> (Secret, Secret) {
        let mut label = *b"c xx traffic";
        if let Some(at) = label.get_mut(2..4) {
            crate::buf::copy(at, stage);
        }
        let client = derive_secret(self.hash, self.secret.as_bytes(), &label, transcript);
        label[0] = b's';
        let server = derive_secret(self.hash, self.secret.as_bytes(), &label, transcript);
        (client, server)
    }

    /// Handshake Secret → Master Secret.
    pub fn to_master(&mut self) {
        let empty = Transcript::new(self.hash).current();
        let derived = derive_secret(self.hash, self.secret.as_bytes(), b"derived", &empty);
        let zero = Secret::zero(self.hash);
        self.secret = extract(self.hash, derived.as_bytes(), zero.as_bytes());
    }
}

/// The verify_data of a Finished message sent with `base_key` (a
/// handshake traffic secret) over the transcript hash `transcript`
/// (§4.4.4).
pub fn finished(hash: Hash, base_key: &Secret, transcript: &Secret) -> Secret {
    let key = expand_secret(hash, base_key.as_bytes(), b"finished", b"");
    hmac(hash, key.as_bytes(), transcript.as_bytes())
}

/// The next application traffic secret (§7.2).
pub fn next_traffic(hash: Hash, secret: &Secret) -> Secret {
    expand_secret(hash, secret.as_bytes(), b"traffic upd", b"")
}
