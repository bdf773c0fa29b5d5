//! Loads the server's ECDSA P-256 private key from PEM text, in the three
//! forms tools write: `PRIVATE KEY` (PKCS#8, RFC 5208 §5 / RFC 5958 §2),
//! `EC PRIVATE KEY` (SEC1, RFC 5915 §3) and `ENCRYPTED PRIVATE KEY`
//! (RFC 5958 §3, PBES2 with PBKDF2-HMAC-SHA256 and AES-256-CBC: what
//! `openssl pkcs8 -topk8 -v2 aes-256-cbc` writes, and the default of
//! `openssl genpkey -aes256`). Other blocks in the file (certificates,
//! `EC PARAMETERS`) are skipped, so the key may share the certificate's
//! file. Every other key type or encryption is refused with an error that
//! says how to make a key that works. Decoded and decrypted secrets live in
//! buffers that are zeroed before `load` returns.

use crate::tls::der::{self, CONTEXT_0, CONTEXT_1, DerError, OID, Reader, SEQUENCE, oid};
use crate::tls::pem;
use aes::cipher::{BlockDecryptMut, KeyIvInit};
use p256::ecdsa::SigningKey;
use subtle::{ConstantTimeEq, ConstantTimeGreater, ConstantTimeLess};
use zeroize::Zeroizing;

/// The largest decoded key block: room for a PKCS#8 RSA key of 8192 bits
/// (about 4.9 KiB), so that it is recognised and named as RSA rather than
/// called malformed. A P-256 key takes under 300 bytes.
pub const MAX_KEY_DER_BYTES: usize = 8192;

/// The most PBKDF2 iterations we run, a few seconds of start-up: openssl
/// writes 2048, and a corrupt count must not hang the server.
pub const MAX_PBKDF2_ITERATIONS: u32 = 10_000_000;

/// Bytes of a P-256 private scalar (RFC 5915 §3: ceiling(log2(n)/8)).
const SCALAR_BYTES: usize = 32;

/// Bytes of an AES-256 key, and of the CBC IV and block (FIPS 197,
/// SP 800-38A).
const AES256_KEY_BYTES: usize = 32;
const AES_BLOCK_BYTES: usize = 16;

/// AES-256-CBC decryption, as PBES2 uses it (RFC 8018 §B.2.5).
type Aes256CbcDec = cbc::Decryptor<aes::Aes256>;

/// Why no key was loaded; `message` says it in one line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyError {
    /// No private key block in the file.
    NoKey,
    /// The key block is not valid PEM, DER, PKCS#8 or SEC1.
    Malformed,
    /// The key is encrypted and no password was given.
    NeedsPassword,
    /// The password does not decrypt the key.
    WrongPassword,
    /// An RSA key.
    Rsa,
    /// An EC key on another curve than P-256 (P-384, P-521, …).
    UnsupportedCurve,
    /// Another key type (Ed25519, Ed448, DSA, an OpenSSH key, …).
    Unsupported,
    /// An encrypted key whose scheme is not PBES2 with
    /// PBKDF2-HMAC-SHA256 and AES-256-CBC (SHA-1 PRF, scrypt, 3DES, …).
    UnsupportedEncryption,
    /// A key encrypted in the traditional openssl way (`Proc-Type:` and
    /// `DEK-Info:` headers inside the block).
    LegacyEncrypted,
}

impl KeyError {
    /// One line for the operator, naming the fix where there is one.
    pub fn message(self) -> &'static str {
        match self {
            KeyError::NoKey => "no private key in the key file",
            KeyError::Malformed => "the private key is malformed (not valid PEM, PKCS#8 or SEC1)",
            KeyError::NeedsPassword => {
                "the private key is encrypted; give its password with --tls-password-file"
            }
            KeyError::WrongPassword => "wrong password for the private key",
            KeyError::Rsa => {
                "RSA keys are not supported; make an ECDSA P-256 key: mkcert -ecdsa, \
                 or openssl ecparam -genkey -name prime256v1"
            }
            KeyError::UnsupportedCurve => {
                "only the P-256 curve is supported (this EC key is on another); make one: \
                 mkcert -ecdsa, or openssl ecparam -genkey -name prime256v1"
            }
            KeyError::Unsupported => {
                "only ECDSA P-256 keys are supported (this is another type, e.g. Ed25519); \
                 make one: mkcert -ecdsa, or openssl ecparam -genkey -name prime256v1"
            }
            KeyError::UnsupportedEncryption => {
                "the key's encryption is not supported; re-encrypt it: openssl pkcs8 -topk8 \
                 -v2 aes-256-cbc -v2prf hmacWithSHA256 -in key.pem -out new.pem"
            }
            KeyError::LegacyEncrypted => {
                "traditional encrypted PEM keys are not supported; convert it: \
                 openssl pkcs8 -topk8 -v2 aes-256-cbc -in key.pem -out new.pem"
            }
        }
    }
}

impl From<DerError> for KeyError {
    fn from(_: DerError) -> Self {
        KeyError::Malformed
    }
}

/// What a PEM label says the block holds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    Pkcs8,
    Sec1,
    Encrypted,
}

/// Loads the first private key in `pem`. `password` is the password
/// file's content without its trailing newline.
pub fn load(pem: &[u8], password: Option<&[u8]>) -> Result<SigningKey, KeyError> {
    let mut buf = Zeroizing::new([0u8; MAX_KEY_DER_BYTES]);
    for block in pem::blocks(pem) {
        let block = block.map_err(|_| KeyError::Malformed)?;
        let form = match block.label {
            b"PRIVATE KEY" => Form::Pkcs8,
            b"EC PRIVATE KEY" => Form::Sec1,
            b"ENCRYPTED PRIVATE KEY" => Form::Encrypted,
            b"RSA PRIVATE KEY" => return Err(KeyError::Rsa),
            b"DSA PRIVATE KEY" | b"OPENSSH PRIVATE KEY" => return Err(KeyError::Unsupported),
            _ => continue,
        };
        if block.has_headers() {
            return Err(KeyError::LegacyEncrypted);
        }
        let len = block
            .decode(&mut buf[..])
            .map_err(|_| KeyError::Malformed)?;
        let der = buf.get_mut(..len).ok_or(KeyError::Malformed)?;
        return match form {
            Form::Pkcs8 => pkcs8(der),
            Form::Sec1 => sec1(der),
            Form::Encrypted => decrypt(der, password.ok_or(KeyError::NeedsPassword)?),
        };
    }
    Err(KeyError::NoKey)
}

/// A PKCS#8 OneAsymmetricKey (RFC 5958 §2): version 0 or 1, the
/// algorithm, then the ECPrivateKey in an OCTET STRING (RFC 5915 §1).
/// Attributes and the optional public key after it are not needed.
fn pkcs8(der: &[u8]) -> Result<SigningKey, KeyError> {
    let mut outer = Reader::new(der);
    let mut info = outer.sequence()?;
    outer.finish()?;
    if info.small_uint()? > 1 {
        return Err(KeyError::Malformed);
    }
    let mut algorithm = info.sequence()?;
    match algorithm.oid()? {
        // RFC 5480 §2.1.1: the parameters are the namedCurve OID.
        oid::EC_PUBLIC_KEY => match algorithm.any()? {
            (OID, oid::P256) => {}
            _ => return Err(KeyError::UnsupportedCurve),
        },
        oid::RSA | oid::RSA_PSS => return Err(KeyError::Rsa),
        _ => return Err(KeyError::Unsupported),
    }
    sec1(info.octet_string()?)
}

/// A SEC1 ECPrivateKey (RFC 5915 §3): version 1, the private scalar, the
/// curve (optional: PKCS#8 names it outside) and the public key
/// (optional; when present it must match the scalar).
fn sec1(der: &[u8]) -> Result<SigningKey, KeyError> {
    let mut outer = Reader::new(der);
    let mut key = outer.sequence()?;
    outer.finish()?;
    if key.small_uint()? != 1 {
        return Err(KeyError::Malformed);
    }
    let secret = key.octet_string()?;
    if let Some(params) = key.optional(CONTEXT_0)? {
        // ECParameters (RFC 5480 §2.1.1): a named curve, never explicit
        // parameters (a SEQUENCE) nor implicitCA (NULL).
        let mut params = Reader::new(params);
        match params.any()? {
            (OID, oid::P256) => params.finish()?,
            _ => return Err(KeyError::UnsupportedCurve),
        }
    }
    let public = key.optional(CONTEXT_1)?;
    // A longer scalar is another curve's (48 bytes for P-384).
    if secret.len() > SCALAR_BYTES {
        return Err(KeyError::UnsupportedCurve);
    }
    // Some encoders drop leading zero bytes: put them back.
    let mut scalar = Zeroizing::new([0u8; SCALAR_BYTES]);
    let offset = SCALAR_BYTES.saturating_sub(secret.len());
    for (dst, src) in scalar.iter_mut().skip(offset).zip(secret) {
        *dst = *src;
    }
    let signing = SigningKey::from_slice(&scalar[..]).map_err(|_| KeyError::Malformed)?;
    if let Some(public) = public {
        let point = Reader::new(public).bit_string()?;
        let compressed = point.len() < 65;
        let ours = signing.verifying_key().to_sec1_point(compressed);
        if ours.as_bytes() != point {
            return Err(KeyError::Malformed);
        }
    }
    Ok(signing)
}

/// The PBES2 parameters we accept (RFC 8018 §A.4): PBKDF2 with a salt,
/// an iteration count, an optional key length of 32 and the PRF
/// hmacWithSHA256, then AES-256-CBC with its IV.
struct Pbes2<'a> {
    salt: &'a [u8],
    iterations: u32,
    iv: &'a [u8],
}

/// Reads an EncryptedPrivateKeyInfo's algorithm (RFC 5958 §3) and returns
/// its parameters and the length of the encrypted data, which ends the
/// input.
fn pbes2(der: &[u8]) -> Result<(Pbes2<'_>, usize), KeyError> {
    let unsupported = KeyError::UnsupportedEncryption;
    let mut outer = Reader::new(der);
    let mut info = outer.sequence()?;
    outer.finish()?;
    let mut algorithm = info.sequence()?;
    if algorithm.oid()? != oid::PBES2 {
        return Err(unsupported);
    }
    let mut params = algorithm.sequence()?;
    let mut kdf = params.sequence()?;
    if kdf.oid()? != oid::PBKDF2 {
        return Err(unsupported);
    }
    // PBKDF2-params (RFC 8018 §A.2).
    let mut kdf_params = kdf.sequence()?;
    let salt = match kdf_params.any()? {
        (der::OCTET_STRING, salt) => salt,
        _ => return Err(unsupported),
    };
    let iterations = kdf_params.small_uint()?;
    if iterations == 0 || iterations > MAX_PBKDF2_ITERATIONS {
        return Err(unsupported);
    }
    if kdf_params.peek_tag() == Some(der::INTEGER)
        && kdf_params.small_uint()? != AES256_KEY_BYTES as u32
    {
        return Err(KeyError::Malformed);
    }
    // The PRF defaults to hmacWithSHA1 when absent: refused.
    let mut prf = Reader::new(kdf_params.optional(SEQUENCE)?.ok_or(unsupported)?);
    if prf.oid()? != oid::HMAC_SHA256 {
        return Err(unsupported);
    }
    prf.optional(der::NULL)?;
    prf.finish()?;
    kdf_params.finish()?;
    let mut cipher = params.sequence()?;
    if cipher.oid()? != oid::AES256_CBC {
        return Err(unsupported);
    }
    let iv = cipher.octet_string()?;
    cipher.finish()?;
    let encrypted = info.octet_string()?;
    info.finish()?;
    if iv.len() != AES_BLOCK_BYTES || encrypted.is_empty() || encrypted.len() % AES_BLOCK_BYTES != 0
    {
        return Err(KeyError::Malformed);
    }
    let pbes2 = Pbes2 {
        salt,
        iterations,
        iv,
    };
    Ok((pbes2, encrypted.len()))
}

/// Decrypts an ENCRYPTED PRIVATE KEY in place (RFC 8018 §6.2.2) and loads
/// the PKCS#8 key inside. With a wrong password the padding or the DER is
/// garbage: both say `WrongPassword`.
fn decrypt(der: &mut [u8], password: &[u8]) -> Result<SigningKey, KeyError> {
    let mut key = Zeroizing::new([0u8; AES256_KEY_BYTES]);
    let (params, encrypted_len) = pbes2(der)?;
    pbkdf2::pbkdf2::<hmac::Hmac<sha2::Sha256>>(
        password,
        params.salt,
        params.iterations,
        &mut key[..],
    )
    .map_err(|_| KeyError::Malformed)?;
    let iv = <[u8; AES_BLOCK_BYTES]>::try_from(params.iv).map_err(|_| KeyError::Malformed)?;
    let start = der.len().saturating_sub(encrypted_len);
    let data = der.get_mut(start..).ok_or(KeyError::Malformed)?;
    let mut cbc = Aes256CbcDec::new_from_slices(&key[..], &iv).map_err(|_| KeyError::Malformed)?;
    for chunk in data.chunks_exact_mut(AES_BLOCK_BYTES) {
        cbc.decrypt_block_mut(aes::Block::from_mut_slice(chunk));
    }
    let len = unpad(data).ok_or(KeyError::WrongPassword)?;
    let plain = data.get(..len).ok_or(KeyError::WrongPassword)?;
    pkcs8(plain).map_err(|e| match e {
        KeyError::Malformed => KeyError::WrongPassword,
        other => other,
    })
}

/// The length of `data` without its PKCS#7 padding (RFC 8018 §6.1.1 step
/// 4, RFC 5652 §6.3): 1 to 16 bytes, each the pad length. The last block
/// is checked whole, without branching on its bytes.
fn unpad(data: &[u8]) -> Option<usize> {
    let pad = *data.last()?;
    if data.len() < AES_BLOCK_BYTES {
        return None;
    }
    let mut bad = pad.ct_eq(&0) | pad.ct_gt(&(AES_BLOCK_BYTES as u8));
    for (i, byte) in (0u8..).zip(data.iter().rev().take(AES_BLOCK_BYTES)) {
        bad |= i.ct_lt(&pad) & !byte.ct_eq(&pad);
    }
    if bool::from(bad) {
        None
    } else {
        data.len().checked_sub(usize::from(pad))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PUBLIC: &[u8; 65] = include_bytes!("testdata/p256-pub.bin");

    /// A fixture: its name, its PEM text and the password given.
    type Fixture = (&'static str, &'static [u8], Option<&'static [u8]>);

    /// A fixture and the error it must give.
    type Refusal = (&'static str, &'static [u8], Option<&'static [u8]>, KeyError);

    fn public_of(key: &SigningKey) -> Vec<u8> {
        key.verifying_key().to_sec1_point(false).as_bytes().to_vec()
    }

    #[test]
    fn every_good_form_loads_the_same_key() {
        let forms: &[Fixture] = &[
            (
                "sec1 with params",
                include_bytes!("testdata/p256-sec1-params.pem"),
                None,
            ),
            (
                "sec1 without params",
                include_bytes!("testdata/p256-sec1-noparams.pem"),
                None,
            ),
            (
                "sec1 without public",
                include_bytes!("testdata/p256-sec1-nopub.pem"),
                None,
            ),
            ("pkcs8", include_bytes!("testdata/p256-pkcs8.pem"), None),
            (
                "pkcs8 ignores password",
                include_bytes!("testdata/p256-pkcs8.pem"),
                Some(b"x"),
            ),
            (
                "encrypted",
                include_bytes!("testdata/p256-pkcs8-aes256.pem"),
                Some(b"secret"),
            ),
            (
                "after a certificate",
                include_bytes!("testdata/p256-cert-and-key.pem"),
                None,
            ),
        ];
        for &(name, pem, password) in forms {
            let key = load(pem, password).unwrap_or_else(|e| panic!("{name}: {e:?}"));
            assert_eq!(public_of(&key), PUBLIC, "{name}");
        }
    }

    #[test]
    fn refuses_what_it_cannot_use() {
        let cases: &[Refusal] = &[
            (
                "wrong password",
                include_bytes!("testdata/p256-pkcs8-aes256.pem"),
                Some(b"secreT"),
                KeyError::WrongPassword,
            ),
            (
                "empty password",
                include_bytes!("testdata/p256-pkcs8-aes256.pem"),
                Some(b""),
                KeyError::WrongPassword,
            ),
            (
                "no password",
                include_bytes!("testdata/p256-pkcs8-aes256.pem"),
                None,
                KeyError::NeedsPassword,
            ),
            (
                "sha-1 prf",
                include_bytes!("testdata/p256-pkcs8-sha1prf.pem"),
                Some(b"secret"),
                KeyError::UnsupportedEncryption,
            ),
            (
                "aes-128",
                include_bytes!("testdata/p256-pkcs8-aes128.pem"),
                Some(b"secret"),
                KeyError::UnsupportedEncryption,
            ),
            (
                "scrypt",
                include_bytes!("testdata/p256-pkcs8-scrypt.pem"),
                Some(b"secret"),
                KeyError::UnsupportedEncryption,
            ),
            (
                "legacy encryption",
                include_bytes!("testdata/p256-legacy-enc.pem"),
                Some(b"secret"),
                KeyError::LegacyEncrypted,
            ),
            (
                "rsa",
                include_bytes!("testdata/rsa-trad.pem"),
                None,
                KeyError::Rsa,
            ),
            (
                "rsa pkcs8",
                include_bytes!("testdata/rsa-pkcs8.pem"),
                None,
                KeyError::Rsa,
            ),
            (
                "rsa encrypted",
                include_bytes!("testdata/rsa-pkcs8-aes256.pem"),
                Some(b"secret"),
                KeyError::Rsa,
            ),
            (
                "p-384",
                include_bytes!("testdata/p384-sec1.pem"),
                None,
                KeyError::UnsupportedCurve,
            ),
            (
                "p-384 pkcs8",
                include_bytes!("testdata/p384-pkcs8.pem"),
                None,
                KeyError::UnsupportedCurve,
            ),
            (
                "ed25519",
                include_bytes!("testdata/ed25519.pem"),
                None,
                KeyError::Unsupported,
            ),
            (
                "cert only",
                include_bytes!("testdata/p256-cert.pem"),
                None,
                KeyError::NoKey,
            ),
            ("empty", b"", None, KeyError::NoKey),
        ];
        for &(name, pem, password, expect) in cases {
            assert_eq!(load(pem, password).err(), Some(expect), "{name}");
            assert!(!expect.message().is_empty());
        }
        assert!(KeyError::Rsa.message().contains("prime256v1"));
    }

    #[test]
    fn a_mismatched_public_key_is_malformed() {
        // Flip a bit of the public key in the SEC1 fixture's DER.
        let pem = include_bytes!("testdata/p256-sec1-noparams.pem");
        let block = pem::blocks(pem).next().unwrap().unwrap();
        let mut der = [0u8; 256];
        let n = block.decode(&mut der).unwrap();
        der[n - 1] ^= 1;
        assert_eq!(sec1(&der[..n]).err(), Some(KeyError::Malformed));
    }

    #[test]
    fn padding_is_checked() {
        let mut block = [7u8; 16];
        block[15] = 1;
        assert_eq!(unpad(&block), Some(15));
        assert_eq!(unpad(&[16u8; 16]), Some(0));
        assert_eq!(unpad(&[3u8; 32]), Some(29));
        let mut bad = [3u8; 16];
        bad[13] = 2;
        assert_eq!(unpad(&bad), None);
        assert_eq!(unpad(&[0u8; 16]), None);
        assert_eq!(unpad(&[17u8; 32]), None);
        assert_eq!(unpad(&[1u8; 8]), None);
        assert_eq!(unpad(&[]), None);
    }

    #[test]
    fn truncations_and_flips_never_panic() {
        for (pem, password) in [
            (&include_bytes!("testdata/p256-pkcs8.pem")[..], None),
            (include_bytes!("testdata/p256-sec1-params.pem"), None),
            (
                include_bytes!("testdata/p256-pkcs8-aes256.pem"),
                Some(&b"secret"[..]),
            ),
        ] {
            for n in 0..pem.len() {
                let _ = load(&pem[..n], password);
            }
            // Flipping bits of the DER itself reaches the parsers; an
            // encrypted key pays PBKDF2 each time, so only a sample there.
            let block = pem::blocks(pem).last().unwrap().unwrap();
            let mut der = [0u8; 512];
            let n = block.decode(&mut der).unwrap();
            let step = if password.is_some() { 13 } else { 1 };
            for i in (0..n * 8).step_by(step) {
                let mut flipped = der;
                flipped[i / 8] ^= 1 << (i % 8);
                let _ = pkcs8(&flipped[..n]);
                let _ = sec1(&flipped[..n]);
                if let Some(password) = password {
                    let _ = decrypt(&mut flipped[..n], password);
                }
            }
            for m in 0..n {
                let mut cut = der;
                let _ = pkcs8(&cut[..m]);
                let _ = sec1(&cut[..m]);
                let _ = decrypt(&mut cut[..m], b"secret");
            }
        }
    }
}
