//! The HTTP/1.x request-head parser (RFC 9112 §2-§5, RFC 9110 §5-§7).
//!
//! Contract: `parse` works over the caller's fixed buffer (the bytes read so
//! far) and returns borrowed slices into it: no copies, no allocation. It
//! never panics on any input: every access is bounds-checked through
//! iterators, `get` or slice patterns. A head that is not complete yet is
//! `Incomplete` only while the buffer still has room; a full buffer without
//! a complete head is `HeadTooLarge`, or `UriTooLong` when even the request
//! line has not ended, so the limit can never be mistaken for the end of
//! input.
//!
//! Only the headers the server acts on are kept; the rest are validated and
//! skipped. A list-valued field sent on several lines is one list (RFC 9110
//! §5.3) that cannot be joined without a copy: its slice spans the head
//! from the first line's value to the last one's, and its readers go
//! through `syntax::field_values` (see `Request::if_none_match`).

use crate::http::syntax::{eq_ignore_case, is_host, is_tchar, starts_with_ignore_case, trim_ows};
/// The largest request head accepted, in bytes: the size of a connection's
/// input buffer. 8 KiB is what nginx's `large_client_header_buffers` and
/// Apache's `LimitRequestLine` allow per line, and far above what browsers
/// send.
pub const MAX_HEAD_BYTES: usize = 8192;

/// The request method (RFC 9110 §9).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Options,
    /// Uploads (`--upload`): a file to a name, a form to a directory.
    Put,
    Post,
    /// Any other valid token: answered 501.
    Other,
}

/// The protocol version of the request line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    Http10,
    Http11,
}

/// Why a request head was refused. `http::response::status_for` maps each
/// to its status code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// More bytes are needed (not an error to answer).
    Incomplete,
    /// The request line is not `method SP target SP version`.
    BadRequestLine,
    /// The target is not origin-form, absolute-form or `*` (RFC 9112 §3.2).
    BadTarget,
    /// `HTTP/` followed by a version this server does not speak.
    UnsupportedVersion,
    /// A header line is malformed (bad name, control bytes, obs-fold, or a
    /// space before the colon, RFC 9112 §5.1).
    BadHeader,
    /// HTTP/1.1 without a `Host`, several `Host` lines, or one whose value
    /// is not `uri-host [ ":" port ]` (RFC 9112 §3.2, RFC 3986 §3.2.2).
    BadHost,
    /// A `Content-Length` that is not a number, or two different ones
    /// (RFC 9112 §6.3).
    BadContentLength,
    /// `Transfer-Encoding` together with `Content-Length`, `chunked`
    /// twice, or any `Transfer-Encoding` in HTTP/1.0: the body's length
    /// cannot be known safely (RFC 9112 §6.1, §6.3; request smuggling).
    BadFraming,
    /// A transfer coding other than `chunked` (RFC 9112 §6.1: 501).
    UnknownCoding,
    /// The head did not fit in `MAX_HEAD_BYTES`.
    HeadTooLarge,
    /// The request line alone did not fit in `MAX_HEAD_BYTES`.
    UriTooLong,
}

/// A parsed request head; every slice borrows from the input buffer.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    pub method: Method,
    pub version: Version,
    /// The request line without its line ending, for the access log.
    pub line: &'a [u8],
    /// The path of the target, starting with `/` (or `*`), not decoded.
    pub path: &'a [u8],
    /// The query with its leading `?`, or empty.
    pub query: &'a [u8],
    /// Bytes of the whole head, including the blank line.
    pub head_len: usize,
    /// The client asked to close (`Connection: close`).
    pub close: bool,
    /// The client asked to keep the connection (`Connection: keep-alive`).
    pub keep_alive: bool,
    /// A body follows the head (`Content-Length` > 0 or `chunked`).
    pub has_body: bool,
    /// The body's length, from `Content-Length`.
    pub content_length: Option<u64>,
    /// The body is `Transfer-Encoding: chunked`.
    pub chunked: bool,
    /// `Expect: 100-continue` (RFC 9110 §10.1.1).
    pub expect_continue: bool,
    pub authorization: Option<&'a [u8]>,
    pub content_type: Option<&'a [u8]>,
    /// A `Content-Range` came with the request (a partial PUT, which this
    /// server refuses: RFC 9110 §14.5).
    pub content_range: bool,
    /// `If-None-Match`, `Accept-Encoding` and `Accept` are lists that a
    /// client may send on several lines, all of which count (RFC 9110
    /// §5.3: a second `If-None-Match` line must not hide the first). One
    /// line gives its value; several give the bytes of the head from the
    /// first line's value to the last line's value, other fields' lines
    /// in between, which `syntax::field_values` reads back line by line
    /// (as `conditional::none_match`, `encoding::preference` and
    /// `encoding::wants_json` do). No heap, no copy, no limit on lines.
    pub if_none_match: Option<&'a [u8]>,
    /// Fields that take one value: the last line's.
    pub if_modified_since: Option<&'a [u8]>,
    pub range: Option<&'a [u8]>,
    pub if_range: Option<&'a [u8]>,
    /// A list, like `if_none_match`.
    pub accept_encoding: Option<&'a [u8]>,
    /// A list, like `if_none_match`.
    pub accept: Option<&'a [u8]>,
}

/// Parses the request head at the start of `buf`. `buf` holds every byte
/// read so far and `capacity` is the size of the buffer it lives in.
pub fn parse<'a>(buf: &'a [u8], capacity: usize) -> Result<Request<'a>, ParseError> {
    // RFC 9112 §2.2: ignore empty lines (CRLF, or a bare LF) before the
    // request line. A bare CR ends no line: it stays, and is refused.
    let mut skip = 0;
    while let Some(&b) = buf.get(skip) {
        skip += match b {
            b'\n' => 1,
            b'\r' if buf.get(skip + 1) == Some(&b'\n') => 2,
            _ => break,
        };
    }
    let Some(head_end) = find_head_end(buf, skip) else {
        if buf.len() < capacity {
            return Err(ParseError::Incomplete);
        }
        let line_ended = buf.get(skip..).is_some_and(|rest| rest.contains(&b'\n'));
        return Err(if line_ended {
            ParseError::HeadTooLarge
        } else {
            ParseError::UriTooLong
        });
    };
    let head = buf.get(skip..head_end).unwrap_or_default();
    let mut lines = head.split(|&b| b == b'\n').map(|l| match l {
        [line @ .., b'\r'] => line,
        _ => l,
    });
    let line = lines.next().unwrap_or_default();
    let mut req = request_line(line)?;
    req.head_len = head_end;

    let mut hosts = 0;
    let mut content_length: Option<u64> = None;
    let mut unknown_coding = false;
    let mut coded = false;
    for line in lines {
        if line.is_empty() {
            break;
        }
        let (name, value) = header_line(line)?;
        let known = HEADERS
            .iter()
            .position(|h| eq_ignore_case(name, h.as_bytes()));
        // A list field's lines so far, and this one (see `Request`).
        let joined = |old: Option<&'a [u8]>| Some(old.map_or(value, |old| span(head, old, value)));
        match known {
            // RFC 9112 §3.2: an invalid value is a 400, like a second line
            // (even with the same value: two lines are refused outright).
            Some(HOST) if !is_host(value) => return Err(ParseError::BadHost),
            Some(HOST) => hosts += 1,
            Some(CONNECTION) => {
                for token in value.split(|&b| b == b',') {
                    let token = trim_ows(token);
                    req.close |= eq_ignore_case(token, b"close");
                    req.keep_alive |= eq_ignore_case(token, b"keep-alive");
                }
            }
            Some(CONTENT_LENGTH) => {
                let n = decimal(value).ok_or(ParseError::BadContentLength)?;
                if content_length.is_some_and(|old| old != n) {
                    return Err(ParseError::BadContentLength);
                }
                content_length = Some(n);
                req.has_body |= n > 0;
            }
            Some(TRANSFER_ENCODING) => {
                // RFC 9112 §6.1: a list of codings, possibly over several
                // lines; `chunked` is the only one this server knows, and
                // it may appear once, last.
                for coding in value.split(|&b| b == b',') {
                    let coding = trim_ows(coding);
                    if coding.is_empty() {
                        continue;
                    }
                    if !eq_ignore_case(coding, b"chunked") {
                        unknown_coding = true;
                    } else if req.chunked {
                        return Err(ParseError::BadFraming);
                    } else {
                        req.chunked = true;
                    }
                }
                req.has_body = true;
                coded = true;
            }
            Some(EXPECT) => req.expect_continue = eq_ignore_case(value, b"100-continue"),
            Some(AUTHORIZATION) => req.authorization = Some(value),
            Some(CONTENT_TYPE) => req.content_type = Some(value),
            Some(CONTENT_RANGE) => req.content_range = true,
            Some(IF_NONE_MATCH) => req.if_none_match = joined(req.if_none_match),
            Some(IF_MODIFIED_SINCE) => req.if_modified_since = Some(value),
            Some(RANGE) => req.range = Some(value),
            Some(IF_RANGE) => req.if_range = Some(value),
            Some(ACCEPT_ENCODING) => req.accept_encoding = joined(req.accept_encoding),
            Some(ACCEPT) => req.accept = joined(req.accept),
            _ => {}
        }
    }
    if hosts > 1 || (hosts == 0 && req.version == Version::Http11) {
        return Err(ParseError::BadHost);
    }
    if coded {
        // RFC 9112 §6.3: a Content-Length beside a Transfer-Encoding, or
        // any Transfer-Encoding from HTTP/1.0, is faulty framing; so is
        // an empty one.
        if content_length.is_some() || req.version == Version::Http10 {
            return Err(ParseError::BadFraming);
        }
        if unknown_coding {
            return Err(ParseError::UnknownCoding);
        }
        if !req.chunked {
            return Err(ParseError::BadFraming);
        }
    }
    req.content_length = content_length;
    Ok(req)
}

/// The header fields the server acts on, lowercase; compared by a loop
/// (a chain of comparisons against literals costs far more code).
const HEADERS: [&str; 14] = [
    "host",
    "connection",
    "content-length",
    "transfer-encoding",
    "if-none-match",
    "if-modified-since",
    "range",
    "if-range",
    "accept-encoding",
    "accept",
    "expect",
    "authorization",
    "content-type",
    "content-range",
];
const HOST: usize = 0;
const CONNECTION: usize = 1;
const CONTENT_LENGTH: usize = 2;
const TRANSFER_ENCODING: usize = 3;
const IF_NONE_MATCH: usize = 4;
const IF_MODIFIED_SINCE: usize = 5;
const RANGE: usize = 6;
const IF_RANGE: usize = 7;
const ACCEPT_ENCODING: usize = 8;
const ACCEPT: usize = 9;
const EXPECT: usize = 10;
const AUTHORIZATION: usize = 11;
const CONTENT_TYPE: usize = 12;
const CONTENT_RANGE: usize = 13;

/// The bytes of `head` from the start of `first` to the end of `last`, two
/// field values inside it, `first` the earlier: the span of a list field's
/// lines (see `Request::if_none_match`). Both always lie in `head`; were
/// they not, `last` alone.
fn span<'a>(head: &'a [u8], first: &[u8], last: &'a [u8]) -> &'a [u8] {
    let at = |s: &[u8]| (s.as_ptr() as usize).wrapping_sub(head.as_ptr() as usize);
    head.get(at(first)..at(last).wrapping_add(last.len()))
        .unwrap_or(last)
}

/// The index just past the blank line that ends the head (CRLF CRLF, or
/// bare LFs, which RFC 9112 §2.2 lets a recipient accept). An index
/// loop: every request's bytes pass through it, and the iterator adapters
/// (`enumerate().skip()`) cost several times as much at opt-level z.
fn find_head_end(buf: &[u8], from: usize) -> Option<usize> {
    let mut prev_newline = false;
    let mut i = from;
    while let Some(&b) = buf.get(i) {
        i += 1;
        match b {
            b'\n' if prev_newline => return Some(i),
            b'\n' => prev_newline = true,
            b'\r' => {}
            _ => prev_newline = false,
        }
    }
    None
}

/// `method SP request-target SP HTTP-version` (RFC 9112 §3).
fn request_line(line: &[u8]) -> Result<Request<'_>, ParseError> {
    let mut parts = line.split(|&b| b == b' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ParseError::BadRequestLine);
    };
    if method.is_empty() || !method.iter().all(|&b| is_tchar(b)) {
        return Err(ParseError::BadRequestLine);
    }
    // VCHAR, and bytes >= 0x80 as nginx and curl allow: curl sends a raw
    // UTF-8 query (`?q=ü`) as typed, and the path is percent-decoded to
    // bytes anyway (a raw byte names the file with that byte). RFC 3986
    // §2 would have them encoded, but nothing is ambiguous about them;
    // controls, SP and DEL stay refused (RFC 9112 §3.2).
    if target.is_empty() || !target.iter().all(|&b| b.is_ascii_graphic() || b >= 0x80) {
        return Err(ParseError::BadRequestLine);
    }
    let version = match version {
        b"HTTP/1.1" => Version::Http11,
        b"HTTP/1.0" => Version::Http10,
        // RFC 9112 §2.3: a higher minor version of a major version we
        // implement is processed as the highest minor we know.
        [b'H', b'T', b'T', b'P', b'/', b'1', b'.', minor] if minor.is_ascii_digit() => {
            Version::Http11
        }
        [b'H', b'T', b'T', b'P', b'/', major, b'.', minor]
            if major.is_ascii_digit() && minor.is_ascii_digit() =>
        {
            return Err(ParseError::UnsupportedVersion);
        }
        _ => return Err(ParseError::BadRequestLine),
    };
    let method = match method {
        b"GET" => Method::Get,
        b"HEAD" => Method::Head,
        b"OPTIONS" => Method::Options,
        b"PUT" => Method::Put,
        b"POST" => Method::Post,
        _ => Method::Other,
    };
    let (path, query) = split_target(target, method)?;
    Ok(Request {
        method,
        version,
        line,
        path,
        query,
        head_len: 0,
        close: false,
        keep_alive: false,
        has_body: false,
        content_length: None,
        chunked: false,
        expect_continue: false,
        authorization: None,
        content_type: None,
        content_range: false,
        if_none_match: None,
        if_modified_since: None,
        range: None,
        if_range: None,
        accept_encoding: None,
        accept: None,
    })
}

/// Splits a target into its path and `?query`, dropping any `#fragment`.
/// Accepts origin-form, absolute-form (`http://host/path`, RFC 9112
/// §3.2.2) and, for OPTIONS, asterisk-form.
fn split_target(target: &[u8], method: Method) -> Result<(&[u8], &[u8]), ParseError> {
    let path_and_query = match target {
        [b'/', ..] => target,
        b"*" if method == Method::Options => return Ok((target, b"")),
        _ => {
            let scheme_len = if starts_with_ignore_case(target, b"http://") {
                7
            } else if starts_with_ignore_case(target, b"https://") {
                8
            } else {
                return Err(ParseError::BadTarget);
            };
            let rest = target.get(scheme_len..).unwrap_or_default();
            let authority = rest
                .iter()
                .position(|&b| b == b'/' || b == b'?' || b == b'#');
            let authority = authority.unwrap_or(rest.len());
            if authority == 0 {
                return Err(ParseError::BadTarget);
            }
            let tail = rest.get(authority..).unwrap_or_default();
            if tail.first() != Some(&b'/') {
                // `http://host` or `http://host?q`: the path is `/`.
                return Ok((b"/", query_of(tail)));
            }
            tail
        }
    };
    let end = path_and_query.iter().position(|&b| b == b'?' || b == b'#');
    let end = end.unwrap_or(path_and_query.len());
    let (path, rest) = path_and_query
        .split_at_checked(end)
        .unwrap_or((path_and_query, b""));
    Ok((path, query_of(rest)))
}

/// The `?query` at the start of `rest`, without any fragment.
fn query_of(rest: &[u8]) -> &[u8] {
    if rest.first() != Some(&b'?') {
        return b"";
    }
    let end = rest.iter().position(|&b| b == b'#').unwrap_or(rest.len());
    rest.get(..end).unwrap_or_default()
}

/// `field-name ":" OWS field-value OWS` (RFC 9112 §5, RFC 9110 §5.5).
fn header_line(line: &[u8]) -> Result<(&[u8], &[u8]), ParseError> {
    let colon = line
        .iter()
        .position(|&b| b == b':')
        .ok_or(ParseError::BadHeader)?;
    let (name, value) = line.split_at_checked(colon).unwrap_or((line, b""));
    // An empty name, a space before the colon, or a line starting with
    // whitespace (obsolete line folding) all fail the token check.
    if name.is_empty() || !name.iter().all(|&b| is_tchar(b)) {
        return Err(ParseError::BadHeader);
    }
    let value = trim_ows(value.get(1..).unwrap_or_default());
    // field-vchar, SP, HTAB and obs-text (>= 0x80) only.
    if value.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f) {
        return Err(ParseError::BadHeader);
    }
    Ok((name, value))
}

/// A decimal number of one or more digits that fits in a u64.
fn decimal(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    s.iter().try_fold(0u64, |n, &b| {
        let digit = b.checked_sub(b'0').filter(|d| *d < 10)?;
        n.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

#[cfg(test)]
mod tests;
