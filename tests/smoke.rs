//! The smallest end-to-end check: the real binary serves a file.

mod common;
use common::*;

#[test]
fn serves_a_file_and_logs_it() {
    let dir = TempDir::new("smoke");
    dir.write("a.txt", "hello\n");
    let server = Server::start(dir.path(), &[]);
    let r = server.get("/a.txt", &[]);
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"hello\n");
    assert_eq!(r.header("Content-Type"), Some("text/plain; charset=utf-8"));
    let log = server.wait_log("\"GET /a.txt HTTP/1.1\" 200 6");
    assert!(log.contains("127.0.0.1 - - ["), "{log}");
}
