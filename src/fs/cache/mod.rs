//! The always-fresh open-file cache, one per worker. What opening a path
//! beneath the root found is kept: a small file's metadata and bytes, a
//! directory, or `ENOENT`/`ENOTDIR`. A hit then costs no syscall at all,
//! so answering a cached 1 KiB file takes the request's read(2) and one
//! send(2).
//!
//! Freshness comes from the kernel, not a timer. Before a path is cached,
//! every directory it crosses is watched with inotify(7), top-down from
//! the root, and so is a cached file itself (its content can change
//! through another hard link, whose directory is not watched). Only paths
//! with no symlink are cached (`RESOLVE_NO_SYMLINKS`), so those watches
//! cover every name the path's resolution read. Any change after a
//! directory's watch began is an event: a name created, deleted or moved
//! drops every cached path through it; a file's edit, truncation or chmod
//! drops the file. A race between watching and opening is covered by the
//! watch one level up, which sees the name change.
//!
//! The events are read (`drain`) before a lookup whenever a socket has
//! been read since the last drain: the kernel queues an event before the
//! syscall that made the change returns, so a request sent after an edit
//! finds the edit's event queued, and the lookup that answers it sees it.
//! A lost event (`IN_Q_OVERFLOW`) or a full watch table starts the cache
//! afresh. `--no-cache` turns it off for file systems whose changes
//! inotify does not see (NFS, many FUSE mounts, changes made on another
//! machine).
//!
//! inotify_add_watch(2) takes a path, not a directory descriptor: a
//! worker's working directory is its root (`sys::fchdir` at start-up),
//! and every path here is relative to it. The rules live in `table`.

pub mod table;
use table::{
    Applied, BODY_BYTES, ENTRIES, KEY_BYTES, LISTING_BYTES, LISTINGS, Memory, Table, WATCHES,
    events,
};
pub use table::{Entry, Hit, Kind, Listing, Watch};

use super::page;
use super::root::{DOT, NAME_MAX_BYTES, Root, c_path};
use crate::buf::Buf;
use crate::rt::sys::{self, At, BorrowedFd, CStr, Errno, Notify, OwnedFd, Stat};

/// What a directory watch reports: names created, deleted or moved in
/// it, writes to and attribute changes of its entries (a listing shows
/// their sizes and times), and its own deletion or move. A cached file's
/// own watch (`FILE_EVENTS`) sees writes through any of its names.
const DIR_EVENTS: Notify = Notify::ATTRIB
    .with(Notify::MODIFY)
    .with(Notify::MOVED_FROM)
    .with(Notify::MOVED_TO)
    .with(Notify::CREATE)
    .with(Notify::DELETE)
    .with(Notify::DELETE_SELF)
    .with(Notify::MOVE_SELF)
    .with(Notify::ONLYDIR)
    .with(Notify::DONT_FOLLOW);

/// What a cached file's own watch reports: writes (and truncation), the
/// end of a write through a mapping, a chmod or a new hard link, and its
/// deletion or move.
const FILE_EVENTS: Notify = Notify::MODIFY
    .with(Notify::CLOSE_WRITE)
    .with(Notify::ATTRIB)
    .with(Notify::DELETE_SELF)
    .with(Notify::MOVE_SELF)
    .with(Notify::DONT_FOLLOW);

/// Bytes read from the inotify descriptor at once: room for many events
/// and for the longest one (16 bytes and a 255-byte name, padded).
const EVENTS_BYTES: usize = 4096;

/// The most reads of one drain: a directory changing faster than they
/// are read is given up on, and the cache starts afresh.
const MAX_DRAIN_READS: u32 = 16;

/// The most subdirectories a kept listing may show: each is watched, as
/// the listing shows its time. Listings with more are rendered every
/// time.
const MAX_LISTING_SUBDIRS: usize = 64;

/// What a lookup found.
pub enum Found {
    /// The path opened (uncached, or too large to keep).
    Open(OwnedFd),
    /// A cached file: its bytes are `Files::body(hit)`.
    Cached(Hit),
    /// A cached directory that opens for reading: open it to list it.
    Dir,
}

/// A worker's cache: its table and its inotify descriptor.
pub struct Files {
    table: Option<Table<'static>>,
    /// None: the cache is off (`--no-cache`, no openat2, or inotify
    /// failed), and every lookup opens the path.
    notify: Option<OwnedFd>,
    /// A socket was read since the events were last drained.
    unsure: bool,
}

impl Files {
    /// No cache: every lookup opens its path.
    pub fn off() -> Files {
        Files {
            table: None,
            notify: None,
            unsure: true,
        }
    }

    /// A cache for `root`, which must be the working directory; mapped
    /// once. Off when the root cannot confine lookups (no openat2, so no
    /// `RESOLVE_NO_SYMLINKS`).
    pub fn new(root: &Root) -> Result<Files, Errno> {
        if !root.confined() {
            return Ok(Files::off());
        }
        let table = Table::new(Memory {
            entries: sys::mmap_array(ENTRIES, |_| Entry::FREE)?,
            keys: sys::mmap_anonymous(ENTRIES * KEY_BYTES)?,
            bodies: sys::mmap_anonymous(ENTRIES * BODY_BYTES)?,
            watches: sys::mmap_array(WATCHES, |_| Watch::FREE)?,
            watch_paths: sys::mmap_anonymous(WATCHES * KEY_BYTES)?,
            listings: sys::mmap_array(LISTINGS, |_| Listing::FREE)?,
            listing_keys: sys::mmap_anonymous(LISTINGS * KEY_BYTES)?,
            pages: sys::mmap_anonymous(LISTINGS * LISTING_BYTES)?,
        });
        let mut files = Files {
            table: Some(table),
            notify: None,
            unsure: true,
        };
        files.restart();
        if files.notify.is_none() {
            return Err(Errno::ENOSYS);
        }
        Ok(files)
    }

    /// True when lookups are cached.
    pub fn on(&self) -> bool {
        self.notify.is_some()
    }

    /// A socket was read: the next lookup reads the events first.
    pub fn note_read(&mut self) {
        self.unsure = true;
    }

    /// Reads the events now if a socket was read since they last were:
    /// the worker's loop does it once a turn, after reading its ready
    /// connections, so that their lookups need not.
    pub fn settle(&mut self) {
        if self.unsure && self.notify.is_some() {
            self.drain();
        }
    }

    /// Forgets everything: the mount table changed.
    pub fn forget(&mut self) {
        if self.notify.is_some() {
            self.restart();
        }
    }

    /// Forgets everything and watches the root anew, on a fresh inotify
    /// descriptor (closing the old one drops all its watches and queued
    /// events at once). The cache turns off if that fails.
    fn restart(&mut self) {
        self.notify = None;
        let Some(table) = self.table.as_mut() else {
            return;
        };
        table.clear();
        let Ok(notify) = sys::inotify_init1() else {
            return;
        };
        match sys::inotify_add_watch(notify.as_fd(), DOT, DIR_EVENTS) {
            Ok(wd) if table.remember(wd, b"") => self.notify = Some(notify),
            _ => {}
        }
    }

    /// Reads and applies every queued event.
    fn drain(&mut self) {
        self.unsure = false;
        let (Some(notify), Some(table)) = (self.notify.as_ref(), self.table.as_mut()) else {
            return;
        };
        let mut buf = [0u8; EVENTS_BYTES];
        // Start afresh when events were lost, the root moved, reading
        // failed, or the queue did not empty within `MAX_DRAIN_READS`.
        let (mut flush, mut emptied) = (false, false);
        for _ in 0..MAX_DRAIN_READS {
            match sys::read(notify.as_fd(), &mut buf) {
                Ok(n) if n > 0 => {
                    for (wd, mask, name) in events(buf.get(..n).unwrap_or_default()) {
                        flush |= table.apply(wd, mask, name) == Applied::Flush;
                    }
                }
                Err(Errno::EINTR) => {}
                Err(Errno::EAGAIN) => {
                    emptied = true;
                    break;
                }
                _ => break,
            }
        }
        if flush || !emptied {
            self.restart();
        }
    }

    /// Opens `path` (normalized, NUL-terminated, `.` for the root) beneath
    /// `root` and stats it, through the cache when it is on.
    pub fn open(&mut self, root: &Root, path: CStr) -> Result<(Found, Stat), Errno> {
        let key = path.bytes();
        let key = if key == b"." { &b""[..] } else { key };
        if self.notify.is_none() || key.len() > KEY_BYTES {
            return open_uncached(root, path);
        }
        if self.unsure {
            self.drain();
        }
        let Some(table) = self.table.as_mut() else {
            return open_uncached(root, path);
        };
        if table.worn_out() {
            // Full of watches, or of forgotten ones still in the kernel:
            // start afresh, which drops them all.
            self.restart();
            return self.fill(root, path, key);
        }
        if let Some((entry, hit)) = table.get(key) {
            return match entry.kind {
                Kind::File => Ok((Found::Cached(hit), entry.stat())),
                Kind::Dir => Ok((Found::Dir, entry.stat())),
                Kind::Missing(e) => Err(e),
                Kind::Free => open_uncached(root, path),
            };
        }
        self.fill(root, path, key)
    }

    /// A miss: watch the path's directories, open it with no symlink on
    /// the way, and keep what it is when it can be kept.
    fn fill(&mut self, root: &Root, path: CStr, key: &[u8]) -> Result<(Found, Stat), Errno> {
        let (Some(notify), Some(table)) = (self.notify.as_ref(), self.table.as_mut()) else {
            return open_uncached(root, path);
        };
        let reachable = match watch_dirs(notify, table, key, false) {
            Some(reachable) => reachable,
            None => return open_uncached(root, path),
        };
        let file = match root.open_no_symlinks(path) {
            Ok(file) => file,
            Err(e @ (Errno::ENOENT | Errno::ENOTDIR)) => {
                table.insert(key, Kind::Missing(e), &Stat::default(), b"");
                return Err(e);
            }
            // ELOOP: a symlink on the way, which the watches do not
            // follow: opened the ordinary way, every time.
            Err(_) => return open_uncached(root, path),
        };
        let stat = sys::fstat(file.as_fd())?;
        if !reachable {
            // Created since the failed watch: not cached this time.
            return Ok((Found::Open(file), stat));
        }
        if stat.is_dir() {
            table.insert(key, Kind::Dir, &stat, b"");
            return Ok((Found::Open(file), stat));
        }
        if !stat.is_file() || stat.len() > BODY_BYTES as u64 {
            return Ok((Found::Open(file), stat));
        }
        // Watched before it is read: an edit after the read is an event.
        match add_watch(notify, key, FILE_EVENTS) {
            Ok(wd) if table.remember(wd, key) => {}
            _ => return Ok((Found::Open(file), stat)),
        }
        let mut body = [0u8; BODY_BYTES];
        let len = stat.len() as usize;
        let into = body.get_mut(..len).unwrap_or_default();
        // Changed since the fstat (before its watch began, it may have
        // been written through another name): not cached now.
        let same = |now: &Stat| {
            (
                now.size,
                now.mtime,
                now.mtime_nsec,
                now.ctime,
                now.ctime_nsec,
            ) == (
                stat.size,
                stat.mtime,
                stat.mtime_nsec,
                stat.ctime,
                stat.ctime_nsec,
            )
        };
        if sys::pread(file.as_fd(), into, 0) != Ok(len)
            || !sys::fstat(file.as_fd()).is_ok_and(|now| same(&now))
        {
            return Ok((Found::Open(file), stat));
        }
        match table.insert(key, Kind::File, &stat, into) {
            Some(hit) => Ok((Found::Cached(hit), stat)),
            None => Ok((Found::Open(file), stat)),
        }
    }

    /// The bytes of a cached file, unless it was dropped since its hit
    /// (then open it again).
    pub fn body(&self, hit: Hit) -> Option<&[u8]> {
        self.table.as_ref()?.body(hit)
    }
}

impl Files {
    /// The kept listing of directory `rel` (normalized, `""` for the
    /// root): HTML, or JSON when `json`.
    pub fn listing(&mut self, rel: &[u8], json: bool) -> Option<&[u8]> {
        self.notify.as_ref()?;
        if self.unsure {
            self.drain();
        }
        self.table.as_mut()?.listing(rel, json)
    }

    /// Before directory `rel` is read for a listing: watches it and the
    /// directories above it, so that a change from now on is seen. False
    /// when its listing cannot be kept.
    pub fn watch_listing(&mut self, rel: &[u8]) -> bool {
        match (self.notify.as_ref(), self.table.as_mut()) {
            (Some(notify), Some(table)) => watch_dirs(notify, table, rel, true) == Some(true),
            _ => false,
        }
    }

    /// After: keeps `page`, the listing of `rel` read from `dir` as
    /// `entries`, once each subdirectory it shows is watched and still
    /// has the time shown. Not when an entry is a symlink, whose target
    /// may change anywhere, or a file with other names, which may be
    /// written through one in another directory.
    pub fn keep_listing(
        &mut self,
        dir: BorrowedFd,
        rel: &[u8],
        json: bool,
        page: &[u8],
        entries: &[page::Entry],
    ) {
        let (Some(notify), Some(table)) = (self.notify.as_ref(), self.table.as_mut()) else {
            return;
        };
        if entries.iter().any(|e| e.is_symlink || e.linked)
            || entries.iter().filter(|e| e.is_dir).count() > MAX_LISTING_SUBDIRS
        {
            return;
        }
        for entry in entries.iter().filter(|e| e.is_dir) {
            let mut mem = [0u8; KEY_BYTES + 1];
            let mut sub = Buf::new(&mut mem);
            sub.push(rel);
            if !rel.is_empty() {
                sub.byte(b'/');
            }
            sub.push(entry.name);
            if sub.overflowed() {
                return;
            }
            let sub = sub.as_bytes();
            if !table.watched(sub) {
                match add_watch(notify, sub, DIR_EVENTS) {
                    Ok(wd) if table.remember(wd, sub) => {}
                    _ => return,
                }
            }
            // Changed between its reading and its watch: not kept.
            let mut name_mem = [0u8; NAME_MAX_BYTES + 1];
            let Ok(name) = c_path(&mut name_mem, entry.name) else {
                return;
            };
            match sys::fstatat(dir, name, At::SYMLINK_NOFOLLOW) {
                Ok(st) if st.is_dir() && st.mtime == entry.mtime => {}
                _ => return,
            }
        }
        table.keep_listing(rel, json, page);
    }
}

/// Watches the directories on the way to `path` (and `path` itself when
/// `itself`), top-down, so that each watch is in place before the name
/// below it is looked up; the root's always is. Some(false) when one does
/// not exist (nothing there to watch: an open fails too, and the watch
/// above sees the name appear); None when one cannot be watched
/// (unreadable, mode 711; out of watches; one object with two paths):
/// then nothing beneath is cached.
fn watch_dirs(notify: &OwnedFd, table: &mut Table, path: &[u8], itself: bool) -> Option<bool> {
    let slashes = path.iter().enumerate().filter(|&(_, &b)| b == b'/');
    let ends = slashes
        .map(|(at, _)| at)
        .chain((itself && !path.is_empty()).then_some(path.len()));
    for end in ends {
        let dir = path.get(..end).unwrap_or_default();
        if table.watched(dir) {
            continue;
        }
        match add_watch(notify, dir, DIR_EVENTS) {
            Ok(wd) if table.remember(wd, dir) => {}
            Err(Errno::ENOENT | Errno::ENOTDIR) => return Some(false),
            _ => return None,
        }
    }
    Some(true)
}

/// Opens `path` beneath `root` the ordinary way, and stats it.
fn open_uncached(root: &Root, path: CStr) -> Result<(Found, Stat), Errno> {
    let file = root.open_file(path)?;
    let stat = sys::fstat(file.as_fd())?;
    Ok((Found::Open(file), stat))
}

/// inotify_add_watch(2) of `rel` (relative to the root, `""` for the
/// root itself), NUL-terminated in a stack buffer.
fn add_watch(notify: &OwnedFd, rel: &[u8], mask: Notify) -> Result<i32, Errno> {
    let mut mem = [0u8; KEY_BYTES + 2];
    let path = c_path(&mut mem, if rel.is_empty() { b"." } else { rel })?;
    sys::inotify_add_watch(notify.as_fd(), path, mask)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::cstr;
    use std::os::unix::ffi::OsStrExt;

    /// The real thing, on a temporary root: a cached 404 sees its file
    /// appear, a cached file sees its edit.
    #[test]
    fn lookups_see_changes() {
        let dir = std::env::temp_dir().join(format!("httpd-cache-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut path = dir.as_os_str().as_bytes().to_vec();
        path.push(0);
        let root = Root::open(CStr::new(&path).unwrap()).unwrap();
        std::env::set_current_dir(&dir).unwrap();
        let mut files = Files::new(&root).unwrap();
        let nope = cstr("nope");
        let nope = CStr::new(&nope).unwrap();
        assert_eq!(files.open(&root, nope).err(), Some(Errno::ENOENT));
        assert_eq!(files.open(&root, nope).err(), Some(Errno::ENOENT));
        std::fs::write(dir.join("nope"), b"now").unwrap();
        files.note_read();
        let (found, stat) = files.open(&root, nope).unwrap();
        assert_eq!(stat.len(), 3);
        let Found::Cached(hit) = found else {
            panic!("not cached")
        };
        assert_eq!(files.body(hit), Some(&b"now"[..]));
        std::fs::write(dir.join("nope"), b"later").unwrap();
        files.note_read();
        let (found, _) = files.open(&root, nope).unwrap();
        let Found::Cached(hit) = found else {
            panic!("not cached")
        };
        assert_eq!(files.body(hit), Some(&b"later"[..]));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
