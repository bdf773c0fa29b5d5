//! The server's side of a TLS 1.3 connection as one state machine
//! (RFC 8446 §2, §4): a whole record in, records out. It answers the
//! ClientHello with a HelloRetryRequest or with its one flight
//! (ServerHello, ChangeCipherSpec, then EncryptedExtensions, Certificate,
//! CertificateVerify and Finished in one protected record), checks the
//! client's Finished, then opens and seals application data, following
//! KeyUpdates both ways. No syscalls: `net/tls.rs` moves the bytes and
//! supplies randomness.
//!
//! Declined as the RFC says: resumption (a `pre_shared_key` is ignored
//! and no tickets are sent, §4.2.11), 0-RTT (records we cannot open are
//! skipped, §4.2.10), client certificates (never requested, §4.3.2).

use crate::tls::Alert;
use crate::tls::cert::Chain;
use crate::tls::der;
use crate::tls::hello::{self, Alpn, ClientHello, ECDSA_P256_SHA256, SECP256R1, X25519};
use crate::tls::message::{
    Writer, change_cipher_spec, put, server_hello_head, split_message, supported_versions,
};
use crate::tls::record::{
    self, ALERT, APPLICATION_DATA, CHANGE_CIPHER_SPEC, HANDSHAKE, HEADER_BYTES, KEY_UPDATE_RECORDS,
    Keys, MAX_PLAINTEXT_BYTES, OVERHEAD_BYTES, Suite,
};
use crate::tls::schedule::{self, Schedule, Secret, Transcript};
use p256::ecdsa::SigningKey;
use p256::ecdsa::signature::Signer;
use p256::elliptic_curve::sec1::ToSec1Point;
use subtle::ConstantTimeEq;

/// Handshake message types (§4).
const CLIENT_HELLO: u8 = 1;
const SERVER_HELLO: u8 = 2;
const ENCRYPTED_EXTENSIONS: u8 = 8;
const CERTIFICATE: u8 = 11;
const CERTIFICATE_VERIFY: u8 = 15;
const FINISHED: u8 = 20;
const KEY_UPDATE: u8 = 24;
const MESSAGE_HASH: u8 = 254;

/// Extension code points we send (§4.2).
const EXT_ALPN: u16 = 16;
const EXT_KEY_SHARE: u16 = 51;

/// The ServerHello.random that marks a HelloRetryRequest: SHA-256 of
/// "HelloRetryRequest" (§4.1.3).
const RETRY_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// The CertificateVerify context string (§4.4.3).
const SERVER_VERIFY_CONTEXT: &[u8] = b"TLS 1.3, server CertificateVerify";

/// The most ChangeCipherSpec records tolerated during a handshake: §D.4
/// needs one; more is a flood.
const MAX_CHANGE_CIPHER_SPECS: u8 = 4;

/// Bytes of 0-RTT records we skip, unable to open them (§4.2.10), before
/// giving up: what a client might send before it sees our answer.
const MAX_EARLY_DATA_BYTES: usize = 64 * 1024;

/// The server's key and certificate chain.
pub struct Credentials {
    pub key: SigningKey,
    pub chain: Chain,
}

/// Where the handshake is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// Waiting for the ClientHello.
    Hello,
    /// A HelloRetryRequest for this group went out; waiting for the
    /// second ClientHello.
    Retried(u16),
    /// Our flight went out; waiting for the client's Finished.
    Finishing,
    /// Application data flows.
    Open,
}

/// What a record amounted to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// Nothing for the application (a handshake step, a dropped record).
    Nothing,
    /// `len` bytes of application data, at `HEADER_BYTES` in the record.
    Data(usize),
    /// The client sent close_notify: the end of its data.
    Closed,
    /// The client sent an error alert: close at once.
    Aborted,
}

/// Bytes waiting to be sent: records are appended at `buf[len..]`.
pub struct Out<'a> {
    pub buf: &'a mut [u8],
    pub len: usize,
}

/// One connection's TLS state.
pub struct Session {
    stage: Stage,
    suite: Suite,
    transcript: Transcript,
    read: Option<Keys>,
    write: Option<Keys>,
    /// The client's application traffic secret (its handshake secret's
    /// successor, installed after its Finished) and ours, for KeyUpdate.
    client_secret: Secret,
    server_secret: Secret,
    /// The client's Finished as it must be.
    expected_finished: Secret,
    change_cipher_specs: u8,
    /// 0-RTT bytes we may still skip.
    early_left: usize,
    /// The client asked for a KeyUpdate of ours (update_requested).
    update_requested: bool,
}

impl Default for Session {
    fn default() -> Self {
        Session::new()
    }
}

impl Session {
    pub fn new() -> Session {
        Session {
            stage: Stage::Hello,
            suite: Suite::Aes128Gcm,
            transcript: Transcript::new(schedule::Hash::Sha256),
            read: None,
            write: None,
            client_secret: Secret::zero(schedule::Hash::Sha256),
            server_secret: Secret::zero(schedule::Hash::Sha256),
            expected_finished: Secret::zero(schedule::Hash::Sha256),
            change_cipher_specs: 0,
            early_left: 0,
            update_requested: false,
        }
    }

    /// The handshake is done: application data may flow.
    pub fn is_open(&self) -> bool {
        self.stage == Stage::Open
    }

    /// The suite agreed on, once the ClientHello is in.
    pub fn suite(&self) -> Suite {
        self.suite
    }

    /// Processes the whole record `rec` (header included), appending any
    /// answer to `out`. `entropy` fills a buffer with random bytes (false
    /// if it could not: the handshake then stops before writing). An
    /// error is the alert to send before closing.
    pub fn read_record(
        &mut self,
        rec: &mut [u8],
        cred: &Credentials,
        entropy: &mut dyn FnMut(&mut [u8]) -> bool,
        out: &mut Out,
    ) -> Result<Event, Alert> {
        let kind = rec.first().copied().unwrap_or(0);
        let payload_len = rec.len().saturating_sub(HEADER_BYTES);
        match (self.stage, kind) {
            (Stage::Hello | Stage::Retried(_), HANDSHAKE) => {
                if payload_len > MAX_PLAINTEXT_BYTES {
                    return Err(Alert::RecordOverflow);
                }
                let message = rec.get(HEADER_BYTES..).unwrap_or_default();
                self.client_hello(message, cred, entropy, out)?;
                Ok(Event::Nothing)
            }
            // A plaintext alert before the handshake is done: the client
            // gives up (on our certificate, say).
            (Stage::Hello | Stage::Retried(_) | Stage::Finishing, ALERT) => Ok(Event::Aborted),
            // Dropped, as §5 says, between the first ClientHello and the
            // client's Finished; a flood is an error.
            (Stage::Retried(_) | Stage::Finishing, CHANGE_CIPHER_SPEC)
                if rec.get(HEADER_BYTES..) == Some(&[1])
                    && self.change_cipher_specs < MAX_CHANGE_CIPHER_SPECS =>
            {
                self.change_cipher_specs += 1;
                Ok(Event::Nothing)
            }
            (Stage::Finishing | Stage::Open, APPLICATION_DATA) => self.protected(rec),
            // 0-RTT records sent with the first ClientHello, before the
            // client saw our retry: skipped, within limits (§4.2.10).
            (Stage::Retried(_), APPLICATION_DATA) if self.early_left >= rec.len() => {
                self.early_left -= rec.len();
                Ok(Event::Nothing)
            }
            _ => Err(Alert::UnexpectedMessage),
        }
    }

    /// Opens a protected record and acts on what it holds.
    fn protected(&mut self, rec: &mut [u8]) -> Result<Event, Alert> {
        let Some(keys) = self.read.as_mut() else {
            return Err(Alert::UnexpectedMessage);
        };
        let (kind, len) = match keys.open(rec) {
            Ok(opened) => opened,
            // 0-RTT data we declined, protected with keys we do not have
            // (§4.2.10): skip it, within limits. The sequence number
            // stays where it was.
            Err(Alert::BadRecordMac) if self.early_left >= rec.len() => {
                self.early_left -= rec.len();
                return Ok(Event::Nothing);
            }
            Err(alert) => return Err(alert),
        };
        let text = rec
            .get(HEADER_BYTES..HEADER_BYTES + len)
            .unwrap_or_default();
        match (self.stage, kind) {
            (Stage::Open, APPLICATION_DATA) => Ok(Event::Data(len)),
            (_, ALERT) => match text {
                [_, 0] => Ok(Event::Closed),
                [_, _] => Ok(Event::Aborted),
                _ => Err(Alert::DecodeError),
            },
            (Stage::Finishing, HANDSHAKE) => {
                self.early_left = 0;
                self.client_finished(text)?;
                Ok(Event::Nothing)
            }
            (Stage::Open, HANDSHAKE) => {
                self.key_update(text)?;
                Ok(Event::Nothing)
            }
            _ => Err(Alert::UnexpectedMessage),
        }
    }

    /// Checks the client's Finished (§4.4.4) and switches to the
    /// application keys.
    fn client_finished(&mut self, text: &[u8]) -> Result<(), Alert> {
        let hash = self.suite.hash();
        let (kind, body) = split_message(text)?;
        if kind != FINISHED {
            return Err(Alert::UnexpectedMessage);
        }
        if body.len() != hash.len() || text.len() != 4 + hash.len() {
            return Err(Alert::DecodeError);
        }
        if !bool::from(body.ct_eq(self.expected_finished.as_bytes())) {
            return Err(Alert::DecryptError);
        }
        self.read = Some(Keys::new(self.suite, &self.client_secret));
        self.stage = Stage::Open;
        Ok(())
    }

    /// A KeyUpdate from the client (§4.6.3): new read keys, and, when it
    /// asks, a KeyUpdate of ours before our next data record.
    fn key_update(&mut self, text: &[u8]) -> Result<(), Alert> {
        let (kind, body) = split_message(text)?;
        if kind != KEY_UPDATE {
            return Err(Alert::UnexpectedMessage);
        }
        let requested = match body {
            [0] => false,
            [1] => true,
            [_] => return Err(Alert::IllegalParameter),
            _ => return Err(Alert::DecodeError),
        };
        if text.len() != 5 {
            return Err(Alert::UnexpectedMessage);
        }
        let hash = self.suite.hash();
        self.client_secret = schedule::next_traffic(hash, &self.client_secret);
        self.read = Some(Keys::new(self.suite, &self.client_secret));
        // Ours goes out before our next data record (§4.6.3), so a run of
        // requests gets one answer, not a flood.
        self.update_requested |= requested;
        Ok(())
    }

    /// Sends a KeyUpdate (update_not_requested) and switches to the next
    /// write keys.
    fn send_key_update(&mut self, out: &mut Out) {
        let message = [KEY_UPDATE, 0, 0, 1, 0];
        if !self.seal_with(out, HANDSHAKE, &message) {
            return;
        }
        self.server_secret = schedule::next_traffic(self.suite.hash(), &self.server_secret);
        self.write = Some(Keys::new(self.suite, &self.server_secret));
    }

    /// Appends a protected record of `kind` holding `text`; false if it
    /// did not fit (nothing written, the sequence number unchanged).
    fn seal_with(&mut self, out: &mut Out, kind: u8, text: &[u8]) -> bool {
        let Some(keys) = self.write.as_mut() else {
            return false;
        };
        let Some(room) = out.buf.get_mut(out.len..) else {
            return false;
        };
        if room.len() < HEADER_BYTES + text.len() + OVERHEAD_BYTES {
            return false;
        }
        crate::buf::copy(room.get_mut(HEADER_BYTES..).unwrap_or_default(), text);
        out.len += keys.seal(room, text.len(), kind);
        true
    }

    /// Appends the alert, protected once there are keys, in clear before.
    pub fn alert(&mut self, alert: Alert, out: &mut Out) {
        let message = alert.message();
        if self.write.is_some() {
            self.seal_with(out, ALERT, &message);
            return;
        }
        put(out, &record::header(ALERT, 2));
        put(out, &message);
    }

    /// The room for the plaintext of the next application data record in
    /// `out` (at most a full record), after a KeyUpdate of ours when the
    /// write keys are due for one. Fill it, then call `seal_data`.
    pub fn data_room<'b>(&mut self, out: &'b mut Out) -> &'b mut [u8] {
        if self.update_requested
            || self
                .write
                .as_ref()
                .is_some_and(|k| k.records() >= KEY_UPDATE_RECORDS)
        {
            self.update_requested = false;
            self.send_key_update(out);
        }
        let room = out
            .buf
            .len()
            .saturating_sub(out.len + HEADER_BYTES + OVERHEAD_BYTES);
        let start = out.len + HEADER_BYTES;
        out.buf
            .get_mut(start..start + room.min(MAX_PLAINTEXT_BYTES))
            .unwrap_or_default()
    }

    /// Seals the `len` bytes written into `data_room` as a record.
    pub fn seal_data(&mut self, out: &mut Out, len: usize) {
        if let (Some(keys), Some(room)) = (self.write.as_mut(), out.buf.get_mut(out.len..)) {
            out.len += keys.seal(room, len, APPLICATION_DATA);
        }
    }

    /// Answers a ClientHello record (§4.1.2): a HelloRetryRequest, or
    /// the server's whole flight.
    fn client_hello(
        &mut self,
        message: &[u8],
        cred: &Credentials,
        entropy: &mut dyn FnMut(&mut [u8]) -> bool,
        out: &mut Out,
    ) -> Result<(), Alert> {
        let (kind, body) = split_message(message)?;
        // One whole ClientHello per record, nothing after it (§5.1: no
        // handshake message may span a key change).
        if kind != CLIENT_HELLO || body.len() + 4 != message.len() {
            return Err(Alert::UnexpectedMessage);
        }
        let hello = hello::parse(body)?;
        let suite = hello.suite.ok_or(Alert::HandshakeFailure)?;
        if !hello.signs_p256 {
            return Err(Alert::HandshakeFailure);
        }
        if hello.alpn == Alpn::Other {
            return Err(Alert::NoApplicationProtocol);
        }
        if let Stage::Retried(group) = self.stage {
            // The second ClientHello must answer the retry (§4.1.2).
            let share = if group == X25519 {
                hello.x25519
            } else {
                hello.p256
            };
            if suite != self.suite || share.is_none() || hello.early_data {
                return Err(Alert::IllegalParameter);
            }
        } else {
            self.suite = suite;
            self.transcript = Transcript::new(suite.hash());
            self.early_left = if hello.early_data {
                MAX_EARLY_DATA_BYTES
            } else {
                0
            };
        }
        let group = if let Stage::Retried(asked) = self.stage {
            asked
        } else if hello.x25519.is_some() {
            X25519
        } else if hello.p256.is_some() {
            SECP256R1
        } else if hello.groups_x25519 {
            return self.retry(message, &hello, X25519, out);
        } else if hello.groups_p256 {
            return self.retry(message, &hello, SECP256R1, out);
        } else {
            return Err(Alert::HandshakeFailure);
        };
        self.transcript.update(message);
        self.flight(&hello, group, cred, entropy, out)
    }

    /// Sends a HelloRetryRequest asking for `group` (§4.1.4), with the
    /// first ClientHello replaced by its hash in the transcript.
    fn retry(
        &mut self,
        message: &[u8],
        hello: &ClientHello,
        group: u16,
        out: &mut Out,
    ) -> Result<(), Alert> {
        if self.stage != Stage::Hello {
            return Err(Alert::IllegalParameter);
        }
        let hash = self.suite.hash();
        let mut first = Transcript::new(hash);
        first.update(message);
        let digest = first.current();
        self.transcript
            .update(&[MESSAGE_HASH, 0, 0, hash.len() as u8]);
        self.transcript.update(digest.as_bytes());
        let mut w = Writer::record(out, HANDSHAKE);
        let at = w.start_message(SERVER_HELLO);
        server_hello_head(&mut w, &RETRY_RANDOM, hello.session_id, self.suite);
        let exts = w.open16();
        supported_versions(&mut w);
        w.u16(EXT_KEY_SHARE).u16(2).u16(group);
        w.close16(exts);
        w.end_message(at, &mut self.transcript);
        w.finish(None)?;
        change_cipher_spec(out);
        self.stage = Stage::Retried(group);
        Ok(())
    }

    /// The server's flight (§2): ServerHello and ChangeCipherSpec in
    /// clear, then EncryptedExtensions, Certificate, CertificateVerify and
    /// Finished in one record under the handshake keys.
    fn flight(
        &mut self,
        hello: &ClientHello,
        group: u16,
        cred: &Credentials,
        entropy: &mut dyn FnMut(&mut [u8]) -> bool,
        out: &mut Out,
    ) -> Result<(), Alert> {
        let hash = self.suite.hash();
        let mut server_random = [0u8; 32];
        let mut ephemeral = [0u8; 32];
        // Nothing is written unless both are truly random.
        if !entropy(&mut server_random) || !entropy(&mut ephemeral) {
            return Err(Alert::InternalError);
        }
        let mut public = [0u8; hello::P256_KEY_BYTES];
        let mut shared = [0u8; 32];
        let public_len = if group == X25519 {
            let theirs: [u8; 32] = hello
                .x25519
                .and_then(|k| k.try_into().ok())
                .ok_or(Alert::IllegalParameter)?;
            let secret = x25519_dalek::StaticSecret::from(ephemeral);
            let ours = x25519_dalek::PublicKey::from(&secret);
            let dh = secret.diffie_hellman(&x25519_dalek::PublicKey::from(theirs));
            // An all-zero result means a low-order point (RFC 7748 §6.1).
            if !dh.was_contributory() {
                return Err(Alert::IllegalParameter);
            }
            crate::buf::copy(&mut shared, dh.as_bytes());
            if let Some(p) = public.get_mut(..32) {
                crate::buf::copy(p, ours.as_bytes());
            }
            32
        } else {
            let theirs = hello
                .p256
                .and_then(p256_point)
                .ok_or(Alert::IllegalParameter)?;
            let secret =
                p256::SecretKey::from_slice(&ephemeral).map_err(|_| Alert::InternalError)?;
            let dh = p256::ecdh::diffie_hellman(secret.to_nonzero_scalar(), theirs);
            crate::buf::copy(&mut shared, dh.raw_secret_bytes());
            let point = secret.public_key().to_sec1_point(false);
            let bytes = point.as_bytes();
            if let Some(p) = public.get_mut(..bytes.len()) {
                crate::buf::copy(p, bytes);
            }
            bytes.len()
        };
        zeroize::Zeroize::zeroize(&mut ephemeral);

        // ServerHello, in clear.
        let mut w = Writer::record(out, HANDSHAKE);
        let at = w.start_message(SERVER_HELLO);
        server_hello_head(&mut w, &server_random, hello.session_id, self.suite);
        let exts = w.open16();
        supported_versions(&mut w);
        w.u16(EXT_KEY_SHARE).u16(4 + public_len as u16).u16(group);
        w.u16(public_len as u16)
            .put(public.get(..public_len).unwrap_or_default());
        w.close16(exts);
        w.end_message(at, &mut self.transcript);
        w.finish(None)?;
        if self.stage == Stage::Hello {
            change_cipher_spec(out);
        }

        let mut schedule = Schedule::handshake(hash, &shared);
        zeroize::Zeroize::zeroize(&mut shared);
        let (client_hs, server_hs) = schedule.traffic(b"hs", &self.transcript.current());
        self.write = Some(Keys::new(self.suite, &server_hs));
        self.read = Some(Keys::new(self.suite, &client_hs));

        // The protected part.
        let mut w = Writer::record(out, HANDSHAKE);
        let at = w.start_message(ENCRYPTED_EXTENSIONS);
        let exts = w.open16();
        if hello.alpn == Alpn::Http11 {
            w.u16(EXT_ALPN).u16(11).u16(9).u8(8).put(b"http/1.1");
        }
        w.close16(exts);
        w.end_message(at, &mut self.transcript);

        let at = w.start_message(CERTIFICATE);
        w.u8(0); // certificate_request_context
        let list = w.open24();
        for cert in cred.chain.certs() {
            w.u24(cert.len()).put(cert).u16(0);
        }
        w.close24(list);
        w.end_message(at, &mut self.transcript);

        // CertificateVerify (§4.4.3): 64 spaces, the context, a zero
        // byte, the transcript hash.
        let mut content = [0x20u8; 64 + SERVER_VERIFY_CONTEXT.len() + 1 + schedule::MAX_HASH_BYTES];
        let th = self.transcript.current();
        let signed_len = 64 + SERVER_VERIFY_CONTEXT.len() + 1 + hash.len();
        for (to, from) in content.iter_mut().skip(64).zip(
            SERVER_VERIFY_CONTEXT
                .iter()
                .chain(&[0])
                .chain(th.as_bytes()),
        ) {
            *to = *from;
        }
        let signature: p256::ecdsa::Signature = cred
            .key
            .try_sign(content.get(..signed_len).unwrap_or_default())
            .map_err(|_| Alert::InternalError)?;
        let mut der = [0u8; der::MAX_ECDSA_DER_BYTES];
        let der_len = der::ecdsa_signature(&signature.to_bytes(), &mut der);
        let at = w.start_message(CERTIFICATE_VERIFY);
        w.u16(ECDSA_P256_SHA256)
            .u16(der_len as u16)
            .put(der.get(..der_len).unwrap_or_default());
        w.end_message(at, &mut self.transcript);

        let verify = schedule::finished(hash, &server_hs, &self.transcript.current());
        let at = w.start_message(FINISHED);
        w.put(verify.as_bytes());
        w.end_message(at, &mut self.transcript);
        w.finish(self.write.as_mut())?;

        // Application secrets over the transcript through our Finished;
        // the client's Finished covers the same messages (§4.4.4).
        let th = self.transcript.current();
        self.expected_finished = schedule::finished(hash, &client_hs, &th);
        schedule.to_master();
        let (client_ap, server_ap) = schedule.traffic(b"ap", &th);
        self.client_secret = client_ap;
        self.server_secret = server_ap;
        self.write = Some(Keys::new(self.suite, &self.server_secret));
        self.stage = Stage::Finishing;
        Ok(())
    }
}

/// The P-256 point of an uncompressed SEC1 encoding (`04 || x || y`),
/// checked to be on the curve: the only form TLS 1.3 key shares use
/// (RFC 8446 §4.2.8.2), and what certificates carry. Going through the
/// coordinates leaves point decompression out of the binary.
pub fn p256_point(sec1: &[u8]) -> Option<p256::AffinePoint> {
    use p256::elliptic_curve::point::AffineCoordinates;
    let (&tag, xy) = sec1.split_first()?;
    let (x, y) = xy
        .split_at_checked(32)
        .filter(|(_, y)| y.len() == 32 && tag == 4)?;
    let x = p256::FieldBytes::try_from(x).ok()?;
    let y = p256::FieldBytes::try_from(y).ok()?;
    p256::AffinePoint::from_coordinates(&x, &y).into_option()
}

/// A fixed key and its self-signed certificate, for the unit tests and
/// the fuzz targets (`scripts/fuzz.sh` builds with `--cfg fuzzing`); never
/// in the binary.
#[cfg(any(test, fuzzing))]
pub fn fixed_credentials() -> Credentials {
    let key = SigningKey::from_slice(&[7u8; 32]).expect("a valid scalar");
    let mut der = [0u8; 1024];
    let len = crate::tls::cert::self_signed(
        &key,
        &[b"localhost"],
        &[&[127, 0, 0, 1]],
        1_700_000_000,
        1_800_000_000,
        &[1; 16],
        &mut der,
    )
    .expect("room for the certificate");
    let mut chain = Chain::new();
    chain
        .push_der(der.get(..len).unwrap_or_default())
        .expect("room in the chain");
    Credentials { key, chain }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::record::MAX_RECORD_BYTES;

    fn answer(session: &mut Session, hello: &[u8], out: &mut Vec<u8>) -> Result<Event, Alert> {
        let cred = fixed_credentials();
        let mut rec = hello.to_vec();
        let mut n = 0u8;
        let mut entropy = |buf: &mut [u8]| {
            for b in buf {
                n = n.wrapping_add(1);
                *b = n;
            }
            true
        };
        out.resize(MAX_RECORD_BYTES + 512, 0);
        let mut o = Out { buf: out, len: 0 };
        let event = session.read_record(&mut rec, &cred, &mut entropy, &mut o);
        let len = o.len;
        out.truncate(len);
        event
    }

    #[test]
    fn openssl_hello_gets_the_whole_flight() {
        let mut session = Session::new();
        let mut out = Vec::new();
        let hello = include_bytes!("testdata/client-hello-openssl.bin");
        assert_eq!(answer(&mut session, hello, &mut out), Ok(Event::Nothing));
        // ServerHello, ChangeCipherSpec, then one protected record.
        assert_eq!(out[0], HANDSHAKE);
        let sh = 5 + usize::from(u16::from_be_bytes([out[3], out[4]]));
        assert_eq!(&out[sh..sh + 6], &[CHANGE_CIPHER_SPEC, 3, 3, 0, 1, 1]);
        assert_eq!(out[sh + 6], APPLICATION_DATA);
        assert_eq!(session.stage, Stage::Finishing);
    }

    #[test]
    fn hello_without_a_usable_share_gets_a_retry() {
        let mut session = Session::new();
        let mut out = Vec::new();
        let hello = include_bytes!("testdata/client-hello-retry.bin");
        assert_eq!(answer(&mut session, hello, &mut out), Ok(Event::Nothing));
        assert_eq!(&out[11..43], &RETRY_RANDOM);
        assert_eq!(session.stage, Stage::Retried(SECP256R1));
        // The same hello again does not answer the retry.
        assert_eq!(
            answer(&mut session, hello, &mut out),
            Err(Alert::IllegalParameter)
        );
    }

    #[test]
    fn our_own_key_update_comes_before_the_aead_limit() {
        let mut session = Session::new();
        session.suite = Suite::Aes128Gcm;
        session.server_secret = schedule::extract(schedule::Hash::Sha256, b"salt", b"ikm");
        session.write = Some(Keys::new(session.suite, &session.server_secret));
        let mut reader = Keys::new(session.suite, &session.server_secret);
        let mut buf = vec![0u8; MAX_RECORD_BYTES + 512];
        // Below the limit: the data record alone.
        let mut out = Out {
            buf: &mut buf,
            len: 0,
        };
        let room = session.data_room(&mut out);
        room[..5].copy_from_slice(b"hello");
        session.seal_data(&mut out, 5);
        let first_len = out.len;
        assert_eq!(first_len, HEADER_BYTES + 5 + 17);
        assert_eq!(
            reader.open(&mut buf[..first_len]),
            Ok((APPLICATION_DATA, 5))
        );
        // At the limit: a KeyUpdate (update_not_requested) under the old
        // keys, then the data under the next ones, counted from zero.
        session.write.as_mut().unwrap().skip_to(KEY_UPDATE_RECORDS);
        reader.skip_to(KEY_UPDATE_RECORDS);
        let mut out = Out {
            buf: &mut buf,
            len: 0,
        };
        let room = session.data_room(&mut out);
        room[..5].copy_from_slice(b"world");
        session.seal_data(&mut out, 5);
        let total = out.len;
        let update_len = HEADER_BYTES + 5 + 17;
        let (update, data) = buf[..total].split_at_mut(update_len);
        assert_eq!(reader.open(update), Ok((HANDSHAKE, 5)));
        assert_eq!(
            &update[HEADER_BYTES..HEADER_BYTES + 5],
            &[KEY_UPDATE, 0, 0, 1, 0]
        );
        let next = schedule::next_traffic(
            schedule::Hash::Sha256,
            &schedule::extract(schedule::Hash::Sha256, b"salt", b"ikm"),
        );
        let mut next_reader = Keys::new(Suite::Aes128Gcm, &next);
        assert_eq!(next_reader.open(data), Ok((APPLICATION_DATA, 5)));
        assert_eq!(&data[HEADER_BYTES..HEADER_BYTES + 5], b"world");
        assert_eq!(session.write.as_ref().unwrap().records(), 1);
    }
}
