//! Reading a directory for its listing: `getdents64` into a fixed buffer,
//! one `fstatat` per entry for its type, size and time, names copied into a
//! caller-owned arena. Rendering is `fs::page`'s job.

use crate::fs::page::Entry;
use crate::fs::root::{NAME_MAX_BYTES, Root};
use crate::rt::sys::{self, At, BorrowedFd, CStr, Errno};

/// The most entries one listing shows. A directory with more is listed up
/// to this many and the page says so; 4096 keeps the page under a few MiB
/// and the per-request work bounded.
pub const MAX_LISTING_ENTRIES: usize = 4096;

/// Bytes for the names of one listing: 4096 names of NAME_MAX bytes fit
/// with their NULs.
pub const NAME_ARENA_BYTES: usize = MAX_LISTING_ENTRIES * (NAME_MAX_BYTES + 1);

/// Bytes handed to one `getdents64` call; 32 KiB holds hundreds of records.
const DIRENT_BUF_BYTES: usize = 32 * 1024;

/// `d_type` of a symbolic link (include/linux/fs_types.h: DT_LNK).
const DT_LNK: u8 = 10;

/// Byte offsets inside `struct linux_dirent64` (getdents64(2)).
const DIRENT_RECLEN: usize = 16;
const DIRENT_TYPE: usize = 18;
const DIRENT_NAME: usize = 19;

/// What the caller wants left out.
#[derive(Clone, Copy)]
pub struct Filter {
    /// Leave out names starting with `.`.
    pub hide_dotfiles: bool,
}

/// Reads the directory open as `dir` (whose path relative to the root is
/// `rel`, empty for the root) into `entries`, storing names in `arena`.
/// Returns how many entries were read and whether some were left out for
/// lack of room.
pub fn read<'a>(
    root: &Root,
    dir: BorrowedFd,
    rel: &[u8],
    filter: Filter,
    mut arena: &'a mut [u8],
    entries: &mut [Entry<'a>],
) -> Result<(usize, bool), Errno> {
    let mut dirents = [0u8; DIRENT_BUF_BYTES];
    let mut count = 0;
    loop {
        let filled = sys::getdents64(dir, &mut dirents)?;
        if filled == 0 {
            return Ok((count, false));
        }
        let mut records = dirents.get(..filled).unwrap_or_default();
        while let Some(reclen) = records.get(DIRENT_RECLEN..DIRENT_RECLEN + 2) {
            let reclen = reclen.iter().rev().fold(0, |n, &b| n << 8 | usize::from(b));
            // A record is at least its header; never past the buffer.
            let cut = reclen.max(DIRENT_NAME).min(records.len());
            let (record, rest) = records.split_at_checked(cut).unwrap_or((records, b""));
            records = rest;
            let d_type = record.get(DIRENT_TYPE).copied().unwrap_or(0);
            let name_nul = record.get(DIRENT_NAME..).unwrap_or_default();
            let name_len = name_nul
                .iter()
                .position(|&b| b == 0)
                .unwrap_or(name_nul.len());
            let name = name_nul.get(..name_len).unwrap_or_default();
            if name.is_empty() || name == b"." || name == b".." {
                continue;
            }
            if filter.hide_dotfiles && name.first() == Some(&b'.') {
                continue;
            }
            let taken = core::mem::take(&mut arena).split_at_mut_checked(name.len() + 1);
            let (Some(free), Some((slot, rest))) = (entries.get_mut(count), taken) else {
                return Ok((count, true));
            };
            arena = rest;
            for (dst, &src) in slot.iter_mut().zip(name.iter().chain(&[0])) {
                *dst = src;
            }
            let Some(cname) = CStr::new(slot) else {
                continue;
            };
            let Ok(st) = sys::fstatat(dir, cname, At::SYMLINK_NOFOLLOW) else {
                continue; // removed since getdents64: not listed
            };
            let mut entry = Entry {
                name: slot.get(..name.len()).unwrap_or_default(),
                is_dir: st.is_dir(),
                is_symlink: st.is_symlink() || d_type == DT_LNK,
                linked: !st.is_dir() && st.nlink > 1,
                size: st.len(),
                mtime: st.mtime,
                sort_key: 0,
            };
            if entry.is_symlink {
                follow(root, rel, entry.name, &mut entry);
            }
            *free = entry;
            count += 1;
        }
    }
}

/// Fills in what a symlink points to, but only when its target is inside
/// the root: a link to /etc/shadow must not reveal its size or time.
fn follow(root: &Root, rel: &[u8], name: &[u8], entry: &mut Entry) {
    let mut mem = [0u8; crate::fs::path::MAX_PATH_BYTES + 256];
    let mut path = crate::buf::Buf::new(&mut mem);
    if !rel.is_empty() {
        path.push(rel).byte(b'/');
    }
    path.push(name).byte(0);
    let target = CStr::new(path.as_bytes()).filter(|_| root.confined() && !path.overflowed());
    let Some(stat) = target
        .and_then(|t| root.open_path(t).ok())
        .and_then(|fd| sys::fstat(fd.as_fd()).ok())
    else {
        // Outside the root, dangling, or no openat2 to tell: show the link
        // itself.
        entry.size = 0;
        return;
    };
    entry.is_dir = stat.is_dir();
    entry.size = stat.len();
    entry.mtime = stat.mtime;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStrExt;

    #[test]
    fn reads_a_real_directory() {
        let dir = std::env::temp_dir().join(format!("httpd-listing-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("a.txt"), b"12345").unwrap();
        std::fs::write(dir.join(".hidden"), b"").unwrap();
        std::os::unix::fs::symlink("a.txt", dir.join("link")).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", dir.join("out")).unwrap();
        let mut path = dir.as_os_str().as_bytes().to_vec();
        path.push(0);
        let root = Root::open(CStr::new(&path).unwrap()).unwrap();
        let mut arena = vec![0u8; 4096];
        let mut entries = [Entry::EMPTY; 8];
        let filter = Filter {
            hide_dotfiles: true,
        };
        let (n, truncated) =
            read(&root, root.dir(), b"", filter, &mut arena, &mut entries).unwrap();
        assert!(!truncated);
        let mut got: Vec<_> = entries[..n]
            .iter()
            .map(|e| (e.name.to_vec(), e.is_dir, e.is_symlink, e.size))
            .collect();
        got.sort();
        assert_eq!(
            got,
            vec![
                (b"a.txt".to_vec(), false, false, 5),
                (b"link".to_vec(), false, true, 5),
                (b"out".to_vec(), false, true, 0),
                (b"sub".to_vec(), true, false, got[3].3),
            ]
        );
        let mut small = [entries[0]; 2];
        let mut arena = vec![0u8; 4096];
        let again = root.open_file(crate::fs::root::DOT).unwrap();
        let (n, truncated) =
            read(&root, again.as_fd(), b"", filter, &mut arena, &mut small).unwrap();
        assert_eq!((n, truncated), (2, true));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
