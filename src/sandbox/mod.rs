//! The sandbox: what the server may still do once it serves. A worker
//! reads client bytes, so it is confined as tightly as it can be: no
//! privileges (`drop_privileges`: root becomes `--user`, default
//! `nobody`), no new ones and no core dumps (`harden`), Landlock (read
//! files and directories beneath the served root, nothing else on the
//! file system, no TCP bind or connect, no signals or abstract sockets
//! outside its domain), and a seccomp allow-list of exactly the syscalls
//! it makes (`WORKER`). The supervisor, which never touches client input,
//! gets its own list (`SUPERVISOR`) after start-up.
//!
//! This module is the one place that says what is allowed: one line per
//! syscall or file right, naming the code path that needs it. A new
//! syscall anywhere in the server needs its line here, or a worker dies
//! with SIGSYS the first time it makes it (which the integration tests,
//! run with the sandbox on, catch).
//!
//! What start-up does before any filter exists is deliberately on neither
//! list, and so refused afterwards: opening the root and `/etc/passwd`,
//! `socket`/`bind`/`listen`, socket activation's checks of the sockets
//! systemd passed (`getsockopt`, `fcntl` to make them non-blocking),
//! `--bind unix:` (`connect` to tell a stale socket file from a live one,
//! `unlinkat` of a stale one, `umask` so a proxy may connect), opening
//! `--log FILE` and handing it to the `--user` (`fchown`), the privilege
//! drop (`setgroups`, `setgid`, `setuid`, `getresuid`, `getresgid`),
//! signal masks, the probes, and HTTPS start-up (`net::https`: reading
//! the key and certificate files while still root; `uname` for the host
//! name of `--tls-self-signed`, whose key also comes from `getrandom`,
//! which workers keep for their handshakes). `httpd --check` is a
//! short-lived client that never serves, reads no file and takes no
//! client input but one status line: it runs without a sandbox.
//!
//! Pure parts: `user` (the `--user` option and the passwd/group files)
//! and `bpf` (the filter assembler).

pub mod bpf;
pub mod user;

mod privileges;
pub use privileges::{Privileges, drop_privileges};

use crate::rt::out;
use crate::rt::sys::{
    self, BorrowedFd, Errno, LandlockRuleset, MADV_DONTNEED, Prctl, Rlimit, SHUT_RDWR, SHUT_WR,
    SIGCHLD, SIGHUP, SIGKILL, SIGTERM, SockFilter, Sysno,
};
use bpf::{Args, Rule};

/// `--sandbox`: how workers and the supervisor are confined.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Landlock and seccomp; a forbidden syscall kills the process.
    On,
    /// Neither (for debugging): only the privilege drop, no-new-privs and
    /// no core dumps remain.
    Off,
    /// As `On`, but a forbidden syscall is only logged by the kernel
    /// (`SECCOMP_RET_LOG`), so an operator can find a missing one.
    Log,
}

/// What this kernel offers, probed once by the supervisor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Support {
    /// The Landlock ABI version; 0 when Landlock is missing or unused.
    pub landlock_abi: u32,
    /// seccomp filters with the action the mode needs.
    pub seccomp: bool,
}

/// Shorthand for a rule without an argument check.
const fn any(nr: Sysno) -> Rule {
    Rule::any(nr as u32)
}

/// A rule whose argument `arg` must be one of `values`.
const fn one_of(nr: Sysno, arg: u32, values: &'static [u32]) -> Rule {
    Rule {
        nr: nr as u32,
        args: Args::OneOf(arg, values),
    }
}

/// A rule whose `int` argument `arg` must have none of the bits of `mask`.
const fn none_of(nr: Sysno, arg: u32, mask: u32) -> Rule {
    Rule {
        nr: nr as u32,
        args: Args::NoneOf(arg, mask),
    }
}

/// `O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND | __O_TMPFILE`
/// (asm-generic/fcntl.h): a worker never opens anything for writing.
const OPEN_WRITE_FLAGS: u32 = 0o1 | 0o2 | 0o100 | 0o1000 | 0o2000 | 0o20000000;

/// `PROT_EXEC` (asm-generic/mman-common.h): no memory is ever executable.
const PROT_EXEC: u32 = 0x4;

/// `MFD_CLOEXEC` (include/uapi/linux/memfd.h), the only memfd flag used.
const MFD_CLOEXEC: u32 = 1;

/// Every syscall a worker makes once it serves, and why. The worker
/// installs this filter as the last step of its set-up, so what it does
/// before (mapping memory, creating its epoll set) is not listed here but
/// in `SUPERVISOR`.
const WORKER: &[Rule] = &[
    any(Sysno::epoll_wait),                        // worker: the event loop
    any(Sysno::epoll_ctl),                         // worker: connection interest, pausing accept
    any(Sysno::clock_gettime), // worker: deadlines and the Date header, once a turn
    any(Sysno::accept4),       // worker: new connections
    any(Sysno::read),          // conn: request heads; worker: the signalfd
    any(Sysno::sendto),        // conn: response heads and small bodies; net::tls: records
    any(Sysno::sendfile),      // conn: file bodies and listing pages
    one_of(Sysno::shutdown, 1, &[SHUT_WR as u32]), // conn: half-close before lingering
    any(Sysno::close),         // every OwnedFd: sockets, files, pages
    any(Sysno::openat2),       // fs::root: every path, beneath the root
    // fs::root: the walk without openat2; serve::upload: its O_TMPFILE
    // (O_WRONLY, never O_RDWR, O_CREAT, O_TRUNC or O_APPEND); without
    // --upload, `NO_UPLOAD` takes every write flag back out.
    none_of(Sysno::openat, 2, OPEN_CREATE_FLAGS),
    any(Sysno::fstat),      // serve: type, size and validators of an opened file
    any(Sysno::pread64),    // serve: small bodies with their head; net::tls: every body
    any(Sysno::getdents64), // fs::listing: directory entries
    any(Sysno::newfstatat), // fs::listing: each entry's type, size and time
    one_of(Sysno::memfd_create, 1, &[MFD_CLOEXEC]), // serve::listing: rendered pages
    any(Sysno::write),      // serve::listing: pages into memfds; log, out: stderr
    one_of(Sysno::madvise, 2, &[MADV_DONTNEED]), // worker: idle connections' buffers given back
    // fs::cache: its inotify descriptor; a fresh one after lost events.
    one_of(Sysno::inotify_init1, 0, &[IN_NONBLOCK_CLOEXEC]),
    // fs::cache: watches on the directories and files of cached paths,
    // by paths relative to the root (the working directory). Landlock
    // confines them as it confines opening: beneath the root.
    any(Sysno::inotify_add_watch),
    any(Sysno::exit_group), // worker: exit after shutdown or a fatal error
    any(Sysno::restart_syscall), // kernel: resumes a call interrupted by SIGSTOP
    #[cfg(feature = "tls")]
    any(Sysno::getrandom), // net::tls: each handshake's random and ephemeral key
];

/// What a worker makes besides `WORKER` for `--upload`. Both lists make
/// the worker's filter; without `--upload` the worker installs
/// `NO_UPLOAD` first, which kills these again: one allow-list and a small
/// deny-list cost a third of the bytes of two allow-lists per process
/// kind.
const UPLOAD: &[Rule] = &[
    any(Sysno::linkat),   // serve::upload: a finished file gets its name
    any(Sysno::renameat), // serve::upload: --upload-overwrite replaces a file
    any(Sysno::pipe2),    // serve::upload: the pipe between socket and file
    any(Sysno::splice),   // serve::upload: socket -> pipe -> file, no copy
];

/// Taken back out with `--upload` but without `--upload-overwrite`: only
/// a replacement renames.
const NO_OVERWRITE: &[Rule] = &[any(Sysno::renameat)];

/// Taken back out without `--upload` (`assemble_deny`): the syscalls of
/// `UPLOAD`, and `openat` with any write flag. A worker then again never
/// opens anything for writing.
const NO_UPLOAD: &[Rule] = &[
    any(Sysno::linkat),
    any(Sysno::renameat),
    any(Sysno::pipe2),
    any(Sysno::splice),
    none_of(Sysno::openat, 2, OPEN_WRITE_FLAGS),
];

/// `IN_NONBLOCK | IN_CLOEXEC`: the only inotify descriptor a worker makes.
const IN_NONBLOCK_CLOEXEC: u32 = 0o4000 | 0o2000000;

/// `O_RDWR | O_TRUNC`: what no `openat` of the supervisor asks for.
const SUPERVISOR_OPEN_DENIED: u32 = 0o2 | 0o1000;

/// `O_RDWR | O_CREAT | O_TRUNC | O_APPEND`: what no `openat` of a worker
/// asks for (an upload's asks for `O_WRONLY | O_TMPFILE`).
const OPEN_CREATE_FLAGS: u32 = 0o2 | 0o100 | 0o1000 | 0o2000;

/// What the supervisor makes once it has started, and what a worker it
/// forks makes while setting itself up. Filters are inherited by fork and
/// can only be added to, so a worker runs under this filter and then its
/// own: this list holds `WORKER` too (see `confine_supervisor`). What the
/// supervisor can never do again: execute anything, create, bind or
/// connect a socket, open a file read-write or truncating it, ptrace,
/// mount. (It can open one for appending: its `--log FILE`, again on
/// SIGHUP; and as it runs the worker's list, it keeps `UPLOAD`'s calls.
/// It never reads client input.)
const SUPERVISOR: &[Rule] = &[
    // supervisor: `--log FILE` opened again on SIGHUP and SIGUSR1
    // (O_WRONLY | O_CREAT | O_APPEND); new worker: /proc/self/mountinfo,
    // read-only, before its Landlock (fs::cache learns of mounts through
    // it); never O_RDWR or O_TRUNC. It
    // precedes the worker's rule, and so decides for the supervisor; a
    // worker's own filter still refuses O_CREAT and O_APPEND.
    none_of(Sysno::openat, 2, SUPERVISOR_OPEN_DENIED),
    // supervisor: stop listening at SIGTERM (SHUT_RDWR); it precedes, and
    // so overrides, the worker's rule, which allows only SHUT_WR.
    one_of(Sysno::shutdown, 1, &[SHUT_WR as u32, SHUT_RDWR as u32]),
    one_of(Sysno::clone, 0, &[SIGCHLD]), // supervisor: fork a worker (no threads, no namespaces)
    any(Sysno::wait4),                   // supervisor: reap ended workers
    // supervisor: stop workers (SIGTERM, SIGKILL), hand over to fresh
    // ones after a reload (SIGHUP)
    one_of(Sysno::kill, 1, &[SIGTERM, SIGKILL, SIGHUP]),
    any(Sysno::nanosleep), // supervisor: pace worker restarts
    any(Sysno::getppid),   // new worker: is its parent still there
    one_of(
        Sysno::prctl,
        0,
        &[
            Prctl::SET_PDEATHSIG.0,    // new worker: die with the supervisor
            Prctl::SET_NO_NEW_PRIVS.0, // new worker: harden
            Prctl::SET_DUMPABLE.0,     // new worker: harden
        ],
    ),
    one_of(Sysno::prlimit64, 1, &[Rlimit::CORE.0]), // new worker: harden (no core file)
    none_of(Sysno::mmap, 2, PROT_EXEC), // new worker: its connection table, never executable
    any(Sysno::epoll_create1),          // new worker: its event loop
    any(Sysno::signalfd4),              // new worker: SIGTERM and SIGINT as events
    any(Sysno::fchdir),                 // new worker: into its root (fs::cache's watch paths)
    any(Sysno::landlock_create_ruleset), // new worker: its Landlock domain
    any(Sysno::landlock_add_rule),      // new worker: the rule for the root
    any(Sysno::landlock_restrict_self), // new worker: enter the domain
    any(Sysno::seccomp),                // new worker: install WORKER
];

/// `LANDLOCK_ACCESS_FS_*` (include/uapi/linux/landlock.h) a worker keeps
/// beneath the served root: opening files for reading (fs::root) and
/// listing directories (fs::listing). Nothing else, anywhere: no write,
/// execute, create, remove, rename, truncate or device ioctl.
const FS_READ_FILE: u64 = 1 << 2;
const FS_READ_DIR: u64 = 1 << 3;

/// What `--upload` adds beneath the root: writing the unnamed file
/// (`WRITE_FILE`) and giving it a name (`MAKE_REG`). Still no
/// directories made or removed, no truncation, no links out of a
/// directory (`REFER`), no devices, FIFOs, sockets or symlinks.
/// (`WRITE_FILE` also lets a worker open an existing file `O_WRONLY`,
/// without `O_TRUNC`, and write over its bytes: the README says so.)
const FS_UPLOAD: u64 = (1 << 1) | (1 << 8);

/// What `--upload-overwrite` adds: renaming a finished upload over an
/// existing file removes that file (`REMOVE_FILE`).
const FS_OVERWRITE: u64 = 1 << 5;

/// Every file-system right the kernel's Landlock ABI knows: 13 in ABI 1
/// (EXECUTE ... MAKE_SYM), REFER from ABI 2, TRUNCATE from 3, IOCTL_DEV
/// from 5. All of them are handled (denied unless a rule grants them).
fn fs_rights(abi: u32) -> u64 {
    let known = match abi {
        0 => 0,
        1 => 13,
        2 => 14,
        3 | 4 => 15,
        _ => 16,
    };
    (1u64 << known) - 1
}

/// `LANDLOCK_ACCESS_NET_BIND_TCP | LANDLOCK_ACCESS_NET_CONNECT_TCP` (ABI
/// 4+): handled, and no rule grants them, so a worker can neither bind
/// nor connect a TCP socket (the listener is already bound).
const NET_TCP: u64 = 1 | 2;

/// `LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | LANDLOCK_SCOPE_SIGNAL` (ABI 6+):
/// no connecting to abstract Unix sockets and no signals to processes
/// outside the worker's own domain (the supervisor, other workers).
const SCOPES: u64 = 1 | 2;

/// The first Landlock ABI with network rules, and with scopes.
const LANDLOCK_NET_ABI: u32 = 4;
const LANDLOCK_SCOPE_ABI: u32 = 6;

/// Finds out what the kernel offers for `mode`, and says once, on stderr,
/// what is missing (the server then goes on with what there is).
pub fn probe(mode: Mode) -> Support {
    if mode == Mode::Off {
        out::stderr(b"httpd: warning: --sandbox off: workers are not confined\n");
        return Support {
            landlock_abi: 0,
            seccomp: false,
        };
    }
    let landlock_abi = match sys::landlock_abi_version() {
        Ok(abi) => abi,
        Err(e) => {
            out::error(
                b"Landlock is unavailable; file access is confined by the path checks alone",
                e,
            );
            0
        }
    };
    let action = match mode {
        Mode::Log => bpf::RET_LOG,
        _ => bpf::RET_KILL_PROCESS,
    };
    let seccomp = match sys::seccomp_action_avail(action) {
        Ok(()) => true,
        Err(e) => {
            out::error(
                b"seccomp is unavailable; workers run without a syscall filter",
                e,
            );
            false
        }
    };
    Support {
        landlock_abi,
        seccomp,
    }
}

/// No new privileges (no set-uid binary or file capability can ever raise
/// them again; required for seccomp and Landlock), not dumpable (no core
/// file and no ptrace by other processes of the same user: TLS keys will
/// live in this memory), and a zero core size on top.
fn harden() -> Result<(), Errno> {
    sys::prctl(Prctl::SET_NO_NEW_PRIVS, 1)?;
    sys::prctl(Prctl::SET_DUMPABLE, 0)?;
    sys::setrlimit(Rlimit::CORE, 0, 0)
}

/// Confines the supervisor once it has started: `harden`, then the
/// `SUPERVISOR` filter (with `WORKER`, which every worker it forks will
/// run under too).
pub fn confine_supervisor(mode: Mode, support: Support) -> Result<(), Errno> {
    harden()?;
    if mode != Mode::Off && support.seccomp {
        install(&SUPERVISOR_FILTER, mode)?;
    }
    Ok(())
}

/// What the server writes beneath the root.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Writes {
    /// Nothing (no `--upload`).
    None,
    /// New files (`--upload`).
    Create,
    /// New files and replacements (`--upload-overwrite`).
    Replace,
}

impl Writes {
    /// From the options.
    pub fn of(upload: bool, overwrite: bool) -> Writes {
        match (upload, overwrite) {
            (false, _) => Writes::None,
            (true, false) => Writes::Create,
            (true, true) => Writes::Replace,
        }
    }
}

/// Confines a worker before its first accept: `harden`, Landlock beneath
/// `root`, then the deny-list `writes` calls for (`NO_UPLOAD` or
/// `NO_OVERWRITE`) and the `WORKER` filter, last.
pub fn confine_worker(
    mode: Mode,
    support: Support,
    root: BorrowedFd,
    writes: Writes,
) -> Result<(), Errno> {
    harden()?;
    if mode == Mode::Off {
        return Ok(());
    }
    if support.landlock_abi > 0 {
        landlock(support.landlock_abi, root, writes)?;
    }
    if support.seccomp {
        match writes {
            Writes::None => install(&NO_UPLOAD_FILTER, mode)?,
            Writes::Create => install(&NO_OVERWRITE_FILTER, mode)?,
            Writes::Replace => {}
        }
        install(&WORKER_FILTER, mode)?;
    }
    Ok(())
}

/// Restricts this process to reading beneath `root` (and writing what
/// `writes` says there), with the best the kernel's Landlock `abi`
/// offers.
pub fn landlock(abi: u32, root: BorrowedFd, writes: Writes) -> Result<(), Errno> {
    let ruleset = LandlockRuleset {
        handled_access_fs: fs_rights(abi),
        handled_access_net: if abi >= LANDLOCK_NET_ABI { NET_TCP } else { 0 },
        scoped: if abi >= LANDLOCK_SCOPE_ABI { SCOPES } else { 0 },
    };
    let fd = sys::landlock_create_ruleset(&ruleset)?;
    let writes = match writes {
        Writes::None => 0,
        Writes::Create => FS_UPLOAD,
        Writes::Replace => FS_UPLOAD | FS_OVERWRITE,
    };
    sys::landlock_add_path_beneath(fd.as_fd(), root, FS_READ_FILE | FS_READ_DIR | writes)?;
    sys::landlock_restrict_self(fd.as_fd())
}

/// The worker's filter, assembled at compile time: its list and what
/// `--upload` adds (see `NO_UPLOAD_FILTER`).
pub const WORKER_FILTER: [SockFilter; bpf::program_len(&[WORKER, UPLOAD])] =
    bpf::assemble(&[WORKER, UPLOAD], bpf::RET_KILL_PROCESS);

/// The supervisor's filter, assembled at compile time: its own list and
/// the worker's (see `SUPERVISOR`).
pub const SUPERVISOR_FILTER: [SockFilter; bpf::program_len(&[SUPERVISOR, WORKER, UPLOAD])] =
    bpf::assemble(&[SUPERVISOR, WORKER, UPLOAD], bpf::RET_KILL_PROCESS);

/// Installed by a worker with `--upload` but without
/// `--upload-overwrite`: no `renameat`.
pub const NO_OVERWRITE_FILTER: [SockFilter; bpf::deny_len(NO_OVERWRITE)] =
    bpf::assemble_deny(NO_OVERWRITE);

/// Installed by a worker without `--upload`: `NO_UPLOAD` killed. (Not by
/// the supervisor, which opens `--log FILE` for writing on SIGHUP.)
pub const NO_UPLOAD_FILTER: [SockFilter; bpf::deny_len(NO_UPLOAD)] = bpf::assemble_deny(NO_UPLOAD);

/// Installs `program`, with `ret LOG` for its kills under `--sandbox log`.
pub fn install(program: &[SockFilter], mode: Mode) -> Result<(), Errno> {
    if mode != Mode::Log {
        return sys::seccomp_set_mode_filter(program);
    }
    let mut copy = [SockFilter::default(); bpf::MAX_INSNS];
    let copy = copy.get_mut(..program.len()).ok_or(Errno::E2BIG)?;
    for (to, from) in copy.iter_mut().zip(program) {
        *to = *from;
    }
    bpf::log_instead_of_kill(copy);
    sys::seccomp_set_mode_filter(copy)
}

#[cfg(test)]
mod tests;
