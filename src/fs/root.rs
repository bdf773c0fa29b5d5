//! The served root and the kernel half of path safety. Every file is
//! opened relative to a directory descriptor of the root with
//! `openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)` (openat2(2), Linux
//! 5.6+): the kernel refuses any path, `..` or symlink that would resolve
//! outside the root, so even a symlink planted inside the tree cannot lead
//! out of it. Where openat2 is missing (`ENOSYS`) or filtered by seccomp
//! (`EPERM`), the server falls back to plain `openat` and relies on the
//! lexical normalization of `fs::path` alone, and says so at start-up.

use crate::rt::sys::{self, BorrowedFd, CStr, Errno, Open, OwnedFd, Resolve};

/// How files are opened: read-only, never blocking (a FIFO opens at once
/// and is then refused by type), never inherited.
const FILE_FLAGS: Open = Open::RDONLY.with(Open::NONBLOCK).with(Open::CLOEXEC);

/// The kernel's confinement: no escape by `..`, absolute symlinks, or
/// /proc magic links.
const CONFINED: Resolve = Resolve::BENEATH.with(Resolve::NO_MAGICLINKS);

/// An open directory that every request path is resolved beneath.
pub struct Root {
    dir: OwnedFd,
    confined: bool,
}

impl Root {
    /// Opens the directory `path` and probes for openat2.
    pub fn open(path: CStr) -> Result<Root, Errno> {
        let flags = Open::RDONLY.with(Open::DIRECTORY).with(Open::CLOEXEC);
        let dir = sys::openat(BorrowedFd::CWD, path, flags)?;
        let confined = match sys::openat2(dir.as_fd(), DOT, FILE_FLAGS, CONFINED) {
            Err(Errno::ENOSYS) | Err(Errno::EPERM) => false,
            Err(e) => return Err(e),
            Ok(_) => true,
        };
        Ok(Root { dir, confined })
    }

    /// True when the kernel confines lookups (openat2 is available).
    pub fn confined(&self) -> bool {
        self.confined
    }

    /// The root directory itself.
    pub fn dir(&self) -> BorrowedFd<'_> {
        self.dir.as_fd()
    }

    /// Opens `rel`, a normalized path relative to the root (`.` for the
    /// root itself), for reading.
    pub fn open_file(&self, rel: CStr) -> Result<OwnedFd, Errno> {
        self.open_with(rel, FILE_FLAGS)
    }

    /// Opens `rel` as an `O_PATH` descriptor: enough to `fstat` what a
    /// symlink in a listing points to, without opening it for reading.
    pub fn open_path(&self, rel: CStr) -> Result<OwnedFd, Errno> {
        self.open_with(rel, Open::PATH.with(Open::CLOEXEC))
    }

    fn open_with(&self, rel: CStr, flags: Open) -> Result<OwnedFd, Errno> {
        if self.confined {
            sys::openat2(self.dir.as_fd(), rel, flags, CONFINED)
        } else {
            sys::openat(self.dir.as_fd(), rel, flags)
        }
    }
}

/// The root's own name relative to itself.
pub const DOT: CStr<'static> = match CStr::new(b".\0") {
    Some(c) => c,
    None => panic!(),
};
