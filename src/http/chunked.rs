//! The chunked transfer coding decoder (RFC 9112 §7.1), in place: the
//! connection reads raw body bytes into its fixed buffer and `Decoder`
//! turns them into the decoded body where they lie, so the caller always
//! finds the decoded bytes contiguous at the front, followed by whatever
//! raw bytes could not be decoded yet (a partial size line, a partial
//! CRLF). Decoding only ever moves bytes down, so it never needs more room
//! than the raw bytes took.
//!
//! Contract: no panic on any input, and the same result for any split of
//! the input across calls. A size line, the line end after a chunk's data
//! or a trailer line is decoded only once it is whole in the buffer, so
//! the caller's buffer must have room for `MAX_CHUNK_LINE_BYTES` after the
//! decoded bytes it still holds. Chunk extensions and trailer fields are
//! checked and skipped: the server acts on neither (RFC 9112 §7.1.1,
//! §7.1.2).

use crate::http::syntax::{self, field_line, hex_digit};

/// The longest size line or trailer line accepted, in bytes before its LF
/// (a CR included):
/// a size line is at most 16 hex digits, and nothing this server acts on
/// is in an extension. 1 KiB is generous, and an eighth of the ~8 KiB
/// buffer the caller decodes in, so a line always fits.
pub const MAX_CHUNK_LINE_BYTES: usize = 1024;

/// The largest trailer section accepted, in bytes: trailers are skipped
/// (RFC 9112 §7.1.2 lets a recipient discard them), so this only bounds
/// the work a client can make the server do after the last chunk.
pub const MAX_TRAILER_BYTES: usize = 4096;

/// A chunked body refused, a 400 to the client: a chunk-size not
/// 1*HEXDIG or over a u64, a malformed chunk-ext, anything but a line end
/// after a chunk's data, a bare CR, a malformed trailer field, a line over
/// `MAX_CHUNK_LINE_BYTES` or trailers over `MAX_TRAILER_BYTES`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkedError;

/// Where in the chunked body the next raw byte falls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// At the start of a size line (`chunk-size [chunk-ext] CRLF`).
    Size,
    /// Inside a chunk's data, with this many bytes of it still to come.
    Data(u64),
    /// After a chunk's data, expecting its CRLF: an empty line.
    DataEnd,
    /// After the last chunk: trailer lines, this many bytes of them so far.
    Trailer(usize),
    /// The empty line after the trailers was read: the body is complete.
    Done,
}

/// The decoder's state between calls. See the module docs.
#[derive(Clone, Copy, Debug)]
pub struct Decoder {
    state: State,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder {
    /// A decoder at the start of a chunked body.
    pub const fn new() -> Decoder {
        Decoder { state: State::Size }
    }

    /// The last chunk and the trailer section have been read: the body is
    /// complete. Bytes after it (`buf[decoded..end]` as the last `decode`
    /// returned them) belong to the next request on the connection.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// `buf[..decoded]` holds decoded body bytes the caller has not
    /// consumed yet, `buf[decoded..end]` raw bytes not decoded yet. Decodes
    /// as much as possible, moving data bytes down to follow
    /// `buf[..decoded]` and keeping the undecodable tail right after them.
    /// Returns the new `(decoded, end)`. On an error the body is
    /// malformed and the buffer's contents are unspecified.
    // Not inlined: in the connection's loop it took 80 bytes more.
    #[inline(never)]
    pub fn decode(
        &mut self,
        buf: &mut [u8],
        decoded: usize,
        end: usize,
    ) -> Result<(usize, usize), ChunkedError> {
        let end = end.min(buf.len());
        let mut write = decoded.min(end);
        let mut read = write;
        loop {
            let raw = buf.get(read..end).unwrap_or_default();
            match self.state {
                State::Data(left) => {
                    let n = usize::try_from(left).unwrap_or(usize::MAX).min(raw.len());
                    if n == 0 {
                        break;
                    }
                    move_down(buf, read, write, n);
                    read += n;
                    write += n;
                    // n <= left, so this never wraps.
                    self.state = match left - n as u64 {
                        0 => State::DataEnd,
                        left => State::Data(left),
                    };
                }
                State::Done => break,
                _ => {
                    let line = raw.get(..=MAX_CHUNK_LINE_BYTES).unwrap_or(raw);
                    let Some(lf) = line.iter().position(|&b| b == b'\n') else {
                        if raw.len() > MAX_CHUNK_LINE_BYTES {
                            return Err(ChunkedError);
                        }
                        break;
                    };
                    read += lf + 1;
                    // RFC 9112 §2.2: a bare LF may end a line, a bare CR
                    // may not (a CR left in the line is refused below).
                    let line = match line.get(..lf).unwrap_or_default() {
                        [line @ .., b'\r'] => line,
                        line => line,
                    };
                    self.state = match self.state {
                        State::Size => match size_line(line)? {
                            0 => State::Trailer(0),
                            n => State::Data(n),
                        },
                        State::DataEnd if line.is_empty() => State::Size,
                        State::Trailer(_) if line.is_empty() => State::Done,
                        State::Trailer(seen)
                            if seen + lf < MAX_TRAILER_BYTES && field_line(line).is_some() =>
                        {
                            State::Trailer(seen + lf + 1)
                        }
                        _ => return Err(ChunkedError),
                    };
                }
            }
        }
        let tail = end - read;
        move_down(buf, read, write, tail);
        Ok((write, write + tail))
    }
}

/// Moves `buf[from..from + len]` down to `buf[to..]` (`to <= from`),
/// front to back so an overlap is safe; a byte loop, as `copy_within`
/// brings a panic path.
fn move_down(buf: &mut [u8], from: usize, to: usize, len: usize) {
    for i in 0..len {
        if let Some(&b) = buf.get(from + i)
            && let Some(slot) = buf.get_mut(to + i)
        {
            *slot = b;
        }
    }
}

/// The chunk-size of a size line without its line ending:
/// `1*HEXDIG *( BWS ";" BWS token [ BWS "=" BWS ( token / quoted-string ) ] )`
/// (RFC 9112 §7.1, §7.1.1). No sign, no `0x`, no space but the BWS.
fn size_line(line: &[u8]) -> Result<u64, ChunkedError> {
    let mut size: u64 = 0;
    let mut rest = line;
    while let [b, tail @ ..] = rest
        && let Some(digit) = hex_digit(*b)
    {
        if size >> 60 != 0 {
            return Err(ChunkedError);
        }
        size = size << 4 | u64::from(digit);
        rest = tail;
    }
    match syntax::param(rest, b"", true) {
        Some(_) if rest.len() < line.len() => Ok(size),
        _ => Err(ChunkedError),
    }
}

#[cfg(test)]
mod tests;
