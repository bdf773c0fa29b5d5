//! Issue 10, for operators: socket activation (with systemd's own
//! `systemd-socket-activate`, and a restart that keeps the socket), Unix
//! sockets, `--log FILE`, and the signals: SIGHUP reloads (a symlink-swap
//! deploy under load, with no request failed), SIGUSR1 reopens the log,
//! and no signal ends the server without a word.

mod common;

use common::{TempDir, WAIT, have, read_response, request};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const HTTPD: &str = env!("CARGO_BIN_EXE_httpd");

/// A free TCP port on 127.0.0.1 (bound, then released).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// GET `path` on a new connection to `port`; the status and body, or the
/// error.
fn get(port: u16, path: &str) -> std::io::Result<(u16, Vec<u8>)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(WAIT))?;
    s.write_all(&request("GET", path, &[]))?;
    let mut all = Vec::new();
    s.read_to_end(&mut all)?;
    let (r, body) = common::split_head(&all);
    Ok((r.status, body))
}

/// Waits until `text()` contains `needle`; all of it.
fn wait_for(text: impl Fn() -> String, needle: &str) -> String {
    let start = Instant::now();
    loop {
        let t = text();
        if t.contains(needle) || start.elapsed() > WAIT {
            return t;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Collects a child's stream into a shared string.
fn collect(stream: impl Read + Send + 'static) -> Arc<Mutex<String>> {
    common::collect(stream)
}

fn wait_exit(child: &mut Child) -> Option<i32> {
    let start = Instant::now();
    while start.elapsed() < WAIT {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

fn kill(sig: &str, pid: u32) {
    common::kill(sig, pid as i32);
}

#[test]
fn systemd_socket_activate_passes_two_sockets() {
    if !have("systemd-socket-activate") {
        panic!("systemd-socket-activate is missing (Debian package systemd)");
    }
    let site = TempDir::new("activate");
    site.write("a.txt", "activated\n");
    let (p4, p6) = (free_port(), free_port());
    let mut child = Command::new("systemd-socket-activate")
        .args([
            "-l",
            &format!("127.0.0.1:{p4}"),
            "-l",
            &format!("[::1]:{p6}"),
        ])
        .args([HTTPD, "-d", site.path().to_str().unwrap()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = collect(child.stdout.take().unwrap());
    let stderr = collect(child.stderr.take().unwrap());
    // The activator listens first, and starts httpd on the first client.
    let start = Instant::now();
    let first = loop {
        match get(p4, "/a.txt") {
            Ok(answer) => break answer,
            Err(_) if start.elapsed() < WAIT => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => panic!("{e}; {}", stderr.lock().unwrap()),
        }
    };
    assert_eq!(first, (200, b"activated\n".to_vec()));
    // The second socket, IPv6, is served too.
    let mut s = TcpStream::connect(("::1", p6)).unwrap();
    s.set_read_timeout(Some(WAIT)).unwrap();
    s.write_all(&request("GET", "/a.txt", &[])).unwrap();
    assert_eq!(read_response(&mut s, false).status, 200);
    let banner = wait_for(|| stdout.lock().unwrap().clone(), "[::1]");
    assert!(
        banner.contains(&format!(
            "Serving HTTP on 127.0.0.1 port {p4} (http://127.0.0.1:{p4}/) ..."
        )) && banner.contains(&format!(
            "Serving HTTP on ::1 port {p6} (http://[::1]:{p6}/) ..."
        )),
        "{banner}"
    );
    kill("TERM", child.id());
    assert_eq!(wait_exit(&mut child), Some(0));
}

/// Starts httpd on `listener` the way systemd does: fd 3, `LISTEN_FDS=1`
/// and `LISTEN_PID` set to httpd's own pid (the shell's `$$`, which
/// `exec` keeps).
fn activated(listener: &TcpListener, dir: &Path, extra: &str) -> (Child, Arc<Mutex<String>>) {
    let fd = OwnedFd::from(listener.try_clone().unwrap());
    let script = format!(
        "exec 3<&0 0</dev/null; LISTEN_PID=$$ LISTEN_FDS=1 exec {HTTPD} -d {} {extra}",
        dir.display()
    );
    let mut child = Command::new("sh")
        .args(["-c", &script])
        .env_remove("LISTEN_PID")
        .stdin(Stdio::from(fd))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = collect(child.stdout.take().unwrap());
    let err = collect(child.stderr.take().unwrap());
    let said = wait_for(|| out.lock().unwrap().clone(), "Serving HTTP");
    assert!(said.contains("Serving HTTP on 127.0.0.1"), "{said}");
    (child, err)
}

/// Clients that each make requests on new connections until told to
/// stop; every answer must be a 200 with one of `bodies`.
struct Load {
    stop: Arc<AtomicBool>,
    done: Arc<AtomicUsize>,
    failures: Arc<Mutex<Vec<String>>>,
    seen: Arc<Mutex<Vec<Vec<u8>>>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Load {
    fn start(port: u16, clients: usize) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicUsize::new(0));
        let failures = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let threads = (0..clients)
            .map(|_| {
                let (stop, done, failures, seen) =
                    (stop.clone(), done.clone(), failures.clone(), seen.clone());
                std::thread::spawn(move || {
                    while !stop.load(Ordering::SeqCst) {
                        match get(port, "/v.txt") {
                            Ok((200, body)) => {
                                let mut seen = seen.lock().unwrap();
                                if seen.last() != Some(&body) {
                                    seen.push(body);
                                }
                            }
                            other => failures.lock().unwrap().push(format!("{other:?}")),
                        }
                        done.fetch_add(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        Load {
            stop,
            done,
            failures,
            seen,
            threads,
        }
    }

    /// Waits until `n` more requests have been answered.
    fn pass(&self, n: usize) {
        let target = self.done.load(Ordering::SeqCst) + n;
        let start = Instant::now();
        while self.done.load(Ordering::SeqCst) < target && start.elapsed() < WAIT {
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Stops the clients; the failures and the bodies seen, in order.
    fn finish(self) -> (usize, Vec<String>, Vec<Vec<u8>>) {
        self.stop.store(true, Ordering::SeqCst);
        for t in self.threads {
            t.join().unwrap();
        }
        let failures = self.failures.lock().unwrap().clone();
        let seen = self.seen.lock().unwrap().clone();
        (self.done.load(Ordering::SeqCst), failures, seen)
    }
}

#[test]
fn a_restart_on_a_kept_socket_refuses_no_client() {
    let site = TempDir::new("restart");
    site.write("v.txt", "same\n");
    // The test holds the socket, as systemd does across restarts.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (mut old, _) = activated(&listener, site.path(), "-w 1");
    let load = Load::start(port, 4);
    load.pass(50);
    // Stop the old server; clients queue on the socket meanwhile, and the
    // new server takes them.
    kill("TERM", old.id());
    assert_eq!(wait_exit(&mut old), Some(0));
    // No server for a moment: the clients' connections queue.
    std::thread::sleep(Duration::from_millis(300));
    let (mut new, _) = activated(&listener, site.path(), "-w 1");
    load.pass(100);
    let (done, failures, _) = load.finish();
    assert!(failures.is_empty(), "{failures:?} of {done}");
    kill("TERM", new.id());
    assert_eq!(wait_exit(&mut new), Some(0));
}

#[test]
fn bad_activation_is_one_line_and_exit_1() {
    for (env, fd3, needle) in [
        (
            "LISTEN_PID=1 LISTEN_FDS=1",
            "/dev/null",
            "LISTEN_PID is not this process",
        ),
        (
            "LISTEN_PID=$$ LISTEN_FDS=x",
            "/dev/null",
            "must be positive numbers",
        ),
        (
            "LISTEN_PID=$$ LISTEN_FDS=1",
            "/dev/null",
            "fd 3 is not a listening TCP or Unix stream socket",
        ),
    ] {
        let script = format!("exec 3<{fd3}; {env} exec {HTTPD} -d /");
        let out = Command::new("sh").args(["-c", &script]).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{env}: {err}");
        assert!(err.contains(needle) && err.lines().count() == 1, "{err}");
    }
}

/// Runs httpd with `args`; the child, its banner line and its stderr.
fn spawn(args: &[&str]) -> (Child, String, Arc<Mutex<String>>) {
    let mut child = Command::new(HTTPD)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut banner = String::new();
    out.read_line(&mut banner).unwrap();
    let err = collect(child_stderr(&mut child));
    (child, banner, err)
}

/// Starts httpd on a Unix socket; the child and its stderr.
fn on_unix(sock: &Path, dir: &Path, extra: &[&str]) -> (Child, Arc<Mutex<String>>) {
    let bind = format!("unix:{}", sock.display());
    let mut args = vec!["--bind", &bind, "-d", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    let (child, banner, err) = spawn(&args);
    let want = format!("Serving HTTP on unix:{} ...\n", sock.display());
    if banner != want {
        std::thread::sleep(Duration::from_millis(200));
        panic!("{banner:?}; stderr: {}", err.lock().unwrap());
    }
    (child, err)
}

fn child_stderr(child: &mut Child) -> impl Read + Send + 'static {
    child.stderr.take().unwrap()
}

fn unix_get(sock: &Path, path: &str) -> (u16, Vec<u8>) {
    let mut s = UnixStream::connect(sock).unwrap();
    s.set_read_timeout(Some(WAIT)).unwrap();
    s.write_all(&request("GET", path, &[])).unwrap();
    let mut all = Vec::new();
    s.read_to_end(&mut all).unwrap();
    let (r, body) = common::split_head(&all);
    (r.status, body)
}

#[test]
fn a_unix_socket_for_a_reverse_proxy() {
    let site = TempDir::new("unix");
    site.write("a.txt", "over unix\n");
    let sock = site.path().join("httpd.sock");
    let (mut first, err) = on_unix(&sock, site.path(), &[]);
    assert_eq!(unix_get(&sock, "/a.txt"), (200, b"over unix\n".to_vec()));
    // The proxy runs as another user: anyone may connect (the directory
    // decides who reaches the socket).
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&sock).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o666);
    // The client "address" in the log is `unix`.
    let log = wait_for(|| err.lock().unwrap().clone(), "GET /a.txt");
    assert!(log.starts_with("unix - - ["), "{log}");
    // A second server is refused while the first listens.
    let out = Command::new(HTTPD)
        .args(["--bind", &format!("unix:{}", sock.display()), "-d", "/"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("another server is listening on unix:"),
        "{said}"
    );
    // A socket left behind by a killed server is stale: replaced.
    first.kill().unwrap();
    first.wait().unwrap();
    // Its workers follow it (their parent-death signal) and close the
    // socket; until then it is not stale.
    let start = Instant::now();
    while UnixStream::connect(&sock).is_ok() && start.elapsed() < WAIT {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(sock.exists());
    let (mut second, _) = on_unix(&sock, site.path(), &[]);
    assert_eq!(unix_get(&sock, "/a.txt").0, 200);
    second.kill().unwrap();
    second.wait().unwrap();
    // Anything that is not a socket is never removed.
    let file = site.write("precious.txt", "keep me\n");
    let out = Command::new(HTTPD)
        .args(["--bind", &format!("unix:{}", file.display()), "-d", "/"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("will not replace what is not a socket"),
        "{said}"
    );
    assert_eq!(std::fs::read(&file).unwrap(), b"keep me\n");
    // Usage errors: exit 2.
    let long = format!("unix:/{}", "x".repeat(200));
    for bad in ["unix:", long.as_str()] {
        let out = Command::new(HTTPD).args(["--bind", bad]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}");
    }
}

/// Starts `httpd -d DIR ARGS` on a free port of 127.0.0.1; the child, its
/// port and its stderr.
fn start(dir: &Path, args: &[&str]) -> (Child, u16, Arc<Mutex<String>>) {
    let mut all = vec!["0", "-b", "127.0.0.1", "-d", dir.to_str().unwrap()];
    all.extend_from_slice(args);
    let (child, banner, err) = spawn(&all);
    let port = banner
        .split(" port ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("{banner}"));
    (child, port, err)
}

#[test]
fn sighup_follows_a_symlink_swap_under_load() {
    let base = TempDir::new("deploy");
    base.write("releases/v1/v.txt", "v1\n");
    base.write("releases/v2/v.txt", "v2\n");
    base.write("releases/v3/v.txt", "v3\n");
    let current = base.path().join("current");
    std::os::unix::fs::symlink("releases/v1", &current).unwrap();
    let (mut server, port, err) = start(&current, &["-w", "2", "-q"]);
    let load = Load::start(port, 4);
    load.pass(50);
    for (n, next) in ["releases/v2", "releases/v3"].iter().enumerate() {
        // `ln -sfn`: a new link renamed over the old one.
        let tmp = base.path().join("current.tmp");
        std::os::unix::fs::symlink(next, &tmp).unwrap();
        std::fs::rename(&tmp, &current).unwrap();
        kill("HUP", server.id());
        let start = Instant::now();
        while err.lock().unwrap().matches("reloaded").count() <= n && start.elapsed() < WAIT {
            std::thread::sleep(Duration::from_millis(20));
        }
        let said = err.lock().unwrap().clone();
        assert_eq!(said.matches("reloaded").count(), n + 1, "{said}");
        load.pass(200);
    }
    let (done, failures, seen) = load.finish();
    assert!(failures.is_empty(), "{failures:?} of {done}");
    // Every client saw the releases in order, ending with the last.
    let seen: Vec<String> = seen
        .iter()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect();
    assert_eq!(get(port, "/v.txt").unwrap(), (200, b"v3\n".to_vec()));
    assert!(
        seen.iter()
            .all(|b| ["v1\n", "v2\n", "v3\n"].contains(&b.as_str()))
    );
    // The old workers finished and exited; the server goes on.
    assert!(server.try_wait().unwrap().is_none());
    kill("TERM", server.id());
    assert_eq!(wait_exit(&mut server), Some(0));
}

#[test]
fn sighup_picks_up_a_rebuilt_directory() {
    let base = TempDir::new("rebuild");
    base.write("dist/index.html", "old build\n");
    let dist = base.path().join("dist");
    let (mut server, port, err) = start(&dist, &["-w", "1", "-q"]);
    assert_eq!(get(port, "/").unwrap().0, 200);
    // `rm -rf dist && build`: the served directory is gone.
    std::fs::remove_dir_all(&dist).unwrap();
    base.write("dist/index.html", "new build\n");
    assert_eq!(get(port, "/").unwrap().0, 404);
    kill("HUP", server.id());
    wait_for(|| err.lock().unwrap().clone(), "reloaded");
    let start = Instant::now();
    while get(port, "/").unwrap().0 != 200 && start.elapsed() < WAIT {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(get(port, "/").unwrap(), (200, b"new build\n".to_vec()));
    // A directory that is gone at the reload: the old one stays served,
    // and the server says so.
    std::fs::rename(&dist, base.path().join("moved")).unwrap();
    kill("HUP", server.id());
    let said = wait_for(|| err.lock().unwrap().clone(), "still serving the old one");
    assert!(said.contains("still serving the old one"), "{said}");
    assert!(server.try_wait().unwrap().is_none());
    kill("TERM", server.id());
    assert_eq!(wait_exit(&mut server), Some(0));
}

/// Reopening after logrotate is in tests/logs.rs.
#[test]
fn an_unopenable_log_is_one_line_and_exit_1() {
    // Opened as root, the log must not be a way to write elsewhere: a
    // symlink or a second hard link is refused, and the file it names
    // is left as it was.
    let dir = TempDir::new("logtrap");
    let precious = dir.write("precious", "keep\n");
    let link = dir.path().join("sym.log");
    std::os::unix::fs::symlink(&precious, &link).unwrap();
    let hard = dir.path().join("hard.log");
    std::fs::hard_link(&precious, &hard).unwrap();
    for (log, why) in [
        (&link, "symbolic links"),
        (&hard, "not a regular file with one link"),
    ] {
        let out = Command::new(HTTPD)
            .args(["0", "-d", "/", "--log", log.to_str().unwrap()])
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{said}");
        assert!(said.contains(why) && said.lines().count() == 1, "{said}");
    }
    assert_eq!(std::fs::read(&precious).unwrap(), b"keep\n");
    if common::is_root() {
        // A log this start creates goes to the --user, so it can be
        // opened again after a reload; one that was there stays its
        // owner's.
        use std::os::unix::fs::MetadataExt;
        let kept = dir.write("kept.log", "");
        for (log, uid) in [(dir.path().join("new.log"), 65534), (kept, 0)] {
            let (mut server, _, _) = start(dir.path(), &["--log", log.to_str().unwrap()]);
            assert_eq!(
                std::fs::metadata(&log).unwrap().uid(),
                uid,
                "{}",
                log.display()
            );
            kill("TERM", server.id());
            assert_eq!(wait_exit(&mut server), Some(0));
        }
    }
    let out = Command::new(HTTPD)
        .args(["0", "-d", "/", "--log", "/nonexistent/dir/access.log"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("cannot open the log") && said.lines().count() == 1,
        "{said}"
    );
}

#[test]
fn no_signal_ends_the_server_silently() {
    let site = TempDir::new("signals");
    site.write("a.txt", "a\n");
    let (mut server, port, err) = start(site.path(), &["-w", "1"]);
    for sig in ["USR2", "ALRM"] {
        kill(sig, server.id());
        let said = wait_for(|| err.lock().unwrap().clone(), "signal ignored");
        assert!(said.contains("signal ignored"), "{sig}: {said}");
        assert_eq!(get(port, "/a.txt").unwrap().0, 200, "{sig}");
    }
    // SIGUSR1 without --log: nothing to reopen; still served.
    kill("USR1", server.id());
    wait_for(|| err.lock().unwrap().clone(), "SIGUSR1");
    assert_eq!(get(port, "/a.txt").unwrap().0, 200);
    // SIGQUIT stops gracefully, as SIGTERM does.
    kill("QUIT", server.id());
    assert_eq!(wait_exit(&mut server), Some(0));
}

#[test]
fn bad_values_of_the_new_options_are_usage_errors() {
    for args in [
        &["--max-age", "-1"][..],
        &["--max-age", "31536001"],
        &["--max-age", "soon"],
        &["--log-format", "xml"],
        &["--log-format"],
        &["--log", ""],
        &["--404="],
        &["--clean-urls=yes"],
        &["--immutable-hashed=1"],
        &["--check"],
    ] {
        let out = Command::new(HTTPD).args(args).output().unwrap();
        let said = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {said}");
        let first = said.lines().next().unwrap_or("");
        assert!(
            first.starts_with("httpd: ") && said.contains("usage: httpd"),
            "{args:?}: {said}"
        );
    }
    // A --404 page that is not a file beneath the directory: exit 1.
    let site = TempDir::new("bad404");
    site.write("sub/x.txt", "x");
    for page in ["missing.html", "sub", "../etc/passwd"] {
        let out = Command::new(HTTPD)
            .args(["0", "-d", site.path().to_str().unwrap(), "--404", page])
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{page}: {said}");
        assert!(
            said.contains("cannot serve --404") && said.lines().count() == 1,
            "{said}"
        );
    }
}
