//! The ClientHello parser (RFC 8446 §4.1.2): a byte cursor over the
//! message body that keeps only what the server decides with, as borrowed
//! slices. Anything malformed is a `decode_error`; what is well-formed
//! but forbidden is `illegal_parameter` (§6.2).

use crate::tls::Alert;
use crate::tls::record::Suite;

/// Extension code points (§4.2, RFC 6066, RFC 7301).
const SUPPORTED_GROUPS: u16 = 10;
const SIGNATURE_ALGORITHMS: u16 = 13;
const ALPN: u16 = 16;
const PRE_SHARED_KEY: u16 = 41;
const EARLY_DATA: u16 = 42;
const SUPPORTED_VERSIONS: u16 = 43;
const KEY_SHARE: u16 = 51;

/// Named groups (§4.2.7).
pub const X25519: u16 = 0x001d;
pub const SECP256R1: u16 = 0x0017;

/// TLS 1.3's version number (§4.2.1).
pub const TLS13: u16 = 0x0304;

/// ecdsa_secp256r1_sha256 (§4.2.3): the one signature our P-256 key
/// makes.
pub const ECDSA_P256_SHA256: u16 = 0x0403;

/// Bytes of an X25519 public key (RFC 7748) and of an uncompressed P-256
/// point (§4.2.8.2).
pub const X25519_KEY_BYTES: usize = 32;
pub const P256_KEY_BYTES: usize = 65;

/// A cursor over a message: every read either yields the bytes it asks
/// for or a `decode_error`.
pub struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf }
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    pub fn take(&mut self, n: usize) -> Result<&'a [u8], Alert> {
        if n > self.buf.len() {
            return Err(Alert::DecodeError);
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }

    pub fn u8(&mut self) -> Result<u8, Alert> {
        Ok(self.take(1)?.first().copied().unwrap_or(0))
    }

    pub fn u16(&mut self) -> Result<u16, Alert> {
        let b = self.take(2)?;
        Ok(b.iter().fold(0, |n, &x| n << 8 | u16::from(x)))
    }

    /// A vector with a one-byte length (`<0..2^8-1>`).
    pub fn vec8(&mut self) -> Result<&'a [u8], Alert> {
        let n = self.u8()?;
        self.take(usize::from(n))
    }

    /// A vector with a two-byte length.
    pub fn vec16(&mut self) -> Result<Reader<'a>, Alert> {
        let n = self.u16()?;
        Ok(Reader::new(self.take(usize::from(n))?))
    }

    /// The rest as two-byte values; an odd length is a decode error.
    fn u16s(mut self) -> impl Iterator<Item = Result<u16, Alert>> + 'a {
        core::iter::from_fn(move || (!self.is_empty()).then(|| self.u16()))
    }
}

/// ALPN (RFC 7301): what the client offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alpn {
    /// No ALPN extension: answer with none.
    Absent,
    /// "http/1.1" is among the protocols.
    Http11,
    /// Protocols, but not ours: `no_application_protocol` (§3.2).
    Other,
}

/// What the server needs from a ClientHello.
#[derive(Debug)]
pub struct ClientHello<'a> {
    pub session_id: &'a [u8],
    /// Our pick among the client's suites (see `Suite`).
    pub suite: Option<Suite>,
    /// The client's key shares for the groups we know.
    pub x25519: Option<&'a [u8]>,
    pub p256: Option<&'a [u8]>,
    /// The groups of ours the client supports.
    pub groups_x25519: bool,
    pub groups_p256: bool,
    pub signs_p256: bool,
    pub alpn: Alpn,
    /// It announces 0-RTT data, which we skip (§4.2.10).
    pub early_data: bool,
}

/// Parses a ClientHello body (after the 4-byte handshake header).
pub fn parse(body: &[u8]) -> Result<ClientHello<'_>, Alert> {
    let mut r = Reader::new(body);
    let _legacy_version = r.u16()?;
    let _random = r.take(32)?;
    let session_id = r.vec8()?;
    if session_id.len() > 32 {
        return Err(Alert::DecodeError);
    }
    let mut hello = ClientHello {
        session_id,
        suite: None,
        x25519: None,
        p256: None,
        groups_x25519: false,
        groups_p256: false,
        signs_p256: false,
        alpn: Alpn::Absent,
        early_data: false,
    };
    let suites = r.vec16()?;
    let (mut first, mut aes128) = (None, false);
    for id in suites.u16s() {
        let suite = Suite::from_id(id?);
        first = first.or(suite);
        aes128 |= suite == Some(Suite::Aes128Gcm);
    }
    hello.suite = match first {
        Some(Suite::ChaCha20Poly1305) => first,
        _ if aes128 => Some(Suite::Aes128Gcm),
        _ => first,
    };
    let compression = r.vec8()?;
    let mut tls13 = false;
    let mut seen: u64 = 0;
    let mut has = [false; 3]; // supported_groups, signature_algorithms, key_share
    let mut extensions = if r.is_empty() {
        Reader::new(&[])
    } else {
        r.vec16()?
    };
    if !r.is_empty() {
        return Err(Alert::DecodeError);
    }
    while !extensions.is_empty() {
        let kind = extensions.u16()?;
        let mut data = extensions.vec16()?;
        if kind < 64 {
            if seen & (1 << kind) != 0 {
                return Err(Alert::IllegalParameter);
            }
            seen |= 1 << kind;
        }
        match kind {
            SUPPORTED_VERSIONS => {
                let versions = data.vec8()?;
                if versions.len() % 2 != 0 {
                    return Err(Alert::DecodeError);
                }
                tls13 = versions.chunks(2).any(|v| v == TLS13.to_be_bytes());
            }
            SUPPORTED_GROUPS => {
                has[0] = true;
                for group in data.vec16()?.u16s() {
                    match group? {
                        X25519 => hello.groups_x25519 = true,
                        SECP256R1 => hello.groups_p256 = true,
                        _ => {}
                    }
                }
            }
            SIGNATURE_ALGORITHMS => {
                has[1] = true;
                for scheme in data.vec16()?.u16s() {
                    hello.signs_p256 |= scheme? == ECDSA_P256_SHA256;
                }
            }
            KEY_SHARE => {
                has[2] = true;
                let mut shares = data.vec16()?;
                while !shares.is_empty() {
                    let group = shares.u16()?;
                    let key = shares.vec16()?.take_rest();
                    let slot = match group {
                        X25519 if key.len() == X25519_KEY_BYTES => &mut hello.x25519,
                        SECP256R1 if key.len() == P256_KEY_BYTES => &mut hello.p256,
                        X25519 | SECP256R1 => return Err(Alert::IllegalParameter),
                        _ => continue,
                    };
                    // One share per group (§4.2.8).
                    if slot.replace(key).is_some() {
                        return Err(Alert::IllegalParameter);
                    }
                }
            }
            ALPN => {
                let mut names = data.vec16()?;
                if names.is_empty() {
                    return Err(Alert::DecodeError);
                }
                hello.alpn = Alpn::Other;
                while !names.is_empty() {
                    let name = names.vec8()?;
                    if name.is_empty() {
                        return Err(Alert::DecodeError);
                    }
                    if name == b"http/1.1" {
                        hello.alpn = Alpn::Http11;
                    }
                }
            }
            EARLY_DATA => hello.early_data = true,
            // Must be the last extension (§4.2.11); we never resume, so
            // its identities are ignored.
            PRE_SHARED_KEY if !extensions.is_empty() => return Err(Alert::IllegalParameter),
            // server_name is accepted whatever it holds (RFC 6066 forbids
            // IP literals, but clients send them); the certificate is the
            // same for every name. Unknown extensions are ignored (§4.1.2).
            _ => continue,
        }
        if !data.is_empty() {
            return Err(Alert::DecodeError);
        }
    }
    if !tls13 {
        return Err(Alert::ProtocolVersion);
    }
    if compression != [0] {
        return Err(Alert::IllegalParameter);
    }
    if has.contains(&false) {
        return Err(Alert::MissingExtension);
    }
    // Shares only for groups the client lists as supported (§4.2.8).
    if (hello.x25519.is_some() && !hello.groups_x25519)
        || (hello.p256.is_some() && !hello.groups_p256)
    {
        return Err(Alert::IllegalParameter);
    }
    Ok(hello)
}

impl<'a> Reader<'a> {
    /// All that is left.
    pub fn take_rest(self) -> &'a [u8] {
        self.buf
    }
}
