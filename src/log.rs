//! The access log: one line per request on standard error, in python's
//! http.server format with the status and the body size:
//! `127.0.0.1 - - [25/Nov/2026 07:11:39] "GET /a.txt HTTP/1.1" 200 1234`.
//! With `--auth`, the third field is the user, as in the Common Log
//! Format (`127.0.0.1 - alice [...]`). Times are UTC. Bytes of the request line that could forge a line or
//! drive the operator's terminal (controls, `"`, `\`, non-ASCII) are
//! written as `\xNN`.

use crate::addr;
use crate::buf::Buf;
use crate::http::date;
use crate::rt::out::{self, MAX_LINE_BYTES};
use crate::rt::sys::{AF_INET, SockAddr};

/// `--log-format`: how a request's line is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// python's http.server (the default).
    Python,
    /// The Common Log Format.
    Common,
    /// The Combined Log Format: Common, then referer and user agent.
    Combined,
    /// One JSON object per line.
    Json,
}

/// Access-log lines gathered in one buffer and written whole, one write
/// per batch: fewer syscalls than a write per request, and each write of
/// at most PIPE_BUF bytes of whole lines stays atomic when several
/// workers share a pipe.
pub struct Log {
    batch: Buf<'static>,
}

impl Log {
    /// A log batching into `mem` (at most `MAX_LINE_BYTES` are used).
    pub fn new(mem: &'static mut [u8]) -> Log {
        let len = mem.len().min(MAX_LINE_BYTES);
        let (used, _) = mem.split_at_mut(len);
        Log {
            batch: Buf::new(used),
        }
    }

    /// Adds one request's line, first writing out the batch if the line
    /// would not fit in it.
    pub fn record(
        &mut self,
        client: &SockAddr,
        user: &[u8],
        now: i64,
        request_line: &[u8],
        status: u16,
        size: u64,
    ) {
        let mut mem = [0u8; MAX_LINE_BYTES / 2];
        let mut one = Buf::new(&mut mem);
        line(&mut one, client, user, now, request_line, status, size);
        self.batch.push(one.as_bytes());
        if self.batch.overflowed() {
            self.batch.truncate(self.batch.len());
            self.flush();
            self.batch.push(one.as_bytes());
        }
    }

    /// Writes out what has been gathered.
    pub fn flush(&mut self) {
        if !self.batch.is_empty() {
            out::stderr(self.batch.as_bytes());
            self.batch.truncate(0);
        }
    }
}

/// The most bytes of a request line that are logged; a longer one ends in
/// `...`. Keeps every log line (escaped: 4 bytes a byte) under half of PIPE_BUF, so lines from
/// several workers never interleave.
pub const MAX_LOGGED_LINE_BYTES: usize = 400;

/// The most bytes of a user name that are logged (escaped, 4 bytes a
/// byte, it still leaves the line under half of PIPE_BUF).
pub const MAX_LOGGED_USER_BYTES: usize = 64;

/// Appends the client's address: dotted quad for IPv4 and v4-mapped IPv6
/// clients, RFC 5952 text for the rest.
pub fn peer(buf: &mut Buf, addr: &SockAddr) {
    if addr.family == AF_INET {
        addr::format_ipv4(buf, addr.v4_or_flowinfo);
    } else if let Some(v4) = addr::ipv4_mapped(&addr.v6) {
        addr::format_ipv4(buf, v4);
    } else {
        addr::format_ipv6(buf, addr.v6);
    }
}

/// Appends one whole access-log line, newline included.
pub fn line(
    buf: &mut Buf,
    client: &SockAddr,
    user: &[u8],
    now: i64,
    request_line: &[u8],
    status: u16,
    size: u64,
) {
    peer(buf, client);
    buf.str(" - ");
    if user.is_empty() {
        buf.byte(b'-');
    }
    escaped(buf, user, MAX_LOGGED_USER_BYTES, b" ");
    buf.str(" [");
    date::log_time(buf, now);
    buf.str("] \"");
    escaped(buf, request_line, MAX_LOGGED_LINE_BYTES, b"");
    buf.str("\" ")
        .u64(u64::from(status))
        .byte(b' ')
        .u64(size)
        .byte(b'\n');
}

/// Appends at most `max` bytes of `text`, then `...` if it was longer;
/// controls, non-ASCII, `"`, `\\` and the bytes of `also` as `\\xNN`.
fn escaped(buf: &mut Buf, text: &[u8], max: usize, also: &[u8]) {
    let shown = text.get(..max).unwrap_or(text);
    for &b in shown {
        if !(0x20..0x7f).contains(&b) || b == b'"' || b == b'\\' || also.contains(&b) {
            buf.str("\\x")
                .byte(HEX[usize::from(b >> 4)])
                .byte(HEX[usize::from(b & 0xf)]);
        } else {
            buf.byte(b);
        }
    }
    if shown.len() < text.len() {
        buf.str("...");
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

#[cfg(test)]
mod tests {
    use super::*;

    fn logged(addr: SockAddr, request_line: &[u8]) -> String {
        let mut mem = [0u8; 2048];
        let mut buf = Buf::new(&mut mem);
        line(&mut buf, &addr, b"", 1_795_590_699, request_line, 200, 1234);
        assert!(!buf.overflowed());
        String::from_utf8(buf.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn python_format() {
        let v4 = SockAddr::v4([127, 0, 0, 1], 5555);
        assert_eq!(
            logged(v4, b"GET /a.txt HTTP/1.1"),
            "127.0.0.1 - - [25/Nov/2026 07:11:39] \"GET /a.txt HTTP/1.1\" 200 1234\n"
        );
        let mut mapped = [0u8; 16];
        mapped[10] = 0xff;
        mapped[11] = 0xff;
        mapped[12..].copy_from_slice(&[10, 0, 0, 7]);
        assert!(logged(SockAddr::v6(mapped, 1), b"x").starts_with("10.0.0.7 - - "));
        let mut v6 = [0u8; 16];
        v6[15] = 1;
        assert!(logged(SockAddr::v6(v6, 1), b"x").starts_with("::1 - - "));
    }

    #[test]
    fn the_user_is_the_third_field() {
        let mut mem = [0u8; 2048];
        let mut buf = Buf::new(&mut mem);
        let v4 = SockAddr::v4([127, 0, 0, 1], 5555);
        line(
            &mut buf,
            &v4,
            b"alice",
            1_795_590_699,
            b"GET / HTTP/1.1",
            401,
            9,
        );
        line(&mut buf, &v4, "j\u{f6}rg x\"".as_bytes(), 0, b"x", 200, 0);
        let got = String::from_utf8(buf.as_bytes().to_vec()).unwrap();
        assert_eq!(
            got.lines().next().unwrap(),
            "127.0.0.1 - alice [25/Nov/2026 07:11:39] \"GET / HTTP/1.1\" 401 9"
        );
        assert!(got.contains(" - j\\xc3\\xb6rg\\x20x\\x22 ["), "{got}");
    }

    #[test]
    fn hostile_bytes_are_escaped_and_long_lines_cut() {
        let got = logged(
            SockAddr::v4([1, 2, 3, 4], 1),
            b"GET /\x1b[31m\"\\\n\xff HTTP/1.1",
        );
        assert!(
            got.contains(r#""GET /\x1b[31m\x22\x5c\x0a\xff HTTP/1.1""#),
            "{got}"
        );
        assert_eq!(got.matches('\n').count(), 1);
        let long = vec![b'a'; 5000];
        let got = logged(SockAddr::v4([1, 2, 3, 4], 1), &long);
        assert!(got.len() < 700 && got.contains("aaa...\" 200"));
    }
}
