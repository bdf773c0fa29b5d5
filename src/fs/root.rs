//! The served root and the kernel half of path safety. Every file is
//! opened relative to a directory descriptor of the root with
//! `openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)` (openat2(2), Linux
//! 5.6+): the kernel refuses any path, `..` or symlink that would resolve
//! outside the root, so even a symlink planted inside the tree cannot lead
//! out of it. Where openat2 is missing (`ENOSYS`, as under gVisor) or
//! filtered by seccomp (`EPERM`, older container profiles), the server
//! falls back to walking the path one component at a time with
//! `openat(O_NOFOLLOW)`: no symlink is followed at all, so none can lead
//! out (links inside the tree then give 403 or 404 too); it says so at
//! start-up.

use crate::buf::Buf;
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

    /// Opens `rel` for reading like `open_file`, but only along a path
    /// with no symlink at all (`ELOOP` otherwise) and no mount point
    /// (`EXDEV`), as the file cache needs (`fs::cache`); `ENOSYS` without
    /// openat2.
    pub fn open_no_symlinks(&self, rel: CStr) -> Result<OwnedFd, Errno> {
        if !self.confined {
            return Err(Errno::ENOSYS);
        }
        let resolve = CONFINED.with(Resolve::NO_SYMLINKS).with(Resolve::NO_XDEV);
        sys::openat2(self.dir.as_fd(), rel, FILE_FLAGS, resolve)
    }

    fn open_with(&self, rel: CStr, flags: Open) -> Result<OwnedFd, Errno> {
        if self.confined {
            return sys::openat2(self.dir.as_fd(), rel, flags, CONFINED);
        }
        // `rel` is normalized: no `.` or `..` segments, no empty ones
        // (the root itself is `.`). Every step refuses a symlink.
        let path = rel.bytes();
        let split = path.iter().rposition(|&b| b == b'/');
        let (parents, last) = match split.and_then(|at| path.split_at_checked(at)) {
            Some((parents, last)) => (parents, last.get(1..).unwrap_or_default()),
            None => (&b""[..], path),
        };
        let mut parent: Option<OwnedFd> = None;
        let step = Open::PATH
            .with(Open::DIRECTORY)
            .with(Open::NOFOLLOW)
            .with(Open::CLOEXEC);
        for segment in parents.split(|&b| b == b'/').filter(|s| !s.is_empty()) {
            let at = parent.as_ref().map_or(self.dir.as_fd(), OwnedFd::as_fd);
            parent = Some(openat_segment(at, segment, step)?);
        }
        let at = parent.as_ref().map_or(self.dir.as_fd(), OwnedFd::as_fd);
        openat_segment(at, last, flags.with(Open::NOFOLLOW))
    }
}

/// The longest file name Linux allows (NAME_MAX, limits.h), in bytes.
pub const NAME_MAX_BYTES: usize = 255;

/// openat(2) of one path segment, NUL-terminated in a stack buffer.
fn openat_segment(at: BorrowedFd, segment: &[u8], flags: Open) -> Result<OwnedFd, Errno> {
    let mut mem = [0u8; NAME_MAX_BYTES + 1];
    sys::openat(at, c_path(&mut mem, segment)?, flags)
}

/// `path` NUL-terminated in `mem`, for a syscall: `ENAMETOOLONG` when it
/// does not fit, `EINVAL` when it holds a NUL.
pub fn c_path<'m>(mem: &'m mut [u8], path: &[u8]) -> Result<CStr<'m>, Errno> {
    let mut buf = Buf::new(mem);
    buf.push(path).byte(0);
    if buf.overflowed() {
        return Err(Errno::ENAMETOOLONG);
    }
    let len = buf.len();
    CStr::new(mem.get(..len).unwrap_or_default()).ok_or(Errno::EINVAL)
}

/// The root's own name relative to itself.
pub const DOT: CStr<'static> = match CStr::new(b".\0") {
    Some(c) => c,
    None => panic!(),
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::cstr;
    use std::os::unix::ffi::OsStrExt;

    /// The fallback walk (no openat2) follows no symlink, inside or out,
    /// and still opens ordinary nested paths.
    #[test]
    fn fallback_walk_follows_no_symlink() {
        let dir = std::env::temp_dir().join(format!("httpd-root-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("www/a/b")).unwrap();
        std::fs::write(dir.join("www/a/b/f.txt"), b"inside").unwrap();
        std::fs::write(dir.join("outside.txt"), b"outside").unwrap();
        std::os::unix::fs::symlink("../outside.txt", dir.join("www/out")).unwrap();
        std::os::unix::fs::symlink(&dir, dir.join("www/up")).unwrap();
        std::os::unix::fs::symlink("a/b/f.txt", dir.join("www/in")).unwrap();
        let mut path = dir.join("www").as_os_str().as_bytes().to_vec();
        path.push(0);
        let confined = Root::open(CStr::new(&path).unwrap()).unwrap();
        assert!(
            confined.confined(),
            "openat2 is expected on the test machine"
        );
        let fallback = Root {
            dir: sys::openat(BorrowedFd::CWD, CStr::new(&path).unwrap(), Open::DIRECTORY).unwrap(),
            confined: false,
        };
        for root in [&confined, &fallback] {
            let ok = cstr("a/b/f.txt");
            let fd = root.open_file(CStr::new(&ok).unwrap()).unwrap();
            assert_eq!(sys::fstat(fd.as_fd()).unwrap().len(), 6);
            assert!(root.open_file(DOT).is_ok());
            for escape in ["out", "up/outside.txt", "up/www/a/b/f.txt"] {
                let p = cstr(escape);
                assert!(
                    root.open_file(CStr::new(&p).unwrap()).is_err(),
                    "{escape} opened"
                );
            }
        }
        // A name of NAME_MAX + 1 bytes is too long in both modes.
        let long = cstr(&"n".repeat(NAME_MAX_BYTES + 1));
        for root in [&confined, &fallback] {
            assert_eq!(
                root.open_file(CStr::new(&long).unwrap()).unwrap_err(),
                Errno::ENAMETOOLONG
            );
        }
        // Inside links work when confined by the kernel, not in the fallback.
        let inside = cstr("in");
        assert!(confined.open_file(CStr::new(&inside).unwrap()).is_ok());
        assert!(fallback.open_file(CStr::new(&inside).unwrap()).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
