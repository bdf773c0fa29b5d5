//! The server's certificate chain: loads the `CERTIFICATE` blocks of a PEM
//! file into a fixed buffer (leaf first, as the TLS 1.3 Certificate
//! message sends them, RFC 8446 §4.4.2), reads what the server needs from
//! the leaf (its validity and its public key, RFC 5280 §4.1), builds a
//! self-signed certificate for a key when none is given, and formats the
//! SHA-256 fingerprint that browsers show. Only ECDSA P-256 keys are used:
//! anything else is refused with a message that says how to make one.

use crate::tls::der::{
    self, BIT_STRING, BOOLEAN, CONTEXT_0, CONTEXT_3, DerError, INTEGER, OCTET_STRING, OID, Reader,
    SEQUENCE, SET, UTF8_STRING, Writer, context_primitive, oid,
};
use crate::tls::pem::{self, PemError};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use sha2::{Digest, Sha256};

/// The most bytes of DER certificates in a chain: the whole first server
/// flight (ServerHello … Finished) must fit one 16 KiB TLS record, and a
/// Let's Encrypt chain (leaf and intermediate) is about 4 KiB.
pub const MAX_CHAIN_BYTES: usize = 12 * 1024;

/// The most certificates in a chain: a leaf and its intermediates; real
/// chains have two or three, and more would not fit `MAX_CHAIN_BYTES`.
pub const MAX_CERTS: usize = 6;

/// Characters of a fingerprint: 32 bytes as two hex digits each, with 31
/// colons between (`AB:CD:…`), as `openssl x509 -fingerprint -sha256`
/// prints it.
pub const FINGERPRINT_BYTES: usize = 95;

/// The longest DNS name in a subjectAltName (RFC 1035 §2.3.4: 253
/// characters in text form).
pub const MAX_DNS_NAME_BYTES: usize = 253;

/// The longest common name (RFC 5280 §A.1 ub-common-name); a longer first
/// DNS name leaves the subject as `CN=httpd`.
pub const MAX_COMMON_NAME_BYTES: usize = 64;

/// The earliest and latest times a certificate can carry: 0000-01-01
/// and 9999-12-31 23:59:59 UTC, the range of GeneralizedTime's four-digit
/// year (RFC 5280 §4.1.2.5.2).
pub const MIN_CERT_TIME: i64 = -62_167_219_200;
pub const MAX_CERT_TIME: i64 = 253_402_300_799;

/// Bytes of an uncompressed P-256 point (SEC1 §2.3.3: 0x04, x, y) and of a
/// compressed one (0x02 or 0x03, x).
const POINT_BYTES: usize = 65;
const COMPRESSED_POINT_BYTES: usize = 33;

/// The common name when no DNS name is given.
const DEFAULT_NAME: &[u8] = b"httpd";

/// Why a certificate was refused or could not be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertError {
    /// No `CERTIFICATE` block in the file.
    NoCertificate,
    /// Bad PEM, or a certificate that is not valid DER X.509.
    Malformed,
    /// The chain is larger than `MAX_CHAIN_BYTES`, or the output buffer
    /// is too small for the certificate being built.
    TooLarge,
    /// The chain has more than `MAX_CERTS` certificates.
    TooMany,
    /// The leaf certificate holds an RSA key.
    Rsa,
    /// The leaf certificate's key is not ECDSA P-256.
    KeyType,
    /// A name given for a self-signed certificate is empty, too long, not
    /// printable ASCII, or an address that is not 4 or 16 bytes.
    BadName,
    /// The validity of a self-signed certificate ends before it starts or
    /// lies outside the years 0-9999.
    BadTime,
}

impl CertError {
    /// One line for the operator, naming the fix where there is one.
    pub fn message(self) -> &'static str {
        match self {
            CertError::NoCertificate => "no CERTIFICATE block in the certificate file",
            CertError::Malformed => "the certificate file is malformed (bad PEM or X.509 DER)",
            CertError::TooLarge => "the certificate chain is larger than 12 KiB",
            CertError::TooMany => "the certificate chain has more than 6 certificates",
            CertError::Rsa => {
                "RSA certificates are not supported; make an ECDSA P-256 key and certificate: \
                 mkcert -ecdsa, or openssl ecparam -genkey -name prime256v1"
            }
            CertError::KeyType => {
                "the certificate's key is not ECDSA P-256, the only type supported; make one: \
                 mkcert -ecdsa, or openssl ecparam -genkey -name prime256v1"
            }
            CertError::BadName => "a certificate name is not a DNS name or an IP address",
            CertError::BadTime => "the certificate validity is out of range",
        }
    }
}

impl From<DerError> for CertError {
    fn from(_: DerError) -> Self {
        CertError::Malformed
    }
}

/// DER certificates back to back in a fixed buffer, leaf first.
#[derive(Clone, Debug)]
pub struct Chain {
    bytes: [u8; MAX_CHAIN_BYTES],
    len: usize,
    /// Where each certificate ends in `bytes`.
    ends: [u16; MAX_CERTS],
    count: usize,
}

impl Default for Chain {
    fn default() -> Self {
        Self::new()
    }
}

impl Chain {
    /// An empty chain.
    pub const fn new() -> Self {
        Chain {
            bytes: [0; MAX_CHAIN_BYTES],
            len: 0,
            ends: [0; MAX_CERTS],
            count: 0,
        }
    }

    /// Replaces the chain with every `CERTIFICATE` block of `pem`, in
    /// order; other blocks (a private key) are skipped. On error the chain
    /// is left empty.
    pub fn load(&mut self, pem: &[u8]) -> Result<(), CertError> {
        self.clear();
        let result = self.load_blocks(pem);
        if result.is_err() {
            self.clear();
        }
        result
    }

    fn load_blocks(&mut self, pem: &[u8]) -> Result<(), CertError> {
        for block in pem::blocks(pem) {
            let block = block.map_err(|_| CertError::Malformed)?;
            if block.label != b"CERTIFICATE" {
                continue;
            }
            if self.count >= MAX_CERTS {
                return Err(CertError::TooMany);
            }
            let free = self.bytes.get_mut(self.len..).unwrap_or(&mut []);
            let len = block.decode(free).map_err(|e| match e {
                PemError::TooLarge => CertError::TooLarge,
                _ => CertError::Malformed,
            })?;
            self.commit(len)?;
        }
        if self.count == 0 {
            return Err(CertError::NoCertificate);
        }
        Ok(())
    }

    /// Appends one DER certificate (the self-signed one).
    pub fn push_der(&mut self, der: &[u8]) -> Result<(), CertError> {
        if self.count >= MAX_CERTS {
            return Err(CertError::TooMany);
        }
        let end = self.len.checked_add(der.len()).ok_or(CertError::TooLarge)?;
        let free = self
            .bytes
            .get_mut(self.len..end)
            .ok_or(CertError::TooLarge)?;
        crate::buf::copy(free, der);
        self.commit(der.len())
    }

    /// Records the `len` bytes just written after the last certificate,
    /// once they are one DER SEQUENCE and nothing else.
    fn commit(&mut self, len: usize) -> Result<(), CertError> {
        let end = self.len.checked_add(len).ok_or(CertError::TooLarge)?;
        let der = self.bytes.get(self.len..end).ok_or(CertError::TooLarge)?;
        let mut reader = Reader::new(der);
        reader.sequence()?;
        reader.finish()?;
        let slot = self.ends.get_mut(self.count).ok_or(CertError::TooMany)?;
        *slot = u16::try_from(end).map_err(|_| CertError::TooLarge)?;
        self.len = end;
        self.count += 1;
        Ok(())
    }

    /// Empties the chain.
    pub fn clear(&mut self) {
        self.len = 0;
        self.count = 0;
    }

    /// The number of certificates.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Certificate `i` (0 is the leaf), DER.
    pub fn cert(&self, i: usize) -> Option<&[u8]> {
        if i >= self.count {
            return None;
        }
        let start = match i.checked_sub(1) {
            Some(prev) => usize::from(*self.ends.get(prev)?),
            None => 0,
        };
        let end = usize::from(*self.ends.get(i)?);
        self.bytes.get(start..end)
    }

    /// The certificates in order, leaf first.
    pub fn certs(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.count).filter_map(|i| self.cert(i))
    }

    /// The leaf certificate, or nothing when the chain is empty.
    pub fn leaf(&self) -> &[u8] {
        self.cert(0).unwrap_or(&[])
    }
}

/// What the server needs from its leaf certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Leaf<'a> {
    /// The SEC1-encoded P-256 point of the SubjectPublicKeyInfo.
    pub public_key: &'a [u8],
    /// The validity period, Unix seconds (RFC 5280 §4.1.2.5).
    pub not_before: i64,
    pub not_after: i64,
}

/// Reads the validity and the public key of a DER certificate (RFC 5280
/// §4.1: Certificate, TBSCertificate, SubjectPublicKeyInfo). The key must
/// be id-ecPublicKey on prime256v1 (RFC 5480 §2.1.1).
pub fn leaf(der: &[u8]) -> Result<Leaf<'_>, CertError> {
    let mut outer = Reader::new(der);
    let mut cert = outer.sequence()?;
    outer.finish()?;
    let mut tbs = cert.sequence()?;
    tbs.optional(CONTEXT_0)?; // version
    // The serial is taken as it is: RFC 5280 §4.1.2.2 warns of
    // non-conforming ones (negative, or longer than 20 bytes) in use.
    tbs.read(INTEGER)?;
    tbs.sequence()?; // signature algorithm
    tbs.sequence()?; // issuer
    let mut validity = tbs.sequence()?;
    let not_before = validity.time()?;
    let not_after = validity.time()?;
    validity.finish()?;
    tbs.sequence()?; // subject
    let mut spki = tbs.sequence()?;
    let mut algorithm = spki.sequence()?;
    match algorithm.oid()? {
        oid::EC_PUBLIC_KEY => match algorithm.any()? {
            (OID, oid::P256) => {}
            _ => return Err(CertError::KeyType),
        },
        oid::RSA | oid::RSA_PSS => return Err(CertError::Rsa),
        _ => return Err(CertError::KeyType),
    }
    let public_key = spki.bit_string()?;
    let well_formed = match public_key {
        [0x04, ..] => public_key.len() == POINT_BYTES,
        [0x02 | 0x03, ..] => public_key.len() == COMPRESSED_POINT_BYTES,
        _ => false,
    };
    if !well_formed {
        return Err(CertError::Malformed);
    }
    Ok(Leaf {
        public_key,
        not_before,
        not_after,
    })
}

/// Builds a v3 X.509 certificate for `key`, signed by itself (RFC 5280
/// §4.1), into `out`; returns its length. The subject and issuer are
/// `CN=<first DNS name>` (or `CN=httpd`): browsers match names against the
/// subjectAltName only, which lists `dns` (dNSName) and `ips` (iPAddress,
/// 4 or 16 bytes each). The extensions are those of a server leaf:
/// basicConstraints CA:FALSE and keyUsage digitalSignature (both
/// critical), extKeyUsage serverAuth. The serial's top bit is cleared and
/// the next one set, so it is a positive 16-byte INTEGER (§4.1.2.2). The
/// signature is ECDSA with SHA-256 (RFC 5758 §3.2), deterministic
/// (RFC 6979).
pub fn self_signed(
    key: &SigningKey,
    dns: &[&[u8]],
    ips: &[&[u8]],
    not_before: i64,
    not_after: i64,
    serial: &[u8; 16],
    out: &mut [u8],
) -> Result<usize, CertError> {
    let dns_ok = |name: &&[u8]| {
        (1..=MAX_DNS_NAME_BYTES).contains(&name.len()) && name.iter().all(u8::is_ascii_graphic)
    };
    if !dns.iter().all(dns_ok) || !ips.iter().all(|ip| matches!(ip.len(), 4 | 16)) {
        return Err(CertError::BadName);
    }
    if not_before > not_after || not_before < MIN_CERT_TIME || not_after > MAX_CERT_TIME {
        return Err(CertError::BadTime);
    }
    let common_name = match dns.first() {
        Some(name) if name.len() <= MAX_COMMON_NAME_BYTES => name,
        _ => DEFAULT_NAME,
    };
    let mut serial = *serial;
    if let Some(top) = serial.first_mut() {
        *top = (*top & 0x7f) | 0x40;
    }
    let point = key.verifying_key().to_sec1_point(false);

    let mut w = Writer::new(out);
    let certificate = w.start(SEQUENCE);
    let tbs_start = w.position();
    let tbs = w.start(SEQUENCE);
    let version = w.start(CONTEXT_0);
    w.tlv(INTEGER, &[2]); // v3
    w.end(version);
    w.unsigned(&serial);
    algorithm(&mut w);
    name(&mut w, common_name); // issuer
    let validity = w.start(SEQUENCE);
    w.time(not_before);
    w.time(not_after);
    w.end(validity);
    name(&mut w, common_name); // subject
    let spki = w.start(SEQUENCE);
    let spki_algorithm = w.start(SEQUENCE);
    w.tlv(OID, oid::EC_PUBLIC_KEY);
    w.tlv(OID, oid::P256);
    w.end(spki_algorithm);
    let bits = w.start(BIT_STRING);
    w.bytes(&[0]);
    w.bytes(point.as_bytes());
    w.end(bits);
    w.end(spki);
    let extensions_tag = w.start(CONTEXT_3);
    let extensions = w.start(SEQUENCE);
    if !dns.is_empty() || !ips.is_empty() {
        // §4.2.1.6: GeneralNames with dNSName [2] and iPAddress [7].
        let ext = extension(&mut w, oid::SUBJECT_ALT_NAME, false);
        let names = w.start(SEQUENCE);
        for name in dns {
            w.tlv(context_primitive(2), name);
        }
        for ip in ips {
            w.tlv(context_primitive(7), ip);
        }
        w.end(names);
        end_extension(&mut w, ext);
    }
    // §4.2.1.9: cA defaults to FALSE, so the SEQUENCE is empty.
    let ext = extension(&mut w, oid::BASIC_CONSTRAINTS, true);
    w.tlv(SEQUENCE, &[]);
    end_extension(&mut w, ext);
    // §4.2.1.3: digitalSignature is bit 0; seven unused bits.
    let ext = extension(&mut w, oid::KEY_USAGE, true);
    w.tlv(BIT_STRING, &[7, 0x80]);
    end_extension(&mut w, ext);
    // §4.2.1.12.
    let ext = extension(&mut w, oid::EXT_KEY_USAGE, false);
    let purposes = w.start(SEQUENCE);
    w.tlv(OID, oid::SERVER_AUTH);
    w.end(purposes);
    end_extension(&mut w, ext);
    w.end(extensions);
    w.end(extensions_tag);
    w.end(tbs);

    let signature: Signature = key
        .try_sign(w.written_since(tbs_start))
        .map_err(|_| CertError::Malformed)?;
    let mut der = [0u8; der::MAX_ECDSA_DER_BYTES];
    let der_len = der::ecdsa_signature(&signature.to_bytes(), &mut der);
    algorithm(&mut w);
    let bits = w.start(BIT_STRING);
    w.bytes(&[0]);
    w.bytes(der.get(..der_len).unwrap_or_default());
    w.end(bits);
    w.end(certificate);
    w.finish().map_err(|_| CertError::TooLarge)
}

/// The AlgorithmIdentifier ecdsa-with-SHA256, parameters absent (RFC 5758
/// §3.2).
fn algorithm(w: &mut Writer) {
    let mark = w.start(SEQUENCE);
    w.tlv(OID, oid::ECDSA_SHA256);
    w.end(mark);
}

/// A Name of one RDN, commonName as a UTF8String (RFC 5280 §4.1.2.4).
fn name(w: &mut Writer, common_name: &[u8]) {
    let rdns = w.start(SEQUENCE);
    let rdn = w.start(SET);
    let attribute = w.start(SEQUENCE);
    w.tlv(OID, oid::COMMON_NAME);
    w.tlv(UTF8_STRING, common_name);
    w.end(attribute);
    w.end(rdn);
    w.end(rdns);
}

/// Starts an Extension (RFC 5280 §4.1): its id, criticality (DEFAULT
/// FALSE, so written only when TRUE) and the OCTET STRING that wraps its
/// value, which the caller writes before `end_extension`.
fn extension(w: &mut Writer, id: &[u8], critical: bool) -> (der::Mark, der::Mark) {
    let ext = w.start(SEQUENCE);
    w.tlv(OID, id);
    if critical {
        w.tlv(BOOLEAN, &[0xff]);
    }
    let value = w.start(OCTET_STRING);
    (ext, value)
}

/// Ends an Extension begun by `extension`.
fn end_extension(w: &mut Writer, (ext, value): (der::Mark, der::Mark)) {
    w.end(value);
    w.end(ext);
}

/// Writes the SHA-256 of `der` as uppercase hex pairs joined by colons.
pub fn fingerprint(der: &[u8], out: &mut [u8; FINGERPRINT_BYTES]) {
    let digest = Sha256::digest(der);
    let hex = |n: u8| if n < 10 { b'0' + n } else { b'A' + n - 10 };
    for (slot, byte) in out.chunks_mut(3).zip(digest.iter()) {
        for (dst, src) in slot.iter_mut().zip([hex(byte >> 4), hex(byte & 0xf), b':']) {
            *dst = src;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::VerifyingKey;
    use p256::ecdsa::signature::Verifier;
    use std::process::Command;

    const CHAIN: &[u8] = include_bytes!("testdata/chain3.pem");
    const PUBLIC: &[u8; 65] = include_bytes!("testdata/p256-pub.bin");

    /// `openssl x509 -noout -fingerprint -sha256` of chain3.pem's blocks.
    const CHAIN_FINGERPRINTS: [&str; 3] = [
        "9F:F9:61:5C:9D:08:1B:84:43:9D:44:48:DB:FC:03:8B:43:3A:7E:9F:FB:A8:10:B9:1E:A4:F6:79:74:1C:83:2B",
        "F4:26:32:4E:19:89:86:FA:E6:41:C9:71:CF:1D:94:0F:A2:95:E3:5E:A4:35:D8:1A:D6:9E:8F:D1:19:47:4D:60",
        "0E:DD:DA:75:3B:71:BC:E1:B6:EF:D6:1A:21:21:9E:D6:9C:FB:EB:FE:AF:19:38:18:CB:46:D3:6C:4A:5F:E6:79",
    ];

    fn fingerprint_of(der: &[u8]) -> String {
        let mut out = [0u8; FINGERPRINT_BYTES];
        fingerprint(der, &mut out);
        String::from_utf8(out.to_vec()).unwrap()
    }

    fn key() -> SigningKey {
        crate::tls::key::load(include_bytes!("testdata/p256-pkcs8.pem"), None).unwrap()
    }

    #[test]
    fn loads_a_chain_in_order_past_text() {
        let mut chain = Chain::new();
        chain.load(CHAIN).unwrap();
        assert_eq!(chain.count(), 3);
        let prints: Vec<_> = chain.certs().map(fingerprint_of).collect();
        assert_eq!(prints, CHAIN_FINGERPRINTS);
        assert_eq!(chain.leaf(), chain.cert(0).unwrap());
        assert_eq!(chain.cert(3), None);
        let leaf = leaf(chain.leaf()).unwrap();
        assert_eq!(leaf.public_key, PUBLIC);
        assert_eq!(leaf.not_before, 1_795_917_038); // Nov 29 01:50:38 2026 GMT
        assert_eq!(leaf.not_after, 1_803_693_038); // Feb 27 01:50:38 2027 GMT
        // Loading again replaces the chain.
        chain
            .load(include_bytes!("testdata/p256-cert-and-key.pem"))
            .unwrap();
        assert_eq!(chain.count(), 1);
        assert_eq!(leaf_of(&chain).public_key, PUBLIC);
    }

    fn leaf_of(chain: &Chain) -> Leaf<'_> {
        leaf(chain.leaf()).unwrap()
    }

    #[test]
    fn reads_generalized_time_validity() {
        let mut chain = Chain::new();
        chain
            .load(include_bytes!("testdata/p256-cert-2135.pem"))
            .unwrap();
        let leaf = leaf_of(&chain);
        assert_eq!(leaf.not_before, 1_795_917_038);
        assert_eq!(leaf.not_after, 5_251_917_038); // Jun 5 01:50:38 2136 GMT
    }

    #[test]
    fn refuses_other_key_types() {
        for (pem, expect) in [
            (&include_bytes!("testdata/rsa-cert.pem")[..], CertError::Rsa),
            (include_bytes!("testdata/p384-cert.pem"), CertError::KeyType),
            (
                include_bytes!("testdata/ed25519-cert.pem"),
                CertError::KeyType,
            ),
        ] {
            let mut chain = Chain::new();
            chain.load(pem).unwrap();
            assert_eq!(leaf(chain.leaf()), Err(expect));
        }
        assert!(CertError::Rsa.message().contains("RSA"));
    }

    /// A PEM CERTIFICATE block holding a DER SEQUENCE of `size` bytes.
    fn fake_cert(size: usize) -> String {
        use base64::Engine;
        let mut der = vec![0x30, 0x82, (size >> 8) as u8, size as u8];
        der.resize(size + 4, 0x55);
        let text = base64::engine::general_purpose::STANDARD.encode(der);
        format!("-----BEGIN CERTIFICATE-----\n{text}\n-----END CERTIFICATE-----\n")
    }

    #[test]
    fn load_errors_leave_the_chain_empty() {
        let mut chain = Chain::new();
        let key_only = include_bytes!("testdata/p256-pkcs8.pem");
        assert_eq!(chain.load(key_only), Err(CertError::NoCertificate));
        assert_eq!(chain.load(b""), Err(CertError::NoCertificate));
        let seven = fake_cert(300).repeat(MAX_CERTS + 1);
        assert_eq!(chain.load(seven.as_bytes()), Err(CertError::TooMany));
        assert_eq!(chain.count(), 0);
        let six = fake_cert(300).repeat(MAX_CERTS);
        chain.load(six.as_bytes()).unwrap();
        assert_eq!(chain.count(), MAX_CERTS);
        let big = fake_cert(MAX_CHAIN_BYTES / 3).repeat(3);
        assert_eq!(chain.load(big.as_bytes()), Err(CertError::TooLarge));
        assert_eq!(chain.count(), 0);
        assert_eq!(chain.leaf(), b"");
        let exact = fake_cert(MAX_CHAIN_BYTES / 2 - 4).repeat(2);
        chain.load(exact.as_bytes()).unwrap();
        assert_eq!(chain.count(), 2);
        let not_der = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert_eq!(chain.load(not_der.as_bytes()), Err(CertError::Malformed));
        let unterminated = "-----BEGIN CERTIFICATE-----\nAAAA\n";
        assert_eq!(
            chain.load(unterminated.as_bytes()),
            Err(CertError::Malformed)
        );
    }

    #[test]
    fn push_der_appends() {
        let mut chain = Chain::new();
        let mut out = [0u8; 1024];
        let n = self_signed(&key(), &[], &[], 0, 1, &[1; 16], &mut out).unwrap();
        chain.push_der(&out[..n]).unwrap();
        assert_eq!(chain.leaf(), &out[..n]);
        assert_eq!(chain.push_der(&[0x30, 0x01]), Err(CertError::Malformed));
        assert_eq!(chain.count(), 1);
        assert_eq!(
            chain.push_der(&vec![0u8; MAX_CHAIN_BYTES]),
            Err(CertError::TooLarge)
        );
    }

    #[test]
    fn fingerprint_matches_openssl() {
        let mut chain = Chain::new();
        chain
            .load(include_bytes!("testdata/p256-cert.pem"))
            .unwrap();
        assert_eq!(
            fingerprint_of(chain.leaf()),
            "F2:AB:A2:0F:D6:82:80:EB:1B:66:41:CE:B7:EB:F7:8F:4C:5A:73:47:86:C7:4D:03:FE:9D:9E:F2:9D:26:1E:FD"
        );
    }

    /// Builds the self-signed certificate the tests check.
    fn build(not_after: i64) -> Vec<u8> {
        let dns: &[&[u8]] = &[b"localhost", b"example.test"];
        let ips: &[&[u8]] = &[
            &[127, 0, 0, 1],
            &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
        ];
        let mut out = [0u8; 2048];
        let n = self_signed(
            &key(),
            dns,
            ips,
            1_795_917_038,
            not_after,
            &[0xff; 16],
            &mut out,
        )
        .unwrap();
        out[..n].to_vec()
    }

    /// Python's `cryptography` (strict DER, as browsers parse) reads a
    /// certificate, checks its self-signature, and prints its fields as
    /// JSON; `None` (with a note) where it is missing.
    fn oracle(der: &[u8]) -> Option<serde_json::Value> {
        const SCRIPT: &str = r#"
import json, sys
from datetime import timezone
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
c = x509.load_der_x509_certificate(sys.stdin.buffer.read())
c.public_key().verify(c.signature, c.tbs_certificate_bytes,
                      ec.ECDSA(c.signature_hash_algorithm))
def utc(c, name):  # cryptography < 42 has only the naive datetimes
    aware = getattr(c, name + "_utc", None)
    return aware or getattr(c, name).replace(tzinfo=timezone.utc)
def ext(kind):
    try:
        e = c.extensions.get_extension_for_class(kind)
        return e.critical, e.value
    except x509.ExtensionNotFound:
        return None, None
san_critical, san = ext(x509.SubjectAlternativeName)
bc_critical, bc = ext(x509.BasicConstraints)
ku_critical, ku = ext(x509.KeyUsage)
eku_critical, eku = ext(x509.ExtendedKeyUsage)
print(json.dumps({
    "version": c.version.name,
    "serial_bits": c.serial_number.bit_length(),
    "subject": c.subject.rfc4514_string(),
    "issuer": c.issuer.rfc4514_string(),
    "not_before": int(utc(c, "not_valid_before").timestamp()),
    "not_after": int(utc(c, "not_valid_after").timestamp()),
    "signature": c.signature_algorithm_oid.dotted_string,
    "curve": c.public_key().curve.name,
    "public": c.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint).hex(),
    "san": None if san is None else [san_critical,
        san.get_values_for_type(x509.DNSName),
        [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]],
    "bc": [bc_critical, bc.ca],
    "ku": [ku_critical, ku.digital_signature, ku.key_encipherment, ku.key_cert_sign],
    "eku": [eku_critical, [oid.dotted_string for oid in eku]],
    "extensions": len(c.extensions),
}))
"#;
        use std::io::Write;
        let child = Command::new("python3")
            .args(["-c", SCRIPT])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn();
        let Ok(mut child) = child else {
            println!("python3 not installed; skipping");
            return None;
        };
        child.stdin.take().unwrap().write_all(der).unwrap();
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        if stderr.contains("No module named 'cryptography'") {
            println!("python3 cryptography not installed; skipping");
            return None;
        }
        assert!(out.status.success(), "{stderr}");
        Some(serde_json::from_slice(&out.stdout).unwrap())
    }

    /// The TBSCertificate and the DER signature of a certificate.
    fn tbs_and_signature(der: &[u8]) -> (&[u8], &[u8]) {
        let mut cert = Reader::new(der).sequence().unwrap();
        let before = cert.remaining();
        cert.sequence().unwrap();
        let tbs = &before[..before.len() - cert.remaining().len()];
        cert.sequence().unwrap();
        let signature = cert.bit_string().unwrap();
        cert.finish().unwrap();
        (tbs, signature)
    }

    #[test]
    fn self_signed_parses_with_the_oracle() {
        for not_after in [1_827_453_038, 2_871_763_200 /* 2061 */] {
            let der = build(not_after);
            // Our own reader, and p256, agree on the basics.
            let ours = leaf(&der).unwrap();
            assert_eq!(ours.public_key, PUBLIC);
            assert_eq!(
                (ours.not_before, ours.not_after),
                (1_795_917_038, not_after)
            );
            let (tbs, signature) = tbs_and_signature(&der);
            let verifying = VerifyingKey::from_sec1_bytes(PUBLIC).unwrap();
            let signature = p256::ecdsa::DerSignature::from_bytes(signature).unwrap();
            verifying.verify(tbs, &signature).unwrap();
            let Some(cert) = oracle(&der) else {
                return;
            };
            let expect = serde_json::json!({
                "version": "v3",
                "serial_bits": 127,
                "subject": "CN=localhost",
                "issuer": "CN=localhost",
                "not_before": 1_795_917_038,
                "not_after": not_after,
                "signature": "1.2.840.10045.4.3.2",
                "curve": "secp256r1",
                "public": PUBLIC.iter().map(|b| format!("{b:02x}")).collect::<String>(),
                "san": [false, ["localhost", "example.test"], ["127.0.0.1", "::1"]],
                "bc": [true, false],
                "ku": [true, true, false, false],
                "eku": [false, ["1.3.6.1.5.5.7.3.1"]],
                "extensions": 4,
            });
            assert_eq!(cert, expect);
        }
    }

    /// Runs openssl with `args`; `None` (with a note) where it is missing.
    fn openssl(args: &[&str]) -> Option<(bool, String)> {
        match Command::new("openssl").args(args).output() {
            Ok(out) => {
                let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
                text.push_str(&String::from_utf8_lossy(&out.stderr));
                Some((out.status.success(), text))
            }
            Err(_) => {
                println!("openssl not installed; skipping");
                None
            }
        }
    }

    #[test]
    fn self_signed_parses_with_openssl() {
        use base64::Engine;
        let der = build(2_871_763_200);
        let text = base64::engine::general_purpose::STANDARD.encode(&der);
        let pem = format!("-----BEGIN CERTIFICATE-----\n{text}\n-----END CERTIFICATE-----\n");
        let path =
            std::env::temp_dir().join(format!("httpd-self-signed-{}.pem", std::process::id()));
        std::fs::write(&path, pem).unwrap();
        let file = path.to_str().unwrap();
        let Some((ok, text)) = openssl(&["x509", "-in", file, "-noout", "-text"]) else {
            return;
        };
        assert!(ok, "{text}");
        for expect in [
            "Version: 3 (0x2)",
            "Signature Algorithm: ecdsa-with-SHA256",
            "Issuer: CN = localhost",
            "Subject: CN = localhost",
            "Not Before: Nov 29 01:50:38 2026 GMT",
            "Not After : Jan  1 00:00:00 2061 GMT",
            "ASN1 OID: prime256v1",
            "X509v3 Subject Alternative Name: \n                DNS:localhost, DNS:example.test, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1",
            "X509v3 Basic Constraints: critical\n                CA:FALSE",
            "X509v3 Key Usage: critical\n                Digital Signature",
            "X509v3 Extended Key Usage: \n                TLS Web Server Authentication",
        ] {
            assert!(text.contains(expect), "missing {expect:?} in\n{text}");
        }
        // openssl checks the self-signature when the certificate is its
        // own trust anchor and -check_ss_sig is given.
        let (ok, text) = openssl(&[
            "verify",
            "-check_ss_sig",
            "-partial_chain",
            "-attime",
            "1800000000",
            "-CAfile",
            file,
            file,
        ])
        .unwrap();
        assert!(ok && text.contains(": OK"), "{text}");
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn self_signed_defaults_and_errors() {
        let k = key();
        let mut out = [0u8; 1024];
        let n = self_signed(&k, &[], &[], 0, 0, &[0; 16], &mut out).unwrap();
        if let Some(cert) = oracle(&out[..n]) {
            assert_eq!(cert["subject"], "CN=httpd");
            assert_eq!(cert["san"], serde_json::Value::Null);
            assert_eq!(cert["serial_bits"], 127);
            assert_eq!(cert["extensions"], 3);
        }
        let long = [b'a'; 65];
        let n = self_signed(&k, &[&long], &[], 0, 0, &[0; 16], &mut out).unwrap();
        if let Some(cert) = oracle(&out[..n]) {
            assert_eq!(cert["subject"], "CN=httpd");
            assert_eq!(cert["san"][1][0], String::from_utf8(long.to_vec()).unwrap());
        }
        for (dns, ips) in [
            (&[&b""[..]][..], &[][..]),
            (&[&b"a b"[..]], &[]),
            (&[&b"caf\xc3\xa9"[..]], &[]),
            (&[&[b'a'; 254][..]], &[]),
            (&[], &[&[1u8, 2, 3][..]]),
        ] {
            let result = self_signed(&k, dns, ips, 0, 0, &[0; 16], &mut out);
            assert_eq!(result, Err(CertError::BadName));
        }
        assert_eq!(
            self_signed(&k, &[], &[], 1, 0, &[0; 16], &mut out),
            Err(CertError::BadTime)
        );
        assert_eq!(
            self_signed(&k, &[], &[], 0, MAX_CERT_TIME + 1, &[0; 16], &mut out),
            Err(CertError::BadTime)
        );
        assert_eq!(
            self_signed(&k, &[], &[], MIN_CERT_TIME - 1, 0, &[0; 16], &mut out),
            Err(CertError::BadTime)
        );
        assert!(
            self_signed(
                &k,
                &[],
                &[],
                MIN_CERT_TIME,
                MAX_CERT_TIME,
                &[0; 16],
                &mut out
            )
            .is_ok()
        );
        assert_eq!(
            self_signed(&k, &[], &[], 0, 0, &[0; 16], &mut out[..100]),
            Err(CertError::TooLarge)
        );
    }

    #[test]
    fn self_signed_into_any_buffer_size_never_panics() {
        let k = key();
        let mut full = [0u8; 1024];
        let n = self_signed(
            &k,
            &[b"localhost"],
            &[&[127, 0, 0, 1]],
            0,
            1,
            &[9; 16],
            &mut full,
        )
        .unwrap();
        for size in 0..n {
            let mut out = vec![0u8; size];
            let result = self_signed(
                &k,
                &[b"localhost"],
                &[&[127, 0, 0, 1]],
                0,
                1,
                &[9; 16],
                &mut out,
            );
            assert_eq!(result, Err(CertError::TooLarge), "{size}");
        }
        let mut out = vec![0u8; n];
        assert_eq!(
            self_signed(
                &k,
                &[b"localhost"],
                &[&[127, 0, 0, 1]],
                0,
                1,
                &[9; 16],
                &mut out
            ),
            Ok(n)
        );
        assert_eq!(out, full[..n]);
    }

    #[test]
    fn truncations_and_flips_never_panic() {
        let mut chain = Chain::new();
        chain.load(CHAIN).unwrap();
        let der = chain.leaf().to_vec();
        for n in 0..der.len() {
            assert!(leaf(&der[..n]).is_err());
        }
        for i in 0..der.len() * 8 {
            let mut flipped = der.clone();
            flipped[i / 8] ^= 1 << (i % 8);
            let _ = leaf(&flipped);
        }
        let pem = include_bytes!("testdata/p256-cert-and-key.pem");
        for n in 0..pem.len() {
            let _ = chain.load(&pem[..n]);
        }
        for i in (0..pem.len() * 8).step_by(3) {
            let mut flipped = pem.to_vec();
            flipped[i / 8] ^= 1 << (i % 8);
            if chain.load(&flipped).is_ok() {
                let _ = leaf(chain.leaf());
            }
        }
    }
}
