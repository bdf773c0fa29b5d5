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

use crate::http::chunked::quoted_string;
use crate::http::syntax::{eq_ignore_case, is_tchar, skip_ows, starts_with_ignore_case, trim_ows};

/// The longest boundary, in bytes: RFC 2046 §5.1.1 allows 1 to 70.
pub const MAX_BOUNDARY_BYTES: usize = 70;

/// The largest part head accepted, in bytes, through its empty line.
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

/// Why a form was refused; each is a 400 to the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MultipartError {
    /// A delimiter's boundary followed by transport padding and then
    /// something other than CRLF (RFC 2046 §5.1.1).
    BadBoundary,
    /// A malformed part header line, or no `Content-Disposition:
    /// form-data` with a `name` (RFC 7578 §4.2).
    BadPartHead,
    /// A part head over `MAX_PART_HEAD_BYTES`.
    PartHeadTooLarge,
    /// The body ended inside the form, before its close delimiter.
    Truncated,
}

/// A part's filename as sent, not decoded yet (see `decode_filename`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Filename<'a> {
    /// A quoted-string's bytes inside the quotes, backslash escapes not
    /// yet removed.
    Quoted(&'a [u8]),
    /// A token value.
    Token(&'a [u8]),
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
    /// After a delimiter's boundary: transport padding, then CRLF.
    Padding,
    /// At a part's head.
    Head,
    /// In a part's body.
    Body,
    /// The close delimiter was read; `End` is next.
    Closing,
    /// `End` was reported; the rest is epilogue.
    Finished,
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
    /// not a valid boundary (RFC 2046 §5.1.1).
    pub fn new(boundary: &[u8]) -> Option<Parser> {
        if !valid_boundary(boundary) {
            return None;
        }
        let mut delimiter = [0; DASHES_BYTES + MAX_BOUNDARY_BYTES];
        let (dashes, rest) = delimiter.split_at_mut(DASHES_BYTES);
        crate::buf::copy(dashes, b"\r\n--");
        let len = DASHES_BYTES + crate::buf::copy(rest, boundary);
        Some(Parser {
            state: State::Start,
            delimiter,
            len,
        })
    }

    /// Parses the front of `buf`: the unconsumed bytes, starting where the
    /// last call's consumed count ended. Returns how many bytes it
    /// consumed and at most one event, whose slices borrow from `buf`.
    /// `(n, None)` means: keep `buf[n..]`, read more, and call again with
    /// it at the front. `eof`: no more bytes will come, so an unfinished
    /// form is `Truncated`.
    pub fn step<'a>(
        &mut self,
        buf: &'a [u8],
        eof: bool,
    ) -> Result<(usize, Option<Event<'a>>), MultipartError> {
        let mut used = 0;
        loop {
            let rest = buf.get(used..).unwrap_or_default();
            match self.state {
                State::Start => match self.delimiter_at(rest, 2) {
                    Found::No => self.state = State::Preamble,
                    Found::Maybe => break,
                    found => {
                        used += self.len - 2;
                        self.state = self.after_delimiter(found, &mut used);
                    }
                },
                State::Preamble | State::Body => {
                    let (at, found) = self.find(rest);
                    let in_body = self.state == State::Body;
                    if in_body && at > 0 {
                        let data = rest.get(..at).unwrap_or_default();
                        return Ok((used + at, Some(Event::Data(data))));
                    }
                    used += at;
                    if let Found::No | Found::Maybe = found {
                        break;
                    }
                    used += self.len;
                    self.state = self.after_delimiter(found, &mut used);
                    if in_body {
                        return Ok((used, Some(Event::PartEnd)));
                    }
                }
                // RFC 2046 §5.1.1: `transport-padding CRLF` (LWSP).
                State::Padding => match rest {
                    [b' ' | b'\t', ..] => used += 1,
                    [b'\r', b'\n', ..] => {
                        used += 2;
                        self.state = State::Head;
                    }
                    [b'\n', ..] => {
                        used += 1;
                        self.state = State::Head;
                    }
                    [] | [b'\r'] => break,
                    _ => return Err(MultipartError::BadBoundary),
                },
                State::Head => {
                    let Some(len) = head_len(rest) else {
                        if rest.len() >= MAX_PART_HEAD_BYTES {
                            return Err(MultipartError::PartHeadTooLarge);
                        }
                        break;
                    };
                    if len > MAX_PART_HEAD_BYTES {
                        return Err(MultipartError::PartHeadTooLarge);
                    }
                    let event = part(rest.get(..len).unwrap_or_default())?;
                    self.state = State::Body;
                    return Ok((used + len, Some(event)));
                }
                State::Closing => {
                    self.state = State::Finished;
                    return Ok((used, Some(Event::End)));
                }
                State::Finished => return Ok((buf.len(), None)),
            }
        }
        if eof {
            return Err(MultipartError::Truncated);
        }
        Ok((used, None))
    }

    /// The state after a delimiter; consumes a close delimiter's `--`.
    fn after_delimiter(&self, found: Found, used: &mut usize) -> State {
        if found == Found::Close {
            *used += 2;
            return State::Closing;
        }
        State::Padding
    }

    /// The first position in `s` where a delimiter is or may be, and
    /// which; `(s.len(), No)` if none. Once one may be, none can be found
    /// later, as the bytes after it are fewer than a delimiter.
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

/// Whether `b` is a boundary of 1 to 70 bchars, not ending in a space
/// (RFC 2046 §5.1.1).
fn valid_boundary(b: &[u8]) -> bool {
    let bchar = |c: &u8| c.is_ascii_alphanumeric() || b"'()+_,-./:=? ".contains(c);
    (1..=MAX_BOUNDARY_BYTES).contains(&b.len()) && b.iter().all(bchar) && b.last() != Some(&b' ')
}

/// The boundary parameter of a `Content-Type: multipart/form-data;
/// boundary=...` value (media type and parameter names case-insensitive,
/// RFC 9110 §8.3.1; a token or a quoted-string without escapes), or None.
pub fn boundary(content_type: &[u8]) -> Option<&[u8]> {
    const MEDIA_TYPE: &[u8] = b"multipart/form-data";
    let v = trim_ows(content_type);
    if !starts_with_ignore_case(v, MEDIA_TYPE) {
        return None;
    }
    let (b, quoted) = param(v.get(MEDIA_TYPE.len()..)?, b"boundary")??;
    // A backslash is no bchar, escaped or not.
    (!(quoted && b.contains(&b'\\')) && valid_boundary(b)).then_some(b)
}

/// The value of the last parameter named `want` (ignoring case) in `s`, a
/// list of `OWS ";" OWS name "=" value` (RFC 9110 §5.6.6), and whether it
/// was a quoted-string (then the bytes inside the quotes). Lenient as
/// browsers are not: OWS around `=`, and a `;` with nothing after it.
/// None if `s` is not all parameters; `Some(None)` if there is no `want`.
/// One function for every parameter, rather than one instance per caller.
#[inline(never)]
fn param<'a>(mut s: &'a [u8], want: &[u8]) -> Option<Option<(&'a [u8], bool)>> {
    let mut found = None;
    loop {
        let [b';', rest @ ..] = skip_ows(s) else {
            return skip_ows(s).is_empty().then_some(found);
        };
        let rest = skip_ows(rest);
        let n = rest.iter().take_while(|&&b| is_tchar(b)).count();
        let (name, rest) = rest.split_at_checked(n)?;
        if name.is_empty() {
            return rest.is_empty().then_some(found);
        }
        let [b'=', rest @ ..] = skip_ows(rest) else {
            return None;
        };
        let rest = skip_ows(rest);
        let (value, quoted, rest) = match quoted_string(rest) {
            Some(after) => {
                let inside = rest.len().saturating_sub(after.len() + 1);
                (rest.get(1..inside)?, true, after)
            }
            None => {
                let n = rest.iter().take_while(|&&b| is_tchar(b)).count();
                match rest.split_at_checked(n) {
                    Some((value, after)) if n > 0 => (value, false, after),
                    _ => return None,
                }
            }
        };
        if eq_ignore_case(name, want) {
            found = Some((value, quoted));
        }
        s = rest;
    }
}

/// The length of the part head at the start of `s`, through the empty
/// line that ends it (CRLF, or a bare LF, as RFC 9112 §2.2 lets HTTP
/// recipients accept), or None if it has not ended in `s`.
fn head_len(s: &[u8]) -> Option<usize> {
    let mut start = 0;
    loop {
        let line = s.get(start..)?;
        let lf = line.iter().position(|&b| b == b'\n')?;
        start += lf + 1;
        if let [] | [b'\r'] = line.get(..lf)? {
            return Some(start);
        }
    }
}

/// The Part event of a whole part head: its header lines must be well
/// formed, and one must be `Content-Disposition: form-data` with a `name`
/// (RFC 7578 §4.2); the others (Content-Type) are ignored.
fn part(head: &[u8]) -> Result<Event<'_>, MultipartError> {
    const BAD: MultipartError = MultipartError::BadPartHead;
    let mut event = None;
    for line in head.split(|&b| b == b'\n') {
        let line = match line {
            [line @ .., b'\r'] => line,
            _ => line,
        };
        if line.is_empty() {
            break;
        }
        let n = line.iter().take_while(|&&b| is_tchar(b)).count();
        let Some((name, [b':', value @ ..])) = line.split_at_checked(n) else {
            return Err(BAD);
        };
        // No control byte but HTAB: a bare CR is refused here.
        if n == 0
            || !value
                .iter()
                .all(|&b| b == b'\t' || (b >= b' ' && b != 0x7f))
        {
            return Err(BAD);
        }
        if eq_ignore_case(name, b"content-disposition") {
            if event.is_some() {
                return Err(BAD);
            }
            event = Some(disposition(trim_ows(value)).ok_or(BAD)?);
        }
    }
    event.ok_or(BAD)
}

/// The Part event of a `form-data` Content-Disposition value
/// (RFC 7578 §4.2, RFC 6266 §4.1 for the parameters).
fn disposition(v: &[u8]) -> Option<Event<'_>> {
    const TYPE: &[u8] = b"form-data";
    let rest = v.get(TYPE.len()..)?;
    if !starts_with_ignore_case(v, TYPE) {
        return None;
    }
    let (field, _) = param(rest, b"name")??;
    let filename = param(rest, b"filename")?.map(|(value, quoted)| match quoted {
        true => Filename::Quoted(value),
        false => Filename::Token(value),
    });
    let ext = match param(rest, b"filename*")? {
        Some((value, false)) => ext_value(value),
        _ => None,
    };
    Some(Event::Part {
        field,
        filename: ext.or(filename),
    })
}

/// The value of a `filename*` ext-value, `charset "'" [ language ] "'"
/// value-chars` (RFC 8187 §3.2), if its charset is UTF-8 (the one this
/// server decodes; RFC 8187 §3.2.1 also allows ISO-8859-1, which is then
/// ignored in favour of `filename`).
fn ext_value(v: &[u8]) -> Option<Filename<'_>> {
    let mut fields = v.splitn(3, |&b| b == b'\'');
    let charset = fields.next()?;
    let _language = fields.next()?;
    let value = fields.next()?;
    eq_ignore_case(charset, b"utf-8").then_some(Filename::Ext(value))
}

/// Decodes `name` into `out`: a quoted-string's `\x` becomes `x`
/// (RFC 9110 §5.6.4), an ext-value's `%xx` becomes its byte (RFC 8187
/// §3.2.1). Browsers and curl escape `"`, CR and LF as `%22`, `%0D`, `%0A`
/// in quoted filenames (the HTML standard's form encoding): those stay
/// as they are. Returns the length, or None if it does not fit in `out`
/// or is malformed (a trailing backslash, a bad percent escape).
pub fn decode_filename(name: Filename<'_>, out: &mut [u8]) -> Option<usize> {
    let (src, escape) = match name {
        Filename::Quoted(s) => (s, b'\\'),
        Filename::Token(s) => (s, 0),
        Filename::Ext(s) => (s, b'%'),
    };
    let mut n = 0;
    let mut bytes = src.iter();
    while let Some(&b) = bytes.next() {
        let b = match b {
            b'\\' if escape == b'\\' => *bytes.next()?,
            b'%' if escape == b'%' => {
                let hi = hex(*bytes.next()?)?;
                hex(*bytes.next()?)? | hi << 4
            }
            b => b,
        };
        *out.get_mut(n)? = b;
        n += 1;
    }
    Some(n)
}

/// The value of a hex digit.
fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An owned event, with the filename decoded.
    #[derive(Clone, Debug, PartialEq, Eq)]
    enum Ev {
        Part(Vec<u8>, Option<Vec<u8>>),
        Data(Vec<u8>),
        PartEnd,
        End,
    }

    fn own(event: Event<'_>) -> Ev {
        match event {
            Event::Part { field, filename } => Ev::Part(
                field.to_vec(),
                filename.map(|f| {
                    let mut out = [0u8; 512];
                    let n = decode_filename(f, &mut out).expect("decodable filename");
                    out[..n].to_vec()
                }),
            ),
            Event::Data(d) => {
                assert!(!d.is_empty(), "empty Data event");
                Ev::Data(d.to_vec())
            }
            Event::PartEnd => Ev::PartEnd,
            Event::End => Ev::End,
        }
    }

    /// Appends `ev`, merging adjacent Data.
    fn push(events: &mut Vec<Ev>, ev: Ev) {
        if let (Some(Ev::Data(last)), Ev::Data(more)) = (events.last_mut(), &ev) {
            last.extend_from_slice(more);
        } else {
            events.push(ev);
        }
    }

    /// Parses `body` as a connection would: reads of the given sizes (then
    /// the rest) into a buffer of `cap` bytes holding the unconsumed bytes
    /// at its front. Returns the events (Data merged) up to End, or the
    /// error and the events before it.
    fn run(
        body: &[u8],
        boundary: &[u8],
        reads: &[usize],
        cap: usize,
    ) -> (Vec<Ev>, Option<MultipartError>) {
        let mut parser = Parser::new(boundary).expect("valid boundary");
        let mut buf = vec![0u8; cap];
        let (mut len, mut pos, mut events) = (0, 0, Vec::new());
        let mut reads = reads.iter().copied();
        let mut need_more = true;
        loop {
            if need_more || reads.len() % 2 == 1 {
                let n = reads
                    .next()
                    .unwrap_or(usize::MAX)
                    .min(body.len() - pos)
                    .min(cap - len);
                buf[len..len + n].copy_from_slice(&body[pos..pos + n]);
                len += n;
                pos += n;
            }
            let eof = pos == body.len();
            match parser.step(&buf[..len], eof) {
                Err(e) => return (events, Some(e)),
                Ok((n, event)) => {
                    assert!(n <= len);
                    need_more = event.is_none();
                    if let Some(event) = event {
                        let ev = own(event);
                        let end = ev == Ev::End;
                        push(&mut events, ev);
                        if end {
                            return (events, None);
                        }
                    } else {
                        assert!(!eof, "eof without an event or error");
                        assert!(len - n < cap, "stalled on a full buffer");
                    }
                    buf.copy_within(n..len, 0);
                    len -= n;
                }
            }
        }
    }

    fn whole(body: &[u8], boundary: &[u8]) -> (Vec<Ev>, Option<MultipartError>) {
        run(body, boundary, &[], 1 << 16)
    }

    /// The smallest buffer the module docs promise never stalls.
    fn min_cap(boundary: &[u8]) -> usize {
        MIN_BUFFER_BYTES + boundary.len()
    }

    fn part(field: &str, filename: Option<&[u8]>) -> Ev {
        Ev::Part(field.into(), filename.map(<[u8]>::to_vec))
    }

    fn data(d: &[u8]) -> Ev {
        Ev::Data(d.to_vec())
    }

    /// Checks `body` whole, split at every point into two reads, read
    /// byte by byte, and through the smallest buffer.
    fn check(body: &[u8], boundary: &[u8], want: &[Ev], err: Option<MultipartError>) {
        let shown = body.escape_ascii().to_string();
        assert_eq!(whole(body, boundary), (want.to_vec(), err), "{shown}");
        for at in 0..=body.len() {
            assert_eq!(
                run(body, boundary, &[at], 1 << 16),
                (want.to_vec(), err),
                "split {at}: {shown}"
            );
        }
        let bytewise = vec![1; body.len() + 1];
        assert_eq!(
            run(body, boundary, &bytewise, 1 << 16),
            (want.to_vec(), err),
            "bytewise: {shown}"
        );
        if err != Some(MultipartError::PartHeadTooLarge) {
            let cap = min_cap(boundary);
            assert_eq!(
                run(body, boundary, &[], cap),
                (want.to_vec(), err),
                "cap {cap}: {shown}"
            );
        }
    }

    /// `curl -F a=@hello.txt -F b=@data.bin -F c=plain` (curl 8), as
    /// `--trace-ascii` shows it.
    #[test]
    fn curl_body() {
        let ct = b"multipart/form-data; boundary=------------------------d74496d66958873e";
        let b = boundary(ct).unwrap();
        assert_eq!(b, b"------------------------d74496d66958873e");
        let body = b"--------------------------d74496d66958873e\r\n\
Content-Disposition: form-data; name=\"a\"; filename=\"hello.txt\"\r\n\
Content-Type: text/plain\r\n\
\r\n\
hello\n\
\r\n\
--------------------------d74496d66958873e\r\n\
Content-Disposition: form-data; name=\"b\"; filename=\"data.bin\"\r\n\
Content-Type: application/octet-stream\r\n\
\r\n\
\x00\x01\r\n--\r\n-------------------------d74496d66958873\xff\r\n\
--------------------------d74496d66958873e\r\n\
Content-Disposition: form-data; name=\"c\"\r\n\
\r\n\
plain\r\n\
--------------------------d74496d66958873e--\r\n";
        let want = [
            part("a", Some(b"hello.txt")),
            data(b"hello\n"),
            Ev::PartEnd,
            part("b", Some(b"data.bin")),
            data(b"\x00\x01\r\n--\r\n-------------------------d74496d66958873\xff"),
            Ev::PartEnd,
            part("c", None),
            data(b"plain"),
            Ev::PartEnd,
            Ev::End,
        ];
        check(body, b, &want, None);
    }

    /// Chromium: two files in one `<input multiple>`, odd names escaped
    /// as the HTML standard says (`"` as %22, CR LF as %0D%0A, backslash
    /// and UTF-8 raw), then an empty file input.
    #[test]
    fn chromium_body() {
        let ct = b"multipart/form-data; boundary=----WebKitFormBoundaryAbC123xyzQ7Jk9";
        let b = boundary(ct).unwrap();
        let body = "------WebKitFormBoundaryAbC123xyzQ7Jk9\r\n\
Content-Disposition: form-data; name=\"file\"; filename=\"say %22hi%22.txt\"\r\n\
Content-Type: text/plain\r\n\
\r\n\
hi\r\n\
------WebKitFormBoundaryAbC123xyzQ7Jk9\r\n\
Content-Disposition: form-data; name=\"file\"; filename=\"\u{20ac} caf\u{e9}.txt\"\r\n\
Content-Type: text/plain\r\n\
\r\n\
------WebKitFormBoundaryAbC123xyzQ7Jk9 is not here\r\n\
------WebKitFormBoundaryAbC123xyzQ7Jk9\r\n\
Content-Disposition: form-data; name=\"file\"; filename=\"\"\r\n\
Content-Type: application/octet-stream\r\n\
\r\n\
\r\n\
------WebKitFormBoundaryAbC123xyzQ7Jk9--\r\n";
        let want = [
            part("file", Some(b"say %22hi%22.txt")),
            data(b"hi"),
            Ev::PartEnd,
            part("file", Some("\u{20ac} caf\u{e9}.txt".as_bytes())),
            data(b"------WebKitFormBoundaryAbC123xyzQ7Jk9 is not here"),
            Ev::PartEnd,
            part("file", Some(b"")),
            Ev::PartEnd,
            Ev::End,
        ];
        check(body.as_bytes(), b, &want, None);
    }

    /// Firefox (older boundary style, a preamble-free body), LF-only
    /// heads from a hand-written client, `filename*`, token values.
    #[test]
    fn firefox_and_other_heads() {
        let b = b"---------------------------9051914041544843365972754266";
        let body = b"-----------------------------9051914041544843365972754266\r\n\
Content-Disposition: form-data; name=\"text\"\r\n\
\r\n\
text default\r\n\
-----------------------------9051914041544843365972754266 \t\r\n\
content-disposition:FORM-DATA;NAME=f;Filename*=UTF-8''%e2%82%ac%20rates.txt;filename=\"x\"\n\
X-Other: ignored\n\
\n\
\xe2\x82\xac\r\n\
-----------------------------9051914041544843365972754266\n\
Content-Disposition: form-data ; filename = tok~en.txt ; name = \"q\\\"\"\r\n\
\r\n\
\r\n\
-----------------------------9051914041544843365972754266--";
        let want = [
            part("text", None),
            data(b"text default"),
            Ev::PartEnd,
            part("f", Some("\u{20ac} rates.txt".as_bytes())),
            data(b"\xe2\x82\xac"),
            Ev::PartEnd,
            part("q\\\"", Some(b"tok~en.txt")),
            Ev::PartEnd,
            Ev::End,
        ];
        check(body, b, &want, None);
    }

    #[test]
    fn preamble_epilogue_and_empty_forms() {
        let b = b"b";
        check(b"--b--", b, &[Ev::End], None);
        check(b"--b--\r\nepilogue --b\r\n", b, &[Ev::End], None);
        check(b"preamble\r\n--bx\r\n--b--", b, &[Ev::End], None);
        check(b"\r\n--b--", b, &[Ev::End], None);
        check(b"x--b--\r\n--b--", b, &[Ev::End], None);
        let one = b"--b\r\nContent-Disposition: form-data; name=x\r\n\r\n--b\r\n--b--";
        check(
            one,
            b,
            &[part("x", None), data(b"--b"), Ev::PartEnd, Ev::End],
            None,
        );
        let empty = b"--b\r\nContent-Disposition: form-data; name=x\r\n\r\n\r\n--b--";
        check(empty, b, &[part("x", None), Ev::PartEnd, Ev::End], None);
        let dashes = b"--b\r\nContent-Disposition: form-data; name=x\r\n\r\n\r\n--b-\r\n--b--";
        check(
            dashes,
            b,
            &[part("x", None), data(b"\r\n--b-"), Ev::PartEnd, Ev::End],
            None,
        );
    }

    #[test]
    fn errors() {
        use MultipartError::*;
        let b = b"b";
        let cd = "Content-Disposition: form-data; name=x\r\n\r\n";
        let p = || part("x", None);
        let cases: &[(&[u8], &[Ev], MultipartError)] = &[
            (b"", &[], Truncated),
            (b"no delimiter here", &[], Truncated),
            (b"--b", &[], Truncated),
            (b"--b-", &[], Truncated),
            (b"--b\r", &[], Truncated),
            (b"--b  x\r\n", &[], BadBoundary),
            (b"--b\r\n", &[], Truncated),
            (b"--b\r\n\r\n--b--", &[], BadPartHead),
            (b"--b\r\nContent-Type: text/plain\r\n\r\n--b--", &[], BadPartHead),
            (b"--b\r\nContent-Disposition: attachment; name=x\r\n\r\n", &[], BadPartHead),
            (b"--b\r\nContent-Disposition: form-data\r\n\r\n", &[], BadPartHead),
            (b"--b\r\nContent-Disposition: form-data; name=\"x\r\n\r\n", &[], BadPartHead),
            (b"--b\r\nContent-Disposition: form-data; name=x; y\r\n\r\n", &[], BadPartHead),
            (b"--b\r\nContent-Disposition: form-data; name=x\r\n bad: fold\r\n\r\n", &[], BadPartHead),
            (b"--b\r\nContent-Disposition : form-data; name=x\r\n\r\n", &[], BadPartHead),
            (b"--b\r\nContent-Disposition: form-data; name=x\rz\r\n\r\n", &[], BadPartHead),
            (b"--b\r\nContent-Disposition: form-data; name=x\r\nContent-Disposition: form-data; name=y\r\n\r\n", &[], BadPartHead),
            (b"--b\r\nContent-Disposition: form-data; name=x\r\n", &[], Truncated),
        ];
        for (body, events, err) in cases {
            check(body, b, events, Some(*err));
        }
        let body = [b"--b\r\n".as_slice(), cd.as_bytes(), b"data\r\n--b"].concat();
        check(&body, b, &[p(), data(b"data")], Some(Truncated));
        let body = [b"--b\r\n".as_slice(), cd.as_bytes(), b"data\r\n--b\r\n"].concat();
        check(
            &body,
            b,
            &[p(), data(b"data"), Ev::PartEnd],
            Some(Truncated),
        );
        let body = [b"--b\r\n".as_slice(), cd.as_bytes(), b"data\r\n--b\tx"].concat();
        check(
            &body,
            b,
            &[p(), data(b"data"), Ev::PartEnd],
            Some(BadBoundary),
        );
    }

    #[test]
    fn head_size_limit() {
        let b = b"AaB03x";
        let head = |len: usize| {
            let mut h = b"Content-Disposition: form-data; name=x\r\nX: ".to_vec();
            h.resize(len - 4, b'v');
            h.extend_from_slice(b"\r\n\r\n");
            h
        };
        for (len, ok) in [
            (MAX_PART_HEAD_BYTES, true),
            (MAX_PART_HEAD_BYTES + 1, false),
        ] {
            let body = [b"--AaB03x\r\n".as_slice(), &head(len), b"\r\n--AaB03x--"].concat();
            let cap = min_cap(b);
            let want = match ok {
                true => (vec![part("x", None), Ev::PartEnd, Ev::End], None),
                false => (vec![], Some(MultipartError::PartHeadTooLarge)),
            };
            assert_eq!(whole(&body, b), want);
            assert_eq!(run(&body, b, &[], cap), want);
            assert_eq!(run(&body, b, &[7; 1000], cap), want);
        }
        // A head that never ends, in the smallest buffer: refused, not stalled.
        let body = [b"--AaB03x\r\n".as_slice(), &[b'a'; 5000]].concat();
        let got = run(&body, b, &[], min_cap(b));
        assert_eq!(got, (vec![], Some(MultipartError::PartHeadTooLarge)));
    }

    #[test]
    fn boundaries() {
        let cases: &[(&[u8], Option<&[u8]>)] = &[
            (b"multipart/form-data; boundary=abc", Some(b"abc")),
            (
                b"Multipart/Form-Data;BOUNDARY=\"a b'()+_,-./:=?\"",
                Some(b"a b'()+_,-./:=?"),
            ),
            (
                b" multipart/form-data ; charset=utf-8; boundary = x ; ",
                Some(b"x"),
            ),
            (b"multipart/form-data; boundary=\"\"", None),
            (b"multipart/form-data; boundary=\"a \"", None),
            (b"multipart/form-data; boundary=\"a\\b\"", None),
            (b"multipart/form-data; boundary=a@b", None),
            (b"multipart/form-data; boundary=a;x", None),
            (b"multipart/form-data", None),
            (b"multipart/mixed; boundary=abc", None),
            (b"multipart/form-datax; boundary=abc", None),
            (b"text/plain; boundary=abc", None),
        ];
        for (ct, want) in cases {
            assert_eq!(boundary(ct), *want, "{}", ct.escape_ascii());
        }
        let long = [b'x'; MAX_BOUNDARY_BYTES + 1];
        let ct = [b"multipart/form-data; boundary=".as_slice(), &long].concat();
        assert_eq!(boundary(&ct), None);
        assert_eq!(boundary(&ct[..ct.len() - 1]), Some(&long[1..]));
        assert!(Parser::new(&long[1..]).is_some());
        assert!(Parser::new(&long).is_none() && Parser::new(b"").is_none());
    }

    #[test]
    fn filenames() {
        let cases: &[(Filename, Option<&[u8]>)] = &[
            (Filename::Quoted(b"a\\\"b\\\\c%22"), Some(b"a\"b\\c%22")),
            (Filename::Quoted(b"trailing\\"), None),
            (Filename::Token(b"a%41"), Some(b"a%41")),
            (
                Filename::Ext(b"%e2%82%AC.txt"),
                Some("\u{20ac}.txt".as_bytes()),
            ),
            (Filename::Ext(b"%e"), None),
            (Filename::Ext(b"%zz"), None),
            (Filename::Quoted(b""), Some(b"")),
        ];
        for (name, want) in cases {
            let mut out = [0u8; 64];
            let got = decode_filename(*name, &mut out).map(|n| out[..n].to_vec());
            assert_eq!(got.as_deref(), *want, "{name:?}");
        }
        let mut small = [0u8; 3];
        assert_eq!(
            decode_filename(Filename::Token(b"abc"), &mut small),
            Some(3)
        );
        assert_eq!(decode_filename(Filename::Token(b"abcd"), &mut small), None);
        // filename* in another charset, or malformed, falls back to filename.
        for ext in ["iso-8859-1''%e9", "UTF-8%e9", "UTF-8'%e9"] {
            let v = format!("form-data; name=a; filename*={ext}; filename=\"f\"");
            let want = Event::Part {
                field: b"a",
                filename: Some(Filename::Quoted(b"f")),
            };
            assert_eq!(disposition(v.as_bytes()), Some(want));
        }
        let v = b"form-data; filename*=utf-8'en'a%20b; name=a";
        let want = Event::Part {
            field: b"a",
            filename: Some(Filename::Ext(b"a%20b")),
        };
        assert_eq!(disposition(v), Some(want));
    }

    /// The delimiter split at every byte position across two calls, for
    /// boundaries of every length class.
    #[test]
    fn delimiter_split_everywhere() {
        for b in [
            &b"x"[..],
            b"----WebKitFormBoundaryAbC123",
            &[b'7'; MAX_BOUNDARY_BYTES],
        ] {
            let d = |tail: &str| [b"\r\n--".as_slice(), b, tail.as_bytes()].concat();
            let body = [
                &d("\r\n")[2..],
                b"Content-Disposition: form-data; name=f; filename=a\r\n\r\n",
                &d("x")[..],
                &d("")[..d("").len() - 1],
                &d("\r\n"),
                b"Content-Disposition: form-data; name=g\r\n\r\n",
                &d("--"),
            ]
            .concat();
            let mut first = d("x");
            first.extend_from_slice(&d("")[..d("").len() - 1]);
            let want = [
                part("f", Some(b"a")),
                Ev::Data(first),
                Ev::PartEnd,
                part("g", None),
                Ev::PartEnd,
                Ev::End,
            ];
            check(&body, b, &want, None);
        }
    }

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// Whether `x` holds a delimiter as the module defines it, found by a
    /// naive search: CRLF `--boundary` then `--`, LWSP, CR or LF.
    fn has_delimiter(x: &[u8], b: &[u8]) -> bool {
        let d = [b"\r\n--".as_slice(), b].concat();
        (0..x.len()).any(|i| {
            x[i..].starts_with(&d)
                && matches!(
                    x.get(i + d.len()..),
                    Some([b' ' | b'\t' | b'\r' | b'\n', ..] | [b'-', b'-', ..])
                )
        })
    }

    /// A random form and the events it must give: the reference is the
    /// generator, with part bodies free of delimiters by a naive search.
    fn random_form(rng: &mut Rng, b: &[u8]) -> (Vec<u8>, Vec<Ev>) {
        let pieces: [&[u8]; 8] = [b"\r", b"\n", b"-", b"--", b"\r\n--", b, b"z", b" "];
        let mut body = Vec::new();
        let mut events = Vec::new();
        if rng.below(3) == 0 {
            body.extend_from_slice(b"preamble --");
            body.extend_from_slice(b);
            body.extend_from_slice(b"\r\n");
        }
        let crlf = |body: &mut Vec<u8>| body.extend_from_slice(b"\r\n");
        let parts = rng.below(4);
        for i in 0..parts {
            if i > 0 || !body.is_empty() {
                crlf(&mut body);
            }
            body.extend_from_slice(b"--");
            body.extend_from_slice(b);
            body.extend_from_slice(&b" \t"[..rng.below(3)]);
            crlf(&mut body);
            let field = format!("f{i}");
            let (param, name): (String, Option<&[u8]>) = match rng.below(4) {
                0 => (String::new(), None),
                1 => ("; filename=\"\"".into(), Some(b"")),
                2 => ("; filename=\"a%22\\\\b.txt\"".into(), Some(b"a%22\\b.txt")),
                _ => (
                    "; filename*=UTF-8''%C3%A9".into(),
                    Some("\u{e9}".as_bytes()),
                ),
            };
            body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{field}\"{param}\r\n").as_bytes(),
            );
            if rng.below(2) == 0 {
                body.extend_from_slice(b"Content-Type: application/octet-stream\r\n");
            }
            crlf(&mut body);
            events.push(Ev::Part(field.into_bytes(), name.map(<[u8]>::to_vec)));
            let data = loop {
                let mut data = Vec::new();
                for _ in 0..rng.below(40) {
                    data.extend_from_slice(pieces[rng.below(pieces.len())]);
                }
                if !has_delimiter(&[&data[..], b"\r\n"].concat(), b) {
                    break data;
                }
            };
            body.extend_from_slice(&data);
            if !data.is_empty() {
                events.push(Ev::Data(data));
            }
            events.push(Ev::PartEnd);
        }
        if !body.is_empty() {
            crlf(&mut body);
        }
        body.extend_from_slice(b"--");
        body.extend_from_slice(b);
        body.extend_from_slice(b"--");
        if rng.below(2) == 0 {
            body.extend_from_slice(b"\r\nepilogue\r\n--");
        }
        events.push(Ev::End);
        (body, events)
    }

    #[test]
    fn random_forms_random_splits() {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let bs: [&[u8]; 4] = [
            b"q",
            b"--",
            b"----WebKitFormBoundaryAbC123",
            b"------------------------d74496d66958873e",
        ];
        for round in 0..4000 {
            let b = bs[round % bs.len()];
            let (body, want) = random_form(&mut rng, b);
            let shown = body.escape_ascii().to_string();
            assert_eq!(whole(&body, b), (want.clone(), None), "{shown}");
            let reads: Vec<usize> = (0..body.len()).map(|_| rng.below(12)).collect();
            let cap = [min_cap(b), 1 << 16][round % 2];
            assert_eq!(
                run(&body, b, &reads, cap),
                (want.clone(), None),
                "{shown} {reads:?}"
            );
            // Cut short: the events so far, then Truncated (unless the
            // cut is past the close delimiter).
            let cut = rng.below(body.len());
            let (got, err) = run(&body[..cut], b, &reads, cap);
            if err.is_none() {
                assert_eq!(got, want, "cut {cut}: {shown}");
            } else {
                assert_eq!(err, Some(MultipartError::Truncated), "cut {cut}: {shown}");
                assert!(got.len() <= want.len());
                for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                    match (g, w) {
                        (Ev::Data(g), Ev::Data(w)) if i == got.len() - 1 => {
                            assert!(w.starts_with(g))
                        }
                        _ => assert_eq!(g, w, "cut {cut}: {shown}"),
                    }
                }
            }
        }
    }

    /// Arbitrary bytes never panic, and any split gives the same result.
    #[test]
    fn random_bytes_any_split() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let pieces: [&[u8]; 9] = [
            b"\r\n",
            b"\n",
            b"--b",
            b"-",
            b"Content-Disposition: form-data; name=x",
            b";",
            b"\"",
            b" ",
            b"\r",
        ];
        for _ in 0..20_000 {
            let body: Vec<u8> = (0..rng.below(30))
                .flat_map(|_| pieces[rng.below(pieces.len())].to_vec())
                .collect();
            let want = whole(&body, b"b");
            let reads: Vec<usize> = (0..body.len()).map(|_| rng.below(5)).collect();
            assert_eq!(
                run(&body, b"b", &reads, 1 << 16),
                want,
                "{}",
                body.escape_ascii()
            );
        }
    }
}
