//! The supervisor: the process the user started. It opens the root and
//! the listening sockets (so start-up errors are reported once, with exit 1),
//! prints the banner, forks the workers, restarts any that dies, and on
//! SIGINT/SIGTERM/SIGQUIT stops them and exits 0. SIGHUP reloads: the
//! log file and the root are opened again (a symlink swapped by a deploy
//! is followed anew) and fresh workers, with fresh sandbox rules for the
//! new root, take over while the old ones finish their responses; SIGUSR1
//! does the same for the log file alone (logrotate). Signals arrive
//! through a signalfd: no asynchronous handlers anywhere.

use crate::addr;
use crate::buf::Buf;
use crate::cli::{Bind, Config};
use crate::fs::path::MAX_PATH_BYTES;
use crate::fs::root::Root;
use crate::http::response::Common;
use crate::net::listen::{self, Local, MAX_LISTENERS, Step};
use crate::net::worker::{self, Setup};
use crate::rt::out::{self, MAX_LINE_BYTES};
use crate::rt::sys::{
    self, AF_INET, BorrowedFd, CStr, Clock, Errno, Open, OwnedFd, SIGALRM, SIGCHLD, SIGHUP, SIGINT,
    SIGKILL, SIGPIPE, SIGQUIT, SIGSYS, SIGTERM, SIGUSR1, SIGUSR2, SigHow, SigSet,
};
use crate::sandbox;
use crate::serve::Site;

/// The most worker processes (`--workers` is checked against it): the
/// pid table lives on the supervisor's stack, and more workers than this
/// on one machine would only contend.
pub const MAX_WORKERS: usize = 1024;

/// The least time between two worker restarts, in seconds.
const RESTART_INTERVAL_SECS: i64 = 1;

/// Seconds after start-up during which a worker that cannot start ends
/// the server (exit 1) instead of being restarted.
const STARTUP_SECS: i64 = 5;

/// RLIMIT_NOFILE when getrlimit fails: the soft limit most systems start
/// a process with.
const DEFAULT_NOFILE: usize = 1024;

/// Serves `config` until stopped; returns the exit code. `env` holds the
/// `LISTEN_*` variables of socket activation.
pub fn run(config: &Config, env: &[&[u8]]) -> i32 {
    // A client that hangs up must never kill the server (EPIPE instead).
    let _ = sys::ignore_signal(SIGPIPE);
    // The workers size their batches of new connections by it; if it
    // cannot be read, the usual default.
    let max_open_files = sys::raise_nofile_limit().map_or(DEFAULT_NOFILE, |n| n as usize);

    let mut root = open_root(config.directory)
        .unwrap_or_else(|e| die_about(b"cannot serve '", config.directory, b"'", e));
    if !root.confined() {
        out::stderr(b"httpd: openat2 is unavailable: opening paths one component at a time, following no symlink\n");
    }
    let listeners = match listen::activation(env, sys::getpid()) {
        Err(why) => out::fail(&[why.message()], None),
        Ok(0) => listen::bound(config.bind, config.port, config.unix)
            .unwrap_or_else(|(step, e)| cannot_listen(config, step, e)),
        Ok(count) => listen::inherited(count).unwrap_or_else(|(fd, e)| {
            let mut mem = [0u8; MAX_LINE_BYTES];
            let mut what = Buf::new(&mut mem);
            what.str("socket activation: fd ")
                .u64(fd as u64)
                .str(" is not a listening TCP or Unix stream socket");
            out::die(what.as_bytes(), e)
        }),
    };
    let mut fd_mem = [BorrowedFd::STDERR; MAX_LISTENERS];
    let fd_count = listeners.fds(&mut fd_mem);
    let listener_fds = fd_mem.get(..fd_count).unwrap_or_default();
    // Opened while still root, as nginx does: /var/log may be root's.
    let mut log_file = None;
    let mut log_created = false;
    if let Some(path) = config.log_file {
        match open_log(path) {
            Ok((fd, created)) => (log_file, log_created) = (Some(fd), created),
            Err(e) => cannot_open_log(path, e, b"", true),
        }
    }
    // The key may be readable by root only: read it while still root.
    #[cfg(feature = "tls")]
    let credentials = config.tls.on().then(|| {
        let (wall, _) = sys::clock_gettime(Clock::Realtime);
        super::https::load(&config.tls, config.bind, wall)
    });
    #[cfg(feature = "tls")]
    let https = credentials.is_some();
    #[cfg(not(feature = "tls"))]
    let https = false;
    // The password file may be root-only too.
    let users = super::auth::load(config);
    // Root is no longer needed: the sockets and the root are open.
    let privileges = sandbox::drop_privileges(
        config.user,
        root.dir(),
        config.directory,
        config.options.listing,
        // Only a file this start created is handed over: never one that
        // was there already, which may be anybody's.
        log_file
            .as_ref()
            .filter(|_| log_created)
            .map(OwnedFd::as_fd),
    );
    // The --404 page must open beneath the root as a regular file, for
    // the user that serves.
    if let Some(page) = config.not_found {
        if let Err(e) = crate::serve::check_not_found(&root, page) {
            die_about(
                b"cannot serve --404 '",
                page,
                b"' (a file beneath the directory)",
                e,
            );
        }
    }
    let support = sandbox::probe(config.sandbox);
    for local in listeners.locals() {
        banner(local, https);
    }
    #[cfg(feature = "tls")]
    if let Some(cred) = credentials.as_ref() {
        super::https::print_fingerprint(cred);
    }
    let mut mem = [0u8; MAX_LINE_BYTES];
    let mut line = Buf::new(&mut mem);
    privileges.describe(&mut line);
    out::write_all(BorrowedFd::STDOUT, line.as_bytes());
    super::auth::warn(config, https, users.is_some());

    // Signals are read from a signalfd, so they must be blocked; workers
    // inherit the mask and make their own signalfd. Every signal whose
    // default action would end the server without a word is here:
    // reload, log reopening and stopping are handled, the rest logged.
    let watched = SigSet::of(&[
        SIGINT, SIGTERM, SIGCHLD, SIGHUP, SIGUSR1, SIGUSR2, SIGQUIT, SIGALRM,
    ]);
    if let Err(e) = sys::rt_sigprocmask(SigHow::Block, watched) {
        out::die(b"cannot block signals", e);
    }
    let signals =
        sys::signalfd(watched, true).unwrap_or_else(|e| out::die(b"cannot create a signalfd", e));

    let extra = config
        .headers
        .get(..config.header_count)
        .unwrap_or_default();
    let count = if config.workers == 0 {
        sys::cpu_count()
    } else {
        config.workers
    }
    .min(MAX_WORKERS);
    let mut pids = [0i32; MAX_WORKERS];
    // Workers of earlier generations still finishing their responses
    // after a reload: told to stop with the rest, and waited for.
    let mut retired = [0i32; MAX_WORKERS];
    let me = sys::getpid();
    let spawn = |index: usize, root: &Root, log: BorrowedFd| -> i32 {
        match sys::fork() {
            Ok(0) => {
                // Never outlive the supervisor, even if it is SIGKILLed.
                let _ = sys::set_parent_death_signal(SIGTERM);
                if sys::getppid() != me {
                    sys::exit_group(0);
                }
                let setup = Setup {
                    listeners: listener_fds,
                    site: Site {
                        root,
                        auth: users,
                        options: config.options,
                        not_found: config.not_found,
                        common: Common {
                            date: b"",
                            now: 0,
                            extra,
                        },
                        closing: false,
                    },
                    max_connections: config.max_connections,
                    max_open_files,
                    timeout_secs: config.timeout_secs,
                    quiet: config.quiet,
                    log_fd: log,
                    log_format: config.log_format,
                    sandbox: config.sandbox,
                    support,
                    #[cfg(feature = "tls")]
                    tls: credentials.as_ref(),
                };
                sys::exit_group(worker::run(setup))
            }
            Ok(pid) => pid,
            Err(e) => {
                let mut mem = [0u8; MAX_LINE_BYTES];
                let mut what = Buf::new(&mut mem);
                what.str("cannot start worker ").u64(index as u64);
                out::die(what.as_bytes(), e)
            }
        }
    };
    // The last start-up step before the workers: from here on the supervisor, and every
    // worker it forks, runs under its seccomp filter.
    if let Err(e) = sandbox::confine_supervisor(config.sandbox, support) {
        out::die(b"cannot confine the supervisor", e);
    }
    for (i, pid) in pids.iter_mut().enumerate().take(count) {
        *pid = spawn(i, &root, log_of(&log_file));
    }

    let mut stopping = false;
    let mut last_restart = i64::MIN / 2;
    let (started, _) = sys::clock_gettime(Clock::Monotonic);
    loop {
        let Some(signal) = sys::read_signal(signals.as_fd()) else {
            continue;
        };
        match signal {
            SIGINT | SIGTERM | SIGQUIT if stopping => {
                // A second Ctrl-C: the user does not want to wait.
                stop_workers(&pids, SIGKILL);
                stop_workers(&retired, SIGKILL);
                return 1;
            }
            SIGINT | SIGTERM | SIGQUIT => {
                stopping = true;
                if signal == SIGINT {
                    // python's words, on its stream.
                    out::write_all(
                        BorrowedFd::STDOUT,
                        b"\nKeyboard interrupt received, exiting.\n",
                    );
                }
                listeners.stop();
                stop_workers(&pids, SIGTERM);
                stop_workers(&retired, SIGTERM);
            }
            SIGUSR1 if config.log_file.is_none() => {
                out::stderr(b"httpd: SIGUSR1: no --log FILE to open again\n");
            }
            SIGHUP | SIGUSR1 if !stopping => {
                // Fresh workers take over while the old ones finish what
                // they are answering: the sockets stay open throughout, so
                // no client is refused.
                if let Some(path) = config.log_file {
                    match open_log(path) {
                        Ok((fd, _)) => log_file = Some(fd),
                        Err(e) => cannot_open_log(path, e, b"; still writing the old one", false),
                    }
                }
                if signal == SIGHUP {
                    match open_root(config.directory) {
                        Ok(fresh) => {
                            root = fresh;
                            // A release without its --404 page is served
                            // with plain 404s; say so.
                            let page = config.not_found.unwrap_or_default();
                            if config.not_found.is_some()
                                && crate::serve::check_not_found(&root, page).is_err()
                            {
                                out::line(
                                    &[b"warning: --404 '", page, b"' is missing after the reload"],
                                    None,
                                );
                            }
                        }
                        Err(e) => out::line(
                            &[
                                b"cannot serve '",
                                config.directory,
                                b"' again; still serving the old one",
                            ],
                            Some(e),
                        ),
                    }
                }
                // The new workers first, then the old ones are told to
                // hand over: SIGHUP makes a worker stop accepting and
                // finish every response in flight, however long (each
                // connection's own timeout still applies), then exit.
                let old = pids;
                for (i, pid) in pids.iter_mut().enumerate().take(count) {
                    *pid = spawn(i, &root, log_of(&log_file));
                }
                stop_workers(&old, SIGHUP);
                // Reloads faster than workers finish: the oldest are only
                // reaped, no longer tracked.
                let mut free = retired.iter_mut().filter(|p| **p == 0);
                for &pid in old.iter().filter(|&&p| p > 0) {
                    if let Some(slot) = free.next() {
                        *slot = pid;
                    }
                }
                out::stderr(if signal == SIGHUP {
                    b"httpd: SIGHUP: reloaded (the directory and the log opened again, fresh workers)\n"
                } else {
                    b"httpd: SIGUSR1: the log opened again (fresh workers)\n"
                });
            }
            SIGHUP | SIGUSR1 => {}
            SIGUSR2 | SIGALRM => {
                out::stderr(b"httpd: signal ignored (SIGHUP reloads, SIGUSR1 reopens the log, SIGTERM stops)\n");
            }
            _ => {}
        }
        // Reap every ended worker; restart it unless stopping or retired.
        while let Ok(Some((pid, status))) = sys::wait_any_nohang() {
            if let Some(slot) = retired.iter_mut().find(|p| **p == pid) {
                *slot = 0;
                continue;
            }
            let found = pids
                .iter_mut()
                .take(count)
                .enumerate()
                .find(|(_, p)| **p == pid);
            let Some((index, slot)) = found else { continue };
            *slot = 0;
            if stopping {
                continue;
            }
            let (now, _) = sys::clock_gettime(Clock::Monotonic);
            if exit_code(status) == Some(worker::EXIT_CANNOT_START) && now - started < STARTUP_SECS
            {
                // A worker that cannot even start at start-up (no memory
                // for its table, say) will not start on a retry either;
                // it said why. Later, the same failure is retried below.
                stop_workers(&pids, SIGTERM);
                return 1;
            }
            report_death(index, pid, status);
            // A worker that keeps dying is restarted at most once a
            // second, not in a fork loop.
            if now - last_restart < RESTART_INTERVAL_SECS {
                sys::sleep_secs(RESTART_INTERVAL_SECS as u32);
            }
            last_restart = now;
            *slot = spawn(index, &root, log_of(&log_file));
        }
        if stopping && pids.iter().chain(&retired).all(|&p| p == 0) {
            return 0;
        }
    }
}

/// Opens the served directory (`-d`), resolving its path anew: a deploy
/// that swapped a symlink or rebuilt the directory is picked up.
fn open_root(directory: &[u8]) -> Result<Root, Errno> {
    let mut dir_mem = [0u8; MAX_PATH_BYTES + 1];
    let mut dir = Buf::new(&mut dir_mem);
    dir.push(directory).byte(0);
    let path = CStr::new(dir.as_bytes())
        .filter(|_| !dir.overflowed())
        .ok_or(Errno::ENAMETOOLONG)?;
    Root::open(path)
}

/// Opens `--log FILE` for appending, creating it (mode 0644, less the
/// umask) if missing; true when this call created it. `O_APPEND` keeps
/// each batch whole when several workers write (write(2)). Opened as root
/// at start-up, it must not be a way to write elsewhere: a symlink is
/// refused (`O_NOFOLLOW`), and so is anything but a regular file with one
/// link (a FIFO would block, a hard link could be /etc/shadow's). Err
/// None: not such a file.
fn open_log(path: &[u8]) -> Result<(OwnedFd, bool), Option<Errno>> {
    let mut name_mem = [0u8; MAX_PATH_BYTES + 1];
    let mut name = Buf::new(&mut name_mem);
    name.push(path).byte(0);
    let name = CStr::new(name.as_bytes())
        .filter(|_| !name.overflowed())
        .ok_or(Some(Errno::ENAMETOOLONG))?;
    let (fd, created) = match sys::openat(BorrowedFd::CWD, name, Open::LOG_NEW) {
        Ok(fd) => (fd, true),
        Err(Errno::EEXIST) => (sys::openat(BorrowedFd::CWD, name, Open::LOG_OLD)?, false),
        Err(e) => return Err(Some(e)),
    };
    let st = sys::fstat(fd.as_fd())?;
    if !st.is_file() || st.nlink != 1 {
        return Err(None);
    }
    Ok((fd, created))
}

/// Says the log cannot be opened; exits 1 at start-up (`fatal`).
fn cannot_open_log(path: &[u8], e: Option<Errno>, after: &[u8], fatal: bool) {
    let path = path.get(..MAX_PATH_BYTES / 2).unwrap_or(path);
    let why: &[u8] = if e.is_some() {
        b"'"
    } else {
        b"': not a regular file with one link"
    };
    let parts: [&[u8]; 4] = [b"cannot open the log '", path, why, after];
    if fatal {
        out::fail(&parts, e);
    }
    out::line(&parts, e);
}

/// Prints why the socket could not be made, and exits 1.
fn cannot_listen(config: &Config, step: Step, e: Errno) -> ! {
    let mut mem = [0u8; MAX_LINE_BYTES];
    let mut what = Buf::new(&mut mem);
    what.str(match step {
        Step::Socket => "cannot create a socket for ",
        Step::Bind => "cannot bind ",
        Step::Listen => "cannot listen on ",
        Step::NotSocket => "will not replace what is not a socket: ",
        Step::InUse => "another server is listening on ",
    });
    match config.unix {
        Some(path) => {
            what.str("unix:")
                .push(path.get(..MAX_PATH_BYTES / 2).unwrap_or(path));
        }
        None => address(&mut what, config.bind, config.port),
    }
    let errno = !matches!(step, Step::NotSocket | Step::InUse);
    out::fail(&[what.as_bytes()], errno.then_some(e))
}

/// Sends `signal` to every running worker.
fn stop_workers(pids: &[i32], signal: u32) {
    for &pid in pids.iter().filter(|&&p| p > 0) {
        let _ = sys::kill(pid, signal);
    }
}

/// `Serving HTTP on 0.0.0.0 port 8080 (http://0.0.0.0:8080/) ...`, as
/// python prints it, on standard output; a Unix socket as `Serving HTTP
/// on unix:/run/httpd.sock ...`.
fn banner(local: &Local, https: bool) {
    let mut mem = [0u8; MAX_LINE_BYTES];
    let mut line = Buf::new(&mut mem);
    let (name, scheme) = if https {
        ("HTTPS", "https")
    } else {
        ("HTTP", "http")
    };
    line.str("Serving ").str(name).str(" on ");
    match *local {
        Local::Ip(sock) => {
            let bind = if sock.family == AF_INET {
                Bind::V4(sock.v4_or_flowinfo)
            } else {
                Bind::V6(sock.v6)
            };
            let port = sock.port();
            ip(&mut line, bind);
            line.str(" port ")
                .u64(u64::from(port))
                .str(" (")
                .str(scheme)
                .str("://");
            address(&mut line, bind, port);
            line.str("/) ...\n");
        }
        Local::Unix(path) => {
            line.str("unix:")
                .push(path.get(..MAX_PATH_BYTES / 2).unwrap_or(path))
                .str(" ...\n");
        }
        Local::InheritedUnix(fd) => {
            line.str("a Unix socket (fd ").u64(fd as u64).str(") ...\n");
        }
    }
    out::write_all(BorrowedFd::STDOUT, line.as_bytes());
}

fn ip(buf: &mut Buf, bind: Bind) {
    match bind {
        Bind::V4(ip) => addr::format_ipv4(buf, ip),
        Bind::V6(ip) => addr::format_ipv6(buf, ip),
    }
}

/// `0.0.0.0:8080` or `[::1]:8080` (RFC 3986 §3.2.2 brackets).
fn address(buf: &mut Buf, bind: Bind, port: u16) {
    let v6 = matches!(bind, Bind::V6(_));
    if v6 {
        buf.byte(b'[');
    }
    ip(buf, bind);
    if v6 {
        buf.byte(b']');
    }
    buf.byte(b':').u64(u64::from(port));
}

/// `httpd: worker 1 (pid 123) was killed by signal 9; restarting`, or
/// `... was killed by SIGSYS (sandbox violation); ...`: seccomp kills a
/// process that makes a syscall off its list with SIGSYS.
fn report_death(index: usize, pid: i32, status: i32) {
    let mut mem = [0u8; MAX_LINE_BYTES];
    let mut line = Buf::new(&mut mem);
    line.str("httpd: worker ")
        .u64(index as u64)
        .str(" (pid ")
        .u64(pid as u64)
        .str(") ");
    match exit_code(status) {
        Some(code) => line.str("exited with status ").u64(code as u64),
        None if status & 0x7f == SIGSYS as i32 => {
            line.str("was killed by SIGSYS (sandbox violation)")
        }
        None => line
            .str("was killed by signal ")
            .u64((status & 0x7f) as u64),
    };
    line.str("; restarting\n");
    out::stderr(line.as_bytes());
}

/// The exit code in a wait(2) status, or None when a signal ended the
/// process (the low 7 bits hold the signal, the next byte the code).
fn exit_code(status: i32) -> Option<i32> {
    (status & 0x7f == 0).then_some((status >> 8) & 0xff)
}

fn die_about(before: &[u8], what: &[u8], after: &[u8], e: Errno) -> ! {
    let mut mem = [0u8; MAX_LINE_BYTES];
    let mut line = Buf::new(&mut mem);
    line.push(before)
        .push(what.get(..MAX_PATH_BYTES / 2).unwrap_or(what))
        .push(after);
    out::die(line.as_bytes(), e)
}

/// Where workers write the access log: `--log FILE`, or standard error.
fn log_of(file: &Option<OwnedFd>) -> BorrowedFd<'_> {
    file.as_ref().map_or(BorrowedFd::STDERR, OwnedFd::as_fd)
}
