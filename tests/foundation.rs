//! Issue 2, "Foundation": the behaviour a newcomer relies on when they run
//! `httpd` in place of `python -m http.server`. Every test starts the real
//! binary on 127.0.0.1 port 0 over a fixture directory and speaks raw
//! HTTP/1.1 over loopback (see `common`).

mod common;
use common::*;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::io::{Cursor, ErrorKind, Read, Write};
use std::net::TcpListener;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const VERSION: &str = env!("CARGO_PKG_VERSION");
const BIN: &str = env!("CARGO_BIN_EXE_httpd");

// ---------------------------------------------------------------------
// Helpers local to this file.
// ---------------------------------------------------------------------

/// Sends `raw` on a new connection, half-closes, and reads everything the
/// server sends until it closes (or resets) the connection.
fn exchange(server: &Server, raw: &[u8]) -> Vec<u8> {
    let mut s = server.connect();
    // The server may answer (and stop reading) before all of a huge
    // request is written; that is fine.
    let _ = s.write_all(raw);
    finish_writing(&s);
    read_to_close(&mut s)
}

/// Reads until EOF or reset; panics on a timeout (a hung server).
fn read_to_close(s: &mut impl Read) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return out,
            Err(e) => panic!(
                "no EOF from the server ({e}); got {} bytes: {:?}",
                out.len(),
                String::from_utf8_lossy(&out[..out.len().min(300)])
            ),
        }
    }
}

/// Parses exactly one response from `raw`; no byte may follow it.
fn parse_one(raw: &[u8], head_only: bool) -> Response {
    let mut c = Cursor::new(raw);
    let r = read_response(&mut c, head_only);
    let rest = &raw[c.position() as usize..];
    assert!(
        rest.is_empty(),
        "{} unexpected bytes after the response: {:?}",
        rest.len(),
        String::from_utf8_lossy(&rest[..rest.len().min(200)])
    );
    r
}

/// `exchange` + `parse_one`.
fn ask(server: &Server, raw: &[u8]) -> Response {
    parse_one(&exchange(server, raw), raw.starts_with(b"HEAD "))
}

/// A GET of `target` with `Host` and `Connection: close`, parsed.
fn fetch(server: &Server, target: &str) -> Response {
    ask(server, &request("GET", target, &[]))
}

/// An error response of `status` with its small HTML page, well formed.
#[track_caller]
fn assert_error(r: &Response, status: u16, what: &str) {
    assert_eq!(r.status, status, "{what}: {} {:?}", r.reason, r.text());
    assert_eq!(
        r.header("Content-Type"),
        Some("text/html; charset=utf-8"),
        "{what}"
    );
    assert_eq!(
        r.header("Content-Length"),
        Some(r.body.len().to_string().as_str()),
        "{what}"
    );
    assert!(
        r.text().contains(&format!("{status} {}", r.reason)),
        "{what}: page {:?}",
        r.text()
    );
    assert_common_headers(r);
}

/// `Server: httpd/<version>` and a well-formed, current `Date`.
#[track_caller]
fn assert_common_headers(r: &Response) {
    assert_eq!(
        r.header("Server"),
        Some(format!("httpd/{VERSION}").as_str())
    );
    let date = r.header("Date").expect("Date header");
    let t = assert_imf_fixdate(date);
    let now = SystemTime::now();
    let skew = if t > now {
        t.duration_since(now).unwrap()
    } else {
        now.duration_since(t).unwrap()
    };
    assert!(
        skew < Duration::from_secs(120),
        "Date {date} is far from now"
    );
}

/// `v` is an IMF-fixdate (RFC 9110 §5.6.7), e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
#[track_caller]
fn assert_imf_fixdate(v: &str) -> SystemTime {
    let t = httpdate::parse_http_date(v).unwrap_or_else(|e| panic!("not an HTTP date {v:?}: {e}"));
    // httpdate also parses the obsolete forms; formatting back proves the
    // preferred one, byte for byte.
    assert_eq!(httpdate::fmt_http_date(t), v, "not IMF-fixdate");
    t
}

/// The access-log time of `t`: `25/Nov/2026 07:11:39` (UTC).
fn log_stamp(t: SystemTime) -> String {
    let imf = httpdate::fmt_http_date(t); // Sun, 06 Nov 1994 08:49:37 GMT
    let p: Vec<&str> = imf.split(' ').collect();
    format!("{}/{}/{} {}", p[1], p[2], p[3], p[4])
}

/// Every log stamp from `from` to `to`, one a second.
fn stamps_between(from: SystemTime, to: SystemTime) -> Vec<String> {
    let a = from.duration_since(UNIX_EPOCH).unwrap().as_secs();
    let b = to.duration_since(UNIX_EPOCH).unwrap().as_secs();
    (a..=b + 1)
        .map(|s| log_stamp(UNIX_EPOCH + Duration::from_secs(s)))
        .collect()
}

/// Deterministic pseudo-random bytes (xorshift64*).
fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    Rng(seed | 1).bytes(len)
}

/// Percent-decodes `s` (the test's own decoder, for checking hrefs).
fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap_or_else(|_| panic!("bad escape in {s}")));
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

/// Undoes HTML escaping (the named entities and numeric references).
fn html_unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp..];
        let semi = after.find(';').unwrap_or_else(|| panic!("bare & in {s:?}"));
        let entity = &after[1..semi];
        let c = match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ if entity.starts_with("#x") || entity.starts_with("#X") => {
                char::from_u32(u32::from_str_radix(&entity[2..], 16).unwrap()).unwrap()
            }
            _ if entity.starts_with('#') => char::from_u32(entity[1..].parse().unwrap()).unwrap(),
            _ => panic!("unknown entity &{entity}; in {s:?}"),
        };
        out.push(c);
        rest = &after[semi + 1..];
    }
    out.push_str(rest);
    out
}

/// The `(href, link text)` of every `<a>` on a page.
fn links(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("<a href=\"") {
        rest = &rest[i + 9..];
        let q = rest.find('"').expect("unterminated href");
        let href = rest[..q].to_string();
        let gt = rest.find('>').expect("unterminated <a>");
        let end = rest.find("</a>").expect("unterminated link");
        out.push((href, rest[gt + 1..end].to_string()));
        rest = &rest[end..];
    }
    out
}

/// True when this process runs as root (who bypasses file permissions).
fn running_as_root() -> bool {
    let out = Command::new("id").arg("-u").output().expect("id -u");
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

/// What a short-lived `httpd` run printed and how it ended.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `httpd ARGS` to completion, killing it after `WAIT` (a start-up
/// failure that starts serving instead must not hang the suite).
fn run_httpd(args: &[&str]) -> Run {
    let mut command = Command::new(BIN);
    command.args(args);
    let (code, stdout, stderr) = run_for(command, WAIT);
    Run {
        code,
        stdout,
        stderr,
    }
}

/// Starts `httpd 0 -b 127.0.0.1 -d DIR` as user `nobody` through
/// `setpriv`, so file permissions apply even when the tests run as root.
fn start_as_nobody(dir: &Path) -> Server {
    let mut command = Command::new("setpriv");
    command
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            BIN,
            "0",
            "-b",
            "127.0.0.1",
            "-d",
        ])
        .arg(dir);
    Server::spawn(command, "127.0.0.1")
}

/// The server process runs and still serves `/a.txt` with `body`.
#[track_caller]
fn assert_alive(server: &mut Server, body: &[u8]) {
    assert!(server.alive(), "the server exited; log: {}", server.log());
    let r = fetch(server, "/a.txt");
    assert_eq!(r.status, 200);
    assert_eq!(r.body, body);
}

/// All regular files under `dir`, relative path → bytes.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    walk_tree(dir, &mut |rel, path, meta| {
        if !meta.is_dir() {
            out.insert(rel.to_path_buf(), std::fs::read(path).unwrap());
        }
    });
    out
}

// ---------------------------------------------------------------------
// Files and headers.
// ---------------------------------------------------------------------

/// Each file type comes back byte for byte with the Content-Type a browser needs to render or download it.
#[test]
fn file_types_exact_bytes_and_content_type() {
    let dir = TempDir::new("types");
    let mut png = vec![0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];
    png.extend((0..=255u8).chain((0..=255u8).rev()));
    let files: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "page.html",
            b"<!DOCTYPE html>\n<title>t</title><p>caf\xc3\xa9</p>\n".to_vec(),
            "text/html; charset=utf-8",
        ),
        (
            "old.htm",
            b"<p>old</p>".to_vec(),
            "text/html; charset=utf-8",
        ),
        (
            "style.css",
            b"body { color: red }\n".to_vec(),
            "text/css; charset=utf-8",
        ),
        (
            "app.js",
            b"console.log('hi');\n".to_vec(),
            "text/javascript; charset=utf-8",
        ),
        (
            "mod.mjs",
            b"export default 1;\n".to_vec(),
            "text/javascript; charset=utf-8",
        ),
        ("image.png", png, "image/png"),
        ("UPPER.PNG", b"\x89PNG\r\n\x1a\n\0\0".to_vec(), "image/png"),
        (
            "data.json",
            b"{\"a\": [1, 2, \"\xc3\xa9\"]}\n".to_vec(),
            "application/json",
        ),
        (
            "notes.txt",
            b"line one\r\nline two\n".to_vec(),
            "text/plain; charset=utf-8",
        ),
        (
            "blob.xyz",
            b"\0\x01\x02\xff\xfe binary".to_vec(),
            "application/octet-stream",
        ),
        (
            "Makefile",
            b"all:\n\ttrue\n".to_vec(),
            "application/octet-stream",
        ),
        ("empty.txt", Vec::new(), "text/plain; charset=utf-8"),
        (
            "pic.svg",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>".to_vec(),
            "image/svg+xml",
        ),
        ("mod.wasm", b"\0asm\x01\0\0\0".to_vec(), "application/wasm"),
    ];
    for (name, bytes, _) in &files {
        dir.write(name, bytes);
    }
    let server = Server::start(dir.path(), &[]);
    for (name, bytes, ty) in &files {
        let r = fetch(&server, &format!("/{name}"));
        assert_eq!(r.status, 200, "{name}");
        assert_eq!(r.reason, "OK", "{name}");
        assert_eq!(&r.body, bytes, "{name}: body differs");
        assert_eq!(r.header("Content-Type"), Some(*ty), "{name}");
        assert_eq!(
            r.header("Content-Length"),
            Some(bytes.len().to_string().as_str()),
            "{name}"
        );
        assert_common_headers(&r);
    }
}

/// Date, Server, Content-Length and Last-Modified are present and exact, so caches and tools can trust them.
#[test]
fn response_headers_are_exact() {
    let dir = TempDir::new("headers");
    let path = dir.write("a.txt", "hello, world\n");
    // 2001-09-09 01:46:40 UTC.
    let f = std::fs::File::options().write(true).open(&path).unwrap();
    f.set_modified(UNIX_EPOCH + Duration::from_secs(1_000_000_000))
        .unwrap();
    drop(f);
    let server = Server::start(dir.path(), &[]);
    let before = SystemTime::now();
    let r = fetch(&server, "/a.txt");
    let after = SystemTime::now();
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"hello, world\n");
    assert_eq!(
        r.header("Server"),
        Some(format!("httpd/{VERSION}").as_str())
    );
    assert_eq!(r.header("Content-Length"), Some("13"));
    assert_eq!(
        r.header("Last-Modified"),
        Some("Sun, 09 Sep 2001 01:46:40 GMT")
    );
    assert_eq!(r.header("Connection"), Some("close"), "we asked for close");
    let date = assert_imf_fixdate(r.header("Date").expect("Date"));
    let secs = |t: SystemTime| t.duration_since(UNIX_EPOCH).unwrap().as_secs();
    assert!(
        secs(before) <= secs(date) + 1 && secs(date) <= secs(after) + 1,
        "Date {:?} is not the time of the request",
        r.header("Date")
    );
    for name in [
        "Date",
        "Server",
        "Content-Length",
        "Last-Modified",
        "Content-Type",
    ] {
        let n = r
            .headers
            .iter()
            .filter(|(h, _)| h.eq_ignore_ascii_case(name))
            .count();
        assert_eq!(n, 1, "{name} must appear exactly once: {:?}", r.headers);
    }
}

/// HEAD gives the same headers as GET and not one body byte, so a keep-alive client is not desynchronized.
#[test]
fn head_has_same_headers_and_no_body() {
    let dir = TempDir::new("head");
    dir.write("a.txt", "0123456789abcdef");
    dir.write("b.txt", "second");
    dir.write("d/x.txt", "x");
    let server = Server::start(dir.path(), &[]);
    let get = fetch(&server, "/a.txt");

    // HEAD then GET on one keep-alive connection: the GET's status line
    // must be the very next bytes after the HEAD's head.
    let mut s = server.connect();
    s.write_all(b"HEAD /a.txt HTTP/1.1\r\nHost: test\r\n\r\n")
        .unwrap();
    let head = read_response(&mut s, true);
    s.write_all(b"GET /b.txt HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        .unwrap();
    let next = read_response(&mut s, false);
    assert_eq!(
        next.status, 200,
        "the byte after HEAD's head must start the next response"
    );
    assert_eq!(next.body, b"second");
    assert!(
        read_to_close(&mut s).is_empty(),
        "bytes after the last response"
    );

    assert_eq!(head.status, 200);
    let strip = |r: &Response| -> Vec<(String, String)> {
        r.headers
            .iter()
            .filter(|(n, _)| {
                !n.eq_ignore_ascii_case("Date") && !n.eq_ignore_ascii_case("Connection")
            })
            .cloned()
            .collect()
    };
    assert_eq!(strip(&head), strip(&get), "HEAD and GET headers differ");
    assert_eq!(head.header("Content-Length"), Some("16"));
    assert_common_headers(&head);

    // With Connection: close the server sends exactly the head, then EOF.
    let raw = exchange(
        &server,
        b"HEAD /a.txt HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n",
    );
    let text = String::from_utf8_lossy(&raw);
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(
        text.ends_with("\r\n\r\n") && text.matches("\r\n\r\n").count() == 1,
        "HEAD carried a body: {text:?}"
    );

    // HEAD of a listing and of an error: no body either.
    for (target, status) in [("/d/", 200), ("/nope", 404), ("/d", 301)] {
        let raw = exchange(
            &server,
            format!("HEAD {target} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").as_bytes(),
        );
        let r = parse_one(&raw, true);
        assert_eq!(r.status, status, "HEAD {target}");
        assert!(
            raw.ends_with(b"\r\n\r\n"),
            "HEAD {target} carried a body: {:?}",
            String::from_utf8_lossy(&raw)
        );
        if status != 301 {
            let len: usize = r.header("Content-Length").unwrap().parse().unwrap();
            assert!(len > 0, "HEAD {target} announces the GET body length");
        }
    }
}

/// A 64 MiB file arrives complete and byte-for-byte, so big downloads are not cut or corrupted.
#[test]
fn large_file_byte_for_byte() {
    let dir = TempDir::new("large");
    dir.write("a.txt", "a");
    let len = 64 * 1024 * 1024;
    let data = pseudo_random(len, 0x9E37_79B9_7F4A_7C15);
    dir.write("big.bin", &data);
    let server = Server::start(dir.path(), &[]);
    let mut s = server.connect();
    s.write_all(&request("GET", "/big.bin", &[])).unwrap();
    let r = read_response(&mut s, false);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Length"), Some(len.to_string().as_str()));
    assert_eq!(r.header("Content-Type"), Some("application/octet-stream"));
    assert_eq!(r.body.len(), len);
    if r.body != data {
        let at = r.body.iter().zip(&data).position(|(a, b)| a != b).unwrap();
        panic!("64 MiB body differs first at byte {at}");
    }
    assert!(read_to_close(&mut s).is_empty(), "bytes after the body");
    drop(data);
    let mut server = server;
    assert_alive(&mut server, b"a");
}

// ---------------------------------------------------------------------
// Directories.
// ---------------------------------------------------------------------

/// A directory without its slash is redirected (301) to the slash form, query kept, so relative links resolve.
#[test]
fn directory_without_slash_redirects() {
    let dir = TempDir::new("redirect");
    dir.write("sub/x.txt", "x");
    dir.write("two words/x.txt", "x");
    dir.write("a/b/c/x.txt", "x");
    let server = Server::start(dir.path(), &[]);
    for (target, location) in [
        ("/sub", "/sub/"),
        ("/sub?x=1&y=2", "/sub/?x=1&y=2"),
        ("/two%20words", "/two%20words/"),
        ("/a/b/c?q", "/a/b/c/?q"),
        ("/sub#frag", "/sub/"),
    ] {
        let r = fetch(&server, target);
        assert_eq!(r.status, 301, "{target}");
        assert_eq!(r.reason, "Moved Permanently");
        assert_eq!(r.header("Location"), Some(location), "{target}");
        assert_common_headers(&r);
        let follow = fetch(&server, location);
        assert_eq!(follow.status, 200, "following {location}");
    }
}

/// `dir/` serves its index.html (or index.htm) instead of a listing, as static sites expect.
#[test]
fn index_html_served_for_directory() {
    let dir = TempDir::new("index");
    dir.write("site/index.html", "<h1>home</h1>\n");
    dir.write("site/other.txt", "o");
    dir.write("old/index.htm", "<h1>old</h1>\n");
    dir.write("index.html", "<h1>root</h1>\n");
    let server = Server::start(dir.path(), &[]);
    for (target, body) in [
        ("/site/", "<h1>home</h1>\n"),
        ("/old/", "<h1>old</h1>\n"),
        ("/", "<h1>root</h1>\n"),
        ("/site/?v=2", "<h1>home</h1>\n"),
    ] {
        let r = fetch(&server, target);
        assert_eq!(r.status, 200, "{target}");
        assert_eq!(r.text(), body, "{target}");
        assert_eq!(
            r.header("Content-Type"),
            Some("text/html; charset=utf-8"),
            "{target}"
        );
    }
    let r = fetch(&server, "/site");
    assert_eq!((r.status, r.header("Location")), (301, Some("/site/")));
}

/// The listing is safe HTML (names escaped, UTF-8 declared) and every link on it leads to the right file.
#[test]
fn listing_escapes_names_and_every_link_works() {
    let dir = TempDir::new("listing");
    let names: &[&str] = &[
        "plain.txt",
        "with space.txt",
        "hash#tag.txt",
        "what?.txt",
        "100%.txt",
        "%41.txt",
        "A.txt",
        "a&b.txt",
        "it's.txt",
        "say \"hi\".txt",
        "café.txt",
        "a+b.txt",
        "back\\slash.txt",
        "javascript:alert(1).txt",
        "<img src=x onerror=alert(1)>.txt",
        "%2e%2e",
        // `/` cannot be in a file name, so `<script>x</script>.txt` is a
        // directory `<script>x<` holding `script>.txt`.
        "<script>x</script>.txt",
        "sub dir/inner file.txt",
        "sub dir/#deep?/é é.txt",
    ];
    for name in names {
        dir.write(&format!("list/{name}"), format!("content of {name}\n"));
    }
    let server = Server::start(dir.path(), &[]);
    let root = dir.path().to_path_buf();
    let base = url::Url::parse(&format!("http://127.0.0.1:{}/", server.port)).unwrap();

    // Crawl from /list/, following every link of every page under it.
    let mut pages = VecDeque::from([String::from("/list/")]);
    let mut seen_pages = BTreeSet::new();
    let mut files_fetched = BTreeSet::new();
    while let Some(page_path) = pages.pop_front() {
        if !seen_pages.insert(page_path.clone()) {
            continue;
        }
        let r = fetch(&server, &page_path);
        assert_eq!(r.status, 200, "listing {page_path}");
        assert_eq!(r.header("Content-Type"), Some("text/html; charset=utf-8"));
        let html = String::from_utf8(r.body.clone()).expect("listing is UTF-8");
        assert!(
            html.contains("<meta charset=\"utf-8\">"),
            "{page_path}: no meta charset"
        );
        let decoded = String::from_utf8(percent_decode(&page_path)).unwrap();
        let t0 = html.find("<title>").expect("title") + 7;
        let t1 = html.find("</title>").unwrap();
        assert_eq!(
            html_unescape(&html[t0..t1]),
            format!("Directory listing for {decoded}")
        );
        assert!(!html[t0..t1].contains('<'), "title not escaped");
        assert!(
            !html.contains("<script>x") && !html.contains("<img src=x"),
            "raw markup from a name on {page_path}:\n{html}"
        );

        let local = root.join(decoded.trim_start_matches('/'));
        let mut expected: BTreeSet<String> = std::fs::read_dir(&local)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let n = e.file_name().into_string().unwrap();
                if e.file_type().unwrap().is_dir() {
                    n + "/"
                } else {
                    n
                }
            })
            .collect();
        let page_url = base.join(&page_path).unwrap();
        let mut listed_dirs = Vec::new();
        let mut listed_files = Vec::new();
        for (href, text) in links(&html) {
            assert!(
                !text.contains('<') && !text.contains('>'),
                "{page_path}: raw markup in link text {text:?}"
            );
            let target = page_url
                .join(&href)
                .unwrap_or_else(|e| panic!("bad href {href:?}: {e}"));
            assert_eq!(
                (target.scheme(), target.host_str(), target.port()),
                ("http", Some("127.0.0.1"), Some(server.port)),
                "href {href:?} leaves the server"
            );
            assert_eq!(target.query(), None, "href {href:?} has a query");
            assert_eq!(target.fragment(), None, "href {href:?} has a fragment");
            if href == "../" {
                let up = fetch(&server, target.path());
                assert_eq!(up.status, 200, "parent link of {page_path}");
                continue;
            }
            assert!(
                !href.contains('/') || href.ends_with('/') && href.matches('/').count() == 1,
                "href {href:?} is not one segment"
            );
            let name = String::from_utf8(percent_decode(&href)).expect("UTF-8 name");
            assert_eq!(html_unescape(&text), name, "link text for {href:?}");
            assert!(
                expected.remove(&name),
                "{page_path}: unexpected or repeated entry {name:?} (href {href:?})"
            );
            if name.ends_with('/') {
                listed_dirs.push(name.clone());
                pages.push_back(target.path().to_string());
            } else {
                listed_files.push(name.clone());
                let r = fetch(&server, target.path());
                let want = std::fs::read(local.join(&name)).unwrap();
                assert_eq!(r.status, 200, "following {href:?} on {page_path}");
                assert_eq!(
                    r.body, want,
                    "following {href:?} on {page_path} gave another file"
                );
                files_fetched.insert(format!("{decoded}{name}"));
            }
        }
        assert!(
            expected.is_empty(),
            "{page_path}: entries missing from the listing: {expected:?}"
        );
        let mut sorted = listed_files.clone();
        sorted.sort();
        assert_eq!(
            listed_files, sorted,
            "{page_path}: files not sorted by name"
        );
        let mut sorted = listed_dirs.clone();
        sorted.sort();
        assert_eq!(
            listed_dirs, sorted,
            "{page_path}: directories not sorted by name"
        );
    }
    let want: BTreeSet<String> = names.iter().map(|n| format!("/list/{n}")).collect();
    assert_eq!(
        files_fetched, want,
        "not every file was reachable by following links"
    );
    assert!(
        seen_pages.contains("/list/%3Cscript%3Ex%3C/"),
        "{seen_pages:?}"
    );
}

// ---------------------------------------------------------------------
// Refused requests.
// ---------------------------------------------------------------------

/// Malformed request lines, headers, escapes and NULs get 400 and the server stays up.
#[test]
fn malformed_requests_get_400() {
    let dir = TempDir::new("bad");
    dir.write("a.txt", "A");
    let mut server = Server::start(dir.path(), &[]);
    let cases: &[(&str, &[u8])] = &[
        (
            "four parts",
            b"GET /a.txt HTTP/1.1 extra\r\nHost: t\r\n\r\n",
        ),
        ("two spaces", b"GET  /a.txt HTTP/1.1\r\nHost: t\r\n\r\n"),
        ("HTTP/0.9", b"GET /a.txt\r\n\r\n"),
        ("garbage", b"hello\r\n\r\n"),
        (
            "bad method char",
            b"GE(T /a.txt HTTP/1.1\r\nHost: t\r\n\r\n",
        ),
        ("bad protocol", b"GET /a.txt HTTX/1.1\r\nHost: t\r\n\r\n"),
        (
            "lower-case version",
            b"GET /a.txt http/1.1\r\nHost: t\r\n\r\n",
        ),
        ("relative target", b"GET a.txt HTTP/1.1\r\nHost: t\r\n\r\n"),
        (
            "space in header name",
            b"GET /a.txt HTTP/1.1\r\nHost: t\r\nBad Header: x\r\n\r\n",
        ),
        (
            "space before colon",
            b"GET /a.txt HTTP/1.1\r\nHost: t\r\nX-A : x\r\n\r\n",
        ),
        (
            "no colon",
            b"GET /a.txt HTTP/1.1\r\nHost: t\r\nNoColon\r\n\r\n",
        ),
        (
            "obs-fold",
            b"GET /a.txt HTTP/1.1\r\nHost: t\r\nX-A: a\r\n folded\r\n\r\n",
        ),
        (
            "control byte in value",
            b"GET /a.txt HTTP/1.1\r\nHost: t\r\nX-A: a\x01b\r\n\r\n",
        ),
        (
            "empty header name",
            b"GET /a.txt HTTP/1.1\r\nHost: t\r\n: x\r\n\r\n",
        ),
        ("no Host in HTTP/1.1", b"GET /a.txt HTTP/1.1\r\n\r\n"),
        (
            "two Hosts",
            b"GET /a.txt HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        ),
        (
            "bad escape",
            b"GET /a%zz.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        ),
        (
            "truncated escape",
            b"GET /a.txt%2 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        ),
        (
            "lone percent",
            b"GET /% HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        ),
        (
            "percent-00",
            b"GET /a.txt%00 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        ),
        (
            "percent-00 mid",
            b"GET /a%00.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        ),
        ("raw NUL", b"GET /a\0.txt HTTP/1.1\r\nHost: t\r\n\r\n"),
    ];
    for (what, raw) in cases {
        let r = ask(&server, raw);
        assert_error(&r, 400, what);
        assert_eq!(r.reason, "Bad Request", "{what}");
        assert!(!r.body.starts_with(b"A"), "{what}");
    }
    // A parse error closes the connection without waiting for the client.
    let mut s = server.connect();
    s.write_all(b"hello\r\n\r\n").unwrap();
    let r = read_response(&mut s, false);
    assert_eq!(r.status, 400);
    assert_eq!(r.header("Connection"), Some("close"));
    assert!(closed_by_peer(&mut s), "connection left open after a 400");
    assert_alive(&mut server, b"A");
}

/// A HEAD request refused at parse time (bad target, missing Host, bad header, HTTP/2.0) gets the error head without a body (RFC 9110 §9.3.2).
#[test]

fn head_error_has_no_body() {
    let dir = TempDir::new("head-err");
    dir.write("a.txt", "A");
    let server = Server::start(dir.path(), &[]);
    let cases: &[(&[u8], u16)] = &[
        (b"HEAD a.txt HTTP/1.1\r\nHost: t\r\n\r\n", 400),
        (b"HEAD ../sentinel HTTP/1.1\r\nHost: t\r\n\r\n", 400),
        (b"HEAD /a.txt HTTP/1.1\r\n\r\n", 400),
        (
            b"HEAD /a.txt HTTP/1.1\r\nHost: t\r\nBad Header: x\r\n\r\n",
            400,
        ),
        (b"HEAD /a.txt HTTP/2.0\r\nHost: t\r\n\r\n", 505),
        // Already right: refused after parsing.
        (b"HEAD /%zz HTTP/1.1\r\nHost: t\r\n\r\n", 400),
    ];
    for (raw, status) in cases {
        let got = exchange(&server, raw);
        let r = read_response(&mut Cursor::new(&got[..]), true);
        assert_eq!(r.status, *status, "{:?}", String::from_utf8_lossy(raw));
        assert!(
            got.ends_with(b"\r\n\r\n"),
            "HEAD {:?} got a body: {:?}",
            String::from_utf8_lossy(raw),
            String::from_utf8_lossy(&got)
        );
    }
}

/// A missing file is 404 with an HTML page, and `file/` is not a directory.
#[test]
fn missing_file_is_404() {
    let dir = TempDir::new("404");
    dir.write("a.txt", "A");
    let server = Server::start(dir.path(), &[]);
    for target in [
        "/nope.txt",
        "/nope/",
        "/a.txt/",
        "/a.txt/x",
        "/A.TXT",
        "/dir/deeper/nothing",
    ] {
        let r = fetch(&server, target);
        assert_error(&r, 404, target);
        assert_eq!(r.reason, "Not Found");
    }
}

/// A file the server may not read is 403, never its bytes (run as `nobody` when the tests are root).
#[test]
fn unreadable_file_is_403() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("perm");
    dir.write("a.txt", "A");
    let secret = dir.write("secret.txt", "TOP-SECRET-BYTES");
    dir.write("locked/inner.txt", "LOCKED-INNER-BYTES");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    std::fs::set_permissions(
        dir.path().join("locked"),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    let mut server = if !running_as_root() {
        Server::start(dir.path(), &[])
    } else if have("setpriv") {
        start_as_nobody(dir.path())
    } else {
        println!(
            "note: running as root without setpriv: root reads any file, so the 403 for an unreadable file is not checked"
        );
        return;
    };
    // `/locked` is still known to be a directory (its parent can be
    // searched), so it is redirected like any directory, as nginx does.
    let r = server.get("/locked", &[]);
    assert_eq!((r.status, r.header("Location")), (301, Some("/locked/")));
    for target in ["/secret.txt", "/locked/", "/locked/inner.txt"] {
        let raw = exchange(&server, &request("GET", target, &[]));
        let text = String::from_utf8_lossy(&raw);
        assert!(
            !text.contains("SECRET-BYTES") && !text.contains("LOCKED-INNER"),
            "{target} leaked: {text}"
        );
        let r = parse_one(&raw, false);
        assert_error(&r, 403, target);
        assert_eq!(r.reason, "Forbidden");
    }
    assert_alive(&mut server, b"A");
    std::fs::set_permissions(
        dir.path().join("locked"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
}

/// FIFOs and Unix sockets in the tree are refused with 403 at once; the server never blocks on them.
#[test]
fn fifo_and_socket_get_403_without_hanging() {
    let dir = TempDir::new("fifo");
    dir.write("a.txt", "A");
    let fifo = dir.path().join("pipe.txt");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        println!("note: mkfifo unavailable; FIFO case skipped");
    }
    let _sock = std::os::unix::net::UnixListener::bind(dir.path().join("sock.txt")).unwrap();
    let mut server = Server::start(dir.path(), &[]);
    // More requests than workers: a worker stuck on a FIFO would show.
    for round in 0..3 {
        for target in ["/pipe.txt", "/sock.txt"] {
            if target == "/pipe.txt" && !fifo.exists() {
                continue;
            }
            let r = fetch(&server, target);
            assert_error(&r, 403, &format!("{target} round {round}"));
            let head = ask(&server, &request("HEAD", target, &[]));
            assert_eq!(head.status, 403, "HEAD {target}");
        }
    }
    // The listing of a directory holding them still works.
    let r = fetch(&server, "/");
    assert_eq!(r.status, 200);
    assert!(r.text().contains("sock.txt"));
    assert_alive(&mut server, b"A");
}

/// A request head over 8 KiB is 431 (414 when the request line alone is too long), and the server survives.
#[test]
fn oversized_heads_get_431_and_414() {
    let dir = TempDir::new("big-head");
    dir.write("a.txt", "A");
    let mut server = Server::start(dir.path(), &[]);

    let mut many = b"GET /a.txt HTTP/1.1\r\nHost: t\r\n".to_vec();
    for i in 0..200 {
        many.extend_from_slice(format!("X-Pad-{i:03}: {}\r\n", "a".repeat(50)).as_bytes());
    }
    many.extend_from_slice(b"\r\n");
    let r = ask(&server, &many);
    assert_error(&r, 431, "many headers");
    assert_eq!(r.reason, "Request Header Fields Too Large");

    let one = format!(
        "GET /a.txt HTTP/1.1\r\nHost: t\r\nX-Big: {}\r\n\r\n",
        "b".repeat(9000)
    );
    let r = ask(&server, one.as_bytes());
    assert_error(&r, 431, "one huge header");

    let long_line = format!("GET /{} HTTP/1.1\r\nHost: t\r\n\r\n", "c".repeat(9000));
    let r = ask(&server, long_line.as_bytes());
    assert_error(&r, 414, "long request line");
    assert_eq!(r.reason, "URI Too Long");

    // Just under the limit is still served.
    let fits = format!(
        "GET /a.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\nX-Pad: {}\r\n\r\n",
        "d".repeat(7000)
    );
    let r = ask(&server, fits.as_bytes());
    assert_eq!(r.status, 200);
    assert_alive(&mut server, b"A");
}

/// Methods other than GET and HEAD get 501 with an Allow header naming them.
#[test]
fn other_methods_get_501_with_allow() {
    let dir = TempDir::new("methods");
    dir.write("a.txt", "A");
    let mut server = Server::start(dir.path(), &[]);
    for method in ["POST", "PUT", "DELETE", "BREW", "PATCH", "get"] {
        let r = ask(&server, &request(method, "/a.txt", &[]));
        assert_error(&r, 501, method);
        assert_eq!(r.reason, "Not Implemented");
        let allow = r
            .header("Allow")
            .unwrap_or_else(|| panic!("{method}: no Allow"));
        let methods: BTreeSet<&str> = allow.split(',').map(str::trim).collect();
        assert!(
            methods.contains("GET") && methods.contains("HEAD"),
            "{method}: Allow: {allow}"
        );
        assert!(!methods.contains(method), "{method}: Allow: {allow}");
    }
    // A POST with a body: still 501, and the body is not taken as a request.
    let r = ask(
        &server,
        b"POST /a.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello",
    );
    assert_eq!(r.status, 501);
    assert_alive(&mut server, b"A");
}

/// A request line naming HTTP/2.0 (or 3.0) gets 505.
#[test]
fn unsupported_version_gets_505() {
    let dir = TempDir::new("505");
    dir.write("a.txt", "A");
    let server = Server::start(dir.path(), &[]);
    for v in ["HTTP/2.0", "HTTP/3.0", "HTTP/9.9"] {
        let r = ask(
            &server,
            format!("GET /a.txt {v}\r\nHost: t\r\n\r\n").as_bytes(),
        );
        assert_error(&r, 505, v);
        assert_eq!(r.reason, "HTTP Version Not Supported");
    }
}

// ---------------------------------------------------------------------
// Targets and versions.
// ---------------------------------------------------------------------

/// Absolute-form targets, queries and fragments resolve to the plain file, as proxies and browsers send them.
#[test]
fn absolute_form_query_and_fragment() {
    let dir = TempDir::new("targets");
    dir.write("a.txt", "AAA");
    dir.write("sub dir/b.txt", "BBB");
    let server = Server::start(dir.path(), &[]);
    for (target, body) in [
        ("http://test/a.txt", "AAA"),
        ("http://127.0.0.1:1/a.txt", "AAA"),
        ("HTTP://TEST/a.txt", "AAA"),
        ("http://test/a.txt?x=1", "AAA"),
        ("http://test/sub%20dir/b.txt", "BBB"),
        ("/a.txt?x=1&y=../../etc/passwd", "AAA"),
        ("/a.txt?", "AAA"),
        ("/a.txt#frag", "AAA"),
        ("/a.txt?q=1#frag", "AAA"),
        ("/%61.txt", "AAA"),
        ("/sub%20dir/b.txt", "BBB"),
        ("/sub%20dir/./b.txt", "BBB"),
        ("/sub%20dir/../a.txt", "AAA"),
        ("//a.txt", "AAA"),
    ] {
        let r = fetch(&server, target);
        assert_eq!(r.status, 200, "{target}");
        assert_eq!(r.text(), body, "{target}");
        assert_eq!(
            r.header("Content-Type"),
            Some("text/plain; charset=utf-8"),
            "{target}"
        );
    }
    let r = fetch(&server, "http://test");
    assert_eq!(r.status, 200, "http://test names the root");
}

/// An HTTP/1.0 request is answered with an HTTP/1.1 status line and the connection is then closed.
#[test]
fn http10_answered_and_closed() {
    let dir = TempDir::new("http10");
    dir.write("a.txt", "hello 1.0");
    let server = Server::start(dir.path(), &[]);
    let mut s = server.connect();
    s.write_all(b"GET /a.txt HTTP/1.0\r\n\r\n").unwrap();
    // No half-close: the server must close on its own.
    let raw = read_to_close(&mut s);
    let text = String::from_utf8_lossy(&raw);
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    let r = parse_one(&raw, false);
    assert_eq!(r.body, b"hello 1.0");
    assert_eq!(r.header("Content-Length"), Some("9"));
    assert_ne!(r.header("Connection"), Some("keep-alive"));

    let mut s = server.connect();
    s.write_all(b"GET /nope HTTP/1.0\r\n\r\n").unwrap();
    let r = parse_one(&read_to_close(&mut s), false);
    assert_error(&r, 404, "HTTP/1.0 404");
}

// ---------------------------------------------------------------------
// Path safety.
// ---------------------------------------------------------------------

/// The served tree for the path-safety tests: `www/` is the root;
/// `sentinel` and `outside/sentinel` are beside it.
struct Jail {
    dir: TempDir,
    www: PathBuf,
    marker: String,
}

fn jail(tag: &str) -> Jail {
    let dir = TempDir::new(tag);
    let marker = format!("SENTINEL-{}-{tag}-7f3a9c", std::process::id());
    dir.write("sentinel", &marker);
    dir.write("outside/sentinel", &marker);
    dir.write("outside/sentinel.txt", &marker);
    dir.write("www/a.txt", "A");
    dir.write("www/sub/b.txt", "B");
    dir.write("www/sub/deeper/c.txt", "C");
    let www = dir.path().join("www");
    Jail { dir, www, marker }
}

/// Traversal attempts in every encoding never return the sentinel file outside the root: 400 or 404.
#[test]
fn traversal_never_escapes_the_root() {
    let j = jail("traversal");
    // One worker, so the second pass of the table meets a warm file
    // cache (issue 11): a cached path must never lead out either.
    let mut server = Server::start(&j.www, &["-w", "1"]);
    let paths = [
        "/../sentinel",
        "/../outside/sentinel",
        "/%2e%2e/sentinel",
        "/%2E%2e/sentinel",
        "/%2E%2e%2fsentinel",
        "/%2e%2e%2Foutside%2Fsentinel",
        "/..%2fsentinel",
        "/..%2Fsentinel",
        "/....//sentinel",
        "/./../sentinel",
        "/.%2e/sentinel",
        "/%2e./sentinel",
        "/sub/../../sentinel",
        "/sub/deeper/../../../sentinel",
        "/sub/..%2f..%2fsentinel",
        "/sub/%2e%2e/%2e%2e/outside/sentinel",
        "/%252e%252e/sentinel",
        "/%252e%252e%252fsentinel",
        "/..\\sentinel",
        "/..%5csentinel",
        "/%c0%ae%c0%ae/sentinel",
        "/..;/sentinel",
        "//../sentinel",
        "/../www/../sentinel",
        "/..",
        "/../",
        "/sub/../..",
    ];
    let mut targets: Vec<String> = Vec::new();
    for p in paths {
        targets.push(p.to_string());
        targets.push(format!("http://test{p}"));
        targets.push(format!("{p}?x=1"));
    }
    for raw_target in [
        "../sentinel",
        "..",
        "sentinel",
        "http:/../sentinel",
        "http://",
        "\\..\\sentinel",
    ] {
        targets.push(raw_target.to_string());
    }
    for target in targets.iter().chain(&targets) {
        for method in ["GET", "HEAD"] {
            let raw = exchange(
                &server,
                format!("{method} {target} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            );
            let text = String::from_utf8_lossy(&raw);
            assert!(
                !text.contains(&j.marker),
                "{method} {target} returned the sentinel:\n{text}"
            );
            // HEAD: only the head is judged here (a body after a 400 is
            // `head_error_has_no_body`'s business).
            let r = read_response(&mut Cursor::new(&raw[..]), method == "HEAD");
            assert!(
                r.status == 400 || r.status == 404,
                "{method} {target}: {} (want 400 or 404)",
                r.status
            );
        }
    }
    // `/..` style climbs are refused as such (400), like nginx.
    for target in [
        "/../sentinel",
        "/%2e%2e/sentinel",
        "/..%2fsentinel",
        "/sub/../../sentinel",
    ] {
        assert_error(&fetch(&server, target), 400, target);
    }
    assert!(!server.log().contains(&j.marker));
    assert_alive(&mut server, b"A");
}

/// Symlinks leading outside the root are 403 and never serve the outside content; links inside the root work.
#[test]
fn symlinks_outside_are_403_inside_are_served() {
    let j = jail("symlink");
    let outside = j.dir.path().join("outside");
    symlink("../sentinel", j.www.join("rel-out")).unwrap();
    symlink(j.dir.path().join("sentinel"), j.www.join("abs-out")).unwrap();
    symlink("../outside", j.www.join("dir-out")).unwrap();
    symlink(&outside, j.www.join("abs-dir-out")).unwrap();
    symlink("../../outside/sentinel.txt", j.www.join("sub/deep-out.txt")).unwrap();
    symlink("a.txt", j.www.join("link-in.txt")).unwrap();
    symlink("../a.txt", j.www.join("sub/up-in.txt")).unwrap();
    symlink("sub", j.www.join("dir-in")).unwrap();
    symlink(j.www.join("a.txt"), j.www.join("abs-in.txt")).unwrap();
    // One worker, with the files inside already cached: the table then
    // runs twice, the second time against a warm file cache.
    let mut server = Server::start(&j.www, &["-w", "1"]);
    for warm in ["/a.txt", "/sub/b.txt", "/sub/deeper/c.txt", "/sub/", "/"] {
        fetch(&server, warm);
    }
    if server.log().contains("openat2 is unavailable") {
        println!(
            "note: openat2 unavailable on this kernel; the server says symlinks may lead outside, so the symlink checks are skipped"
        );
        return;
    }
    for target in [
        "/rel-out",
        "/abs-out",
        "/dir-out/sentinel",
        "/dir-out/sentinel.txt",
        "/dir-out/",
        "/dir-out",
        "/abs-dir-out/sentinel",
        "/abs-dir-out/",
        "/sub/deep-out.txt",
        "/dir-in/deep-out.txt",
        "http://test/rel-out",
    ]
    .iter()
    .cycle()
    .take(22)
    {
        for method in ["GET", "HEAD"] {
            let raw = exchange(&server, &request(method, target, &[]));
            let text = String::from_utf8_lossy(&raw);
            assert!(
                !text.contains(&j.marker),
                "{method} {target} followed a symlink outside:\n{text}"
            );
            let r = parse_one(&raw, method == "HEAD");
            assert_eq!(r.status, 403, "{method} {target}");
            if method == "GET" {
                assert_error(&r, 403, target);
            }
        }
    }
    for (target, body) in [
        ("/link-in.txt", "A"),
        ("/sub/up-in.txt", "A"),
        ("/dir-in/b.txt", "B"),
        ("/dir-in/deeper/c.txt", "C"),
    ] {
        let r = fetch(&server, target);
        assert_eq!(r.status, 200, "{target}");
        assert_eq!(r.text(), body, "{target}");
    }
    // An absolute symlink is refused even when its target is inside
    // (RESOLVE_BENEATH), or served: never anything else.
    let r = fetch(&server, "/abs-in.txt");
    assert!(
        r.status == 403 || (r.status == 200 && r.body == b"A"),
        "/abs-in.txt: {}",
        r.status
    );
    let r = fetch(&server, "/dir-in/");
    assert_eq!(r.status, 200);
    assert!(r.text().contains("b.txt"));
    // Listings of directories holding the links do not leak either.
    for target in ["/", "/sub/"] {
        let r = fetch(&server, target);
        assert_eq!(r.status, 200, "{target}");
        assert!(!r.text().contains(&j.marker));
    }
    assert_alive(&mut server, b"A");
}

/// A 2,000-byte path is answered 404 and the server keeps serving.
#[test]
fn two_thousand_byte_path_is_404() {
    let dir = TempDir::new("longpath");
    dir.write("a.txt", "A");
    let mut server = Server::start(dir.path(), &[]);
    let segment = "x".repeat(99);
    let path: String = (0..20).map(|_| format!("/{segment}")).collect();
    assert_eq!(path.len(), 2000);
    let r = fetch(&server, &path);
    assert_error(&r, 404, "2000-byte path");
    let encoded: String = (0..20).map(|_| format!("/{}", "%78".repeat(33))).collect();
    assert_eq!(encoded.len(), 2000);
    let r = fetch(&server, &encoded);
    assert_error(&r, 404, "2000-byte encoded path");
    assert_alive(&mut server, b"A");
}

// ---------------------------------------------------------------------
// The access log.
// ---------------------------------------------------------------------

/// One python-format log line per request, with hostile bytes escaped so nobody can forge lines or drive the terminal.
#[test]
fn access_log_lines() {
    let dir = TempDir::new("log");
    dir.write("a.txt", "x".repeat(1234));
    let server = Server::start(dir.path(), &[]);
    let before = SystemTime::now();
    assert_eq!(fetch(&server, "/a.txt").status, 200);
    let nf = fetch(&server, "/nope.txt");
    assert_eq!(nf.status, 404);
    assert_eq!(ask(&server, &request("HEAD", "/a.txt", &[])).status, 200);
    let esc = ask(&server, b"GET /a\x1b[31mred HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(esc.status, 400, "a raw ESC in the target");
    let quote = ask(
        &server,
        b"GET /a\"b HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(quote.status, 404);
    // Workers write their lines after answering: wait for all five.
    let start = Instant::now();
    let count = |log: &str| {
        log.lines()
            .filter(|l| l.starts_with("127.0.0.1 - - ["))
            .count()
    };
    while count(&server.log()) < 5 && start.elapsed() < WAIT {
        std::thread::sleep(Duration::from_millis(20));
    }
    let log = server.log();
    let after = SystemTime::now();

    let stamps = stamps_between(before, after);
    let expect = |line: &str, status: u16, size: usize| {
        let found = log.lines().any(|l| {
            stamps
                .iter()
                .any(|s| l == format!("127.0.0.1 - - [{s}] \"{line}\" {status} {size}"))
        });
        assert!(found, "no log line for {line:?} {status} {size} in:\n{log}");
    };
    expect("GET /a.txt HTTP/1.1", 200, 1234);
    expect("GET /nope.txt HTTP/1.1", 404, nf.body.len());
    expect("HEAD /a.txt HTTP/1.1", 200, 1234);
    expect("GET /a\\x1b[31mred HTTP/1.1", 400, esc.body.len());
    expect("GET /a\\x22b HTTP/1.1", 404, quote.body.len());
    assert!(!log.contains('\x1b'), "a raw ESC reached the log");
    // Nothing more arrives later either.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(count(&server.log()), 5, "one line per request:\n{log}");
    assert!(log.ends_with('\n'));
}

// ---------------------------------------------------------------------
// Start-up and command line.
// ---------------------------------------------------------------------

/// Start-up failures print one clear line naming the cause and errno and exit 1.
#[test]
fn startup_errors_exit_1_with_one_line() {
    let r = run_httpd(&["0", "-b", "127.0.0.1", "-d", "/nonexistent"]);
    assert_eq!(r.code, Some(1), "stderr: {}", r.stderr);
    assert_eq!(
        r.stderr,
        "httpd: cannot serve '/nonexistent': no such file or directory (ENOENT)\n"
    );
    assert_eq!(r.stdout, "");

    let dir = TempDir::new("startup");
    let file = dir.write("file.txt", "x");
    let r = run_httpd(&["0", "-b", "127.0.0.1", "-d", file.to_str().unwrap()]);
    assert_eq!(r.code, Some(1), "stderr: {}", r.stderr);
    assert_eq!(
        r.stderr,
        format!(
            "httpd: cannot serve '{}': not a directory (ENOTDIR)\n",
            file.display()
        )
    );

    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let r = run_httpd(&[&port, "-b", "127.0.0.1", "-d", dir.path().to_str().unwrap()]);
    assert_eq!(r.code, Some(1), "stderr: {}", r.stderr);
    assert_eq!(
        r.stderr,
        format!("httpd: cannot bind 127.0.0.1:{port}: address already in use (EADDRINUSE)\n")
    );
    assert_eq!(r.stdout, "");
    drop(taken);
}

/// Bad arguments exit 2 with an `httpd: ...` message on stderr; --help and --version work like python's.
#[test]
fn command_line_errors_help_version() {
    for args in BAD_ARGS {
        let r = run_httpd(args);
        assert_eq!(r.code, Some(2), "{args:?}: {}", r.stderr);
        assert!(r.stderr.starts_with("httpd: "), "{args:?}: {}", r.stderr);
        assert_eq!(r.stdout, "", "{args:?}");
    }
    for flag in ["--help", "-h"] {
        let r = run_httpd(&[flag]);
        assert_eq!(r.code, Some(0), "{flag}");
        assert!(
            r.stdout.starts_with("usage: httpd [PORT]"),
            "{flag}: {}",
            r.stdout
        );
        for opt in [
            "-b, --bind ADDR",
            "-d, --directory DIR",
            "-h, --help",
            "-V, --version",
        ] {
            assert!(r.stdout.contains(opt), "{flag}: no {opt}");
        }
        assert_eq!(r.stderr, "");
    }
    for flag in ["--version", "-V"] {
        let r = run_httpd(&[flag]);
        assert_eq!(r.code, Some(0), "{flag}");
        assert_eq!(r.stdout, format!("httpd {VERSION}\n"));
        assert_eq!(VERSION, "0.1.0");
        assert_eq!(r.stderr, "");
    }
}

/// The banner is python's, with the real port, so users and scripts can find the server.
#[test]
fn banner_names_the_real_port() {
    let dir = TempDir::new("banner");
    dir.write("a.txt", "A");
    let mut server = Server::start(dir.path(), &[]);
    let p = server.port;
    assert_ne!(p, 0);
    assert_eq!(
        server.banner,
        format!("Serving HTTP on 127.0.0.1 port {p} (http://127.0.0.1:{p}/) ...\n")
    );
    assert_alive(&mut server, b"A");
}

/// Arguments `httpd` must refuse.
const BAD_ARGS: &[&[&str]] = &[
    &["--bogus"],
    &["80", "81"],
    &["-b"],
    &["-b", "localhost"],
    &["99999"],
    &["-d"],
    &["-x"],
];

/// Bad arguments also print the usage on stderr, so a user sees at once what the options are.
#[test]

fn bad_arguments_print_usage() {
    for args in BAD_ARGS {
        let r = run_httpd(args);
        assert_eq!(r.code, Some(2), "{args:?}");
        assert!(
            r.stderr.contains("usage: httpd [PORT]"),
            "{args:?}: stderr {:?}",
            r.stderr
        );
        assert!(
            r.stderr.contains("-d, --directory DIR"),
            "{args:?}: stderr {:?}",
            r.stderr
        );
    }
}

// ---------------------------------------------------------------------
// Real clients.
// ---------------------------------------------------------------------

/// `curl -s` downloads a file unchanged.
#[test]
fn curl_downloads_a_file() {
    if !have("curl") {
        println!("note: curl not found; skipped");
        return;
    }
    let dir = TempDir::new("curl");
    let bin = pseudo_random(100_000, 42);
    dir.write("a.txt", "hello curl\n");
    dir.write("with space.bin", &bin);
    let server = Server::start(dir.path(), &[]);
    let base = format!("http://127.0.0.1:{}", server.port);
    let get = |path: &str| {
        let url = format!("{base}{path}");
        run_ok(Command::new("curl").args(["-sS", "--max-time", "20", &url])).stdout
    };
    assert_eq!(get("/a.txt"), b"hello curl\n");
    assert!(get("/with%20space.bin") == bin, "binary download differs");
    let out = Command::new("curl")
        .args([
            "-sS",
            "--max-time",
            "20",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code} %{redirect_url}",
            &format!("{base}/"),
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "200 ");
}

/// `wget -r -np -nH` mirrors a tree (names with spaces included) identical to the source.
#[test]
fn wget_mirrors_the_tree() {
    if !have("wget") {
        println!("note: wget not found; skipped");
        return;
    }
    let dir = TempDir::new("wget-src");
    let src = dir.path().join("tree");
    dir.write("tree/a.txt", "A\n");
    dir.write("tree/with space.txt", "spaced\n");
    dir.write("tree/a&b.txt", "amp\n");
    dir.write("tree/sub/b.bin", pseudo_random(50_000, 7));
    dir.write("tree/sub/deeper dir/c.txt", "C\n");
    dir.write("tree/empty.txt", "");
    dir.write("outside.txt", "not part of the tree");
    let server = Server::start(dir.path(), &["-q"]);
    let dest = TempDir::new("wget-dest");
    run_ok(
        Command::new("wget")
            .args([
                "-q",
                "-r",
                "-np",
                "-nH",
                "--cut-dirs=1",
                "-e",
                "robots=off",
                "--tries=1",
                "--timeout=20",
                "-P",
            ])
            .arg(dest.path())
            .arg(format!("http://127.0.0.1:{}/tree/", server.port)),
    );
    let mut mirror = tree(dest.path());
    // wget saves each listing page as index.html; the source has none.
    let listings: Vec<PathBuf> = mirror
        .keys()
        .filter(|p| p.file_name().unwrap() == "index.html")
        .cloned()
        .collect();
    assert_eq!(listings.len(), 3, "one listing per directory: {listings:?}");
    for l in listings {
        mirror.remove(&l);
    }
    let source = tree(&src);
    assert_eq!(
        mirror.keys().collect::<Vec<_>>(),
        source.keys().collect::<Vec<_>>(),
        "mirrored file names differ"
    );
    for (path, bytes) in &source {
        assert!(&mirror[path] == bytes, "{} differs", path.display());
    }
}

/// A redirect to the slash-terminated directory never leaves the site:
/// `//evil.example/..%2fsub` must not become `Location: //evil.example/...`.
#[test]
fn directory_redirect_stays_on_site() {
    let dir = TempDir::new("redirect");
    dir.write("sub/a.txt", "a");
    dir.write("a b/x.txt", "x");
    let server = Server::start(dir.path(), &[]);
    for (path, want) in [
        ("//evil.example/..%2fsub", "/sub/"),
        ("/.//sub?x=1", "/sub/?x=1"),
        ("/a%20b", "/a%20b/"),
        ("/./sub/../a%20b", "/a%20b/"),
    ] {
        let raw = format!("GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        let r = server.request(raw.as_bytes());
        assert_eq!(r.status, 301, "{path}");
        assert_eq!(r.header("Location"), Some(want), "{path}");
    }
}

/// A directory that may be searched but not read (mode 711, common for
/// home directories) still has its index.html served, as nginx and Apache
/// do; only its listing is refused.
#[test]
fn search_only_directory_serves_its_index() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("search-only");
    dir.write("pub/index.html", "<p>public</p>");
    dir.write("pub/file.txt", "file");
    dir.write("bare/file.txt", "bare");
    for sub in ["pub", "bare"] {
        std::fs::set_permissions(dir.path().join(sub), std::fs::Permissions::from_mode(0o711))
            .unwrap();
    }
    let server = if !running_as_root() {
        Server::start(dir.path(), &[])
    } else if have("setpriv") {
        start_as_nobody(dir.path())
    } else {
        println!("note: running as root without setpriv: directory permissions cannot be checked");
        return;
    };
    let r = server.get("/pub/", &[]);
    assert_eq!((r.status, r.body.as_slice()), (200, &b"<p>public</p>"[..]));
    assert_eq!(server.get("/pub/file.txt", &[]).body, b"file");
    assert_eq!(server.get("/pub", &[]).status, 301);
    assert_eq!(server.get("/bare/", &[]).status, 403);
    assert_eq!(server.get("/bare/file.txt", &[]).body, b"bare");
}

/// Where openat2 is unavailable (here: a seccomp filter makes it fail with
/// ENOSYS, as gVisor does), the server says so once at start-up, still
/// serves ordinary paths, and follows no symlink at all.
#[test]
fn without_openat2_no_symlink_is_followed() {
    let dir = TempDir::new("no-openat2");
    dir.write("outside.txt", "OUTSIDE-BYTES");
    dir.write("www/sub/f.txt", "inside");
    std::os::unix::fs::symlink("../outside.txt", dir.path().join("www/out")).unwrap();
    std::os::unix::fs::symlink("sub/f.txt", dir.path().join("www/in")).unwrap();
    let mut command = Command::new(BIN);
    command
        .args(["0", "-b", "127.0.0.1", "-d"])
        .arg(dir.path().join("www"));
    answer_enosys(&mut command, &[libc::SYS_openat2]);
    let server = Server::spawn(command, "127.0.0.1");
    let log = server.wait_log("openat2 is unavailable");
    assert_eq!(log.matches("openat2 is unavailable").count(), 1, "{log}");
    assert_eq!(server.get("/sub/f.txt", &[]).body, b"inside");
    let out = server.get("/out", &[]);
    assert_eq!(out.status, 403);
    assert!(!out.text().contains("OUTSIDE-BYTES"));
    assert_eq!(server.get("/in", &[]).status, 403);
}
