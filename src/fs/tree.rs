//! The first pass of a folder download: walking the tree beneath one
//! directory of the root and writing a manifest of its members, one
//! record each, into a memfd, while adding up the archive's exact length
//! and a hash of the records for a strong ETag. The second pass reads the
//! manifest back with `read_record` and opens each member by
//! `source_path`, sending headers from `fs::tar` and bodies with
//! `sendfile`.
//!
//! The walk is breadth-first and iterative: the manifest is its own queue.
//! A directory's record is written when its parent is read, and the
//! directory itself is read when the walk reaches its record, so parents
//! always precede their children, which is all tar needs ("ustar
//! Interchange Format" requires nothing more of the order). Every limit is
//! checked as the walk goes; past one the walk fails as a whole rather than
//! describing part of the tree.

use crate::buf::Buf;
use crate::fs::listing::{self, Filter, MAX_LISTING_ENTRIES};
use crate::fs::page::{self, Entry};
use crate::fs::path::MAX_PATH_BYTES;
use crate::fs::root::{NAME_MAX_BYTES, Root};
use crate::fs::tar::{self, MAX_HEADER_BYTES, MAX_TAR_PATH_BYTES, Member, TRAILER_BYTES};
use crate::rt::sys::{self, At, BorrowedFd, CStr, Errno, OwnedFd, Stat};

/// Members per archive: bounds the walk's time (two `fstatat`s per entry)
/// and, with `MAX_MANIFEST_BYTES`, the memory its manifest holds.
pub const MAX_TAR_ENTRIES: usize = 65_536;

/// Directory levels beneath the top directory: deeper trees are more often
/// a mistake (or a loop of bind mounts) than something to download whole.
pub const MAX_TAR_DEPTH: usize = 32;

/// Bytes of one manifest: 16 MiB is 65,536 records with paths of about
/// 230 bytes, and bounds the memfd a download holds while it is sent.
pub const MAX_MANIFEST_BYTES: u64 = 16 * 1024 * 1024;

/// Bytes of a record before its path: path length (u16), kind (u8), mode
/// (u32), mtime (i64), size (u64), little-endian.
const RECORD_HEAD_BYTES: usize = 2 + 1 + 4 + 8 + 8;

/// The longest record; a buffer this size holds any record for
/// `read_record`.
pub const MAX_RECORD_BYTES: usize = RECORD_HEAD_BYTES + MAX_TAR_PATH_BYTES;

/// Bytes of path `read_record` reads with a record's head: most member
/// paths fit, so one small pread per record.
const SHORT_PATH_BYTES: usize = 256;

/// The kind byte of a record.
const KIND_FILE: u8 = 0;
const KIND_DIR: u8 = 1;

/// FNV-1a, 64 bits (Fowler, Noll, Vo; draft-eastlake-fnv): offset basis
/// and prime.
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// The walk's bounds; the public constants, or smaller ones in tests.
struct Limits {
    entries: usize,
    depth: usize,
    manifest_bytes: u64,
}

const LIMITS: Limits = Limits {
    entries: MAX_TAR_ENTRIES,
    depth: MAX_TAR_DEPTH,
    manifest_bytes: MAX_MANIFEST_BYTES,
};

/// A walked tree: its records in a memfd, and what the response needs.
#[derive(Debug)]
pub struct Manifest {
    /// A memfd of `records_len` bytes of records, read with `read_record`
    /// from offset 0.
    pub fd: OwnedFd,
    pub records_len: u64,
    /// Members (records), the top directory included.
    pub count: u32,
    /// The archive's exact length: every header, body and padding, and the
    /// trailer.
    pub archive_len: u64,
    /// FNV-1a over the records: the same tree (names, kinds, modes, times,
    /// sizes) gives the same hash.
    pub hash: u64,
}

/// Why a walk failed.
#[derive(Debug, PartialEq, Eq)]
pub enum WalkError {
    /// A syscall failed (memfd, opening or reading a directory).
    Errno(Errno),
    /// A limit was passed: `MAX_TAR_ENTRIES`, `MAX_TAR_DEPTH`,
    /// `MAX_MANIFEST_BYTES`, a path over `MAX_TAR_PATH_BYTES`, or a
    /// directory over `MAX_LISTING_ENTRIES` or the names arena. The
    /// download is refused rather than sent in part.
    TooLarge,
}

impl From<Errno> for WalkError {
    fn from(e: Errno) -> Self {
        WalkError::Errno(e)
    }
}

/// Walks the directory `rel` (relative to the root, empty for the root
/// itself; already open as `dir`, which gives the top's own record, then
/// is reopened by path like every directory) and writes one record per member into a
/// fresh memfd: first the directory itself, named `top` (one path segment,
/// not `.` or `..`), then its contents breadth-first, each directory's
/// entries in `fs::page::sort` order (directories first, then by name),
/// named `top/...`. Regular files and directories only: a symlink is kept
/// as the file it points to when that is a regular file inside the root
/// (opened with `Root::open_path`, so openat2's `RESOLVE_BENEATH` decides),
/// and skipped when it leads outside, dangles, or leads to a directory (no
/// cycles) or anything else; FIFOs, sockets and devices are skipped; names
/// starting with `.` too when `hide_dotfiles`. `scratch_names` is the
/// arena `fs::listing::read` keeps one directory's names in.
pub fn walk(
    root: &Root,
    dir: OwnedFd,
    rel: &[u8],
    top: &[u8],
    hide_dotfiles: bool,
    scratch_names: &mut [u8],
) -> Result<Manifest, WalkError> {
    walk_within(root, dir, rel, top, hide_dotfiles, scratch_names, &LIMITS)
}

fn walk_within(
    root: &Root,
    dir: OwnedFd,
    rel: &[u8],
    top: &[u8],
    hide_dotfiles: bool,
    scratch_names: &mut [u8],
    limits: &Limits,
) -> Result<Manifest, WalkError> {
    if matches!(top, b"" | b"." | b"..") || top.contains(&b'/') {
        return Err(WalkError::Errno(Errno::EINVAL));
    }
    let name = CStr::new(b"tar-manifest\0").ok_or(Errno::EINVAL)?;
    let mut out = Writer {
        fd: sys::memfd_create(name)?,
        written: 0,
        count: 0,
        archive_len: TRAILER_BYTES,
        hash: FNV_OFFSET,
        limits,
    };
    out.add(top, &sys::fstat(dir.as_fd())?)?;
    drop(dir);
    let filter = Filter { hide_dotfiles };
    let mut next = 0u64;
    let mut record = [0u8; MAX_RECORD_BYTES];
    while let Some((parent, after)) = read_record(out.fd.as_fd(), next, &mut record) {
        next = after;
        if !parent.dir {
            continue;
        }
        // This directory's path relative to the root, for opening it and
        // for `listing::read` to resolve its symlinks; `.` is the root.
        let mut src_mem = [0u8; MAX_PATH_BYTES + 1];
        let src_len =
            source_path(rel, top, parent.path, &mut src_mem).ok_or(WalkError::TooLarge)?;
        let src = src_mem.get(..src_len).unwrap_or_default();
        let dir = root.open_file(CStr::new(src).ok_or(Errno::EINVAL)?)?;
        // Without the NUL, and empty for the root.
        let dir_rel = match src.split_last() {
            Some((_, b".")) | None => &b""[..],
            Some((_, path)) => path,
        };
        let mut entries = [Entry::EMPTY; MAX_LISTING_ENTRIES];
        let read = listing::read(
            root,
            dir.as_fd(),
            dir_rel,
            filter,
            scratch_names,
            &mut entries,
        );
        let (count, truncated) = read?;
        if truncated {
            return Err(WalkError::TooLarge);
        }
        let entries = entries.get_mut(..count).unwrap_or_default();
        page::sort(entries);
        for entry in entries.iter() {
            let mut path_mem = [0u8; MAX_TAR_PATH_BYTES];
            let mut path = Buf::new(&mut path_mem);
            path.push(parent.path).byte(b'/').push(entry.name);
            let depth = path.as_bytes().iter().filter(|&&b| b == b'/').count();
            if path.overflowed() || depth > limits.depth {
                return Err(WalkError::TooLarge);
            }
            let path = path.as_bytes();
            // The entry's own path relative to the root, NUL-terminated,
            // as `source_path` gives it; its name is the tail.
            let mut src_mem = [0u8; MAX_PATH_BYTES + NAME_MAX_BYTES + 2];
            let mut src = Buf::new(&mut src_mem);
            if !dir_rel.is_empty() {
                src.push(dir_rel).byte(b'/');
            }
            let name_at = src.len();
            let src = src.push(entry.name).byte(0).as_bytes();
            let st = if entry.is_symlink {
                if src.len() > MAX_PATH_BYTES + 1 {
                    return Err(WalkError::TooLarge);
                }
                follow(root, src)
            } else {
                let name = src.get(name_at..).and_then(CStr::new);
                name.and_then(|name| sys::fstatat(dir.as_fd(), name, At::SYMLINK_NOFOLLOW).ok())
            };
            if let Some(st) = st.filter(|st| st.is_dir() || st.is_file()) {
                out.add(path, &st)?;
            }
        }
    }
    Ok(Manifest {
        records_len: out.written,
        count: out.count,
        archive_len: out.archive_len,
        hash: out.hash,
        fd: out.fd,
    })
}

/// What the symlink at `src` (relative to the root, NUL-terminated)
/// points to, when the kernel resolves it beneath the root (openat2
/// `RESOLVE_BENEATH`; without openat2 the root follows no symlink at all)
/// and it is a regular file. `O_PATH`: nothing is opened for reading, so
/// a link to a device or FIFO has no effect.
fn follow(root: &Root, src: &[u8]) -> Option<Stat> {
    // None when outside the root, dangling, a loop.
    let fd = root.open_path(CStr::new(src)?).ok()?;
    sys::fstat(fd.as_fd()).ok().filter(Stat::is_file)
}

/// Appends records to the manifest, keeping count, length and hash. One
/// `write` a record: the walk's two `fstatat`s an entry cost more.
struct Writer<'l> {
    fd: OwnedFd,
    /// Bytes already written to `fd`.
    written: u64,
    count: u32,
    archive_len: u64,
    hash: u64,
    limits: &'l Limits,
}

impl Writer<'_> {
    /// Adds the record of the member `path`, described by `st`, or fails
    /// on a limit.
    fn add(&mut self, path: &[u8], st: &Stat) -> Result<(), WalkError> {
        let dir = st.is_dir();
        let m = Member {
            path,
            dir,
            mode: st.mode & 0o7777,
            mtime: st.mtime,
            size: if dir { 0 } else { st.len() },
        };
        let mut header = [0u8; MAX_HEADER_BYTES];
        let header_len = tar::header(&m, &mut header) as u64;
        let mut mem = [0u8; MAX_RECORD_BYTES];
        let mut rec = Buf::new(&mut mem);
        rec.push(&(path.len() as u16).to_le_bytes())
            .byte(if dir { KIND_DIR } else { KIND_FILE })
            .push(&m.mode.to_le_bytes())
            .push(&m.mtime.to_le_bytes())
            .push(&m.size.to_le_bytes())
            .push(path);
        self.written += rec.len() as u64;
        // A header is at most `MAX_HEADER_BYTES` and a body below 2^63
        // (`st_size` is signed): only the running total can overflow.
        let archive_len = self
            .archive_len
            .checked_add(header_len + m.size + tar::padding(m.size));
        // `rec` holds `MAX_TAR_PATH_BYTES` of path: past it, overflowed.
        let (Some(archive_len), false, true, true, false) = (
            archive_len,
            rec.overflowed(),
            (self.count as usize) < self.limits.entries,
            self.written <= self.limits.manifest_bytes,
            header_len == 0,
        ) else {
            return Err(WalkError::TooLarge);
        };
        let rec = rec.as_bytes();
        if sys::write(self.fd.as_fd(), rec)? != rec.len() {
            return Err(WalkError::Errno(Errno::EIO));
        }
        for &b in rec {
            self.hash = (self.hash ^ u64::from(b)).wrapping_mul(FNV_PRIME);
        }
        self.count += 1;
        self.archive_len = archive_len;
        Ok(())
    }
}

/// Reads the record at `offset` of the manifest into `buf` (which
/// `MAX_RECORD_BYTES` always fits) and returns it with the offset of the
/// next one; None at the end, on a short read or a malformed record.
/// `Member.path` borrows from `buf`.
pub fn read_record<'a>(
    manifest: BorrowedFd,
    offset: u64,
    buf: &'a mut [u8],
) -> Option<(Member<'a>, u64)> {
    // Most paths are short: read a head and 256 bytes of path, and the
    // rest of a longer one only when its length says so (a whole 4 KiB
    // read per record was most of a small-file archive's cost).
    let want = buf.len().min(MAX_RECORD_BYTES);
    let first = want.min(RECORD_HEAD_BYTES + SHORT_PATH_BYTES);
    let mut n = sys::pread(manifest, buf.get_mut(..first)?, offset).ok()?;
    let path_len = buf
        .first_chunk::<2>()
        .map_or(0, |b| usize::from(u16::from_le_bytes(*b)));
    if n == first && RECORD_HEAD_BYTES + path_len > n {
        let rest = buf.get_mut(n..want)?;
        n += sys::pread(manifest, rest, offset + first as u64).ok()?;
    }
    let got: &'a [u8] = buf.get(..n)?;
    let (&path_len, rest) = got.split_first_chunk::<2>()?;
    let (&[kind], rest) = rest.split_first_chunk::<1>()?;
    let (&mode, rest) = rest.split_first_chunk::<4>()?;
    let (&mtime, rest) = rest.split_first_chunk::<8>()?;
    let (&size, rest) = rest.split_first_chunk::<8>()?;
    let path_len = usize::from(u16::from_le_bytes(path_len));
    let path = rest.get(..path_len)?;
    let dir = match kind {
        KIND_DIR => true,
        KIND_FILE => false,
        _ => return None,
    };
    let member = Member {
        path,
        dir,
        mode: u32::from_le_bytes(mode),
        mtime: i64::from_le_bytes(mtime),
        size: u64::from_le_bytes(size),
    };
    let next = offset.checked_add((RECORD_HEAD_BYTES + path_len) as u64)?;
    Some((member, next))
}

/// The path of `member` relative to the root, NUL-terminated, for
/// `Root::open_file`: `rel` followed by the member name without its
/// `top` (`.` for the top directory when `rel` is empty, the root).
/// Returns the bytes written, NUL included; None when `member` is not
/// `top` or beneath it, or the path does not fit `out`.
pub fn source_path(rel: &[u8], top: &[u8], member: &[u8], out: &mut [u8]) -> Option<usize> {
    let rest = member.strip_prefix(top)?;
    let mut path = Buf::new(out);
    match (rel.is_empty(), rest.split_first()) {
        (_, Some((&b, _))) if b != b'/' => return None,
        (true, None) => path.push(b"."),
        (true, Some((_, below))) => path.push(below),
        (false, _) => path.push(rel).push(rest),
    };
    path.byte(0);
    (!path.overflowed()).then_some(path.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::listing::NAME_ARENA_BYTES;
    use crate::fs::tar::{header, padding};
    use std::ffi::CString;
    use std::os::fd::AsRawFd;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::{PermissionsExt, symlink};
    use std::path::{Path, PathBuf};

    /// A fresh temporary directory, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(tag: &str) -> TempDir {
            let dir = std::env::temp_dir().join(format!("httpd-tree-{tag}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn cstring(p: &Path) -> CString {
        CString::new(p.as_os_str().as_bytes()).unwrap()
    }

    fn open_root(p: &Path) -> Root {
        let c = cstring(p);
        Root::open(CStr::new(c.as_bytes_with_nul()).unwrap()).unwrap()
    }

    /// The walk of `rel` (empty: the root) named `top`, with `limits`.
    fn walk_limited(
        root: &Root,
        rel: &str,
        top: &str,
        hide: bool,
        limits: &Limits,
    ) -> Result<Manifest, WalkError> {
        let dir = if rel.is_empty() {
            root.open_file(crate::fs::root::DOT).unwrap()
        } else {
            let c = CString::new(rel).unwrap();
            root.open_file(CStr::new(c.as_bytes_with_nul()).unwrap())
                .unwrap()
        };
        let mut names = vec![0u8; NAME_ARENA_BYTES];
        walk_within(
            root,
            dir,
            rel.as_bytes(),
            top.as_bytes(),
            hide,
            &mut names,
            limits,
        )
    }

    fn walk_dir(root: &Root, rel: &str, top: &str, hide: bool) -> Result<Manifest, WalkError> {
        walk_limited(root, rel, top, hide, &LIMITS)
    }

    /// (path, dir, mode, mtime, size) of every record, in order.
    type Row = (String, bool, u32, i64, u64);

    fn records(m: &Manifest) -> Vec<Row> {
        let mut rows = Vec::new();
        let mut buf = vec![0u8; MAX_RECORD_BYTES];
        let mut offset = 0;
        while let Some((r, next)) = read_record(m.fd.as_fd(), offset, &mut buf) {
            let path = String::from_utf8(r.path.to_vec()).unwrap();
            rows.push((path, r.dir, r.mode, r.mtime, r.size));
            offset = next;
        }
        assert_eq!(offset, m.records_len);
        assert_eq!(rows.len(), m.count as usize);
        rows
    }

    /// The archive the second pass would send: headers from `fs::tar`,
    /// bodies read with std by `source_path`.
    fn assemble(m: &Manifest, root: &Path, rel: &str, top: &str) -> Vec<u8> {
        let mut archive = Vec::new();
        let mut buf = vec![0u8; MAX_RECORD_BYTES];
        let mut offset = 0;
        while let Some((r, next)) = read_record(m.fd.as_fd(), offset, &mut buf) {
            let mut mem = [0u8; MAX_HEADER_BYTES];
            let n = header(&r, &mut mem);
            assert!(n > 0);
            archive.extend_from_slice(&mem[..n]);
            if !r.dir {
                let mut src = vec![0u8; MAX_PATH_BYTES + 1];
                let len = source_path(rel.as_bytes(), top.as_bytes(), r.path, &mut src).unwrap();
                let src = std::str::from_utf8(&src[..len - 1]).unwrap();
                let body = std::fs::read(root.join(src)).unwrap();
                assert_eq!(body.len() as u64, r.size);
                archive.extend_from_slice(&body);
                archive.resize(archive.len() + padding(r.size) as usize, 0);
            }
            offset = next;
        }
        archive.resize(archive.len() + TRAILER_BYTES as usize, 0);
        assert_eq!(archive.len() as u64, m.archive_len);
        archive
    }

    /// www/ (the root) with docs/ to walk, and things outside it.
    fn fixture(base: &Path) -> PathBuf {
        let www = base.join("www");
        let docs = www.join("docs");
        std::fs::create_dir_all(docs.join("sub/deeper")).unwrap();
        std::fs::create_dir_all(docs.join("emptydir")).unwrap();
        std::fs::create_dir_all(docs.join(".hiddendir")).unwrap();
        std::fs::write(docs.join(".hiddendir/in-hidden"), b"x").unwrap();
        std::fs::write(docs.join("a.txt"), b"hello").unwrap();
        std::fs::write(docs.join(".hidden"), b"h").unwrap();
        std::fs::write(docs.join("sub/b.bin"), vec![7u8; 1000]).unwrap();
        std::fs::write(docs.join("sub/deeper/c"), b"").unwrap();
        std::fs::write(docs.join("x.txt"), vec![b'x'; 513]).unwrap();
        std::fs::set_permissions(docs.join("x.txt"), PermissionsExt::from_mode(0o600)).unwrap();
        std::fs::write(docs.join("caf\u{e9}.txt"), b"utf-8").unwrap();
        std::fs::write(www.join("other.txt"), b"other file").unwrap();
        std::fs::write(base.join("outside.txt"), b"secret").unwrap();
        symlink("sub/b.bin", docs.join("link-in")).unwrap();
        symlink("../other.txt", docs.join("link-up")).unwrap();
        symlink("../../outside.txt", docs.join("link-out")).unwrap();
        symlink(base.join("outside.txt"), docs.join("link-abs")).unwrap();
        symlink("sub", docs.join("link-dir")).unwrap();
        symlink("..", docs.join("link-parent")).unwrap();
        symlink("nowhere", docs.join("link-dangling")).unwrap();
        let fifo = std::process::Command::new("mkfifo")
            .arg(docs.join("fifo"))
            .status()
            .unwrap();
        assert!(fifo.success());
        // A socket is skipped too; the listener may close at once.
        std::os::unix::net::UnixListener::bind(docs.join("socket")).unwrap();
        www
    }

    #[test]
    fn walks_breadth_first_with_the_right_members() {
        let tmp = TempDir::new("walk");
        let www = fixture(&tmp.0);
        let root = open_root(&www);
        let m = walk_dir(&root, "docs", "docs", true).unwrap();
        let rows = records(&m);
        let names: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
        assert_eq!(
            names,
            [
                "docs",
                "docs/emptydir",
                "docs/sub",
                "docs/a.txt",
                "docs/caf\u{e9}.txt",
                "docs/link-in",
                "docs/link-up",
                "docs/x.txt",
                "docs/sub/deeper",
                "docs/sub/b.bin",
                "docs/sub/deeper/c",
            ]
        );
        for (path, dir, mode, mtime, size) in &rows {
            let on_disk = www.join(path);
            let meta = std::fs::metadata(&on_disk).unwrap();
            assert_eq!(*dir, meta.is_dir(), "{path}");
            assert_eq!(*mode, meta.permissions().mode() & 0o7777, "{path}");
            assert_eq!(
                *mtime,
                std::os::unix::fs::MetadataExt::mtime(&meta),
                "{path}"
            );
            assert_eq!(*size, if *dir { 0 } else { meta.len() }, "{path}");
            // Parents first.
            if let Some((parent, _)) = path.rsplit_once('/') {
                let at = names.iter().position(|n| n == path).unwrap();
                assert!(names[..at].contains(&parent), "{path}");
            }
        }
        let size_of = |name: &str| rows.iter().find(|r| r.0 == name).unwrap().4;
        assert_eq!(size_of("docs/link-in"), 1000);
        assert_eq!(size_of("docs/link-up"), 10);
        assert_eq!(size_of("docs/x.txt"), 513);
        assert_eq!(rows.iter().find(|r| r.0 == "docs/x.txt").unwrap().2, 0o600);

        // Dotfiles shown on request.
        let shown = records(&walk_dir(&root, "docs", "docs", false).unwrap());
        let shown: Vec<&str> = shown.iter().map(|r| r.0.as_str()).collect();
        for hidden in [
            "docs/.hidden",
            "docs/.hiddendir",
            "docs/.hiddendir/in-hidden",
        ] {
            assert!(shown.contains(&hidden), "{hidden}");
        }
        assert_eq!(shown.len(), names.len() + 3);

        // The archive's length is the sum of its parts.
        let sum: u64 = {
            let mut buf = vec![0u8; MAX_RECORD_BYTES];
            let (mut offset, mut sum) = (0, TRAILER_BYTES);
            while let Some((r, next)) = read_record(m.fd.as_fd(), offset, &mut buf) {
                let n = header(&r, &mut [0u8; MAX_HEADER_BYTES]) as u64;
                sum += n + r.size + padding(r.size);
                offset = next;
            }
            sum
        };
        assert_eq!(m.archive_len, sum);
        assembly_matches(&m, &www, "docs", "docs", &tmp.0.join("x1"));
    }

    #[test]
    fn the_root_itself_and_a_nested_directory() {
        let tmp = TempDir::new("root");
        let www = fixture(&tmp.0);
        let root = open_root(&www);
        let m = walk_dir(&root, "", "www", true).unwrap();
        let rows = records(&m);
        assert_eq!(rows[0].0, "www");
        assert!(rows[0].1);
        assert!(rows.iter().any(|r| r.0 == "www/docs/sub/deeper/c"));
        assert!(rows.iter().any(|r| r.0 == "www/other.txt"));
        assembly_matches(&m, &www, "", "www", &tmp.0.join("x2"));
        let m = walk_dir(&root, "docs/sub", "sub", true).unwrap();
        let names: Vec<String> = records(&m).into_iter().map(|r| r.0).collect();
        assert_eq!(names, ["sub", "sub/deeper", "sub/b.bin", "sub/deeper/c"]);
        assembly_matches(&m, &www, "docs/sub", "sub", &tmp.0.join("x3"));
        // `top` is one plain segment.
        for top in ["", ".", "..", "a/b"] {
            let err = walk_dir(&root, "docs", top, true).unwrap_err();
            assert_eq!(err, WalkError::Errno(Errno::EINVAL), "{top}");
        }
    }

    /// Assembles the archive and, where GNU tar is installed, extracts it
    /// and compares the result with the tree byte for byte.
    fn assembly_matches(m: &Manifest, www: &Path, rel: &str, top: &str, out: &Path) {
        let archive = assemble(m, www, rel, top);
        let Ok(version) = std::process::Command::new("tar").arg("--version").output() else {
            return;
        };
        assert!(version.status.success());
        std::fs::create_dir_all(out).unwrap();
        let file = out.join("a.tar");
        std::fs::write(&file, &archive).unwrap();
        let x = out.join("x");
        std::fs::create_dir_all(&x).unwrap();
        let status = std::process::Command::new("tar")
            .arg("-xf")
            .arg(&file)
            .arg("-C")
            .arg(&x)
            .output()
            .unwrap();
        assert!(
            status.status.success(),
            "{}",
            String::from_utf8_lossy(&status.stderr)
        );
        assert!(
            status.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&status.stderr)
        );
        // Every extracted file is the record's source, and nothing else
        // was extracted.
        let mut extracted = Vec::new();
        let mut stack = vec![x.join(top)];
        while let Some(p) = stack.pop() {
            let meta = std::fs::symlink_metadata(&p).unwrap();
            let name = p.strip_prefix(&x).unwrap().to_str().unwrap().to_string();
            if meta.is_dir() {
                for e in std::fs::read_dir(&p).unwrap() {
                    stack.push(e.unwrap().path());
                }
            } else {
                assert!(meta.is_file(), "{name}");
            }
            extracted.push((name, meta));
        }
        let rows = records(m);
        assert_eq!(extracted.len(), rows.len());
        for (name, meta) in &extracted {
            let row = rows.iter().find(|r| &r.0 == name).unwrap();
            assert_eq!(meta.is_dir(), row.1, "{name}");
            assert_eq!(meta.permissions().mode() & 0o777, row.2 & 0o777, "{name}");
            if !meta.is_dir() {
                assert_eq!(std::os::unix::fs::MetadataExt::mtime(meta), row.3, "{name}");
                let mut src = vec![0u8; MAX_PATH_BYTES + 1];
                let len =
                    source_path(rel.as_bytes(), top.as_bytes(), name.as_bytes(), &mut src).unwrap();
                let src = std::str::from_utf8(&src[..len - 1]).unwrap();
                assert_eq!(
                    std::fs::read(x.join(name)).unwrap(),
                    std::fs::read(www.join(src)).unwrap(),
                    "{name}"
                );
            }
        }
    }

    #[test]
    fn same_tree_same_hash() {
        let tmp = TempDir::new("hash");
        let www = fixture(&tmp.0);
        let root = open_root(&www);
        let hash = || walk_dir(&root, "docs", "docs", true).unwrap().hash;
        let first = hash();
        assert_eq!(hash(), first);
        std::fs::write(www.join("docs/sub/b.bin"), vec![7u8; 1001]).unwrap();
        let grown = hash();
        assert_ne!(grown, first);
        let f = std::fs::File::options()
            .write(true)
            .open(www.join("docs/a.txt"))
            .unwrap();
        f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(12345))
            .unwrap();
        let touched = hash();
        assert_ne!(touched, grown);
        std::fs::write(www.join("docs/new"), b"").unwrap();
        assert_ne!(hash(), touched);
        // A hidden file changes nothing when hidden.
        let before = hash();
        std::fs::write(www.join("docs/.more"), b"").unwrap();
        assert_eq!(hash(), before);
    }

    #[test]
    fn limits_refuse_the_whole_walk() {
        let tmp = TempDir::new("limits");
        let www = fixture(&tmp.0);
        let root = open_root(&www);
        let small = |entries, depth, manifest_bytes| Limits {
            entries,
            depth,
            manifest_bytes,
        };
        let ok = walk_limited(&root, "docs", "docs", true, &small(11, 3, 1 << 20)).unwrap();
        assert_eq!(ok.count, 11);
        let too_large = Err(WalkError::TooLarge);
        let limited = |l: &Limits| walk_limited(&root, "docs", "docs", true, l).map(|m| m.count);
        assert_eq!(limited(&small(10, 3, 1 << 20)), too_large);
        assert_eq!(limited(&small(11, 2, 1 << 20)), too_large);
        assert_eq!(limited(&small(11, 3, ok.records_len - 1)), too_large);
        assert_eq!(limited(&small(11, 3, ok.records_len)), Ok(11));

        // MAX_TAR_DEPTH levels are fine, one more is not.
        let mut deep = www.join("deep");
        for _ in 0..MAX_TAR_DEPTH {
            deep = deep.join("d");
        }
        std::fs::create_dir_all(&deep).unwrap();
        let m = walk_dir(&root, "deep", "deep", true).unwrap();
        assert_eq!(m.count as usize, MAX_TAR_DEPTH + 1);
        std::fs::create_dir(deep.join("d")).unwrap();
        assert_eq!(
            walk_dir(&root, "deep", "deep", true).unwrap_err(),
            WalkError::TooLarge
        );

        // A directory over the listing's limit.
        let wide = www.join("wide");
        std::fs::create_dir(&wide).unwrap();
        for i in 0..MAX_LISTING_ENTRIES {
            std::fs::write(wide.join(format!("{i}")), b"").unwrap();
        }
        let m = walk_dir(&root, "wide", "wide", true).unwrap();
        assert_eq!(m.count as usize, MAX_LISTING_ENTRIES + 1);
        std::fs::write(wide.join("one-more"), b"").unwrap();
        assert_eq!(
            walk_dir(&root, "wide", "wide", true).unwrap_err(),
            WalkError::TooLarge
        );
    }

    #[test]
    fn a_path_over_the_limit_is_too_large() {
        let tmp = TempDir::new("long");
        let www = tmp.0.join("www");
        std::fs::create_dir(&www).unwrap();
        // 21 levels of 200-byte names: over 4096 bytes, longer than a path
        // can be, so each level is made through /proc/self/fd of the last.
        let mut dir = www.join("long");
        std::fs::create_dir(&dir).unwrap();
        let mut held = Vec::new();
        for _ in 0..21 {
            let fd = std::fs::File::open(&dir).unwrap();
            dir = PathBuf::from(format!("/proc/self/fd/{}", fd.as_raw_fd())).join("n".repeat(200));
            std::fs::create_dir(&dir).unwrap();
            held.push(fd);
        }
        let root = open_root(&www);
        assert_eq!(
            walk_dir(&root, "long", "long", true).unwrap_err(),
            WalkError::TooLarge
        );
    }

    #[test]
    fn source_paths() {
        let cases: &[(&str, &str, &str, Option<&str>)] = &[
            ("", "www", "www", Some(".")),
            ("", "www", "www/a/b", Some("a/b")),
            ("docs", "docs", "docs", Some("docs")),
            ("docs", "docs", "docs/x", Some("docs/x")),
            ("a/docs", "docs", "docs/x/y", Some("a/docs/x/y")),
            ("docs", "docs", "docsx", None),
            ("docs", "docs", "other/x", None),
            ("docs", "docs", "doc", None),
        ];
        for &(rel, top, member, want) in cases {
            let mut out = [0u8; 64];
            let got = source_path(rel.as_bytes(), top.as_bytes(), member.as_bytes(), &mut out);
            let got = got.map(|n| {
                assert_eq!(out[n - 1], 0);
                std::str::from_utf8(&out[..n - 1]).unwrap().to_string()
            });
            assert_eq!(got.as_deref(), want, "{rel} {top} {member}");
        }
        let mut small = [0u8; 6];
        assert_eq!(source_path(b"docs", b"docs", b"docs/x", &mut small), None);
        let mut exact = [0u8; 7];
        assert_eq!(
            source_path(b"docs", b"docs", b"docs/x", &mut exact),
            Some(7)
        );
    }

    #[test]
    fn short_or_bad_records_end_the_manifest() {
        let tmp = TempDir::new("short");
        let www = fixture(&tmp.0);
        let root = open_root(&www);
        let m = walk_dir(&root, "docs", "docs", true).unwrap();
        let mut all = vec![0u8; m.records_len as usize];
        assert_eq!(sys::pread(m.fd.as_fd(), &mut all, 0), Ok(all.len()));
        // A manifest cut anywhere inside a record loses that record.
        let mut buf = vec![0u8; MAX_RECORD_BYTES];
        let (first, next) = read_record(m.fd.as_fd(), 0, &mut buf).unwrap();
        assert_eq!(first.path, b"docs");
        for cut in 0..next as usize {
            let fd = sys::memfd_create(CStr::new(b"t\0").unwrap()).unwrap();
            assert_eq!(sys::write(fd.as_fd(), &all[..cut]), Ok(cut));
            assert!(read_record(fd.as_fd(), 0, &mut buf).is_none(), "{cut}");
        }
        // A buffer too small for the record, an unknown kind, the end.
        assert!(read_record(m.fd.as_fd(), 0, &mut buf[..next as usize - 1]).is_none());
        let mut bad = all.clone();
        bad[2] = 9;
        let fd = sys::memfd_create(CStr::new(b"t\0").unwrap()).unwrap();
        assert_eq!(sys::write(fd.as_fd(), &bad), Ok(bad.len()));
        assert!(read_record(fd.as_fd(), 0, &mut buf).is_none());
        assert!(read_record(m.fd.as_fd(), m.records_len, &mut buf).is_none());
        assert!(read_record(m.fd.as_fd(), u64::MAX, &mut buf).is_none());
    }
}
