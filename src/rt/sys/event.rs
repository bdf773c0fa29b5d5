//! Waiting shims: epoll, signals (blocked and read through a signalfd),
//! clocks and sleeping. See `rt::sys` for the rules every shim follows.

use core::mem::size_of;

use super::{BorrowedFd, OwnedFd, Result, read};
use syscalls::{Sysno, syscall1, syscall2, syscall3, syscall4};

flags! {
    /// `EPOLL*` event bits (include/uapi/linux/eventpoll.h).
    Epoll(u32) {
        IN = 0x001;
        /// Priority data; for /proc/self/mountinfo, a change of the mount
        /// table (proc(5)).
        PRI = 0x002;
        OUT = 0x004;
        /// Wake only one of the epoll sets that wait on the same listener.
        EXCLUSIVE = 1 << 28;
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
pub const SIGHUP: u32 = 1;
pub const SIGINT: u32 = 2;
pub const SIGQUIT: u32 = 3;
pub const SIGUSR1: u32 = 10;
pub const SIGUSR2: u32 = 12;
pub const SIGALRM: u32 = 14;
pub const SIGKILL: u32 = 9;
pub const SIGPIPE: u32 = 13;
pub const SIGTERM: u32 = 15;
pub const SIGCHLD: u32 = 17;
/// What seccomp kills a process with for a syscall off its list.
pub const SIGSYS: u32 = 31;

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

/// Microseconds in a second.
pub const MICROS_PER_SEC: i64 = 1_000_000;

/// The monotonic clock in microseconds: the JSON log's durations,
/// `--check`'s deadline.
pub fn monotonic_us() -> i64 {
    let (secs, nanos) = clock_gettime(Clock::Monotonic);
    secs.saturating_mul(MICROS_PER_SEC) + i64::from(nanos / 1_000)
}

/// nanosleep(2) for whole seconds (an interruption just ends it early).
pub fn sleep_secs(secs: u32) {
    let ts = [i64::from(secs), 0i64];
    // SAFETY: the kernel reads one 16-byte `struct timespec` from `ts`.
    let _ = unsafe { syscall2(Sysno::nanosleep, ts.as_ptr() as usize, 0) };
}

flags! {
    /// `IN_*` bits of inotify(7) (include/uapi/linux/inotify.h): what a
    /// watch reports, and what an event says happened.
    Notify(u32) {
        MODIFY = 0x2;
        ATTRIB = 0x4;
        CLOSE_WRITE = 0x8;
        MOVED_FROM = 0x40;
        MOVED_TO = 0x80;
        CREATE = 0x100;
        DELETE = 0x200;
        DELETE_SELF = 0x400;
        MOVE_SELF = 0x800;
        /// The file system of the watched object was unmounted.
        UNMOUNT = 0x2000;
        /// The event queue overflowed: events were lost.
        Q_OVERFLOW = 0x4000;
        /// The watch is gone (its object deleted, or its file system
        /// unmounted).
        IGNORED = 0x8000;
        /// Watch only a directory: anything else fails with `ENOTDIR`.
        ONLYDIR = 0x0100_0000;
        /// Do not follow a symlink as the path's last component.
        DONT_FOLLOW = 0x0200_0000;
    }
}

impl Notify {
    /// The bits as the kernel gives them in an event's mask.
    pub const fn bits(self) -> u32 {
        self.0
    }
    /// True when `mask` has any bit of `self`.
    pub const fn any_in(self, mask: u32) -> bool {
        self.0 & mask != 0
    }
}

/// inotify_init1(2), non-blocking and close-on-exec.
pub fn inotify_init1() -> Result<OwnedFd> {
    const IN_NONBLOCK_CLOEXEC: usize = 0o4000 | 0o2000000;
    // SAFETY: inotify_init1 touches no user memory.
    let ret = unsafe { syscall1(Sysno::inotify_init1, IN_NONBLOCK_CLOEXEC) }?;
    Ok(OwnedFd::from_ret(ret))
}

/// inotify_add_watch(2): watch `path`, relative to the working directory
/// (the call takes no directory descriptor), for `mask`; the watch
/// descriptor. Watching an object already watched returns its watch
/// descriptor again, with the new mask.
pub fn inotify_add_watch(notify: BorrowedFd, path: super::CStr, mask: Notify) -> Result<i32> {
    // SAFETY: the kernel reads the NUL-terminated `path`, borrowed for the call.
    let ret = unsafe {
        syscall3(
            Sysno::inotify_add_watch,
            notify.0 as usize,
            path.ptr(),
            mask.0 as usize,
        )
    }?;
    Ok(ret as i32)
}
