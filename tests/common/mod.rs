//! Shared helpers for the integration tests: a fixture directory, the real
//! `httpd` binary started on an ephemeral port, and a small raw HTTP/1.1
//! client over `std::net::TcpStream` (responses parsed with `httparse`).

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Generous bound for anything a test waits on: the CI machine is small
/// and may be busy.
pub const WAIT: Duration = Duration::from_secs(20);

/// A temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let path =
            std::env::temp_dir().join(format!("httpd-test-{}-{tag}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `contents` at `rel`, creating parent directories.
    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.0.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, contents).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running `httpd`, killed on drop.
pub struct Server {
    pub child: Child,
    pub port: u16,
    /// `127.0.0.1` or `::1`: what clients connect to.
    pub host: String,
    /// Everything the server wrote to stderr so far (the access log).
    pub stderr: Arc<Mutex<String>>,
    /// Everything the server wrote to stdout after the banner.
    pub stdout: Arc<Mutex<String>>,
    /// The banner line from stdout.
    pub banner: String,
}

impl Server {
    /// Starts `httpd 0 -b 127.0.0.1 -d DIR ARGS...`.
    pub fn start(dir: &Path, args: &[&str]) -> Server {
        let mut all = vec!["0", "-b", "127.0.0.1", "-d", dir.to_str().unwrap()];
        all.extend_from_slice(args);
        Server::start_args(&all, "127.0.0.1")
    }

    /// Starts `httpd ARGS...` exactly as given; `host` is what to connect to.
    pub fn start_args(args: &[&str], host: &str) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_httpd"));
        command.args(args);
        Server::spawn(command, host)
    }

    /// Runs `command` (which starts httpd, possibly through a wrapper such
    /// as `setpriv`), reads the banner for the port, and keeps everything
    /// printed afterwards on stdout and stderr.
    pub fn spawn(mut command: Command, host: &str) -> Server {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn httpd");
        let stderr = collect(child.stderr.take().unwrap());
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut banner = String::new();
        out.read_line(&mut banner).expect("banner");
        let stdout = collect(out);
        let port = banner
            .split(" port ")
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| {
                panic!(
                    "no port in banner {banner:?}; stderr: {}",
                    stderr.lock().unwrap()
                )
            });
        Server {
            child,
            port,
            host: host.to_string(),
            stderr,
            stdout,
            banner,
        }
    }

    /// A new connection with generous timeouts.
    pub fn connect(&self) -> TcpStream {
        connect_to(&self.host, self.port).expect("connect")
    }

    /// Sends `raw` on a new connection and reads one response.
    pub fn request(&self, raw: &[u8]) -> Response {
        let mut s = self.connect();
        s.write_all(raw).unwrap();
        let head_only = raw.starts_with(b"HEAD ");
        read_response(&mut s, head_only)
    }

    /// `GET path` with `Connection: close` and extra header lines.
    pub fn get(&self, path: &str, headers: &[&str]) -> Response {
        self.request(&request("GET", path, headers))
    }

    /// The access log so far.
    pub fn log(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits until the log contains `needle`.
    pub fn wait_log(&self, needle: &str) -> String {
        let start = Instant::now();
        loop {
            let log = self.log();
            if log.contains(needle) || start.elapsed() > WAIT {
                return log;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until what the server printed after the banner contains
    /// `needle`; all of it.
    pub fn wait_stdout(&self, needle: &str) -> String {
        let start = Instant::now();
        loop {
            let said = self.stdout.lock().unwrap().clone();
            if said.contains(needle) || start.elapsed() > WAIT {
                return said;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// True while the server process runs.
    pub fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// Sends a signal to the server process.
    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{sig}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
    }

    /// Waits for the server to exit; its status code.
    pub fn wait_exit(&mut self) -> Option<i32> {
        let start = Instant::now();
        while start.elapsed() < WAIT {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Kill the whole process group's workers too: SIGKILL to the
        // supervisor makes the kernel send them SIGTERM (PDEATHSIG).
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Collects everything `stream` yields, in a thread, into a string.
pub fn collect(mut stream: impl Read + Send + 'static) -> Arc<Mutex<String>> {
    let text = Arc::new(Mutex::new(String::new()));
    let sink = text.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stream.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    text
}

/// A request with `Host` and `Connection: close`, plus `headers`.
pub fn request(method: &str, path: &str, headers: &[&str]) -> Vec<u8> {
    let mut raw = format!("{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n");
    for h in headers {
        raw.push_str(h);
        raw.push_str("\r\n");
    }
    raw.push_str("\r\n");
    raw.into_bytes()
}

/// `GET path` with extra header lines on the kept connection `s`, which
/// stays open (no `Connection: close`), and its response.
pub fn get_on(s: &mut TcpStream, path: &str, headers: &[&str]) -> Response {
    let mut raw = format!("GET {path} HTTP/1.1\r\nHost: test\r\n");
    for h in headers {
        raw.push_str(h);
        raw.push_str("\r\n");
    }
    raw.push_str("\r\n");
    s.write_all(raw.as_bytes()).unwrap();
    read_response(s, false)
}

/// A parsed response.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub reason: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Reads exactly one response head from `s` (up to and including the
/// blank line), raw, a byte at a time so that nothing after it is consumed.
pub fn read_head(s: &mut impl Read) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        match s.read(&mut byte) {
            Ok(1) => buf.push(byte[0]),
            other => panic!(
                "connection ended inside a response head: {other:?} after {:?}",
                String::from_utf8_lossy(&buf)
            ),
        }
    }
    buf
}

/// Reads one response from `s`: the head, then `Content-Length` bytes of
/// body (none for HEAD, 204 and 304), or up to EOF without a length.
pub fn read_response(s: &mut impl Read, head_only: bool) -> Response {
    let buf = read_head(s);
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut parsed = httparse::Response::new(&mut headers);
    assert!(parsed.parse(&buf).unwrap().is_complete());
    let status = parsed.code.unwrap();
    let resp_headers: Vec<(String, String)> = parsed
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_string(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect();
    let mut resp = Response {
        status,
        reason: parsed.reason.unwrap_or("").to_string(),
        headers: resp_headers,
        body: Vec::new(),
    };
    if head_only || status == 204 || status == 304 {
        return resp;
    }
    match resp
        .header("Content-Length")
        .map(|v| v.parse::<usize>().unwrap())
    {
        Some(len) => {
            resp.body = vec![0; len];
            s.read_exact(&mut resp.body).expect("body");
        }
        None => {
            s.read_to_end(&mut resp.body).unwrap();
        }
    }
    resp
}

/// Everything after the first response head in `all` (what a server sent
/// until it closed): the parsed head, and every byte after it, so that a
/// body's real length (or "no body at all") can be asserted.
pub fn split_head(all: &[u8]) -> (Response, Vec<u8>) {
    let end = all
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no complete head in {:?}", String::from_utf8_lossy(all)))
        + 4;
    let head = read_response(&mut &all[..end], true);
    (head, all[end..].to_vec())
}

/// Header name/value pairs (names lowercased) without `Date`, which may
/// tick between two requests.
pub fn headers_without_date(r: &Response) -> Vec<(String, String)> {
    r.headers
        .iter()
        .filter(|(n, _)| !n.eq_ignore_ascii_case("date"))
        .map(|(n, v)| (n.to_ascii_lowercase(), v.clone()))
        .collect()
}

/// The ETag of `r`, checked to be a strong entity tag: `"opaque"` with
/// no `W/` and no inner quote (RFC 9110 §8.8.3).
pub fn strong_etag(r: &Response) -> String {
    let tag = r
        .header("ETag")
        .unwrap_or_else(|| panic!("no ETag in {:?}", r.headers))
        .to_string();
    assert!(
        tag.len() >= 3
            && tag.starts_with('"')
            && tag.ends_with('"')
            && !tag[1..tag.len() - 1].contains('"'),
        "not a strong entity tag: {tag:?}"
    );
    tag
}

/// A new connection to `host`:`port` with generous timeouts.
pub fn connect_to(host: &str, port: u16) -> std::io::Result<TcpStream> {
    let s = TcpStream::connect((host, port))?;
    s.set_read_timeout(Some(WAIT))?;
    s.set_write_timeout(Some(WAIT))?;
    Ok(s)
}

/// Reads until EOF; true if the peer closed within `WAIT`.
pub fn closed_by_peer(s: &mut TcpStream) -> bool {
    let mut buf = [0u8; 1024];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}

/// Half-closes our side (the server then sees EOF after the request).
pub fn finish_writing(s: &TcpStream) {
    let _ = s.shutdown(Shutdown::Write);
}

/// Sends `sig` (e.g. "KILL") to process `pid`.
pub fn kill(sig: &str, pid: i32) {
    let ok = Command::new("kill")
        .args([&format!("-{sig}"), &pid.to_string()])
        .status()
        .unwrap();
    assert!(ok.success(), "kill -{sig} {pid}");
}

/// Fields of /proc/PID/stat after the command name: state, ppid, ...
pub fn proc_stat(pid: i32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 1..];
    Some(after.split_whitespace().map(str::to_string).collect())
}

/// The pid of the server's first worker, once forked (the banner comes
/// before the workers): waits up to 10 s.
pub fn first_worker(server: &Server) -> i32 {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if let Some(&w) = children_of(server.child.id()).first() {
            return w;
        }
        assert!(std::time::Instant::now() < deadline, "no worker");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// The live (not zombie) children of `pid`, found by scanning /proc.
pub fn children_of(pid: u32) -> Vec<i32> {
    let mut kids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(p) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        if let Some(f) = proc_stat(p)
            && f.get(1).map(String::as_str) == Some(&pid.to_string())
            && f[0] != "Z"
        {
            kids.push(p);
        }
    }
    kids.sort();
    kids
}

/// Waits until `server` has exactly `n` worker processes; their pids.
pub fn workers(server: &Server, n: usize) -> Vec<i32> {
    let start = Instant::now();
    loop {
        let kids = children_of(server.child.id());
        if kids.len() == n {
            return kids;
        }
        assert!(
            start.elapsed() < WAIT,
            "expected {n} workers, found {kids:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Makes `syscalls` fail with ENOSYS in the process `command` starts (a
/// seccomp filter installed between fork and exec), as a kernel without
/// them, or gVisor, would answer.
pub fn answer_enosys(command: &mut Command, syscalls: &[i64]) {
    use std::os::unix::process::CommandExt;
    let stmt = |code: u32, jt: usize, k: u32| libc::sock_filter {
        code: code as u16,
        jt: jt as u8,
        jf: 0,
        k,
    };
    let n = syscalls.len();
    // ld nr; one `jeq nr -> ret ENOSYS` per syscall; ret ALLOW; ret ENOSYS.
    let mut filter = vec![stmt(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, 0, 0)];
    for (i, &nr) in syscalls.iter().enumerate() {
        filter.push(stmt(
            libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K,
            n - i,
            nr as u32,
        ));
    }
    filter.push(stmt(
        libc::BPF_RET | libc::BPF_K,
        0,
        libc::SECCOMP_RET_ALLOW,
    ));
    filter.push(stmt(
        libc::BPF_RET | libc::BPF_K,
        0,
        libc::SECCOMP_RET_ERRNO | libc::ENOSYS as u32,
    ));
    // SAFETY: between fork and exec the child only makes two prctl calls
    // on data the closure owns (built before the fork).
    unsafe {
        command.pre_exec(move || {
            let program = libc::sock_fprog {
                len: filter.len() as u16,
                filter: filter.as_ptr() as *mut _,
            };
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
                || libc::prctl(
                    libc::PR_SET_SECCOMP,
                    libc::SECCOMP_MODE_FILTER,
                    &program as *const _,
                ) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Where Debian puts headless Chromium (tests skip, with a note, without it).
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// Runs headless Chromium with `extra` args then `--dump-dom url`, in a fresh
/// profile, killed (with its whole process group) after 60 s. The DOM.
pub fn chromium_dump_dom(url: &str, extra: &[&str]) -> String {
    use std::os::unix::process::CommandExt;
    let profile = TempDir::new("chromium-profile");
    let mut cmd = Command::new(CHROMIUM);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ])
    .arg(format!("--user-data-dir={}", profile.path().display()))
    .args(extra)
    .arg("--dump-dom")
    .arg(url)
    .env("HOME", profile.path())
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .process_group(0);
    let mut child = cmd.spawn().expect("spawn chromium");
    let pgid = child.id();
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let kill_group = || {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{pgid}")])
            .stderr(Stdio::null())
            .status();
    };
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if start.elapsed() > Duration::from_secs(60) {
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    // Whatever it left behind (renderer, zygote) goes too.
    kill_group();
    let _ = child.wait();
    let dom = String::from_utf8_lossy(&reader.join().unwrap()).into_owned();
    let stderr = String::from_utf8_lossy(&err_reader.join().unwrap()).into_owned();
    let status =
        status.unwrap_or_else(|| panic!("chromium did not finish in 60 s; stderr: {stderr}"));
    assert!(
        status.success(),
        "chromium failed ({status}); stderr: {stderr}"
    );
    dom
}

/// Sets the permission bits of `path`.
pub fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// True when `program` is on PATH.
pub fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs `command` (stdin empty) to its end; its output. Panics, with the
/// command and its stderr, unless it succeeds.
#[track_caller]
pub fn run_ok(command: &mut Command) -> std::process::Output {
    let out = command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run {command:?}: {e}"));
    assert!(
        out.status.success(),
        "{command:?} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs `command` (stdin empty) to its end, killed after `limit`: its
/// exit code (None if it had to be killed; -1 for a death by signal),
/// stdout and stderr.
pub fn run_for(mut command: Command, limit: Duration) -> (Option<i32>, String, String) {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {command:?}: {e}"));
    let out = collect(child.stdout.take().unwrap());
    let err = collect(child.stderr.take().unwrap());
    let start = Instant::now();
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status.code().unwrap_or(-1));
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    // The reader threads see EOF once the process is gone.
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline && (Arc::strong_count(&out) > 1 || Arc::strong_count(&err) > 1)
    {
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = out.lock().unwrap().clone();
    let err = err.lock().unwrap().clone();
    (code, out, err)
}

/// `httpd 0 -b 127.0.0.1 -d DIR ARGS`, not yet started.
pub fn httpd_command(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_httpd"));
    command
        .args(["0", "-b", "127.0.0.1", "-d", dir.to_str().unwrap()])
        .args(args);
    command
}

/// Asserts that `httpd 0 -b 127.0.0.1 -d DIR ARGS` refuses to start:
/// exit 1 within `WAIT` and one stderr line starting `httpd: `, which it
/// returns.
#[track_caller]
pub fn assert_start_refused(dir: &Path, args: &[&str]) -> String {
    let (code, out, err) = run_for(httpd_command(dir, args), WAIT);
    assert_eq!(
        code,
        Some(1),
        "{args:?}: expected exit 1; stdout {out:?}, stderr {err:?}"
    );
    assert!(
        err.ends_with('\n') && err.trim_end().lines().count() == 1 && err.starts_with("httpd: "),
        "{args:?}: expected one line on stderr, got {err:?}"
    );
    err
}

/// Calls `visit(relative path, path, metadata)` for everything beneath
/// `dir` (not `dir` itself), parents before their contents; descends into
/// directories but never through a symlink (metadata is the link's own).
pub fn walk_tree(dir: &Path, visit: &mut dyn FnMut(&Path, &Path, &std::fs::Metadata)) {
    fn walk(base: &Path, dir: &Path, visit: &mut dyn FnMut(&Path, &Path, &std::fs::Metadata)) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            visit(path.strip_prefix(base).unwrap(), &path, &meta);
            if meta.is_dir() {
                walk(base, &path, visit);
            }
        }
    }
    walk(dir, dir, visit);
}

/// `len` bytes of an xorshift64 (13, 7, 17) stream from `state`:
/// deterministic, incompressible file contents.
pub fn xorshift_bytes(len: usize, mut state: u64) -> Vec<u8> {
    let mut v = Vec::with_capacity(len + 8);
    while v.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        v.extend_from_slice(&state.to_le_bytes());
    }
    v.truncate(len);
    v
}

/// A deterministic generator (xorshift64*): "random" choices and bytes
/// that are the same on every run.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number below `n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// The next `n` bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut v = Vec::with_capacity(n + 8);
        while v.len() < n {
            v.extend_from_slice(&self.next().to_le_bytes());
        }
        v.truncate(n);
        v
    }
}

/// Sends `raw` on a new connection to `server` and reads until the server
/// closes: the parsed head and every byte after it (so "no body" and
/// exact lengths can be asserted).
pub fn exchange(server: &Server, raw: &[u8]) -> (Response, Vec<u8>) {
    let mut s = server.connect();
    s.write_all(raw).unwrap();
    let mut all = Vec::new();
    s.read_to_end(&mut all).expect("read to EOF");
    split_head(&all)
}

/// The `Name:` line of /proc/PID/status, trimmed.
pub fn status_field(pid: i32, name: &str) -> String {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .unwrap_or_else(|| panic!("no {name} in /proc/{pid}/status"))
        .trim()
        .to_string()
}

/// True when the tests run as root (as in CI).
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}
