//! Issue 10, item 6, against the real binary: raw bytes >= 0x80 in the
//! request target (as curl sends a typed `?q=ü`), list fields sent on
//! several lines (RFC 9110 §5.3), `Host` values and duplicates (RFC 9112
//! §3.2), the JSON listing's `href`, and the listing's dark mode.

mod common;
use common::*;

use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;

/// `GET target` over HTTP/1.1 with `Host: h`, `Connection: close` and
/// extra header lines; the response.
fn get_raw(server: &Server, target: &[u8], headers: &[&str]) -> Response {
    let mut raw = [
        b"GET ",
        target,
        b" HTTP/1.1\r\nHost: h\r\nConnection: close\r\n",
    ]
    .concat();
    for h in headers {
        raw.extend_from_slice(h.as_bytes());
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"\r\n");
    server.request(&raw)
}

/// A request with exactly the header lines given (no `Host` added).
fn with_lines(server: &Server, first: &str, lines: &[&str]) -> Response {
    let mut raw = format!("{first}\r\n");
    for l in lines {
        raw.push_str(l);
        raw.push_str("\r\n");
    }
    raw.push_str("Connection: close\r\n\r\n");
    server.request(raw.as_bytes())
}

#[test]
fn raw_bytes_above_ascii_in_the_target() {
    let dir = TempDir::new("utf8-target");
    dir.write("a.txt", "hello");
    dir.write("\u{fc}ber.txt", "UTF-8 name");
    let odd = std::ffi::OsStr::from_bytes(b"caf\xe9.bin");
    std::fs::write(dir.path().join(odd), b"latin-1 name").unwrap();
    let server = Server::start(dir.path(), &[]);

    // `curl 'http://h/a.txt?q=ü'`: curl sends the query as typed.
    let r = get_raw(&server, b"/a.txt?q=\xc3\xbc", &[]);
    assert_eq!((r.status, &r.body[..]), (200, &b"hello"[..]), "{r:?}");
    let r = get_raw(&server, b"/a.txt?\xff\xfe", &[]);
    assert_eq!(r.status, 200, "{r:?}");
    // A raw path byte names the file with that byte, like its %XX.
    let r = get_raw(&server, b"/\xc3\xbcber.txt", &[]);
    assert_eq!((r.status, &r.body[..]), (200, &b"UTF-8 name"[..]), "{r:?}");
    let r = get_raw(&server, b"/caf\xe9.bin", &[]);
    assert_eq!(
        (r.status, &r.body[..]),
        (200, &b"latin-1 name"[..]),
        "{r:?}"
    );
    let r = get_raw(&server, b"/caf%E9.bin", &[]);
    assert_eq!(
        (r.status, &r.body[..]),
        (200, &b"latin-1 name"[..]),
        "{r:?}"
    );
    let r = get_raw(&server, b"/caf\xe8.bin", &[]);
    assert_eq!(r.status, 404, "{r:?}");
    // Controls and DEL stay refused; a space splits the request line.
    for bad in [&b"/a.txt?q=\x01"[..], b"/a\x7f.txt", b"/a\x1b.txt", b"/a b"] {
        let r = get_raw(&server, bad, &[]);
        assert_eq!(r.status, 400, "{} {r:?}", bad.escape_ascii());
    }
    // The access log escapes the raw bytes.
    let log = server.wait_log("/caf\\xe8.bin");
    assert!(
        log.contains("GET /a.txt?q=\\xc3\\xbc HTTP/1.1\" 200"),
        "{log}"
    );
}

#[test]
fn list_fields_on_several_lines_are_one_list() {
    let dir = TempDir::new("list-lines");
    dir.write("f.txt", "plain bytes");
    dir.write("f.txt.br", "BROTLI");
    dir.write("f.txt.gz", "GZIP");
    dir.write("sub/x", "x");
    let server = Server::start(dir.path(), &[]);
    let full = get_raw(&server, b"/f.txt", &[]);
    assert_eq!(full.status, 200);
    let etag = full.header("ETag").unwrap().to_string();
    let inm = |lines: &[&str]| -> u16 {
        let lines: Vec<String> = lines.iter().map(|l| l.replace("TAG", &etag)).collect();
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        get_raw(&server, b"/f.txt", &lines).status
    };
    // The second line matches: 304 (it used to replace the first: 200).
    assert_eq!(inm(&["If-None-Match: \"nope\"", "If-None-Match: TAG"]), 304);
    // The first line matches, other fields between.
    assert_eq!(
        inm(&["If-None-Match: TAG", "X-A: b", "if-none-match: \"nope\""]),
        304
    );
    assert_eq!(
        inm(&["If-None-Match: \"a\", \"b\"", "If-None-Match: W/\"c\""]),
        200
    );
    // Another field naming the tag counts for nothing.
    assert_eq!(inm(&["If-None-Match: \"a\"", "X-If-None-Match: TAG"]), 200);

    // Accept-Encoding: `*;q=0` on one line, `br` on the next.
    let r = get_raw(
        &server,
        b"/f.txt",
        &["Accept-Encoding: *;q=0", "Accept-Encoding: br"],
    );
    assert_eq!(r.header("Content-Encoding"), Some("br"), "{r:?}");
    assert_eq!(r.body, b"BROTLI");
    // A coding refused on a later line stays refused.
    let r = get_raw(
        &server,
        b"/f.txt",
        &["Accept-Encoding: br, gzip;q=0.5", "Accept-Encoding: br;q=0"],
    );
    assert_eq!(r.header("Content-Encoding"), Some("gzip"), "{r:?}");

    // Accept: JSON on the second line outweighs HTML on the first.
    let r = get_raw(
        &server,
        b"/sub/",
        &["Accept: text/html;q=0.5", "Accept: application/json"],
    );
    assert_eq!(r.header("Content-Type"), Some("application/json"), "{r:?}");
    let r = get_raw(
        &server,
        b"/sub/",
        &["Accept: application/json", "Accept: application/json;q=0"],
    );
    assert_eq!(
        r.header("Content-Type"),
        Some("text/html; charset=utf-8"),
        "{r:?}"
    );

    // Connection: `close` on a second line still closes.
    let (r, rest) = exchange(
        &server,
        b"GET /f.txt HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(r.status, 200);
    assert_eq!(rest, b"plain bytes", "closed after one response");
}

#[test]
fn host_values_and_duplicates() {
    let dir = TempDir::new("host");
    dir.write("a.txt", "a");
    let server = Server::start(dir.path(), &[]);
    let get = "GET /a.txt HTTP/1.1";
    for host in [
        "Host: [::1]:8080",
        "Host: [::1]",
        "Host: 127.0.0.1:80",
        "Host: example.com",
        "Host: EXAMPLE.com:",
        "Host: xn--bcher-kva.example",
        "Host: %C3%BC.example",
        "Host:",
    ] {
        assert_eq!(with_lines(&server, get, &[host]).status, 200, "{host}");
    }
    for lines in [
        &["Host: a b"][..],
        &["Host: a/b"],
        &["Host: h:x"],
        &["Host: [::1"],
        &["Host: [::g]"],
        &["Host: user@h"],
        &["Host: \u{fc}.example"],
        &["Host: a", "Host: b"],
        &["Host: a", "Host: a"],
        &[],
        &["Host: a", "Content-Length: 1", "Content-Length: 2"],
    ] {
        let r = with_lines(&server, get, lines);
        assert_eq!(r.status, 400, "{lines:?}: {r:?}");
    }
    // HTTP/1.0 may leave Host out, but not send a bad one.
    assert_eq!(with_lines(&server, "GET /a.txt HTTP/1.0", &[]).status, 200);
    let r = with_lines(&server, "GET /a.txt HTTP/1.0", &["Host: a b"]);
    assert_eq!(r.status, 400);
    // The same Content-Length twice is one length (RFC 9110 §8.6).
    let r = with_lines(
        &server,
        get,
        &["Host: h", "Content-Length: 0", "Content-Length: 0"],
    );
    assert_eq!(r.status, 200);
}

#[test]
fn json_listing_hrefs_fetch_every_name() {
    let dir = TempDir::new("json-href");
    let names: [&[u8]; 5] = [
        b"caf\xe9.bin",
        b"\xff\xfe",
        b"a b#?%.txt",
        b"\xc3\xbc.txt",
        b"x:y",
    ];
    for (i, name) in names.iter().enumerate() {
        let path = dir.path().join(std::ffi::OsStr::from_bytes(name));
        std::fs::write(path, format!("file {i}")).unwrap();
    }
    let sub = dir.path().join(std::ffi::OsStr::from_bytes(b"d\xe9"));
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(sub.join("inner"), "inner").unwrap();
    let server = Server::start(dir.path(), &[]);

    let r = get_raw(&server, b"/", &["Accept: application/json"]);
    assert_eq!(r.status, 200);
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    let entries = v["entries"].as_array().unwrap();
    assert_eq!(entries.len(), names.len() + 1, "{v}");
    let mut fetched = 0;
    for e in entries {
        let href = e["href"].as_str().unwrap();
        let bare = href.strip_suffix('/').unwrap_or(href);
        assert!(
            bare.is_ascii() && !bare.contains(['/', '?', '#', ' ', ':']),
            "{e}"
        );
        let target = format!("/{href}");
        let r = get_raw(&server, target.as_bytes(), &[]);
        assert_eq!(r.status, 200, "{e} {r:?}");
        if let Some(i) = names
            .iter()
            .position(|n| String::from_utf8_lossy(n) == e["name"].as_str().unwrap())
        {
            assert_eq!(e["type"], "file");
            assert_eq!(r.body, format!("file {i}").as_bytes(), "{e}");
            fetched += 1;
        }
    }
    assert_eq!(fetched, names.len());
    // Names that are not UTF-8: U+FFFD in `name`, exact bytes in `href`.
    let latin = entries.iter().find(|e| e["href"] == "caf%E9.bin").unwrap();
    assert_eq!(latin["name"], "caf\u{FFFD}.bin");
    // A directory's href ends in `/`, and works from its own listing too.
    let sub = entries
        .iter()
        .find(|e| e["type"] == "dir" && e["href"] == "d%E9/");
    assert!(sub.is_some(), "{v}");
    let r = get_raw(&server, b"/d%E9/", &["Accept: application/json"]);
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["entries"][0]["href"], "inner");
    let r = get_raw(&server, b"/d%E9/inner", &[]);
    assert_eq!(r.body, b"inner");
}

#[test]
fn html_listing_follows_dark_mode() {
    let dir = TempDir::new("dark");
    dir.write("a.txt", "a");
    let server = Server::start(dir.path(), &[]);
    let r = get_raw(&server, b"/", &[]);
    assert_eq!(r.status, 200);
    let page = r.text();
    let head = &page[..page.find("</head>").unwrap()];
    assert!(
        head.contains("<meta name=\"color-scheme\" content=\"light dark\">"),
        "{head}"
    );
    let style = &head[head.find("<style>").unwrap()..head.find("</style>").unwrap()];
    assert!(
        style.contains("@media(prefers-color-scheme:dark){"),
        "{style}"
    );
    // Tiny: the whole style stays under half a kilobyte.
    assert!(style.len() < 512, "{} bytes", style.len());
}
