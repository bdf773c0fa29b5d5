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

use syscalls::syscall1;
pub use syscalls::{Errno, Sysno};

/// A set of flags of one kind: a newtype over the kernel's integer, the
/// named values (the C constant without its prefix), and `with` to
/// combine them. Callers never see bare numbers.
macro_rules! flags {
    ($(#[$doc:meta])* $name:ident($int:ty) {
        $($(#[$flag_doc:meta])* $flag:ident = $value:expr;)*
    }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct $name($int);
        impl $name {
            $($(#[$flag_doc])* pub const $flag: $name = $name($value);)*
            /// Combines two sets.
            pub const fn with(self, other: $name) -> $name {
                $name(self.0 | other.0)
            }
        }
    };
}

mod confine;
mod event;
mod file;
mod process;
mod socket;

pub use confine::*;
pub use event::*;
pub use file::*;
pub use process::*;
pub use socket::*;

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

    /// Takes ownership of descriptor `fd`, which the process was started
    /// with (socket activation's fd 3 onwards, sd_listen_fds(3)): nothing
    /// else in the process owns it.
    pub fn inherited(fd: i32) -> Self {
        OwnedFd(fd)
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
