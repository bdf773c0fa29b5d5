//! The listening sockets: created once by the supervisor, before the
//! workers are forked, and shared by all of them (each waits on them with
//! `EPOLLEXCLUSIVE`, so a new connection wakes one worker). They come from
//! one of three places: a TCP socket bound to `--bind`/PORT, a Unix
//! stream socket (`--bind unix:PATH`, for a reverse proxy), or the
//! descriptors systemd passes under socket activation (sd_listen_fds(3)):
//! `LISTEN_PID` is this process, `LISTEN_FDS` sockets start at fd 3.

use crate::buf::Buf;
use crate::cli::Bind;
use crate::rt::sys::{
    self, AF_INET, AF_INET6, AF_UNIX, At, BorrowedFd, CStr, Errno, Open, OwnedFd, SHUT_RDWR, Sock,
    SockAddr, SockOpt, UnixAddr,
};

/// The accept queue length asked of listen(2). A burst of new connections
/// must queue rather than be refused; the kernel caps it at
/// net.core.somaxconn (4096 since Linux 5.4).
pub const LISTEN_BACKLOG: u32 = 4096;

/// The most listening sockets: systemd may pass several (`ListenStream=`
/// lines of one socket unit); each is one epoll registration per worker.
pub const MAX_LISTENERS: usize = 16;

/// `SOCK_STREAM` as `SO_TYPE` reports it (socket(2)).
const SOCK_STREAM: i32 = 1;

/// The first descriptor systemd passes (`SD_LISTEN_FDS_START`).
const LISTEN_FDS_START: i32 = 3;

/// The umask a `--bind unix:` socket file is made under, for mode 0666:
/// connecting takes write permission (unix(7)), and the reverse proxy
/// runs as another user. Who may reach it is decided by the permissions
/// of the directory holding it. (A mask at bind(2), not a chmod after it,
/// which would follow a symlink swapped in between.)
const UNIX_SOCKET_UMASK: u32 = 0o111;

/// The step that failed, for the start-up error line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Socket,
    Bind,
    Listen,
    /// `--bind unix:PATH` names a file that is not a socket: never
    /// removed.
    NotSocket,
    /// `--bind unix:PATH` names a socket another server answers on.
    InUse,
}

/// Where a listener listens, for the banner.
#[derive(Clone, Copy, Debug)]
pub enum Local<'a> {
    Ip(SockAddr),
    Unix(&'a [u8]),
    /// A Unix socket systemd passed, as its descriptor number.
    InheritedUnix(i32),
}

/// The listening sockets of this server.
pub struct Listeners<'a> {
    fds: [Option<OwnedFd>; MAX_LISTENERS],
    locals: [Option<Local<'a>>; MAX_LISTENERS],
    /// Passed by systemd, which keeps them open for the next server: a
    /// stopping server must leave them listening (see `stop`).
    inherited: bool,
}

impl<'a> Listeners<'a> {
    fn new() -> Self {
        Listeners {
            fds: core::array::from_fn(|_| None),
            locals: [None; MAX_LISTENERS],
            inherited: false,
        }
    }

    /// Stops listening at once, for every worker (they share the sockets):
    /// new clients are refused instead of left waiting, and a new server
    /// can bind the port while the workers finish. Sockets systemd passed
    /// are left alone: the clients queued on them wait for the next
    /// server, which is how a restart loses no connection.
    pub fn stop(&self) {
        if !self.inherited {
            for fd in self.fds.iter().flatten() {
                let _ = sys::shutdown(fd.as_fd(), SHUT_RDWR);
            }
        }
    }

    fn push(&mut self, fd: OwnedFd, local: Local<'a>) {
        let free = self.fds.iter().position(Option::is_none);
        if let Some(i) = free {
            if let (Some(f), Some(l)) = (self.fds.get_mut(i), self.locals.get_mut(i)) {
                (*f, *l) = (Some(fd), Some(local));
            }
        }
    }

    /// The sockets, for the workers' epoll sets; `out` is filled from the
    /// start and the count returned.
    pub fn fds<'b>(&'b self, out: &mut [BorrowedFd<'b>; MAX_LISTENERS]) -> usize {
        let mut n = 0;
        for (slot, fd) in out.iter_mut().zip(self.fds.iter().flatten()) {
            *slot = fd.as_fd();
            n += 1;
        }
        n
    }

    /// Where each socket listens.
    pub fn locals(&self) -> impl Iterator<Item = &Local<'a>> {
        self.locals.iter().flatten()
    }

    /// The first TCP address, if any (the bind address for a
    /// self-signed certificate's names).
    pub fn first_ip(&self) -> Option<SockAddr> {
        self.locals().find_map(|l| match l {
            Local::Ip(a) => Some(*a),
            _ => None,
        })
    }
}

/// Why socket activation's variables cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    /// `LISTEN_PID` names another process: the variables were meant for
    /// a parent and leaked into this one.
    WrongPid,
    /// `LISTEN_PID` or `LISTEN_FDS` is not a decimal number, or is missing
    /// while the other is set, or `LISTEN_FDS` is 0.
    Malformed,
    /// More than `MAX_LISTENERS` descriptors.
    TooMany,
}

impl Activation {
    pub fn message(self) -> &'static [u8] {
        match self {
            Activation::WrongPid => b"LISTEN_PID is not this process (socket activation)",
            Activation::Malformed => {
                b"LISTEN_PID and LISTEN_FDS must be positive numbers (socket activation)"
            }
            Activation::TooMany => b"more than 16 sockets passed (LISTEN_FDS)",
        }
    }
}

/// The number of sockets systemd passed, from the `LISTEN_*` variables in
/// `env` (`NAME=value` entries): 0 when neither is set (bind as usual).
pub fn activation(env: &[&[u8]], pid: i32) -> Result<usize, Activation> {
    let var = |name: &[u8]| {
        env.iter().find_map(|e| {
            e.strip_prefix(name)
                .and_then(|rest| rest.strip_prefix(b"="))
        })
    };
    let (listen_pid, listen_fds) = match (var(b"LISTEN_PID"), var(b"LISTEN_FDS")) {
        (None, None) => return Ok(0),
        (Some(p), Some(n)) => (decimal(p), decimal(n)),
        _ => return Err(Activation::Malformed),
    };
    let (Some(listen_pid), Some(count)) = (listen_pid, listen_fds) else {
        return Err(Activation::Malformed);
    };
    if listen_pid != u64::from(pid.unsigned_abs()) {
        return Err(Activation::WrongPid);
    }
    match count {
        0 => Err(Activation::Malformed),
        n if n > MAX_LISTENERS as u64 => Err(Activation::TooMany),
        n => Ok(n as usize),
    }
}

/// A decimal of at most 9 digits (pids and descriptor counts).
fn decimal(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 9 {
        return None;
    }
    s.iter().try_fold(0u64, |n, &b| {
        b.is_ascii_digit().then(|| n * 10 + u64::from(b - b'0'))
    })
}

/// The `count` sockets systemd passed, checked: each must be a listening
/// stream socket of IPv4, IPv6 or Unix. Made non-blocking for the
/// workers' accept loops. Err: the descriptor and what is wrong.
pub fn inherited<'a>(count: usize) -> Result<Listeners<'a>, (i32, Errno)> {
    let mut all = Listeners::new();
    all.inherited = true;
    for fd_num in (LISTEN_FDS_START..).take(count) {
        let fd = OwnedFd::inherited(fd_num);
        let check = |opt| sys::getsockopt(fd.as_fd(), opt);
        let listening = check(SockOpt::ACCEPTCONN).map_err(|e| (fd_num, e))?;
        let ty = check(SockOpt::TYPE).map_err(|e| (fd_num, e))?;
        let family = check(SockOpt::DOMAIN).map_err(|e| (fd_num, e))?;
        let stream = ty == SOCK_STREAM;
        let known = [AF_INET, AF_INET6, AF_UNIX].contains(&(family as u16));
        if listening != 1 || !stream || !known {
            return Err((fd_num, Errno::EINVAL));
        }
        sys::add_status_flags(fd.as_fd(), Open::NONBLOCK).map_err(|e| (fd_num, e))?;
        let local = if family as u16 == AF_UNIX {
            Local::InheritedUnix(fd_num)
        } else {
            // As for a socket of our own: responses go out at once.
            let _ = sys::setsockopt(fd.as_fd(), SockOpt::TCP_NODELAY, 1);
            Local::Ip(sys::getsockname(fd.as_fd()).map_err(|e| (fd_num, e))?)
        };
        all.push(fd, local);
    }
    Ok(all)
}

/// The one socket of `--bind`/PORT or `--bind unix:PATH`.
pub fn bound<'a>(
    bind: Bind,
    port: u16,
    unix: Option<&'a [u8]>,
) -> Result<Listeners<'a>, (Step, Errno)> {
    let mut all = Listeners::new();
    match unix {
        Some(path) => {
            let fd = listen_unix(path)?;
            all.push(fd, Local::Unix(path));
        }
        None => {
            let (fd, local) = listen(bind, port)?;
            all.push(fd, Local::Ip(local));
        }
    }
    Ok(all)
}

/// Creates a non-blocking listener bound to `bind`:`port`. `::` listens on
/// IPv6 and IPv4 (IPV6_V6ONLY off); any other IPv6 address on IPv6 only.
pub fn listen(bind: Bind, port: u16) -> Result<(OwnedFd, SockAddr), (Step, Errno)> {
    let (family, addr) = match bind {
        Bind::V4(ip) => (AF_INET, SockAddr::v4(ip, port)),
        Bind::V6(ip) => (AF_INET6, SockAddr::v6(ip, port)),
    };
    let flags = Sock::STREAM.with(Sock::NONBLOCK).with(Sock::CLOEXEC);
    let fd = sys::socket(family, flags).map_err(|e| (Step::Socket, e))?;
    // Restarting must not fail on connections in TIME_WAIT.
    sys::setsockopt(fd.as_fd(), SockOpt::REUSEADDR, 1).map_err(|e| (Step::Socket, e))?;
    // Accepted sockets inherit TCP_NODELAY: response heads and small
    // bodies go out at once, not after Nagle's delay. (lighttpd leaves
    // Nagle on; for large files that made no measurable difference.)
    sys::setsockopt(fd.as_fd(), SockOpt::TCP_NODELAY, 1).map_err(|e| (Step::Socket, e))?;
    if let Bind::V6(ip) = bind {
        let v6only = i32::from(ip != [0; 16]);
        sys::setsockopt(fd.as_fd(), SockOpt::IPV6_V6ONLY, v6only).map_err(|e| (Step::Socket, e))?;
    }
    sys::bind(fd.as_fd(), &addr).map_err(|e| (Step::Bind, e))?;
    sys::listen(fd.as_fd(), LISTEN_BACKLOG).map_err(|e| (Step::Listen, e))?;
    let local = sys::getsockname(fd.as_fd()).map_err(|e| (Step::Listen, e))?;
    Ok((fd, local))
}

/// Creates a non-blocking Unix stream listener at `path`. A socket file
/// left by a server that is gone (connecting is refused) is replaced;
/// anything else there is left alone and refused.
fn listen_unix(path: &[u8]) -> Result<OwnedFd, (Step, Errno)> {
    let addr = UnixAddr::new(path).ok_or((Step::Bind, Errno::ENAMETOOLONG))?;
    let mut name_mem = [0u8; sys::UNIX_PATH_BYTES + 1];
    let mut name = Buf::new(&mut name_mem);
    name.push(path).byte(0);
    let name = CStr::new(name.as_bytes()).ok_or((Step::Bind, Errno::EINVAL))?;
    let flags = Sock::STREAM.with(Sock::NONBLOCK).with(Sock::CLOEXEC);
    let fd = sys::socket(AF_UNIX, flags).map_err(|e| (Step::Socket, e))?;
    let umask = sys::umask(UNIX_SOCKET_UMASK);
    let bound = bind_unix(fd.as_fd(), &addr, name, flags);
    sys::umask(umask);
    bound?;
    sys::listen(fd.as_fd(), LISTEN_BACKLOG).map_err(|e| (Step::Listen, e))?;
    Ok(fd)
}

/// Binds `fd` to `addr` (the file `name`), replacing a stale socket file.
fn bind_unix(
    fd: BorrowedFd,
    addr: &UnixAddr,
    name: CStr,
    flags: Sock,
) -> Result<(), (Step, Errno)> {
    if let Err(e) = sys::bind(fd, addr) {
        if e != Errno::EADDRINUSE {
            return Err((Step::Bind, e));
        }
        let st = sys::fstatat(BorrowedFd::CWD, name, At::SYMLINK_NOFOLLOW)
            .map_err(|e| (Step::Bind, e))?;
        if !st.is_socket() {
            return Err((Step::NotSocket, Errno::EEXIST));
        }
        let probe = sys::socket(AF_UNIX, flags).map_err(|e| (Step::Socket, e))?;
        match sys::connect(probe.as_fd(), addr) {
            Err(Errno::ECONNREFUSED) => {}
            _ => return Err((Step::InUse, Errno::EADDRINUSE)),
        }
        sys::unlinkat(BorrowedFd::CWD, name).map_err(|e| (Step::Bind, e))?;
        sys::bind(fd, addr).map_err(|e| (Step::Bind, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activation_variables() {
        let ok = |env: &[&[u8]]| activation(env, 42);
        assert_eq!(ok(&[]), Ok(0));
        assert_eq!(ok(&[b"LISTEN_FDNAMES=x"]), Ok(0));
        assert_eq!(ok(&[b"LISTEN_PID=42", b"LISTEN_FDS=2"]), Ok(2));
        assert_eq!(ok(&[b"LISTEN_FDS=1", b"LISTEN_PID=42"]), Ok(1));
        assert_eq!(
            ok(&[b"LISTEN_PID=41", b"LISTEN_FDS=1"]),
            Err(Activation::WrongPid)
        );
        assert_eq!(ok(&[b"LISTEN_PID=42"]), Err(Activation::Malformed));
        assert_eq!(ok(&[b"LISTEN_FDS=1"]), Err(Activation::Malformed));
        assert_eq!(
            ok(&[b"LISTEN_PID=42", b"LISTEN_FDS=0"]),
            Err(Activation::Malformed)
        );
        assert_eq!(
            ok(&[b"LISTEN_PID=42", b"LISTEN_FDS=x"]),
            Err(Activation::Malformed)
        );
        assert_eq!(
            ok(&[b"LISTEN_PID=42", b"LISTEN_FDS=-1"]),
            Err(Activation::Malformed)
        );
        assert_eq!(
            ok(&[b"LISTEN_PID=42", b"LISTEN_FDS=17"]),
            Err(Activation::TooMany)
        );
        assert_eq!(
            ok(&[b"LISTEN_PID=42", b"LISTEN_FDS=99999999999999"]),
            Err(Activation::Malformed)
        );
        // A longer name that starts alike is another variable.
        assert_eq!(
            ok(&[b"LISTEN_PIDX=42", b"LISTEN_FDS=1"]),
            Err(Activation::Malformed)
        );
    }
}
