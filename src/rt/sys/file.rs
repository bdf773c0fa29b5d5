//! File shims: opening beneath a directory, stat, directory entries,
//! reading, writing, sendfile and memfd. See `rt::sys` for the rules every
//! shim follows, including its `# Safety` contract.

use core::mem::size_of;

use super::{BorrowedFd, CStr, OwnedFd, Result};
use syscalls::{Sysno, syscall1, syscall2, syscall3, syscall4, syscall5, syscall6};

flags! {
    /// `O_*` flags for `openat`/`openat2` (include/uapi/asm-generic/fcntl.h).
    Open(u64) {
        RDONLY = 0;
        /// Not used by the server; the sandbox's tests show it refused.
        WRONLY = 1;
        NONBLOCK = 0o4000;
        DIRECTORY = 0o200000;
        NOFOLLOW = 0o400000;
        CLOEXEC = 0o2000000;
        PATH = 0o10000000;
        /// `O_TMPFILE | O_WRONLY` (`__O_TMPFILE | O_DIRECTORY`): an unnamed
        /// file in the directory opened, for uploads (open(2)).
        TMPFILE = 0o20200001;
        /// `O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_NONBLOCK |
        /// O_NOFOLLOW | O_CLOEXEC`: a new `--log FILE`.
        LOG_NEW = 0o2406301;
        /// `O_WRONLY | O_APPEND | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC`: an
        /// existing `--log FILE`.
        LOG_OLD = 0o2406001;
    }
}

/// The mode of files the server creates (uploads), before the umask.
const CREATE_MODE: u64 = 0o666;

/// The mode argument for `flags`: the kernel wants one only when a file
/// is created (openat2(2) refuses a mode otherwise).
fn mode_for(flags: Open) -> u64 {
    if flags.0 & Open::TMPFILE.0 == Open::TMPFILE.0 {
        CREATE_MODE
    } else if flags.0 & O_CREAT != 0 {
        LOG_MODE
    } else {
        0
    }
}

/// The mode of a log file httpd creates, before the umask: readable by
/// log tools, written only by its owner.
const LOG_MODE: u64 = 0o644;

/// `O_CREAT` (asm-generic/fcntl.h): only `--log FILE` creates with it.
const O_CREAT: u64 = 0o100;

flags! {
    /// `RESOLVE_*` flags for `openat2` (include/uapi/linux/openat2.h).
    Resolve(u64) {
        /// No mount point crossed (`EXDEV`).
        NO_XDEV = 0x01;
        NO_MAGICLINKS = 0x02;
        /// No symlink anywhere on the path (`ELOOP`): what the file cache
        /// opens with, so that every directory a path crosses is one it
        /// watches.
        NO_SYMLINKS = 0x04;
        BENEATH = 0x08;
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
        mode: mode_for(flags),
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
            mode_for(flags) as usize,
        )
    }?;
    Ok(OwnedFd::from_ret(ret))
}

/// linkat(2): gives the file open as `file` (an `O_TMPFILE`) the name
/// `name` in `dir`; `EEXIST` if the name is taken. With `AT_EMPTY_PATH`,
/// which Linux allows without `CAP_DAC_READ_SEARCH` since 6.10 for a file
/// the caller opened; before that (`ENOENT`), through the file's
/// `/proc/self/fd` link, which needs /proc mounted (`linkat_proc`).
pub fn linkat(file: BorrowedFd, dir: BorrowedFd, name: CStr) -> Result<()> {
    match linkat_empty(file, dir, name) {
        Err(super::Errno::ENOENT) => linkat_proc(file, dir, name),
        done => done,
    }
}

/// `linkat` through `/proc/self/fd/N` with `AT_SYMLINK_FOLLOW` (the
/// kernels before 6.10 with an unprivileged caller).
pub fn linkat_proc(file: BorrowedFd, dir: BorrowedFd, name: CStr) -> Result<()> {
    const AT_SYMLINK_FOLLOW: usize = 0x400;
    let mut mem = [0u8; 32];
    let mut path = crate::buf::Buf::new(&mut mem);
    path.str("/proc/self/fd/").u64(file.0.max(0) as u64).byte(0);
    let path = CStr::new(path.as_bytes()).ok_or(super::Errno::EINVAL)?;
    // SAFETY: the kernel reads the NUL-terminated `path` and `name`, both
    // live for the call.
    unsafe {
        syscall5(
            Sysno::linkat,
            BorrowedFd::CWD.0 as usize,
            path.ptr(),
            dir.0 as usize,
            name.ptr(),
            AT_SYMLINK_FOLLOW,
        )
    }?;
    Ok(())
}

/// `linkat` with `AT_EMPTY_PATH`.
fn linkat_empty(file: BorrowedFd, dir: BorrowedFd, name: CStr) -> Result<()> {
    const AT_EMPTY_PATH: usize = 0x1000;
    // SAFETY: the kernel reads the NUL-terminated `name` and the empty
    // string literal, both live for the call.
    unsafe {
        syscall5(
            Sysno::linkat,
            file.0 as usize,
            c"".as_ptr() as usize,
            dir.0 as usize,
            name.ptr(),
            AT_EMPTY_PATH,
        )
    }?;
    Ok(())
}

/// renameat(2): renames `from` to `to`, both in `dir`, replacing `to`.
pub fn renameat(dir: BorrowedFd, from: CStr, to: CStr) -> Result<()> {
    // SAFETY: the kernel reads the two NUL-terminated names, borrowed for
    // the call.
    unsafe {
        syscall4(
            Sysno::renameat,
            dir.0 as usize,
            from.ptr(),
            dir.0 as usize,
            to.ptr(),
        )
    }?;
    Ok(())
}

/// pipe2(2) with `O_CLOEXEC | O_NONBLOCK`: (read end, write end).
pub fn pipe2() -> Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0i32; 2];
    let flags = Open::CLOEXEC.with(Open::NONBLOCK);
    // SAFETY: the kernel writes two `int`s into `fds`, borrowed mutably.
    unsafe { syscall2(Sysno::pipe2, fds.as_mut_ptr() as usize, flags.0 as usize) }?;
    let [read, write] = fds;
    Ok((
        OwnedFd::from_ret(read as usize),
        OwnedFd::from_ret(write as usize),
    ))
}

/// splice(2) of up to `len` bytes from `from` to `to` (one of them a
/// pipe), at their current offsets, without blocking on the pipe
/// (`SPLICE_F_MOVE | SPLICE_F_NONBLOCK`).
pub fn splice(from: BorrowedFd, to: BorrowedFd, len: usize) -> Result<usize> {
    const SPLICE_F_MOVE_NONBLOCK: usize = 1 | 2;
    // SAFETY: no memory is passed: both offsets are null.
    unsafe {
        syscall6(
            Sysno::splice,
            from.0 as usize,
            0,
            to.0 as usize,
            0,
            len,
            SPLICE_F_MOVE_NONBLOCK,
        )
    }
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
const S_IFSOCK: u32 = 0o140000;

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
    pub fn is_socket(&self) -> bool {
        self.mode & S_IFMT == S_IFSOCK
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

/// unlinkat(2) of a file (not a directory): `--bind unix:` removes a
/// stale socket.
pub fn unlinkat(dir: BorrowedFd, name: CStr) -> Result<()> {
    // SAFETY: the kernel reads the NUL-terminated `name`, borrowed.
    unsafe { syscall3(Sysno::unlinkat, dir.0 as usize, name.ptr(), 0) }?;
    Ok(())
}

/// umask(2): returns the mask it replaces. `--bind unix:` creates its
/// socket file with a mask that lets a reverse proxy's user connect.
pub fn umask(mask: u32) -> u32 {
    // SAFETY: umask touches no user memory and cannot fail.
    let old = unsafe { syscall1(Sysno::umask, mask as usize) };
    old.map_or(0, |m| m as u32)
}

/// fchown(2): the `--log` file goes to the `--user` before root is
/// dropped, so it can be opened again after a SIGHUP.
pub fn fchown(fd: BorrowedFd, uid: u32, gid: u32) -> Result<()> {
    // SAFETY: fchown touches no user memory.
    unsafe { syscall3(Sysno::fchown, fd.0 as usize, uid as usize, gid as usize) }?;
    Ok(())
}

/// `F_GETFL`/`F_SETFL` (fcntl(2)).
const F_GETFL: usize = 3;
const F_SETFL: usize = 4;

/// Adds `flags` to the file status flags of `fd` (fcntl(2) `F_SETFL`):
/// a socket inherited from systemd is blocking, and a worker's accept
/// loop needs it non-blocking.
pub fn add_status_flags(fd: BorrowedFd, flags: Open) -> Result<()> {
    // SAFETY: F_GETFL touches no user memory.
    let now = unsafe { syscall2(Sysno::fcntl, fd.0 as usize, F_GETFL) }?;
    // SAFETY: F_SETFL touches no user memory.
    unsafe { syscall3(Sysno::fcntl, fd.0 as usize, F_SETFL, now | flags.0 as usize) }?;
    Ok(())
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

/// fchdir(2): make `dir` the working directory, which inotify_add_watch(2)
/// resolves its paths from (a worker's is its served root).
pub fn fchdir(dir: BorrowedFd) -> Result<()> {
    // SAFETY: fchdir touches no user memory.
    unsafe { syscall1(Sysno::fchdir, dir.0 as usize) }?;
    Ok(())
}
