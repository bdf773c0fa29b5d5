//! The sandbox (issue 7) against the real kernel. Here: a forked child
//! applies the real filters and Landlock rules, then shows that what the
//! server needs still works and that what it must never do is refused
//! (EACCES) or kills it (SIGSYS); the child makes raw syscalls only
//! between fork and its exit (the test binary has threads, so it must
//! not allocate). `sandbox_server.rs` checks the running server.

use httpd::rt::sys::{self, BorrowedFd, CStr, Errno, Open, Prctl, SockFilter};
use httpd::sandbox::{
    Mode, NO_OVERWRITE_FILTER, NO_UPLOAD_FILTER, SUPERVISOR_FILTER, WORKER_FILTER, Writes, install,
    landlock,
};

/// How a forked child ended.
#[derive(Debug, PartialEq, Eq)]
enum End {
    Exited(i32),
    Signaled(i32),
}

/// Runs `body` in a forked child; its return value is the exit status.
fn in_child(body: impl FnOnce() -> i32) -> End {
    // SAFETY: the child runs `body` (raw syscalls only) and `_exit`s.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let code = body();
        // SAFETY: ends the child without running the parent's atexit
        // handlers or unwinding into the test harness.
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    // SAFETY: waits for the child just forked; writes `status`.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    if libc::WIFSIGNALED(status) {
        End::Signaled(libc::WTERMSIG(status))
    } else {
        End::Exited(libc::WEXITSTATUS(status))
    }
}

/// A raw syscall, bypassing libc's wrappers (which might call others).
fn raw(nr: i64, a: [i64; 6]) -> i64 {
    // SAFETY: the callers pass arguments valid for `nr`, or null pointers
    // the kernel rejects; the point is whether the filter lets it run.
    unsafe { libc::syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]) }
}

/// Applies `filter` (after no-new-privs) in a child, makes the calls of
/// `allowed` (each must return without dying), then `forbidden`.
fn filtered(filter: &[SockFilter], mode: Mode, forbidden: impl FnOnce()) -> End {
    stacked(&[filter], mode, forbidden)
}

/// `filtered` with several filters installed in turn, as the server
/// stacks them (the supervisor's, `NO_UPLOAD`, the worker's).
fn stacked(filters: &[&[SockFilter]], mode: Mode, forbidden: impl FnOnce()) -> End {
    in_child(|| {
        if sys::prctl(Prctl::SET_NO_NEW_PRIVS, 1).is_err() {
            return 10;
        }
        for filter in filters {
            if install(filter, mode).is_err() {
                return 10;
            }
        }
        // Allowed in both filters: the clock, a write to stderr (nothing),
        // a read of nothing, an fstat.
        let _ = sys::clock_gettime(sys::Clock::Monotonic);
        if sys::write(BorrowedFd::STDERR, b"").is_err() {
            return 11;
        }
        if sys::fstat(BorrowedFd::STDERR).is_err() {
            return 12;
        }
        forbidden();
        0
    })
}

const SIGSYS: End = End::Signaled(libc::SIGSYS);

#[test]
fn worker_filter_allows_the_worker_and_kills_the_rest() {
    // Nothing forbidden: the child runs to the end.
    assert_eq!(filtered(&WORKER_FILTER, Mode::On, || {}), End::Exited(0));
    let forbidden: [(&str, i64, [i64; 6]); 10] = [
        ("shutdown SHUT_RD", libc::SYS_shutdown, [-1, 0, 0, 0, 0, 0]),
        ("socket", libc::SYS_socket, [2, 1, 0, 0, 0, 0]),
        ("execve", libc::SYS_execve, [0; 6]),
        ("ptrace", libc::SYS_ptrace, [0; 6]),
        ("mmap PROT_EXEC", libc::SYS_mmap, [0, 4096, 7, 0x22, -1, 0]),
        ("mmap", libc::SYS_mmap, [0, 4096, 3, 0x22, -1, 0]),
        ("mprotect", libc::SYS_mprotect, [0, 4096, 7, 0, 0, 0]),
        ("openat O_WRONLY", libc::SYS_openat, [-100, 0, 1, 0, 0, 0]),
        ("connect", libc::SYS_connect, [0; 6]),
        ("kill", libc::SYS_kill, [1, 0, 0, 0, 0, 0]),
    ];
    for (name, nr, args) in forbidden {
        // As a worker runs without --upload (see upload_syscalls_only_with_upload).
        let end = stacked(&[&NO_UPLOAD_FILTER, &WORKER_FILTER], Mode::On, || {
            raw(nr, args);
        });
        assert_eq!(end, SIGSYS, "{name}");
    }
    // Allowed with its argument check: a read-only openat (of a null
    // path: EFAULT, but not killed); memfd_create with MFD_CLOEXEC.
    let end = filtered(&WORKER_FILTER, Mode::On, || {
        raw(libc::SYS_openat, [-100, 0, 0, 0, 0, 0]);
        raw(libc::SYS_memfd_create, [0, 1, 0, 0, 0, 0]);
    });
    assert_eq!(end, End::Exited(0));
    // ...and without it: memfd_create with another flag.
    let end = filtered(&WORKER_FILTER, Mode::On, || {
        raw(libc::SYS_memfd_create, [0, 2, 0, 0, 0, 0]);
    });
    assert_eq!(end, SIGSYS);
}

#[test]
fn x32_calls_are_killed_even_when_logging() {
    for mode in [Mode::On, Mode::Log] {
        let end = filtered(&WORKER_FILTER, mode, || {
            // getpid through the x32 ABI.
            raw(0x4000_0000 | libc::SYS_getpid, [0; 6]);
        });
        assert_eq!(end, SIGSYS, "{mode:?}");
    }
}

#[test]
fn log_mode_lets_forbidden_calls_through() {
    let end = filtered(&WORKER_FILTER, Mode::Log, || {
        raw(libc::SYS_getpid, [0; 6]);
        raw(libc::SYS_socket, [-1, 0, 0, 0, 0, 0]);
    });
    assert_eq!(end, End::Exited(0));
}

#[test]
fn supervisor_filter_allows_worker_set_up_and_kills_the_rest() {
    let end = filtered(&SUPERVISOR_FILTER, Mode::On, || {
        // A worker's set-up: memory (not executable), an epoll set.
        raw(libc::SYS_mmap, [0, 4096, 3, 0x22, -1, 0]);
        raw(
            libc::SYS_epoll_create1,
            [libc::O_CLOEXEC as i64, 0, 0, 0, 0, 0],
        );
        raw(
            libc::SYS_prctl,
            [libc::PR_SET_DUMPABLE as i64, 0, 0, 0, 0, 0],
        );
        // Stopping a worker that does not exist; closing a listener.
        raw(libc::SYS_kill, [i32::MAX as i64, 15, 0, 0, 0, 0]);
        raw(libc::SYS_shutdown, [-1, 2, 0, 0, 0, 0]);
    });
    assert_eq!(end, End::Exited(0));
    let forbidden: [(&str, i64, [i64; 6]); 7] = [
        ("socket", libc::SYS_socket, [2, 1, 0, 0, 0, 0]),
        ("execve", libc::SYS_execve, [0; 6]),
        ("ptrace", libc::SYS_ptrace, [0; 6]),
        ("mmap PROT_EXEC", libc::SYS_mmap, [0, 4096, 7, 0x22, -1, 0]),
        (
            "clone a thread",
            libc::SYS_clone,
            [0x10000 | 17, 0, 0, 0, 0, 0],
        ),
        (
            "kill SIGUSR1",
            libc::SYS_kill,
            [i32::MAX as i64, 10, 0, 0, 0, 0],
        ),
        ("prctl PR_SET_SECCOMP", libc::SYS_prctl, [22, 0, 0, 0, 0, 0]),
    ];
    for (name, nr, args) in forbidden {
        let end = filtered(&SUPERVISOR_FILTER, Mode::On, || {
            raw(nr, args);
        });
        assert_eq!(end, SIGSYS, "{name}");
    }
}

fn cstr(s: &str) -> std::ffi::CString {
    std::ffi::CString::new(s).unwrap()
}

/// Landlock as a worker applies it: reading beneath the root works;
/// reading anything else, even by a path that bypasses the server's own
/// path checks, writing beneath the root, and binding a TCP port fail.
#[test]
fn landlock_confines_reads_to_the_root() {
    let Ok(abi) = sys::landlock_abi_version() else {
        println!("note: this kernel has no Landlock; skipped");
        return;
    };
    let dir = std::env::temp_dir().join(format!("httpd-landlock-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("www/sub")).unwrap();
    std::fs::write(dir.join("www/sub/f.txt"), b"inside").unwrap();
    std::fs::write(dir.join("outside.txt"), b"outside").unwrap();
    let www = cstr(dir.join("www").to_str().unwrap());
    let outside = cstr(dir.join("outside.txt").to_str().unwrap());
    let root = sys::openat(
        BorrowedFd::CWD,
        CStr::new(www.as_bytes_with_nul()).unwrap(),
        Open::RDONLY.with(Open::DIRECTORY).with(Open::CLOEXEC),
    )
    .unwrap();
    let end = in_child(|| {
        if sys::prctl(Prctl::SET_NO_NEW_PRIVS, 1).is_err()
            || landlock(abi, root.as_fd(), Writes::None).is_err()
        {
            return 10;
        }
        let open = |at: BorrowedFd, path: &[u8], flags: Open| {
            sys::openat(at, CStr::new(path).unwrap(), flags).map(|_| ())
        };
        let read = Open::RDONLY.with(Open::CLOEXEC);
        let write = Open::WRONLY.with(Open::CLOEXEC);
        // Beneath the root: files and directories open for reading.
        if open(root.as_fd(), b"sub/f.txt\0", read).is_err() {
            return 11;
        }
        if open(root.as_fd(), b".\0", read.with(Open::DIRECTORY)).is_err() {
            return 12;
        }
        // Anywhere else: refused, even as absolute paths.
        if open(BorrowedFd::CWD, b"/etc/passwd\0", read) != Err(Errno::EACCES) {
            return 13;
        }
        if open(BorrowedFd::CWD, outside.as_bytes_with_nul(), read) != Err(Errno::EACCES) {
            return 14;
        }
        if open(root.as_fd(), b"..\0", read.with(Open::DIRECTORY)) != Err(Errno::EACCES) {
            return 15;
        }
        // No writing beneath the root either.
        if open(root.as_fd(), b"sub/f.txt\0", write) != Err(Errno::EACCES) {
            return 16;
        }
        // ABI 4+: no TCP bind.
        if abi >= 4 {
            // Landlock ABI 4 added network rules.
            let fd = raw(libc::SYS_socket, [libc::AF_INET as i64, 1, 0, 0, 0, 0]);
            let addr = libc::sockaddr_in {
                sin_family: libc::AF_INET as u16,
                sin_port: 0,
                sin_addr: libc::in_addr {
                    s_addr: u32::from_be_bytes([127, 0, 0, 1]).to_be(),
                },
                sin_zero: [0; 8],
            };
            let bound = raw(libc::SYS_bind, [fd, &addr as *const _ as i64, 16, 0, 0, 0]);
            if bound != -1 || std::io::Error::last_os_error().raw_os_error() != Some(libc::EACCES) {
                return 17;
            }
        }
        0
    });
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(end, End::Exited(0), "Landlock ABI {abi}");
}

/// Uploads (issue 9): the filters allow exactly what uploads make
/// (linkat, renameat, pipe2, splice, openat with `O_WRONLY | O_TMPFILE`;
/// never `O_CREAT`, `O_TRUNC`, `O_APPEND` or `O_RDWR`), and without
/// `--upload` the stacked `NO_UPLOAD_FILTER` kills all of it again,
/// including any openat with a write flag, in the supervisor and in a
/// worker set up as the server sets it up.
#[test]
fn upload_syscalls_only_with_upload() {
    const O_TMPFILE_WRONLY: i64 = 0o20200001;
    let upload_calls: [(&str, i64, [i64; 6]); 5] = [
        ("linkat", libc::SYS_linkat, [-1, 0, -1, 0, 0x1000, 0]),
        ("renameat", libc::SYS_renameat, [-1, 0, -1, 0, 0, 0]),
        ("splice", libc::SYS_splice, [-1, 0, -1, 0, 0, 0]),
        ("pipe2", libc::SYS_pipe2, [0; 6]),
        (
            "openat O_TMPFILE",
            libc::SYS_openat,
            [-100, 0, O_TMPFILE_WRONLY, 0o666, 0, 0],
        ),
    ];
    let with_upload: [&[&[SockFilter]]; 2] =
        [&[&SUPERVISOR_FILTER, &WORKER_FILTER], &[&WORKER_FILTER]];
    let without: [&[&[SockFilter]]; 2] = [
        &[&SUPERVISOR_FILTER, &NO_UPLOAD_FILTER, &WORKER_FILTER],
        // (A worker cannot install a filter after its own: `seccomp` is
        // not on its list; the server installs `NO_UPLOAD` first.)
        &[&NO_UPLOAD_FILTER, &WORKER_FILTER],
    ];
    for filters in with_upload {
        let end = stacked(filters, Mode::On, || {
            for (_, nr, args) in upload_calls {
                raw(nr, args);
            }
        });
        assert_eq!(end, End::Exited(0));
        for flags in [0o100 | 1, 0o1000 | 1, 0o2000 | 1, 0o2] {
            let end = stacked(filters, Mode::On, || {
                raw(libc::SYS_openat, [-100, 0, flags, 0o666, 0, 0]);
            });
            assert_eq!(end, SIGSYS, "openat flags {flags:o}");
        }
    }
    for filters in without {
        for (name, nr, args) in upload_calls {
            let end = stacked(filters, Mode::On, || {
                raw(nr, args);
            });
            assert_eq!(end, SIGSYS, "{name} without --upload");
        }
        let end = stacked(filters, Mode::On, || {
            raw(libc::SYS_openat, [-100, 0, 1, 0, 0, 0]);
        });
        assert_eq!(end, SIGSYS, "openat O_WRONLY without --upload");
        // What a worker makes stays allowed: a read-only openat.
        let end = stacked(filters, Mode::On, || {
            raw(libc::SYS_openat, [-100, 0, 0, 0, 0, 0]);
            raw(libc::SYS_getdents64, [-1, 0, 0, 0, 0, 0]);
        });
        assert_eq!(end, End::Exited(0));
    }
    // --upload without --upload-overwrite: all of it but renameat.
    let create_only: &[&[SockFilter]] = &[&SUPERVISOR_FILTER, &NO_OVERWRITE_FILTER, &WORKER_FILTER];
    for (name, nr, args) in upload_calls {
        let end = stacked(create_only, Mode::On, || {
            raw(nr, args);
        });
        let want = if nr == libc::SYS_renameat {
            SIGSYS
        } else {
            End::Exited(0)
        };
        assert_eq!(end, want, "{name} with --upload alone");
    }
    // --sandbox log: the deny filter logs instead of killing.
    let end = stacked(&[&NO_UPLOAD_FILTER, &WORKER_FILTER], Mode::Log, || {
        raw(libc::SYS_linkat, [-1, 0, -1, 0, 0x1000, 0]);
    });
    assert_eq!(end, End::Exited(0));
}

/// `--upload`'s Landlock rule: an unnamed file can be made, written and
/// linked beneath the root (and renamed over a file); outside the root
/// nothing, and no directory is made even beneath it. Without `upload`,
/// not even the unnamed file.
#[test]
fn landlock_upload_rights_stay_beneath_the_root() {
    let Ok(abi) = sys::landlock_abi_version() else {
        println!("note: this kernel has no Landlock; skipped");
        return;
    };
    let dir = std::env::temp_dir().join(format!("httpd-landlock-up-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("www/sub")).unwrap();
    std::fs::create_dir_all(dir.join("out")).unwrap();
    std::fs::write(dir.join("www/sub/old.txt"), b"old").unwrap();
    let open_dir = |p: &std::path::Path| {
        let c = cstr(p.to_str().unwrap());
        sys::openat(
            BorrowedFd::CWD,
            CStr::new(c.as_bytes_with_nul()).unwrap(),
            Open::RDONLY.with(Open::DIRECTORY).with(Open::CLOEXEC),
        )
        .unwrap()
    };
    let root = open_dir(&dir.join("www"));
    let sub = open_dir(&dir.join("www/sub"));
    let out = open_dir(&dir.join("out"));
    let dot = CStr::new(b".\0").unwrap();
    let tmp = Open::TMPFILE.with(Open::CLOEXEC);
    let new_dir = cstr(dir.join("www/sub/d").to_str().unwrap());
    for (upload, writes) in [
        (true, Writes::Replace),
        (true, Writes::Create),
        (false, Writes::None),
    ] {
        let end = in_child(|| {
            if sys::prctl(Prctl::SET_NO_NEW_PRIVS, 1).is_err()
                || landlock(abi, root.as_fd(), writes).is_err()
            {
                return 10;
            }
            let made = sys::openat(sub.as_fd(), dot, tmp);
            if !upload {
                return if made.err() == Some(Errno::EACCES) {
                    0
                } else {
                    11
                };
            }
            let Ok(file) = made else { return 12 };
            if sys::write(file.as_fd(), b"new").is_err() {
                return 13;
            }
            if sys::linkat(file.as_fd(), sub.as_fd(), CStr::new(b"new.txt\0").unwrap()).is_err() {
                return 14;
            }
            let from = CStr::new(b"new.txt\0").unwrap();
            let renamed = sys::renameat(sub.as_fd(), from, CStr::new(b"old.txt\0").unwrap());
            if writes == Writes::Create {
                // Replacing a file removes it: only --upload-overwrite.
                return if renamed.err() == Some(Errno::EACCES) {
                    0
                } else {
                    20
                };
            }
            if renamed.is_err() {
                return 15;
            }
            if sys::openat(out.as_fd(), dot, tmp).err() != Some(Errno::EACCES) {
                return 16;
            }
            // Kernels before 6.10 refuse AT_EMPTY_PATH to an unprivileged
            // caller; the /proc way must work inside the sandbox too.
            let Ok(file) = sys::openat(sub.as_fd(), dot, tmp) else {
                return 18;
            };
            let proc_name = CStr::new(b"proc.txt\0").unwrap();
            if sys::linkat_proc(file.as_fd(), sub.as_fd(), proc_name).is_err() {
                return 19;
            }
            let mkdir = raw(
                libc::SYS_mkdirat,
                [-100, new_dir.as_ptr() as i64, 0o755, 0, 0, 0],
            );
            if mkdir != -1 {
                return 17;
            }
            0
        });
        assert_eq!(end, End::Exited(0), "upload {upload}, Landlock ABI {abi}");
    }
    assert_eq!(std::fs::read(dir.join("www/sub/old.txt")).unwrap(), b"new");
    // Replace renamed its new.txt over old.txt; Create's stays beside it.
    assert_eq!(std::fs::read(dir.join("www/sub/new.txt")).unwrap(), b"new");
    assert!(!dir.join("www/sub/d").exists());
    assert!(dir.join("www/sub/proc.txt").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}
