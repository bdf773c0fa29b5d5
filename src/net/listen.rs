//! The listening socket: created once by the supervisor, before the
//! workers are forked, and shared by all of them (each waits on it with
//! `EPOLLEXCLUSIVE`, so a new connection wakes one worker).

use crate::cli::Bind;
use crate::rt::sys::{self, AF_INET, AF_INET6, Errno, OwnedFd, Sock, SockAddr, SockOpt};

/// The accept queue length asked of listen(2). A burst of new connections
/// must queue rather than be refused; the kernel caps it at
/// net.core.somaxconn (4096 since Linux 5.4).
pub const LISTEN_BACKLOG: u32 = 4096;

/// The step that failed, for the start-up error line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Socket,
    Bind,
    Listen,
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
    // bodies go out at once, not after Nagle's delay.
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
