//! The AEADs of TLS 1.3's cipher suites (RFC 8446 §5.2, §B.4):
//! AES-128-GCM, AES-256-GCM and ChaCha20-Poly1305, from the RustCrypto
//! crates, behind three non-generic functions. This crate exists only so
//! that the crates' generic code is instantiated, and optimized for speed,
//! here rather than in the size-optimized server (see Cargo.toml). No
//! protocol logic lives here: nonces, additional data and record framing
//! are `httpd::tls::record`'s.

#![no_std]

use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes128Gcm, Aes256Gcm};
use chacha20poly1305::ChaCha20Poly1305;
use chacha20poly1305::aead::{AeadInOut, KeyInit as _};

/// Bytes of a nonce and of a tag: the same for the three.
pub const NONCE_BYTES: usize = 12;
pub const TAG_BYTES: usize = 16;

/// Which AEAD.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Aes128Gcm,
    Aes256Gcm,
    ChaCha20Poly1305,
}

/// A keyed AEAD. (Its variants differ in size, but a `no_std` server has
/// no heap to box the big ones into, and a connection holds two.) The
/// key schedules are zeroized when it drops.
#[allow(clippy::large_enum_variant)]
pub enum Aead {
    Aes128(Aes128Gcm),
    Aes256(Aes256Gcm),
    ChaCha(ChaCha20Poly1305),
}

impl Aead {
    /// The AEAD `kind` keyed with `key`; None if the key has the wrong
    /// length (16 bytes for AES-128, 32 for the others).
    #[inline(never)]
    pub fn new(kind: Kind, key: &[u8]) -> Option<Aead> {
        match kind {
            Kind::Aes128Gcm => Aes128Gcm::new_from_slice(key).ok().map(Aead::Aes128),
            Kind::Aes256Gcm => Aes256Gcm::new_from_slice(key).ok().map(Aead::Aes256),
            Kind::ChaCha20Poly1305 => ChaCha20Poly1305::new_from_slice(key).ok().map(Aead::ChaCha),
        }
    }

    /// Encrypts `text` in place; returns the tag, or None for a text over
    /// the AEAD's limit (never a TLS record).
    #[inline(never)]
    pub fn seal(
        &self,
        nonce: &[u8; NONCE_BYTES],
        aad: &[u8],
        text: &mut [u8],
    ) -> Option<[u8; TAG_BYTES]> {
        match self {
            Aead::Aes128(c) => c
                .encrypt_in_place_detached(nonce.into(), aad, text)
                .ok()
                .map(Into::into),
            Aead::Aes256(c) => c
                .encrypt_in_place_detached(nonce.into(), aad, text)
                .ok()
                .map(Into::into),
            Aead::ChaCha(c) => c
                .encrypt_inout_detached(&(*nonce).into(), aad, text.into())
                .ok()
                .map(Into::into),
        }
    }

    /// Decrypts `text` in place if `tag` authenticates it with `aad`;
    /// false (and `text` unusable) if not.
    #[inline(never)]
    pub fn open(
        &self,
        nonce: &[u8; NONCE_BYTES],
        aad: &[u8],
        text: &mut [u8],
        tag: &[u8; TAG_BYTES],
    ) -> bool {
        match self {
            Aead::Aes128(c) => c
                .decrypt_in_place_detached(nonce.into(), aad, text, tag.into())
                .is_ok(),
            Aead::Aes256(c) => c
                .decrypt_in_place_detached(nonce.into(), aad, text, tag.into())
                .is_ok(),
            Aead::ChaCha(c) => c
                .decrypt_inout_detached(&(*nonce).into(), aad, text.into(), &(*tag).into())
                .is_ok(),
        }
    }
}
