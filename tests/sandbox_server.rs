//! The sandbox (issue 7) of the running server: what `/proc` says of its
//! workers and supervisor (no new privileges, a seccomp filter, the user
//! they run as), the report of a worker killed by SIGSYS, `--user` and
//! `--sandbox`, and the start-up checks. Every other integration test
//! runs with the sandbox on too (it is the default), so a syscall missing
//! from the allow-list kills a worker and fails them.

mod common;
use common::*;

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_httpd");

/// Runs httpd to its exit (for start-up failures): code and stderr.
fn run_to_exit(command: &mut Command) -> (Option<i32>, String) {
    let out = command.output().expect("run httpd");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn workers_and_supervisor_are_confined_by_default() {
    let dir = TempDir::new("confined");
    dir.write("a.txt", "a\n");
    let server = Server::start(dir.path(), &["-w", "2", "-q"]);
    assert_eq!(server.get("/a.txt", &[]).body, b"a\n");
    let pids = workers(&server, 2);
    // A worker confines itself before its first accept, but the request
    // above may have been another's: wait until each has its filters.
    for &pid in &pids {
        let start = std::time::Instant::now();
        while status_field(pid, "Seccomp_filters") != "3" && start.elapsed() < WAIT {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
    for &pid in pids.iter().chain([&(server.child.id() as i32)]) {
        assert_eq!(status_field(pid, "NoNewPrivs"), "1", "pid {pid}");
        assert_eq!(status_field(pid, "Seccomp"), "2", "pid {pid}");
    }
    // The supervisor's allow-list, then the worker's two: without
    // --upload the deny-list `NO_UPLOAD`, and its allow-list. (The
    // supervisor has no deny-list: it opens `--log FILE` on SIGHUP.)
    assert_eq!(status_field(pids[0], "Seccomp_filters"), "3");
    let supervisor = server.child.id() as i32;
    assert_eq!(status_field(supervisor, "Seccomp_filters"), "1");
    // --upload: `NO_OVERWRITE` instead; --upload-overwrite: neither.
    for (flag, filters) in [("--upload", "3"), ("--upload-overwrite", "2")] {
        let uploading = Server::start(dir.path(), &["-w", "1", "-q", flag]);
        assert_eq!(uploading.get("/a.txt", &[]).body, b"a\n");
        assert_eq!(
            status_field(workers(&uploading, 1)[0], "Seccomp_filters"),
            filters
        );
    }
    if is_root() {
        for &pid in &pids {
            assert_eq!(status_field(pid, "Uid"), "65534\t65534\t65534\t65534");
            assert_eq!(status_field(pid, "Gid"), "65534\t65534\t65534\t65534");
            assert_eq!(status_field(pid, "Groups"), "");
            assert_eq!(status_field(pid, "CapEff"), "0000000000000000");
        }
        let line = "Running as user nobody, uid 65534, gid 65534";
        let said = server.wait_stdout(line);
        assert!(said.contains(line), "{said:?}");
    } else {
        println!("note: not root: the privilege drop is not checked");
    }
}

#[test]
fn user_root_keeps_root_with_a_warning() {
    if !is_root() {
        println!("note: not root: --user root is not checked");
        return;
    }
    let dir = TempDir::new("keep-root");
    dir.write("a.txt", "a\n");
    let server = Server::start(dir.path(), &["-w", "1", "--user", "root", "-q"]);
    assert_eq!(server.get("/a.txt", &[]).body, b"a\n");
    let pid = workers(&server, 1)[0];
    assert_eq!(status_field(pid, "Uid"), "0\t0\t0\t0");
    assert_eq!(status_field(pid, "Seccomp"), "2");
    let log = server.wait_log("httpd: warning: --user root");
    assert!(log.contains("httpd: warning: --user root"), "{log}");
    assert!(
        server
            .wait_stdout("Running as root")
            .contains("Running as root")
    );
}

/// As nginx with `user nobody`, a file only root may read is refused
/// (403), while the rest of the site is served.
#[test]
fn root_only_files_are_forbidden_after_the_drop() {
    if !is_root() {
        println!("note: not root: the privilege drop is not checked");
        return;
    }
    let dir = TempDir::new("root-only");
    dir.write("public.txt", "public\n");
    let secret = dir.write("secret.txt", "secret\n");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    let server = Server::start(dir.path(), &["-q"]);
    assert_eq!(server.get("/public.txt", &[]).body, b"public\n");
    let r = server.get("/secret.txt", &[]);
    assert_eq!(r.status, 403);
    assert!(!r.text().contains("secret\n"));
}

/// A served directory the new user cannot read: one line naming the
/// user, the directory and the fix, exit 1.
#[test]
fn unreadable_root_for_the_new_user_fails_at_start() {
    if !is_root() {
        println!("note: not root: the privilege drop is not checked");
        return;
    }
    let dir = TempDir::new("unreadable-root");
    let www = dir.path().join("www");
    std::fs::create_dir(&www).unwrap();
    std::fs::set_permissions(&www, std::fs::Permissions::from_mode(0o700)).unwrap();
    let (code, stderr) = run_to_exit(
        Command::new(BIN)
            .args(["0", "-b", "127.0.0.1", "-d"])
            .arg(&www),
    );
    assert_eq!(code, Some(1), "{stderr}");
    let line = stderr.trim_end();
    assert_eq!(line.lines().count(), 1, "{stderr}");
    assert!(
        line.starts_with("httpd: user nobody cannot read '"),
        "{line}"
    );
    assert!(line.contains(www.to_str().unwrap()), "{line}");
    assert!(
        line.contains("--user") && line.contains("(EACCES)"),
        "{line}"
    );
    // As root, on purpose, it serves.
    let server = Server::start(&www, &["--user", "root", "-q"]);
    assert_eq!(server.get("/", &[]).status, 200);
}

#[test]
fn unknown_user_or_group_fails_at_start() {
    let dir = TempDir::new("unknown-user");
    for (arg, message) in [
        (
            "no-such-user-here",
            "httpd: no user 'no-such-user-here' in /etc/passwd",
        ),
        (
            "nobody:no-such-group",
            "httpd: no group 'no-such-group' in /etc/group",
        ),
    ] {
        let (code, stderr) = run_to_exit(
            Command::new(BIN)
                .args(["0", "-b", "127.0.0.1", "--user", arg, "-d"])
                .arg(dir.path()),
        );
        assert_eq!((code, stderr.trim_end()), (Some(1), message));
    }
    // A malformed value is a usage error.
    let (code, stderr) = run_to_exit(Command::new(BIN).args(["--user", "a:b:c"]));
    assert_eq!(code, Some(2), "{stderr}");
}

/// Started as another user, `--user` cannot switch: it says so and exits
/// 1, rather than serve as a user the operator did not ask for.
#[test]
fn user_without_root_fails_at_start() {
    if !is_root() || Command::new("setpriv").arg("--version").output().is_err() {
        println!("note: needs root and setpriv; skipped");
        return;
    }
    let dir = TempDir::new("user-not-root");
    let (code, stderr) = run_to_exit(
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", BIN])
            .args(["0", "-b", "127.0.0.1", "--user", "root", "-d"])
            .arg(dir.path()),
    );
    assert_eq!(
        (code, stderr.trim_end()),
        (
            Some(1),
            "httpd: --user needs root to switch to another user"
        )
    );
    // The same user it already is: fine.
    let mut command = Command::new("setpriv");
    command
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", BIN])
        .args(["0", "-b", "127.0.0.1", "-q", "--user", "65534", "-d"])
        .arg(dir.path());
    let server = Server::spawn(command, "127.0.0.1");
    assert_eq!(server.get("/", &[]).status, 200);
}

/// A worker killed by SIGSYS (what seccomp does to a syscall off the
/// list) is reported as a sandbox violation, and restarted.
#[test]
fn sigsys_is_reported_as_a_sandbox_violation() {
    let dir = TempDir::new("sigsys");
    dir.write("a.txt", "alive\n");
    let server = Server::start(dir.path(), &["-w", "1", "-q"]);
    let old = workers(&server, 1)[0];
    kill("SYS", old);
    let log = server.wait_log("restarting");
    let line = log
        .lines()
        .find(|l| l.contains("SIGSYS"))
        .unwrap_or_else(|| panic!("no report: {log:?}"));
    assert_eq!(
        line,
        format!("httpd: worker 0 (pid {old}) was killed by SIGSYS (sandbox violation); restarting")
    );
    assert_eq!(server.get("/a.txt", &[]).body, b"alive\n");
    let new = workers(&server, 1)[0];
    assert_ne!(new, old);
    assert_eq!(status_field(new, "Seccomp"), "2");
}

#[test]
fn sandbox_off_and_log() {
    let dir = TempDir::new("sandbox-modes");
    dir.write("a.txt", "a\n");
    let off = Server::start(dir.path(), &["-w", "1", "-q", "--sandbox", "off"]);
    assert_eq!(off.get("/a.txt", &[]).body, b"a\n");
    let pid = workers(&off, 1)[0];
    assert_eq!(status_field(pid, "Seccomp"), "0");
    // Privileges are still dropped and hardened.
    assert_eq!(status_field(pid, "NoNewPrivs"), "1");
    let warning = "httpd: warning: --sandbox off: workers are not confined";
    assert!(off.wait_log(warning).contains(warning), "{}", off.log());
    let log = Server::start(dir.path(), &["-w", "1", "-q", "--sandbox", "log"]);
    assert_eq!(log.get("/a.txt", &[]).body, b"a\n");
    assert_eq!(status_field(workers(&log, 1)[0], "Seccomp"), "2");
    let (code, _) = run_to_exit(Command::new(BIN).args(["--sandbox", "maybe"]));
    assert_eq!(code, Some(2));
}

/// Where the kernel has neither Landlock nor seccomp (here: a filter
/// makes both answer ENOSYS, as an old kernel or gVisor would), the
/// server says so once at start-up and serves.
#[test]
fn without_landlock_and_seccomp_the_server_says_so_and_serves() {
    let dir = TempDir::new("no-sandbox-kernel");
    dir.write("a.txt", "a\n");
    let mut command = Command::new(BIN);
    command
        .args(["0", "-b", "127.0.0.1", "-w", "2", "-q", "-d"])
        .arg(dir.path());
    answer_enosys(
        &mut command,
        &[libc::SYS_landlock_create_ruleset, libc::SYS_seccomp],
    );
    let server = Server::spawn(command, "127.0.0.1");
    assert_eq!(server.get("/a.txt", &[]).body, b"a\n");
    // Written before the banner, but read from stderr by another thread.
    let log = server.wait_log("seccomp is unavailable");
    for note in [
        "httpd: Landlock is unavailable; file access is confined by the path checks alone: function not implemented (ENOSYS)",
        "httpd: seccomp is unavailable; workers run without a syscall filter: function not implemented (ENOSYS)",
    ] {
        assert_eq!(log.matches(note).count(), 1, "{log}");
    }
    // Only the outside filter: the server added none of its own.
    for pid in workers(&server, 2) {
        assert_eq!(status_field(pid, "Seccomp_filters"), "1");
        assert_eq!(status_field(pid, "NoNewPrivs"), "1");
    }
}
