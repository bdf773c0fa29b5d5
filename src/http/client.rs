//! The pure half of the health check (`httpd --check URL`, run by
//! `net::check`): the URL it takes, the request it sends, and the status
//! line it reads back. No syscalls (the addresses are plain values of
//! `rt::sys`), so all of it is unit-tested and fuzzed alone.
//!
//! Contract, as for the request parser: no panic on any input; every
//! byte is read through `get`, iterators or slice patterns; results
//! borrow from the input. The URL forms are documented in `net::check`.

use crate::addr::{parse_ipv4, parse_ipv6};
use crate::buf::Buf;
use crate::http::syntax::{eq_ignore_case, is_field_byte, starts_with_ignore_case, strip_prefix};
use crate::rt::sys::{SockAddr, UnixAddr};

/// The port of an `http` URL that names none (RFC 9110 §4.2.1).
pub const HTTP_PORT: u16 = 80;

/// Where the check connects: the address `connect` takes. Built here,
/// where the URL is read, so a bad one is a usage error before any
/// socket exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Peer {
    /// IPv4 or IPv6, with the port.
    Ip(SockAddr),
    /// A Unix stream socket's path (unix(7)).
    Unix(UnixAddr),
}

/// A parsed `--check` URL; the slices borrow from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Url<'a> {
    pub peer: Peer,
    /// The `Host` field: the URL's authority as written (RFC 9110 §7.2),
    /// or `localhost` for a Unix socket, as curl's `--unix-socket` sends.
    pub host: &'a [u8],
    /// The path and query without the fragment (RFC 9110 §7.1: never
    /// sent); empty or starting with `?` means `/` comes first.
    pub target: &'a [u8],
}

/// Why a URL was refused: a usage error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UrlError {
    /// `https://`: the check speaks plain HTTP only.
    Https,
    /// Neither `http://` nor `unix:`.
    Scheme,
    /// The host is not an IP literal or `localhost` (no DNS: the binary
    /// runs in an empty container, without /etc/hosts).
    Host,
    /// Not a decimal 1..=65535.
    Port,
    /// Bytes that would have to be percent-encoded (RFC 3986 §2), or a
    /// Unix socket's target not starting with `/` or `?`.
    Target,
    /// Empty, too long for `sun_path`, or holding a NUL (unix(7)).
    UnixPath,
}

impl UrlError {
    /// The reason, for the one line the check prints.
    pub fn message(self) -> &'static str {
        match self {
            UrlError::Https => "plain HTTP only, not https://",
            UrlError::Scheme => "not an http:// or unix: URL",
            UrlError::Host => "not an IP address or localhost",
            UrlError::Port => "not a port (1 to 65535)",
            UrlError::Target => "not a path of visible ASCII starting with /",
            // The words of `--bind unix:`'s error, so one copy is linked.
            UrlError::UnixPath => "not a Unix socket path (1 to 107 bytes)",
        }
    }
}

/// Parses `http://HOST[:PORT][/PATH][?QUERY][#FRAGMENT]` or
/// `unix:PATH[:/TARGET]`.
pub fn parse_url(url: &[u8]) -> Result<Url<'_>, UrlError> {
    let (peer, host, tail) = if let Some(rest) = strip_prefix(url, b"unix:") {
        // nginx's `proxy_pass http://unix:PATH:URI` form: the socket path
        // ends at the first `:`.
        let (path, tail) = split(rest, b":");
        let unix = UnixAddr::new(path).ok_or(UrlError::UnixPath)?;
        let tail = tail.get(1..).unwrap_or_default();
        (Peer::Unix(unix), &b"localhost"[..], tail)
    } else if starts_with_ignore_case(url, b"https://") {
        // RFC 3986 §3.1: schemes are case-insensitive.
        return Err(UrlError::Https);
    } else if starts_with_ignore_case(url, b"http://") {
        // RFC 3986 §3.2: the authority ends at `/`, `?` or `#`.
        let (host, tail) = split(url.get(b"http://".len()..).unwrap_or_default(), b"/?#");
        let (name, port) = match host {
            [b'[', rest @ ..] => {
                let (ip, port) = split(rest, b"]");
                (ip, strip_prefix(port, b"]").ok_or(UrlError::Host)?)
            }
            _ => split(host, b":"),
        };
        // RFC 3986 §3.2.3: an empty port is the scheme's default. A bad
        // host is reported before a bad port (`http://::1/`).
        let port = match port {
            b"" | b":" => Some(HTTP_PORT),
            [b':', digits @ ..] => parse_port(digits),
            _ => None,
        };
        let p = port.unwrap_or_default();
        let ip = if host.first() == Some(&b'[') {
            parse_ipv6(name).map(|ip| SockAddr::v6(ip, p))
        } else {
            // No name is looked up: `localhost` is 127.0.0.1, as RFC 6761
            // §6.3 asks resolvers to answer it without asking anyone.
            let v4 = if eq_ignore_case(name, b"localhost") {
                Some([127, 0, 0, 1])
            } else {
                parse_ipv4(name)
            };
            v4.map(|ip| SockAddr::v4(ip, p))
        };
        let ip = ip.ok_or(UrlError::Host)?;
        port.ok_or(UrlError::Port)?;
        (Peer::Ip(ip), host, tail)
    } else {
        return Err(UrlError::Scheme);
    };
    // The fragment is dropped; the rest is sent as is, so it must be
    // printable ASCII without spaces (RFC 3986 §2: no `%` encoding here).
    let (target, _) = split(tail, b"#");
    let starts = matches!(target.first(), None | Some(b'/' | b'?'));
    if !starts || !target.iter().all(u8::is_ascii_graphic) {
        return Err(UrlError::Target);
    }
    Ok(Url { peer, host, target })
}

/// `s` split before its first byte in `stops` (the second part starts
/// with it, or is empty).
fn split<'a>(s: &'a [u8], stops: &[u8]) -> (&'a [u8], &'a [u8]) {
    let at = s.iter().position(|b| stops.contains(b));
    s.split_at_checked(at.unwrap_or(s.len()))
        .unwrap_or_default()
}

/// The most digits of a port: 65535 has five.
const MAX_PORT_DIGITS: usize = 5;

/// A decimal port, 1..=65535 (port 0 cannot be connected to).
fn parse_port(digits: &[u8]) -> Option<u16> {
    if digits.len() > MAX_PORT_DIGITS {
        return None;
    }
    // At most five digits: no overflow of a u32.
    let mut n = 0u32;
    for &b in digits {
        n = n * 10 + u32::from(b.is_ascii_digit().then(|| b - b'0')?);
    }
    u16::try_from(n).ok().filter(|&p| p != 0)
}

/// Appends the request: a GET in origin form (RFC 9112 §3.2.1) that
/// asks the server to close (RFC 9112 §9.6), so one read of its answer
/// is all the check needs. The caller checks `overflowed()`.
pub fn request(buf: &mut Buf, url: &Url) {
    buf.str("GET ");
    if url.target.first() != Some(&b'/') {
        buf.byte(b'/');
    }
    buf.push(url.target)
        .str(" HTTP/1.1\r\nHost: ")
        .push(url.host)
        .str("\r\nUser-Agent: httpd-check\r\nConnection: close\r\n\r\n");
}

/// An answer's status line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Status<'a> {
    /// 100..=599 (RFC 9110 §15).
    pub code: u16,
    /// The code and reason phrase as sent (`503 Service Unavailable`),
    /// for the failure line; the code alone when the reason holds a tab
    /// or obs-text, which are not written to a terminal.
    pub text: &'a [u8],
}

/// The status line at the start of `answer` (RFC 9112 §4):
/// `HTTP/1.x SP 3DIGIT [SP reason-phrase]`, ended by CRLF or a bare LF
/// (RFC 9112 §2.2). None until that line is complete, or when it is
/// malformed. The SP before an empty reason may be missing, as many
/// clients allow.
pub fn status_line(answer: &[u8]) -> Option<Status<'_>> {
    let (mut line, end) = split(answer, b"\n");
    if end.is_empty() {
        return None;
    }
    if let [rest @ .., b'\r'] = line {
        line = rest;
    }
    let [minor, b' ', text @ ..] = strip_prefix(line, b"HTTP/1.")? else {
        return None;
    };
    let [a, b, c, reason @ ..] = text else {
        return None;
    };
    let mut code = 0;
    for d in [minor, a, b, c] {
        code = code * 10 + u16::from(d.is_ascii_digit().then(|| d - b'0')?);
    }
    // One loop checks all four digits; the minor version, in the
    // thousands, is dropped.
    code %= 1000;
    let mut printable = true;
    for &b in reason {
        printable &= b == b' ' || b.is_ascii_graphic();
        if !is_field_byte(b) {
            return None;
        }
    }
    let spaced = matches!(reason, [] | [b' ', ..]);
    if !spaced || !(100..600).contains(&code) {
        return None;
    }
    let shown = if printable { text.len() } else { 3 };
    Some(Status {
        code,
        text: text.get(..shown).unwrap_or(text),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Result<Url<'_>, UrlError> {
        parse_url(s.as_bytes())
    }

    fn request_of(s: &str) -> String {
        let mut mem = [0u8; 512];
        let mut buf = Buf::new(&mut mem);
        request(&mut buf, &url(s).unwrap());
        assert!(!buf.overflowed());
        String::from_utf8(buf.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn urls_that_parse() {
        let lo = [127, 0, 0, 1];
        let mut v6 = [0u8; 16];
        v6[15] = 1;
        let v4 = |ip, port| Peer::Ip(SockAddr::v4(ip, port));
        let v6 = |port| Peer::Ip(SockAddr::v6(v6, port));
        let unix = |path: &[u8]| Peer::Unix(UnixAddr::new(path).unwrap());
        let cases: &[(&str, Peer, &str, &str)] = &[
            (
                "http://127.0.0.1:8080/",
                v4(lo, 8080),
                "127.0.0.1:8080",
                "/",
            ),
            ("http://127.0.0.1", v4(lo, 80), "127.0.0.1", ""),
            ("HTTP://127.0.0.1:/x", v4(lo, 80), "127.0.0.1:", "/x"),
            (
                "http://10.1.2.3:1/a?b=c#f",
                v4([10, 1, 2, 3], 1),
                "10.1.2.3:1",
                "/a?b=c",
            ),
            (
                "http://localhost:65535?q",
                v4(lo, 65535),
                "localhost:65535",
                "?q",
            ),
            ("http://LocalHost#f", v4(lo, 80), "LocalHost", ""),
            ("http://[::1]:8080/h", v6(8080), "[::1]:8080", "/h"),
            ("http://[::1]:/", v6(80), "[::1]:", "/"),
            ("http://[::1]", v6(80), "[::1]", ""),
            ("unix:/run/h.sock", unix(b"/run/h.sock"), "localhost", ""),
            ("unix:h.sock:/x?y", unix(b"h.sock"), "localhost", "/x?y"),
            ("unix:/s:", unix(b"/s"), "localhost", ""),
        ];
        for &(text, peer, host, target) in cases {
            let got = url(text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
            assert_eq!(got.peer, peer, "{text}");
            assert_eq!(got.host, host.as_bytes(), "{text}");
            assert_eq!(got.target, target.as_bytes(), "{text}");
        }
    }

    #[test]
    fn urls_refused() {
        use UrlError::*;
        let cases: &[(&str, UrlError)] = &[
            ("https://127.0.0.1/", Https),
            ("HTTPS://x", Https),
            ("ftp://x", Scheme),
            ("127.0.0.1:8080", Scheme),
            ("http:/127.0.0.1/", Scheme),
            ("", Scheme),
            ("http://", Host),
            ("http:///x", Host),
            ("http://example.com/", Host),
            ("http://user@127.0.0.1/", Host),
            ("http://127.0.0.01/", Host),
            ("http://::1/", Host),
            ("http://[::1/", Host),
            ("http://[::1]x/", Port),
            ("http://[127.0.0.1]/", Host),
            ("http://1.2.3.4:80:90/", Port),
            ("http://[fe80::1%eth0]/", Host),
            ("http://1.2.3.4:99999/", Port),
            ("http://1.2.3.4:65536/", Port),
            ("http://1.2.3.4:0/", Port),
            ("http://1.2.3.4:000080/", Port),
            ("http://1.2.3.4:8o/", Port),
            ("http://1.2.3.4:-1/", Port),
            ("http://[::1]:x/", Port),
            ("http://1.2.3.4/a b", Target),
            ("http://1.2.3.4/\u{e9}", Target),
            ("http://1.2.3.4/a\r\nX: y", Target),
            ("unix:/s:x", Target),
            ("unix:", UnixPath),
            ("unix::/x", UnixPath),
            ("unix:/a\0b", UnixPath),
        ];
        for &(text, want) in cases {
            assert_eq!(url(text), Err(want), "{text}");
        }
    }

    #[test]
    fn unix_paths_fit_sun_path() {
        let longest = format!("unix:/{}", "s".repeat(106));
        assert!(url(&longest).is_ok());
        assert_eq!(url(&format!("{longest}s")), Err(UrlError::UnixPath));
    }

    #[test]
    fn requests() {
        assert_eq!(
            request_of("http://127.0.0.1:8080/a?b#c"),
            "GET /a?b HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\
             User-Agent: httpd-check\r\nConnection: close\r\n\r\n"
        );
        assert!(request_of("http://[::1]").starts_with("GET / HTTP/1.1\r\nHost: [::1]\r\n"));
        assert!(request_of("http://[::1]?q").starts_with("GET /?q HTTP/1.1\r\n"));
        assert!(request_of("unix:/s").starts_with("GET / HTTP/1.1\r\nHost: localhost\r\n"));
        // What is sent is what the server's own parser reads.
        for u in ["http://[::1]:9/x?y", "unix:/s:/a/b", "http://localhost"] {
            let text = request_of(u);
            let req = crate::http::request::parse(text.as_bytes(), 8192).unwrap();
            assert!(req.close && req.path.starts_with(b"/"), "{u}");
        }
    }

    #[test]
    fn status_lines() {
        let ok: &[(&[u8], u16, &[u8])] = &[
            (b"HTTP/1.1 200 OK\r\nServer: x\r\n", 200, b"200 OK"),
            (
                b"HTTP/1.0 301 Moved Permanently\n",
                301,
                b"301 Moved Permanently",
            ),
            (
                b"HTTP/1.1 503 Service Unavailable\r\n",
                503,
                b"503 Service Unavailable",
            ),
            (b"HTTP/1.1 404\r\n", 404, b"404"),
            (b"HTTP/1.1 204 \r\n", 204, b"204 "),
            (b"HTTP/1.1 599 x\ty\r\n", 599, b"599"),
            (b"HTTP/1.1 500 caf\xc3\xa9\r\n", 500, b"500"),
            (b"HTTP/1.1 100 Continue\r\n", 100, b"100 Continue"),
        ];
        for &(line, code, text) in ok {
            assert_eq!(status_line(line), Some(Status { code, text }), "{line:?}");
        }
        let bad: &[&[u8]] = &[
            b"",
            b"HTTP/1.1 200 OK",
            b"HTTP/1.1 200 OK\r",
            b"\r\n",
            b"http/1.1 200 OK\r\n",
            b"HTTP/2 200\r\n",
            b"HTTP/2.0 200 OK\r\n",
            b"HTTP/1.x 200 OK\r\n",
            b"HTTP/1.1  200 OK\r\n",
            b"HTTP/1.1 20 OK\r\n",
            b"HTTP/1.1 2000 OK\r\n",
            b"HTTP/1.1 099 OK\r\n",
            b"HTTP/1.1 600 OK\r\n",
            b"HTTP/1.1 2x0 OK\r\n",
            b"HTTP/1.1 200 O\rK\r\n",
            b"HTTP/1.1 200 \x1b[31m\r\n",
            b"HTTP/1.1 200 OK\x7f\n",
            b"SSH-2.0-OpenSSH_9.6\r\n",
            b"garbage\n",
        ];
        for &line in bad {
            assert_eq!(status_line(line), None, "{line:?}");
        }
    }
}
