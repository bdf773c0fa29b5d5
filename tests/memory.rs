//! Issue 11, memory per idle connection: once a keep-alive connection has
//! been idle for `IDLE_RELEASE_SECS`, the worker gives its buffers' pages
//! back, so holding many idle clients costs their slots, not 12 KiB each.
//! (`scripts/idle_connections.py` measures the same at 10,000 and more.)

mod common;

use common::{Server, TempDir, WAIT, read_response, status_field, workers};
use std::io::Write;
use std::time::{Duration, Instant};

/// Idle keep-alive connections held by the test: enough that their
/// buffers (12 KiB each) stand far above the noise of a worker's RSS,
/// few enough for the default descriptor limit.
const CONNECTIONS: usize = 400;

/// A request that keeps its connection.
const KEEP_ALIVE: &[u8] = b"GET /a.txt HTTP/1.1\r\nHost: test\r\n\r\n";

fn rss_kib(pid: i32) -> u64 {
    status_field(pid, "VmRSS")
        .trim_end_matches(" kB")
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn idle_connections_give_their_buffers_back() {
    let dir = TempDir::new("idle-memory");
    dir.write("a.txt", "hello\n");
    let server = Server::start(dir.path(), &["-w", "1", "-q", "--timeout", "120"]);
    let worker = workers(&server, 1)[0];
    assert_eq!(server.get("/a.txt", &[]).status, 200);
    let base = rss_kib(worker);
    let mut held = Vec::new();
    for _ in 0..CONNECTIONS {
        let mut s = server.connect();
        s.write_all(KEEP_ALIVE).unwrap();
        held.push(s);
    }
    for s in &mut held {
        assert_eq!(read_response(s, false).status, 200);
    }
    let busy = rss_kib(worker);
    // Each connection touched a page of input and one of output.
    assert!(
        busy >= base + (CONNECTIONS as u64 * 8) / 2,
        "{base} KiB -> {busy} KiB"
    );
    // Idle for 2 s, then given back at the next once-a-second sweep.
    let start = Instant::now();
    let mut now = busy;
    while now > base + CONNECTIONS as u64 / 2 && start.elapsed() < WAIT {
        std::thread::sleep(Duration::from_millis(200));
        now = rss_kib(worker);
    }
    let per_conn = (now.saturating_sub(base)) * 1024 / CONNECTIONS as u64;
    assert!(
        per_conn <= 512,
        "{per_conn} bytes per idle connection ({base} KiB -> {busy} KiB busy -> {now} KiB idle)"
    );
    // And every one of them is served again, from fresh pages.
    for s in &mut held {
        s.write_all(KEEP_ALIVE).unwrap();
    }
    for s in &mut held {
        let r = read_response(s, false);
        assert_eq!((r.status, r.body.as_slice()), (200, &b"hello\n"[..]));
    }
}
