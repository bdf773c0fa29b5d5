//! Writing the server's handshake messages (RFC 8446 §4) into the send
//! buffer: a `Writer` over one record at a time, with the length prefixes
//! of §3.4 filled in when a vector or message ends and every message
//! added to the transcript as it is finished; the few fixed pieces of the
//! ServerHello; and splitting a received message into type and body.

use crate::tls::Alert;
use crate::tls::hello::TLS13;
use crate::tls::record::{self, CHANGE_CIPHER_SPEC, HANDSHAKE, HEADER_BYTES, Keys, Suite};
use crate::tls::schedule::Transcript;
use crate::tls::server::Out;

/// The supported_versions extension's code point (§4.2).
const EXT_SUPPORTED_VERSIONS: u16 = 43;

/// A handshake message's type and body; the body may be cut short when
/// the length says more than there is.
pub(crate) fn split_message(text: &[u8]) -> Result<(u8, &[u8]), Alert> {
    let &[kind, a, b, c, ref body @ ..] = text else {
        return Err(Alert::DecodeError);
    };
    let len = usize::from(a) << 16 | usize::from(b) << 8 | usize::from(c);
    Ok((kind, body.get(..len).ok_or(Alert::DecodeError)?))
}

pub(crate) fn server_hello_head(w: &mut Writer, random: &[u8], session_id: &[u8], suite: Suite) {
    w.u16(0x0303).put(random);
    w.u8(session_id.len() as u8).put(session_id);
    w.u16(suite.id()).u8(0);
}

pub(crate) fn supported_versions(w: &mut Writer) {
    w.u16(EXT_SUPPORTED_VERSIONS).u16(2).u16(TLS13);
}

/// The dummy ChangeCipherSpec of middlebox compatibility mode (§D.4).
pub(crate) fn change_cipher_spec(out: &mut Out) {
    put(out, &[CHANGE_CIPHER_SPEC, 3, 3, 0, 1, 1]);
}

pub(crate) fn put(out: &mut Out, bytes: &[u8]) {
    if let Some(room) = out.buf.get_mut(out.len..out.len + bytes.len()) {
        crate::buf::copy(room, bytes);
        out.len += bytes.len();
    }
}

/// Writes one record's handshake messages at the end of `out`.
pub(crate) struct Writer<'a, 'b> {
    out: &'a mut Out<'b>,
    /// The next byte.
    pos: usize,
    /// A write did not fit: the record is abandoned.
    overflowed: bool,
}

impl<'a, 'b> Writer<'a, 'b> {
    /// A new record of `kind` at the end of `out`.
    pub(crate) fn record(out: &'a mut Out<'b>, kind: u8) -> Writer<'a, 'b> {
        let pos = out.len;
        let mut w = Writer {
            out,
            pos,
            overflowed: false,
        };
        w.put(&record::header(kind, 0));
        w
    }

    pub(crate) fn put(&mut self, bytes: &[u8]) -> &mut Self {
        match self.out.buf.get_mut(self.pos..self.pos + bytes.len()) {
            Some(room) => {
                crate::buf::copy(room, bytes);
                self.pos += bytes.len();
            }
            None => self.overflowed = true,
        }
        self
    }

    pub(crate) fn u8(&mut self, v: u8) -> &mut Self {
        self.put(&[v])
    }

    pub(crate) fn u16(&mut self, v: u16) -> &mut Self {
        self.put(&v.to_be_bytes())
    }

    pub(crate) fn u24(&mut self, v: usize) -> &mut Self {
        let [_, a, b, c] = (v as u32).to_be_bytes();
        self.put(&[a, b, c])
    }

    /// Writes `len` big-endian in the `width` bytes at `at`.
    fn patch(&mut self, at: usize, width: usize, len: usize) {
        let bytes = (len as u32).to_be_bytes();
        if let (Some(slot), Some(value)) =
            (self.out.buf.get_mut(at..at + width), bytes.get(4 - width..))
        {
            crate::buf::copy(slot, value);
        }
    }

    /// Starts a vector with a two-byte length: returns where it goes.
    pub(crate) fn open16(&mut self) -> usize {
        let at = self.pos;
        self.u16(0);
        at
    }

    pub(crate) fn close16(&mut self, at: usize) {
        self.patch(at, 2, self.pos - at - 2);
    }

    pub(crate) fn open24(&mut self) -> usize {
        let at = self.pos;
        self.u24(0);
        at
    }

    pub(crate) fn close24(&mut self, at: usize) {
        self.patch(at, 3, self.pos - at - 3);
    }

    /// Starts a handshake message of `kind`.
    pub(crate) fn start_message(&mut self, kind: u8) -> usize {
        let at = self.pos;
        self.u8(kind).u24(0);
        at
    }

    /// Ends the message started at `at`: fills in its length and adds it
    /// to the transcript.
    pub(crate) fn end_message(&mut self, at: usize, transcript: &mut Transcript) {
        self.patch(at + 1, 3, self.pos - at - 4);
        transcript.update(self.out.buf.get(at..self.pos).unwrap_or_default());
    }

    /// Ends the record: in clear (`keys` None) or protected.
    pub(crate) fn finish(self, keys: Option<&mut Keys>) -> Result<(), Alert> {
        let start = self.out.len;
        let len = self.pos - start - HEADER_BYTES;
        if self.overflowed {
            return Err(Alert::InternalError);
        }
        match keys {
            None => {
                let mut w = self;
                w.patch(start + 3, 2, len);
                w.out.len = w.pos;
            }
            Some(keys) => {
                if let Some(room) = self.out.buf.get_mut(start..) {
                    self.out.len = start + keys.seal(room, len, HANDSHAKE);
                }
            }
        }
        Ok(())
    }
}
