//! Uploads (issue 9): `--upload`, `--upload-overwrite`, `--max-upload`.
//! `PUT /dir/name` (curl -T, raw, chunked, `Expect: 100-continue`), the
//! listing form's `multipart/form-data` POST (curl -F, raw bodies split at
//! every byte, headless Chromium), what is refused (sizes, names, places,
//! existing files), what an aborted upload leaves (nothing), and request
//! framing with and without uploads.
//!
//! Every test builds `T/root` (served, 755), `T/root/up` (777: the server
//! drops to `nobody` when started as root) and `T/outside` (777, never
//! served), and checks the whole of `T` on disk afterwards: exactly the
//! expected files, nothing else (no temporary file either).

mod common;
use common::*;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// `T/root` served, `T/root/up` writable by anyone, `T/outside` beside it.
struct Fx {
    tmp: TempDir,
    root: PathBuf,
    up: PathBuf,
    outside: PathBuf,
}

impl Fx {
    fn new(tag: &str) -> Fx {
        let tmp = TempDir::new(tag);
        chmod(tmp.path(), 0o755);
        let root = tmp.path().join("root");
        let up = root.join("up");
        let outside = tmp.path().join("outside");
        for d in [&root, &up, &outside] {
            std::fs::create_dir_all(d).unwrap();
        }
        chmod(&root, 0o755);
        chmod(&up, 0o777);
        chmod(&outside, 0o777);
        std::fs::write(root.join("hello.txt"), "hello\n").unwrap();
        chmod(&root.join("hello.txt"), 0o644);
        Fx {
            tmp,
            root,
            up,
            outside,
        }
    }

    fn start(&self, args: &[&str]) -> Server {
        Server::start(&self.root, args)
    }

    /// Everything under `T`: relative path → what it is (small files with
    /// their contents, big ones by size, links with their target).
    fn tree(&self) -> BTreeMap<String, String> {
        describe_tree(self.tmp.path())
    }

    /// Asserts `T` is `before` plus exactly `added` (path, contents).
    fn assert_tree(&self, before: &BTreeMap<String, String>, added: &[(&str, &[u8])]) {
        let mut want = before.clone();
        for (path, contents) in added {
            want.insert(path.to_string(), describe_file(contents));
        }
        assert_eq!(self.tree(), want, "tree on disk");
    }

    /// Asserts `T` stays exactly `before` for `secs` seconds (an aborted
    /// upload must never appear, not even late).
    fn assert_tree_stays(&self, before: &BTreeMap<String, String>, secs: u64) {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(secs) {
            assert_eq!(&self.tree(), before, "tree on disk changed");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn describe_file(contents: &[u8]) -> String {
    if contents.len() <= 4096 {
        format!("file {:?}", String::from_utf8_lossy(contents))
    } else {
        format!("file of {} bytes", contents.len())
    }
}

/// Everything under `base`: relative path → what it is.
fn describe_tree(base: &Path) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    walk_tree(base, &mut |rel, path, meta| {
        let rel = rel.to_string_lossy().into_owned();
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(path).unwrap();
            map.insert(rel, format!("link -> {}", target.display()));
        } else if meta.is_dir() {
            map.insert(rel, "dir".into());
        } else if meta.len() <= 4096 {
            map.insert(rel, describe_file(&std::fs::read(path).unwrap()));
        } else {
            map.insert(rel, format!("file of {} bytes", meta.len()));
        }
    });
    map
}

/// A request with `Content-Length` and `body` after the head.
fn with_body(method: &str, path: &str, headers: &[&str], body: &[u8]) -> Vec<u8> {
    let len = format!("Content-Length: {}", body.len());
    let mut all: Vec<&str> = headers.to_vec();
    all.push(&len);
    let mut raw = request(method, path, &all);
    raw.extend_from_slice(body);
    raw
}

fn put(server: &Server, path: &str, body: &[u8], headers: &[&str]) -> Response {
    exchange(server, &with_body("PUT", path, headers, body)).0
}

/// Sends `raw`, reads until the server closes: the first response and
/// every byte after its body.
fn exchange(server: &Server, raw: &[u8]) -> (Response, Vec<u8>) {
    let mut s = server.connect();
    s.write_all(raw).unwrap();
    read_all(&mut s, raw.starts_with(b"HEAD "))
}

/// Reads until EOF; the first response and the bytes after it.
fn read_all(s: &mut TcpStream, head_only: bool) -> (Response, Vec<u8>) {
    let mut all = Vec::new();
    match s.read_to_end(&mut all) {
        Ok(_) => {}
        // A reset after the answer arrived (the server closed with
        // unread input): what was read is still there.
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset && !all.is_empty() => {}
        Err(e) => panic!("read to EOF: {e}; got {:?}", String::from_utf8_lossy(&all)),
    }
    split_response(&all, head_only)
}

/// The first response in `all` and what follows it.
fn split_response(all: &[u8], head_only: bool) -> (Response, Vec<u8>) {
    let mut cursor = all;
    let resp = read_response(&mut cursor, head_only);
    (resp, cursor.to_vec())
}

/// Sends `pieces` as separate writes on one connection (no Nagle, a pause
/// between them), then reads to EOF.
fn send_in_pieces(server: &Server, pieces: &[&[u8]]) -> (Response, Vec<u8>) {
    let mut s = server.connect();
    s.set_nodelay(true).unwrap();
    for (i, p) in pieces.iter().enumerate() {
        if i > 0 {
            std::thread::sleep(Duration::from_millis(5));
        }
        s.write_all(p).unwrap();
    }
    read_all(&mut s, false)
}

const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// Percent-decodes a path.
fn decode(path: &str) -> Vec<u8> {
    let b = path.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() + 1 {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

/// Asserts a successful PUT's answer: `status`, `Location`, no body.
fn assert_put_ok(r: &Response, status: u16, location: &str) {
    assert_eq!(r.status, status, "{r:?}");
    assert_eq!(r.header("Location"), Some(location), "{r:?}");
    assert_eq!(r.header("Content-Length"), Some("0"), "{r:?}");
    assert!(r.body.is_empty(), "{r:?}");
}

/// Deterministic pseudo-random bytes (xorshift).
fn noise(len: usize, seed: u64) -> Vec<u8> {
    xorshift_bytes(len, seed | 1)
}

// ---- curl ----

fn have_curl() -> bool {
    let ok = have("curl");
    if !ok {
        println!("curl not installed; skipping");
    }
    ok
}

/// What curl got: the final response's status and head, and its stderr.
struct Curl {
    status: u16,
    head: String,
    all_heads: String,
}

impl Curl {
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    }
}

/// Runs `curl -sS -o /dev/null -D - ARGS` in `cwd`.
fn curl(args: &[&str], cwd: &Path) -> Curl {
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "600", "-o", "/dev/null", "-D", "-"])
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .output()
        .expect("run curl");
    let all_heads = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "curl failed: {stderr}; {all_heads}");
    let head = all_heads
        .split("\r\n\r\n")
        .filter(|b| !b.trim().is_empty())
        .last()
        .unwrap_or_else(|| panic!("no response from curl: {stderr}"))
        .to_string();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head:?}"));
    Curl {
        status,
        head,
        all_heads,
    }
}

/// `curl EXTRA -T FILE http://host/up/`, run in `FILE`'s directory;
/// asserts the answer is 201.
fn curl_put_201(server: &Server, file: &Path, extra: &[&str]) -> Curl {
    let target = url(server, "/up/");
    let mut args = extra.to_vec();
    args.extend(["-T", file.to_str().unwrap(), &target]);
    let c = curl(&args, file.parent().unwrap());
    assert_eq!(c.status, 201, "{}", c.all_heads);
    c
}

fn url(server: &Server, path: &str) -> String {
    format!("http://127.0.0.1:{}{path}", server.port)
}

/// `cmp A B` succeeds (the files are identical byte for byte).
fn assert_cmp(a: &Path, b: &Path) {
    let out = Command::new("cmp").arg(a).arg(b).output().expect("run cmp");
    assert!(
        out.status.success(),
        "cmp {} {}: {}{}",
        a.display(),
        b.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

// ---- multipart ----

const BOUNDARY: &str = "XyZzY-b0undary";

/// A `multipart/form-data` body: each part is (Content-Disposition
/// parameters after `form-data; `, data).
fn form_body(boundary: &str, parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (params, data) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        body.extend_from_slice(
            format!(
                "Content-Disposition: form-data; {params}\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    body
}

/// POSTs a form of one file part (`name="f"; filename="NAME"`) to `dir`.
fn post_file(server: &Server, dir: &str, name: &str, data: &[u8]) -> Response {
    let params = format!("name=\"f\"; filename=\"{name}\"");
    let body = form_body(BOUNDARY, &[(&params, data)]);
    exchange(server, &form_request(dir, BOUNDARY, &body)).0
}

fn form_request(path: &str, boundary: &str, body: &[u8]) -> Vec<u8> {
    let ct = format!("Content-Type: multipart/form-data; boundary={boundary}");
    with_body("POST", path, &[&ct], body)
}

// ---------------------------------------------------------------------------
// PUT with curl -T
// ---------------------------------------------------------------------------

/// `curl -T a.txt http://host/up/` creates `up/a.txt`: 201, `Location`,
/// `Content-Length: 0`, the access log line; nothing else on disk.
#[test]
fn curl_put_small_file() {
    if !have_curl() {
        return;
    }
    let fx = Fx::new("put-small");
    let src = TempDir::new("put-small-src");
    let file = src.write("a.txt", "small file\n");
    let server = fx.start(&["--upload"]);
    let before = fx.tree();
    let c = curl_put_201(&server, &file, &[]);
    assert_eq!(c.header("Location").as_deref(), Some("/up/a.txt"));
    assert_eq!(c.header("Content-Length").as_deref(), Some("0"));
    fx.assert_tree(&before, &[("root/up/a.txt", b"small file\n")]);
    let log = server.wait_log("\"PUT /up/a.txt HTTP/1.1\" 201 0");
    assert!(
        log.lines().any(|l| l.starts_with("127.0.0.1 - - [")
            && l.ends_with("] \"PUT /up/a.txt HTTP/1.1\" 201 0")),
        "{log}"
    );
    // And it is served back.
    let r = server.get("/up/a.txt", &[]);
    assert_eq!((r.status, r.body.as_slice()), (200, &b"small file\n"[..]));
}

/// An empty file is a file too.
#[test]
fn curl_put_empty_file() {
    if !have_curl() {
        return;
    }
    let fx = Fx::new("put-empty");
    let src = TempDir::new("put-empty-src");
    let file = src.write("empty.bin", "");
    let server = fx.start(&["--upload"]);
    let before = fx.tree();
    let c = curl_put_201(&server, &file, &[]);
    assert_eq!(c.header("Location").as_deref(), Some("/up/empty.bin"));
    fx.assert_tree(&before, &[("root/up/empty.bin", b"")]);
    // Raw, with an explicit zero length, on a name given in full.
    let r = put(&server, "/up/zero", b"", &[]);
    assert_put_ok(&r, 201, "/up/zero");
    fx.assert_tree(
        &before,
        &[("root/up/empty.bin", b""), ("root/up/zero", b"")],
    );
}

/// 64 MiB of noise (curl sends `Expect: 100-continue` past 1 MiB) arrive
/// byte for byte.
#[test]
fn curl_put_64_mib_byte_for_byte() {
    if !have_curl() {
        return;
    }
    let fx = Fx::new("put-64m");
    let src = TempDir::new("put-64m-src");
    let data = noise(64 << 20, 0x9e37_79b9_7f4a_7c15);
    let file = src.write("big.bin", &data);
    let server = fx.start(&["--upload"]);
    let before = fx.tree();
    let start = Instant::now();
    let c = curl_put_201(&server, &file, &[]);
    println!("64 MiB upload: {:?}", start.elapsed());
    assert!(
        c.all_heads.starts_with("HTTP/1.1 100 Continue\r\n"),
        "curl asked for 100-continue: {}",
        c.all_heads
    );
    assert_cmp(&file, &fx.up.join("big.bin"));
    assert_eq!(std::fs::read(fx.up.join("big.bin")).unwrap(), data);
    fx.assert_tree(&before, &[("root/up/big.bin", &data)]);
}

/// A 1 GiB sparse file (`truncate -s 1G`), exactly the default limit.
#[test]
fn curl_put_1_gib_sparse_file() {
    if !have_curl() {
        return;
    }
    let fx = Fx::new("put-1g");
    let src = TempDir::new("put-1g-src");
    let file = src.path().join("sparse.img");
    let ok = Command::new("truncate")
        .args(["-s", "1G"])
        .arg(&file)
        .status()
        .unwrap();
    assert!(ok.success());
    let server = fx.start(&["--upload"]);
    let start = Instant::now();
    curl_put_201(&server, &file, &[]);
    println!("1 GiB upload: {:?}", start.elapsed());
    let got = fx.up.join("sparse.img");
    assert_eq!(std::fs::metadata(&got).unwrap().len(), 1 << 30);
    assert_cmp(&file, &got);
    let names: Vec<_> = std::fs::read_dir(&fx.up)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["sparse.img"]);
}

/// The created name's `Location` is percent-encoded, the name on disk is
/// the decoded one.
#[test]
fn put_location_is_percent_encoded() {
    let fx = Fx::new("put-location");
    let server = fx.start(&["--upload"]);
    let before = fx.tree();
    let r = put(&server, "/up/a%20b%C3%BC%23.txt", b"x", &[]);
    assert_eq!(r.status, 201, "{r:?}");
    let loc = r.header("Location").unwrap();
    assert!(
        loc.is_ascii() && !loc.contains(' ') && !loc.contains('#'),
        "{loc}"
    );
    assert_eq!(decode(loc), "/up/a bü#.txt".as_bytes(), "{loc}");
    fx.assert_tree(&before, &[("root/up/a bü#.txt", b"x")]);
    // Into the root directory itself when it is writable.
    chmod(&fx.root, 0o777);
    let r = put(&server, "/top.txt", b"t", &[]);
    assert_put_ok(&r, 201, "/top.txt");
}

// ---------------------------------------------------------------------------
// Chunked bodies
// ---------------------------------------------------------------------------

#[test]
fn curl_put_chunked() {
    if !have_curl() {
        return;
    }
    let fx = Fx::new("put-chunked-curl");
    let src = TempDir::new("put-chunked-src");
    let data = noise(300_000, 7);
    let file = src.write("c.bin", &data);
    let server = fx.start(&["--upload"]);
    let before = fx.tree();
    let c = curl_put_201(&server, &file, &["-H", "Transfer-Encoding: chunked"]);
    assert_eq!(c.header("Location").as_deref(), Some("/up/c.bin"));
    assert_cmp(&file, &fx.up.join("c.bin"));
    fx.assert_tree(&before, &[("root/up/c.bin", &data)]);
}

/// Odd chunk sizes in both hex cases, chunk extensions, trailers; sent in
/// one write, and again one byte per write.
#[test]
fn raw_chunked_odd_sizes_extensions_trailers() {
    let fx = Fx::new("put-chunked-raw");
    let server = fx.start(&["--upload"]);
    let before = fx.tree();
    let big = noise(0x1fff, 3);
    let mut body = Vec::new();
    body.extend_from_slice(b"1;a=b\r\nX\r\n");
    body.extend_from_slice(b"3 ; ext=\"quoted;value\"\r\nabc\r\n");
    body.extend_from_slice(b"a\r\n0123456789\r\n");
    body.extend_from_slice(b"1FfF\r\n");
    body.extend_from_slice(&big);
    body.extend_from_slice(b"\r\n000;last\r\nTrailer-One: 1\r\nX-Sum: abc\r\n\r\n");
    let mut want = b"Xabc0123456789".to_vec();
    want.extend_from_slice(&big);
    let head = request("PUT", "/up/chunked.bin", &["Transfer-Encoding: chunked"]);
    let mut raw = head.clone();
    raw.extend_from_slice(&body);
    let (r, rest) = exchange(&server, &raw);
    assert_put_ok(&r, 201, "/up/chunked.bin");
    assert!(rest.is_empty(), "{:?}", String::from_utf8_lossy(&rest));
    fx.assert_tree(&before, &[("root/up/chunked.bin", &want)]);

    // A small body one byte per write.
    let mut small = Vec::new();
    small.extend_from_slice(b"2;x=y\r\nhe\r\nA\r\nllo, world\r\n0\r\nT: v\r\n\r\n");
    let head = request("PUT", "/up/bytes.txt", &["Transfer-Encoding: chunked"]);
    let mut pieces: Vec<&[u8]> = vec![&head];
    pieces.extend(small.chunks(1));
    let mut s = server.connect();
    s.set_nodelay(true).unwrap();
    for p in pieces {
        s.write_all(p).unwrap();
        std::thread::sleep(Duration::from_millis(2));
    }
    let (r, _) = read_all(&mut s, false);
    assert_put_ok(&r, 201, "/up/bytes.txt");
    fx.assert_tree(
        &before,
        &[
            ("root/up/chunked.bin", &want),
            ("root/up/bytes.txt", b"hello, world"),
        ],
    );
}

/// A malformed chunk size ends the upload with 400 and nothing linked.
#[test]
fn raw_chunked_malformed_is_400() {
    let fx = Fx::new("put-chunked-bad");
    let server = fx.start(&["--upload"]);
    let before = fx.tree();
    let mut raw = request("PUT", "/up/bad.txt", &["Transfer-Encoding: chunked"]);
    raw.extend_from_slice(b"3\r\nabc\r\nzz\r\nxx\r\n0\r\n\r\n");
    let (r, _) = exchange(&server, &raw);
    assert_eq!(r.status, 400, "{r:?}");
    fx.assert_tree_stays(&before, 1);
}

// ---------------------------------------------------------------------------
// Expect: 100-continue
// ---------------------------------------------------------------------------

/// Head first, `100 Continue` back, then the body, then `201`.
#[test]
fn expect_100_continue_raw() {
    let fx = Fx::new("expect");
    let server = fx.start(&["--upload"]);
    let before = fx.tree();
    let body = noise(200_000, 11);
    let mut s = server.connect();
    let head = request(
        "PUT",
        "/up/e.bin",
        &[
            "Expect: 100-continue",
            &format!("Content-Length: {}", body.len()),
        ],
    );
    s.write_all(&head).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&read_head(&mut s)),
        String::from_utf8_lossy(CONTINUE)
    );
    // Nothing is linked before the body is complete.
    assert_eq!(fx.tree(), before);
    s.write_all(&body).unwrap();
    let (r, rest) = read_all(&mut s, false);
    assert_put_ok(&r, 201, "/up/e.bin");
    assert!(rest.is_empty());
    fx.assert_tree(&before, &[("root/up/e.bin", &body)]);

    // Chunked with Expect, too.
    let mut s = server.connect();
    let head = request(
        "PUT",
        "/up/e2.txt",
        &["Expect: 100-continue", "Transfer-Encoding: chunked"],
    );
    s.write_all(&head).unwrap();
    assert_eq!(read_head(&mut s), CONTINUE);
    s.write_all(b"5\r\nabcde\r\n0\r\n\r\n").unwrap();
    let (r, _) = read_all(&mut s, false);
    assert_put_ok(&r, 201, "/up/e2.txt");
}

/// A refused upload answers the final status instead of `100`, before
/// any of the body is sent: 409 (existing), 413 (too big), 404 (no such
/// directory), 501 (uploads off).
#[test]
fn expect_100_refused_before_the_body() {
    let fx = Fx::new("expect-refused");
    fx_write(&fx.up.join("old.txt"), b"old");
    let server = fx.start(&["--upload", "--max-upload", "1K"]);
    let off = fx.start(&[]);
    let before = fx.tree();
    for (srv, path, len, status) in [
        (&server, "/up/old.txt", 10, 409),
        (&server, "/up/big.bin", 2048, 413),
        (&server, "/nowhere/x.txt", 10, 404),
        (&off, "/up/x.txt", 10, 501),
    ] {
        let mut s = srv.connect();
        let head = request(
            "PUT",
            path,
            &["Expect: 100-continue", &format!("Content-Length: {len}")],
        );
        s.write_all(&head).unwrap();
        // Without sending any body, the final answer comes.
        let r = read_response(&mut s, false);
        assert_eq!(r.status, status, "{path}: {r:?}");
        assert!(closed_by_peer(&mut s), "{path}: connection stays open");
    }
    fx.assert_tree_stays(&before, 1);
    assert_eq!(std::fs::read(fx.up.join("old.txt")).unwrap(), b"old");
}

fn fx_write(path: &Path, contents: &[u8]) {
    std::fs::write(path, contents).unwrap();
    chmod(path, 0o644);
}

// ---------------------------------------------------------------------------
// Keep-alive after an upload
// ---------------------------------------------------------------------------

/// PUT then GET pipelined in one write on a keep-alive connection: the
/// upload ends exactly at its length and the GET is answered.
#[test]
fn pipelined_request_after_upload() {
    let fx = Fx::new("pipeline");
    let server = fx.start(&["--upload"]);
    let before = fx.tree();
    for (name, chunked) in [("p1.txt", false), ("p2.txt", true)] {
        let mut raw = format!("PUT /up/{name} HTTP/1.1\r\nHost: t\r\n").into_bytes();
        if chunked {
            raw.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n4\r\npipe\r\n0\r\n\r\n");
        } else {
            raw.extend_from_slice(b"Content-Length: 4\r\n\r\npipe");
        }
        raw.extend_from_slice(
            format!("GET /up/{name} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").as_bytes(),
        );
        let mut s = server.connect();
        s.write_all(&raw).unwrap();
        let first = read_response(&mut s, false);
        assert_put_ok(&first, 201, &format!("/up/{name}"));
        let (second, rest) = read_all(&mut s, false);
        assert_eq!(second.status, 200, "{second:?}");
        assert_eq!(second.body, b"pipe");
        assert!(rest.is_empty());
    }
    // And a second upload on the same connection, written later.
    let mut s = server.connect();
    s.write_all(b"PUT /up/k1 HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nk1")
        .unwrap();
    assert_put_ok(&read_response(&mut s, false), 201, "/up/k1");
    s.write_all(&with_body("PUT", "/up/k2", &[], b"k2"))
        .unwrap();
    let (r, _) = read_all(&mut s, false);
    assert_put_ok(&r, 201, "/up/k2");
    fx.assert_tree(
        &before,
        &[
            ("root/up/p1.txt", b"pipe"),
            ("root/up/p2.txt", b"pipe"),
            ("root/up/k1", b"k1"),
            ("root/up/k2", b"k2"),
        ],
    );
}

// ---------------------------------------------------------------------------
// Forms (multipart/form-data POST to a directory)
// ---------------------------------------------------------------------------

/// curl -F with several files and odd names, plus a field without a file
/// name (ignored): `303 See Other` back to the directory.
#[test]
fn curl_form_several_files_odd_names() {
    if !have_curl() {
        return;
    }
    let fx = Fx::new("form-curl");
    let src = TempDir::new("form-curl-src");
    let names = ["plain.txt", "with space.txt", "ü.txt", "q\"uote.txt"];
    for (i, n) in names.iter().enumerate() {
        src.write(n, format!("contents {i}\n"));
    }
    let big = noise(3 << 20, 5);
    src.write("big.bin", &big);
    let server = fx.start(&["--upload"]);
    let before = fx.tree();
    let mut args: Vec<String> = Vec::new();
    for n in names.iter().chain(&["big.bin"]) {
        args.push("-F".into());
        args.push(format!("file=@{n}"));
    }
    args.extend(["-F".into(), "note=just a field".into()]);
    args.push(url(&server, "/up/"));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let c = curl(&args, src.path());
    assert_eq!(c.status, 303, "{}", c.all_heads);
    assert_eq!(c.header("Location").as_deref(), Some("/up/"));
    // curl (7.81+) follows the HTML standard and sends `"` in a file name
    // as `%22` (and CR, LF as %0D, %0A); the server cannot tell that from
    // a name that really contains `%22`, and keeps it as sent: the file
    // is named `q%22uote.txt`.
    fx.assert_tree(
        &before,
        &[
            ("root/up/plain.txt", b"contents 0\n"),
            ("root/up/with space.txt", b"contents 1\n"),
            ("root/up/ü.txt", b"contents 2\n"),
            ("root/up/q%22uote.txt", b"contents 3\n"),
            ("root/up/big.bin", &big),
        ],
    );
    server.wait_log("\"POST /up/ HTTP/1.1\" 303 0");
}

/// A backslash in a file name: browsers and curl send it as is inside the
/// quoted `filename="..."` (the HTML standard escapes only `"`, CR and
/// LF), so the file should be named with the backslash.
#[test]
fn curl_form_backslash_in_name() {
    if !have_curl() {
        return;
    }
    let fx = Fx::new("form-backslash");
    let src = TempDir::new("form-backslash-src");
    src.write("back\\slash.txt", "b\n");
    let server = fx.start(&["--upload"]);
    let before = fx.tree();
    let c = curl(
        &["-F", "file=@back\\slash.txt", &url(&server, "/up/")],
        src.path(),
    );
    let after_first = c.status;
    // A name ending in a backslash is sent as `filename="end\"`.
    src.write("end\\", "e\n");
    let c2 = curl(&["-F", "file=@end\\", &url(&server, "/up/")], src.path());
    assert_eq!(
        (after_first, c2.status),
        (303, 303),
        "{}\n{}",
        c.all_heads,
        c2.all_heads
    );
    fx.assert_tree(
        &before,
        &[
            ("root/up/back\\slash.txt", b"b\n"),
            ("root/up/end\\", b"e\n"),
        ],
    );
}

/// A hand-made form sent in two writes split at every byte of the body
/// (so at every position of each `\r\n--boundary` delimiter, and of the
/// part headers); the file data itself holds prefixes of the delimiter.
/// Every split gives the same file.
#[test]
fn form_split_at_every_byte() {
    let fx = Fx::new("form-split");
    let server = fx.start(&["--upload"]);
    let before = fx.tree();
    let data: &[u8] = b"a\r\n--XyZ\r\n-\r\r\n--XyZzY-b0undar\r\n\r\n--XyZzY";
    let body_for = |k: usize| {
        form_body(
            BOUNDARY,
            &[
                ("name=\"comment\"", b"a field\r\n--XyZzY-b0und"),
                (
                    &format!("name=\"file\"; filename=\"split-{k:03}.bin\""),
                    data,
                ),
            ],
        )
    };
    let len = body_for(0).len();
    let mut added: Vec<(String, &[u8])> = Vec::new();
    for k in 0..=len {
        let body = body_for(k);
        assert_eq!(body.len(), len);
        let raw = form_request("/up/", BOUNDARY, &body);
        let head_len = raw.len() - body.len();
        let (a, b) = raw.split_at(head_len + k);
        let (r, rest) = send_in_pieces(&server, &[a, b]);
        assert_eq!(r.status, 303, "split at {k}: {r:?}");
        assert_eq!(r.header("Location"), Some("/up/"), "split at {k}");
        assert!(rest.is_empty());
        added.push((format!("root/up/split-{k:03}.bin"), data));
    }
    let added: Vec<(&str, &[u8])> = added.iter().map(|(p, d)| (p.as_str(), *d)).collect();
    fx.assert_tree(&before, &added);
}

/// Parts without a file name are ignored, and so is a file input left
/// empty (`filename=""`); a form with nothing in it creates nothing.
#[test]
fn form_fields_and_empty_filenames_are_ignored() {
    let fx = Fx::new("form-empty");
    let server = fx.start(&["--upload"]);
    let before = fx.tree();
    let body = form_body(
        BOUNDARY,
        &[
            ("name=\"file\"; filename=\"\"", b""),
            ("name=\"text\"", b"not a file"),
            ("name=\"file\"; filename=\"real.txt\"", b"real"),
            ("name=\"other\"", b""),
        ],
    );
    let (r, _) = exchange(&server, &form_request("/up/", BOUNDARY, &body));
    assert_eq!(r.status, 303, "{r:?}");
    assert_eq!(r.header("Location"), Some("/up/"));
    fx.assert_tree(&before, &[("root/up/real.txt", b"real")]);

    // No file chosen at all: what a browser sends.
    let body = form_body(BOUNDARY, &[("name=\"file\"; filename=\"\"", b"")]);
    let (r, _) = exchange(&server, &form_request("/up", BOUNDARY, &body));
    assert_eq!(r.status, 303, "{r:?}");
    assert_eq!(r.header("Location"), Some("/up/"));
    fx.assert_tree(&before, &[("root/up/real.txt", b"real")]);

    // To the root: Location `/`.
    chmod(&fx.root, 0o777);
    let body = form_body(BOUNDARY, &[("name=\"file\"; filename=\"t.txt\"", b"t")]);
    let (r, _) = exchange(&server, &form_request("/", BOUNDARY, &body));
    assert_eq!(r.status, 303, "{r:?}");
    assert_eq!(r.header("Location"), Some("/"));
    fx.assert_tree(
        &before,
        &[("root/up/real.txt", b"real"), ("root/t.txt", b"t")],
    );
}

/// A POST that is not a form, or a form whose body ends early, or one
/// with a bad file name, is refused; a form to a missing directory is 404.
#[test]
fn bad_forms_are_refused() {
    let fx = Fx::new("form-bad");
    let server = fx.start(&["--upload"]);
    let before = fx.tree();
    // Not multipart.
    let raw = with_body(
        "POST",
        "/up/",
        &["Content-Type: application/x-www-form-urlencoded"],
        b"a=b",
    );
    assert_eq!(exchange(&server, &raw).0.status, 400);
    // No boundary.
    let raw = with_body("POST", "/up/", &["Content-Type: multipart/form-data"], b"x");
    assert_eq!(exchange(&server, &raw).0.status, 400);
    // Truncated: the body (its Content-Length all sent) ends before the
    // close delimiter is complete, anywhere from inside the file's data
    // to the delimiter's last `-`. (Cut after `--boundary--`, only the
    // optional CRLF is missing: that is a complete form.) A server with a
    // short timeout, so that a missing answer fails in seconds.
    let quick = fx.start(&["--upload", "--timeout", "5"]);
    let full = form_body(BOUNDARY, &[("name=\"f\"; filename=\"cut.txt\"", b"cut")]);
    let tail = format!("\r\n--{BOUNDARY}--\r\n").len();
    let mut wrong = Vec::new();
    let delimiter = 4 + BOUNDARY.len();
    // How much of the `\r\n--BOUNDARY--\r\n` tail is kept (-1: the
    // file's data is cut too).
    for kept in [-1, 0, 1, 2, 5, delimiter as isize, delimiter as isize + 1] {
        let end = (full.len() - tail).checked_add_signed(kept).unwrap();
        let body = &full[..end];
        let mut s = quick.connect();
        s.write_all(&form_request("/up/", BOUNDARY, body)).unwrap();
        let mut all = Vec::new();
        let _ = s.read_to_end(&mut all);
        let status = match all.is_empty() {
            true => "no answer, closed".to_string(),
            false => split_response(&all, false).0.status.to_string(),
        };
        if status != "400" {
            wrong.push(format!(
                "body ending {:?}: {status}",
                String::from_utf8_lossy(&body[body.len().saturating_sub(12)..])
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "truncated forms not answered 400: {wrong:#?}"
    );
    for cut in [0, 1, 2] {
        let body = &full[..full.len() - cut];
        let (r, _) = exchange(&quick, &form_request("/up/", BOUNDARY, body));
        assert_eq!(r.status, 303, "cut {cut}: {r:?}");
        std::fs::remove_file(fx.up.join("cut.txt")).unwrap();
    }
    // Names that are not names.
    for bad in ["..", ".", "a/b.txt", "%2e%2e"] {
        let r = post_file(&server, "/up/", bad, b"evil");
        if bad == "%2e%2e" {
            // A literal name `%2e%2e` (not decoded: see the `%22` note
            // above) is an ordinary name.
            assert_eq!(r.status, 303, "{bad}: {r:?}");
            std::fs::remove_file(fx.up.join("%2e%2e")).unwrap();
        } else {
            assert_eq!(r.status, 400, "{bad}: {r:?}");
        }
    }
    // A missing directory.
    let r = post_file(&server, "/nowhere/", "x.txt", b"x");
    assert_eq!(r.status, 404, "{r:?}");
    fx.assert_tree_stays(&before, 1);
}

// ---------------------------------------------------------------------------
// Sizes
// ---------------------------------------------------------------------------

/// `--max-upload 1K`: a `Content-Length` over it is 413 before any body
/// byte is read; exactly 1024 is fine.
#[test]
fn oversize_content_length_is_413() {
    let fx = Fx::new("oversize-cl");
    let server = fx.start(&["--upload", "--max-upload", "1K"]);
    let before = fx.tree();
    // The head alone is enough for the answer.
    let mut s = server.connect();
    s.write_all(&request("PUT", "/up/big.bin", &["Content-Length: 2048"]))
        .unwrap();
    let r = read_response(&mut s, false);
    assert_eq!(r.status, 413, "{r:?}");
    assert!(closed_by_peer(&mut s));
    // With the body sent too.
    let r = put(&server, "/up/big.bin", &[b'x'; 2048], &[]);
    assert_eq!(r.status, 413, "{r:?}");
    fx.assert_tree_stays(&before, 1);
    let r = put(&server, "/up/limit.bin", &[b'y'; 1024], &[]);
    assert_put_ok(&r, 201, "/up/limit.bin");
    fx.assert_tree(&before, &[("root/up/limit.bin", &[b'y'; 1024])]);
}

/// Chunked past the limit: 413 when the body passes it, nothing linked;
/// chunked exactly at the limit: 201.
#[test]
fn oversize_chunked_is_413() {
    let fx = Fx::new("oversize-chunked");
    let server = fx.start(&["--upload", "--max-upload", "1K"]);
    let before = fx.tree();
    let mut raw = request("PUT", "/up/big.bin", &["Transfer-Encoding: chunked"]);
    for _ in 0..5 {
        raw.extend_from_slice(b"100\r\n");
        raw.extend_from_slice(&[b'z'; 256]);
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"0\r\n\r\n");
    let (r, _) = exchange(&server, &raw);
    assert_eq!(r.status, 413, "{r:?}");
    fx.assert_tree_stays(&before, 1);

    // Past the limit, the rest never sent: 413 all the same.
    let mut s = server.connect();
    let mut raw = request("PUT", "/up/big2.bin", &["Transfer-Encoding: chunked"]);
    raw.extend_from_slice(b"800\r\n");
    raw.extend_from_slice(&[b'z'; 1100]);
    s.write_all(&raw).unwrap();
    let r = read_response(&mut s, false);
    assert_eq!(r.status, 413, "{r:?}");
    fx.assert_tree_stays(&before, 1);

    let mut raw = request("PUT", "/up/limit.bin", &["Transfer-Encoding: chunked"]);
    raw.extend_from_slice(b"400\r\n");
    raw.extend_from_slice(&[b'z'; 1024]);
    raw.extend_from_slice(b"\r\n0\r\n\r\n");
    let (r, _) = exchange(&server, &raw);
    assert_put_ok(&r, 201, "/up/limit.bin");
    fx.assert_tree(&before, &[("root/up/limit.bin", &[b'z'; 1024])]);
}

// ---------------------------------------------------------------------------
// Aborted uploads leave nothing
// ---------------------------------------------------------------------------

/// The client sends half of a 1 MiB body and closes: no file, no
/// temporary file; the server goes on serving.
#[test]
fn client_disconnect_mid_upload_leaves_nothing() {
    let fx = Fx::new("disconnect");
    let server = fx.start(&["--upload"]);
    let before = fx.tree();
    let body = noise(1 << 20, 13);
    for chunked in [false, true] {
        let mut s = server.connect();
        if chunked {
            let mut raw = request("PUT", "/up/half.bin", &["Transfer-Encoding: chunked"]);
            raw.extend_from_slice(b"100000\r\n");
            s.write_all(&raw).unwrap();
        } else {
            s.write_all(&request(
                "PUT",
                "/up/half.bin",
                &["Content-Length: 1048576"],
            ))
            .unwrap();
        }
        s.write_all(&body[..body.len() / 2]).unwrap();
        std::thread::sleep(Duration::from_millis(200));
        drop(s);
        fx.assert_tree_stays(&before, 2);
    }
    // A form whose file is cut off.
    let mut s = server.connect();
    let form = form_body(BOUNDARY, &[("name=\"f\"; filename=\"cut.bin\"", &body)]);
    let raw = form_request("/up/", BOUNDARY, &form);
    s.write_all(&raw[..raw.len() / 2]).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    drop(s);
    fx.assert_tree_stays(&before, 2);
    let r = server.get("/hello.txt", &[]);
    assert_eq!((r.status, r.body.as_slice()), (200, &b"hello\n"[..]));
}

/// `--timeout 2`: half a body then silence; the server closes the
/// connection and links nothing.
#[test]
fn timeout_mid_upload_leaves_nothing() {
    let fx = Fx::new("timeout");
    let server = fx.start(&["--upload", "--timeout", "2"]);
    let before = fx.tree();
    let body = noise(1 << 20, 17);
    let mut s = server.connect();
    s.write_all(&request(
        "PUT",
        "/up/slow.bin",
        &["Content-Length: 1048576"],
    ))
    .unwrap();
    s.write_all(&body[..body.len() / 2]).unwrap();
    let sent = Instant::now();
    // Read until the server closes (WAIT is far more than 2 s); whatever it
    // says, if anything, is not a success.
    let mut got = Vec::new();
    let closed = loop {
        let mut buf = [0u8; 4096];
        match s.read(&mut buf) {
            Ok(0) => break true,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break true,
            Err(_) => break false,
        }
    };
    println!("closed {:?} after the last byte", sent.elapsed());
    assert!(closed, "the server did not close the idle upload");
    let text = String::from_utf8_lossy(&got);
    assert!(got.is_empty() || !text.starts_with("HTTP/1.1 2"), "{text}");
    fx.assert_tree_stays(&before, 1);
}

// ---------------------------------------------------------------------------
// Existing files
// ---------------------------------------------------------------------------

/// Without `--upload-overwrite`, an existing name is 409 and the file is
/// untouched; a directory's name is 409 too.
#[test]
fn existing_file_is_409_without_overwrite() {
    let fx = Fx::new("exists");
    fx_write(&fx.up.join("old.txt"), b"old contents");
    std::fs::create_dir(fx.up.join("sub")).unwrap();
    let server = fx.start(&["--upload"]);
    let before = fx.tree();
    let ino = std::fs::metadata(fx.up.join("old.txt")).unwrap().ino();
    let r = put(&server, "/up/old.txt", b"new", &[]);
    assert_eq!(r.status, 409, "{r:?}");
    let r = put(&server, "/up/sub", b"new", &[]);
    assert_eq!(r.status, 409, "{r:?}");
    let r = post_file(&server, "/up/", "old.txt", b"new");
    assert_eq!(r.status, 409, "{r:?}");
    fx.assert_tree_stays(&before, 1);
    assert_eq!(std::fs::metadata(fx.up.join("old.txt")).unwrap().ino(), ino);
}

/// With `--upload-overwrite` the file is replaced (a new inode renamed
/// over it: a reader holding the old one still reads the old bytes) and
/// the answer is 204.
#[test]
fn overwrite_replaces_atomically_with_204() {
    let fx = Fx::new("overwrite");
    fx_write(&fx.up.join("old.txt"), b"old contents");
    let server = fx.start(&["--upload-overwrite"]);
    let before = fx.tree();
    let mut reader = std::fs::File::open(fx.up.join("old.txt")).unwrap();
    let ino = reader.metadata().unwrap().ino();
    let r = put(&server, "/up/old.txt", b"new contents", &[]);
    assert_eq!(r.status, 204, "{r:?}");
    fx.assert_tree(&before, &[("root/up/old.txt", b"new contents")]);
    assert_ne!(std::fs::metadata(fx.up.join("old.txt")).unwrap().ino(), ino);
    let mut old = Vec::new();
    reader.read_to_end(&mut old).unwrap();
    assert_eq!(old, b"old contents");
    // A form replaces too (303), and a new name is still 201.
    let r = post_file(&server, "/up/", "old.txt", b"form");
    assert_eq!(r.status, 303, "{r:?}");
    let r = put(&server, "/up/fresh.txt", b"fresh", &[]);
    assert_put_ok(&r, 201, "/up/fresh.txt");
    // A directory is never replaced.
    std::fs::create_dir(fx.up.join("sub")).unwrap();
    let r = put(&server, "/up/sub", b"x", &[]);
    assert_eq!(r.status, 409, "{r:?}");
    let mut want = before.clone();
    want.insert("root/up/sub".into(), "dir".into());
    fx.assert_tree(
        &want,
        &[
            ("root/up/old.txt", b"form"),
            ("root/up/fresh.txt", b"fresh"),
        ],
    );
}

/// Replacing a symlink replaces the link, never what it points to.
#[test]
fn overwrite_of_a_symlink_never_writes_through_it() {
    let fx = Fx::new("overwrite-link");
    fx_write(&fx.outside.join("target.txt"), b"outside");
    std::os::unix::fs::symlink(fx.outside.join("target.txt"), fx.up.join("link.txt")).unwrap();
    let plain = fx.start(&["--upload"]);
    let before = fx.tree();
    assert_eq!(put(&plain, "/up/link.txt", b"evil", &[]).status, 409);
    fx.assert_tree(&before, &[]);
    let server = fx.start(&["--upload-overwrite"]);
    let r = put(&server, "/up/link.txt", b"new", &[]);
    assert_eq!(r.status, 204, "{r:?}");
    fx.assert_tree(&before, &[("root/up/link.txt", b"new")]);
    assert_eq!(
        std::fs::read(fx.outside.join("target.txt")).unwrap(),
        b"outside"
    );
}

/// `If-None-Match: *` on an existing name is 412, with or without
/// `--upload-overwrite`; on a new name it creates.
#[test]
fn if_none_match_star_is_412() {
    let fx = Fx::new("inm");
    fx_write(&fx.up.join("old.txt"), b"old");
    let a = fx.start(&["--upload"]);
    let b = fx.start(&["--upload-overwrite"]);
    let before = fx.tree();
    for server in [&a, &b] {
        let r = put(server, "/up/old.txt", b"new", &["If-None-Match: *"]);
        assert_eq!(r.status, 412, "{r:?}");
        // Before the body, with Expect.
        let mut s = server.connect();
        s.write_all(&request(
            "PUT",
            "/up/old.txt",
            &[
                "If-None-Match: *",
                "Expect: 100-continue",
                "Content-Length: 3",
            ],
        ))
        .unwrap();
        assert_eq!(read_response(&mut s, false).status, 412);
    }
    fx.assert_tree_stays(&before, 1);
    let r = put(&b, "/up/new.txt", b"n", &["If-None-Match: *"]);
    assert_put_ok(&r, 201, "/up/new.txt");
    fx.assert_tree(&before, &[("root/up/new.txt", b"n")]);
}

// ---------------------------------------------------------------------------
// Where uploads may go
// ---------------------------------------------------------------------------

/// Names and paths that try to escape or are not names: refused, nothing
/// written anywhere under T.
#[test]
fn names_that_escape_are_refused() {
    let fx = Fx::new("escape");
    chmod(&fx.root, 0o777);
    let server = fx.start(&["--upload"]);
    let before = fx.tree();
    let cases: &[(&str, u16)] = &[
        ("/up/../../outside/x.txt", 400),
        ("/../outside/x.txt", 400),
        ("/up/%2e%2e/%2e%2e/outside/x.txt", 400),
        ("/up/..%2f..%2foutside%2fx.txt", 1),
        ("/up/.", 400),
        ("/up/..", 400),
        ("/up/", 400),
        ("/up/%2e", 400),
        ("/up/%2e%2e", 400),
        ("/up/a%2fb", 1),
        ("/up/a%2Fb", 1),
        ("/up/a%00b", 400),
        ("/up/%00", 400),
        ("/up/a%0ab", 400),
        ("/up/a%0d%0aX:y", 400),
        ("/up/a%01b", 400),
        ("/up/a%1fb", 400),
        ("/up/a%7fb", 400),
        ("/up/a%5c..%5c..%5cx", 0),
        ("/", 400),
        ("/hello.txt/x", 404),
        ("/nowhere/x.txt", 404),
    ];
    let mut wrong = Vec::new();
    for &(path, status) in cases {
        let raw = with_body("PUT", path, &[], b"escaped");
        let (r, _) = exchange(&server, &raw);
        let ok = match status {
            // A backslash is an ordinary byte of a name on Linux.
            0 => r.status == 201 || r.status == 400,
            // Decoded, `%2f` makes the path name a directory that does
            // not exist (or one beneath it): 404 (403) is as good as 400.
            1 => [400, 403, 404].contains(&r.status),
            s => r.status == s,
        };
        if !ok {
            wrong.push(format!("{path}: got {}, want {status}", r.status));
        }
        if r.status == 201 {
            std::fs::remove_file(fx.up.join("a\\..\\..\\x")).unwrap();
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    fx.assert_tree_stays(&before, 1);
    assert!(std::fs::read_dir(&fx.outside).unwrap().next().is_none());
}

/// A directory symlinked to outside the root: 403, nothing written
/// there; a symlink to a directory inside the root is followed.
#[test]
fn symlinked_dir_outside_the_root_is_403() {
    let fx = Fx::new("symlink");
    std::os::unix::fs::symlink(&fx.outside, fx.root.join("out")).unwrap();
    std::os::unix::fs::symlink("../outside", fx.root.join("out-rel")).unwrap();
    std::os::unix::fs::symlink("up", fx.root.join("in")).unwrap();
    let server = fx.start(&["--upload"]);
    let before = fx.tree();
    for path in ["/out/x.txt", "/out-rel/x.txt"] {
        let r = put(&server, path, b"evil", &[]);
        assert_eq!(r.status, 403, "{path}: {r:?}");
        let dir = &path[..path.len() - "x.txt".len()];
        let r = post_file(&server, dir, "y.txt", b"evil");
        assert_eq!(r.status, 403, "{dir}: {r:?}");
    }
    fx.assert_tree_stays(&before, 1);
    let r = put(&server, "/in/via-link.txt", b"ok", &[]);
    assert_eq!(r.status, 201, "{r:?}");
    fx.assert_tree(&before, &[("root/up/via-link.txt", b"ok")]);
}

/// A directory the server's user cannot write (555) is 403.
#[test]
fn read_only_dir_is_403() {
    let fx = Fx::new("readonly");
    let ro = fx.root.join("ro");
    std::fs::create_dir(&ro).unwrap();
    chmod(&ro, 0o555);
    let server = fx.start(&["--upload"]);
    let before = fx.tree();
    let r = put(&server, "/ro/x.txt", b"x", &[]);
    assert_eq!(r.status, 403, "{r:?}");
    let r = post_file(&server, "/ro/", "y.txt", b"y");
    assert_eq!(r.status, 403, "{r:?}");
    fx.assert_tree_stays(&before, 1);
    chmod(&ro, 0o755);
}

/// `--hide-dotfiles`: a dot name is 400 (PUT and form); without it, it
/// is an ordinary name.
#[test]
fn hide_dotfiles_refuses_dot_names() {
    let fx = Fx::new("dotfiles");
    chmod(&fx.root, 0o777);
    let hidden = fx.start(&["--upload", "--hide-dotfiles"]);
    let before = fx.tree();
    for path in ["/.env", "/up/.env", "/up/.htaccess"] {
        assert_eq!(put(&hidden, path, b"SECRET=1", &[]).status, 400, "{path}");
    }
    let r = post_file(&hidden, "/up/", ".env", b"SECRET=1");
    assert_eq!(r.status, 400, "{r:?}");
    // Nor into a dot-directory (`.ssh/authorized_keys` of a shared home).
    std::fs::create_dir_all(fx.root.join(".ssh")).unwrap();
    chmod(&fx.root.join(".ssh"), 0o777);
    let before = fx.tree();
    assert_eq!(
        put(&hidden, "/.ssh/authorized_keys", b"ssh-ed25519 x", &[]).status,
        400
    );
    let r = post_file(&hidden, "/.ssh/", "authorized_keys", b"ssh-ed25519 x");
    assert_eq!(r.status, 400, "{r:?}");
    fx.assert_tree_stays(&before, 1);
    let shown = fx.start(&["--upload"]);
    assert_put_ok(&put(&shown, "/up/.env", b"A=1", &[]), 201, "/up/.env");
    fx.assert_tree(&before, &[("root/up/.env", b"A=1")]);
}

/// Found in review: a resumed upload (`curl -C N -T`) sends the rest with
/// `Content-Range`; taking it as the whole file would replace the file
/// with its tail. RFC 9110 §14.5: 400.
#[test]
fn partial_put_is_refused() {
    let fx = Fx::new("content-range");
    let server = fx.start(&["--upload-overwrite"]);
    assert_put_ok(
        &put(&server, "/up/f.bin", b"0123456789", &[]),
        201,
        "/up/f.bin",
    );
    let before = fx.tree();
    let r = put(
        &server,
        "/up/f.bin",
        b"56789",
        &["Content-Range: bytes 5-9/10"],
    );
    assert_eq!(r.status, 400, "{r:?}");
    fx.assert_tree_stays(&before, 1);
}

/// `If-None-Match: *` alone means "only if new"; a tag list does not
/// stop an overwrite (found in review: any value did).
#[test]
fn only_a_star_if_none_match_refuses_an_overwrite() {
    let fx = Fx::new("inm-tag");
    let server = fx.start(&["--upload-overwrite"]);
    assert_put_ok(&put(&server, "/up/f.txt", b"one", &[]), 201, "/up/f.txt");
    let r = put(&server, "/up/f.txt", b"two", &["If-None-Match: \"abc\""]);
    assert_eq!(r.status, 204, "{r:?}");
    assert_eq!(std::fs::read(fx.up.join("f.txt")).unwrap(), b"two");
    let r = put(&server, "/up/f.txt", b"three", &["If-None-Match: *"]);
    assert_eq!(r.status, 412, "{r:?}");
}

/// A head that leaves the body too little of the 8 KiB input buffer (a
/// form's part head must fit beside it) is refused before the body, with
/// 431, not taken and then failed with 400 (found in review).
#[test]
fn a_head_too_large_for_a_body_is_431() {
    let fx = Fx::new("big-head");
    let server = fx.start(&["--upload"]);
    let cookie = format!("Cookie: c={}", "x".repeat(7000));
    let before = fx.tree();
    let r = put(&server, "/up/f.txt", b"data", &[&cookie]);
    assert_eq!(r.status, 431, "{r:?}");
    fx.assert_tree_stays(&before, 1);
    let cookie = format!("Cookie: c={}", "x".repeat(4000));
    assert_put_ok(
        &put(&server, "/up/f.txt", b"data", &[&cookie]),
        201,
        "/up/f.txt",
    );
}

/// Unmounts (lazily, if busy) on drop.
struct Mount(PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let ok = Command::new("umount")
            .arg(&self.0)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
}

/// A 1 MiB tmpfs inside the tree: a 2 MiB upload is 507 and leaves
/// nothing in it.
#[test]
fn disk_full_is_507() {
    let fx = Fx::new("diskfull");
    let full = fx.root.join("full");
    std::fs::create_dir(&full).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m,mode=0777", "tmpfs"])
        .arg(&full)
        .stderr(Stdio::piped())
        .output();
    match &mounted {
        Ok(o) if o.status.success() => {}
        Ok(o) => {
            println!(
                "mount tmpfs failed ({}); skipping",
                String::from_utf8_lossy(&o.stderr).trim()
            );
            return;
        }
        Err(e) => {
            println!("mount not available ({e}); skipping");
            return;
        }
    }
    // Declared before the server: dropped (unmounted) after it is killed.
    let _mount = Mount(full.clone());
    let server = fx.start(&["--upload"]);
    let body = noise(2 << 20, 19);
    for chunked in [false, true] {
        let mut s = server.connect();
        let head = if chunked {
            request("PUT", "/full/big.bin", &["Transfer-Encoding: chunked"])
        } else {
            request(
                "PUT",
                "/full/big.bin",
                &[&format!("Content-Length: {}", body.len())],
            )
        };
        // Writing and reading at once: the answer comes while the body is
        // still on its way, and the server then closes.
        let mut w = s.try_clone().unwrap();
        let body2 = body.clone();
        let writer = std::thread::spawn(move || {
            let _ = w.write_all(&head);
            if chunked {
                for c in body2.chunks(100_000) {
                    let _ = w.write_all(format!("{:x}\r\n", c.len()).as_bytes());
                    let _ = w.write_all(c);
                    let _ = w.write_all(b"\r\n");
                }
                let _ = w.write_all(b"0\r\n\r\n");
            } else {
                let _ = w.write_all(&body2);
            }
        });
        let r = read_response(&mut s, false);
        assert_eq!(r.status, 507, "chunked {chunked}: {r:?}");
        drop(s);
        writer.join().unwrap();
        let names: Vec<_> = std::fs::read_dir(&full)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(names.is_empty(), "{names:?}");
    }
    // `ls -a`: only . and .., and the space is free again.
    let ls = Command::new("ls").arg("-a").arg(&full).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&ls.stdout), ".\n..\n");
    let r = put(&server, "/full/small.txt", b"fits", &[]);
    assert_put_ok(&r, 201, "/full/small.txt");
    assert_eq!(std::fs::read(full.join("small.txt")).unwrap(), b"fits");
}

// ---------------------------------------------------------------------------
// Uploads off; the listing's form; Allow
// ---------------------------------------------------------------------------

/// Without `--upload`, PUT and POST are 501 with `Allow: GET, HEAD,
/// OPTIONS`, and nothing is written.
#[test]
fn uploads_are_off_by_default() {
    let fx = Fx::new("off");
    let server = fx.start(&[]);
    let before = fx.tree();
    let r = put(&server, "/up/x.txt", b"x", &[]);
    assert_eq!(r.status, 501, "{r:?}");
    assert_eq!(r.header("Allow"), Some("GET, HEAD, OPTIONS"));
    let r = post_file(&server, "/up/", "y.txt", b"y");
    assert_eq!(r.status, 501, "{r:?}");
    assert_eq!(r.header("Allow"), Some("GET, HEAD, OPTIONS"));
    let mut raw = request("PUT", "/up/c.txt", &["Transfer-Encoding: chunked"]);
    raw.extend_from_slice(b"1\r\nc\r\n0\r\n\r\n");
    assert_eq!(exchange(&server, &raw).0.status, 501);
    fx.assert_tree_stays(&before, 1);
    let (r, _) = exchange(&server, &request("OPTIONS", "/up/", &[]));
    assert_eq!(r.header("Allow"), Some("GET, HEAD, OPTIONS"));
}

/// `Allow` lists PUT and POST when uploads are on: on a 501 for another
/// method and on OPTIONS.
#[test]
fn allow_lists_put_and_post_with_upload() {
    let fx = Fx::new("allow");
    let server = fx.start(&["--upload"]);
    for method in ["DELETE", "PATCH"] {
        let (r, _) = exchange(&server, &request(method, "/up/x", &[]));
        assert_eq!(r.status, 501, "{r:?}");
        assert_eq!(r.header("Allow"), Some("GET, HEAD, OPTIONS, PUT, POST"));
    }
    let (r, _) = exchange(&server, &request("OPTIONS", "/up/", &[]));
    assert_eq!(r.header("Allow"), Some("GET, HEAD, OPTIONS, PUT, POST"));
}

/// The listing has the upload form with `--upload`, not without.
#[test]
fn listing_form_only_with_upload() {
    let fx = Fx::new("listing-form");
    let on = fx.start(&["--upload"]);
    let off = fx.start(&[]);
    let r = on.get("/up/", &[]);
    assert_eq!(r.status, 200);
    let html = r.text();
    assert!(
        html.contains("<form method=\"post\" enctype=\"multipart/form-data\">"),
        "{html}"
    );
    // The upload form (the listing has other forms, e.g. the tar one).
    let form = html
        .split("<form")
        .find(|f| f.contains("multipart/form-data"))
        .and_then(|f| f.split("</form>").next())
        .unwrap_or_else(|| panic!("no upload form: {html}"));
    let input = form
        .split("<input")
        .nth(1)
        .and_then(|s| s.split('>').next())
        .unwrap_or_else(|| panic!("no input: {form}"));
    assert!(input.contains("type=\"file\""), "{input}");
    assert!(input.contains("name=\"file\""), "{input}");
    assert!(input.contains(" multiple"), "{input}");
    assert_eq!(html.matches("multipart/form-data").count(), 1, "{html}");
    let r = off.get("/up/", &[]);
    assert_eq!(r.status, 200);
    let html = r.text();
    assert!(!html.contains("method=\"post\""), "{html}");
    assert!(!html.contains("multipart/form-data"), "{html}");
    assert!(!html.contains("type=\"file\""), "{html}");
}

// ---------------------------------------------------------------------------
// Framing (with and without --upload)
// ---------------------------------------------------------------------------

/// Both a server with uploads and one without, over the same fixture.
fn both(fx: &Fx) -> [Server; 2] {
    [fx.start(&["--upload"]), fx.start(&[])]
}

/// Sends each of `requests` (what, raw) to both servers of a fresh
/// fixture: every one is answered `status`, and nothing is written.
fn assert_both_answer(tag: &str, status: u16, requests: &[(String, Vec<u8>)]) {
    let fx = Fx::new(tag);
    let before = fx.tree();
    for server in both(&fx) {
        for (what, raw) in requests {
            let (r, _) = exchange(&server, raw);
            assert_eq!(r.status, status, "{what}: {r:?}");
        }
    }
    fx.assert_tree_stays(&before, 1);
}

/// `request(method, path, headers)` followed by `body`.
fn request_with(method: &str, path: &str, headers: &[&str], body: &[u8]) -> Vec<u8> {
    let mut raw = request(method, path, headers);
    raw.extend_from_slice(body);
    raw
}

#[test]
fn unknown_transfer_coding_is_501() {
    let mut requests = Vec::new();
    for method in ["PUT", "GET"] {
        for te in ["xchunked", "gzip, chunked"] {
            let te_line = format!("Transfer-Encoding: {te}");
            let raw = request_with(method, "/up/x.txt", &[&te_line], b"1\r\nx\r\n0\r\n\r\n");
            requests.push((format!("{method} {te}"), raw));
        }
    }
    assert_both_answer("te-unknown", 501, &requests);
}

#[test]
fn chunked_with_content_length_is_400() {
    let requests = ["PUT", "GET"].map(|method| {
        let headers = ["Transfer-Encoding: chunked", "Content-Length: 10"];
        let raw = request_with(method, "/up/x.txt", &headers, b"1\r\nx\r\n0\r\n\r\n");
        (method.to_string(), raw)
    });
    assert_both_answer("te-cl", 400, &requests);
}

#[test]
fn two_different_content_lengths_are_400() {
    let requests = [
        &["Content-Length: 3", "Content-Length: 4"][..],
        &["Content-Length: 3, 4"][..],
    ]
    .map(|cls| {
        (
            format!("{cls:?}"),
            request_with("PUT", "/up/x.txt", cls, b"abcd"),
        )
    });
    assert_both_answer("cl-twice", 400, &requests);
}

#[test]
fn http10_with_transfer_encoding_is_400() {
    let requests = ["PUT", "GET"].map(|method| {
        let raw = format!(
            "{method} /up/x.txt HTTP/1.0\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n"
        );
        (method.to_string(), raw.into_bytes())
    });
    assert_both_answer("http10-te", 400, &requests);
}

/// A GET with a body is answered and the connection closed; the body,
/// itself a valid request, is never answered as one.
#[test]
fn get_with_body_is_answered_once() {
    let fx = Fx::new("get-body");
    fx_write(&fx.root.join("b.txt"), b"must not be served");
    for server in both(&fx) {
        let inner: &[u8] = b"GET /b.txt HTTP/1.1\r\nHost: t\r\n\r\n";
        for framing in ["length", "chunked"] {
            let mut raw = match framing {
                "length" => format!(
                    "GET /hello.txt HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n",
                    inner.len()
                )
                .into_bytes(),
                _ => format!(
                    "GET /hello.txt HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n",
                    inner.len()
                )
                .into_bytes(),
            };
            raw.extend_from_slice(inner);
            if framing == "chunked" {
                raw.extend_from_slice(b"\r\n0\r\n\r\n");
            }
            // No Connection: close: only the server's closing ends this.
            let (r, rest) = exchange(&server, &raw);
            assert_eq!(r.status, 200, "{framing}: {r:?}");
            assert_eq!(r.body, b"hello\n");
            assert!(
                rest.is_empty(),
                "{framing}: a second response: {:?}",
                String::from_utf8_lossy(&rest)
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Headless Chromium: the listing page's own form
// ---------------------------------------------------------------------------

/// Chromium loads `form.html`, which frames the listing of `/up/`, puts
/// two files (made in script with `DataTransfer`, since headless Chromium
/// cannot pick files) into the listing form's file input and submits it;
/// the files arrive, and the frame follows the 303 back to the listing.
#[test]
fn chromium_submits_the_listing_form() {
    if !Path::new(CHROMIUM).exists() {
        println!("chromium not installed; skipping");
        return;
    }
    let fx = Fx::new("chromium-form");
    fx_write(
        &fx.root.join("form.html"),
        br#"<!doctype html><html><body><p id="state">loading</p>
<iframe id="f" src="/up/"></iframe>
<script>
var frame = document.getElementById('f');
var loads = 0;
frame.onload = function () {
  loads++;
  var doc = frame.contentDocument;
  if (loads === 1) {
    var form = doc.querySelector('form[enctype="multipart/form-data"]');
    var input = form.querySelector('input[type=file]');
    var dt = new DataTransfer();
    dt.items.add(new File(['from chromium\n'], 'chromium one.txt', {type: 'text/plain'}));
    dt.items.add(new File([new Uint8Array([0, 1, 2, 255])], 'b\u00fcnary.bin'));
    input.files = dt.files;
    document.getElementById('state').textContent = 'submitting ' + input.files.length;
    form.submit();
  } else {
    document.getElementById('state').textContent =
      'done ' + doc.location.pathname + ' ' + doc.body.innerText.replace(/\s+/g, ' ');
  }
};
</script></body></html>"#,
    );
    let server = fx.start(&["--upload"]);
    let before = fx.tree();
    let dom = chromium_dump_dom(
        &url(&server, "/form.html"),
        &["--virtual-time-budget=10000"],
    );
    let log = server.wait_log("\"POST /up/ HTTP/1.1\" 303 0");
    assert!(log.contains("\"POST /up/ HTTP/1.1\" 303 0"), "{log}\n{dom}");
    assert!(dom.contains("done /up/"), "{dom}");
    assert!(dom.contains("chromium one.txt"), "{dom}");
    fx.assert_tree(
        &before,
        &[
            ("root/up/chromium one.txt", b"from chromium\n"),
            ("root/up/bünary.bin", &[0, 1, 2, 255]),
        ],
    );
}
