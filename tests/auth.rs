//! Passwords (issue 9): `--auth-file` and `--auth`, HTTP Basic (RFC 7617)
//! against the real binary. Hashes made by the tools people use
//! (`htpasswd -nbB`, `openssl passwd -5/-6`, `mkpasswd`), real clients
//! (curl, Python's urllib, headless Chromium), the 401 that tells nothing,
//! the access log's user field, the failure limiter (429) and the cache of
//! verified credentials under a flood, start-up refusals, the warnings of
//! an exposed server, CORS preflights and uploads behind a password.
//!
//! Tests run as root; the server drops to `nobody`, so the served fixture
//! is world-readable, while the auth file may be root-only (read before
//! the drop). Tests that count failures use `--workers 1`: the cache and
//! the limiter are per worker.

mod common;
use common::*;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

const HELLO: &[u8] = b"hello, world\n";
/// The most bytes a response may have here (the largest is a few KiB).
const MAX_RESPONSE: usize = 16 << 20;
const CHALLENGE: &str = "Basic realm=\"httpd\", charset=\"UTF-8\"";

/// `Authorization: Basic base64(user:password)`.
fn basic(user: &str, password: &str) -> String {
    format!(
        "Authorization: Basic {}",
        STANDARD.encode(format!("{user}:{password}"))
    )
}

/// The served site: `exists.txt`, `sub/inner.txt`, `sub/deeper/x.txt`,
/// all world-readable.
fn site(tag: &str) -> TempDir {
    let dir = TempDir::new(tag);
    chmod(dir.path(), 0o755);
    for (rel, contents) in [
        ("exists.txt", HELLO),
        ("sub/inner.txt", b"inner\n".as_slice()),
        ("sub/deeper/x.txt", b"x\n".as_slice()),
    ] {
        let p = dir.write(rel, contents);
        chmod(&p, 0o644);
    }
    chmod(&dir.path().join("sub"), 0o755);
    chmod(&dir.path().join("sub/deeper"), 0o755);
    dir
}

/// Writes an auth file `users` (mode 0644) in a directory of its own
/// (never the served one); returns the directory (keep it alive) and path.
fn auth_file(tag: &str, text: &str) -> (TempDir, PathBuf) {
    let dir = TempDir::new(tag);
    let p = dir.write("users", text);
    chmod(&p, 0o644);
    (dir, p)
}

/// Runs `program args`; its trimmed stdout when it ran and succeeded.
fn tool(program: &str, args: &[&str], stdin: &str) -> Option<String> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .ok()?;
    let out = child.wait_with_output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// `htpasswd -nbB user password` (bcrypt, cost 5): the hash alone, or None
/// (with a note) without apache2-utils.
fn htpasswd_bcrypt(user: &str, password: &str) -> Option<String> {
    let Some(line) = tool("htpasswd", &["-nbB", user, password], "") else {
        eprintln!("NOTE: htpasswd (apache2-utils) not installed; skipping its bcrypt cases");
        return None;
    };
    let hash = line.split_once(':').unwrap().1.to_string();
    assert!(hash.starts_with("$2y$05$"), "{line}");
    Some(hash)
}

/// `openssl passwd FLAG [-salt SALT] password`.
fn openssl_passwd(flag: &str, salt: Option<&str>, password: &str) -> String {
    let mut args = vec!["passwd", flag];
    if let Some(s) = salt {
        args.extend(["-salt", s]);
    }
    args.push(password);
    let hash = tool("openssl", &args, "").expect("openssl passwd");
    assert!(hash.starts_with(&format!("${}$", &flag[1..])), "{hash}");
    hash
}

/// A SHA-512-crypt hash of the empty password. OpenSSL 3.0's `passwd -6 ''`
/// prints `<NULL>` instead of a hash, so `mkpasswd` (package whois) or
/// `htpasswd -nbB` stand in when it does.
fn empty_password_hash() -> Option<String> {
    if let Some(h) = tool("openssl", &["passwd", "-6", ""], "")
        && h.starts_with("$6$")
    {
        return Some(h);
    }
    eprintln!("NOTE: `openssl passwd -6 ''` gives no hash here; trying mkpasswd, htpasswd");
    if let Some(h) = tool("mkpasswd", &["-m", "sha-512", "-s"], "\n")
        && h.starts_with("$6$")
    {
        return Some(h);
    }
    htpasswd_bcrypt("e", "")
}

/// A connection to 127.0.0.1:`port` from the source address `src`
/// (any of 127.0.0.0/8), made with libc: std cannot bind before connect.
fn connect_from(src: [u8; 4], port: u16) -> TcpStream {
    use std::os::fd::FromRawFd;
    let addr = |ip: [u8; 4], port: u16| libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from_ne_bytes(ip),
        },
        sin_zero: [0; 8],
    };
    let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    // SAFETY: plain socket calls on a descriptor this function owns; the
    // addresses live across the calls.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        assert!(fd >= 0, "socket: {}", std::io::Error::last_os_error());
        let s = TcpStream::from_raw_fd(fd);
        let local = addr(src, 0);
        let rc = libc::bind(fd, &local as *const _ as *const libc::sockaddr, len);
        assert_eq!(rc, 0, "bind {src:?}: {}", std::io::Error::last_os_error());
        let remote = addr([127, 0, 0, 1], port);
        let rc = libc::connect(fd, &remote as *const _ as *const libc::sockaddr, len);
        assert_eq!(
            rc,
            0,
            "connect from {src:?}: {}",
            std::io::Error::last_os_error()
        );
        s.set_read_timeout(Some(WAIT)).unwrap();
        s.set_write_timeout(Some(WAIT)).unwrap();
        s
    }
}

/// Sends `raw` on a new connection to `host`:`port` and reads to EOF;
/// the first response and the bytes after it. Errors instead of panics
/// (the flood counts them).
fn try_exchange(host: &str, port: u16, raw: &[u8]) -> Result<(Response, Vec<u8>), String> {
    let mut s = connect_to(host, port).map_err(|e| format!("connect: {e}"))?;
    s.write_all(raw).map_err(|e| format!("write: {e}"))?;
    // Read to EOF, but at most MAX_RESPONSE bytes and 2 × WAIT: a server
    // that streams without end fails the test instead of filling memory.
    let mut all = Vec::new();
    let mut chunk = [0u8; 64 * 1024];
    let start = Instant::now();
    loop {
        match s.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => all.extend_from_slice(&chunk[..n]),
            // A reset after the answer arrived (the server closed with
            // unread input): what was read is still there.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset && !all.is_empty() => break,
            Err(e) => {
                return Err(format!(
                    "read: {e}; got {:?}",
                    String::from_utf8_lossy(&all[..all.len().min(2000)])
                ));
            }
        }
        if all.len() > MAX_RESPONSE || start.elapsed() > 2 * WAIT {
            return Err(format!(
                "no end after {} bytes in {:?}: {:?}",
                all.len(),
                start.elapsed(),
                String::from_utf8_lossy(&all[..all.len().min(2000)])
            ));
        }
    }
    // A head must be complete before `read_response` (which panics).
    if !all.windows(4).any(|w| w == b"\r\n\r\n") {
        return Err(format!(
            "no complete head in {:?}",
            String::from_utf8_lossy(&all)
        ));
    }
    let head_only = raw.starts_with(b"HEAD ");
    let mut cursor = &all[..];
    let resp = read_response(&mut cursor, head_only);
    Ok((resp, cursor.to_vec()))
}

fn exchange(server: &Server, raw: &[u8]) -> (Response, Vec<u8>) {
    try_exchange(&server.host, server.port, raw).unwrap_or_else(|e| panic!("{e}"))
}

/// `GET path` with `headers`; the response (everything after it must be
/// nothing: the connection is `close`).
fn get(server: &Server, path: &str, headers: &[&str]) -> Response {
    let (r, rest) = exchange(server, &request("GET", path, headers));
    assert!(rest.is_empty(), "bytes after the response: {rest:?}");
    r
}

/// Asserts `r` is the challenge: 401 with the exact `WWW-Authenticate`.
fn assert_challenge(r: &Response, what: &str) {
    assert_eq!(r.status, 401, "{what}: {r:?}");
    assert_eq!(r.reason, "Unauthorized", "{what}");
    assert_eq!(
        r.header("WWW-Authenticate"),
        Some(CHALLENGE),
        "{what}: {r:?}"
    );
}

/// Asserts that httpd refuses to start with `args` (exit 1, one stderr
/// line) and that the line contains every one of `needles`.
fn assert_refused(dir: &Path, args: &[&str], needles: &[&str]) -> String {
    let err = assert_start_refused(dir, args);
    for n in needles {
        assert!(err.contains(n), "{args:?}: {n:?} not in {err:?}");
    }
    err
}

/// Starts the server on `dir` with `args` and `--auth-file FILE`.
fn start_with_file(dir: &TempDir, file: &Path, args: &[&str]) -> Server {
    let mut all = args.to_vec();
    all.extend(["--auth-file", file.to_str().unwrap()]);
    Server::start(dir.path(), &all)
}

/// Waits until the access log has at least `n` request lines; the log.
fn wait_lines(server: &Server, n: usize) -> String {
    let start = Instant::now();
    loop {
        let log = server.log();
        let lines = log.lines().filter(|l| l.contains(" HTTP/1.")).count();
        if lines >= n || start.elapsed() > WAIT {
            return log;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The percentile `p` (0..=100) of sorted `v`.
fn percentile(v: &[Duration], p: usize) -> Duration {
    v[(v.len() * p / 100).min(v.len() - 1)]
}

// ---------------------------------------------------------------------------
// Hashes and credentials
// ---------------------------------------------------------------------------

/// One file, several users, each hash made by a real tool: bcrypt by
/// `htpasswd -nbB`, SHA-256-crypt by `openssl passwd -5 -salt`, SHA-512
/// by `openssl passwd -6` and `mkpasswd`, an empty password, a password
/// with colons, a UTF-8 user and password, a bcrypt of cost 12 (the
/// highest taken). Each logs in; wrong passwords and users do not.
#[test]
fn hashes_from_htpasswd_openssl_and_mkpasswd_are_accepted() {
    let dir = site("hashes");
    // (user, password, hash line)
    let mut users: Vec<(String, String, String)> = Vec::new();
    let mut add = |user: &str, password: &str, hash: String| {
        users.push((user.into(), password.into(), format!("{user}:{hash}")));
    };
    if let Some(h) = htpasswd_bcrypt("alice", "alice's password") {
        add("alice", "alice's password", h);
    }
    if let Some(h) = htpasswd_bcrypt("bea", "p:a:s:s") {
        add("bea", "p:a:s:s", h);
    }
    add("bob", "bob pw", openssl_passwd("-5", Some("S"), "bob pw"));
    add("bob2", "bob2 pw", openssl_passwd("-5", None, "bob2 pw"));
    add("carol", "carol pw", openssl_passwd("-6", None, "carol pw"));
    add(
        "carl",
        "c:o:l:o:n:s:",
        openssl_passwd("-6", None, "c:o:l:o:n:s:"),
    );
    add(
        "jürgen",
        "pässwörd ✓",
        openssl_passwd("-6", None, "pässwörd ✓"),
    );
    if let Some(h) = empty_password_hash() {
        add("empty", "", h);
    }
    if have("mkpasswd") {
        let h = tool("mkpasswd", &["-m", "sha-512", "-s"], "mk pw\n").unwrap();
        assert!(h.starts_with("$6$"), "{h}");
        add("mk", "mk pw", h);
        let h = tool("mkpasswd", &["-m", "sha-256", "-s"], "mk5 pw\n").unwrap();
        add("mk5", "mk5 pw", h);
    } else {
        eprintln!("NOTE: mkpasswd (package whois) not installed; skipping its hashes");
    }
    // htpasswd -nbB -C 12 max 'cost twelve', made once: 12 is the highest
    // cost the server takes.
    add(
        "max",
        "cost twelve",
        "$2y$12$MSay6wTMUzaT743kWRbq1uMVqkqHZB4fznsPJg9Hnh5.clsni4nH6".into(),
    );
    // htpasswd -nbB -C 4 low 'cost four': the lowest, and a `$2b$` and
    // `$2a$` spelling of the same hash (the three prefixes are the same
    // algorithm for passwords below 255 bytes).
    let low = "/Q0yYoxrAxQp2I3f8SRPjuOMcaUZiCWVQ1ycyaEzgt70fPF2cFOiO";
    add("low", "cost four", format!("$2y$04${low}"));
    add("low_b", "cost four", format!("$2b$04${low}"));
    add("low_a", "cost four", format!("$2a$04${low}"));

    let mut text = String::from("# made by htpasswd, openssl and mkpasswd\n\n");
    for (_, _, line) in &users {
        text.push_str(line);
        text.push('\n');
    }
    let (_etc, file) = auth_file("hashes-etc", &text);
    let server = start_with_file(&dir, &file, &["--workers", "1"]);
    for (user, password, line) in &users {
        let t = Instant::now();
        let r = get(&server, "/exists.txt", &[&basic(user, password)]);
        let first = t.elapsed();
        assert_eq!(r.status, 200, "{line}: {r:?}");
        assert_eq!(r.body, HELLO);
        let t = Instant::now();
        assert_eq!(
            get(&server, "/exists.txt", &[&basic(user, password)]).status,
            200
        );
        let cached = t.elapsed();
        let scheme: String = line.split(':').nth(1).unwrap().chars().take(7).collect();
        eprintln!("LOGIN: {user} ({scheme}): first {first:?}, cached {cached:?}");
    }
    // Wrong passwords and users (9 failures: under the limit of 10).
    let wrong: &[(&str, &str)] = &[
        ("alice", "alice's password "),
        ("bob", "Bob pw"),
        ("carol", ""),
        ("carl", "c"),
        ("carl", "c:o:l:o:n:s"),
        ("empty", " "),
        ("jurgen", "pässwörd ✓"),
        ("mallory", "bob pw"),
        ("", "carol pw"),
    ];
    for (user, password) in wrong {
        let r = get(&server, "/exists.txt", &[&basic(user, password)]);
        assert_challenge(&r, &format!("{user}:{password}"));
    }
    // Still no limit in the way: the right ones pass (cached or not).
    let r = get(&server, "/exists.txt", &[&basic("bob", "bob pw")]);
    assert_eq!(r.status, 200, "{r:?}");
}

/// Malformed or foreign `Authorization` values: 401, never 200, never
/// 400; the scheme is case-insensitive and one or more spaces follow it.
#[test]
fn malformed_authorization_headers() {
    let dir = site("malformed");
    let server = Server::start(dir.path(), &["--workers", "1", "--auth", "alice:secret"]);
    let good = STANDARD.encode("alice:secret");
    let cases: Vec<(String, u16)> = vec![
        ("Authorization: Basic".into(), 401),
        ("Authorization: Basic ".into(), 401),
        ("Authorization: Basic !!!".into(), 401),
        ("Authorization: Bearer x".into(), 401),
        (format!("Authorization: Bearer {good}"), 401),
        (format!("Authorization: Digest {good}"), 401),
        (format!("Authorization: {good}"), 401),
        (
            format!("Authorization: Basic {}", STANDARD.encode("alicesecret")),
            401,
        ),
        (
            format!("Authorization: Basic {}", STANDARD.encode("alice")),
            401,
        ),
        (format!("Authorization: Basic {good}"), 200),
        (format!("Authorization: basic {good}"), 200),
        (format!("Authorization: BASIC   {good}"), 200),
        (format!("Authorization: Basic {good}  "), 200),
        // A header of another name carries nothing.
        (format!("Proxy-Authorization: Basic {good}"), 401),
    ];
    for (header, status) in &cases {
        let r = get(&server, "/exists.txt", &[header]);
        assert_eq!(r.status, *status, "{header}: {r:?}");
        if *status == 401 {
            assert_challenge(&r, header);
        } else {
            assert_eq!(r.body, HELLO);
        }
    }
    // A token longer than any credentials the server takes.
    let long = STANDARD.encode(format!("alice:{}", "x".repeat(4000)));
    let r = get(
        &server,
        "/exists.txt",
        &[&format!("Authorization: Basic {long}")],
    );
    assert_challenge(&r, "4 KB token");
}

/// `--auth USER:PASSWORD` and `--auth-file` together: both users log in;
/// `--auth`'s password may hold colons or be empty; naming a user of the
/// file again is refused at start-up.
#[test]
fn auth_option_and_file_combined() {
    let dir = site("combined");
    let line = format!("filed:{}\n", openssl_passwd("-6", None, "from file"));
    let (_etc, file) = auth_file("combined-etc", &line);
    let f = file.to_str().unwrap();
    let server = Server::start(
        dir.path(),
        &["--workers", "1", "--auth-file", f, "--auth", "quick:a:b::c"],
    );
    for (user, password, status) in [
        ("filed", "from file", 200),
        ("quick", "a:b::c", 200),
        ("quick", "a", 401),
        ("quick", "a:b::c:", 401),
        ("filed", "a:b::c", 401),
    ] {
        let r = get(&server, "/", &[&basic(user, password)]);
        assert_eq!(r.status, status, "{user}:{password}: {r:?}");
    }
    drop(server);
    let empty = Server::start(dir.path(), &["--auth", "nobodyhome:"]);
    assert_eq!(get(&empty, "/", &[&basic("nobodyhome", "")]).status, 200);
    assert_challenge(&get(&empty, "/", &[&basic("nobodyhome", " ")]), "space");
    drop(empty);
    let err = assert_refused(
        dir.path(),
        &["--auth-file", f, "--auth", "filed:other"],
        &["--auth", "a user named twice"],
    );
    assert!(!err.contains("other"), "the password is printed: {err}");
}

// ---------------------------------------------------------------------------
// Every request, and the 401 that tells nothing
// ---------------------------------------------------------------------------

/// Files, listings (HTML and JSON), 404s, HEAD, tar downloads: all 401
/// without credentials, and with them their usual answers.
#[test]
fn every_kind_of_request_needs_the_password() {
    let dir = site("every");
    let server = Server::start(dir.path(), &["--auth", "alice:secret"]);
    let ok = basic("alice", "secret");
    let json = "Accept: application/json";
    let cases: &[(&str, &str, &[&str], u16)] = &[
        ("GET", "/exists.txt", &[], 200),
        ("GET", "/", &[], 200),
        ("GET", "/sub/", &[], 200),
        ("GET", "/sub", &[], 301),
        ("GET", "/sub/", &[json], 200),
        ("GET", "/missing.txt", &[], 404),
        ("GET", "/sub/?download=tar", &[], 200),
        ("GET", "/?download=tar", &[], 200),
        ("GET", "/exists.txt", &["Range: bytes=0-3"], 206),
        ("HEAD", "/exists.txt", &[], 200),
        ("HEAD", "/missing.txt", &[], 404),
        ("DELETE", "/exists.txt", &[], 501),
        ("PUT", "/new.txt", &["Content-Length: 0"], 501),
    ];
    for &(method, path, headers, status) in cases {
        let (r, rest) = exchange(&server, &request(method, path, headers));
        assert_challenge(&r, &format!("anonymous {method} {path}"));
        if method == "HEAD" {
            assert!(r.body.is_empty() && rest.is_empty(), "{path}: {rest:?}");
        }
        let mut with: Vec<&str> = headers.to_vec();
        with.push(&ok);
        let (r, _) = exchange(&server, &request(method, path, &with));
        assert_eq!(r.status, status, "{method} {path}: {r:?}");
    }
    let r = get(&server, "/sub/", &[json, &ok]);
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert!(v["entries"].to_string().contains("inner.txt"), "{v}");
    let r = get(&server, "/sub/?download=tar", &[&ok]);
    let mut names: Vec<String> = tar::Archive::new(&r.body[..])
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().display().to_string())
        .collect();
    names.sort();
    assert!(names.iter().any(|n| n.ends_with("inner.txt")), "{names:?}");
}

/// The 401 for an existing file, a missing one, a directory, a tar
/// download and a path outside the root are the same bytes but the Date,
/// without credentials and with wrong ones.
#[test]
fn the_401_is_identical_for_existing_and_missing_paths() {
    let dir = site("identical");
    let paths = [
        "/exists.txt",
        "/missing.txt",
        "/sub/",
        "/sub",
        "/nosuchdir/",
        "/sub/?download=tar",
        "/../etc/passwd",
        "/%2e%2e/etc/passwd",
    ];
    // A server per kind of credentials: 8 wrong attempts stay under the
    // limit of 10 failures.
    for creds in [
        None,
        Some(basic("alice", "wrong")),
        Some(basic("eve", "secret")),
    ] {
        let server = Server::start(dir.path(), &["--workers", "1", "--auth", "alice:secret"]);
        let headers: Vec<&str> = creds.iter().map(String::as_str).collect();
        let (first, first_rest) = exchange(&server, &request("GET", paths[0], &headers));
        assert_challenge(&first, paths[0]);
        for path in &paths[1..] {
            let (r, rest) = exchange(&server, &request("GET", path, &headers));
            assert_eq!(
                (
                    r.status,
                    &r.reason,
                    headers_without_date(&r),
                    &r.body,
                    &rest
                ),
                (
                    first.status,
                    &first.reason,
                    headers_without_date(&first),
                    &first.body,
                    &first_rest
                ),
                "{path} with {creds:?} differs from {}",
                paths[0]
            );
        }
        // HEAD too: the same head, no body.
        let (a, a_rest) = exchange(&server, &request("HEAD", "/exists.txt", &headers));
        let (b, b_rest) = exchange(&server, &request("HEAD", "/missing.txt", &headers));
        assert_challenge(&a, "HEAD");
        assert_eq!(headers_without_date(&a), headers_without_date(&b));
        assert!(a_rest.is_empty() && b_rest.is_empty());
    }
}

// ---------------------------------------------------------------------------
// The access log
// ---------------------------------------------------------------------------

/// The third field of a log line is the user; `-` for anonymous requests
/// and for wrong passwords; a UTF-8 user name escaped.
#[test]
fn log_line_names_the_user() {
    let dir = site("log");
    let jh = openssl_passwd("-6", None, "pw");
    let (_etc, file) = auth_file("log-etc", &format!("jürgen:{jh}\n"));
    let server = start_with_file(&dir, &file, &["--auth", "alice:secret"]);
    assert_eq!(
        get(&server, "/exists.txt", &[&basic("alice", "secret")]).status,
        200
    );
    let log = server.wait_log("\"GET /exists.txt HTTP/1.1\" 200");
    let line = log
        .lines()
        .find(|l| l.contains("\"GET /exists.txt HTTP/1.1\" 200"))
        .unwrap_or_else(|| panic!("no 200 line in {log}"));
    assert!(line.starts_with("127.0.0.1 - alice ["), "{line}");
    assert!(line.ends_with(&format!(" 200 {}", HELLO.len())), "{line}");

    assert_eq!(get(&server, "/anon", &[]).status, 401);
    let log = server.wait_log("\"GET /anon HTTP/1.1\" 401");
    let line = log.lines().find(|l| l.contains("GET /anon ")).unwrap();
    assert!(line.starts_with("127.0.0.1 - - ["), "{line}");

    assert_eq!(
        get(&server, "/wrong", &[&basic("alice", "nope")]).status,
        401
    );
    let log = server.wait_log("\"GET /wrong HTTP/1.1\" 401");
    let line = log.lines().find(|l| l.contains("GET /wrong ")).unwrap();
    assert!(
        line.starts_with("127.0.0.1 - - ["),
        "a wrong password logs a user: {line}"
    );

    assert_eq!(
        get(&server, "/missing", &[&basic("jürgen", "pw")]).status,
        404
    );
    let log = server.wait_log("\"GET /missing HTTP/1.1\" 404");
    let line = log.lines().find(|l| l.contains("GET /missing ")).unwrap();
    assert!(line.starts_with("127.0.0.1 - j\\xc3\\xbcrgen ["), "{line}");
    // No password, hash or token in the log.
    let log = server.log();
    for secret in ["secret", "nope", &STANDARD.encode("alice:secret"), "$6$"] {
        assert!(!log.contains(secret), "{secret:?} in the log: {log}");
    }
}

// ---------------------------------------------------------------------------
// Real clients
// ---------------------------------------------------------------------------

/// curl `-u user:pass` (preemptive Basic), `--anyauth` (asks first, then
/// answers the challenge), `--basic`, and wrong passwords.
#[test]
fn curl_logs_in() {
    if !have("curl") {
        eprintln!("NOTE: curl not installed; skipping");
        return;
    }
    let dir = site("curl");
    let bcrypt = htpasswd_bcrypt("hb", "hb pw")
        .map(|h| format!("hb:{h}\n"))
        .unwrap_or_default();
    let text = format!(
        "{bcrypt}jürgen:{}\n",
        openssl_passwd("-6", None, "pässwörd")
    );
    let (_etc, file) = auth_file("curl-etc", &text);
    let server = start_with_file(&dir, &file, &["--auth", "alice:se:cret"]);
    let base = format!("http://127.0.0.1:{}", server.port);
    let curl = |extra: &[&str], path: &str| -> (String, String) {
        let out = Command::new("curl")
            .args(["-sS", "--noproxy", "*", "--max-time", "30"])
            .args(["-o", "-", "-w", "\n%{http_code}"])
            .args(extra)
            .arg(format!("{base}{path}"))
            .output()
            .expect("curl");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, code) = text.rsplit_once('\n').unwrap();
        (code.to_string(), body.to_string())
    };
    let mut cases: Vec<(Vec<&str>, &str, &str)> = vec![
        (vec!["-u", "alice:se:cret"], "/exists.txt", "200"),
        (vec!["--basic", "-u", "alice:se:cret"], "/exists.txt", "200"),
        (
            vec!["--anyauth", "-u", "alice:se:cret"],
            "/exists.txt",
            "200",
        ),
        (vec!["-u", "jürgen:pässwörd"], "/exists.txt", "200"),
        (vec!["-u", "alice:se:cret"], "/missing.txt", "404"),
        (vec!["-u", "alice:wrong"], "/exists.txt", "401"),
        (vec!["--anyauth", "-u", "alice:wrong"], "/exists.txt", "401"),
        (vec![], "/exists.txt", "401"),
    ];
    if !bcrypt.is_empty() {
        cases.push((vec!["-u", "hb:hb pw"], "/exists.txt", "200"));
    }
    for (args, path, want) in &cases {
        let (code, body) = curl(args, path);
        assert_eq!(&code, want, "curl {args:?} {path}: {body}");
        if *want == "200" {
            assert_eq!(body.as_bytes(), HELLO, "{args:?}");
        }
    }
    // The listing, as curl sees it.
    let (code, body) = curl(&["-u", "alice:se:cret"], "/sub/");
    assert_eq!(code, "200");
    assert!(body.contains("inner.txt"), "{body}");
    // The same connection, reused by curl across two URLs: both logged in.
    let out = Command::new("curl")
        .args([
            "-sS",
            "--noproxy",
            "*",
            "--max-time",
            "30",
            "-u",
            "alice:se:cret",
        ])
        .args(["-o", "/dev/null", "-o", "/dev/null", "-w", "%{http_code} "])
        .arg(format!("{base}/exists.txt"))
        .arg(format!("{base}/sub/inner.txt"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "200 200 ");
}

/// Python's urllib with `HTTPBasicAuthHandler` and
/// `HTTPPasswordMgrWithDefaultRealm`: it sends nothing first, reads the
/// challenge's realm, and answers it.
#[test]
fn python_urllib_logs_in() {
    if !have("python3") {
        eprintln!("NOTE: python3 not installed; skipping");
        return;
    }
    let dir = site("python");
    let server = Server::start(dir.path(), &["--auth", "alice:py thon:pw"]);
    let base = format!("http://127.0.0.1:{}/", server.port);
    const SCRIPT: &str = r#"
import sys, urllib.request, urllib.error
base, user, pw, path = sys.argv[1:5]
mgr = urllib.request.HTTPPasswordMgrWithDefaultRealm()
mgr.add_password(None, base, user, pw)
opener = urllib.request.build_opener(
    urllib.request.ProxyHandler({}), urllib.request.HTTPBasicAuthHandler(mgr))
try:
    r = opener.open(base + path, timeout=30)
    sys.stdout.write("%d\n%s" % (r.status, r.read().decode()))
except urllib.error.HTTPError as e:
    sys.stdout.write("%d\n%s" % (e.code, e.headers.get("WWW-Authenticate")))
"#;
    for (user, pw, path, want, body) in [
        ("alice", "py thon:pw", "exists.txt", "200", "hello, world\n"),
        ("alice", "py thon:pw", "sub/", "200", "inner.txt"),
        ("alice", "py thon:pw", "nothing-here", "404", ""),
        ("alice", "wrong", "exists.txt", "401", CHALLENGE),
        ("bob", "py thon:pw", "exists.txt", "401", CHALLENGE),
    ] {
        let out = Command::new("python3")
            .args(["-c", SCRIPT, &base, user, pw, path])
            .env_remove("http_proxy")
            .env_remove("HTTP_PROXY")
            .output()
            .expect("python3");
        let text = String::from_utf8_lossy(&out.stdout);
        let (code, rest) = text.split_once('\n').unwrap_or_else(|| {
            panic!(
                "python: {text:?} {:?}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        assert_eq!(code, want, "{user}:{pw} {path}: {text}");
        assert!(rest.contains(body), "{user}:{pw} {path}: {text}");
    }
    // urllib asked without credentials first: an anonymous 401 is logged
    // before alice's 200.
    let log = server.wait_log("127.0.0.1 - alice [");
    let anon = log.find("\"GET /exists.txt HTTP/1.1\" 401").expect(&log);
    let alice = log.find("127.0.0.1 - alice [").unwrap();
    assert!(anon < alice, "{log}");
}

/// Headless Chromium with the credentials in the URL gets the listing;
/// without them, the 401 page.
#[test]
fn chromium_with_credentials_in_the_url() {
    if !Path::new(CHROMIUM).exists() {
        eprintln!("NOTE: chromium not installed; skipping");
        return;
    }
    let dir = site("chromium");
    let server = Server::start(dir.path(), &["--auth", "alice:s3cret-pw"]);
    let flags = ["--no-proxy-server"];
    let dom = chromium_dump_dom(
        &format!("http://alice:s3cret-pw@127.0.0.1:{}/", server.port),
        &flags,
    );
    assert!(dom.contains(">exists.txt</a>"), "{dom}");
    assert!(dom.contains(">sub/</a>"), "{dom}");
    server.wait_log("127.0.0.1 - alice [");
    let dom = chromium_dump_dom(&format!("http://127.0.0.1:{}/sub/", server.port), &flags);
    // Headless Chromium cannot ask for a password: it shows an empty page
    // (or the 401 body), never the listing.
    assert!(!dom.contains("inner.txt"), "{dom}");
    server.wait_log("\"GET /sub/ HTTP/1.1\" 401");
    let dom = chromium_dump_dom(
        &format!("http://alice:wrong@127.0.0.1:{}/sub/", server.port),
        &flags,
    );
    assert!(!dom.contains("inner.txt"), "{dom}");
}

// ---------------------------------------------------------------------------
// The failure limiter and the credentials cache
// ---------------------------------------------------------------------------

/// With one worker: 10 wrong attempts are 401s; the 11th attempt is 429
/// with `Retry-After` in 1..=60, even with the right password of a user
/// not seen before, and with a wrong one; credentials verified before the
/// flood keep working; no header at all is still 401.
#[test]
fn limited_after_ten_failures() {
    let dir = site("limit");
    let line = format!("bob:{}\n", openssl_passwd("-6", None, "bob pw"));
    let (_etc, file) = auth_file("limit-etc", &line);
    let server = start_with_file(&dir, &file, &["--workers", "1", "--auth", "alice:secret"]);
    // alice logs in before the guessing starts.
    assert_eq!(
        get(&server, "/exists.txt", &[&basic("alice", "secret")]).status,
        200
    );
    for i in 0..10 {
        let r = get(
            &server,
            "/exists.txt",
            &[&basic("alice", &format!("guess{i}"))],
        );
        assert_challenge(&r, &format!("guess {i}"));
    }
    let check_429 = |r: &Response, what: &str| {
        assert_eq!(r.status, 429, "{what}: {r:?}");
        assert_eq!(r.reason, "Too Many Requests", "{what}");
        let retry: u32 = r
            .header("Retry-After")
            .unwrap_or_else(|| panic!("{what}: no Retry-After in {r:?}"))
            .parse()
            .unwrap_or_else(|e| panic!("{what}: Retry-After {e}: {r:?}"));
        assert!((1..=60).contains(&retry), "{what}: Retry-After {retry}");
        assert!(!r.body.is_empty() || r.header("Content-Length") == Some("0"));
    };
    check_429(
        &get(&server, "/exists.txt", &[&basic("bob", "bob pw")]),
        "bob's right password, never used before",
    );
    check_429(
        &get(&server, "/exists.txt", &[&basic("alice", "guess10")]),
        "an 11th guess",
    );
    check_429(
        &get(&server, "/missing.txt", &[&basic("alice", "guess11")]),
        "an 11th guess at a missing path",
    );
    // alice, verified before: cached, served.
    for path in ["/exists.txt", "/sub/", "/missing.txt"] {
        let r = get(&server, path, &[&basic("alice", "secret")]);
        assert_eq!(
            r.status,
            if path == "/missing.txt" { 404 } else { 200 },
            "{path}: {r:?}"
        );
    }
    // No credentials: the challenge, not 429 (a browser's first request).
    assert_challenge(&get(&server, "/exists.txt", &[]), "no header while limited");
    // Still limited.
    check_429(
        &get(&server, "/exists.txt", &[&basic("bob", "bob pw")]),
        "bob again",
    );
    // 19 requests: wait for all their lines (the log is written in batches).
    let log = wait_lines(&server, 19);
    let line = log.lines().find(|l| l.contains("\" 429 ")).unwrap();
    assert!(line.starts_with("127.0.0.1 - - ["), "{line}");
    // alice is logged as alice throughout.
    assert!(
        log.lines().filter(|l| l.contains(" - alice [")).count() >= 4,
        "{log}"
    );
}

/// Requests without an Authorization header, or with another scheme,
/// are 401 and count no failure: after 30 of them, a first login works.
#[test]
fn anonymous_requests_are_not_failures() {
    let dir = site("anon");
    let server = Server::start(dir.path(), &["--workers", "1", "--auth", "alice:secret"]);
    for i in 0..15 {
        assert_challenge(&get(&server, "/exists.txt", &[]), &format!("anon {i}"));
        assert_challenge(
            &get(&server, "/exists.txt", &["Authorization: Bearer abc"]),
            &format!("bearer {i}"),
        );
    }
    let r = get(&server, "/exists.txt", &[&basic("alice", "secret")]);
    assert_eq!(r.status, 200, "{r:?}");
}

/// Keep-alive: a browser's connection goes on after a 401 and after a
/// 429; the credentials cached by the worker pass on a new connection.
#[test]
fn keep_alive_across_a_challenge() {
    let dir = site("keepalive");
    let server = Server::start(dir.path(), &["--workers", "1", "--auth", "alice:secret"]);
    let mut s = server.connect();
    let ask = |s: &mut TcpStream, headers: &[&str]| common::get_on(s, "/exists.txt", headers);
    assert_challenge(&ask(&mut s, &[]), "first, anonymous");
    let r = ask(&mut s, &[&basic("alice", "secret")]);
    assert_eq!((r.status, r.body.as_slice()), (200, HELLO), "{r:?}");
    let r = ask(&mut s, &[&basic("alice", "secret")]);
    assert_eq!(r.status, 200, "{r:?}");
}

/// Per client address: with `-b ::`, failures from 127.0.0.1 do not
/// limit ::1. Skipped when IPv6 loopback does not work here.
#[test]
fn limit_is_per_client_address_over_ipv6() {
    let dir = site("peraddr");
    let line = format!("bob:{}\n", openssl_passwd("-5", Some("peraddr"), "bob pw"));
    let (_etc, file) = auth_file("peraddr-etc", &line);
    let d = dir.path().to_str().unwrap();
    let f = file.to_str().unwrap();
    let server = Server::start_args(
        &["0", "-b", "::", "-d", d, "--workers", "1", "--auth-file", f],
        "127.0.0.1",
    );
    let v6 = match connect_to("::1", server.port) {
        Ok(_) => "::1",
        Err(e) => {
            eprintln!("NOTE: cannot reach [::1]:{} ({e}); skipping", server.port);
            return;
        }
    };
    let at = |host: &str, headers: &[&str]| {
        try_exchange(host, server.port, &request("GET", "/exists.txt", headers))
            .unwrap_or_else(|e| panic!("{host}: {e}"))
            .0
    };
    for i in 0..10 {
        assert_challenge(
            &at("127.0.0.1", &[&basic("bob", "wrong")]),
            &format!("v4 {i}"),
        );
    }
    let r = at("127.0.0.1", &[&basic("bob", "bob pw")]);
    assert_eq!(r.status, 429, "127.0.0.1 after 10 failures: {r:?}");
    // ::1 is another client: its first right password passes, and a wrong
    // one is a 401, not a 429.
    let r = at(v6, &[&basic("bob", "bob pw")]);
    assert_eq!(r.status, 200, "::1 while 127.0.0.1 is limited: {r:?}");
    assert_challenge(&at(v6, &[&basic("bob", "wrong")]), "::1 wrong");
    // bob's credentials are now verified (the worker's cache): they pass
    // from 127.0.0.1 too, while its wrong guesses stay limited.
    assert_eq!(at("127.0.0.1", &[&basic("bob", "bob pw")]).status, 200);
    assert_eq!(at("127.0.0.1", &[&basic("bob", "wrong")]).status, 429);
    let log = server.wait_log("::1 - bob [");
    assert!(log.contains("::1 - bob ["), "{log}");
}

/// What a flood measured.
struct Flood {
    statuses: std::collections::BTreeMap<String, usize>,
    time: Duration,
    /// The logged-in client's latencies, sorted.
    latencies: Vec<Duration>,
    /// The logged-in client's requests that were not a 200 with the file.
    failures: Vec<String>,
}

/// Sends `total` wrong-password requests (new connection each) for
/// `user` from `threads` threads while a client with `good` credentials
/// (verified once first) fetches `path` (whose contents are `body`) in a
/// loop until the flood ends (and at least 20 times).
fn flood(
    server: &Server,
    user: &str,
    good: &str,
    path: &str,
    body: &[u8],
    total: usize,
    threads: usize,
) -> Flood {
    let (host, port) = (server.host.clone(), server.port);
    let r = get(server, path, &[good]);
    assert_eq!((r.status, r.body.as_slice()), (200, body), "{r:?}");
    let done = Arc::new(AtomicBool::new(false));
    let statuses = Arc::new(Mutex::new(
        std::collections::BTreeMap::<String, usize>::new(),
    ));
    let next = Arc::new(AtomicUsize::new(0));
    let watcher = {
        let (done, host, good, body, path) = (
            done.clone(),
            host.clone(),
            good.to_string(),
            body.to_vec(),
            path.to_string(),
        );
        std::thread::spawn(move || {
            let mut latencies = Vec::new();
            let mut failures = Vec::new();
            while !done.load(Ordering::SeqCst) || latencies.len() < 20 {
                let t = Instant::now();
                match try_exchange(&host, port, &request("GET", &path, &[&good])) {
                    Ok((r, _)) if r.status == 200 && r.body == body => {}
                    Ok((r, _)) => failures.push(format!(
                        "#{}: {} {:?}",
                        latencies.len(),
                        r.status,
                        r.headers
                    )),
                    Err(e) => failures.push(format!("#{}: {e}", latencies.len())),
                }
                latencies.push(t.elapsed());
            }
            (latencies, failures)
        })
    };
    let start = Instant::now();
    let flooders: Vec<_> = (0..threads)
        .map(|t| {
            let (statuses, next, host, user, path) = (
                statuses.clone(),
                next.clone(),
                host.clone(),
                user.to_string(),
                path.to_string(),
            );
            std::thread::spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= total {
                        break;
                    }
                    let bad = basic(&user, &format!("guess-{t}-{i}"));
                    let key = match try_exchange(&host, port, &request("GET", &path, &[&bad])) {
                        Ok((r, _)) => {
                            if r.status == 429 {
                                let retry: u32 =
                                    r.header("Retry-After").unwrap_or("0").parse().unwrap_or(0);
                                assert!((1..=60).contains(&retry), "{r:?}");
                            }
                            r.status.to_string()
                        }
                        Err(e) => format!("error: {e}"),
                    };
                    *statuses.lock().unwrap().entry(key).or_default() += 1;
                }
            })
        })
        .collect();
    for f in flooders {
        f.join().unwrap();
    }
    let time = start.elapsed();
    done.store(true, Ordering::SeqCst);
    let (mut latencies, failures) = watcher.join().unwrap();
    latencies.sort();
    let statuses = statuses.lock().unwrap().clone();
    Flood {
        statuses,
        time,
        latencies,
        failures,
    }
}

/// Prints a flood's numbers and asserts what does not depend on timing:
/// every request of the logged-in client was a 200; the guesses were 401
/// (the first 10 of a window) or 429.
fn check_flood(label: &str, f: &Flood, total: usize, threads: usize) {
    eprintln!(
        "FLOOD {label}: {total} wrong-password requests from {threads} threads in {:?} \
         ({:.0} req/s); statuses {:?}",
        f.time,
        total as f64 / f.time.as_secs_f64(),
        f.statuses
    );
    eprintln!(
        "FLOOD {label}: logged-in client: {} requests, p50 {:?}, p99 {:?}, max {:?}",
        f.latencies.len(),
        percentile(&f.latencies, 50),
        percentile(&f.latencies, 99),
        f.latencies.last().unwrap()
    );
    assert!(
        f.failures.is_empty(),
        "{label}: the logged-in client was refused: {:?}",
        f.failures
    );
    assert_eq!(f.statuses.values().sum::<usize>(), total);
    let n401 = f.statuses.get("401").copied().unwrap_or(0);
    let n429 = f.statuses.get("429").copied().unwrap_or(0);
    assert_eq!(
        n401 + n429,
        total,
        "{label}: other answers: {:?}",
        f.statuses
    );
    assert!(n401 >= 10, "{label}: {:?}", f.statuses);
    if f.time < Duration::from_secs(55) {
        assert_eq!(
            n401, 10,
            "{label}: more than 10 hashed guesses in a window: {:?}",
            f.statuses
        );
    }
}

/// 2,000 wrong-password requests from 8 threads against one worker, while
/// a client verified once before keeps fetching a 64 KiB file: every one
/// of its requests is a 200. Latencies are printed, not asserted.
#[test]
fn flood_of_guesses_does_not_lock_out_a_logged_in_client() {
    let dir = site("flood");
    let big = vec![b'z'; 64 * 1024];
    let p = dir.write("big.bin", &big);
    chmod(&p, 0o644);
    let server = Server::start(
        dir.path(),
        &["--workers", "1", "--auth", "alice:the right one"],
    );
    let good = basic("alice", "the right one");
    let f = flood(&server, "alice", &good, "/big.bin", &big, 2000, 8);
    check_flood("($5$ --auth)", &f, 2000, 8);
}

/// The same against a bcrypt hash of cost 12 (the highest taken): each
/// of the first 10 guesses costs the only worker a cost-12 hash, so the
/// logged-in client waits behind them (measured, not asserted); after
/// that, 429s cost nothing.
#[test]
fn flood_against_a_cost_12_hash() {
    let dir = site("flood12");
    // htpasswd -nbB -C 12 max 'cost twelve'
    let (_etc, file) = auth_file(
        "flood12-etc",
        "max:$2y$12$MSay6wTMUzaT743kWRbq1uMVqkqHZB4fznsPJg9Hnh5.clsni4nH6\n",
    );
    let server = start_with_file(&dir, &file, &["--workers", "1"]);
    let good = basic("max", "cost twelve");
    let f = flood(&server, "max", &good, "/exists.txt", HELLO, 2000, 8);
    check_flood("(bcrypt cost 12)", &f, 2000, 8);
}

/// Many client addresses: the whole of 127.0.0.0/8 is loopback, so a
/// socket bound to 127.0.0.N before connecting is another client. Ten
/// failures from 127.0.0.2 limit 127.0.0.2 alone.
#[test]
fn limit_is_per_client_address_over_ipv4() {
    let dir = site("peraddr4");
    let line = format!("bob:{}\n", openssl_passwd("-6", None, "bob pw"));
    let (_etc, file) = auth_file("peraddr4-etc", &line);
    let server = start_with_file(&dir, &file, &["--workers", "1", "--auth", "alice:secret"]);
    let from = |src: [u8; 4], headers: &[&str]| -> Response {
        let mut s = connect_from(src, server.port);
        s.write_all(&request("GET", "/exists.txt", headers))
            .unwrap();
        read_response(&mut s, false)
    };
    for i in 0..10 {
        assert_challenge(
            &from([127, 0, 0, 2], &[&basic("alice", "wrong")]),
            &format!("127.0.0.2 guess {i}"),
        );
    }
    assert_eq!(from([127, 0, 0, 2], &[&basic("bob", "bob pw")]).status, 429);
    assert_eq!(
        from([127, 0, 0, 2], &[&basic("alice", "wrong")]).status,
        429
    );
    // 127.0.0.3 and 127.0.0.1 are other clients.
    assert_challenge(
        &from([127, 0, 0, 3], &[&basic("alice", "wrong")]),
        "127.0.0.3 wrong",
    );
    assert_eq!(from([127, 0, 0, 3], &[&basic("bob", "bob pw")]).status, 200);
    assert_eq!(
        get(&server, "/exists.txt", &[&basic("alice", "secret")]).status,
        200
    );
    // 127.0.0.2 is still limited for credentials not verified yet.
    assert_eq!(
        from([127, 0, 0, 2], &[&basic("alice", "wrong again")]).status,
        429
    );
    let log = wait_lines(&server, 16);
    assert!(log.contains("127.0.0.3 - bob ["), "{log}");
    assert!(log.contains("127.0.0.2 - - ["), "{log}");
}

// ---------------------------------------------------------------------------
// Start-up
// ---------------------------------------------------------------------------

/// Refused auth files: exit 1, one line naming the file, the line and
/// what to do; nothing served.
#[test]
fn bad_auth_files_are_refused_at_start_up() {
    let dir = site("refusals");
    let good = format!("good:{}", openssl_passwd("-5", Some("refuse"), "pw"));
    let hash = "$5$refuse$".to_string() + good.rsplit('$').next().unwrap();
    let cases: Vec<(String, usize, Vec<&str>)> = vec![
        (
            format!("{good}\nalice:secret\n"),
            2,
            vec!["plain-text", "htpasswd -nB", "openssl passwd -6"],
        ),
        (format!("# users\n\n{good}\nalice\n"), 4, vec!["no `:`"]),
        (format!("{good}\n:{hash}\n"), 2, vec!["empty user"]),
        (format!("{good}\n{good}\n"), 2, vec!["named twice"]),
        (
            format!("{good}\nx:$apr1$4.K3VuWX$yshA3qEBO9EXY7s6AVYIe.\n"),
            2,
            vec!["weak", "htpasswd -nB", "openssl passwd -6"],
        ),
        (
            format!("{good}\nx:{{SHA}}lcsL/Sl3x2EpjZYk5LTUxyo5l0o=\n"),
            2,
            vec!["weak"],
        ),
        (
            format!("{good}\nx:$1$ab$e2KlfqG5YBMTjSz7XF.Eu1\n"),
            2,
            vec!["weak"],
        ),
        (
            format!(
                "{good}\n# htpasswd -nbB -C 13 x y\nx:$2y$13$ATSKDkmo0vFJeWPfjtS6kOpX8ULeIVwQE0hP0WjMouOQGTZNoXGty\n"
            ),
            3,
            vec!["cost", "htpasswd"],
        ),
        (format!("{good}\nx:$2y$05$short\n"), 2, vec!["bcrypt"]),
        (format!("{good}\nrealm:x:{hash}\n"), 2, vec![]),
        (format!("{good}\r\nalice:secret\r\n"), 2, vec!["plain-text"]),
    ];
    for (text, line, needles) in &cases {
        let (_etc, file) = auth_file("refusal-etc", text);
        let f = file.to_str().unwrap();
        let mut want = vec![f];
        let at = format!("line {line}:");
        want.push(&at);
        want.extend(needles.iter());
        let err = assert_refused(dir.path(), &["--auth-file", f], &want);
        assert!(!err.contains("secret"), "the password is printed: {err}");
    }
    // No users at all, a missing file.
    let (_etc, file) = auth_file("refusal-etc", "# nobody\n\n");
    assert_refused(
        dir.path(),
        &["--auth-file", file.to_str().unwrap()],
        &["no users"],
    );
    assert_refused(
        dir.path(),
        &["--auth-file", "/nonexistent/users"],
        &["/nonexistent/users"],
    );
}

/// An auth file only root may read (0600, root-owned, in a 0700
/// directory) works: it is read before the server drops to nobody.
#[test]
fn root_only_auth_file_works() {
    let dir = site("rootonly");
    let line = format!("alice:{}\n", openssl_passwd("-6", None, "root only"));
    let (etc, file) = auth_file("rootonly-etc", &line);
    chmod(&file, 0o600);
    chmod(etc.path(), 0o700);
    let meta = std::fs::metadata(&file).unwrap();
    if meta.uid() != 0 {
        eprintln!("NOTE: not running as root; the file is ours, not root's");
    }
    assert_eq!(meta.mode() & 0o777, 0o600);
    let server = start_with_file(&dir, &file, &[]);
    if meta.uid() == 0 {
        let said = server.wait_stdout("nobody");
        assert!(said.contains("nobody"), "{said}");
    }
    let r = get(&server, "/exists.txt", &[&basic("alice", "root only")]);
    assert_eq!((r.status, r.body.as_slice()), (200, HELLO), "{r:?}");
    assert_challenge(
        &get(&server, "/exists.txt", &[&basic("alice", "root")]),
        "wrong",
    );
}

/// The warnings of an exposed server: `--auth` on plain HTTP away from
/// loopback (naming the TLS options), `--upload` without `--auth`; none
/// on loopback or with HTTPS.
#[test]
fn start_up_warnings() {
    let dir = site("warnings");
    let d = dir.path().to_str().unwrap();
    const CLEAR: &str = "passwords travel in clear text";
    const OPEN: &str = "--upload without --auth";
    // (bind, extra args, warnings expected)
    let cases: &[(&str, &[&str], &[&str])] = &[
        (
            "0.0.0.0",
            &["--auth", "a:b"],
            &[CLEAR, "--tls-cert", "--tls-self-signed"],
        ),
        ("0.0.0.0", &["--upload"], &[OPEN]),
        ("0.0.0.0", &["--upload", "--auth", "a:b"], &[CLEAR]),
        ("::", &["--auth", "a:b"], &[CLEAR]),
        ("0.0.0.0", &["--auth", "a:b", "--tls-self-signed"], &[]),
        ("127.0.0.1", &["--auth", "a:b"], &[]),
        ("127.0.0.1", &["--upload"], &[]),
        ("::1", &["--auth", "a:b", "--upload"], &[]),
        ("0.0.0.0", &[], &[]),
    ];
    let ipv6 = std::net::TcpListener::bind("[::1]:0").is_ok();
    for &(bind, extra, want) in cases {
        if bind.contains(':') && !ipv6 {
            eprintln!("NOTE: no IPv6 loopback; skipping -b {bind}");
            continue;
        }
        let mut args = vec!["0", "-b", bind, "-d", d, "--workers", "1"];
        args.extend_from_slice(extra);
        let host = if bind.contains(':') {
            "::1"
        } else {
            "127.0.0.1"
        };
        let server = Server::start_args(&args, host);
        if extra.contains(&"--tls-self-signed") {
            // The warnings are written before the workers are forked.
            workers(&server, 1);
            std::thread::sleep(Duration::from_millis(500));
        } else {
            // A logged request: a worker answered it, so everything said
            // at start-up came before its line.
            let _ = get(&server, "/exists.txt", &[]);
            server.wait_log("\"GET /exists.txt HTTP/1.1\"");
        }
        let log = server.log();
        let warnings: Vec<&str> = log.lines().filter(|l| l.contains("warning")).collect();
        if want.is_empty() {
            assert!(warnings.is_empty(), "{args:?}: {warnings:?}");
        } else {
            for w in want {
                assert!(
                    warnings.iter().any(|l| l.contains(w)),
                    "{args:?}: {w:?} not in {log:?}"
                );
            }
        }
        if want.contains(&CLEAR) {
            assert!(
                !warnings.iter().any(|l| l.contains(OPEN)),
                "{args:?}: {log}"
            );
        }
        for l in &warnings {
            assert!(l.starts_with("httpd: warning: "), "{l}");
        }
    }
}

// ---------------------------------------------------------------------------
// CORS and uploads
// ---------------------------------------------------------------------------

/// With `--cors`, a preflight (OPTIONS, never with credentials) passes
/// without the password, while GET does not; without `--cors`, OPTIONS is
/// a 401 like anything else.
#[test]
fn cors_preflight_without_credentials() {
    let dir = site("cors");
    let preflight = request(
        "OPTIONS",
        "/exists.txt",
        &[
            "Origin: https://example.com",
            "Access-Control-Request-Method: GET",
            "Access-Control-Request-Headers: authorization",
        ],
    );
    let cors = Server::start(dir.path(), &["--cors", "--auth", "alice:secret"]);
    let (r, rest) = exchange(&cors, &preflight);
    assert_eq!(r.status, 204, "{r:?}");
    assert!(rest.is_empty());
    assert_eq!(r.header("Access-Control-Allow-Origin"), Some("*"));
    let r = get(&cors, "/exists.txt", &["Origin: https://example.com"]);
    assert_challenge(&r, "GET with --cors");
    assert_eq!(r.header("Access-Control-Allow-Origin"), Some("*"), "{r:?}");
    let r = get(
        &cors,
        "/exists.txt",
        &["Origin: https://example.com", &basic("alice", "secret")],
    );
    assert_eq!(
        (r.status, r.header("Access-Control-Allow-Origin")),
        (200, Some("*"))
    );

    let plain = Server::start(dir.path(), &["--auth", "alice:secret"]);
    let (r, _) = exchange(&plain, &preflight);
    assert_challenge(&r, "OPTIONS without --cors");
    let (r, _) = exchange(
        &plain,
        &request("OPTIONS", "/exists.txt", &[&basic("alice", "secret")]),
    );
    assert_ne!(r.status, 401, "{r:?}");
}

/// `--auth` with `--upload`: PUT and multipart POST without (or with
/// wrong) credentials are 401 and write nothing, also with
/// `Expect: 100-continue` (refused before the body); with them, 201.
#[test]
fn uploads_need_the_password() {
    let dir = site("upload");
    let up = dir.path().join("up");
    std::fs::create_dir(&up).unwrap();
    chmod(&up, 0o777);
    let server = Server::start(
        dir.path(),
        &["--workers", "1", "--upload", "--auth", "alice:secret"],
    );
    let put = |path: &str, headers: &[&str], body: &[u8]| {
        let len = format!("Content-Length: {}", body.len());
        let mut all = headers.to_vec();
        all.push(&len);
        let mut raw = request("PUT", path, &all);
        raw.extend_from_slice(body);
        exchange(&server, &raw).0
    };
    let listing = || -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(&up)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_challenge(&put("/up/anon.txt", &[], b"anonymous"), "anonymous PUT");
    assert_challenge(
        &put("/up/wrong.txt", &[&basic("alice", "nope")], b"wrong"),
        "wrong PUT",
    );
    // Expect: 100-continue: the 401 comes instead of 100, before the body.
    let mut s = server.connect();
    s.write_all(&request(
        "PUT",
        "/up/expect.txt",
        &["Expect: 100-continue", "Content-Length: 5"],
    ))
    .unwrap();
    let r = read_response(&mut s, false);
    assert_challenge(&r, "PUT with Expect: 100-continue");
    drop(s);
    // A multipart form POST.
    let boundary = "XyZ";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"form.txt\"\r\n\
         Content-Type: text/plain\r\n\r\nform data\r\n--{boundary}--\r\n"
    );
    let post = |headers: &[&str]| {
        let ct = format!("Content-Type: multipart/form-data; boundary={boundary}");
        let len = format!("Content-Length: {}", body.len());
        let mut all = headers.to_vec();
        all.push(&ct);
        all.push(&len);
        let mut raw = request("POST", "/up/", &all);
        raw.extend_from_slice(body.as_bytes());
        exchange(&server, &raw).0
    };
    assert_challenge(&post(&[]), "anonymous POST");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        listing(),
        Vec::<String>::new(),
        "written without a password"
    );

    let r = put("/up/alice.txt", &[&basic("alice", "secret")], b"from alice");
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(std::fs::read(up.join("alice.txt")).unwrap(), b"from alice");
    let r = post(&[&basic("alice", "secret")]);
    assert!(
        r.status == 201 || r.status == 303 || r.status == 200,
        "POST with a password: {r:?}"
    );
    assert_eq!(std::fs::read(up.join("form.txt")).unwrap(), b"form data");
    assert_eq!(listing(), ["alice.txt", "form.txt"]);
    let log = server.wait_log("\"PUT /up/alice.txt HTTP/1.1\" 201");
    let line = log
        .lines()
        .find(|l| l.contains("PUT /up/alice.txt"))
        .unwrap();
    assert!(line.starts_with("127.0.0.1 - alice ["), "{line}");
}
