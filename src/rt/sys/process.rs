//! Process and memory shims: exit, fork (single-threaded only), wait,
//! kill, memory mapped once at start, the descriptor limit, CPU count. See
//! `rt::sys` for the rules every shim follows.

use core::mem::size_of;

use super::{Errno, Result, Rlimit, SIGCHLD, getrlimit, setrlimit};
use syscalls::{Sysno, syscall0, syscall1, syscall2, syscall3, syscall4, syscall5, syscall6};

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
    unsafe { syscall0(Sysno::getpid) }.unwrap_or(0) as i32
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

/// getppid(2).
pub fn getppid() -> i32 {
    // SAFETY: getppid touches no user memory and cannot fail.
    unsafe { syscall0(Sysno::getppid) }.unwrap_or(0) as i32
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

/// `MADV_DONTNEED` (asm-generic/mman-common.h).
pub const MADV_DONTNEED: u32 = 4;

/// Bytes of a page (x86_64): what madvise(2) works in.
const PAGE_BYTES: usize = 4096;

/// madvise(2) `MADV_DONTNEED` on the whole pages inside `mem`: they go
/// back to the kernel, and read as zeros when next touched (a private
/// anonymous mapping, as `mmap_anonymous` makes). The bytes of `mem` on a
/// page it shares with other memory are left alone, so nothing outside
/// the slice is ever zeroed. The slice stays valid; only its contents are
/// gone.
pub fn madvise_dontneed(mem: &mut [u8]) -> Result<()> {
    let start = mem.as_mut_ptr() as usize;
    let first = start.next_multiple_of(PAGE_BYTES);
    let end = (start + mem.len()) & !(PAGE_BYTES - 1);
    if end <= first {
        return Ok(());
    }
    // SAFETY: `first..end` lies inside `mem`, which is borrowed mutably,
    // so nothing else reads the bytes the kernel zeroes; the mapping
    // itself stays (madvise unmaps nothing).
    unsafe { syscall3(Sysno::madvise, first, end - first, MADV_DONTNEED as usize) }?;
    Ok(())
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

/// Maps room for `n` values of `T`, left uninitialized (and untouched:
/// pages cost memory only once a slot is written with
/// `MaybeUninit::write`), for the life of the process: state that only
/// some connections ever use, like their TLS sessions.
pub fn mmap_uninit<T>(n: usize) -> Result<&'static mut [core::mem::MaybeUninit<T>]> {
    let bytes = n.checked_mul(size_of::<T>()).ok_or(Errno::ENOMEM)?;
    let mem = mmap_anonymous(bytes.max(1))?;
    let base = mem.as_mut_ptr() as *mut core::mem::MaybeUninit<T>;
    if !(base as usize).is_multiple_of(core::mem::align_of::<T>()) {
        return Err(Errno::EINVAL); // mmap returns pages: never happens
    }
    // SAFETY: the mapping is aligned for T (checked above), `n *
    // size_of::<T>()` bytes long, never unmapped and referred to by
    // nothing else; `MaybeUninit<T>` is valid for any bytes.
    Ok(unsafe { core::slice::from_raw_parts_mut(base, n) })
}

/// `RLIMIT_NOFILE`: raises the soft limit on open files to the hard limit
/// and returns the new soft limit.
pub fn raise_nofile_limit() -> Result<u64> {
    let (soft, hard) = getrlimit(Rlimit::NOFILE)?;
    if soft < hard && setrlimit(Rlimit::NOFILE, hard, hard).is_ok() {
        return Ok(hard);
    }
    Ok(soft)
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

/// getrandom(2) until `buf` is full: blocks only until the kernel's pool
/// is first seeded, after which it never fails for small requests.
pub fn getrandom(buf: &mut [u8]) -> Result<()> {
    let mut filled = 0;
    while let Some(rest) = buf.get_mut(filled..).filter(|r| !r.is_empty()) {
        // SAFETY: the kernel writes at most `rest.len()` bytes into `rest`.
        match unsafe { syscall3(Sysno::getrandom, rest.as_mut_ptr() as usize, rest.len(), 0) } {
            Ok(n) => filled += n,
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Bytes of each field of `struct utsname` (uname(2)).
pub const UTSNAME_FIELD_BYTES: usize = 65;

/// uname(2): the node name (the host name), NUL-free, into `out`;
/// returns its length.
pub fn uname(out: &mut [u8; UTSNAME_FIELD_BYTES]) -> Result<usize> {
    let mut uts = [0u8; 6 * UTSNAME_FIELD_BYTES];
    // SAFETY: the kernel writes one `struct utsname` (six 65-byte fields).
    unsafe { syscall1(Sysno::uname, uts.as_mut_ptr() as usize) }?;
    let node = uts
        .get(UTSNAME_FIELD_BYTES..2 * UTSNAME_FIELD_BYTES)
        .unwrap_or_default();
    let len = node.iter().position(|&b| b == 0).unwrap_or(node.len());
    for (to, from) in out.iter_mut().zip(node.get(..len).unwrap_or_default()) {
        *to = *from;
    }
    Ok(len)
}
