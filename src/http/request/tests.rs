//! Unit tests of the request parser: request lines, targets, fields
//! (lists sent on several lines, Host), and RFC 9112 framing.

use super::*;

fn ok(raw: &[u8]) -> Request<'_> {
    parse(raw, MAX_HEAD_BYTES).unwrap_or_else(|e| panic!("{e:?} for {raw:?}"))
}

fn err(raw: &[u8]) -> ParseError {
    parse(raw, MAX_HEAD_BYTES).unwrap_err()
}

#[test]
fn simple_get() {
    let r = ok(b"GET /a/b.txt?x=1#frag HTTP/1.1\r\nHost: h\r\n\r\nextra");
    assert_eq!(r.method, Method::Get);
    assert_eq!(r.version, Version::Http11);
    assert_eq!(r.path, b"/a/b.txt");
    assert_eq!(r.query, b"?x=1");
    assert_eq!(r.line, b"GET /a/b.txt?x=1#frag HTTP/1.1");
    assert_eq!(r.head_len, 43);
    assert!(!r.close && !r.keep_alive && !r.has_body);
}

#[test]
fn framing_follows_rfc_9112_section_6() {
    let head = |h: &str| format!("PUT /a HTTP/1.1\r\nHost: h\r\n{h}\r\n");
    let raw = head("Transfer-Encoding: chunked\r\n");
    let r = ok(raw.as_bytes());
    assert!(r.chunked && r.has_body && r.content_length.is_none());
    let raw = head("Transfer-Encoding: CHUNKED \r\nExpect: 100-continue\r\n");
    let r = ok(raw.as_bytes());
    assert!(r.chunked && r.expect_continue);
    let raw = head("Content-Length: 7\r\nContent-Length: 7\r\n");
    assert_eq!(ok(raw.as_bytes()).content_length, Some(7));
    for (h, e) in [
        ("Transfer-Encoding: xchunked\r\n", ParseError::UnknownCoding),
        (
            "Transfer-Encoding: gzip, chunked\r\n",
            ParseError::UnknownCoding,
        ),
        (
            "Transfer-Encoding: chunked, gzip\r\n",
            ParseError::UnknownCoding,
        ),
        (
            "Transfer-Encoding: chunked, chunked\r\n",
            ParseError::BadFraming,
        ),
        (
            "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
            ParseError::BadFraming,
        ),
        (
            "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n",
            ParseError::BadFraming,
        ),
        (
            "Content-Length: 3\r\nTransfer-Encoding: xchunked\r\n",
            ParseError::BadFraming,
        ),
        ("Transfer-Encoding: ,\r\n", ParseError::BadFraming),
        (
            "Content-Length: 3\r\nContent-Length: 4\r\n",
            ParseError::BadContentLength,
        ),
        ("Content-Length: 3, 3\r\n", ParseError::BadContentLength),
    ] {
        assert_eq!(err(head(h).as_bytes()), e, "{h:?}");
    }
    assert_eq!(
        err(b"PUT /a HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"),
        ParseError::BadFraming
    );
    let raw = head("Authorization: Basic YTpi\r\nContent-Type: text/plain\r\n");
    let r = ok(raw.as_bytes());
    assert_eq!(r.authorization, Some(&b"Basic YTpi"[..]));
    assert_eq!(r.content_type, Some(&b"text/plain"[..]));
}

#[test]
fn methods_and_versions() {
    assert_eq!(ok(b"HEAD / HTTP/1.0\r\n\r\n").method, Method::Head);
    assert_eq!(ok(b"HEAD / HTTP/1.0\r\n\r\n").version, Version::Http10);
    assert_eq!(ok(b"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n").path, b"*");
    assert_eq!(
        ok(b"PUT /a HTTP/1.1\r\nHost: h\r\n\r\n").method,
        Method::Put
    );
    assert_eq!(
        ok(b"POST / HTTP/1.1\r\nHost: h\r\n\r\n").method,
        Method::Post
    );
    for m in ["DELETE", "PATCH", "TRACE", "CONNECT", "get", "put", "BREW"] {
        let raw = format!("{m} / HTTP/1.1\r\nHost: h\r\n\r\n");
        assert_eq!(ok(raw.as_bytes()).method, Method::Other, "{m}");
    }
    assert_eq!(
        err(b"GET / HTTP/2.0\r\n\r\n"),
        ParseError::UnsupportedVersion
    );
    assert_eq!(
        ok(b"GET / HTTP/1.2\r\nHost: h\r\n\r\n").version,
        Version::Http11
    );
    assert_eq!(
        err(b"GET / HTTP/0.9\r\n\r\n"),
        ParseError::UnsupportedVersion
    );
    assert_eq!(err(b"GET / HTTP/1\r\n\r\n"), ParseError::BadRequestLine);
    // Empty lines before the request line are skipped; a bare CR is
    // no line end (found by fuzzing against httparse).
    assert_eq!(ok(b"\r\n\nGET / HTTP/1.0\r\n\r\n").head_len, 21);
    assert_eq!(err(b"\rGET / HTTP/1.0\r\n\r\n"), ParseError::BadRequestLine);
    assert_eq!(
        err(b"\r\rGET / HTTP/1.0\r\n\r\n"),
        ParseError::BadRequestLine
    );
    assert_eq!(err(b"GET / http/1.1\r\n\r\n"), ParseError::BadRequestLine);
}

#[test]
fn headers_we_use() {
    let r = ok(
        b"GET / HTTP/1.1\r\nhOsT: x\r\nConnection: Keep-Alive, Upgrade\r\n\
        Range:  bytes=0-1 \r\nIf-None-Match: \"a\"\r\nIf-Modified-Since: d\r\n\
        If-Range: \"b\"\r\nAccept-Encoding: gzip\r\nAccept: application/json\r\n\r\n",
    );
    assert!(r.keep_alive && !r.close);
    assert_eq!(r.range, Some(&b"bytes=0-1"[..]));
    assert_eq!(r.if_none_match, Some(&b"\"a\""[..]));
    assert_eq!(r.if_modified_since, Some(&b"d"[..]));
    assert_eq!(r.if_range, Some(&b"\"b\""[..]));
    assert_eq!(r.accept_encoding, Some(&b"gzip"[..]));
    assert_eq!(r.accept, Some(&b"application/json"[..]));
    assert!(ok(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").close);
    assert!(ok(b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n").has_body);
    assert!(!ok(b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n").has_body);
    assert!(ok(b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n").has_body);
}

#[test]
fn raw_bytes_above_ascii_in_the_target() {
    // curl sends `?q=ü` as typed; nginx serves it, and so do we.
    let r = ok(b"GET /a.txt?q=\xc3\xbc HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_eq!((r.path, r.query), (&b"/a.txt"[..], &b"?q=\xc3\xbc"[..]));
    // Not UTF-8 either: the path is bytes, decoded later.
    let r = ok(b"GET /\xff\x80b?\xfe#\xfd HTTP/1.0\r\n\r\n");
    assert_eq!((r.path, r.query), (&b"/\xff\x80b"[..], &b"?\xfe"[..]));
    let r = ok(b"GET http://h/\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_eq!(r.path, b"/\xc3\xa9");
    for bad in [&b"/a b"[..], b"/a\x00", b"/a\x1f", b"/a\x7f", b"/a?\x01"] {
        let raw = [b"GET ", bad, b" HTTP/1.1\r\nHost: h\r\n\r\n"].concat();
        assert_eq!(
            err(&raw),
            ParseError::BadRequestLine,
            "{}",
            bad.escape_ascii()
        );
    }
}

#[test]
fn list_fields_keep_every_line() {
    use crate::http::syntax::field_values;
    let r = ok(b"GET / HTTP/1.1\r\nIf-None-Match: \"a\" \r\nHost: h\r\n\
        Accept: text/html\r\nif-none-match: \"b\"\r\nAccept-Encoding: br\r\n\
        IF-NONE-MATCH:\"c\", \"d\"\r\nAccept: application/json\r\n\r\n");
    let values = |span: Option<&[u8]>, name: &[u8]| -> Vec<Vec<u8>> {
        field_values(span.unwrap(), name)
            .map(<[u8]>::to_vec)
            .collect()
    };
    assert_eq!(
        values(r.if_none_match, b"if-none-match"),
        [&b"\"a\""[..], b"\"b\"", b"\"c\", \"d\""]
    );
    assert_eq!(
        values(r.accept, b"accept"),
        [&b"text/html"[..], b"application/json"]
    );
    // One line: its value, exactly.
    assert_eq!(r.accept_encoding, Some(&b"br"[..]));
    // Empty lines count too (an empty list adds nothing).
    let r = ok(b"GET / HTTP/1.1\r\nHost: h\r\nAccept-Encoding:\r\nAccept-Encoding: gzip\r\n\r\n");
    assert_eq!(
        values(r.accept_encoding, b"accept-encoding"),
        [&b""[..], b"gzip"]
    );
    // Bare LF line ends work the same.
    let r = ok(b"GET / HTTP/1.0\nAccept: a\nAccept: b\n\n");
    assert_eq!(values(r.accept, b"accept"), [&b"a"[..], b"b"]);
    // Connection tokens are read from every line.
    let r = ok(b"GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n");
    assert!(r.close && r.keep_alive);
}

#[test]
fn host_values_and_duplicates() {
    for host in [
        "",
        "h",
        "example.com:8080",
        "[::1]:8080",
        "127.0.0.1",
        "[::1]",
    ] {
        let raw = format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n");
        assert_eq!(ok(raw.as_bytes()).path, b"/", "{host:?}");
    }
    for host in [
        "a b", "a/b", "h:x", "[::1", "[zz::1]", "h\u{fc}", "a@b", "h:80:80",
    ] {
        let raw = format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n");
        assert_eq!(err(raw.as_bytes()), ParseError::BadHost, "{host:?}");
        // HTTP/1.0 need not send one, but what it sends must be valid.
        let raw = format!("GET / HTTP/1.0\r\nHost: {host}\r\n\r\n");
        assert_eq!(err(raw.as_bytes()), ParseError::BadHost, "{host:?}");
    }
    for dup in [
        "Host: a\r\nHost: b",
        "Host: a\r\nHost: a",
        "Host: a\r\nhost:",
    ] {
        let raw = format!("GET / HTTP/1.1\r\n{dup}\r\n\r\n");
        assert_eq!(err(raw.as_bytes()), ParseError::BadHost, "{dup:?}");
    }
    assert_eq!(err(b"GET / HTTP/1.1\r\n\r\n"), ParseError::BadHost);
    assert!(ok(b"GET / HTTP/1.0\r\n\r\n").path == b"/");
    let raw = b"PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n";
    assert_eq!(err(raw), ParseError::BadContentLength);
    let raw = b"PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nContent-Length: 02\r\n\r\n";
    assert_eq!(ok(raw).content_length, Some(2));
}

#[test]
fn target_forms() {
    let r = ok(b"GET http://example.com:8080/a%20b?q#f HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_eq!((r.path, r.query), (&b"/a%20b"[..], &b"?q"[..]));
    let r = ok(b"GET HTTP://example.com HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_eq!(r.path, b"/");
    let r = ok(b"GET http://example.com?x HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_eq!((r.path, r.query), (&b"/"[..], &b"?x"[..]));
    for bad in ["a.txt", "*", "ftp://x/", "http://", "http:///a", "//"] {
        let raw = format!("GET {bad} HTTP/1.1\r\nHost: h\r\n\r\n");
        let got = parse(raw.as_bytes(), MAX_HEAD_BYTES);
        if bad == "//" {
            assert_eq!(got.unwrap().path, b"//");
        } else {
            assert_eq!(got.unwrap_err(), ParseError::BadTarget, "{bad}");
        }
    }
}

#[test]
fn malformed() {
    let cases: &[(&[u8], ParseError)] = &[
        (b"GET  / HTTP/1.1\r\n\r\n", ParseError::BadRequestLine),
        (b"GET / HTTP/1.1 \r\n\r\n", ParseError::BadRequestLine),
        (b"GET /\r\n\r\n", ParseError::BadRequestLine),
        (b"G(T / HTTP/1.1\r\n\r\n", ParseError::BadRequestLine),
        (b"GET /\x01 HTTP/1.1\r\n\r\n", ParseError::BadRequestLine),
        (b"GET /\x7f HTTP/1.1\r\n\r\n", ParseError::BadRequestLine),
        (b"GET /\t HTTP/1.1\r\n\r\n", ParseError::BadRequestLine),
        (b"GET / HTTP/1.1\r\nHost : x\r\n\r\n", ParseError::BadHeader),
        (
            b"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
            ParseError::BadHeader,
        ),
        (
            b"GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n",
            ParseError::BadHeader,
        ),
        (
            b"GET / HTTP/1.1\r\nHost: x\r\n: v\r\n\r\n",
            ParseError::BadHeader,
        ),
        (
            b"GET / HTTP/1.1\r\nHost: x\r\nA: \x00\r\n\r\n",
            ParseError::BadHeader,
        ),
        (
            b"GET / HTTP/1.1\r\nHost: x\r\nA: b\x1bc\r\n\r\n",
            ParseError::BadHeader,
        ),
        (b"GET / HTTP/1.1\r\n\r\n", ParseError::BadHost),
        (
            b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
            ParseError::BadHost,
        ),
        (
            b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n",
            ParseError::BadContentLength,
        ),
        (
            b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            ParseError::BadContentLength,
        ),
        (
            b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n",
            ParseError::BadContentLength,
        ),
    ];
    for (raw, want) in cases {
        assert_eq!(
            parse(raw, MAX_HEAD_BYTES).unwrap_err(),
            *want,
            "{:?}",
            String::from_utf8_lossy(raw)
        );
    }
}

#[test]
fn incomplete_versus_too_large() {
    let full = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    for cut in 0..full.len() {
        assert_eq!(err(&full[..cut]), ParseError::Incomplete, "cut at {cut}");
    }
    assert_eq!(parse(b"GET /aaaa", 9).unwrap_err(), ParseError::UriTooLong);
    assert_eq!(
        parse(b"GET / HTTP/1.1\r\nA: b", 20).unwrap_err(),
        ParseError::HeadTooLarge
    );
    // Leading blank lines are skipped, and bare LF line ends accepted.
    let r = ok(b"\r\n\r\nGET /x HTTP/1.0\n\n");
    assert_eq!((r.path, r.head_len), (&b"/x"[..], 21));
}

#[test]
fn agrees_with_httparse() {
    let heads: &[&[u8]] = &[
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /a?b HTTP/1.0\r\nUser-Agent: curl/8\r\nAccept: */*\r\n\r\n",
        b"HEAD /x/y/z HTTP/1.1\r\nHost: h\r\nX-A: \t v \r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nA:\x7f\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nA: \xc3\xa9\r\n\r\n",
        b"GET /\xc3\xa9?\xc3\xbc HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /a b HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\n",
    ];
    for raw in heads {
        let mut headers = [httparse::EMPTY_HEADER; 16];
        let mut oracle = httparse::Request::new(&mut headers);
        let theirs = oracle.parse(raw);
        let ours = parse(raw, MAX_HEAD_BYTES);
        match theirs {
            Ok(httparse::Status::Complete(len)) => {
                let r = ours.unwrap();
                assert_eq!(r.head_len, len);
                assert!(oracle.path.unwrap().as_bytes().starts_with(r.path));
            }
            Ok(httparse::Status::Partial) => {
                assert_eq!(ours.unwrap_err(), ParseError::Incomplete)
            }
            Err(_) => assert!(ours.is_err(), "{:?}", String::from_utf8_lossy(raw)),
        }
    }
}

#[test]
fn never_panics_on_noise() {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let alphabet = b"GET HEAD/ HTTP/1.1\r\n:Host:%?#\t\x00\xffab";
    for _ in 0..20_000 {
        let mut raw = [0u8; 64];
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let len = (x % 64) as usize;
        for b in raw.iter_mut().take(len) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = alphabet[(x % alphabet.len() as u64) as usize];
        }
        let _ = parse(&raw[..len], 64);
        let _ = parse(&raw[..len], len);
    }
}
