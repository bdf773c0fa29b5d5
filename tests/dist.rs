//! The recipes in `dist/`, tested as far as this machine allows.
//!
//! The systemd units: `systemd-analyze verify` finds nothing to say (and
//! does find a typo planted in a copy), the service has the hardening it
//! promises, its syscall filter allows every syscall httpd's runtime can
//! make, and httpd runs the way the units run it: handed the socket
//! (`LISTEN_FDS`), as a user that is not root, with no capability, no new
//! privileges and the unit's syscall filter compiled as systemd compiles
//! it; reloaded with the unit's `ExecReload`, stopped with SIGTERM.
//! (No systemd runs as PID 1 here, so the units themselves cannot start.)
//!
//! The Containerfile: its instructions; the `FROM scratch` image's files
//! as a plain tar (`tar -tvf`: modes, owners, nothing else); that tree run
//! in a read-only chroot with an empty environment and no `/etc`, `/proc`
//! or `/dev`, with its HEALTHCHECK command; and, where podman is
//! installed, the image built from the Containerfile itself and run
//! read-only without capabilities, with `podman healthcheck run`.

mod common;
use common::*;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::net::TcpListener;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

const BIN: &str = env!("CARGO_BIN_EXE_httpd");

/// A uid and gid from systemd's `DynamicUser=` range (61184-65519), as the
/// service gets one.
const DYNAMIC_ID: u32 = 61_234;

/// The health check the Containerfile must run, word for word.
const HEALTHCHECK: [&str; 3] = ["/httpd", "--check", "http://127.0.0.1:8080/"];

/// Ends a test that cannot run here, saying why.
macro_rules! skip {
    ($($reason:tt)*) => {{
        println!("SKIPPED: {}", format!($($reason)*));
        return;
    }};
}

/// A file of the repository, as text.
fn repo_text(rel: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// `program`'s absolute path: on PATH, or in the sbin directories a
/// non-root PATH may lack.
fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    path.split(':')
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"])
        .map(|dir| Path::new(dir).join(program))
        .find(|p| {
            p.metadata()
                .is_ok_and(|m| m.is_file() && m.mode() & 0o111 != 0)
        })
}

/// Waits until `pid` has at least one child process; its children.
fn wait_children(pid: u32) -> Vec<i32> {
    let start = Instant::now();
    loop {
        let kids = children_of(pid);
        if !kids.is_empty() || start.elapsed() > WAIT {
            return kids;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

// ---------------------------------------------------------------------
// systemd units

/// The `Key=value` settings of a unit file with their sections, in order
/// (systemd.syntax(7): lines starting with `#` or `;` are comments).
fn unit_settings(text: &str) -> Vec<(String, String, String)> {
    let mut section = String::new();
    let mut out = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_string();
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("not a setting: {line:?}"));
        out.push((section.clone(), key.trim().into(), value.trim().into()));
    }
    out
}

/// Every value of `key` in `section`.
fn values<'a>(settings: &'a [(String, String, String)], section: &str, key: &str) -> Vec<&'a str> {
    settings
        .iter()
        .filter(|(s, k, _)| s == section && k == key)
        .map(|(_, _, v)| v.as_str())
        .collect()
}

/// The one value of `key` in `section`.
#[track_caller]
fn value<'a>(settings: &'a [(String, String, String)], section: &str, key: &str) -> &'a str {
    match values(settings, section, key)[..] {
        [one] => one,
        ref all => panic!("[{section}] {key}= set {} times: {all:?}", all.len()),
    }
}

fn service() -> Vec<(String, String, String)> {
    unit_settings(&repo_text("dist/httpd.service"))
}

/// The service's `ExecStart=` as installed here: the built binary for
/// `/usr/local/bin/httpd`, `site` for `/srv/www`.
fn exec_start(site: &Path) -> Vec<String> {
    let service = service();
    let line = value(&service, "Service", "ExecStart");
    let argv: Vec<String> = line
        .split_whitespace()
        .map(|word| match word {
            "/usr/local/bin/httpd" => BIN.to_string(),
            "/srv/www" => site.display().to_string(),
            other => other.to_string(),
        })
        .collect();
    assert_eq!(argv[0], BIN, "ExecStart= runs {line:?}");
    argv
}

/// Writes the two units into `dir` and runs `systemd-analyze verify` on
/// them: None when it has nothing to say about them, else what it said.
fn verify(dir: &Path, socket: &str, service: &str) -> Option<String> {
    std::fs::write(dir.join("httpd.socket"), socket).unwrap();
    std::fs::write(dir.join("httpd.service"), service).unwrap();
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(dir.join("httpd.socket"))
        .arg(dir.join("httpd.service"))
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run systemd-analyze");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    // An unknown key or a value it cannot parse is only a warning (exit 0):
    // any line about these units counts. Lines about the system's own
    // units are not ours to judge.
    let ours = err
        .lines()
        .any(|l| l.contains("httpd.service") || l.contains("httpd.socket"));
    if out.status.success() && !ours {
        if !err.trim().is_empty() {
            println!("note: systemd-analyze verify, about other units: {err}");
        }
        None
    } else {
        Some(format!("{}: {err}", out.status))
    }
}

#[test]
fn units_pass_systemd_analyze_verify() {
    if which("systemd-analyze").is_none() {
        skip!("systemd-analyze (Debian package systemd) is not installed");
    }
    let dir = TempDir::new("units");
    let site = dir.path().join("www");
    std::fs::create_dir(&site).unwrap();
    let socket = repo_text("dist/httpd.socket");
    // verify checks that the program of ExecStart= exists: the built one.
    let service = repo_text("dist/httpd.service")
        .replace("/usr/local/bin/httpd", BIN)
        .replace("/srv/www", site.to_str().unwrap());
    if let Some(said) = verify(dir.path(), &socket, &service) {
        panic!("systemd-analyze verify dist/httpd.socket dist/httpd.service: {said}");
    }
    // A typo must be caught, or the check above proves nothing.
    let typos = [
        ("service", "ProtectSystem=strict", "ProtectSytem=strict"),
        ("service", "AF_INET6", "AF_INET7"),
        ("service", "=@system-service", "=@system-servce"),
        ("service", "DynamicUser=yes", "DynamicUser=yess"),
        ("service", BIN, "/nonexistent/httpd"),
        ("socket", "ListenStream=", "ListenStrem="),
        (
            "socket",
            "Service=httpd.service",
            "Service=httpd-typo.service",
        ),
    ];
    for (unit, right, wrong) in typos {
        let (mut socket, mut service) = (socket.clone(), service.clone());
        let text = if unit == "socket" {
            &mut socket
        } else {
            &mut service
        };
        assert!(text.contains(right), "dist/httpd.{unit} has no {right:?}");
        *text = text.replace(right, wrong);
        let said = verify(dir.path(), &socket, &service);
        assert!(
            said.is_some(),
            "systemd-analyze verify missed {wrong:?} in httpd.{unit}"
        );
    }
}

#[test]
fn units_say_what_the_issue_asks() {
    let service = service();
    let socket = unit_settings(&repo_text("dist/httpd.socket"));
    for (key, want) in [
        ("DynamicUser", "yes"),
        ("ProtectSystem", "strict"),
        ("NoNewPrivileges", "yes"),
        ("PrivateTmp", "yes"),
        ("CapabilityBoundingSet", ""),
        ("RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"),
        ("SystemCallArchitectures", "native"),
        ("ExecReload", "/bin/kill -HUP $MAINPID"),
        ("Restart", "on-failure"),
        // SIGTERM to the supervisor alone: it stops its own workers.
        ("KillMode", "mixed"),
    ] {
        assert_eq!(value(&service, "Service", key), want, "[Service] {key}=");
    }
    let filters = values(&service, "Service", "SystemCallFilter");
    assert_eq!(filters.first(), Some(&"@system-service"), "{filters:?}");
    // Socket activation: systemd binds, so no port, address or user is
    // given; DynamicUser= starts httpd unprivileged, with nothing to drop.
    let argv: Vec<&str> = value(&service, "Service", "ExecStart")
        .split_whitespace()
        .collect();
    assert_eq!(argv[..2], ["/usr/local/bin/httpd", "-d"], "{argv:?}");
    for word in &argv {
        assert!(
            !["-b", "--bind", "--user"].contains(word) && word.parse::<u16>().is_err(),
            "ExecStart= has {word:?}: {argv:?}"
        );
    }
    assert_eq!(value(&service, "Unit", "Requires"), "httpd.socket");
    assert_eq!(values(&socket, "Socket", "ListenStream"), ["80"]);
    assert_eq!(value(&socket, "Socket", "Service"), "httpd.service");
    assert_eq!(value(&socket, "Install", "WantedBy"), "sockets.target");
}

/// Every group of `systemd-analyze syscall-filter`, with its entries
/// (system calls and `@groups`).
fn syscall_groups() -> BTreeMap<String, Vec<String>> {
    let out = run_ok(Command::new("systemd-analyze").arg("syscall-filter"));
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut current = None;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if line.starts_with('@') {
            let name = line.split_whitespace().next().unwrap().to_string();
            groups.insert(name.clone(), Vec::new());
            current = Some(name);
        } else if let (Some(group), entry) = (&current, line.trim())
            && !entry.is_empty()
            && !entry.starts_with('#')
        {
            groups.get_mut(group).unwrap().push(entry.to_string());
        }
    }
    assert!(groups.contains_key("@system-service"), "{groups:?}");
    groups
}

/// The system calls of `entries` (names and `@groups`), groups expanded.
fn expand(entries: &[&str], groups: &BTreeMap<String, Vec<String>>, out: &mut BTreeSet<String>) {
    for entry in entries {
        if entry.starts_with('@') {
            let members = groups
                .get(*entry)
                .unwrap_or_else(|| panic!("systemd has no syscall group {entry}"));
            let members: Vec<&str> = members.iter().map(String::as_str).collect();
            expand(&members, groups, out);
        } else {
            out.insert(entry.to_string());
        }
    }
}

/// What systemd allows a service with these `SystemCallFilter=` lines (all
/// allow-lists, merged): their system calls, plus those systemd.exec(5)
/// says are always allowed (execve, exit, exit_group, getrlimit,
/// rt_sigreturn, sigreturn, and @default's, which holds the clock and
/// sleep calls).
fn unit_allows(filters: &[&str]) -> BTreeSet<String> {
    let groups = syscall_groups();
    let mut allowed = BTreeSet::new();
    for line in filters {
        assert!(!line.starts_with('~'), "a deny-list: {line:?}");
        expand(
            &line.split_whitespace().collect::<Vec<_>>(),
            &groups,
            &mut allowed,
        );
    }
    let implicit = "execve exit exit_group getrlimit rt_sigreturn sigreturn @default";
    expand(
        &implicit.split(' ').collect::<Vec<_>>(),
        &groups,
        &mut allowed,
    );
    allowed
}

#[test]
fn unit_syscall_filter_allows_every_syscall_httpd_makes() {
    if which("systemd-analyze").is_none() {
        skip!("systemd-analyze (Debian package systemd) is not installed");
    }
    // Every syscall the runtime has a wrapper for (src/rt/sys/): those of
    // uploads, --check and --bind unix: too, which the run below does
    // not reach.
    let mut made = BTreeSet::new();
    let sys = repo_path("src/rt/sys");
    for entry in std::fs::read_dir(&sys).unwrap().flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap();
        for (_, rest) in text
            .match_indices("Sysno::")
            .map(|(i, _)| text.split_at(i + 7))
        {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            made.insert(name);
        }
    }
    assert!(made.len() > 30 && made.contains("openat2"), "{made:?}");
    let service = service();
    let allowed = unit_allows(&values(&service, "Service", "SystemCallFilter"));
    let missing: Vec<&String> = made.iter().filter(|s| !allowed.contains(*s)).collect();
    assert!(
        missing.is_empty(),
        "httpd.service's SystemCallFilter= kills {missing:?}"
    );
    // Why the unit lists some calls by name: systemd's @system-service
    // lacks them (systemd 252 does; a later one may not).
    let groups = syscall_groups();
    let mut base = BTreeSet::new();
    expand(&["@system-service"], &groups, &mut base);
    let beyond: Vec<&String> = made.iter().filter(|s| !base.contains(*s)).collect();
    println!("note: syscalls httpd makes beyond @system-service here: {beyond:?}");
}

/// A classic BPF seccomp program that allows `allowed` (by x86_64 number)
/// and kills the process on any other system call or architecture, as
/// systemd's `SystemCallFilter=` allow-list with
/// `SystemCallArchitectures=native` does.
fn allow_list_filter(allowed: &BTreeSet<String>) -> Vec<libc::sock_filter> {
    const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
    let op = |code: u32, jt: u8, jf: u8, k: u32| libc::sock_filter {
        code: code as u16,
        jt,
        jf,
        k,
    };
    let load = |offset: u32| op(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, 0, 0, offset);
    let jeq = |k: u32, jt: u8, jf: u8| op(libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K, jt, jf, k);
    let ret = |k: u32| op(libc::BPF_RET | libc::BPF_K, 0, 0, k);
    // struct seccomp_data: nr at 0, arch at 4.
    let mut program = vec![
        load(4),
        jeq(AUDIT_ARCH_X86_64, 1, 0),
        ret(libc::SECCOMP_RET_KILL_PROCESS),
        load(0),
    ];
    for name in allowed {
        // Names of other architectures (socketcall, _llseek...) have no
        // x86_64 number; systemd skips them too.
        if let Ok(nr) = name.parse::<syscalls::Sysno>() {
            program.push(jeq(nr.id() as u32, 0, 1));
            program.push(ret(libc::SECCOMP_RET_ALLOW));
        }
    }
    program.push(ret(libc::SECCOMP_RET_KILL_PROCESS));
    program
}

/// The service's `ExecStart=`, started the way systemd starts it for
/// httpd.socket: `listener` as fd 3 with `LISTEN_FDS=1` and `LISTEN_PID`
/// (sd_listen_fds(3); through `sh`, whose `exec` keeps its pid, as
/// systemd's forked child does), an environment of only those and PATH,
/// as a `DynamicUser=` uid and gid with no supplementary groups, an empty
/// capability bounding set (`CapabilityBoundingSet=`), no new privileges,
/// and `filter` (`SystemCallFilter=`) installed last, so that it holds
/// from the exec on.
fn unit_command(site: &Path, listener: &TcpListener, filter: Vec<libc::sock_filter>) -> Command {
    use std::os::fd::AsRawFd;
    let argv = exec_start(site);
    let mut command = Command::new("sh");
    command
        .args(["-c", "LISTEN_PID=$$ exec \"$0\" \"$@\""])
        .args(&argv)
        .env_clear()
        .env(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        )
        .env("LISTEN_FDS", "1")
        .env("LISTEN_FDNAMES", "httpd.socket");
    let fd = listener.as_raw_fd();
    let last_cap: libc::c_ulong = std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(63);
    // SAFETY: between fork and exec the child makes only plain syscalls
    // (dup2, fcntl, setgroups, prctl, setresgid, setresuid) on values and a
    // filter built before the fork, which the closure owns.
    unsafe {
        command.pre_exec(move || {
            let fail = || Err(std::io::Error::last_os_error());
            // fd 3 without FD_CLOEXEC (dup2 clears it; on fd 3 already,
            // clear it by hand).
            if fd == 3 {
                if libc::fcntl(3, libc::F_SETFD, 0) != 0 {
                    return fail();
                }
            } else if libc::dup2(fd, 3) != 3 {
                return fail();
            }
            if libc::setgroups(0, std::ptr::null()) != 0 {
                return fail();
            }
            for cap in 0..=last_cap {
                if libc::prctl(libc::PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 {
                    return fail();
                }
            }
            if libc::setresgid(DYNAMIC_ID, DYNAMIC_ID, DYNAMIC_ID) != 0
                || libc::setresuid(DYNAMIC_ID, DYNAMIC_ID, DYNAMIC_ID) != 0
                || libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
            {
                return fail();
            }
            let program = libc::sock_fprog {
                len: filter.len() as u16,
                filter: filter.as_ptr() as *mut _,
            };
            if libc::prctl(
                libc::PR_SET_SECCOMP,
                libc::SECCOMP_MODE_FILTER,
                &program as *const libc::sock_fprog,
            ) != 0
            {
                return fail();
            }
            Ok(())
        });
    }
    command
}

/// A site the service's user can read: world-readable, as the unit says.
fn unit_site(tag: &str) -> TempDir {
    let dir = TempDir::new(tag);
    dir.write("index.html", "served under the unit's restrictions\n");
    chmod(dir.path(), 0o755);
    chmod(&dir.path().join("index.html"), 0o644);
    dir
}

#[test]
fn service_runs_under_the_units_restrictions() {
    if which("systemd-analyze").is_none() {
        skip!("systemd-analyze (Debian package systemd) is not installed");
    }
    if !is_root() {
        skip!("needs root, to become the DynamicUser= uid");
    }
    let site = unit_site("unit-run");
    let service = service();
    let filter = allow_list_filter(&unit_allows(&values(
        &service,
        "Service",
        "SystemCallFilter",
    )));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut server = Server::spawn(unit_command(site.path(), &listener, filter), "127.0.0.1");
    // Only httpd holds the socket now: if it dies, clients are refused
    // rather than left waiting.
    drop(listener);
    assert_eq!(
        server.port, port,
        "not the socket it was handed: {}",
        server.banner
    );
    assert!(
        server.banner.starts_with("Serving HTTP on 127.0.0.1 "),
        "{}",
        server.banner
    );
    // A worker killed by the filter is restarted and killed again, and
    // the request never answered: then say what httpd said.
    let get = |server: &Server| {
        std::panic::catch_unwind(|| server.get("/", &[]))
            .unwrap_or_else(|_| panic!("no answer; httpd said: {}", server.log()))
    };
    let r = get(&server);
    assert_eq!(r.status, 200, "{}", server.log());
    assert_eq!(r.body, b"served under the unit's restrictions\n");
    // Not root: nothing dropped, no `Running as` line, no refusal.
    let said = server.wait_stdout("");
    assert!(!said.contains("Running as"), "{said:?}");
    let pid = server.child.id();
    let pid_i = pid as i32;
    let id = DYNAMIC_ID.to_string();
    let uids = status_field(pid_i, "Uid");
    assert_eq!(
        uids.split_whitespace().collect::<Vec<_>>(),
        vec![id.as_str(); 4]
    );
    assert_eq!(status_field(pid_i, "CapBnd"), "0000000000000000");
    assert_eq!(status_field(pid_i, "CapEff"), "0000000000000000");
    assert_eq!(status_field(pid_i, "NoNewPrivs"), "1");
    // httpd's own filters stacked on the unit's, in every process.
    let workers = wait_children(pid);
    assert!(!workers.is_empty());
    for &p in workers.iter().chain([&pid_i]) {
        let filters: u32 = status_field(p, "Seccomp_filters").parse().unwrap();
        assert!(filters > 1, "pid {p}: {filters} seccomp filter");
    }

    // ExecReload=, as systemd runs it: fresh workers, still serving.
    let reload: Vec<String> = value(&service, "Service", "ExecReload")
        .replace("$MAINPID", &pid.to_string())
        .split_whitespace()
        .map(String::from)
        .collect();
    run_ok(Command::new(&reload[0]).args(&reload[1..]));
    let start = Instant::now();
    while children_of(pid).iter().any(|w| workers.contains(w)) && start.elapsed() < WAIT {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(server.alive(), "died on SIGHUP: {}", server.log());
    let fresh = children_of(pid);
    assert!(
        !fresh.is_empty() && !fresh.iter().any(|w| workers.contains(w)),
        "workers {workers:?} not replaced on SIGHUP: {fresh:?}"
    );
    assert_eq!(get(&server).status, 200);

    // Stop: KillMode=mixed sends SIGTERM to the main process alone.
    server.signal("TERM");
    let code = server.wait_exit();
    let log = server.log();
    assert_eq!(code, Some(0), "after SIGTERM; stderr: {log}");
    assert!(!log.contains("SIGSYS"), "{log}");
}

#[test]
fn system_service_alone_would_kill_httpd() {
    // The control of the test above: with @system-service alone (the
    // unit's first SystemCallFilter= line), systemd 252 kills httpd as it
    // sets up Landlock and seccomp. So the filter emulated there does bite,
    // and the unit's second line is needed.
    if which("systemd-analyze").is_none() {
        skip!("systemd-analyze (Debian package systemd) is not installed");
    }
    if !is_root() {
        skip!("needs root, to become the DynamicUser= uid");
    }
    let allowed = unit_allows(&["@system-service"]);
    let needed = [
        "landlock_create_ruleset",
        "landlock_restrict_self",
        "seccomp",
    ];
    if needed.iter().all(|s| allowed.contains(*s)) {
        skip!("this systemd's @system-service has {needed:?}: the unit's extra line is redundant");
    }
    let site = unit_site("unit-control");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut child = unit_command(site.path(), &listener, allow_list_filter(&allowed))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn httpd as the unit would");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > WAIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("httpd still runs with @system-service alone");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(libc::SIGSYS), "{status}");
}

// ---------------------------------------------------------------------
// Containerfile

/// One build stage of a Containerfile: its `FROM` and its instructions.
struct Stage {
    from: String,
    name: Option<String>,
    steps: Vec<(String, String)>,
}

/// The Containerfile's stages (continuation lines joined, comments
/// dropped); instructions upper-cased.
fn containerfile() -> Vec<Stage> {
    let text = repo_text("dist/Containerfile");
    let mut stages: Vec<Stage> = Vec::new();
    let mut pending = String::new();
    for line in text.lines() {
        let line = line.trim();
        if pending.is_empty() && (line.is_empty() || line.starts_with('#')) {
            continue;
        }
        if let Some(head) = line.strip_suffix('\\') {
            pending.push_str(head);
            continue;
        }
        pending.push_str(line);
        let full = std::mem::take(&mut pending);
        let (op, args) = full.split_once(char::is_whitespace).unwrap_or((&full, ""));
        let (op, args) = (op.to_ascii_uppercase(), args.trim().to_string());
        if op == "FROM" {
            let words: Vec<&str> = args.split_whitespace().collect();
            let name = match words[..] {
                [_, as_, name] if as_.eq_ignore_ascii_case("as") => Some(name.to_string()),
                [_] => None,
                _ => panic!("FROM {args}"),
            };
            stages.push(Stage {
                from: words[0].to_string(),
                name,
                steps: Vec::new(),
            });
        } else {
            let stage = stages.last_mut().expect("an instruction before FROM");
            stage.steps.push((op, args));
        }
    }
    stages
}

impl Stage {
    /// The arguments of every `op` instruction.
    fn all(&self, op: &str) -> Vec<&str> {
        self.steps
            .iter()
            .filter(|(o, _)| o == op)
            .map(|(_, a)| a.as_str())
            .collect()
    }

    /// The arguments of the one `op` instruction.
    #[track_caller]
    fn one(&self, op: &str) -> &str {
        match self.all(op)[..] {
            [one] => one,
            ref all => panic!("{op} given {} times: {all:?}", all.len()),
        }
    }

    /// `ARG` defaults substituted into `text` (`$NAME`, `${NAME}`).
    fn substitute(&self, text: &str) -> String {
        let mut text = text.to_string();
        for arg in self.all("ARG") {
            if let Some((name, default)) = arg.split_once('=') {
                text = text
                    .replace(&format!("${{{name}}}"), default)
                    .replace(&format!("${name}"), default);
            }
        }
        text
    }

    /// Its `COPY` instructions: (`--from` stage, sources, destination).
    fn copies(&self) -> Vec<(Option<String>, Vec<String>, String)> {
        self.all("COPY")
            .into_iter()
            .map(|args| {
                let mut from = None;
                let mut words = Vec::new();
                for word in self.substitute(args).split_whitespace() {
                    match word.strip_prefix("--from=") {
                        Some(stage) => from = Some(stage.to_string()),
                        None if word.starts_with("--") => panic!("COPY {args}: option {word}"),
                        None => words.push(word.to_string()),
                    }
                }
                let dest = words.pop().expect("COPY without a destination");
                assert!(!words.is_empty(), "COPY {args}: no source");
                (from, words, dest)
            })
            .collect()
    }
}

/// A JSON array of strings (the exec form of ENTRYPOINT, CMD,
/// HEALTHCHECK CMD): a shell form would need the /bin/sh scratch lacks.
#[track_caller]
fn exec_form(text: &str) -> Vec<String> {
    serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("not an exec-form JSON array: {text}: {e}"))
}

/// The HEALTHCHECK's command, its options (`--interval=...`) skipped.
fn healthcheck_argv(image: &Stage) -> Vec<String> {
    let mut rest = image.one("HEALTHCHECK");
    while let Some(option) = rest.strip_prefix("--") {
        rest = option
            .split_once(char::is_whitespace)
            .map_or("", |(_, r)| r)
            .trim_start();
    }
    let cmd = rest
        .strip_prefix("CMD")
        .unwrap_or_else(|| panic!("HEALTHCHECK {rest}"));
    exec_form(cmd.trim())
}

#[test]
fn containerfile_is_well_formed() {
    let stages = containerfile();
    let image = stages.last().expect("no FROM");
    assert_eq!(image.from, "scratch", "the last stage is the image");
    // The builder uses the toolchain rust-toolchain.toml pins.
    let toolchain = repo_text("rust-toolchain.toml");
    let pinned = toolchain
        .lines()
        .find_map(|l| l.strip_prefix("channel = "))
        .unwrap()
        .trim_matches('"');
    let builders: Vec<&Stage> = stages.iter().filter(|s| s.from.contains("rust:")).collect();
    assert!(!builders.is_empty(), "no Rust build stage");
    for stage in &builders {
        assert!(
            stage.from.contains(&format!("rust:{pinned}")),
            "{} is not {pinned}",
            stage.from
        );
        let run = stage.all("RUN").join("\n");
        assert!(run.contains("cargo build --release --locked"), "{run}");
    }
    // Every COPY --from names a stage before its own.
    for (i, stage) in stages.iter().enumerate() {
        for (from, _, _) in stage.copies() {
            if let Some(from) = from {
                let earlier = stages[..i].iter().any(|s| s.name.as_deref() == Some(&from));
                assert!(earlier, "COPY --from={from}: no such earlier stage");
            }
        }
    }
    // No shell in scratch: no RUN, and exec forms only.
    assert!(image.all("RUN").is_empty(), "RUN in the scratch stage");
    let entrypoint = exec_form(image.one("ENTRYPOINT"));
    assert_eq!(entrypoint[0], "/httpd");
    for cmd in image.all("CMD") {
        exec_form(cmd);
    }
    // Numeric user and group (no /etc/passwd in scratch), not root.
    let user = image.one("USER");
    let (uid, gid) = user
        .split_once(':')
        .unwrap_or_else(|| panic!("USER {user}: no group"));
    let (uid, gid): (u32, u32) = (uid.parse().unwrap(), gid.parse().unwrap());
    assert!(uid != 0 && gid != 0, "USER {user}");
    // The port httpd listens on by default, exposed and health-checked.
    assert_eq!(image.one("EXPOSE"), "8080");
    assert_eq!(healthcheck_argv(image), HEALTHCHECK);
    // The binary and the served directory come from the COPYs.
    let copies = image.copies();
    let binary = copies.iter().find(|(_, _, dest)| dest == "/httpd");
    let (from, sources, _) = binary.expect("no COPY to /httpd");
    assert!(
        from.is_some() && sources[0].ends_with("/release/httpd"),
        "{sources:?}"
    );
    let served = entrypoint
        .windows(2)
        .find(|w| w[0] == "-d")
        .map(|w| w[1].clone())
        .unwrap_or_else(|| image.one("WORKDIR").to_string());
    assert!(
        copies.iter().any(|(_, _, dest)| *dest == served),
        "nothing copied to {served}"
    );
}

/// The build stage copies every file the build reads, each to its own
/// path beneath WORKDIR, and the image copies the binary from where the
/// build leaves it. What the build reads: the sources rustc and the build
/// script name in cargo's dep-info file of the binary built for this test
/// (`httpd.d`: src/, crates/, build.rs, linker.ld), and what cargo itself
/// reads (the manifests, the lock file, the toolchain pin, .cargo/config.toml
/// with its rustflags).
#[test]
fn build_stage_copies_everything_the_build_reads() {
    let stages = containerfile();
    let build = stages
        .iter()
        .find(|s| s.from.contains("rust:"))
        .expect("no Rust build stage");
    let workdir = build.one("WORKDIR").trim_end_matches('/');
    // Where each copied path lands, relative to WORKDIR.
    let mut copied = Vec::new();
    for (from, sources, dest) in build.copies() {
        assert!(from.is_none(), "COPY --from in the build stage");
        let dest = dest.trim_start_matches("./").trim_end_matches('/');
        for source in sources {
            let source = source.trim_end_matches('/');
            let landing = match (dest, source.rsplit('/').next().unwrap()) {
                ("" | ".", name) => name.to_string(),
                (dest, _) => dest.to_string(),
            };
            assert_eq!(
                landing, source,
                "COPY {source} lands at {landing}, not its own path"
            );
            copied.push(source.to_string());
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // What the build read: the dep-info cargo writes for each crate of
    // the package (`deps/httpd-*.d`, `deps/httpd_aead-*.d`, next to the
    // binary cargo built for these tests), and what the build script
    // asked to be watched (`build/httpd-*/output`). (`httpd.d` beside the
    // binary is written by `cargo build` only, not by `cargo test`.)
    let debug = Path::new(BIN).parent().unwrap();
    let mut text = String::new();
    for (dir, prefixes, file) in [
        (debug.join("deps"), ["httpd-", "httpd_aead-"], None),
        (debug.join("build"), ["httpd-", "httpd-"], Some("output")),
    ] {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !prefixes.iter().any(|p| name.starts_with(p)) {
                continue;
            }
            let path = match file {
                Some(f) => entry.path().join(f),
                None if name.ends_with(".d") => entry.path(),
                None => continue,
            };
            let words = std::fs::read_to_string(&path).unwrap_or_default();
            for line in words.lines() {
                text.push_str(line.trim_start_matches("cargo:rerun-if-changed="));
                text.push('\n');
            }
        }
    }
    let mut read: BTreeSet<String> = text
        .split_whitespace()
        .filter(|w| !w.ends_with(':') && !w.starts_with("cargo:"))
        .filter_map(|w| {
            let path = Path::new(w);
            let rel = if path.is_absolute() {
                path.strip_prefix(root).ok()?
            } else {
                path
            };
            root.join(rel).exists().then(|| rel.display().to_string())
        })
        .collect();
    assert!(
        read.contains("src/main.rs") && read.contains("build.rs"),
        "{read:?}"
    );
    for cargo_reads in [
        "Cargo.toml",
        "Cargo.lock",
        "rust-toolchain.toml",
        ".cargo/config.toml",
        "crates/aead/Cargo.toml",
    ] {
        read.insert(cargo_reads.to_string());
    }
    let missing: Vec<&String> = read
        .iter()
        .filter(|f| {
            !copied
                .iter()
                .any(|c| *f == c || f.starts_with(&format!("{c}/")))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "the build stage does not COPY {missing:?}"
    );
    let image = stages.last().unwrap();
    let (_, sources, _) = image
        .copies()
        .into_iter()
        .find(|(from, _, _)| from.is_some())
        .expect("no COPY --from");
    assert_eq!(sources, [format!("{workdir}/target/release/httpd")]);
}

/// The scratch image's file tree, laid out in `root` by the last stage's
/// COPYs: the built binary for the build stage's, the repository's files
/// (ARG defaults substituted) for the others. Modes as they are, as COPY
/// keeps them; owners root, as COPY makes them (tar records that below).
fn lay_out_image(root: &Path) {
    fn copy(from: &Path, to: &Path) {
        if from.is_dir() {
            std::fs::create_dir_all(to).unwrap();
            chmod(to, from.metadata().unwrap().mode() & 0o7777);
            for entry in std::fs::read_dir(from).unwrap().flatten() {
                copy(&entry.path(), &to.join(entry.file_name()));
            }
        } else {
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(from, to).unwrap_or_else(|e| panic!("copy {}: {e}", from.display()));
        }
    }
    let stages = containerfile();
    let image = stages.last().unwrap();
    for (from, sources, dest) in image.copies() {
        let target = root.join(dest.trim_start_matches('/'));
        for source in sources {
            let source = match from {
                Some(_) => PathBuf::from(BIN),
                None => repo_path(&source),
            };
            copy(&source, &target);
        }
    }
}

/// `tar -tvf` of `tar`: (mode, owner/group, name) per member.
fn tar_listing(tar: &Path) -> Vec<(String, String, String)> {
    let out = run_ok(
        Command::new("tar")
            .args(["--numeric-owner", "-tvf"])
            .arg(tar),
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let name = fields[5..].join(" ");
            (fields[0].to_string(), fields[1].to_string(), name)
        })
        .collect()
}

/// The HTML page the image serves by default, as in the repository.
fn default_page() -> Vec<u8> {
    let stages = containerfile();
    let image = stages.last().unwrap();
    let site = image
        .copies()
        .into_iter()
        .find(|(from, _, dest)| from.is_none() && dest == "/site")
        .expect("no COPY to /site");
    std::fs::read(repo_path(&site.1[0]).join("index.html")).unwrap()
}

/// The image's files as a plain tar, as the container tools would lay
/// them: the tree of `lay_out_image`, owned by root, by number (there is
/// no /etc/passwd to name it).
fn image_tar(dir: &TempDir) -> PathBuf {
    let tree = dir.path().join("tree");
    lay_out_image(&tree);
    let tar = dir.path().join("image.tar");
    let create = [
        "--create",
        "--numeric-owner",
        "--owner=0",
        "--group=0",
        "--sort=name",
    ];
    run_ok(
        Command::new("tar")
            .args(create)
            .arg("--file")
            .arg(&tar)
            .arg("--directory")
            .arg(&tree)
            .arg("."),
    );
    tar
}

/// Whether `mode` (`ls -l` style) lets others do `rwx` (e.g. `r-x`):
/// what the image's non-root user may do with a root-owned file.
fn others_may(mode: &str, rwx: &str) -> bool {
    mode.get(7..10) == Some(rwx)
}

#[test]
fn scratch_image_layout_as_a_tar() {
    let dir = TempDir::new("layout");
    let listing = tar_listing(&image_tar(&dir));
    let names: Vec<&str> = listing.iter().map(|(_, _, n)| n.as_str()).collect();
    assert_eq!(
        names,
        ["./", "./httpd", "./site/", "./site/index.html"],
        "{listing:#?}"
    );
    for (mode, owner, name) in &listing {
        assert_eq!(owner, "0/0", "{name}");
        // Others (the image's USER) may run the binary, search the
        // directories and read the pages, and change none of them.
        let (kind, want) = match name.as_str() {
            "./httpd" => ('-', "r-x"),
            "./site/index.html" => ('-', "r--"),
            _ => ('d', "r-x"),
        };
        assert!(
            mode.starts_with(kind) && others_may(mode, want),
            "{name}: {mode}"
        );
        assert_ne!(mode.get(8..9), Some("w"), "{name}: {mode}");
    }
}

/// A command that runs `argv` in `root` as PID 1 of a container would
/// see it: in a mount namespace of its own where `root` is a read-only
/// bind mount, chrooted there, with an empty environment; as `user`
/// (`UID:GID`) if given, else as root.
fn in_chroot(root: &Path, user: Option<&str>, argv: &[&str]) -> Command {
    let mount = which("mount").expect("mount");
    let chroot = which("chroot").expect("chroot");
    let mut command = Command::new(which("unshare").expect("unshare"));
    command
        .args(["--mount", "--propagation", "private", "--"])
        .arg(which("sh").expect("sh"))
        .arg("-c")
        .arg(
            "set -e; m=$1 r=$2; shift 2; \
             $m --bind \"$r\" \"$r\"; $m -o remount,bind,ro \"$r\"; exec \"$@\"",
        )
        .arg("sh")
        .arg(&mount)
        .arg(root)
        // sh exports PWD: env -i empties the environment again.
        .arg(which("env").expect("env"))
        .arg("-i")
        .arg(&chroot);
    if let Some(user) = user {
        command.arg(format!("--userspec={user}")).arg("--groups=");
    }
    command.arg(root).args(argv).env_clear();
    command
}

/// The chroot, for the run below: the image's tree extracted from its tar.
fn extracted_image(dir: &TempDir) -> PathBuf {
    let tar = image_tar(dir);
    let root = dir.path().join("root");
    std::fs::create_dir(&root).unwrap();
    run_ok(
        Command::new("tar")
            .arg("-xpf")
            .arg(&tar)
            .arg("-C")
            .arg(&root),
    );
    chmod(&root, 0o755);
    let mut names: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["httpd", "site"], "no /etc, /proc or /dev");
    root
}

/// Runs `--check URL` in the chroot as `user`: exit code and output.
fn check_in_chroot(root: &Path, user: &str, argv: &[String]) -> (Option<i32>, String) {
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    let (code, out, err) = run_for(in_chroot(root, Some(user), &argv), WAIT);
    (code, format!("{out}{err}"))
}

#[test]
fn scratch_image_runs_read_only_without_etc_or_proc() {
    if !is_root() {
        skip!("needs root, for a mount namespace and chroot");
    }
    for tool in ["unshare", "mount", "chroot"] {
        if which(tool).is_none() {
            skip!("{tool} (util-linux/coreutils) is not installed");
        }
    }
    let stages = containerfile();
    let image = stages.last().unwrap();
    let dir = TempDir::new("chroot");
    let root = extracted_image(&dir);
    let entrypoint = exec_form(image.one("ENTRYPOINT"));
    // As `podman run IMAGE 0 -b 127.0.0.1` would: any free port, loopback.
    let mut argv: Vec<&str> = entrypoint.iter().map(String::as_str).collect();
    argv.extend(["0", "-b", "127.0.0.1"]);
    let user = image.one("USER");
    let page = default_page();

    // As the image's USER: not root, so httpd changes nothing.
    let server = Server::spawn(in_chroot(&root, Some(user), &argv), "127.0.0.1");
    let r = server.get("/", &[]);
    assert_eq!(r.status, 200, "{}", server.log());
    assert_eq!(r.body, page);
    let pid = server.child.id() as i32;
    let (uid, gid) = user.split_once(':').unwrap();
    assert_eq!(
        status_field(pid, "Uid").split_whitespace().next(),
        Some(uid)
    );
    assert_eq!(
        status_field(pid, "Gid").split_whitespace().next(),
        Some(gid)
    );
    assert_eq!(status_field(pid, "Groups"), "");
    // Really what it ran in: the chroot, read-only, no environment.
    assert_eq!(
        std::fs::read_link(format!("/proc/{pid}/root")).unwrap(),
        root
    );
    assert_eq!(std::fs::read(format!("/proc/{pid}/environ")).unwrap(), b"");
    let mounts = std::fs::read_to_string(format!("/proc/{pid}/mountinfo")).unwrap();
    let slash = mounts
        .lines()
        .find(|l| l.split(' ').nth(4) == Some("/"))
        .unwrap_or_else(|| panic!("no / in {mounts}"));
    assert!(
        slash
            .split(' ')
            .nth(5)
            .unwrap()
            .split(',')
            .any(|o| o == "ro"),
        "{slash}"
    );
    assert!(!server.wait_stdout("").contains("Running as"));

    // The HEALTHCHECK's own command, in the same chroot as the same user,
    // on this server's port.
    let mut check = healthcheck_argv(image);
    check[2] = check[2].replace(":8080/", &format!(":{}/", server.port));
    let (code, said) = check_in_chroot(&root, user, &check);
    assert_eq!(code, Some(0), "{check:?} in the chroot: {said}");
    // And it can fail: nothing listens on a port just closed.
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    check[2] = format!("http://127.0.0.1:{closed}/");
    let (code, said) = check_in_chroot(&root, user, &check);
    assert_eq!(code, Some(1), "{check:?}: {said}");
    let log = server.log();
    assert!(!log.contains("warning"), "{log}");
    drop(server);

    // Started as root (an image without USER): httpd switches to its
    // default user, which without /etc/passwd is 65534:65534.
    let server = Server::spawn(in_chroot(&root, None, &argv), "127.0.0.1");
    let said = server.wait_stdout("Running as");
    assert!(
        said.contains("Running as user nobody, uid 65534, gid 65534"),
        "{said:?}"
    );
    let r = server.get("/", &[]);
    assert_eq!(r.status, 200, "{}", server.log());
    assert_eq!(r.body, page);
    for worker in wait_children(server.child.id()) {
        assert_eq!(
            status_field(worker, "Uid").split_whitespace().next(),
            Some("65534")
        );
        assert_eq!(status_field(worker, "Seccomp"), "2");
    }
}

// ---------------------------------------------------------------------
// podman

/// podman with the OCI runtime that works here: runc where installed
/// (crun refuses the hybrid cgroup layout of some machines).
fn podman() -> Command {
    let mut command = Command::new("podman");
    if which("runc").is_some() {
        command.args(["--runtime", "runc"]);
    }
    command.stdin(Stdio::null());
    command
}

/// Removes a podman container and an image when the test ends.
struct PodmanCleanup {
    containers: Vec<String>,
    image: String,
}

impl Drop for PodmanCleanup {
    fn drop(&mut self) {
        for name in &self.containers {
            let _ = podman().args(["rm", "-f", "-t", "0", name]).output();
        }
        let _ = podman().args(["rmi", "-f", &self.image]).output();
    }
}

/// `podman run -d` options: read-only, no capabilities, no new
/// privileges, an empty network namespace (the server's 8080 is its own),
/// and small file and process limits: podman's defaults are higher than a
/// root without CAP_SYS_RESOURCE (as in some sandboxes) may set, and
/// conmon caps processes at 32768.
fn podman_run_options() -> Vec<String> {
    [
        "--read-only",
        "--cap-drop=all",
        "--security-opt=no-new-privileges",
        "--network=none",
        "--ulimit=nofile=1024:1024",
        "--ulimit=nproc=1024:1024",
    ]
    .map(String::from)
    .to_vec()
}

/// `GET /` to port 8080 inside the network namespace of process `pid`.
fn get_in_netns(pid: i32) -> Response {
    std::thread::spawn(move || {
        use std::os::fd::AsRawFd;
        let ns = std::fs::File::open(format!("/proc/{pid}/ns/net")).unwrap();
        // SAFETY: setns on an fd this thread holds; it moves only this
        // thread, which ends here, into the namespace.
        assert_eq!(
            unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) },
            0
        );
        let mut s = connect_to("127.0.0.1", 8080).expect("connect in the container");
        s.write_all(&request("GET", "/", &[])).unwrap();
        read_response(&mut s, false)
    })
    .join()
    .unwrap()
}

/// `podman healthcheck run NAME` until it passes (the server may still be
/// starting) or `WAIT` is over: whether it passed, and what it said.
fn healthy(name: &str) -> (bool, String) {
    let start = Instant::now();
    loop {
        let out = podman()
            .args(["healthcheck", "run", name])
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        if out.status.success() || start.elapsed() > WAIT {
            return (out.status.success(), said);
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

#[test]
fn podman_builds_and_runs_the_image() {
    if which("podman").is_none() {
        skip!("podman is not installed");
    }
    if !is_root() {
        skip!("rootless podman needs subordinate ids; CI runs as root");
    }
    let stages = containerfile();
    let image_stage = stages.last().unwrap();
    let dir = TempDir::new("podman");
    // The build context: dist/ as in the repository. The build stage is
    // replaced by a context of the same name holding the built binary
    // where the stage would have left it (no registry to pull rust from).
    let context = dir.path().join("context");
    std::fs::create_dir_all(context.join("dist")).unwrap();
    run_ok(
        Command::new("cp")
            .arg("-a")
            .arg(repo_path("dist"))
            .arg(&context),
    );
    let (from, sources, _) = image_stage
        .copies()
        .into_iter()
        .find(|(from, _, _)| from.is_some())
        .unwrap();
    let built = dir.path().join("build");
    let binary = built.join(sources[0].trim_start_matches('/'));
    std::fs::create_dir_all(binary.parent().unwrap()).unwrap();
    std::fs::copy(BIN, &binary).unwrap();
    chmod(&binary, 0o755);
    let tag = format!("localhost/httpd-dist-test:{}", std::process::id());
    let name = format!("httpd-dist-test-{}", std::process::id());
    let cleanup = PodmanCleanup {
        containers: vec![
            name.clone(),
            format!("{name}-other-port"),
            format!("{name}-export"),
        ],
        image: tag.clone(),
    };
    run_ok(
        podman()
            .args(["build", "--format", "docker", "--build-context"])
            .arg(format!("{}={}", from.unwrap(), built.display()))
            .arg("-f")
            .arg(context.join("dist/Containerfile"))
            .args(["-t", &tag])
            .arg(&context),
    );

    // What the image says of itself.
    let out = run_ok(podman().args(["image", "inspect", &tag]));
    let inspect: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let config = &inspect[0]["Config"];
    assert_eq!(config["User"], image_stage.one("USER"));
    assert_eq!(
        config["Entrypoint"],
        serde_json::json!(exec_form(image_stage.one("ENTRYPOINT")))
    );
    assert!(config["ExposedPorts"]["8080/tcp"].is_object(), "{config}");
    let test = &inspect[0]["Healthcheck"]["Test"];
    let mut want = vec!["CMD".to_string()];
    want.extend(HEALTHCHECK.map(String::from));
    assert_eq!(test, &serde_json::json!(want), "{inspect}");

    // Its files, as podman exports them: the binary and the site, owned
    // by root, and nothing else.
    let export = format!("{name}-export");
    run_ok(podman().args(["create", "--name", &export, &tag]));
    let tar = dir.path().join("export.tar");
    run_ok(podman().args(["export", "-o"]).arg(&tar).arg(&export));
    let listing = tar_listing(&tar);
    let names: Vec<&str> = listing.iter().map(|(_, _, n)| n.as_str()).collect();
    assert_eq!(names, ["httpd", "site/", "site/index.html"], "{listing:?}");
    for (mode, owner, name) in &listing {
        assert_eq!(owner, "0/0", "{name}");
        let want = if name == "site/index.html" {
            "r--"
        } else {
            "r-x"
        };
        assert!(others_may(mode, want), "{name}: {mode}");
    }

    // Run as the README says, read-only, no capabilities.
    let out = run_ok(
        podman()
            .args(["run", "-d", "--name", &name])
            .args(podman_run_options())
            .arg(&tag),
    );
    assert!(!out.stdout.is_empty());
    let (passed, said) = healthy(&name);
    let logs = || {
        let out = podman().args(["logs", &name]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
    };
    assert!(passed, "podman healthcheck run: {said}; logs: {}", logs());
    let pid: i32 =
        String::from_utf8(run_ok(podman().args(["inspect", "-f", "{{.State.Pid}}", &name])).stdout)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
    let r = get_in_netns(pid);
    assert_eq!(r.status, 200, "{}", logs());
    assert_eq!(r.body, default_page());
    assert!(
        logs().contains("Serving HTTP on 0.0.0.0 port 8080 "),
        "{}",
        logs()
    );
    // podman stop sends STOPSIGNAL: a clean exit.
    run_ok(podman().args(["stop", "-t", "20", &name]));
    let code = run_ok(podman().args(["inspect", "-f", "{{.State.ExitCode}}", &name])).stdout;
    assert_eq!(String::from_utf8_lossy(&code).trim(), "0", "{}", logs());

    // The health check can fail: a server on another port is unhealthy.
    let other = format!("{name}-other-port");
    run_ok(
        podman()
            .args(["run", "-d", "--name", &other])
            .args(podman_run_options())
            .args([&tag, "9090"]),
    );
    let start = Instant::now();
    while !String::from_utf8_lossy(&podman().args(["logs", &other]).output().unwrap().stdout)
        .contains("port 9090 ")
    {
        assert!(start.elapsed() < WAIT, "the server on 9090 did not start");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let out = podman()
        .args(["healthcheck", "run", &other])
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "healthy though nothing listens on 8080"
    );
    drop(cleanup);
}
