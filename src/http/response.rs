//! Response heads and error responses: status codes and their reason
//! phrases, the one mapping from parse errors to statuses, the head writer,
//! and the one builder of every error response (head, `Content-Length`,
//! HTML body). Pure: it writes into a caller's `Buf`.

use crate::buf::Buf;
use crate::http::request::ParseError;

/// `Server:` header value.
pub const SERVER: &str = concat!("httpd/", env!("CARGO_PKG_VERSION"));

/// Room for an error page: the longest reason and explanation make
/// about 300 bytes.
const ERROR_PAGE_BYTES: usize = 512;

/// The statuses this server sends (RFC 9110 §15).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Continue,
    Ok,
    Created,
    NoContent,
    PartialContent,
    MovedPermanently,
    SeeOther,
    NotModified,
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    PreconditionFailed,
    ContentTooLarge,
    UriTooLong,
    RangeNotSatisfiable,
    TooManyRequests,
    HeaderFieldsTooLarge,
    InternalServerError,
    NotImplemented,
    ServiceUnavailable,
    VersionNotSupported,
    InsufficientStorage,
}

impl Status {
    /// The three-digit code.
    pub fn code(self) -> u16 {
        match self {
            Status::Continue => 100,
            Status::Ok => 200,
            Status::Created => 201,
            Status::NoContent => 204,
            Status::PartialContent => 206,
            Status::MovedPermanently => 301,
            Status::SeeOther => 303,
            Status::NotModified => 304,
            Status::BadRequest => 400,
            Status::Unauthorized => 401,
            Status::Forbidden => 403,
            Status::NotFound => 404,
            Status::Conflict => 409,
            Status::PreconditionFailed => 412,
            Status::ContentTooLarge => 413,
            Status::UriTooLong => 414,
            Status::RangeNotSatisfiable => 416,
            Status::TooManyRequests => 429,
            Status::HeaderFieldsTooLarge => 431,
            Status::InternalServerError => 500,
            Status::NotImplemented => 501,
            Status::ServiceUnavailable => 503,
            Status::VersionNotSupported => 505,
            Status::InsufficientStorage => 507,
        }
    }

    /// The reason phrase of RFC 9110 §15 (RFC 6585 for 431).
    pub fn reason(self) -> &'static str {
        match self {
            Status::Continue => "Continue",
            Status::Ok => "OK",
            Status::Created => "Created",
            Status::NoContent => "No Content",
            Status::PartialContent => "Partial Content",
            Status::MovedPermanently => "Moved Permanently",
            Status::SeeOther => "See Other",
            Status::NotModified => "Not Modified",
            Status::BadRequest => "Bad Request",
            Status::Unauthorized => "Unauthorized",
            Status::Forbidden => "Forbidden",
            Status::NotFound => "Not Found",
            Status::Conflict => "Conflict",
            Status::PreconditionFailed => "Precondition Failed",
            Status::ContentTooLarge => "Content Too Large",
            Status::UriTooLong => "URI Too Long",
            Status::RangeNotSatisfiable => "Range Not Satisfiable",
            Status::TooManyRequests => "Too Many Requests",
            Status::HeaderFieldsTooLarge => "Request Header Fields Too Large",
            Status::InternalServerError => "Internal Server Error",
            Status::NotImplemented => "Not Implemented",
            Status::ServiceUnavailable => "Service Unavailable",
            Status::VersionNotSupported => "HTTP Version Not Supported",
            Status::InsufficientStorage => "Insufficient Storage",
        }
    }

    /// A sentence for the error page.
    fn explanation(self) -> &'static str {
        match self {
            Status::BadRequest => {
                "The request was malformed or named a path outside the served directory."
            }
            Status::Forbidden => "You do not have permission to read this file or directory.",
            Status::NotFound => "Nothing matches the given path.",
            Status::UriTooLong => "The request line is too long.",
            Status::RangeNotSatisfiable => "The requested range is not within the file.",
            Status::HeaderFieldsTooLarge => "The request headers are too large.",
            Status::Unauthorized => "This server needs a user name and password.",
            Status::Conflict => "A file of that name exists already.",
            Status::PreconditionFailed => "A file of that name exists already.",
            Status::ContentTooLarge => "The upload is larger than this server accepts.",
            Status::TooManyRequests => "Too many wrong passwords; try again later.",
            Status::InsufficientStorage => "The server's disk is full.",
            Status::NotImplemented => "This server does not implement that method or coding.",
            Status::ServiceUnavailable => "The server is out of resources; try again shortly.",
            Status::VersionNotSupported => "This server speaks HTTP/1.0 and HTTP/1.1.",
            _ => "The server could not complete the request.",
        }
    }
}

/// The status a refused request head is answered with.
pub fn status_for(error: ParseError) -> Status {
    match error {
        ParseError::HeadTooLarge => Status::HeaderFieldsTooLarge,
        ParseError::UriTooLong => Status::UriTooLong,
        ParseError::UnsupportedVersion => Status::VersionNotSupported,
        ParseError::UnknownCoding => Status::NotImplemented,
        ParseError::Incomplete
        | ParseError::BadRequestLine
        | ParseError::BadTarget
        | ParseError::BadHeader
        | ParseError::BadHost
        | ParseError::BadContentLength
        | ParseError::BadFraming => Status::BadRequest,
    }
}

/// What every response carries besides its own headers.
#[derive(Clone, Copy)]
pub struct Common<'a> {
    /// The current IMF-fixdate, refreshed once a second by the caller.
    pub date: &'a [u8],
    /// The same instant in Unix seconds.
    pub now: i64,
    /// Extra header lines from `--header`, each `Name: value`, no CRLF.
    pub extra: &'a [&'a [u8]],
}

/// Appends the status line, `Server`, `Date` and the extra headers.
pub fn start(buf: &mut Buf, status: Status, common: &Common) {
    buf.str("HTTP/1.1 ")
        .u64(u64::from(status.code()))
        .byte(b' ');
    buf.str(status.reason()).str("\r\nServer: ").str(SERVER);
    buf.str("\r\nDate: ").push(common.date).str("\r\n");
    for line in common.extra {
        buf.push(line).str("\r\n");
    }
}

/// Appends one header line.
pub fn header(buf: &mut Buf, name: &str, value: &[u8]) {
    buf.str(name).str(": ").push(value).str("\r\n");
}

/// Appends a header line with a decimal value.
pub fn header_u64(buf: &mut Buf, name: &str, value: u64) {
    buf.str(name).str(": ").u64(value).str("\r\n");
}

/// Appends the `Connection` header when it is needed and the blank line
/// that ends the head. HTTP/1.1 keeps connections by default, so only
/// `close` is said; an HTTP/1.0 client that asked to keep the connection
/// is told `keep-alive` (RFC 9112 §9.3, Appendix C.2.2).
pub fn end(buf: &mut Buf, keep_alive: bool, http10: bool) {
    if !keep_alive {
        buf.str("Connection: close\r\n");
    } else if http10 {
        buf.str("Connection: keep-alive\r\n");
    }
    buf.str("\r\n");
}

/// Appends a whole error response: head with `Content-Type` and
/// `Content-Length`, then (unless `head_only`) a small HTML page. `extra`
/// is written into the head as is (e.g. `Allow: GET, HEAD\r\n`). Returns
/// the body length, for the access log.
pub fn error(
    buf: &mut Buf,
    status: Status,
    common: &Common,
    extra: &[u8],
    keep_alive: bool,
    http10: bool,
    head_only: bool,
) -> u64 {
    let code = u64::from(status.code());
    let mut mem = [0u8; ERROR_PAGE_BYTES];
    let mut body = Buf::new(&mut mem);
    body.str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>");
    body.u64(code)
        .byte(b' ')
        .str(status.reason())
        .str("</title></head>\n<body><h1>");
    body.u64(code)
        .byte(b' ')
        .str(status.reason())
        .str("</h1><p>");
    body.str(status.explanation()).str("</p></body></html>\n");
    start(buf, status, common);
    buf.str("Content-Type: text/html; charset=utf-8\r\n");
    header_u64(buf, "Content-Length", body.len() as u64);
    buf.push(extra);
    end(buf, keep_alive, http10);
    if !head_only {
        buf.push(body.as_bytes());
    }
    body.len() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_response_is_well_formed() {
        let mut mem = [0u8; 2048];
        let mut buf = Buf::new(&mut mem);
        let extra: [&[u8]; 1] = [b"X-A: b"];
        let common = Common {
            date: b"Sun, 06 Nov 1994 08:49:37 GMT",
            now: 784_111_777,
            extra: &extra,
        };
        let len = error(
            &mut buf,
            Status::NotFound,
            &common,
            b"",
            false,
            false,
            false,
        );
        assert!(!buf.overflowed());
        let mut headers = [httparse::EMPTY_HEADER; 16];
        let mut resp = httparse::Response::new(&mut headers);
        let head_len = match resp.parse(buf.as_bytes()).unwrap() {
            httparse::Status::Complete(n) => n,
            httparse::Status::Partial => panic!("partial"),
        };
        assert_eq!(resp.code, Some(404));
        assert_eq!(resp.reason, Some("Not Found"));
        let get = |n: &str| resp.headers.iter().find(|h| h.name == n).map(|h| h.value);
        assert_eq!(get("Content-Length"), Some(len.to_string().as_bytes()));
        assert_eq!(get("Connection"), Some(&b"close"[..]));
        assert_eq!(get("X-A"), Some(&b"b"[..]));
        assert_eq!(buf.len() - head_len, len as usize);
        assert!(String::from_utf8_lossy(&buf.as_bytes()[head_len..]).contains("404 Not Found"));
    }

    #[test]
    fn every_parse_error_has_a_client_error_status() {
        use ParseError::*;
        for e in [
            BadRequestLine,
            BadTarget,
            UnsupportedVersion,
            BadHeader,
            BadHost,
            BadContentLength,
            HeadTooLarge,
            UriTooLong,
        ] {
            let code = status_for(e).code();
            assert!((400..506).contains(&code), "{e:?}");
        }
    }
}
