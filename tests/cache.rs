//! Issue 11, the always-fresh file cache: every change on disk is seen by
//! the very next request, with the right body, ETag and Last-Modified.
//! Each test runs one worker (one cache), warms it with the same request
//! twice, changes the tree, and asks again on the same keep-alive
//! connection and on a new one. The last test shows the cache is really
//! there: once warm, a hit opens nothing.

mod common;

use common::{Server, TempDir, get_on as get, read_response};
use std::io::Write;
use std::net::TcpStream;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::Path;

/// The ETag and Last-Modified httpd gives `file` now.
fn validators(file: &Path) -> (String, String) {
    let m = std::fs::metadata(file).unwrap();
    let etag = format!("\"{:x}-{:x}-{:x}\"", m.len(), m.mtime(), m.mtime_nsec());
    let modified = httpdate::fmt_http_date(m.modified().unwrap());
    (etag, modified)
}

/// `path` answers 200 with exactly the bytes of `file` and its current
/// validators, on the kept connection and on a new one.
fn fresh(server: &Server, s: &mut TcpStream, path: &str, file: &Path) {
    let want = std::fs::read(file).unwrap();
    let (etag, modified) = validators(file);
    let kept = get(s, path, &[]);
    let new = server.get(path, &[]);
    for (how, r) in [("kept", kept), ("new", new)] {
        assert_eq!(r.status, 200, "{path} on a {how} connection: {r:?}");
        assert_eq!(r.body, want, "{path} on a {how} connection: stale body");
        assert_eq!(r.header("ETag"), Some(etag.as_str()), "{path}: ETag");
        assert_eq!(r.header("Last-Modified"), Some(modified.as_str()), "{path}");
        assert_eq!(
            r.header("Content-Length"),
            Some(want.len().to_string().as_str())
        );
    }
}

/// `path` answers `status` on the kept connection and on a new one.
fn status(server: &Server, s: &mut TcpStream, path: &str, status: u16) {
    assert_eq!(get(s, path, &[]).status, status, "{path}, kept connection");
    assert_eq!(
        server.get(path, &[]).status,
        status,
        "{path}, new connection"
    );
}

/// The calls in `syscalls` the worker `pid` makes while `run` runs, as
/// strace writes them (waits until strace is attached).
fn traced(pid: i32, syscalls: &str, tag: &Path, run: impl FnOnce()) -> String {
    let log = tag.with_extension(format!("strace-{}", syscalls.len()));
    let mut strace = std::process::Command::new("strace")
        .args(["-f", "-e", &format!("trace={syscalls}"), "-o"])
        .arg(&log)
        .args(["-p", &pid.to_string()])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Attached once it says so on stderr.
    let mut err = std::io::BufReader::new(strace.stderr.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut err, &mut line).unwrap();
    run();
    common::kill("INT", strace.id() as i32);
    strace.wait().unwrap();
    let trace = std::fs::read_to_string(&log).unwrap();
    let _ = std::fs::remove_file(&log);
    trace
}

/// One worker, so one cache sees every request.
fn start(dir: &TempDir) -> (Server, TcpStream) {
    let server = Server::start(dir.path(), &["-w", "1", "-q"]);
    let s = server.connect();
    (server, s)
}

/// The same request twice: the second is a hit.
fn warm(server: &Server, s: &mut TcpStream, path: &str) {
    for _ in 0..2 {
        get(s, path, &[]);
        server.get(path, &[]);
    }
}

#[test]
fn an_edit_in_place_is_seen() {
    let dir = TempDir::new("cache-edit");
    let f = dir.write("a.txt", "version one\n");
    let (server, mut s) = start(&dir);
    warm(&server, &mut s, "/a.txt");
    fresh(&server, &mut s, "/a.txt", &f);
    // Same length, same inode: only the bytes change.
    let mut file = std::fs::OpenOptions::new().write(true).open(&f).unwrap();
    file.write_all(b"version two\n").unwrap();
    drop(file);
    fresh(&server, &mut s, "/a.txt", &f);
    // Appended to.
    let mut file = std::fs::OpenOptions::new().append(true).open(&f).unwrap();
    file.write_all(b"and more\n").unwrap();
    drop(file);
    fresh(&server, &mut s, "/a.txt", &f);
}

#[test]
fn a_replace_by_rename_is_seen() {
    let dir = TempDir::new("cache-rename");
    let f = dir.write("site/app.js", "old();\n");
    let (server, mut s) = start(&dir);
    warm(&server, &mut s, "/site/app.js");
    dir.write("site/.app.js.tmp", "new();\n");
    std::fs::rename(dir.path().join("site/.app.js.tmp"), &f).unwrap();
    fresh(&server, &mut s, "/site/app.js", &f);
}

#[test]
fn a_delete_is_seen() {
    let dir = TempDir::new("cache-delete");
    let f = dir.write("d/gone.txt", "here\n");
    let (server, mut s) = start(&dir);
    warm(&server, &mut s, "/d/gone.txt");
    std::fs::remove_file(&f).unwrap();
    status(&server, &mut s, "/d/gone.txt", 404);
}

#[test]
fn a_chmod_000_is_seen() {
    let dir = TempDir::new("cache-chmod");
    let f = dir.write("secret.txt", "soon private\n");
    let (server, mut s) = start(&dir);
    warm(&server, &mut s, "/secret.txt");
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o000)).unwrap();
    // The server runs as `nobody` when started as root, else as the
    // test's user: either way, mode 000 is unreadable to it.
    status(&server, &mut s, "/secret.txt", 403);
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
    fresh(&server, &mut s, "/secret.txt", &f);
    // A directory on the way made unsearchable.
    let g = dir.write("locked/in.txt", "inside\n");
    warm(&server, &mut s, "/locked/in.txt");
    let locked = dir.path().join("locked");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    status(&server, &mut s, "/locked/in.txt", 403);
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    fresh(&server, &mut s, "/locked/in.txt", &g);
}

#[test]
fn a_new_file_over_a_cached_404_is_seen() {
    let dir = TempDir::new("cache-404");
    dir.write("index.html", "home\n");
    let (server, mut s) = start(&dir);
    for path in ["/late.txt", "/deep/er/late.txt", "/index.html/x"] {
        warm(&server, &mut s, path);
        status(&server, &mut s, path, 404);
    }
    let f = dir.write("late.txt", "arrived\n");
    fresh(&server, &mut s, "/late.txt", &f);
    // Its directories did not exist either.
    let f = dir.write("deep/er/late.txt", "arrived deep\n");
    fresh(&server, &mut s, "/deep/er/late.txt", &f);
    // A file that was in the way became a directory.
    std::fs::remove_file(dir.path().join("index.html")).unwrap();
    let f = dir.write("index.html/x", "now a directory\n");
    fresh(&server, &mut s, "/index.html/x", &f);
    // A precompressed sibling that appears is served to who accepts it.
    warm(&server, &mut s, "/late.txt");
    dir.write("late.txt.gz", "not really gzip");
    let r = get(&mut s, "/late.txt", &["Accept-Encoding: gzip"]);
    assert_eq!(r.header("Content-Encoding"), Some("gzip"));
    assert_eq!(r.body, b"not really gzip");
}

#[test]
fn a_directory_renamed_under_a_cached_file_is_seen() {
    let dir = TempDir::new("cache-dir-rename");
    let f = dir.write("docs/v1/page.html", "first\n");
    dir.write("docs/index.html", "docs home\n");
    let (server, mut s) = start(&dir);
    warm(&server, &mut s, "/docs/v1/page.html");
    warm(&server, &mut s, "/docs/");
    std::fs::rename(dir.path().join("docs"), dir.path().join("old-docs")).unwrap();
    status(&server, &mut s, "/docs/v1/page.html", 404);
    status(&server, &mut s, "/docs/", 404);
    fresh(
        &server,
        &mut s,
        "/old-docs/v1/page.html",
        &dir.path().join("old-docs/v1/page.html"),
    );
    // Another directory moved into its place: its files, not the old ones.
    dir.write("staging/v1/page.html", "second, longer\n");
    std::fs::rename(dir.path().join("staging"), dir.path().join("docs")).unwrap();
    fresh(&server, &mut s, "/docs/v1/page.html", &f);
    // A parent of a parent renamed.
    warm(&server, &mut s, "/docs/v1/page.html");
    std::fs::rename(dir.path().join("docs/v1"), dir.path().join("docs/v2")).unwrap();
    status(&server, &mut s, "/docs/v1/page.html", 404);
}

#[test]
fn a_symlink_re_pointed_is_seen() {
    let dir = TempDir::new("cache-symlink");
    dir.write("a.txt", "target a\n");
    let b = dir.write("b.txt", "target b, longer\n");
    dir.write("releases/1/app.js", "release 1\n");
    let r2 = dir.write("releases/2/app.js", "release two\n");
    symlink("a.txt", dir.path().join("current.txt")).unwrap();
    symlink("releases/1", dir.path().join("live")).unwrap();
    let (server, mut s) = start(&dir);
    warm(&server, &mut s, "/current.txt");
    warm(&server, &mut s, "/live/app.js");
    // `ln -sfn`, atomically: a new link renamed over the old one.
    symlink("b.txt", dir.path().join("tmp-link")).unwrap();
    std::fs::rename(dir.path().join("tmp-link"), dir.path().join("current.txt")).unwrap();
    fresh(&server, &mut s, "/current.txt", &b);
    symlink("releases/2", dir.path().join("tmp-live")).unwrap();
    std::fs::rename(dir.path().join("tmp-live"), dir.path().join("live")).unwrap();
    fresh(&server, &mut s, "/live/app.js", &r2);
    // The target edited through its own name.
    std::fs::write(&r2, "release two, patched\n").unwrap();
    fresh(&server, &mut s, "/live/app.js", &r2);
}

#[test]
fn a_truncation_is_seen() {
    let dir = TempDir::new("cache-truncate");
    let f = dir.write("log.txt", "a long first version of the file\n");
    let (server, mut s) = start(&dir);
    warm(&server, &mut s, "/log.txt");
    std::fs::OpenOptions::new()
        .write(true)
        .open(&f)
        .unwrap()
        .set_len(5)
        .unwrap();
    fresh(&server, &mut s, "/log.txt", &f);
    std::fs::OpenOptions::new()
        .write(true)
        .open(&f)
        .unwrap()
        .set_len(0)
        .unwrap();
    fresh(&server, &mut s, "/log.txt", &f);
}

#[test]
fn an_edit_through_another_hard_link_is_seen() {
    let dir = TempDir::new("cache-hardlink");
    let f = dir.write("pub/page.txt", "one\n");
    std::fs::create_dir_all(dir.path().join("elsewhere")).unwrap();
    let (server, mut s) = start(&dir);
    warm(&server, &mut s, "/pub/page.txt");
    // A new name in a directory no cached path crosses, then a write
    // through it: only the file's own watch can see this.
    std::fs::hard_link(&f, dir.path().join("elsewhere/alias.txt")).unwrap();
    fresh(&server, &mut s, "/pub/page.txt", &f);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .open(dir.path().join("elsewhere/alias.txt"))
        .unwrap();
    file.write_all(b"two\n").unwrap();
    drop(file);
    fresh(&server, &mut s, "/pub/page.txt", &f);
}

#[test]
fn a_thousand_edits_each_seen_by_the_next_request() {
    let dir = TempDir::new("cache-cycles");
    let f = dir.write("hot.json", "{}");
    dir.write("hot-neighbour.txt", "steady\n");
    let (_server, mut s) = start(&dir);
    for i in 0..1000 {
        // Lengths vary (so do the ETags, whatever the clock's grain), and
        // every other edit replaces the file rather than rewriting it.
        let body = format!("{{\"n\":{i},\"pad\":\"{}\"}}", "x".repeat(i % 37));
        if i % 2 == 0 {
            std::fs::write(&f, &body).unwrap();
        } else {
            let tmp = dir.path().join("hot.json.tmp");
            std::fs::write(&tmp, &body).unwrap();
            std::fs::rename(&tmp, &f).unwrap();
        }
        let r = get(&mut s, "/hot.json", &[]);
        assert_eq!(r.status, 200);
        assert_eq!(String::from_utf8_lossy(&r.body), body, "cycle {i}");
        assert_eq!(
            r.header("ETag"),
            Some(validators(&f).0.as_str()),
            "cycle {i}"
        );
        if i % 100 == 0 {
            let n = get(&mut s, "/hot-neighbour.txt", &[]);
            assert_eq!(n.body, b"steady\n");
        }
    }
}

#[test]
fn a_new_index_and_a_listing_are_seen() {
    let dir = TempDir::new("cache-index");
    dir.write("d/one.txt", "1\n");
    let (server, mut s) = start(&dir);
    warm(&server, &mut s, "/d/");
    assert!(get(&mut s, "/d/", &[]).text().contains("one.txt"));
    let f = dir.write("d/index.html", "<p>index now</p>\n");
    fresh(&server, &mut s, "/d/", &f);
    std::fs::remove_file(&f).unwrap();
    let r = get(&mut s, "/d/", &[]);
    assert!(r.text().contains("one.txt") && !r.text().contains("index now"));
}

#[test]
fn no_cache_still_serves() {
    let dir = TempDir::new("cache-off");
    let f = dir.write("a.txt", "plain\n");
    let server = Server::start(dir.path(), &["-w", "1", "-q", "--no-cache"]);
    let mut s = server.connect();
    fresh(&server, &mut s, "/a.txt", &f);
    std::fs::write(&f, "changed\n").unwrap();
    fresh(&server, &mut s, "/a.txt", &f);
}

/// The cache is really there: once warm, a small file is answered
/// without opening anything (counted by strace on the worker), and with
/// `--no-cache` every request opens its file.
#[test]
fn a_hit_opens_nothing() {
    if !common::have("strace") {
        println!("note: strace missing; skipped");
        return;
    }
    let dir = TempDir::new("cache-strace");
    dir.write("a.txt", "small\n");
    for (args, want_opens) in [
        (&["-w", "1", "-q"][..], false),
        (&["-w", "1", "-q", "--no-cache"][..], true),
    ] {
        let server = Server::start(dir.path(), args);
        let worker = common::workers(&server, 1)[0];
        let mut s = server.connect();
        warm(&server, &mut s, "/a.txt");
        let trace = traced(worker, "openat,openat2,fstat,pread64", dir.path(), || {
            for _ in 0..20 {
                assert_eq!(get(&mut s, "/a.txt", &[]).body, b"small\n");
            }
        });
        let opens = trace.lines().filter(|l| l.contains("open")).count();
        if want_opens {
            assert!(opens >= 20, "--no-cache opens every time:\n{trace}");
        } else {
            assert_eq!(opens, 0, "a warm hit opened something:\n{trace}");
        }
    }
}

/// A cached directory swapped for a symlink that leads out of the root:
/// what it held is gone (404), and nothing outside is ever served.
#[test]
fn a_directory_swapped_for_a_symlink_out_is_refused() {
    let dir = TempDir::new("cache-swap-out");
    dir.write("outside/b.txt", "OUTSIDE-SECRET");
    dir.write("www/sub/b.txt", "inside b\n");
    let www = dir.path().join("www");
    let server = Server::start(&www, &["-w", "1", "-q"]);
    let mut s = server.connect();
    warm(&server, &mut s, "/sub/b.txt");
    std::fs::rename(www.join("sub"), www.join("sub.old")).unwrap();
    symlink("../outside", www.join("sub")).unwrap();
    for _ in 0..2 {
        let r = get(&mut s, "/sub/b.txt", &[]);
        assert_eq!(r.status, 403, "{r:?}");
        assert!(!r.text().contains("OUTSIDE-SECRET"));
    }
}

/// A kept listing (HTML and JSON) is always the listing a server without
/// the cache renders now: after names come and go, a file grows, a
/// subdirectory changes inside (its time is shown) or is renamed.
#[test]
fn a_kept_listing_follows_every_change() {
    let dir = TempDir::new("cache-listing");
    dir.write("d/one.txt", "1\n");
    dir.write("d/sub/inner.txt", "in\n");
    let (_server, mut s) = start(&dir);
    let oracle = Server::start(dir.path(), &["-w", "1", "-q", "--no-cache"]);
    let d = dir.path().join("d");
    let check = |s: &mut TcpStream, what: &str| {
        for accept in ["Accept: text/html", "Accept: application/json"] {
            // Twice: the second answer comes from the cache.
            for _ in 0..2 {
                let got = get(s, "/d/", &[accept]);
                let want = oracle.get("/d/", &[accept]);
                assert_eq!(got.status, 200, "{what}");
                assert_eq!(got.text(), want.text(), "{what}, {accept}");
            }
        }
    };
    check(&mut s, "first");
    dir.write("d/two.txt", "2\n");
    check(&mut s, "a new file");
    std::fs::remove_file(d.join("one.txt")).unwrap();
    check(&mut s, "a file removed");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    std::fs::write(d.join("two.txt"), "grown to more bytes\n").unwrap();
    check(&mut s, "a file written");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    dir.write("d/sub/new.txt", "x");
    check(&mut s, "a file made in a subdirectory");
    std::fs::rename(d.join("sub"), d.join("renamed")).unwrap();
    check(&mut s, "a subdirectory renamed");
    std::fs::rename(&d, dir.path().join("e")).unwrap();
    assert_eq!(get(&mut s, "/d/", &[]).status, 404);
    std::fs::create_dir(&d).unwrap();
    check(&mut s, "a new, empty directory of the old name");
}

/// A warm listing reads no directory: no getdents64, no fstatat.
#[test]
fn a_kept_listing_reads_no_directory() {
    if !common::have("strace") {
        println!("note: strace missing; skipped");
        return;
    }
    let dir = TempDir::new("cache-listing-strace");
    for i in 0..50 {
        dir.write(&format!("d/f{i}.txt"), "x");
    }
    let server = Server::start(dir.path(), &["-w", "1", "-q"]);
    let worker = common::workers(&server, 1)[0];
    let mut s = server.connect();
    warm(&server, &mut s, "/d/");
    let trace = traced(worker, "getdents64,newfstatat,openat2", dir.path(), || {
        for _ in 0..10 {
            assert!(get(&mut s, "/d/", &[]).text().contains("f49.txt"));
        }
    });
    assert_eq!(
        trace
            .lines()
            .filter(|l| !l.contains("+++") && !l.contains("---"))
            .count(),
        0,
        "a kept listing read the directory:\n{trace}"
    );
}

/// The server's own writes are seen too: a request pipelined right
/// behind an upload's body gets the uploaded bytes.
#[test]
fn a_request_behind_an_upload_sees_it() {
    let dir = TempDir::new("cache-upload");
    dir.write("x.txt", "old");
    // Writable by the server's user (`nobody` when the tests run as root).
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let server = Server::start(dir.path(), &["-w", "1", "-q", "--upload-overwrite"]);
    let mut s = server.connect();
    warm(&server, &mut s, "/x.txt");
    s.write_all(
        b"PUT /x.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nNEW!\
GET /x.txt HTTP/1.1\r\nHost: t\r\n\r\n",
    )
    .unwrap();
    let put = read_response(&mut s, false);
    assert!(put.status == 201 || put.status == 204, "{put:?}");
    let r = read_response(&mut s, false);
    assert_eq!(r.body, b"NEW!");
}

/// Listings drop for names too long to cache a path of, and are not
/// kept when they show a file with another name elsewhere (a write
/// through that name is no event in the listed directory).
#[test]
fn a_listing_sees_long_names_and_hard_linked_files() {
    let dir = TempDir::new("cache-listing-edge");
    dir.write("www/sub/a.txt", "x");
    let big = dir.write("www/sub/big.bin", vec![b'b'; 5000]);
    std::fs::hard_link(&big, dir.path().join("outside.bin")).unwrap();
    let www = dir.path().join("www");
    let server = Server::start(&www, &["-w", "1", "-q"]);
    let mut s = server.connect();
    let json = ["Accept: application/json"];
    warm(&server, &mut s, "/sub/");
    get(&mut s, "/sub/", &json);
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.path().join("outside.bin"))
        .unwrap();
    file.write_all(&[b'c'; 3000]).unwrap();
    drop(file);
    assert!(get(&mut s, "/sub/", &json).text().contains("\"size\":8000"));
    let long = "L".repeat(140);
    dir.write(&format!("www/sub/{long}"), "hello");
    assert!(get(&mut s, "/sub/", &json).text().contains(&long));
}

/// The root itself moved: the cache starts afresh on a new inotify
/// descriptor, made under the worker's seccomp filter (sandbox on), and
/// the worker goes on serving the directory it opened.
#[test]
fn the_root_moved_starts_the_cache_afresh_inside_the_sandbox() {
    let dir = TempDir::new("cache-root-moved");
    dir.write("www/a.txt", "served\n");
    let www = dir.path().join("www");
    let server = Server::start(&www, &["-w", "1"]);
    let mut s = server.connect();
    warm(&server, &mut s, "/a.txt");
    std::fs::rename(&www, dir.path().join("moved")).unwrap();
    let moved = dir.path().join("moved/a.txt");
    fresh(&server, &mut s, "/a.txt", &moved);
    std::fs::write(&moved, "edited after the restart\n").unwrap();
    fresh(&server, &mut s, "/a.txt", &moved);
    assert!(!server.log().contains("SIGSYS"), "{}", server.log());
}
