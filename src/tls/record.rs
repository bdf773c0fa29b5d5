//! The TLS 1.3 record layer (RFC 8446 §5): record headers, and sealing
//! and opening protected records in place with the suite's AEAD and the
//! per-record nonce of §5.3. The AEADs come from the `aes-gcm` and
//! `chacha20poly1305` crates through `httpd-aead` (crates/aead), which
//! is optimized for speed.
//!
//! A record buffer is laid out as it goes on the wire: the 5-byte header,
//! then the payload. `seal` turns `header | plaintext` into
//! `header | ciphertext(plaintext | type) | tag` without copying, which is
//! also the shape a kernel TLS path would hand to the kernel.

use crate::tls::Alert;
use crate::tls::schedule::{Hash, Secret, expand_label};
use httpd_aead::{Aead, Kind};

/// Bytes of a record header: type, legacy version, length (§5.1).
pub const HEADER_BYTES: usize = 5;

/// The most plaintext in one record (§5.1: 2^14).
pub const MAX_PLAINTEXT_BYTES: usize = 1 << 14;

/// The most ciphertext in one record (§5.2: 2^14 + 256).
pub const MAX_CIPHERTEXT_BYTES: usize = MAX_PLAINTEXT_BYTES + 256;

/// Bytes of an AEAD tag: 16 for every suite we offer.
pub const TAG_BYTES: usize = 16;

/// What protection adds to a record's plaintext: the content type byte
/// and the tag.
pub const OVERHEAD_BYTES: usize = 1 + TAG_BYTES;

/// The largest record we receive, header included.
pub const MAX_RECORD_BYTES: usize = HEADER_BYTES + MAX_CIPHERTEXT_BYTES;

/// Record content types (§5.1).
pub const CHANGE_CIPHER_SPEC: u8 = 20;
pub const ALERT: u8 = 21;
pub const HANDSHAKE: u8 = 22;
pub const APPLICATION_DATA: u8 = 23;

/// Records we send with the keys of one direction before switching to
/// new ones with a KeyUpdate: far below the AES-GCM limit of §5.5
/// (2^24.5 full-size records), with room for the records that go out
/// before the KeyUpdate takes effect.
pub const KEY_UPDATE_RECORDS: u64 = 1 << 23;

/// The cipher suites we offer (§B.4), in our order of preference when
/// the client's first choice is AES-GCM: AES-128-GCM is cheapest with
/// AES-NI; a client that puts ChaCha20 first probably has no AES
/// hardware, and gets it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Suite {
    Aes128Gcm,
    Aes256Gcm,
    ChaCha20Poly1305,
}

impl Suite {
    /// Its code point.
    pub const fn id(self) -> u16 {
        match self {
            Suite::Aes128Gcm => 0x1301,
            Suite::Aes256Gcm => 0x1302,
            Suite::ChaCha20Poly1305 => 0x1303,
        }
    }

    pub fn from_id(id: u16) -> Option<Suite> {
        match id {
            0x1301 => Some(Suite::Aes128Gcm),
            0x1302 => Some(Suite::Aes256Gcm),
            0x1303 => Some(Suite::ChaCha20Poly1305),
            _ => None,
        }
    }

    pub const fn hash(self) -> Hash {
        match self {
            Suite::Aes256Gcm => Hash::Sha384,
            _ => Hash::Sha256,
        }
    }

    const fn key_len(self) -> usize {
        match self {
            Suite::Aes128Gcm => 16,
            _ => 32,
        }
    }
}

/// The traffic keys of one direction (§7.3) and its record sequence
/// number (§5.3).
pub struct Keys {
    /// None only if the key had the wrong length, which the suite rules
    /// out; every record then fails.
    cipher: Option<Aead>,
    iv: [u8; 12],
    seq: u64,
}

impl Drop for Keys {
    /// The AEAD zeroizes its key schedule itself; the IV goes here.
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.iv);
    }
}

impl Keys {
    /// The key and IV from a traffic secret.
    pub fn new(suite: Suite, secret: &Secret) -> Keys {
        let hash = suite.hash();
        let mut key = [0u8; 32];
        let mut iv = [0u8; 12];
        let key_bytes = key.get_mut(..suite.key_len()).unwrap_or_default();
        expand_label(hash, secret.as_bytes(), b"key", b"", key_bytes);
        expand_label(hash, secret.as_bytes(), b"iv", b"", &mut iv);
        let key_bytes = key.get(..suite.key_len()).unwrap_or_default();
        let kind = match suite {
            Suite::Aes128Gcm => Kind::Aes128Gcm,
            Suite::Aes256Gcm => Kind::Aes256Gcm,
            Suite::ChaCha20Poly1305 => Kind::ChaCha20Poly1305,
        };
        let cipher = Aead::new(kind, key_bytes);
        zeroize::Zeroize::zeroize(&mut key);
        Keys { cipher, iv, seq: 0 }
    }

    /// Records protected with these keys so far.
    pub fn records(&self) -> u64 {
        self.seq
    }

    /// Pretends `n` records went out already (tests of the key-update
    /// limit, which real traffic reaches only after 128 GiB).
    #[cfg(test)]
    pub fn skip_to(&mut self, n: u64) {
        self.seq = n;
    }

    /// The nonce of the next record: the IV xor the padded sequence
    /// number (§5.3).
    fn nonce(&self) -> [u8; 12] {
        let mut nonce = self.iv;
        for (n, s) in nonce.iter_mut().skip(4).zip(self.seq.to_be_bytes()) {
            *n ^= s;
        }
        nonce
    }

    /// Protects the record in `record[..HEADER_BYTES + len]` (header room,
    /// then `len` bytes of plaintext) as content type `kind`: writes the
    /// header, the inner type byte, encrypts and appends the tag. Returns
    /// the record's length; `record` must have `OVERHEAD_BYTES` to spare.
    pub fn seal(&mut self, record: &mut [u8], len: usize, kind: u8) -> usize {
        let inner = len + 1;
        let total = HEADER_BYTES + inner + TAG_BYTES;
        let header = header(APPLICATION_DATA, inner + TAG_BYTES);
        let Some((head, body)) = record
            .get_mut(..total)
            .and_then(|r| r.split_at_mut_checked(HEADER_BYTES))
        else {
            return 0;
        };
        let nonce = self.nonce();
        self.seq = self.seq.wrapping_add(1);
        let Some((text, tag_out)) = body.split_at_mut_checked(inner) else {
            return 0;
        };
        crate::buf::copy(head, &header);
        if let Some(last) = text.last_mut() {
            *last = kind;
        }
        let tag = self
            .cipher
            .as_ref()
            .and_then(|c| c.seal(&nonce, &header, text));
        let Some(tag) = tag else { return 0 };
        crate::buf::copy(tag_out, &tag);
        total
    }

    /// Opens the protected record `record` (header and ciphertext) in
    /// place: returns its real content type and the length of its
    /// plaintext, which starts at `HEADER_BYTES`. A record that fails to
    /// open does not count in the sequence (so 0-RTT records can be
    /// skipped, RFC 8446 §4.2.10).
    pub fn open(&mut self, record: &mut [u8]) -> Result<(u8, usize), Alert> {
        let nonce = self.nonce();
        let (head, body) = record.split_at_mut(HEADER_BYTES.min(record.len()));
        let Some(text_len) = body.len().checked_sub(TAG_BYTES) else {
            return Err(Alert::BadRecordMac);
        };
        // The inner plaintext, padding included, is at most 2^14 + 1
        // bytes (§5.4).
        if text_len > MAX_PLAINTEXT_BYTES + 1 {
            return Err(Alert::RecordOverflow);
        }
        let (text, tag) = body.split_at_mut(text_len);
        let tag: &[u8; TAG_BYTES] = (&*tag).try_into().map_err(|_| Alert::BadRecordMac)?;
        let opened = self
            .cipher
            .as_ref()
            .is_some_and(|c| c.open(&nonce, head, text, tag));
        if !opened {
            return Err(Alert::BadRecordMac);
        }

        self.seq = self.seq.wrapping_add(1);
        // The content type is the last non-zero byte; zeros after it are
        // padding (§5.4).
        let Some(end) = text.iter().rposition(|&b| b != 0) else {
            return Err(Alert::UnexpectedMessage);
        };
        Ok((text.get(end).copied().unwrap_or(0), end))
    }
}

/// A record header for `len` payload bytes.
pub fn header(kind: u8, len: usize) -> [u8; HEADER_BYTES] {
    let [hi, lo] = (len as u16).to_be_bytes();
    [kind, 3, 3, hi, lo]
}

/// The type and total length (header included) of the record that
/// starts `buf`, once its header is in; checks what §5.1 and §5.2 ask of
/// a header: a known content type (else `unexpected_message`, §5) and a
/// length within bounds. The legacy version is ignored, as §5.1 says.
pub fn peek(buf: &[u8]) -> Option<Result<(u8, usize), Alert>> {
    let &[kind, _, _, hi, lo] = buf.get(..HEADER_BYTES)? else {
        return None;
    };
    let len = usize::from(u16::from_be_bytes([hi, lo]));
    if !matches!(kind, CHANGE_CIPHER_SPEC..=APPLICATION_DATA) {
        return Some(Err(Alert::UnexpectedMessage));
    }
    if len > MAX_CIPHERTEXT_BYTES {
        return Some(Err(Alert::RecordOverflow));
    }
    Some(Ok((kind, HEADER_BYTES + len)))
}

/// The most records a ClientHello may be cut into: a large one (16 KiB)
/// in 256-byte records. Real clients send one or two.
pub const MAX_HANDSHAKE_FRAGMENTS: u32 = 64;

/// Joins a handshake message fragmented over several plaintext records
/// (§5.1 allows it; some clients send a large ClientHello so) into the
/// first record, in place: the payloads of the records that follow in
/// `buf[..*filled]` are moved up over their headers until the first
/// record holds its whole first message. True when it does, false when
/// more bytes must arrive first. A record of another type in between is
/// `unexpected_message`; so is a message in more than
/// `MAX_HANDSHAKE_FRAGMENTS` pieces (`joins` counts them across calls),
/// since each join moves the rest of the buffer.
pub fn join_handshake(buf: &mut [u8], filled: &mut usize, joins: &mut u32) -> Result<bool, Alert> {
    loop {
        let Some(first) = peek(buf.get(..*filled).unwrap_or_default()) else {
            return Ok(false);
        };
        let (_, first_len) = first?;
        if first_len > *filled {
            return Ok(false);
        }
        let message = buf.get(HEADER_BYTES..first_len).unwrap_or_default();
        if let &[_, a, b, c, ..] = message {
            let need = 4 + (usize::from(a) << 16 | usize::from(b) << 8 | usize::from(c));
            if message.len() >= need {
                return Ok(true);
            }
        }
        let next = buf.get(first_len..*filled).unwrap_or_default();
        let Some(second) = peek(next) else {
            return Ok(false);
        };
        let (kind, second_len) = second?;
        if kind != HANDSHAKE {
            return Err(Alert::UnexpectedMessage);
        }
        if next.len() < second_len {
            return Ok(false);
        }
        *joins += 1;
        if *joins > MAX_HANDSHAKE_FRAGMENTS {
            return Err(Alert::UnexpectedMessage);
        }
        // Drop the second record's header: everything after it moves down
        // by `HEADER_BYTES`, by hand (`copy_within` can panic).
        for i in first_len..*filled - HEADER_BYTES {
            if let Some(byte) = buf.get(i + HEADER_BYTES).copied()
                && let Some(slot) = buf.get_mut(i)
            {
                *slot = byte;
            }
        }
        *filled -= HEADER_BYTES;
        let joined = (first_len - HEADER_BYTES + second_len - HEADER_BYTES) as u16;
        crate::buf::copy(
            buf.get_mut(3..HEADER_BYTES).unwrap_or_default(),
            &joined.to_be_bytes(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ClientHello-like message of `len` body bytes cut into records
    /// of at most `cut` payload bytes.
    fn fragmented(len: usize, cut: usize) -> (Vec<u8>, Vec<u8>) {
        let mut message = vec![1, 0, (len >> 8) as u8, len as u8];
        message.extend((0..len).map(|i| i as u8));
        let mut wire = Vec::new();
        for part in message.chunks(cut) {
            wire.extend_from_slice(&header(HANDSHAKE, part.len()));
            wire.extend_from_slice(part);
        }
        (message, wire)
    }

    #[test]
    fn fragments_join_into_one_record() {
        for cut in [5, 8, 64, 200, 1000] {
            let (message, wire) = fragmented(300, cut);
            let mut buf = vec![0u8; MAX_RECORD_BYTES];
            // Arriving a byte at a time: never done early, done at the end.
            for n in 0..=wire.len() {
                buf[..n].copy_from_slice(&wire[..n]);
                let mut filled = n;
                let done = join_handshake(&mut buf, &mut filled, &mut 0).unwrap();
                assert_eq!(done, n == wire.len(), "cut {cut}, {n} bytes");
                if done {
                    assert_eq!(peek(&buf[..filled]), Some(Ok((HANDSHAKE, filled))));
                    assert_eq!(&buf[HEADER_BYTES..filled], &message[..]);
                }
            }
        }
    }

    #[test]
    fn too_many_fragments_are_refused() {
        // 300 bytes in 4-byte records: 76 fragments.
        let (_, wire) = fragmented(296, 4);
        let mut buf = wire.clone();
        let mut filled = buf.len();
        assert_eq!(
            join_handshake(&mut buf, &mut filled, &mut 0),
            Err(Alert::UnexpectedMessage)
        );
    }

    #[test]
    fn whole_messages_are_left_alone_and_other_records_refused() {
        let (_, wire) = fragmented(50, 1000);
        let mut buf = wire.clone();
        buf.extend_from_slice(&[APPLICATION_DATA, 3, 3, 0, 1, 9]);
        let mut filled = buf.len();
        assert_eq!(join_handshake(&mut buf, &mut filled, &mut 0), Ok(true));
        assert_eq!(filled, wire.len() + 6);
        let (_, wire) = fragmented(50, 20);
        let mut buf = wire[..25].to_vec();
        buf.extend_from_slice(&[CHANGE_CIPHER_SPEC, 3, 3, 0, 1, 1]);
        let mut filled = buf.len();
        assert_eq!(
            join_handshake(&mut buf, &mut filled, &mut 0),
            Err(Alert::UnexpectedMessage)
        );
        assert_eq!(
            peek(&[25, 3, 3, 0, 1, 0]),
            Some(Err(Alert::UnexpectedMessage))
        );
    }
}
