//! A streaming `multipart/form-data` parser (RFC 7578 over RFC 2046
//! §5.1), for the listing page's upload form: `boundary` finds the
//! boundary in the request's `Content-Type`, `Parser::step` turns the body,
//! read piece by piece into the connection's fixed buffer, into events
//! (a part's head, its data, its end, the form's end), and
//! `decode_filename` turns a part's filename into bytes.
//!
//! Contract: no panic on any input; events borrow from the caller's
//! buffer (no copies); the events are the same for any split of the body
//! across calls. Bytes that might start a delimiter are held back until it
//! is known whether they do, and a part head is parsed only once it is
//! whole, so the caller keeps unconsumed bytes at the front of a buffer of
//! at least `MIN_BUFFER_BYTES` (plus the boundary's length), and `step`
//! then always makes progress or fails.

use crate::http::syntax::{
    self, eq_ignore_case, field_line, hex_digit, skip_ows, starts_with_ignore_case,
};

/// The longest boundary, in bytes: RFC 2046 §5.1.1 allows 1 to 70.
pub const MAX_BOUNDARY_BYTES: usize = 70;

/// The largest part head accepted, in bytes, from the end of the
/// delimiter's boundary (transport padding and the line end are counted)
/// through the head's empty line.
/// Browsers send two short lines (Content-Disposition, Content-Type) with a
/// filename of at most 255 bytes, escaped; 2 KiB leaves room for that and
/// for the boundary inside the caller's 6 to 8 KiB buffer.
pub const MAX_PART_HEAD_BYTES: usize = 2048;

/// How big the caller's buffer must be, in bytes, with the boundary's
/// length added, for `step` never to stall on a full buffer: a whole part
/// head, or a delimiter (`CRLF--`, the boundary, `--`) and slack.
pub const MIN_BUFFER_BYTES: usize = MAX_PART_HEAD_BYTES + 8;

/// `CRLF "--"`, which comes before the boundary in every delimiter.
const DASHES_BYTES: usize = 4;

/// A form refused, a 400 to the client: a delimiter's boundary followed by
/// something other than transport padding and a line end (RFC 2046
/// §5.1.1), a malformed part head or one without `Content-Disposition:
/// form-data` and a `name` (RFC 7578 §4.2), a part head over
/// `MAX_PART_HEAD_BYTES`, or a body ended before the close delimiter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MultipartError;

/// A part's filename as sent, not decoded yet (see `decode_filename`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Filename<'a> {
    /// A `filename` parameter: a token, or the bytes inside the quotes.
    Plain(&'a [u8]),
    /// A `filename*` ext-value (RFC 8187 §3.2) in UTF-8: the percent-encoded
    /// value after `charset'language'`.
    Ext(&'a [u8]),
}

/// What `Parser::step` found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// A part's head was read: its field name (raw, as inside the quotes)
    /// and its filename (`filename*` if usable, else `filename`); None for
    /// a plain form field.
    Part {
        field: &'a [u8],
        filename: Option<Filename<'a>>,
    },
    /// Bytes of the current part's body (a part may have several, or none).
    Data(&'a [u8]),
    /// The current part's body ended (its delimiter was seen).
    PartEnd,
    /// The close delimiter was seen: the form is complete. Anything after
    /// it (the epilogue) is ignored.
    End,
}

/// Where in the body the next byte falls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// At the very start, where the first delimiter may come without the
    /// CRLF before it (RFC 2046 §5.1.1: the preamble is optional).
    Start,
    /// In the preamble, which is skipped.
    Preamble,
    /// After a delimiter's boundary: the rest of its line (transport
    /// padding, RFC 2046 §5.1.1), then a part's head.
    Head,
    /// In a part's body.
    Body,
    /// The close delimiter was read: `End`, and the rest is epilogue.
    Done,
}

/// What starts at a position of the body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Found {
    /// No delimiter.
    No,
    /// The start of a delimiter, cut off by the end of the bytes read.
    Maybe,
    /// A delimiter before a part.
    Part,
    /// The close delimiter.
    Close,
}

/// The parser's state between calls, and the delimiter it looks for.
#[derive(Clone, Debug)]
pub struct Parser {
    state: State,
    /// `CRLF "--" boundary`; only the first `len` bytes are used.
    delimiter: [u8; DASHES_BYTES + MAX_BOUNDARY_BYTES],
    len: usize,
}

impl Parser {
    /// A parser for a body whose boundary is `boundary`, or None if it is
    /// not 1 to 70 bchars, not ending in a space (RFC 2046 §5.1.1).
    pub fn new(boundary: &[u8]) -> Option<Parser> {
        let bchar = |&c: &u8| c.is_ascii_alphanumeric() || b"'()+_,-./:=? ".contains(&c);
        if !(1..=MAX_BOUNDARY_BYTES).contains(&boundary.len())
            || !boundary.iter().all(bchar)
            || boundary.last() == Some(&b' ')
        {
            return None;
        }
        let mut delimiter = [b'-'; DASHES_BYTES + MAX_BOUNDARY_BYTES];
        delimiter[0] = b'\r';
        delimiter[1] = b'\n';
        for (d, &b) in delimiter.iter_mut().skip(DASHES_BYTES).zip(boundary) {
            *d = b;
        }
        Some(Parser {
            state: State::Start,
            delimiter,
            len: DASHES_BYTES + boundary.len(),
        })
    }

    /// Parses the front of `buf`: the unconsumed bytes, starting where the
    /// last call's consumed count ended. Returns how many bytes it
    /// consumed and at most one event, whose slices borrow from `buf`.
    /// `(n, None)` means: keep `buf[n..]`, read more, and call again with
    /// it at the front. `eof`: no more bytes will come, so an unfinished
    /// form is an error. Once the form has ended, every call consumes all
    /// of `buf` (epilogue) and reports `End` again.
    // Not inlined: in the connection's loop it took 270 bytes more.
    #[inline(never)]
    pub fn step<'a>(
        &mut self,
        buf: &'a [u8],
        eof: bool,
    ) -> Result<(usize, Option<Event<'a>>), MultipartError> {
        let mut rest = buf;
        let event = 'more: loop {
            match self.state {
                State::Start => match self.delimiter_at(rest, 2) {
                    Found::No => self.state = State::Preamble,
                    Found::Maybe => break None,
                    found => rest = self.passed(found, rest, self.len - 2),
                },
                State::Preamble | State::Body => {
                    let (at, found) = self.find(rest);
                    let before = rest.get(..at).unwrap_or_default();
                    rest = rest.get(at..).unwrap_or_default();
                    let in_body = self.state == State::Body;
                    if in_body && at > 0 {
                        break Some(Event::Data(before));
                    }
                    if let Found::No | Found::Maybe = found {
                        break None;
                    }
                    rest = self.passed(found, rest, self.len);
                    if in_body {
                        break Some(Event::PartEnd);
                    }
                }
                // Lines, each checked once it is whole: the rest of the
                // delimiter's line, then header lines up to an empty line
                // (CRLF, or a bare LF, as RFC 9112 §2.2 lets HTTP
                // recipients accept), then the event.
                State::Head => {
                    let head = rest.get(..MAX_PART_HEAD_BYTES).unwrap_or(rest);
                    let mut at = 0;
                    let mut event = None;
                    loop {
                        let line = head.get(at..).unwrap_or_default();
                        let Some(lf) = line.iter().position(|&b| b == b'\n') else {
                            if rest.len() >= MAX_PART_HEAD_BYTES {
                                return Err(MultipartError);
                            }
                            break 'more None;
                        };
                        let first = at == 0;
                        at += lf + 1;
                        let line = match line.get(..lf).unwrap_or_default() {
                            [line @ .., b'\r'] => line,
                            line => line,
                        };
                        if first {
                            if !skip_ows(line).is_empty() {
                                return Err(MultipartError);
                            }
                        } else if line.is_empty() {
                            rest = rest.get(at..).unwrap_or_default();
                            self.state = State::Body;
                            break 'more Some(event.ok_or(MultipartError)?);
                        } else {
                            let (name, value) = field_line(line).ok_or(MultipartError)?;
                            if eq_ignore_case(name, b"content-disposition") {
                                if event.is_some() {
                                    return Err(MultipartError);
                                }
                                event = Some(disposition(value).ok_or(MultipartError)?);
                            }
                        }
                    }
                }
                State::Done => {
                    rest = &[];
                    break Some(Event::End);
                }
            }
        };
        if eof && event.is_none() {
            return Err(MultipartError);
        }
        Ok((buf.len() - rest.len(), event))
    }

    /// The state after a delimiter of `len` bytes at the start of `s`, and
    /// the bytes after it.
    fn passed<'a>(&mut self, found: Found, s: &'a [u8], len: usize) -> &'a [u8] {
        self.state = match found {
            Found::Close => State::Done,
            _ => State::Head,
        };
        s.get(len..).unwrap_or_default()
    }

    /// The first position in `s` where a delimiter is or may be, and
    /// which; `(s.len(), No)` if none. Once one may be, none can be found
    /// later, as the bytes after it are fewer than a delimiter.
    #[inline(never)]
    fn find(&self, s: &[u8]) -> (usize, Found) {
        for (i, &b) in s.iter().enumerate() {
            if b == b'\r' {
                let found = self.delimiter_at(s.get(i..).unwrap_or_default(), 0);
                if found != Found::No {
                    return (i, found);
                }
            }
        }
        (s.len(), Found::No)
    }

    /// What starts `s`: the delimiter without its first `skip` bytes,
    /// followed by `--` (close) or by padding or a line end (a part).
    /// Anything else after the boundary makes it data: a longer
    /// boundary-like string is not this boundary.
    fn delimiter_at(&self, s: &[u8], skip: usize) -> Found {
        let pattern = self.delimiter.get(skip..self.len).unwrap_or_default();
        let n = pattern.len().min(s.len());
        if s.get(..n) != pattern.get(..n) {
            return Found::No;
        }
        match s.get(n..).unwrap_or_default() {
            [] | [b'-'] => Found::Maybe,
            [b' ' | b'\t' | b'\r' | b'\n', ..] => Found::Part,
            [b'-', b'-', ..] => Found::Close,
            _ => Found::No,
        }
    }
}

/// The boundary parameter of a `Content-Type: multipart/form-data;
/// boundary=...` value (media type and parameter names case-insensitive,
/// RFC 9110 §8.3.1), or None. `Parser::new` checks that it is one.
pub fn boundary(content_type: &[u8]) -> Option<&[u8]> {
    param(content_type, b"multipart/form-data", b"boundary")
}

/// The parameter `want` of a header value `kind *( ";" parameter )`, the
/// kind matched ignoring case (see `syntax::param`); None if it is not
/// there or the value is malformed.
fn param<'a>(v: &'a [u8], kind: &[u8], want: &[u8]) -> Option<&'a [u8]> {
    let v = skip_ows(v);
    if !starts_with_ignore_case(v, kind) {
        return None;
    }
    syntax::param(v.get(kind.len()..)?, want, false)?
}

/// The Part event of a `form-data` Content-Disposition value
/// (RFC 7578 §4.2, RFC 6266 §4.1 for the parameters): it needs a `name`.
/// A `filename*` (RFC 8187 §3.2, `charset "'" [ language ] "'" value`)
/// is used if its charset is UTF-8, the one this server decodes (RFC 8187
/// §3.2.1 also allows ISO-8859-1, which then gives way to `filename`).
fn disposition(v: &[u8]) -> Option<Event<'_>> {
    const TYPE: &[u8] = b"form-data";
    let field = param(v, TYPE, b"name")?;
    let ext = param(v, TYPE, b"filename*").and_then(|ext| {
        let rest = ext.get(6..)?;
        let quote = rest.iter().position(|&b| b == b'\'')?;
        let value = rest.get(quote + 1..)?;
        starts_with_ignore_case(ext, b"utf-8'").then_some(Filename::Ext(value))
    });
    let plain = param(v, TYPE, b"filename").map(Filename::Plain);
    Some(Event::Part {
        field,
        filename: ext.or(plain),
    })
}

/// Decodes `name` into `out`: a `filename` is taken as it is (backslashes
/// and browsers' `%22`, `%0D`, `%0A` included), an ext-value's `%xx`
/// becomes its byte (RFC 8187 §3.2.1). Returns the length, or None if it
/// does not fit in `out` or has a bad percent escape.
pub fn decode_filename(name: Filename<'_>, out: &mut [u8]) -> Option<usize> {
    let (mut src, ext) = match name {
        Filename::Plain(s) => (s, false),
        Filename::Ext(s) => (s, true),
    };
    let mut n = 0;
    while let [b, rest @ ..] = src {
        src = rest;
        let mut b = *b;
        if ext && b == b'%' {
            let [hi, lo, rest @ ..] = src else {
                return None;
            };
            b = hex_digit(*hi)? << 4 | hex_digit(*lo)?;
            src = rest;
        }
        *out.get_mut(n)? = b;
        n += 1;
    }
    Some(n)
}

#[cfg(test)]
mod tests;
