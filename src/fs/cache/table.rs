//! The file cache's memory and rules, with no syscalls: a set-associative
//! table from a normalized path (relative to the root) to what opening it
//! found (a small file's metadata and bytes, a directory, or `ENOENT`),
//! the map from inotify watch descriptors to the directories and files
//! they watch, and what an inotify event (inotify(7)) invalidates. The
//! rule is one: an event about name `N` in watched directory `D` drops
//! every entry whose path is `D/N` or lies beneath it; an event about a
//! watched object itself drops everything beneath its path. Events that
//! change names also drop the watches beneath, since their paths may no
//! longer be true.

use crate::buf::Buf;
use crate::rt::sys::{Errno, Notify, Stat};

/// Entries per worker: the pages, scripts and styles of a site, its
/// missing paths and its precompressed siblings. A miss costs only the
/// opening the server did before the cache existed.
pub const ENTRIES: usize = 512;

/// Slots a path may occupy in its set: few enough to search at once,
/// enough that hot paths rarely evict each other.
pub const WAYS: usize = 4;

/// The sets, `ENTRIES / WAYS`.
const SETS: usize = ENTRIES / WAYS;

/// The longest path, in bytes relative to the root, that is cached (and
/// the longest watched directory): deeper paths are opened every time.
pub const KEY_BYTES: usize = 128;

/// The largest file whose bytes are kept: one that a connection's output
/// buffer holds behind its head (`serve::file::INLINE_BODY_BYTES`).
/// Larger files are sent with sendfile(2) from a fresh descriptor.
pub const BODY_BYTES: usize = 2048;

/// Watches per worker: the directories of cached paths and the cached
/// files themselves. When full, the cache starts afresh.
pub const WATCHES: usize = 1024;

/// Rendered listings per worker (HTML and JSON count apart).
pub const LISTINGS: usize = 8;

/// The largest listing page kept: about 1,500 entries. Larger ones are
/// rendered every time.
pub const LISTING_BYTES: usize = 256 * 1024;

/// A rendered listing of the directory whose path is its key.
#[derive(Clone, Copy, Debug)]
pub struct Listing {
    used: bool,
    json: bool,
    key_len: u16,
    page_len: u32,
    /// The table's clock at its last use.
    stamp: u32,
}

impl Listing {
    pub const FREE: Listing = Listing {
        used: false,
        json: false,
        key_len: 0,
        page_len: 0,
        stamp: 0,
    };
}

/// What a path was found to be when it was cached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// An unused slot.
    Free,
    /// A regular file of at most `BODY_BYTES`, its bytes kept.
    File,
    /// A directory that opens for reading.
    Dir,
    /// Opening it failed with this errno (`ENOENT`, `ENOTDIR`).
    Missing(Errno),
}

/// One cached path: its key's hash (the key is in `Table::keys`), what it
/// is, and what `fstat` said of it.
#[derive(Clone, Copy, Debug)]
pub struct Entry {
    hash: u32,
    key_len: u16,
    body_len: u16,
    pub kind: Kind,
    /// Bumped whenever the slot changes, so a `Hit` taken before cannot
    /// read another file's bytes.
    generation: u32,
    /// The table's clock at its last use: the least recently used of a
    /// full set is replaced.
    used: u32,
    mode: u32,
    size: u64,
    mtime: i64,
    mtime_nsec: i64,
}

impl Entry {
    pub const FREE: Entry = Entry {
        hash: 0,
        key_len: 0,
        body_len: 0,
        kind: Kind::Free,
        generation: 0,
        used: 0,
        mode: 0,
        size: 0,
        mtime: 0,
        mtime_nsec: 0,
    };

    /// The stat of the file as cached: type, size and modification time,
    /// all that answering it reads.
    pub fn stat(&self) -> Stat {
        let mut stat = Stat::default();
        (stat.mode, stat.size) = (self.mode, self.size as i64);
        (stat.mtime, stat.mtime_nsec) = (self.mtime, self.mtime_nsec);
        stat
    }
}

/// A cached file's bytes, as found by `Table::get`: valid while its slot
/// keeps its generation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hit {
    index: u32,
    generation: u32,
}

/// A watch descriptor and the path (relative to the root) it watches.
#[derive(Clone, Copy, Debug)]
pub struct Watch {
    /// -1 for an unused slot.
    wd: i32,
    hash: u32,
    len: u16,
}

impl Watch {
    pub const FREE: Watch = Watch {
        wd: -1,
        hash: 0,
        len: 0,
    };
}

/// What an event asks of the cache's owner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// Done: the entries and watches it concerns are gone.
    Done,
    /// Start afresh: events were lost, or the root itself moved.
    Flush,
}

/// Events that change which object a name leads to: the watches beneath
/// such a name may watch something else now.
const RENAMES: Notify = Notify::MOVED_FROM
    .with(Notify::MOVED_TO)
    .with(Notify::CREATE)
    .with(Notify::DELETE)
    .with(Notify::DELETE_SELF)
    .with(Notify::MOVE_SELF)
    .with(Notify::IGNORED)
    .with(Notify::UNMOUNT);

/// The cache's memory, mapped once by its owner. Slices shorter than
/// the sizes above hold fewer entries, watches or listings; nothing is
/// indexed past their ends.
pub struct Memory<'a> {
    pub entries: &'a mut [Entry],
    /// `ENTRIES * KEY_BYTES`: entry `i`'s path at `i * KEY_BYTES`.
    pub keys: &'a mut [u8],
    /// `ENTRIES * BODY_BYTES`: entry `i`'s bytes at `i * BODY_BYTES`.
    pub bodies: &'a mut [u8],
    pub watches: &'a mut [Watch],
    /// `WATCHES * KEY_BYTES`: watch `i`'s path.
    pub watch_paths: &'a mut [u8],
    pub listings: &'a mut [Listing],
    /// `LISTINGS * KEY_BYTES`: listing `i`'s directory.
    pub listing_keys: &'a mut [u8],
    /// `LISTINGS * LISTING_BYTES`: listing `i`'s page.
    pub pages: &'a mut [u8],
}

/// The cache: its memory and the clock of its uses.
pub struct Table<'a> {
    entries: &'a mut [Entry],
    keys: &'a mut [u8],
    bodies: &'a mut [u8],
    watches: &'a mut [Watch],
    watch_paths: &'a mut [u8],
    listings: &'a mut [Listing],
    listing_keys: &'a mut [u8],
    pages: &'a mut [u8],
    clock: u32,
    /// Watches forgotten since the last `clear` whose kernel watch still
    /// exists (no inotify_rm_watch): the owner starts afresh past a
    /// bound, which drops them all.
    forgotten: usize,
    /// Watches remembered now.
    in_use: usize,
}

/// FNV-1a, 32 bits: a fast, good enough spread of paths over the sets.
fn hash(key: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for &b in key {
        h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    h
}

/// True when `path` is `prefix` or lies beneath it (`""` is the root,
/// beneath which everything lies).
pub fn beneath(path: &[u8], prefix: &[u8]) -> bool {
    match path.strip_prefix(prefix) {
        Some(rest) => prefix.is_empty() || rest.is_empty() || rest.first() == Some(&b'/'),
        None => false,
    }
}

impl<'a> Table<'a> {
    /// An empty table over `mem`.
    pub fn new(mem: Memory<'a>) -> Table<'a> {
        Table {
            entries: mem.entries,
            keys: mem.keys,
            bodies: mem.bodies,
            watches: mem.watches,
            watch_paths: mem.watch_paths,
            listings: mem.listings,
            listing_keys: mem.listing_keys,
            pages: mem.pages,
            clock: 0,
            forgotten: 0,
            in_use: 0,
        }
    }

    fn key(&self, i: usize) -> &[u8] {
        let len = self.entries.get(i).map_or(0, |e| usize::from(e.key_len));
        self.keys
            .get(i * KEY_BYTES..i * KEY_BYTES + len)
            .unwrap_or_default()
    }

    fn set(h: u32) -> core::ops::Range<usize> {
        let first = (h as usize % SETS) * WAYS;
        first..first + WAYS
    }

    /// The entry for `key`, if cached, and the hit that reads its bytes.
    pub fn get(&mut self, key: &[u8]) -> Option<(Entry, Hit)> {
        let h = hash(key);
        let i = Self::set(h).find(|&i| {
            self.entries.get(i).is_some_and(|e| {
                e.kind != Kind::Free && e.hash == h && usize::from(e.key_len) == key.len()
            }) && self.key(i) == key
        })?;
        self.clock = self.clock.wrapping_add(1);
        let clock = self.clock;
        let entry = self.entries.get_mut(i)?;
        entry.used = clock;
        let hit = Hit {
            index: i as u32,
            generation: entry.generation,
        };
        Some((*entry, hit))
    }

    /// Caches `key` as `kind` with `stat`, and `body` for a file (at most
    /// `BODY_BYTES`), in place of the least recently used entry of its
    /// set. None when the key or body is too long.
    pub fn insert(&mut self, key: &[u8], kind: Kind, stat: &Stat, body: &[u8]) -> Option<Hit> {
        if key.len() > KEY_BYTES || body.len() > BODY_BYTES {
            return None;
        }
        let h = hash(key);
        // The same key again (a refill), else a free slot, else the least
        // recently used.
        let mut victim = None;
        for i in Self::set(h) {
            let e = self.entries.get(i)?;
            let same = e.kind != Kind::Free && e.hash == h && self.key(i) == key;
            let better = match victim.and_then(|v: usize| self.entries.get(v)) {
                None => true,
                Some(v) => v.kind != Kind::Free && (e.kind == Kind::Free || e.used < v.used),
            };
            if same {
                victim = Some(i);
                break;
            }
            if better {
                victim = Some(i);
            }
        }
        let i = victim?;
        crate::buf::copy(self.keys.get_mut(i * KEY_BYTES..).unwrap_or_default(), key);
        crate::buf::copy(
            self.bodies.get_mut(i * BODY_BYTES..).unwrap_or_default(),
            body,
        );
        self.clock = self.clock.wrapping_add(1);
        let entry = self.entries.get_mut(i)?;
        *entry = Entry {
            hash: h,
            key_len: key.len() as u16,
            body_len: body.len() as u16,
            kind,
            generation: entry.generation.wrapping_add(1),
            used: self.clock,
            mode: stat.mode,
            size: stat.len(),
            mtime: stat.mtime,
            mtime_nsec: stat.mtime_nsec,
        };
        Some(Hit {
            index: i as u32,
            generation: entry.generation,
        })
    }

    /// The bytes of a cached file, unless its slot changed since the hit.
    pub fn body(&self, hit: Hit) -> Option<&[u8]> {
        let i = hit.index as usize;
        let e = self.entries.get(i)?;
        if e.generation != hit.generation || e.kind != Kind::File {
            return None;
        }
        self.bodies
            .get(i * BODY_BYTES..i * BODY_BYTES + usize::from(e.body_len))
    }

    fn listing_key(&self, i: usize) -> &[u8] {
        let len = self.listings.get(i).map_or(0, |l| usize::from(l.key_len));
        self.listing_keys
            .get(i * KEY_BYTES..i * KEY_BYTES + len)
            .unwrap_or_default()
    }

    /// The rendered listing of directory `key` (HTML, or JSON when
    /// `json`), if kept.
    pub fn listing(&mut self, key: &[u8], json: bool) -> Option<&[u8]> {
        let i = (0..self.listings.len()).find(|&i| {
            self.listings
                .get(i)
                .is_some_and(|l| l.used && l.json == json)
                && self.listing_key(i) == key
        })?;
        self.clock = self.clock.wrapping_add(1);
        let listing = self.listings.get_mut(i)?;
        listing.stamp = self.clock;
        let len = listing.page_len as usize;
        self.pages.get(i * LISTING_BYTES..i * LISTING_BYTES + len)
    }

    /// Keeps `page` as the listing of directory `key`, in place of the
    /// least recently used; false when it is too large.
    pub fn keep_listing(&mut self, key: &[u8], json: bool, page: &[u8]) -> bool {
        if key.len() > KEY_BYTES || page.len() > LISTING_BYTES {
            return false;
        }
        // The same listing again, else a free slot, else the least
        // recently used.
        let same = (0..self.listings.len()).find(|&i| {
            self.listings
                .get(i)
                .is_some_and(|l| l.used && l.json == json)
                && self.listing_key(i) == key
        });
        let victim = same.or_else(|| {
            (0..self.listings.len()).min_by_key(|&i| {
                self.listings.get(i).map_or(u64::MAX, |l| match l.used {
                    false => 0,
                    true => 1 + u64::from(l.stamp),
                })
            })
        });
        let Some(i) = victim else {
            return false;
        };
        crate::buf::copy(
            self.listing_keys
                .get_mut(i * KEY_BYTES..)
                .unwrap_or_default(),
            key,
        );
        crate::buf::copy(
            self.pages.get_mut(i * LISTING_BYTES..).unwrap_or_default(),
            page,
        );
        self.clock = self.clock.wrapping_add(1);
        if let Some(l) = self.listings.get_mut(i) {
            *l = Listing {
                used: true,
                json,
                key_len: key.len() as u16,
                page_len: page.len() as u32,
                stamp: self.clock,
            };
        }
        true
    }

    /// Drops the listings of directories at or beneath `prefix` (if any), of
    /// `dir` (the watched object an event is about, or whose entry it
    /// is about), and, when `dir` itself changed (its time, or a file's
    /// size and time), of `dir`'s parent, whose listing shows them.
    fn drop_listings(&mut self, prefix: Option<&[u8]>, dir: Option<&[u8]>, itself: bool) {
        let dir_itself = dir.filter(|d| itself && !d.is_empty());
        let parent = dir_itself.map(|d| match d.iter().rposition(|&b| b == b'/') {
            Some(at) => d.get(..at).unwrap_or_default(),
            None => &b""[..],
        });
        for i in 0..self.listings.len() {
            let key = self.listing_key(i);
            let gone =
                prefix.is_some_and(|p| beneath(key, p)) || dir == Some(key) || parent == Some(key);
            if let Some(l) = self.listings.get_mut(i).filter(|_| gone) {
                l.used = false;
            }
        }
    }

    /// Drops every entry (and listing) at or beneath `prefix`.
    pub fn invalidate(&mut self, prefix: &[u8]) {
        self.drop_listings(Some(prefix), None, false);
        for i in 0..self.entries.len() {
            let hit = self.entries.get(i).is_some_and(|e| e.kind != Kind::Free)
                && beneath(self.key(i), prefix);
            if let Some(e) = self.entries.get_mut(i).filter(|_| hit) {
                e.kind = Kind::Free;
                e.generation = e.generation.wrapping_add(1);
            }
        }
    }

    /// Drops every entry and forgets every watch.
    pub fn clear(&mut self) {
        self.invalidate(b"");
        for w in self.watches.iter_mut() {
            *w = Watch::FREE;
        }
        (self.forgotten, self.in_use) = (0, 0);
    }

    /// True when no watch can be remembered any more, or so many were
    /// forgotten (their kernel watches linger) that the owner should
    /// start afresh.
    pub fn worn_out(&self) -> bool {
        self.in_use >= self.watches.len() || self.forgotten >= self.watches.len()
    }

    /// The entries in use.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.iter().filter(|e| e.kind != Kind::Free).count()
    }

    /// True when nothing is cached.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn watch_path(&self, i: usize) -> &[u8] {
        let len = self.watches.get(i).map_or(0, |w| usize::from(w.len));
        self.watch_paths
            .get(i * KEY_BYTES..i * KEY_BYTES + len)
            .unwrap_or_default()
    }

    fn find_watch(&self, path: &[u8]) -> Option<usize> {
        let h = hash(path);
        (0..self.watches.len()).find(|&i| {
            self.watches
                .get(i)
                .is_some_and(|w| w.wd >= 0 && w.hash == h && usize::from(w.len) == path.len())
                && self.watch_path(i) == path
        })
    }

    /// True when `path` is watched (as far as the events read so far say).
    pub fn watched(&self, path: &[u8]) -> bool {
        self.find_watch(path).is_some()
    }

    /// Records that `wd` watches `path`. False when it cannot: the table
    /// is full, the path too long, or `wd` already watches another path
    /// (one object reached by two paths, as through a bind mount): the
    /// caller then does not cache what lies beneath.
    pub fn remember(&mut self, wd: i32, path: &[u8]) -> bool {
        if path.len() > KEY_BYTES || wd < 0 {
            return false;
        }
        if let Some(i) =
            (0..self.watches.len()).find(|&i| self.watches.get(i).is_some_and(|w| w.wd == wd))
        {
            return self.watch_path(i) == path;
        }
        let Some(i) = self.watches.iter().position(|w| w.wd < 0) else {
            return false;
        };
        crate::buf::copy(
            self.watch_paths
                .get_mut(i * KEY_BYTES..)
                .unwrap_or_default(),
            path,
        );
        if let Some(w) = self.watches.get_mut(i) {
            *w = Watch {
                wd,
                hash: hash(path),
                len: path.len() as u16,
            };
            self.in_use += 1;
        }
        true
    }

    /// Applies one inotify event: watch `wd`, `mask`, and the `name` of
    /// the entry it concerns in a watched directory (empty when the event
    /// is about the watched object itself).
    pub fn apply(&mut self, wd: i32, mask: u32, name: &[u8]) -> Applied {
        if Notify::Q_OVERFLOW.any_in(mask) {
            return Applied::Flush;
        }
        let Some(w) =
            (0..self.watches.len()).find(|&i| self.watches.get(i).is_some_and(|w| w.wd == wd))
        else {
            // A watch forgotten after a rename: what lay beneath its old
            // path is already gone.
            return Applied::Done;
        };
        let mut mem = [0u8; KEY_BYTES + 1 + crate::fs::root::NAME_MAX_BYTES];
        let mut prefix = Buf::new(&mut mem);
        prefix.push(self.watch_path(w));
        if !name.is_empty() {
            if !prefix.is_empty() {
                prefix.byte(b'/');
            }
            prefix.push(name);
        }
        if prefix.overflowed() || prefix.len() > KEY_BYTES {
            // No cached path or watched directory is that long, but the
            // listing of the directory shows the name.
            let mut dir_mem = [0u8; KEY_BYTES];
            let dir_len = crate::buf::copy(&mut dir_mem, self.watch_path(w));
            self.drop_listings(None, dir_mem.get(..dir_len), true);
            return Applied::Done;
        }
        let prefix = prefix.as_bytes();
        let renamed = RENAMES.any_in(mask);
        if prefix.is_empty() && renamed {
            // The root itself moved or went: every path may be different.
            return Applied::Flush;
        }
        self.invalidate(prefix);
        let mut dir_mem = [0u8; KEY_BYTES];
        let dir_len = crate::buf::copy(&mut dir_mem, self.watch_path(w));
        // A name made, removed or moved changes the directory's time, as
        // any event about the watched object itself may.
        let itself = name.is_empty() || renamed;
        self.drop_listings(Some(prefix), dir_mem.get(..dir_len), itself);
        if renamed {
            for i in 0..self.watches.len() {
                let gone = self.watches.get(i).is_some_and(|w| w.wd >= 0)
                    && beneath(self.watch_path(i), prefix);
                if let Some(w) = self.watches.get_mut(i).filter(|_| gone) {
                    *w = Watch::FREE;
                    self.forgotten = self.forgotten.saturating_add(1);
                    self.in_use = self.in_use.saturating_sub(1);
                }
            }
        }
        Applied::Done
    }
}

/// Size of `struct inotify_event` before its name (inotify(7)): `wd`,
/// `mask`, `cookie`, `len`.
const EVENT_HEAD_BYTES: usize = 16;

/// The events in `buf` (what one read(2) of an inotify descriptor gave):
/// each one's watch descriptor, mask and name (its NUL padding removed).
/// A truncated record ends the walk.
pub fn events(buf: &[u8]) -> impl Iterator<Item = (i32, u32, &[u8])> {
    let mut rest = buf;
    core::iter::from_fn(move || {
        let (head, tail) = rest.split_at_checked(EVENT_HEAD_BYTES)?;
        let word = |at: usize| {
            let mut w = [0u8; 4];
            crate::buf::copy(&mut w, head.get(at..at + 4).unwrap_or_default());
            u32::from_ne_bytes(w)
        };
        let (name, after) = tail.split_at_checked(word(12) as usize)?;
        rest = after;
        let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
        Some((word(0) as i32, word(4), name.get(..end).unwrap_or_default()))
    })
}

#[cfg(test)]
mod tests;
