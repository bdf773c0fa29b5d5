//! Typed shims over the Linux system calls the server makes: the only place
//! in the library that talks to the kernel.
//!
//! Each wrapper is named after its syscall (see its man page) and returns
//! `Result<T, Errno>`; the kernel's `-4095..0` error range is decoded in one
//! place, `syscalls::Errno::from_ret`, behind the `syscallN` functions.
//! Calls that create a file descriptor return an [`OwnedFd`] that closes on
//! drop; the others take a [`BorrowedFd`]. Flags are named constants, never
//! bare numbers in the callers.
//!
//! # Safety
//! Every `unsafe` block here passes the kernel pointers derived from Rust
//! references or slices that are live for the duration of the call, with the
//! lengths of those same slices, so the kernel reads or writes only memory
//! the caller lent it. Each block's `SAFETY:` line names that memory.

use core::marker::PhantomData;
use core::mem::size_of;

pub use syscalls::Errno;
use syscalls::{Sysno, syscall1, syscall2, syscall3, syscall4, syscall5, syscall6};

/// The result of a syscall shim.
pub type Result<T> = core::result::Result<T, Errno>;

/// A file descriptor this process owns; closed when dropped.
#[derive(Debug)]
pub struct OwnedFd(i32);

/// A file descriptor borrowed for the lifetime `'a`.
#[derive(Clone, Copy, Debug)]
pub struct BorrowedFd<'a>(i32, PhantomData<&'a OwnedFd>);

impl OwnedFd {
    /// Borrows the descriptor.
    pub fn as_fd(&self) -> BorrowedFd<'_> {
        BorrowedFd(self.0, PhantomData)
    }

    fn from_ret(ret: usize) -> Self {
        // File descriptors are small non-negative ints; the kernel never
        // returns one above i32::MAX.
        OwnedFd(ret as i32)
    }
}

impl Drop for OwnedFd {
    fn drop(&mut self) {
        // close(2): the descriptor is released even when close reports an
        // error, so there is nothing to retry.
        // SAFETY: close touches no user memory; self owns the descriptor.
        let _ = unsafe { syscall1(Sysno::close, self.0 as usize) };
    }
}

impl BorrowedFd<'static> {
    /// Standard output, open for the life of the process.
    pub const STDOUT: BorrowedFd<'static> = BorrowedFd(1, PhantomData);
    /// Standard error, open for the life of the process.
    pub const STDERR: BorrowedFd<'static> = BorrowedFd(2, PhantomData);
    /// `AT_FDCWD`: paths relative to the current directory.
    pub const CWD: BorrowedFd<'static> = BorrowedFd(-100, PhantomData);
}

/// A NUL-terminated byte string, checked once so the kernel never reads
/// past the slice.
#[derive(Clone, Copy)]
pub struct CStr<'a>(&'a [u8]);

impl<'a> CStr<'a> {
    /// `bytes` must end in its only NUL.
    pub const fn new(bytes: &'a [u8]) -> Option<Self> {
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == 0 {
                return if i + 1 == bytes.len() {
                    Some(CStr(bytes))
                } else {
                    None
                };
            }
            i += 1;
        }
        None
    }

    /// The bytes before the NUL.
    pub fn bytes(&self) -> &'a [u8] {
        match self.0.split_last() {
            Some((_, rest)) => rest,
            None => self.0,
        }
    }

    fn ptr(&self) -> usize {
        self.0.as_ptr() as usize
    }
}

// ---------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------

/// `O_*` flags for `openat`/`openat2` (include/uapi/asm-generic/fcntl.h).
#[derive(Clone, Copy)]
pub struct Open(u64);
impl Open {
    pub const RDONLY: Open = Open(0);
    pub const NONBLOCK: Open = Open(0o4000);
    pub const DIRECTORY: Open = Open(0o200000);
    pub const NOFOLLOW: Open = Open(0o400000);
    pub const CLOEXEC: Open = Open(0o2000000);
    pub const PATH: Open = Open(0o10000000);
    /// Combines two flag sets.
    pub const fn with(self, other: Open) -> Open {
        Open(self.0 | other.0)
    }
}

/// `RESOLVE_*` flags for `openat2` (include/uapi/linux/openat2.h).
#[derive(Clone, Copy)]
pub struct Resolve(u64);
impl Resolve {
    pub const NO_MAGICLINKS: Resolve = Resolve(0x02);
    pub const BENEATH: Resolve = Resolve(0x08);
    /// Combines two flag sets.
    pub const fn with(self, other: Resolve) -> Resolve {
        Resolve(self.0 | other.0)
    }
}

/// `struct open_how` (openat2(2)).
#[repr(C)]
struct OpenHow {
    flags: u64,
    mode: u64,
    resolve: u64,
}

/// openat2(2): open `path` relative to `dir`, resolving as `resolve` says.
pub fn openat2(dir: BorrowedFd, path: CStr, flags: Open, resolve: Resolve) -> Result<OwnedFd> {
    let how = OpenHow {
        flags: flags.0,
        mode: 0,
        resolve: resolve.0,
    };
    // SAFETY: the kernel reads the NUL-terminated `path` and `how`, both
    // borrowed for the call, and `size_of::<OpenHow>()` bytes of `how`.
    let ret = unsafe {
        syscall4(
            Sysno::openat2,
            dir.0 as usize,
            path.ptr(),
            &how as *const OpenHow as usize,
            size_of::<OpenHow>(),
        )
    }?;
    Ok(OwnedFd::from_ret(ret))
}

/// openat(2): open `path` relative to `dir`.
pub fn openat(dir: BorrowedFd, path: CStr, flags: Open) -> Result<OwnedFd> {
    // SAFETY: the kernel reads the NUL-terminated `path`, borrowed for the call.
    let ret = unsafe {
        syscall4(
            Sysno::openat,
            dir.0 as usize,
            path.ptr(),
            flags.0 as usize,
            0,
        )
    }?;
    Ok(OwnedFd::from_ret(ret))
}

/// The kernel's `struct stat` on x86_64 (arch/x86/include/uapi/asm/stat.h).
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub struct Stat {
    pub dev: u64,
    pub ino: u64,
    pub nlink: u64,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pad0: u32,
    pub rdev: u64,
    pub size: i64,
    pub blksize: i64,
    pub blocks: i64,
    pub atime: i64,
    pub atime_nsec: i64,
    pub mtime: i64,
    pub mtime_nsec: i64,
    pub ctime: i64,
    pub ctime_nsec: i64,
    unused: [i64; 3],
}

/// File type bits of `Stat::mode` (inode(7)).
const S_IFMT: u32 = 0o170000;
const S_IFDIR: u32 = 0o040000;
const S_IFREG: u32 = 0o100000;
const S_IFLNK: u32 = 0o120000;

impl Stat {
    pub fn is_dir(&self) -> bool {
        self.mode & S_IFMT == S_IFDIR
    }
    pub fn is_file(&self) -> bool {
        self.mode & S_IFMT == S_IFREG
    }
    pub fn is_symlink(&self) -> bool {
        self.mode & S_IFMT == S_IFLNK
    }
    /// The size in bytes (never negative for the types the server serves).
    #[allow(clippy::len_without_is_empty)] // a stat, not a collection
    pub fn len(&self) -> u64 {
        self.size.max(0) as u64
    }
}

/// fstat(2).
pub fn fstat(fd: BorrowedFd) -> Result<Stat> {
    let mut st = Stat::default();
    // SAFETY: the kernel writes one `struct stat` into `st`, borrowed mutably.
    unsafe { syscall2(Sysno::fstat, fd.0 as usize, &mut st as *mut Stat as usize) }?;
    Ok(st)
}

/// `AT_*` flags for `fstatat`.
#[derive(Clone, Copy)]
pub struct At(usize);
impl At {
    pub const SYMLINK_NOFOLLOW: At = At(0x100);
}

/// fstatat(2) (`newfstatat` on x86_64): stat `name` inside `dir`.
pub fn fstatat(dir: BorrowedFd, name: CStr, flags: At) -> Result<Stat> {
    let mut st = Stat::default();
    // SAFETY: the kernel reads the NUL-terminated `name` and writes one
    // `struct stat` into `st`; both are borrowed for the call.
    unsafe {
        syscall4(
            Sysno::newfstatat,
            dir.0 as usize,
            name.ptr(),
            &mut st as *mut Stat as usize,
            flags.0,
        )
    }?;
    Ok(st)
}

/// getdents64(2): fills `buf` with `struct linux_dirent64` records; 0 at
/// the end of the directory.
pub fn getdents64(dir: BorrowedFd, buf: &mut [u8]) -> Result<usize> {
    // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`.
    unsafe {
        syscall3(
            Sysno::getdents64,
            dir.0 as usize,
            buf.as_mut_ptr() as usize,
            buf.len(),
        )
    }
}

/// read(2).
pub fn read(fd: BorrowedFd, buf: &mut [u8]) -> Result<usize> {
    // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`.
    unsafe {
        syscall3(
            Sysno::read,
            fd.0 as usize,
            buf.as_mut_ptr() as usize,
            buf.len(),
        )
    }
}

/// pread64(2): reads at `offset` without moving the file position.
pub fn pread(fd: BorrowedFd, buf: &mut [u8], offset: u64) -> Result<usize> {
    // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`.
    unsafe {
        syscall4(
            Sysno::pread64,
            fd.0 as usize,
            buf.as_mut_ptr() as usize,
            buf.len(),
            offset as usize,
        )
    }
}

/// write(2).
pub fn write(fd: BorrowedFd, buf: &[u8]) -> Result<usize> {
    // SAFETY: the kernel reads at most `buf.len()` bytes from `buf`.
    unsafe {
        syscall3(
            Sysno::write,
            fd.0 as usize,
            buf.as_ptr() as usize,
            buf.len(),
        )
    }
}

/// sendfile(2): copies up to `count` bytes of `file` from `*offset` to
/// `out`, advancing `*offset` by what was sent.
pub fn sendfile(
    out: BorrowedFd,
    file: BorrowedFd,
    offset: &mut u64,
    count: usize,
) -> Result<usize> {
    // SAFETY: the kernel reads and updates the one `off_t` at `offset`.
    unsafe {
        syscall4(
            Sysno::sendfile,
            out.0 as usize,
            file.0 as usize,
            offset as *mut u64 as usize,
            count,
        )
    }
}

/// memfd_create(2): an anonymous in-memory file (used for generated bodies
/// that are then sent with `sendfile` like any file).
pub fn memfd_create(name: CStr) -> Result<OwnedFd> {
    const MFD_CLOEXEC: usize = 1;
    // SAFETY: the kernel reads the NUL-terminated `name`.
    let ret = unsafe { syscall2(Sysno::memfd_create, name.ptr(), MFD_CLOEXEC) }?;
    Ok(OwnedFd::from_ret(ret))
}

// ---------------------------------------------------------------------------
// Sockets
// ---------------------------------------------------------------------------

/// Address families (include/linux/socket.h).
pub const AF_INET: u16 = 2;
pub const AF_INET6: u16 = 10;

/// `SOCK_*` type and flags for `socket` and `accept4`.
#[derive(Clone, Copy)]
pub struct Sock(usize);
impl Sock {
    pub const STREAM: Sock = Sock(1);
    pub const NONBLOCK: Sock = Sock(0o4000);
    pub const CLOEXEC: Sock = Sock(0o2000000);
    /// Combines two flag sets.
    pub const fn with(self, other: Sock) -> Sock {
        Sock(self.0 | other.0)
    }
}

/// `struct sockaddr_in6`, large enough for `sockaddr_in` too; the family
/// field says which.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
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

/// bind(2).
pub fn bind(fd: BorrowedFd, addr: &SockAddr) -> Result<()> {
    // SAFETY: the kernel reads `addr.len()` bytes of `addr`.
    unsafe {
        syscall3(
            Sysno::bind,
            fd.0 as usize,
            addr as *const SockAddr as usize,
            addr.len(),
        )
    }?;
    Ok(())
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

/// `MSG_*` flags for `sendto`.
#[derive(Clone, Copy)]
pub struct Msg(usize);
impl Msg {
    /// More data follows (the body, by sendfile): hold the partial frame.
    pub const MORE: Msg = Msg(0x8000);
    /// Never raise SIGPIPE (it is ignored anyway; belt and braces).
    pub const NOSIGNAL: Msg = Msg(0x4000);
    /// Combines two flag sets.
    pub const fn with(self, other: Msg) -> Msg {
        Msg(self.0 | other.0)
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

// ---------------------------------------------------------------------------
// epoll, signals, timers
// ---------------------------------------------------------------------------

/// `EPOLL*` event bits (include/uapi/linux/eventpoll.h).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Epoll(u32);
impl Epoll {
    pub const IN: Epoll = Epoll(0x001);
    pub const OUT: Epoll = Epoll(0x004);
    /// Wake only one of the epoll sets that wait on the same listener.
    pub const EXCLUSIVE: Epoll = Epoll(1 << 28);
    /// Combines two sets of bits.
    pub const fn with(self, other: Epoll) -> Epoll {
        Epoll(self.0 | other.0)
    }
}

/// `struct epoll_event`, packed on x86_64.
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub struct EpollEvent {
    events: u32,
    data: u64,
}

impl EpollEvent {
    /// An event for `epoll_ctl`, or an empty slot for `epoll_wait`.
    pub const fn new(events: Epoll, data: u64) -> Self {
        EpollEvent {
            events: events.0,
            data,
        }
    }
    /// The user data given to `epoll_ctl`.
    pub fn data(&self) -> u64 {
        self.data
    }
}

/// epoll_create1(2) with `EPOLL_CLOEXEC`.
pub fn epoll_create1() -> Result<OwnedFd> {
    const EPOLL_CLOEXEC: usize = 0o2000000;
    // SAFETY: epoll_create1 touches no user memory.
    let ret = unsafe { syscall1(Sysno::epoll_create1, EPOLL_CLOEXEC) }?;
    Ok(OwnedFd::from_ret(ret))
}

/// Operations of epoll_ctl(2).
#[derive(Clone, Copy)]
pub enum EpollOp {
    Add = 1,
    Del = 2,
    Mod = 3,
}

/// epoll_ctl(2).
pub fn epoll_ctl(ep: BorrowedFd, op: EpollOp, fd: BorrowedFd, event: EpollEvent) -> Result<()> {
    // SAFETY: the kernel reads one `epoll_event` from `event`, on our stack.
    unsafe {
        syscall4(
            Sysno::epoll_ctl,
            ep.0 as usize,
            op as usize,
            fd.0 as usize,
            &event as *const EpollEvent as usize,
        )
    }?;
    Ok(())
}

/// epoll_wait(2): fills `events`, waiting at most `timeout_ms` (-1: forever).
pub fn epoll_wait(ep: BorrowedFd, events: &mut [EpollEvent], timeout_ms: i32) -> Result<usize> {
    // SAFETY: the kernel writes at most `events.len()` entries into `events`.
    unsafe {
        syscall4(
            Sysno::epoll_wait,
            ep.0 as usize,
            events.as_mut_ptr() as usize,
            events.len(),
            timeout_ms as isize as usize,
        )
    }
}

/// Signal numbers (signal(7)).
pub const SIGINT: u32 = 2;
pub const SIGKILL: u32 = 9;
pub const SIGPIPE: u32 = 13;
pub const SIGTERM: u32 = 15;
pub const SIGCHLD: u32 = 17;

/// A set of signals, the kernel's 64-bit `sigset_t` (read by the kernel
/// through a pointer, hence never by Rust).
#[derive(Clone, Copy, Default)]
#[repr(transparent)]
pub struct SigSet(#[allow(dead_code)] u64);
impl SigSet {
    /// The set holding `signals`.
    pub fn of(signals: &[u32]) -> SigSet {
        SigSet(signals.iter().fold(0, |set, &s| set | 1 << (s - 1)))
    }
}

/// `struct k_sigaction` for rt_sigaction(2) (the kernel's layout, not libc's).
#[repr(C)]
struct KSigAction {
    handler: usize,
    flags: u64,
    restorer: usize,
    mask: u64,
}

/// rt_sigaction(2) setting `signal` to `SIG_IGN`; needs no restorer since
/// no handler ever runs.
pub fn ignore_signal(signal: u32) -> Result<()> {
    const SIG_IGN: usize = 1;
    let act = KSigAction {
        handler: SIG_IGN,
        flags: 0,
        restorer: 0,
        mask: 0,
    };
    // SAFETY: the kernel reads one `k_sigaction` from `act`, on our stack,
    // and 8 bytes of sigset size.
    unsafe {
        syscall4(
            Sysno::rt_sigaction,
            signal as usize,
            &act as *const KSigAction as usize,
            0,
            size_of::<u64>(),
        )
    }?;
    Ok(())
}

/// How rt_sigprocmask(2) changes the mask.
#[derive(Clone, Copy)]
pub enum SigHow {
    Block = 0,
    Unblock = 1,
}

/// rt_sigprocmask(2).
pub fn rt_sigprocmask(how: SigHow, set: SigSet) -> Result<()> {
    // SAFETY: the kernel reads the 8-byte `set`, on our stack.
    unsafe {
        syscall4(
            Sysno::rt_sigprocmask,
            how as usize,
            &set as *const SigSet as usize,
            0,
            size_of::<SigSet>(),
        )
    }?;
    Ok(())
}

/// signalfd4(2): a descriptor that reads the signals in `set` (which must
/// be blocked) as 128-byte records; non-blocking unless `blocking`.
pub fn signalfd(set: SigSet, blocking: bool) -> Result<OwnedFd> {
    const SFD_NONBLOCK: usize = 0o4000;
    const SFD_CLOEXEC: usize = 0o2000000;
    let flags = if blocking {
        SFD_CLOEXEC
    } else {
        SFD_CLOEXEC | SFD_NONBLOCK
    };
    // SAFETY: the kernel reads the 8-byte `set`, on our stack.
    let ret = unsafe {
        syscall4(
            Sysno::signalfd4,
            usize::MAX, // -1: a new descriptor
            &set as *const SigSet as usize,
            size_of::<SigSet>(),
            flags,
        )
    }?;
    Ok(OwnedFd::from_ret(ret))
}

/// Reads one pending signal from a signalfd: its number, or None when none
/// is pending.
pub fn read_signal(fd: BorrowedFd) -> Option<u32> {
    // struct signalfd_siginfo is 128 bytes; ssi_signo is its first u32.
    let mut info = [0u8; 128];
    match read(fd, &mut info) {
        Ok(128) => Some(u32::from_ne_bytes([info[0], info[1], info[2], info[3]])),
        _ => None,
    }
}

/// Clocks for clock_gettime(2).
#[derive(Clone, Copy)]
pub enum Clock {
    Realtime = 0,
    Monotonic = 1,
}

/// clock_gettime(2): (seconds, nanoseconds). The vDSO would avoid the
/// syscall, but finding it needs an ELF parser; the server reads the clock
/// once per loop iteration, not per request.
pub fn clock_gettime(clock: Clock) -> (i64, u32) {
    let mut ts = [0i64; 2];
    // SAFETY: the kernel writes one 16-byte `struct timespec` into `ts`.
    let _ = unsafe {
        syscall2(
            Sysno::clock_gettime,
            clock as usize,
            ts.as_mut_ptr() as usize,
        )
    };
    (ts[0], ts[1] as u32)
}

/// nanosleep(2) for whole seconds (an interruption just ends it early).
pub fn sleep_secs(secs: u32) {
    let ts = [i64::from(secs), 0i64];
    // SAFETY: the kernel reads one 16-byte `struct timespec` from `ts`.
    let _ = unsafe { syscall2(Sysno::nanosleep, ts.as_ptr() as usize, 0) };
}

// ---------------------------------------------------------------------------
// Processes and memory
// ---------------------------------------------------------------------------

/// exit_group(2): ends every thread of the process.
pub fn exit_group(code: i32) -> ! {
    loop {
        // SAFETY: exit_group touches no user memory and does not return.
        let _ = unsafe { syscall1(Sysno::exit_group, code as usize) };
    }
}

/// getpid(2).
pub fn getpid() -> i32 {
    // SAFETY: getpid touches no user memory and cannot fail.
    unsafe { syscalls::syscall0(Sysno::getpid) }.unwrap_or(0) as i32
}

/// Set once by the binary's entry point: this process has one thread and
/// no libc, so a raw fork leaves no lock held and no cached state stale.
static SINGLE_THREADED: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

/// Declares that the process runs on one thread, without libc, for good.
///
/// # Safety
/// Only `_start` of the httpd binary may call it: the caller guarantees no
/// thread is ever created and no libc runs in this process.
pub unsafe fn declare_single_threaded() {
    SINGLE_THREADED.store(true, core::sync::atomic::Ordering::Relaxed);
}

/// fork(2), as clone(2) with only `SIGCHLD`: 0 in the child, the child's
/// pid in the parent. `EPERM` unless `declare_single_threaded` was called:
/// in a threaded process (say, a test binary with libc) a raw clone would
/// bypass libc's fork handlers.
pub fn fork() -> Result<i32> {
    if !SINGLE_THREADED.load(core::sync::atomic::Ordering::Relaxed) {
        return Err(Errno::EPERM);
    }
    // SAFETY: the process is single-threaded without libc (checked above);
    // the child gets a copy of all memory, so no Rust invariant spans the
    // two processes.
    let ret = unsafe { syscall5(Sysno::clone, SIGCHLD as usize, 0, 0, 0, 0) }?;
    Ok(ret as i32)
}

/// wait4(2) with `WNOHANG` for any child: Some((pid, status)) for a child
/// that ended, None when none has.
pub fn wait_any_nohang() -> Result<Option<(i32, i32)>> {
    const WNOHANG: usize = 1;
    let mut status = 0i32;
    // SAFETY: the kernel writes the 4-byte `status`.
    let pid = unsafe {
        syscall4(
            Sysno::wait4,
            usize::MAX,
            &mut status as *mut i32 as usize,
            WNOHANG,
            0,
        )
    }?;
    Ok(if pid == 0 {
        None
    } else {
        Some((pid as i32, status))
    })
}

/// kill(2).
pub fn kill(pid: i32, signal: u32) -> Result<()> {
    // SAFETY: kill touches no user memory.
    unsafe { syscall2(Sysno::kill, pid as isize as usize, signal as usize) }?;
    Ok(())
}

/// prctl(2) `PR_SET_PDEATHSIG`: have the kernel send `signal` to this
/// process when its parent dies, so workers never outlive the supervisor.
pub fn set_parent_death_signal(signal: u32) -> Result<()> {
    const PR_SET_PDEATHSIG: usize = 1;
    // SAFETY: this prctl touches no user memory.
    unsafe { syscall2(Sysno::prctl, PR_SET_PDEATHSIG, signal as usize) }?;
    Ok(())
}

/// getppid(2).
pub fn getppid() -> i32 {
    // SAFETY: getppid touches no user memory and cannot fail.
    unsafe { syscalls::syscall0(Sysno::getppid) }.unwrap_or(0) as i32
}

/// Maps `len` bytes of zeroed, private, anonymous memory for the life of
/// the process (mmap(2)); pages cost memory only once touched.
pub fn mmap_anonymous(len: usize) -> Result<&'static mut [u8]> {
    const PROT_READ_WRITE: usize = 0x1 | 0x2;
    const MAP_PRIVATE_ANONYMOUS_NORESERVE: usize = 0x02 | 0x20 | 0x4000;
    // SAFETY: a fresh anonymous mapping aliases nothing.
    let addr = unsafe {
        syscall6(
            Sysno::mmap,
            0,
            len,
            PROT_READ_WRITE,
            MAP_PRIVATE_ANONYMOUS_NORESERVE,
            usize::MAX, // fd -1
            0,
        )
    }?;
    // SAFETY: the kernel returned a readable, writable, zeroed mapping of
    // `len` bytes that nothing else refers to and that is never unmapped.
    Ok(unsafe { core::slice::from_raw_parts_mut(addr as *mut u8, len) })
}

/// Maps an array of `n` values made by `init`, for the life of the
/// process: the connection table, sized at start.
pub fn mmap_array<T>(n: usize, mut init: impl FnMut(usize) -> T) -> Result<&'static mut [T]> {
    const _: () = assert!(core::mem::align_of::<u64>() <= 4096);
    let bytes = n.checked_mul(size_of::<T>()).ok_or(Errno::ENOMEM)?;
    let mem = mmap_anonymous(bytes.max(1))?;
    let base = mem.as_mut_ptr() as *mut T;
    if !(base as usize).is_multiple_of(core::mem::align_of::<T>()) {
        return Err(Errno::EINVAL); // mmap returns pages: never happens
    }
    for i in 0..n {
        // SAFETY: the mapping is aligned for T (checked above) and `n * size_of::<T>()` bytes long; element i is inside
        // it and is written exactly once before any read.
        unsafe { base.add(i).write(init(i)) };
    }
    // SAFETY: all n elements were initialized above; the mapping is never
    // unmapped and nothing else refers to it.
    Ok(unsafe { core::slice::from_raw_parts_mut(base, n) })
}

/// `RLIMIT_NOFILE`: raises the soft limit on open files to the hard limit
/// (prlimit64(2)) and returns the new soft limit.
pub fn raise_nofile_limit() -> Result<u64> {
    const RLIMIT_NOFILE: usize = 7;
    let mut lim = [0u64; 2]; // rlim_cur, rlim_max
    // SAFETY: the kernel writes one 16-byte `struct rlimit64` into `lim`.
    unsafe {
        syscall4(
            Sysno::prlimit64,
            0,
            RLIMIT_NOFILE,
            0,
            lim.as_mut_ptr() as usize,
        )
    }?;
    if lim[0] < lim[1] {
        let new = [lim[1], lim[1]];
        // SAFETY: the kernel reads the 16-byte `new`.
        if unsafe { syscall4(Sysno::prlimit64, 0, RLIMIT_NOFILE, new.as_ptr() as usize, 0) }.is_ok()
        {
            lim[0] = lim[1];
        }
    }
    Ok(lim[0])
}

/// sched_getaffinity(2): how many CPUs this process may run on.
pub fn cpu_count() -> usize {
    let mut mask = [0u64; 16]; // 1024 CPUs
    // SAFETY: the kernel writes at most 128 bytes into `mask`.
    let ret = unsafe {
        syscall3(
            Sysno::sched_getaffinity,
            0,
            size_of::<[u64; 16]>(),
            mask.as_mut_ptr() as usize,
        )
    };
    match ret {
        Ok(_) => mask
            .iter()
            .map(|w| w.count_ones() as usize)
            .sum::<usize>()
            .max(1),
        Err(_) => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cstr_must_end_in_its_only_nul() {
        assert!(CStr::new(b"a\0").is_some());
        assert!(CStr::new(b"\0").is_some());
        assert!(CStr::new(b"a").is_none());
        assert!(CStr::new(b"").is_none());
        assert!(CStr::new(b"a\0b\0").is_none());
    }

    #[test]
    fn files_through_the_real_kernel() {
        let dir = std::env::temp_dir().join(format!("httpd-sys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("f.txt"), b"hello").unwrap();
        let path = std::ffi::CString::new(dir.to_str().unwrap()).unwrap();
        let root = openat(
            BorrowedFd::CWD,
            CStr::new(path.as_bytes_with_nul()).unwrap(),
            Open::DIRECTORY.with(Open::CLOEXEC),
        )
        .unwrap();
        let beneath = Resolve::BENEATH.with(Resolve::NO_MAGICLINKS);
        let f = openat2(
            root.as_fd(),
            CStr::new(b"f.txt\0").unwrap(),
            Open::CLOEXEC,
            beneath,
        )
        .unwrap();
        let st = fstat(f.as_fd()).unwrap();
        assert!(st.is_file() && st.len() == 5);
        let mut buf = [0u8; 16];
        assert_eq!(read(f.as_fd(), &mut buf), Ok(5));
        assert_eq!(&buf[..5], b"hello");
        let escape = openat2(
            root.as_fd(),
            CStr::new(b"../\0").unwrap(),
            Open::CLOEXEC,
            beneath,
        );
        assert_eq!(escape.unwrap_err(), Errno::EXDEV);
        let st = fstatat(
            root.as_fd(),
            CStr::new(b"f.txt\0").unwrap(),
            At::SYMLINK_NOFOLLOW,
        )
        .unwrap();
        assert_eq!(st.len(), 5);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
