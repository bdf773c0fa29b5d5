//! The event-driven engine (issue 3): persistent and pipelined
//! connections, many clients at once, slow and vanishing clients,
//! timeouts, a full connection table, worker processes and their
//! supervisor, and clean stops on SIGTERM and SIGINT. Every test spawns
//! the real binary and speaks HTTP over loopback.

mod common;
use common::*;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

/// 64 MiB: far more than the kernel's socket buffers hold, so a transfer
/// of it is really in progress on the server while the client reads.
const BIG: u64 = 64 * 1024 * 1024;

/// `GET path` on HTTP/1.1 without `Connection`: a keep-alive request.
fn keep_alive_get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").into_bytes()
}

/// The byte at `offset` of the big test file: varies with the offset
/// both finely and coarsely, so a shifted, repeated or misplaced chunk
/// does not compare equal.
fn pattern_byte(offset: u64) -> u8 {
    (offset % 251) as u8 ^ (offset >> 16) as u8
}

/// Writes the `BIG`-byte patterned file at `rel`.
fn write_big(dir: &TempDir, rel: &str) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(dir.path().join(rel)).unwrap());
    let mut chunk = vec![0u8; 1 << 20];
    let mut offset = 0u64;
    while offset < BIG {
        for (i, b) in chunk.iter_mut().enumerate() {
            *b = pattern_byte(offset + i as u64);
        }
        f.write_all(&chunk).unwrap();
        offset += chunk.len() as u64;
    }
    f.flush().unwrap();
}

/// Reads exactly `len` body bytes, checking them against the pattern
/// starting at `offset`; `pause` is slept after every 256 KiB (a slow
/// reader). Returns the first mismatching offset, if any.
fn read_pattern(s: &mut TcpStream, offset: u64, len: u64, pause: Duration) -> Option<u64> {
    let mut buf = vec![0u8; 256 * 1024];
    let mut at = offset;
    let end = offset + len;
    while at < end {
        let want = ((end - at) as usize).min(buf.len());
        s.read_exact(&mut buf[..want])
            .unwrap_or_else(|e| panic!("body cut at byte {at} of {end}: {e}"));
        if let Some(i) = buf[..want]
            .iter()
            .enumerate()
            .position(|(i, &b)| b != pattern_byte(at + i as u64))
        {
            return Some(at + i as u64);
        }
        at += want as u64;
        if !pause.is_zero() {
            std::thread::sleep(pause);
        }
    }
    None
}

/// The distinct contents of file number `i` in the many-clients tests:
/// its own name first, then a pattern seeded by `i`; sizes from 1 byte
/// to 128 KiB.
fn numbered_contents(i: usize) -> Vec<u8> {
    let len = 1 + (i * 7919) % (128 * 1024);
    let mut v = format!("file {i}\n").into_bytes();
    v.extend((0..len).map(|j| (j % 253) as u8 ^ (i as u8) ^ (j >> 9) as u8));
    v.truncate(len);
    v
}

/// How a read with a short timeout went.
#[derive(Debug, PartialEq, Eq)]
enum Probe {
    /// Nothing arrived and the connection is still open.
    Open,
    /// The server closed the connection (EOF or reset).
    Closed,
    /// Bytes arrived.
    Data(usize),
}

/// Reads once, waiting at most `wait`.
fn probe(s: &mut TcpStream, wait: Duration) -> Probe {
    s.set_read_timeout(Some(wait)).unwrap();
    let mut buf = [0u8; 4096];
    let r = match s.read(&mut buf) {
        Ok(0) => Probe::Closed,
        Ok(n) => Probe::Data(n),
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => Probe::Open,
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted
            ) =>
        {
            Probe::Closed
        }
        Err(e) => panic!("read: {e}"),
    };
    s.set_read_timeout(Some(WAIT)).unwrap();
    r
}

/// Waits up to `limit` for the server to close `s`, discarding any bytes
/// it sends; how long that took, or None if it stayed open.
fn time_to_close(s: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if probe(s, Duration::from_millis(200)) == Probe::Closed {
            return Some(start.elapsed());
        }
    }
    None
}

/// User plus system CPU time of `pid`, in clock ticks.
fn cpu_ticks(pid: i32) -> u64 {
    let f = proc_stat(pid).expect("worker stat");
    // After the name: state(0) ppid(1) ... utime(11) stime(12).
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

/// Sends SIGCONT on drop, so a stopped worker never outlives a failed
/// test (a stopped process would not act on its SIGTERM).
struct Resume(i32);

impl Drop for Resume {
    fn drop(&mut self) {
        kill("CONT", self.0);
    }
}

/// Connections waiting in the accept queue of the IPv4 listener on `port`
/// (`rx_queue` of a LISTEN socket in /proc/net/tcp).
fn accept_queue_len(port: u16) -> Option<u32> {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
    let local = format!(":{port:04X}");
    table.lines().skip(1).find_map(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() > 4 && f[1].ends_with(&local) && f[3] == "0A" {
            u32::from_str_radix(f[4].split(':').nth(1)?, 16).ok()
        } else {
            None
        }
    })
}

/// `Server::start`, with what the server prints on stdout after the banner.
fn start_keeping_stdout(dir: &TempDir, args: &[&str]) -> (Server, Arc<Mutex<String>>) {
    let server = Server::start(dir.path(), args);
    let stdout = server.stdout.clone();
    (server, stdout)
}

/// Ten requests (files, a HEAD, a 404) on one HTTP/1.1 connection are all answered on it: browsers reuse connections.
#[test]
fn ten_requests_on_one_keep_alive_connection() {
    let dir = TempDir::new("ten");
    for i in 0..8 {
        dir.write(
            &format!("f{i}.txt"),
            format!("file number {i}\n").repeat(i + 1),
        );
    }
    let server = Server::start(dir.path(), &[]);
    let mut s = server.connect();
    for i in 0..8 {
        s.write_all(&keep_alive_get(&format!("/f{i}.txt"))).unwrap();
        let r = read_response(&mut s, false);
        assert_eq!(r.status, 200, "request {i}");
        assert_eq!(
            r.text(),
            format!("file number {i}\n").repeat(i + 1),
            "request {i}"
        );
        assert_eq!(
            r.header("Connection"),
            None,
            "request {i}: HTTP/1.1 persists without saying so"
        );
    }
    s.write_all(b"HEAD /f3.txt HTTP/1.1\r\nHost: test\r\n\r\n")
        .unwrap();
    let r = read_response(&mut s, true);
    assert_eq!((r.status, r.header("Content-Length")), (200, Some("56")));
    s.write_all(&keep_alive_get("/missing.txt")).unwrap();
    let r = read_response(&mut s, false);
    assert_eq!(r.status, 404);
    assert_eq!(r.header("Connection"), None, "a 404 keeps the connection");
    // The connection is still open: nothing pending, no close.
    assert_eq!(probe(&mut s, Duration::from_millis(300)), Probe::Open);
    s.write_all(&keep_alive_get("/f0.txt")).unwrap();
    assert_eq!(read_response(&mut s, false).body, b"file number 0\n");
    // Each request is logged once (log lines are flushed a little later).
    let start = Instant::now();
    let mut log = server.log();
    while log.matches("\"GET /f0.txt HTTP/1.1\" 200 14").count() < 2 && start.elapsed() < WAIT {
        std::thread::sleep(Duration::from_millis(20));
        log = server.log();
    }
    assert_eq!(
        log.matches("\"GET /f0.txt HTTP/1.1\" 200 14").count(),
        2,
        "{log}"
    );
    assert_eq!(
        log.matches("\"HEAD /f3.txt HTTP/1.1\" 200").count(),
        1,
        "{log}"
    );
}

/// Three requests sent in one write are answered in order, none lost: pipelining clients rely on it.
#[test]
fn three_pipelined_requests_in_one_write_answered_in_order() {
    let dir = TempDir::new("pipeline");
    dir.write("one.txt", "first\n");
    dir.write("two.txt", "the second one\n");
    dir.write("three.txt", "third and last, longest of them all\n");
    let server = Server::start(dir.path(), &[]);
    let mut s = server.connect();
    let mut all = keep_alive_get("/one.txt");
    all.extend(keep_alive_get("/two.txt"));
    all.extend(b"GET /three.txt HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
    s.write_all(&all).unwrap();
    let bodies: Vec<Vec<u8>> = (0..3).map(|_| read_response(&mut s, false).body).collect();
    assert_eq!(
        bodies,
        [
            &b"first\n"[..],
            b"the second one\n",
            b"third and last, longest of them all\n"
        ]
    );
    // The last one asked to close: nothing more, then EOF.
    let mut rest = Vec::new();
    s.read_to_end(&mut rest).unwrap();
    assert_eq!(rest, b"");
}

/// Pipelined requests with a 404 and a HEAD among them keep their order and framing.
#[test]
fn pipelined_mixed_requests_keep_framing() {
    let dir = TempDir::new("pipeline-mixed");
    dir.write("a.txt", "aaaa\n");
    dir.write("b.txt", "bb\n");
    let server = Server::start(dir.path(), &[]);
    let mut s = server.connect();
    let raw = b"GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\nGET /nope HTTP/1.1\r\nHost: t\r\n\r\n\
HEAD /b.txt HTTP/1.1\r\nHost: t\r\n\r\nGET /b.txt HTTP/1.1\r\nHost: t\r\n\r\n";
    s.write_all(raw).unwrap();
    let a = read_response(&mut s, false);
    let nope = read_response(&mut s, false);
    let head = read_response(&mut s, true);
    let b = read_response(&mut s, false);
    assert_eq!((a.status, a.body.as_slice()), (200, &b"aaaa\n"[..]));
    assert_eq!(nope.status, 404);
    assert_eq!(
        (head.status, head.header("Content-Length"), head.body.len()),
        (200, Some("3"), 0)
    );
    assert_eq!((b.status, b.body.as_slice()), (200, &b"bb\n"[..]));
    assert_eq!(
        probe(&mut s, Duration::from_millis(300)),
        Probe::Open,
        "nothing extra was sent"
    );
}

/// An HTTP/1.0 request without keep-alive gets its answer and then the server closes: 1.0 clients read to EOF.
#[test]
fn http10_without_keep_alive_is_closed_after_response() {
    let dir = TempDir::new("http10");
    dir.write("a.txt", "hello 1.0\n");
    let server = Server::start(dir.path(), &[]);
    let mut s = server.connect();
    s.write_all(b"GET /a.txt HTTP/1.0\r\n\r\n").unwrap();
    let r = read_response(&mut s, false);
    assert_eq!((r.status, r.body.as_slice()), (200, &b"hello 1.0\n"[..]));
    assert_ne!(
        r.header("Connection")
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("keep-alive")
    );
    assert!(
        closed_by_peer(&mut s),
        "an HTTP/1.0 connection must be closed after the response"
    );
}

/// HTTP/1.0 with `Connection: keep-alive` is told `keep-alive` and may send a second request on the same socket.
#[test]
fn http10_with_keep_alive_keeps_connection() {
    let dir = TempDir::new("http10ka");
    dir.write("a.txt", "first\n");
    dir.write("b.txt", "second\n");
    let server = Server::start(dir.path(), &[]);
    let mut s = server.connect();
    s.write_all(b"GET /a.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        .unwrap();
    let r = read_response(&mut s, false);
    assert_eq!((r.status, r.body.as_slice()), (200, &b"first\n"[..]));
    assert_eq!(
        r.header("Connection")
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("keep-alive")
    );
    assert!(
        r.header("Content-Length").is_some(),
        "a kept 1.0 response must be delimited"
    );
    assert_eq!(probe(&mut s, Duration::from_millis(300)), Probe::Open);
    s.write_all(b"GET /b.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        .unwrap();
    let r = read_response(&mut s, false);
    assert_eq!((r.status, r.body.as_slice()), (200, &b"second\n"[..]));
    // A third without keep-alive ends it.
    s.write_all(b"GET /a.txt HTTP/1.0\r\n\r\n").unwrap();
    assert_eq!(read_response(&mut s, false).body, b"first\n");
    assert!(closed_by_peer(&mut s));
}

/// `Connection: close` on HTTP/1.1 is answered with `Connection: close` and the connection ends.
#[test]
fn connection_close_on_http11_is_honoured() {
    let dir = TempDir::new("close");
    dir.write("a.txt", "bye\n");
    let server = Server::start(dir.path(), &[]);
    let mut s = server.connect();
    s.write_all(&keep_alive_get("/a.txt")).unwrap();
    assert_eq!(read_response(&mut s, false).body, b"bye\n");
    s.write_all(b"GET /a.txt HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        .unwrap();
    let r = read_response(&mut s, false);
    assert_eq!((r.status, r.body.as_slice()), (200, &b"bye\n"[..]));
    assert_eq!(
        r.header("Connection")
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("close")
    );
    assert!(
        closed_by_peer(&mut s),
        "the server must close after Connection: close"
    );
}

/// 500 clients connected at once each receive exactly the bytes of their own file: no cross-talk under load.
#[test]
fn five_hundred_concurrent_clients_get_the_right_bytes() {
    const CLIENTS: usize = 500;
    const THREADS: usize = 10;
    let dir = TempDir::new("many");
    for i in 0..CLIENTS {
        dir.write(&format!("d{}/file{i}.bin", i % 7), numbered_contents(i));
    }
    let server = Server::start(dir.path(), &["-q"]);
    let addr: SocketAddr = format!("127.0.0.1:{}", server.port).parse().unwrap();
    let barrier = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let barrier = barrier.clone();
            std::thread::Builder::new()
                .stack_size(256 * 1024)
                .spawn(move || {
                    let mine: Vec<usize> = (t..CLIENTS).step_by(THREADS).collect();
                    let mut socks: Vec<TcpStream> = mine
                        .iter()
                        .map(|_| {
                            let s = TcpStream::connect_timeout(&addr, WAIT).expect("connect");
                            s.set_read_timeout(Some(WAIT)).unwrap();
                            s.set_write_timeout(Some(WAIT)).unwrap();
                            s
                        })
                        .collect();
                    // All 500 connections are open before anyone asks.
                    barrier.wait();
                    for (s, &i) in socks.iter_mut().zip(&mine) {
                        s.write_all(&keep_alive_get(&format!("/d{}/file{i}.bin", i % 7)))
                            .unwrap();
                    }
                    let mut bad = Vec::new();
                    for (s, &i) in socks.iter_mut().zip(&mine) {
                        let r = read_response(s, false);
                        if r.status != 200 || r.body != numbered_contents(i) {
                            bad.push((i, r.status, r.body.len()));
                        }
                    }
                    bad
                })
                .unwrap()
        })
        .collect();
    let bad: Vec<_> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    assert!(
        bad.is_empty(),
        "wrong responses (file, status, length): {bad:?}"
    );
    assert_eq!(server.get("/d0/file0.bin", &[]).body, numbered_contents(0));
}

/// 20 slowloris clients (a byte a second) do not delay a normal client, and are cut off after `--timeout`.
#[test]
fn slowloris_clients_do_not_block_others_and_are_timed_out() {
    const SLOW: usize = 20;
    let dir = TempDir::new("slowloris");
    dir.write("a.txt", "prompt\n");
    let server = Server::start(dir.path(), &["--timeout", "2", "--workers", "1", "-q"]);
    let addr: SocketAddr = format!("127.0.0.1:{}", server.port).parse().unwrap();
    let slow: Vec<_> = (0..SLOW)
        .map(|_| {
            std::thread::spawn(move || {
                let req = b"GET /a.txt HTTP/1.1\r\nHost: slow.example\r\nX-Padding: 0123456789abcdef\r\n\r\n";
                let mut s = TcpStream::connect_timeout(&addr, WAIT).expect("connect");
                let start = Instant::now();
                let mut got = 0;
                for (sent, byte) in req.iter().enumerate().take(15) {
                    if s.write_all(std::slice::from_ref(byte)).is_err() {
                        return (Some(start.elapsed()), sent, got);
                    }
                    // Waiting for the answer is the one-second pause.
                    let until = Instant::now() + Duration::from_secs(1);
                    while Instant::now() < until {
                        match probe(&mut s, until.saturating_duration_since(Instant::now()).max(Duration::from_millis(1))) {
                            Probe::Open => break,
                            Probe::Closed => return (Some(start.elapsed()), sent + 1, got),
                            Probe::Data(n) => got += n,
                        }
                    }
                }
                (None, 15, got)
            })
        })
        .collect();
    // While they trickle, a normal client is served promptly.
    std::thread::sleep(Duration::from_millis(1500));
    let start = Instant::now();
    for _ in 0..5 {
        let r = server.get("/a.txt", &[]);
        assert_eq!((r.status, r.body.as_slice()), (200, &b"prompt\n"[..]));
    }
    let mut s = server.connect();
    for _ in 0..3 {
        s.write_all(&keep_alive_get("/a.txt")).unwrap();
        assert_eq!(read_response(&mut s, false).body, b"prompt\n");
    }
    let took = start.elapsed();
    assert!(
        took < Duration::from_secs(5),
        "normal client took {took:?} while slowloris clients trickled"
    );
    for h in slow {
        let (closed, sent, got) = h.join().unwrap();
        let closed = closed.unwrap_or_else(|| {
            panic!("a slowloris connection was still open after 15 s ({sent} bytes sent)")
        });
        assert!(
            closed >= Duration::from_secs(1),
            "closed after only {closed:?}, before --timeout 2"
        );
        assert!(sent < 15, "closed only after {sent} bytes");
        let _ = got; // A 408 before closing would be allowed.
    }
    assert_eq!(server.get("/a.txt", &[]).body, b"prompt\n");
}

/// Clients that vanish in the middle of a 64 MiB download do not disturb a concurrent full download nor other clients.
#[test]
fn vanishing_client_mid_download_does_not_hurt_others() {
    let dir = TempDir::new("vanish");
    write_big(&dir, "big.bin");
    dir.write("small.txt", "still here\n");
    let mut server = Server::start(dir.path(), &["--workers", "1", "-q"]);
    // A full download, verified byte by byte, runs throughout.
    let mut full = server.connect();
    full.write_all(&keep_alive_get("/big.bin")).unwrap();
    let r = read_response(&mut full, true);
    assert_eq!(
        (r.status, r.header("Content-Length")),
        (200, Some(BIG.to_string().as_str()))
    );
    let downloader = std::thread::spawn(move || {
        let bad = read_pattern(&mut full, 0, BIG, Duration::from_millis(2));
        (bad, full)
    });
    let mut other = server.connect();
    for keep in [0u64, 1 << 20, 16 << 20] {
        let mut v = server.connect();
        v.write_all(&keep_alive_get("/big.bin")).unwrap();
        let r = read_response(&mut v, true);
        assert_eq!(r.status, 200);
        assert_eq!(read_pattern(&mut v, 0, keep, Duration::ZERO), None);
        other.write_all(&keep_alive_get("/small.txt")).unwrap();
        assert_eq!(read_response(&mut other, false).body, b"still here\n");
        // Gone with most of the body unread (the kernel resets it).
        drop(v);
        other.write_all(&keep_alive_get("/small.txt")).unwrap();
        assert_eq!(read_response(&mut other, false).body, b"still here\n");
    }
    let (bad, mut full) = downloader.join().unwrap();
    assert_eq!(bad, None, "the concurrent download was corrupted");
    // The downloader's connection is still usable.
    full.write_all(&keep_alive_get("/small.txt")).unwrap();
    assert_eq!(read_response(&mut full, false).body, b"still here\n");
    assert!(server.alive(), "the server died");
    assert_eq!(server.get("/small.txt", &[]).body, b"still here\n");
}

/// A download whose client stops reading is closed after `--timeout`, freeing its slot.
#[test]
fn stalled_download_is_closed_after_timeout() {
    let dir = TempDir::new("stalled");
    write_big(&dir, "big.bin");
    dir.write("small.txt", "ok\n");
    let server = Server::start(dir.path(), &["--timeout", "2", "--workers", "1", "-q"]);
    let mut s = server.connect();
    s.write_all(&keep_alive_get("/big.bin")).unwrap();
    let r = read_response(&mut s, true);
    assert_eq!(r.status, 200);
    // Stop reading well past the timeout; meanwhile others are served.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(server.get("/small.txt", &[]).body, b"ok\n");
    std::thread::sleep(Duration::from_secs(4));
    // What was buffered still arrives, then the connection ends short.
    let mut got = 0u64;
    let mut buf = vec![0u8; 1 << 20];
    let start = Instant::now();
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got += n as u64,
            Err(e) if e.kind() == ErrorKind::ConnectionReset => break,
            Err(e) => panic!(
                "stalled connection not closed ({got} bytes read, {:?}): {e}",
                start.elapsed()
            ),
        }
    }
    assert!(
        got < BIG,
        "the whole body arrived although the client stalled past --timeout"
    );
    assert_eq!(server.get("/small.txt", &[]).body, b"ok\n");
}

/// An idle keep-alive connection is kept briefly, then closed after the idle timeout (half of `--timeout`).
#[test]
fn idle_keep_alive_connection_is_closed_after_timeout() {
    let dir = TempDir::new("idle");
    dir.write("a.txt", "a\n");
    let server = Server::start(dir.path(), &["--timeout", "2", "-q"]);
    let mut s = server.connect();
    s.write_all(&keep_alive_get("/a.txt")).unwrap();
    assert_eq!(read_response(&mut s, false).body, b"a\n");
    assert_eq!(
        probe(&mut s, Duration::from_millis(500)),
        Probe::Open,
        "closed right after the response"
    );
    // Still usable after that pause.
    s.write_all(&keep_alive_get("/a.txt")).unwrap();
    assert_eq!(read_response(&mut s, false).body, b"a\n");
    let after = time_to_close(&mut s, Duration::from_secs(10))
        .expect("idle connection still open after 10 s");
    assert!(
        after >= Duration::from_millis(500),
        "closed after only {after:?}"
    );
}

/// A connection that never sends anything is closed after `--timeout`.
#[test]
fn silent_connection_is_closed_after_timeout() {
    let dir = TempDir::new("silent");
    dir.write("a.txt", "a\n");
    let server = Server::start(dir.path(), &["--timeout", "2", "-q"]);
    let mut s = server.connect();
    assert_eq!(probe(&mut s, Duration::from_millis(500)), Probe::Open);
    time_to_close(&mut s, Duration::from_secs(10))
        .expect("silent connection still open after 10 s");
    assert_eq!(server.get("/a.txt", &[]).body, b"a\n");
}

/// With the table full of busy connections (`--max-connections 4`, each
/// receiving a large file it does not read yet), a fifth client waits
/// without the worker spinning; as soon as one of them has its answer
/// and idles, the fifth takes its slot (the idle one is closed for it).
#[test]
fn full_table_waits_then_serves_again() {
    const LARGE: usize = 16 << 20;
    let dir = TempDir::new("full");
    dir.write("a.txt", "slot\n");
    dir.write("large.bin", vec![7u8; LARGE]);
    let server = Server::start(
        dir.path(),
        &["--max-connections", "4", "--workers", "1", "-q"],
    );
    let worker = workers(&server, 1)[0];
    let mut held: Vec<TcpStream> = (0..4)
        .map(|_| {
            let mut s = server.connect();
            // Busy: the server is sending 16 MiB nobody reads yet.
            s.write_all(&keep_alive_get("/large.bin")).unwrap();
            s
        })
        .collect();
    let mut fifth = server.connect();
    fifth.write_all(&keep_alive_get("/a.txt")).unwrap();
    let ticks = cpu_ticks(worker);
    assert_eq!(
        probe(&mut fifth, Duration::from_millis(1500)),
        Probe::Open,
        "answered although all 4 slots are busy"
    );
    let spent = cpu_ticks(worker) - ticks;
    // 1.5 s of waiting is 150 ticks; a loop spinning on the listener
    // would burn most of them.
    assert!(
        spent < 75,
        "the worker used {spent} ticks of CPU in 1.5 s while the table was full"
    );
    // One of them reads its answer and idles: the fifth takes its slot.
    let r = read_response(&mut held[0], false);
    assert_eq!((r.status, r.body.len()), (200, LARGE));
    let r = read_response(&mut fifth, false);
    assert_eq!((r.status, r.body.as_slice()), (200, &b"slot\n"[..]));
    assert!(time_to_close(&mut held[0], WAIT).is_some());
    // The other busy ones still get all of theirs.
    for s in &mut held[1..] {
        let r = read_response(s, false);
        assert_eq!((r.status, r.body.len()), (200, LARGE));
    }
    drop(held);
    drop(fifth);
    for _ in 0..5 {
        assert_eq!(server.get("/a.txt", &[]).body, b"slot\n");
    }
}

/// Sockets that connect and send nothing, or one byte, cannot lock new
/// clients out: with 200 of them against 50 slots, a normal client is
/// answered at once (the least recently active ones make room), not after
/// the timeout.
#[test]
fn idle_sockets_do_not_lock_clients_out() {
    let dir = TempDir::new("idle-lockout");
    dir.write("a.txt", "served\n");
    let server = Server::start(
        dir.path(),
        &["--max-connections", "50", "--workers", "1", "-q"],
    );
    for sends in [&b""[..], b"G"] {
        let mut silent: Vec<TcpStream> = (0..200)
            .map(|_| {
                let mut s = server.connect();
                s.write_all(sends).unwrap();
                s
            })
            .collect();
        let start = Instant::now();
        let mut s = server.connect();
        s.write_all(&request("GET", "/a.txt", &[])).unwrap();
        let r = read_response(&mut s, false);
        assert_eq!((r.status, r.body.as_slice()), (200, &b"served\n"[..]));
        println!(
            "answered after {:?} behind 200 sockets that sent {sends:?}",
            start.elapsed()
        );
        // The ones that lost their slot were closed, not left hanging.
        assert!(time_to_close(&mut silent[0], WAIT).is_some());
    }
}

/// A request head must be complete `--timeout` seconds after the
/// connection was accepted, however late its first byte comes: a client
/// cannot hold a slot for two timeouts by waiting, then trickling.
#[test]
fn request_head_deadline_counts_from_accept() {
    let dir = TempDir::new("head-deadline");
    dir.write("a.txt", "a\n");
    let server = Server::start(dir.path(), &["--timeout", "4", "-q"]);
    let mut s = server.connect();
    let start = Instant::now();
    std::thread::sleep(Duration::from_secs(3));
    s.write_all(b"G").unwrap();
    time_to_close(&mut s, WAIT).expect("still open");
    // Closed 4 s after accept (plus the once-a-second sweep), not 4 s
    // after the first byte (7 s and more).
    let closed = start.elapsed();
    assert!(
        closed < Duration::from_millis(6500),
        "closed {closed:?} after connecting"
    );
}

/// A listing ends its connection's turn: a client pipelining listings of
/// a large directory (each costs milliseconds) does not keep the worker
/// from answering another client in between.
#[test]
fn pipelined_listings_take_turns_with_others() {
    let dir = TempDir::new("listing-turns");
    dir.write("a.txt", "small\n");
    std::fs::create_dir(dir.path().join("big")).unwrap();
    for i in 0..4000 {
        std::fs::File::create(dir.path().join(format!("big/file-number-{i:05}.txt"))).unwrap();
    }
    let server = Server::start(dir.path(), &["--workers", "1", "-q"]);
    let mut flood = server.connect();
    flood
        .write_all(&b"HEAD /big/ HTTP/1.1\r\nHost: x\r\n\r\n".repeat(16))
        .unwrap();
    std::thread::sleep(Duration::from_millis(5));
    let mut other = server.connect();
    other.write_all(&request("GET", "/a.txt", &[])).unwrap();
    let order = Arc::new(Mutex::new(Vec::new()));
    let log = order.clone();
    let reader = std::thread::spawn(move || {
        for _ in 0..16 {
            assert_eq!(read_response(&mut flood, true).status, 200);
        }
        log.lock().unwrap().push("last listing");
    });
    assert_eq!(read_response(&mut other, false).body, b"small\n");
    order.lock().unwrap().push("other client");
    reader.join().unwrap();
    assert_eq!(
        *order.lock().unwrap(),
        ["other client", "last listing"],
        "the other client waited for all 16 listings"
    );
}

/// A worker killed with SIGKILL is restarted and reported on stderr, and the server keeps serving.
#[test]
fn killed_worker_is_restarted() {
    let dir = TempDir::new("kill");
    dir.write("a.txt", "alive\n");
    let mut server = Server::start(dir.path(), &["--workers", "1", "-q"]);
    let old = workers(&server, 1)[0];
    assert_eq!(server.get("/a.txt", &[]).body, b"alive\n");
    kill("KILL", old);
    // Served again (the connection waits in the shared listener's queue
    // if need be).
    assert_eq!(server.get("/a.txt", &[]).body, b"alive\n");
    let log = server.wait_log("was killed by signal 9; restarting");
    let line = log
        .lines()
        .find(|l| l.contains("was killed by signal 9; restarting"))
        .unwrap_or_else(|| panic!("no restart report on stderr: {log:?}"));
    assert!(line.starts_with("httpd: worker "), "{line}");
    assert!(
        line.contains(&old.to_string()),
        "the report should name pid {old}: {line}"
    );
    let new = workers(&server, 1)[0];
    assert_ne!(new, old);
    assert!(server.alive());
    for _ in 0..5 {
        assert_eq!(server.get("/a.txt", &[]).body, b"alive\n");
    }
}

/// SIGTERM lets a slow 64 MiB download in progress finish, then the server exits 0.
#[test]
fn sigterm_finishes_download_in_progress_and_exits_zero() {
    let dir = TempDir::new("sigterm");
    write_big(&dir, "big.bin");
    let mut server = Server::start(dir.path(), &["--workers", "1", "-q"]);
    let mut s = server.connect();
    s.write_all(&keep_alive_get("/big.bin")).unwrap();
    let r = read_response(&mut s, true);
    assert_eq!(
        (r.status, r.header("Content-Length")),
        (200, Some(BIG.to_string().as_str()))
    );
    assert_eq!(read_pattern(&mut s, 0, 1 << 20, Duration::ZERO), None);
    server.signal("TERM");
    // About 2.5 s of slow reading, well inside the 10 s grace period.
    let half = BIG / 2;
    assert_eq!(
        read_pattern(&mut s, 1 << 20, half - (1 << 20), Duration::from_millis(10)),
        None
    );
    assert!(
        server.alive(),
        "the server exited with half of a download unsent"
    );
    assert_eq!(
        read_pattern(&mut s, half, BIG - half, Duration::from_millis(10)),
        None
    );
    // Then the server closes the connection and exits cleanly.
    assert!(
        closed_by_peer(&mut s),
        "connection not closed after the response at shutdown"
    );
    assert_eq!(
        server.wait_exit(),
        Some(0),
        "exit status after SIGTERM; stderr: {}",
        server.log()
    );
}

/// SIGINT exits 0, promptly despite an idle keep-alive client, printing python's `Keyboard interrupt received, exiting.`.
#[test]
fn sigint_exits_zero_with_python_message() {
    let dir = TempDir::new("sigint");
    dir.write("a.txt", "a\n");
    let (mut server, stdout) = start_keeping_stdout(&dir, &["-q"]);
    let mut idle = server.connect();
    idle.write_all(&keep_alive_get("/a.txt")).unwrap();
    assert_eq!(read_response(&mut idle, false).body, b"a\n");
    let start = Instant::now();
    server.signal("INT");
    assert_eq!(
        server.wait_exit(),
        Some(0),
        "exit status after SIGINT; stderr: {}",
        server.log()
    );
    assert!(
        start.elapsed() < Duration::from_secs(8),
        "an idle connection held the exit for {:?}",
        start.elapsed()
    );
    assert!(closed_by_peer(&mut idle));
    // The stdout reader sees EOF right after the exit.
    let deadline = Instant::now() + WAIT;
    while !stdout.lock().unwrap().contains("exiting.") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = stdout.lock().unwrap().clone();
    assert!(
        out.lines()
            .any(|l| l == "Keyboard interrupt received, exiting."),
        "stdout after the banner: {out:?}"
    );
    assert!(
        !server.log().contains("Keyboard interrupt"),
        "the message belongs on stdout"
    );
}

/// `--workers 2` starts two worker processes that together answer many concurrent requests.
#[test]
fn two_workers_serve_requests() {
    let dir = TempDir::new("workers2");
    for i in 0..40 {
        dir.write(&format!("f{i}.bin"), numbered_contents(i * 13));
    }
    let server = Server::start(dir.path(), &["--workers", "2", "-q"]);
    let pids = workers(&server, 2);
    let server = Arc::new(server);
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let server = server.clone();
            std::thread::spawn(move || {
                let mut s = server.connect();
                for i in (t..40).step_by(8) {
                    // Alternate new connections and one kept connection.
                    let r = if i % 2 == 0 {
                        server.get(&format!("/f{i}.bin"), &[])
                    } else {
                        s.write_all(&keep_alive_get(&format!("/f{i}.bin"))).unwrap();
                        read_response(&mut s, false)
                    };
                    assert_eq!(r.status, 200, "f{i}");
                    assert!(r.body == numbered_contents(i * 13), "f{i}: wrong body");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(workers(&server, 2), pids, "a worker died or was replaced");
}

/// Keep-alive connections made one after another at light load end up
/// in both of two workers, not all in the one the kernel wakes first
/// (`EPOLLEXCLUSIVE` wakes the first idle worker in the order they
/// registered; a worker registers again after every 16 it accepts).
/// With one worker stopped, the connections the other one holds are
/// answered and its own are not: neither may hold all 64.
#[test]
fn keep_alive_connections_are_spread_over_workers() {
    const CONNECTIONS: usize = 64;
    let dir = TempDir::new("spread");
    dir.write("a.txt", "spread\n");
    let server = Server::start(dir.path(), &["--workers", "2", "-q"]);
    let pids = workers(&server, 2);
    let mut socks: Vec<TcpStream> = (0..CONNECTIONS)
        .map(|_| {
            // Answered before the next connects: both workers are idle.
            let mut s = server.connect();
            s.write_all(&keep_alive_get("/a.txt")).unwrap();
            let r = read_response(&mut s, false);
            assert_eq!(r.status, 200);
            s
        })
        .collect();
    let stopped = pids[0];
    kill("STOP", stopped);
    let resume = Resume(stopped);
    let start = Instant::now();
    while proc_stat(stopped).map(|f| f[0].clone()).as_deref() != Some("T") {
        assert!(start.elapsed() < WAIT, "worker {stopped} did not stop");
        std::thread::sleep(Duration::from_millis(10));
    }
    for s in &mut socks {
        s.write_all(&keep_alive_get("/a.txt")).unwrap();
    }
    std::thread::sleep(Duration::from_millis(500));
    let answered = socks
        .iter_mut()
        .map(|s| {
            s.set_nonblocking(true).unwrap();
            let mut byte = [0u8; 1];
            matches!(s.read(&mut byte), Ok(1))
        })
        .filter(|&got| got)
        .count();
    drop(resume);
    assert!(
        (16..=CONNECTIONS - 16).contains(&answered),
        "the running worker holds {answered} of {CONNECTIONS} keep-alive connections"
    );
}

/// A burst of 300 connections arriving while the worker is busy all wait in the listen backlog, none refused, and are all answered.
#[test]
fn burst_of_300_connections_is_queued_and_served() {
    const BURST: usize = 300;
    let dir = TempDir::new("burst");
    dir.write("a.txt", "burst\n");
    let server = Server::start(dir.path(), &["--workers", "1", "-q"]);
    let worker = workers(&server, 1)[0];
    // Stop the worker so nothing is accepted: the backlog alone must
    // hold the burst.
    kill("STOP", worker);
    let resume = Resume(worker);
    let start = Instant::now();
    while proc_stat(worker).map(|f| f[0].clone()).as_deref() != Some("T") {
        assert!(start.elapsed() < WAIT, "worker {worker} did not stop");
        std::thread::sleep(Duration::from_millis(10));
    }
    let addr: SocketAddr = format!("127.0.0.1:{}", server.port).parse().unwrap();
    let mut socks: Vec<TcpStream> = (0..BURST)
        .map(|i| {
            let s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
                .unwrap_or_else(|e| panic!("connection {i} of the burst failed: {e}"));
            s.set_read_timeout(Some(WAIT)).unwrap();
            s
        })
        .collect();
    let start = Instant::now();
    let mut queued = accept_queue_len(server.port);
    while queued != Some(BURST as u32) && start.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(50));
        queued = accept_queue_len(server.port);
    }
    assert_eq!(
        queued,
        Some(BURST as u32),
        "connections waiting in the accept queue"
    );
    for s in &mut socks {
        s.write_all(&keep_alive_get("/a.txt")).unwrap();
    }
    drop(resume);
    for (i, s) in socks.iter_mut().enumerate() {
        let r = read_response(s, false);
        assert_eq!(
            (r.status, r.body.as_slice()),
            (200, &b"burst\n"[..]),
            "connection {i}"
        );
    }
}

/// A worker renders one listing per loop turn: with many clients asking
/// for listings of a large directory at once, another client is answered
/// after at most a couple of them, not after all.
#[test]
fn many_listings_at_once_take_turns_with_others() {
    let dir = TempDir::new("listing-cap");
    dir.write("a.txt", "small\n");
    // 20,000 entries: each listing reads them all and stats 4,096 of
    // them, milliseconds of work.
    std::fs::create_dir(dir.path().join("big")).unwrap();
    for i in 0..20_000 {
        std::fs::File::create(dir.path().join(format!("big/file-number-{i:05}.txt"))).unwrap();
    }
    let server = Server::start(dir.path(), &["--workers", "1", "-q"]);
    let mut floods: Vec<TcpStream> = (0..12).map(|_| server.connect()).collect();
    for s in &mut floods {
        s.write_all(&request("GET", "/big/", &[])).unwrap();
    }
    std::thread::sleep(Duration::from_millis(5));
    let mut other = server.connect();
    other.write_all(&request("GET", "/a.txt", &[])).unwrap();
    let order = Arc::new(Mutex::new(Vec::new()));
    let readers: Vec<_> = floods
        .into_iter()
        .map(|mut s| {
            let log = order.clone();
            std::thread::spawn(move || {
                assert_eq!(read_response(&mut s, false).status, 200);
                log.lock().unwrap().push("listing");
            })
        })
        .collect();
    assert_eq!(read_response(&mut other, false).body, b"small\n");
    order.lock().unwrap().push("other client");
    for r in readers {
        r.join().unwrap();
    }
    let order = order.lock().unwrap();
    let before = order.iter().position(|&e| e == "other client").unwrap();
    println!("the other client was answered after {before} of 12 listings");
    assert!(
        before < 3,
        "the other client waited for {before} of 12 listings: {order:?}"
    );
}

/// Clients pipelining cheap requests without pause (HEAD, answered with no
/// body) cannot keep a worker to themselves: another client is answered.
#[test]
fn pipelining_flood_does_not_starve_others() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let dir = TempDir::new("flood");
    dir.write("a.txt", "hello\n");
    let server = Server::start(dir.path(), &["--workers", "1", "-q"]);
    let stop = Arc::new(AtomicBool::new(false));
    let mut floods = Vec::new();
    for _ in 0..4 {
        let mut s = server.connect();
        let mut reader = s.try_clone().unwrap();
        let stop_reading = stop.clone();
        floods.push(std::thread::spawn(move || {
            let mut sink = vec![0u8; 1 << 20];
            while !stop_reading.load(Ordering::Relaxed) {
                if !matches!(reader.read(&mut sink), Ok(n) if n > 0) {
                    break;
                }
            }
        }));
        let stop_writing = stop.clone();
        let burst = b"HEAD /a.txt HTTP/1.1\r\nHost: x\r\n\r\n".repeat(200);
        floods.push(std::thread::spawn(move || {
            while !stop_writing.load(Ordering::Relaxed) && s.write_all(&burst).is_ok() {}
            let _ = s.shutdown(std::net::Shutdown::Both);
        }));
    }
    std::thread::sleep(Duration::from_millis(500));
    for _ in 0..5 {
        let mut s = server.connect();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(&request("GET", "/a.txt", &[])).unwrap();
        let r = read_response(&mut s, false);
        assert_eq!((r.status, r.body.as_slice()), (200, &b"hello\n"[..]));
    }
    stop.store(true, Ordering::Relaxed);
    for t in floods {
        t.join().unwrap();
    }
}

/// Once SIGTERM arrives the port stops listening at once: new clients are
/// refused rather than left hanging, and a new server can bind the port,
/// while the download in progress still completes.
#[test]
fn sigterm_stops_listening_at_once() {
    let dir = TempDir::new("stop-listening");
    let body: Vec<u8> = (0..16u32 << 20).map(|i| (i * 7 + i / 4099) as u8).collect();
    dir.write("big.bin", &body);
    let mut server = Server::start(dir.path(), &["--workers", "2"]);
    let mut download = server.connect();
    download
        .write_all(&request("GET", "/big.bin", &[]))
        .unwrap();
    let mut first = [0u8; 4096];
    download.read_exact(&mut first).unwrap();
    server.signal("TERM");
    // The refusal is immediate, but give the signal time to arrive.
    let start = Instant::now();
    let refused = loop {
        match TcpStream::connect(("127.0.0.1", server.port)) {
            Err(_) => break true,
            Ok(_) if start.elapsed() > WAIT => break false,
            Ok(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    assert!(refused, "the port still accepted connections after SIGTERM");
    let port = server.port.to_string();
    let mut next = Server::start_args(
        &[&port, "-b", "127.0.0.1", "-d", dir.path().to_str().unwrap()],
        "127.0.0.1",
    );
    assert_eq!(next.get("/big.bin", &["Range: bytes=0-3"]).body, &body[..4]);
    let mut rest = Vec::new();
    download.read_to_end(&mut rest).unwrap();
    let head_end = first.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let mut got = first[head_end..].to_vec();
    got.extend_from_slice(&rest);
    assert!(
        got == body,
        "the download in progress was cut short: {} of {} bytes",
        got.len(),
        body.len()
    );
    assert_eq!(server.wait_exit(), Some(0));
    assert!(next.alive());
}

/// A worker that cannot set itself up (here: no memory for a huge
/// connection table) makes httpd exit 1 with the reason, instead of
/// restarting it forever.
#[test]
fn worker_that_cannot_start_ends_the_server() {
    let dir = TempDir::new("cannot-start");
    let script = format!(
        "ulimit -v 400000; exec {} 0 -b 127.0.0.1 -d {} -w 2 --max-connections 1000000",
        env!("CARGO_BIN_EXE_httpd"),
        dir.path().display()
    );
    let mut server = Server::spawn(
        {
            let mut c = Command::new("sh");
            c.args(["-c", &script]);
            c
        },
        "127.0.0.1",
    );
    assert_eq!(server.wait_exit(), Some(1));
    let log = server.wait_log("cannot allocate memory");
    assert!(
        log.contains("httpd: a worker cannot start: cannot allocate memory (ENOMEM)"),
        "{log}"
    );
    assert!(!log.contains("restarting"), "{log}");
}

/// Under a low descriptor limit, a burst of new connections is still
/// answered 200, every one: the worker accepts new connections in
/// batches, and a batch must leave the descriptors its answers need (the
/// file each opens; `--no-cache`, so every answer opens it). The worker
/// is stopped while 60 clients connect and send their request, so one
/// accept sees them all; with the batch unbounded, its sockets took every
/// descriptor and the first answers met EMFILE opening the file: 503.
#[test]
fn a_burst_under_a_low_descriptor_limit_is_answered_whole() {
    // 32: every batch is one connection; 48: batches of several.
    for limit in [32, 48] {
        burst_under_descriptor_limit(limit);
    }
}

fn burst_under_descriptor_limit(limit: u32) {
    let dir = TempDir::new("low-nofile");
    dir.write("a.txt", "hello\n");
    let script = format!(
        "ulimit -n {limit}; exec {} 0 -b 127.0.0.1 -d {} -w 1 -q --no-cache",
        env!("CARGO_BIN_EXE_httpd"),
        dir.path().display()
    );
    let server = Server::spawn(
        {
            let mut c = Command::new("sh");
            c.args(["-c", &script]);
            c
        },
        "127.0.0.1",
    );
    // The banner comes before the worker is forked: wait for it, and for
    // its first answer.
    let worker = first_worker(&server);
    assert_eq!(server.get("/a.txt", &[]).status, 200);
    kill("STOP", worker);
    let mut clients: Vec<TcpStream> = (0..60)
        .map(|_| {
            let mut s = server.connect();
            s.write_all(&request("GET", "/a.txt", &[])).unwrap();
            s
        })
        .collect();
    kill("CONT", worker);
    let statuses: Vec<u16> = clients
        .iter_mut()
        .map(|s| read_response(s, false).status)
        .collect();
    assert!(
        statuses.iter().all(|&s| s == 200),
        "ulimit -n {limit}: {statuses:?}"
    );
}

/// A keep-alive connection whose next request was read in a loop turn is
/// not the idle one a full table gives up for a new connection in that
/// turn: its request is answered. The worker is held while a new client
/// connects and then the oldest kept connection sends a request, so one
/// turn sees the listener first and that request behind it.
#[test]
fn a_request_read_this_turn_is_not_evicted_for_a_new_connection() {
    let dir = TempDir::new("evict-read");
    dir.write("a.txt", "served\n");
    let server = Server::start(
        dir.path(),
        &["--max-connections", "4", "--workers", "1", "-q"],
    );
    let worker = first_worker(&server);
    // Four kept connections, each answered once: the first is the oldest.
    let mut kept: Vec<TcpStream> = (0..4)
        .map(|_| {
            let mut s = server.connect();
            assert_eq!(get_on(&mut s, "/a.txt", &[]).status, 200);
            s
        })
        .collect();
    kill("STOP", worker);
    let mut new = server.connect();
    new.write_all(&request("GET", "/a.txt", &[])).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    kept[0]
        .write_all(b"GET /a.txt HTTP/1.1\r\nHost: test\r\n\r\n")
        .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    kill("CONT", worker);
    let r = read_response(&mut kept[0], false);
    assert_eq!((r.status, r.body.as_slice()), (200, &b"served\n"[..]));
    let r = read_response(&mut new, false);
    assert_eq!(r.status, 200);
    // Another kept connection made the room.
    assert!(
        kept[1..]
            .iter_mut()
            .any(|s| time_to_close(s, WAIT).is_some())
    );
}
