//! Socket shims: addresses, options, listening and accepting, sending.
//! See `rt::sys` for the rules every shim follows.

use core::mem::size_of;

use super::{BorrowedFd, OwnedFd, Result};
use syscalls::{Sysno, syscall2, syscall3, syscall4, syscall5, syscall6};

/// Address families (include/linux/socket.h).
pub const AF_INET: u16 = 2;
pub const AF_INET6: u16 = 10;
/// Unix-domain sockets (unix(7)): `--bind unix:PATH`, `--check unix:PATH`.
pub const AF_UNIX: u16 = 1;

flags! {
    /// `SOCK_*` type and flags for `socket` and `accept4`.
    Sock(usize) {
        STREAM = 1;
        NONBLOCK = 0o4000;
        CLOEXEC = 0o2000000;
    }
}

/// `struct sockaddr_in6`, large enough for `sockaddr_in` too; the family
/// field says which.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct SockAddr {
    pub family: u16,
    /// Network byte order.
    pub port_be: u16,
    /// IPv4: the address; IPv6: the flow info.
    pub v4_or_flowinfo: [u8; 4],
    pub v6: [u8; 16],
    pub scope_id: u32,
}

impl SockAddr {
    /// An IPv4 socket address.
    pub fn v4(ip: [u8; 4], port: u16) -> Self {
        SockAddr {
            family: AF_INET,
            port_be: port.to_be(),
            v4_or_flowinfo: ip,
            ..SockAddr::default()
        }
    }
    /// An IPv6 socket address.
    pub fn v6(ip: [u8; 16], port: u16) -> Self {
        SockAddr {
            family: AF_INET6,
            port_be: port.to_be(),
            v6: ip,
            ..SockAddr::default()
        }
    }
    /// The port in host order.
    pub fn port(&self) -> u16 {
        u16::from_be(self.port_be)
    }
    fn len(&self) -> usize {
        // sizeof(struct sockaddr_in) is 16; sockaddr_in6 is 28.
        if self.family == AF_INET {
            16
        } else {
            size_of::<SockAddr>()
        }
    }
}

/// The most bytes of a Unix socket path: `sun_path` is 108 bytes, and
/// the path is NUL-terminated in it (unix(7)).
pub const UNIX_PATH_BYTES: usize = 107;

/// `struct sockaddr_un` with a pathname (unix(7)).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnixAddr {
    family: u16,
    path: [u8; UNIX_PATH_BYTES + 1],
}

impl UnixAddr {
    /// The address of the socket file `path`; None when it is empty, too
    /// long or holds a NUL (an abstract or truncated name is never meant).
    pub fn new(path: &[u8]) -> Option<Self> {
        if path.is_empty() || path.len() > UNIX_PATH_BYTES || path.contains(&0) {
            return None;
        }
        let mut addr = UnixAddr {
            family: AF_UNIX,
            path: [0; UNIX_PATH_BYTES + 1],
        };
        for (to, from) in addr.path.iter_mut().zip(path) {
            *to = *from;
        }
        Some(addr)
    }
}

/// What `bind` and `connect` take: an IP or a Unix socket address.
pub trait Address {
    /// The address's bytes, for the kernel to read: pointer and length.
    fn raw(&self) -> (usize, usize);
}

impl Address for SockAddr {
    fn raw(&self) -> (usize, usize) {
        (self as *const SockAddr as usize, self.len())
    }
}

impl Address for UnixAddr {
    fn raw(&self) -> (usize, usize) {
        (self as *const UnixAddr as usize, size_of::<UnixAddr>())
    }
}

/// socket(2).
pub fn socket(family: u16, ty: Sock) -> Result<OwnedFd> {
    // SAFETY: socket touches no user memory.
    let ret = unsafe { syscall3(Sysno::socket, family as usize, ty.0, 0) }?;
    Ok(OwnedFd::from_ret(ret))
}

/// A socket option: level and name (socket(7), tcp(7), ipv6(7)).
#[derive(Clone, Copy)]
pub struct SockOpt(usize, usize);
impl SockOpt {
    pub const REUSEADDR: SockOpt = SockOpt(1, 2);
    pub const TCP_NODELAY: SockOpt = SockOpt(6, 1);
    pub const IPV6_V6ONLY: SockOpt = SockOpt(41, 26);
    /// `SO_TYPE`: `SOCK_STREAM` for the sockets served.
    pub const TYPE: SockOpt = SockOpt(1, 3);
    /// `SO_ACCEPTCONN`: 1 on a listening socket.
    pub const ACCEPTCONN: SockOpt = SockOpt(1, 30);
    /// `SO_DOMAIN`: the address family.
    pub const DOMAIN: SockOpt = SockOpt(1, 39);
    /// `SO_RCVTIMEO`: how long a blocking read waits (a `timeval`).
    pub const RCVTIMEO: SockOpt = SockOpt(1, 20);
    /// `SO_SNDTIMEO`: how long a blocking send or connect waits.
    pub const SNDTIMEO: SockOpt = SockOpt(1, 21);
}

/// setsockopt(2) with an `int` value.
pub fn setsockopt(fd: BorrowedFd, opt: SockOpt, value: i32) -> Result<()> {
    // SAFETY: the kernel reads the 4-byte `value`, borrowed for the call.
    unsafe {
        syscall5(
            Sysno::setsockopt,
            fd.0 as usize,
            opt.0,
            opt.1,
            &value as *const i32 as usize,
            size_of::<i32>(),
        )
    }?;
    Ok(())
}

/// setsockopt(2) with a `struct timeval` value, given in microseconds:
/// `SO_RCVTIMEO`, `SO_SNDTIMEO`. A call that waits that long fails with
/// `EAGAIN`, a connect with `EINPROGRESS`; 0 means no limit (socket(7)).
pub fn setsockopt_timeval(fd: BorrowedFd, opt: SockOpt, micros: u64) -> Result<()> {
    // struct timeval on x86_64: two longs, seconds and microseconds.
    let tv = [(micros / 1_000_000) as i64, (micros % 1_000_000) as i64];
    // SAFETY: the kernel reads the 16-byte `tv`, borrowed for the call.
    unsafe {
        syscall5(
            Sysno::setsockopt,
            fd.0 as usize,
            opt.0,
            opt.1,
            tv.as_ptr() as usize,
            size_of::<[i64; 2]>(),
        )
    }?;
    Ok(())
}

/// bind(2).
pub fn bind(fd: BorrowedFd, addr: &impl Address) -> Result<()> {
    let (ptr, len) = addr.raw();
    // SAFETY: the kernel reads `len` bytes at `ptr`, which `addr` owns.
    unsafe { syscall3(Sysno::bind, fd.0 as usize, ptr, len) }?;
    Ok(())
}

/// connect(2).
pub fn connect(fd: BorrowedFd, addr: &impl Address) -> Result<()> {
    let (ptr, len) = addr.raw();
    // SAFETY: the kernel reads `len` bytes at `ptr`, which `addr` owns.
    unsafe { syscall3(Sysno::connect, fd.0 as usize, ptr, len) }?;
    Ok(())
}

/// getsockopt(2) of an `int` option.
pub fn getsockopt(fd: BorrowedFd, opt: SockOpt) -> Result<i32> {
    let mut value = 0i32;
    let mut len = size_of::<i32>() as u32;
    // SAFETY: the kernel writes at most `len` (4) bytes into `value` and
    // updates `len`; both are borrowed for the call.
    unsafe {
        syscall5(
            Sysno::getsockopt,
            fd.0 as usize,
            opt.0,
            opt.1,
            &mut value as *mut i32 as usize,
            &mut len as *mut u32 as usize,
        )
    }?;
    Ok(value)
}

/// listen(2).
pub fn listen(fd: BorrowedFd, backlog: u32) -> Result<()> {
    // SAFETY: listen touches no user memory.
    unsafe { syscall2(Sysno::listen, fd.0 as usize, backlog as usize) }?;
    Ok(())
}

/// getsockname(2).
pub fn getsockname(fd: BorrowedFd) -> Result<SockAddr> {
    let mut addr = SockAddr::default();
    let mut len = size_of::<SockAddr>() as u32;
    // SAFETY: the kernel writes at most `len` bytes into `addr` and updates `len`.
    unsafe {
        syscall3(
            Sysno::getsockname,
            fd.0 as usize,
            &mut addr as *mut SockAddr as usize,
            &mut len as *mut u32 as usize,
        )
    }?;
    Ok(addr)
}

/// accept4(2): the new connection and its peer address.
pub fn accept4(fd: BorrowedFd, flags: Sock) -> Result<(OwnedFd, SockAddr)> {
    let mut addr = SockAddr::default();
    let mut len = size_of::<SockAddr>() as u32;
    // SAFETY: the kernel writes at most `len` bytes into `addr` and updates `len`.
    let ret = unsafe {
        syscall4(
            Sysno::accept4,
            fd.0 as usize,
            &mut addr as *mut SockAddr as usize,
            &mut len as *mut u32 as usize,
            flags.0,
        )
    }?;
    Ok((OwnedFd::from_ret(ret), addr))
}

flags! {
    /// `MSG_*` flags for `sendto`.
    Msg(usize) {
        /// More data follows (the body, by sendfile): hold the partial frame.
        MORE = 0x8000;
        /// Never raise SIGPIPE (it is ignored anyway; belt and braces).
        NOSIGNAL = 0x4000;
    }
}

/// send(2), i.e. sendto(2) without an address.
pub fn send(fd: BorrowedFd, buf: &[u8], flags: Msg) -> Result<usize> {
    // SAFETY: the kernel reads at most `buf.len()` bytes from `buf`.
    unsafe {
        syscall6(
            Sysno::sendto,
            fd.0 as usize,
            buf.as_ptr() as usize,
            buf.len(),
            flags.0,
            0,
            0,
        )
    }
}

/// `SHUT_WR` for shutdown(2): send FIN, keep reading.
pub const SHUT_WR: usize = 1;
/// `SHUT_RDWR` for shutdown(2); on a listener it stops listening.
pub const SHUT_RDWR: usize = 2;

/// shutdown(2).
pub fn shutdown(fd: BorrowedFd, how: usize) -> Result<()> {
    // SAFETY: shutdown touches no user memory.
    unsafe { syscall2(Sysno::shutdown, fd.0 as usize, how) }?;
    Ok(())
}
