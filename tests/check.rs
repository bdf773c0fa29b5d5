//! `httpd --check URL`, the health check, run as the real binary against
//! the real server and against small listeners that misbehave: exit 0 on
//! 2xx/3xx, 1 with one line saying why, 2 for a URL it does not take.

mod common;
use common::*;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::os::unix::net::UnixListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What one `httpd --check URL` did.
struct Checked {
    code: Option<i32>,
    stderr: String,
    stdout: String,
    took: Duration,
}

fn check(url: &str) -> Checked {
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_httpd"))
        .args(["--check", url])
        .env_clear()
        .stdin(Stdio::null())
        .output()
        .expect("run httpd --check");
    Checked {
        code: out.status.code(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        took: start.elapsed(),
    }
}

/// Asserts a healthy answer: exit 0, nothing printed.
fn healthy(url: &str) {
    let c = check(url);
    assert_eq!(c.code, Some(0), "{url}: {}", c.stderr);
    assert_eq!((c.stderr.as_str(), c.stdout.as_str()), ("", ""), "{url}");
}

/// Asserts a failed check with exit `code` and the line
/// `httpd: check URL: WHY`.
fn fails(url: &str, code: i32, why: &str) -> Checked {
    let c = check(url);
    assert_eq!(c.code, Some(code), "{url}: {}", c.stderr);
    assert_eq!(c.stderr, format!("httpd: check {url}: {why}\n"), "{url}");
    assert_eq!(c.stdout, "", "{url}");
    c
}

fn site() -> TempDir {
    let dir = TempDir::new("check");
    dir.write("index.html", "<p>up</p>\n");
    dir.write("sub/a.txt", "a\n");
    dir
}

#[test]
fn answers_from_the_real_server() {
    let dir = site();
    let server = Server::start(dir.path(), &[]);
    let base = format!("http://127.0.0.1:{}", server.port);
    healthy(&format!("{base}/"));
    healthy(&base);
    healthy(&format!("{base}/sub/a.txt?x=1#frag"));
    healthy(&format!("{base}?q"));
    healthy(&format!("http://localhost:{}/", server.port));
    healthy(&format!("HTTP://LOCALHOST:{}/index.html", server.port));
    // A directory without its slash is a 301: healthy too.
    healthy(&format!("{base}/sub"));
    fails(&format!("{base}/missing"), 1, "404 Not Found");
    let log = server.wait_log("\"GET /missing HTTP/1.1\" 404");
    assert!(log.contains("\"GET /sub HTTP/1.1\" 301"), "{log}");
    assert!(log.contains("\"GET /sub/a.txt?x=1 HTTP/1.1\" 200"), "{log}");
}

#[test]
fn ipv6_literal() {
    let dir = site();
    let server = Server::start_args(
        &["0", "-b", "::1", "-d", dir.path().to_str().unwrap()],
        "::1",
    );
    if let Err(e) = connect_to("::1", server.port) {
        eprintln!("NOTE: cannot reach [::1]:{} ({e}); skipping", server.port);
        return;
    }
    healthy(&format!("http://[::1]:{}/", server.port));
    healthy(&format!("http://[0:0::1]:{}/sub/", server.port));
    fails(
        &format!("http://[::1]:{}/nope", server.port),
        1,
        "404 Not Found",
    );
}

#[test]
fn connection_refused() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/");
    let c = check(&url);
    assert_eq!(c.code, Some(1), "{}", c.stderr);
    let said = c
        .stderr
        .strip_prefix(&format!("httpd: check {url}: "))
        .unwrap_or("");
    assert!(
        said == "connection refused (ECONNREFUSED)\n",
        "{}",
        c.stderr
    );
}

#[test]
fn a_server_that_never_answers_times_out() {
    // Accepted by the kernel (the backlog), never read or answered.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://127.0.0.1:{}/",
        listener.local_addr().unwrap().port()
    );
    let c = fails(&url, 1, "timed out after 5 s");
    assert!(
        c.took >= Duration::from_millis(4900) && c.took < Duration::from_secs(9),
        "{:?}",
        c.took
    );
    drop(listener);
}

#[test]
fn a_server_that_drips_times_out_in_total() {
    // One byte of a status line every 400 ms, never its end: each read
    // returns within the socket timeout, but the whole check may not
    // take longer than CHECK_TIMEOUT_SECS.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let thread = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        read_head(&mut s);
        for _ in 0..50 {
            if s.write_all(b"H").is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(400));
        }
    });
    let c = fails(
        &format!("http://127.0.0.1:{port}/"),
        1,
        "timed out after 5 s",
    );
    assert!(c.took < Duration::from_secs(7), "{:?}", c.took);
    thread.join().unwrap();
}

/// A one-connection TCP server: reads the request head, writes
/// `answer`, closes. Returns its port and what it read.
fn answering(answer: &'static [u8]) -> (u16, std::thread::JoinHandle<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let thread = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(WAIT)).unwrap();
        let head = read_head(&mut s);
        let _ = s.write_all(answer);
        head
    });
    (port, thread)
}

#[test]
fn answers_that_are_not_healthy() {
    let cases: &[(&[u8], &str)] = &[
        (b"SSH-2.0-OpenSSH_9.6\r\n", "no HTTP/1.x status line"),
        (b"HTTP/1.1 200 OK", "no HTTP/1.x status line"),
        (b"HTTP/2 200\r\n\r\n", "no HTTP/1.x status line"),
        (b"", "no HTTP/1.x status line"),
        (
            b"HTTP/1.1 503 Service Unavailable\r\n\r\n",
            "503 Service Unavailable",
        ),
        (b"HTTP/1.0 500\r\n\r\n", "500"),
        (
            b"HTTP/1.1 418 \x1b[31mred\r\n\r\n",
            "no HTTP/1.x status line",
        ),
        (b"HTTP/1.1 502 Bad\xffGateway\r\n\r\n", "502"),
        (
            b"HTTP/1.1 101 Switching Protocols\r\n\r\n",
            "101 Switching Protocols",
        ),
    ];
    for &(answer, why) in cases {
        let (port, thread) = answering(answer);
        fails(&format!("http://127.0.0.1:{port}/x"), 1, why);
        thread.join().unwrap();
    }
    // A line longer than the check reads.
    let long: &'static [u8] = Box::leak(vec![b'x'; 4096].into_boxed_slice());
    let (port, thread) = answering(long);
    fails(
        &format!("http://127.0.0.1:{port}/"),
        1,
        "no HTTP/1.x status line",
    );
    thread.join().unwrap();
}

#[test]
fn sends_a_small_get_and_takes_a_plain_answer() {
    let (port, thread) = answering(b"HTTP/1.0 204 No Content\n\n");
    healthy(&format!("http://127.0.0.1:{port}/health?full=1#x"));
    let head = String::from_utf8(thread.join().unwrap()).unwrap();
    assert_eq!(
        head,
        format!(
            "GET /health?full=1 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
             User-Agent: httpd-check\r\nConnection: close\r\n\r\n"
        )
    );
}

#[test]
fn bad_urls_are_usage_errors() {
    let cases = [
        ("ftp://x", "not an http:// or unix: URL"),
        ("127.0.0.1:8080", "not an http:// or unix: URL"),
        ("https://127.0.0.1/", "plain HTTP only, not https://"),
        ("http://", "not an IP address or localhost"),
        ("http://example.com/", "not an IP address or localhost"),
        ("http://1.2.3.4:99999/", "not a port (1 to 65535)"),
        ("http://1.2.3.4:0/", "not a port (1 to 65535)"),
        (
            "http://1.2.3.4/a b",
            "not a path of visible ASCII starting with /",
        ),
        ("unix:", "not a Unix socket path (1 to 107 bytes)"),
    ];
    for (url, why) in cases {
        let c = fails(url, 2, why);
        assert!(c.took < WAIT, "{url}");
    }
    let long = format!("unix:/{}", "s".repeat(150));
    fails(&long, 2, "not a Unix socket path (1 to 107 bytes)");
    // A long URL is cut short in the line, which stays one line.
    let huge = format!("http://127.0.0.1/{}", "a".repeat(9000));
    let c = check(&huge);
    assert_eq!(c.code, Some(2));
    let want = format!("httpd: check {}: the URL is too long\n", &huge[..200]);
    assert!(
        c.stderr == want,
        "{:?}",
        &c.stderr[..c.stderr.len().min(300)]
    );
    // No argument at all is the command line's error, with the usage.
    let out = Command::new(env!("CARGO_BIN_EXE_httpd"))
        .arg("--check")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// A one-connection Unix-socket server, like `answering`.
fn answering_unix(
    path: &std::path::Path,
    answer: &'static [u8],
) -> std::thread::JoinHandle<Vec<u8>> {
    let listener = UnixListener::bind(path).unwrap();
    std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(WAIT)).unwrap();
        let head = read_head(&mut s);
        let _ = s.write_all(answer);
        head
    })
}

#[test]
fn unix_socket_urls() {
    let dir = TempDir::new("check-unix");
    let sock = dir.path().join("h.sock");
    let url = format!("unix:{}", sock.display());

    let thread = answering_unix(&sock, b"HTTP/1.1 200 OK\r\n\r\n");
    healthy(&url);
    let head = String::from_utf8(thread.join().unwrap()).unwrap();
    assert!(
        head.starts_with("GET / HTTP/1.1\r\nHost: localhost\r\n"),
        "{head:?}"
    );

    std::fs::remove_file(&sock).unwrap();
    let thread = answering_unix(&sock, b"HTTP/1.1 503 Busy\r\n\r\n");
    fails(&format!("{url}:/ready?x"), 1, "503 Busy");
    let head = String::from_utf8(thread.join().unwrap()).unwrap();
    assert!(head.starts_with("GET /ready?x HTTP/1.1\r\n"), "{head:?}");

    // Nobody listens on the file any more.
    let c = check(&url);
    assert_eq!(c.code, Some(1), "{}", c.stderr);
    assert!(
        c.stderr.starts_with(&format!("httpd: check {url}: ")),
        "{}",
        c.stderr
    );
    std::fs::remove_file(&sock).unwrap();
    fails(&url, 1, "no such file or directory (ENOENT)");
}

/// Against the real server's `--bind unix:PATH`.
#[test]
fn unix_socket_of_the_real_server() {
    let dir = site();
    let sock = dir.path().join("httpd.sock");
    let mut child = Command::new(env!("CARGO_BIN_EXE_httpd"))
        .args(["-b", &format!("unix:{}", sock.display()), "-d"])
        .arg(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut banner = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut banner)
        .unwrap();
    let mut err = String::new();
    if !banner.starts_with("Serving HTTP on unix:") {
        let _ = child.kill();
        let _ = child.stderr.take().unwrap().read_to_string(&mut err);
        panic!("banner {banner:?}, stderr {err:?}");
    }
    let url = format!("unix:{}", sock.display());
    healthy(&url);
    healthy(&format!("{url}:/sub"));
    fails(&format!("{url}:/missing"), 1, "404 Not Found");
    let _ = child.kill();
    let _ = child.wait();
}
