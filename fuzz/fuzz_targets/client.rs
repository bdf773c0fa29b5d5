//! `http::client`, the health check's pure half: `parse_url`, `request`
//! and `status_line`. Input: the same bytes to both parsers, as a URL and
//! as the start of an answer.
//!
//! Properties:
//! - neither parser panics;
//! - `https://` (any case) is `Https`; an accepted URL starts with
//!   `http://` (any case) or `unix:`, its `Host` is its authority as
//!   written, and its target is printable ASCII without `#`, empty or
//!   starting with `/` or `?`;
//! - an accepted URL's address is the one its text names: a Unix socket
//!   `UnixAddr::new` of the path, an IP one with a port above 0 that,
//!   written back (the address as std's `Display` writes it, the port
//!   explicit), parses to the same address and target;
//! - the request built from it, when it fits `MAX_HEAD_BYTES`, is read
//!   by the server's own parser as a `GET` of that target that asks to
//!   close;
//! - `status_line` accepts an `HTTP/1.0` or `HTTP/1.1` line exactly when
//!   httparse reads a whole status line with a code in 100..=599 (no
//!   other version is taken), with the same code; its `text` is the code
//!   then, when printable, the reason, and a line written back from it
//!   reads the same.

#![no_main]

use httpd::buf::Buf;
use httpd::http::client::{Peer, UrlError, parse_url, request, status_line};
use httpd::http::request::{MAX_HEAD_BYTES, Method, parse};
use httpd::rt::sys::{AF_INET, AF_INET6, UnixAddr};
use httpd_fuzz::show;
use libfuzzer_sys::fuzz_target;
use std::net::{Ipv4Addr, Ipv6Addr};

fuzz_target!(|data: &[u8]| {
    url(data);
    status(data);
});

fn url(data: &[u8]) {
    let shown = show(data);
    let lower = data.to_ascii_lowercase();
    let got = parse_url(data);
    if lower.starts_with(b"https://") {
        assert_eq!(got, Err(UrlError::Https), "{shown:?}");
    }
    let Ok(url) = got else { return };
    let t = url.target;
    assert!(
        t.iter().all(|&b| b.is_ascii_graphic() && b != b'#')
            && matches!(t.first(), None | Some(b'/' | b'?')),
        "{shown:?}"
    );
    let again = match url.peer {
        Peer::Unix(addr) => {
            // The path is what follows `unix:` up to the first `:`.
            let rest = &data[5..];
            let path = &rest[..rest.iter().position(|&b| b == b':').unwrap_or(rest.len())];
            assert!(
                data.starts_with(b"unix:") && url.host == b"localhost",
                "{shown:?}"
            );
            assert_eq!(UnixAddr::new(path), Some(addr), "{shown:?}");
            [b"unix:", path, b":", t].concat()
        }
        Peer::Ip(addr) => {
            let port = addr.port();
            assert!(port != 0, "port 0: {shown:?}");
            assert!(lower.starts_with(b"http://"), "{shown:?}");
            assert_eq!(data.get(7..7 + url.host.len()), Some(url.host), "{shown:?}");
            let host = match addr.family {
                AF_INET => Ipv4Addr::from(addr.v4_or_flowinfo).to_string(),
                AF_INET6 => format!("[{}]", Ipv6Addr::from(addr.v6)),
                f => panic!("family {f}: {shown:?}"),
            };
            [format!("http://{host}:{port}").as_bytes(), t].concat()
        }
    };
    let back =
        parse_url(&again).unwrap_or_else(|e| panic!("{shown:?} -> {:?}: {e:?}", show(&again)));
    assert_eq!((back.peer, back.target), (url.peer, t), "{shown:?}");

    let mut mem = vec![0u8; MAX_HEAD_BYTES];
    let mut buf = Buf::new(&mut mem);
    request(&mut buf, &url);
    if buf.overflowed() {
        return;
    }
    let req = parse(buf.as_bytes(), MAX_HEAD_BYTES)
        .unwrap_or_else(|e| panic!("{shown:?}: {e:?} for {:?}", show(buf.as_bytes())));
    let want = if t.first() == Some(&b'/') {
        t.to_vec()
    } else {
        [b"/", t].concat()
    };
    assert_eq!(req.method, Method::Get, "{shown:?}");
    assert!(req.close && req.head_len == buf.len(), "{shown:?}");
    assert_eq!([req.path, req.query].concat(), want, "{shown:?}");
}

fn status(data: &[u8]) {
    let shown = show(data);
    let got = status_line(data);
    let mut headers = [httparse::EMPTY_HEADER; 8];
    let mut theirs = httparse::Response::new(&mut headers);
    let _ = theirs.parse(data);
    let their_code = theirs
        .reason
        .and(theirs.code)
        .filter(|c| (100..600).contains(c));
    if data.starts_with(b"HTTP/1.0 ") || data.starts_with(b"HTTP/1.1 ") {
        assert_eq!(got.map(|s| s.code), their_code, "{shown:?}");
    } else if !data.starts_with(b"HTTP/1.") {
        assert_eq!(got, None, "{shown:?}");
    }
    let Some(s) = got else { return };
    assert!((100..600).contains(&s.code), "{shown:?}");
    assert!(
        s.text.iter().all(|&b| b == b' ' || b.is_ascii_graphic()),
        "{shown:?}"
    );
    assert!(
        s.text.starts_with(s.code.to_string().as_bytes()),
        "{shown:?}"
    );
    let again = [b"HTTP/1.1 ", s.text, b"\r\n"].concat();
    assert_eq!(status_line(&again), Some(s), "{shown:?}");
}
