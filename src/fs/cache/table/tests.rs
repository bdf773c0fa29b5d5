//! The table's rules: lookups, replacement within a set, invalidation by
//! path prefix, watches forgotten on renames, and the event records.

use super::*;

struct Mem {
    entries: Vec<Entry>,
    keys: Vec<u8>,
    bodies: Vec<u8>,
    watches: Vec<Watch>,
    paths: Vec<u8>,
    listings: Vec<Listing>,
    listing_keys: Vec<u8>,
    pages: Vec<u8>,
}

fn mem() -> Mem {
    Mem {
        entries: vec![Entry::FREE; ENTRIES],
        keys: vec![0; ENTRIES * KEY_BYTES],
        bodies: vec![0; ENTRIES * BODY_BYTES],
        watches: vec![Watch::FREE; WATCHES],
        paths: vec![0; WATCHES * KEY_BYTES],
        listings: vec![Listing::FREE; LISTINGS],
        listing_keys: vec![0; LISTINGS * KEY_BYTES],
        pages: vec![0; LISTINGS * LISTING_BYTES],
    }
}

fn table(m: &mut Mem) -> Table<'_> {
    Table::new(Memory {
        entries: &mut m.entries,
        keys: &mut m.keys,
        bodies: &mut m.bodies,
        watches: &mut m.watches,
        watch_paths: &mut m.paths,
        listings: &mut m.listings,
        listing_keys: &mut m.listing_keys,
        pages: &mut m.pages,
    })
}

fn file(size: i64) -> Stat {
    let mut st = Stat::default();
    st.mode = 0o100644;
    st.size = size;
    st.mtime = 1_700_000_000;
    st.mtime_nsec = 5;
    st
}

#[test]
fn a_file_is_found_with_its_bytes_and_stat() {
    let mut m = mem();
    let mut t = table(&mut m);
    let hit = t.insert(b"a/b.txt", Kind::File, &file(3), b"abc").unwrap();
    assert_eq!(t.body(hit), Some(&b"abc"[..]));
    let (entry, again) = t.get(b"a/b.txt").unwrap();
    assert_eq!(again, hit);
    assert_eq!(entry.kind, Kind::File);
    let st = entry.stat();
    assert!(st.is_file());
    assert_eq!((st.len(), st.mtime, st.mtime_nsec), (3, 1_700_000_000, 5));
    assert!(t.get(b"a/b.tx").is_none());
    assert!(t.get(b"a/b.txt/").is_none());
    t.insert(b"gone", Kind::Missing(Errno::ENOENT), &Stat::default(), b"")
        .unwrap();
    assert_eq!(t.get(b"gone").unwrap().0.kind, Kind::Missing(Errno::ENOENT));
    assert_eq!(t.len(), 2);
}

#[test]
fn too_long_is_not_cached() {
    let mut m = mem();
    let mut t = table(&mut m);
    assert!(
        t.insert(&[b'a'; KEY_BYTES + 1], Kind::Dir, &Stat::default(), b"")
            .is_none()
    );
    assert!(
        t.insert(b"f", Kind::File, &file(0), &[0; BODY_BYTES + 1])
            .is_none()
    );
    assert!(
        t.insert(&[b'a'; KEY_BYTES], Kind::Dir, &Stat::default(), b"")
            .is_some()
    );
}

#[test]
fn a_full_set_replaces_its_least_recently_used_and_old_hits_read_nothing() {
    let mut m = mem();
    let mut t = table(&mut m);
    // Keys of one set: the same hash modulo SETS.
    let mut same: Vec<Vec<u8>> = Vec::new();
    let mut n = 0u32;
    while same.len() < WAYS + 1 {
        let k = format!("f{n}").into_bytes();
        if hash(&k) as usize % SETS == 0 {
            same.push(k);
        }
        n += 1;
    }
    let hits: Vec<Hit> = same[..WAYS]
        .iter()
        .map(|k| t.insert(k, Kind::File, &file(1), k).unwrap())
        .collect();
    // Use all but the first again: it is the least recently used.
    for k in &same[1..WAYS] {
        assert!(t.get(k).is_some());
    }
    t.insert(&same[WAYS], Kind::File, &file(1), b"new").unwrap();
    assert!(t.get(&same[0]).is_none());
    assert_eq!(
        t.body(hits[0]),
        None,
        "an evicted slot's old hit reads nothing"
    );
    for (k, hit) in same[1..WAYS].iter().zip(&hits[1..]) {
        assert_eq!(t.body(*hit), Some(&k[..]));
    }
    // Inserting a cached key again replaces it in place.
    let before = t.len();
    let hit = t.insert(&same[1], Kind::File, &file(2), b"v2").unwrap();
    assert_eq!(t.len(), before);
    assert_eq!(t.body(hit), Some(&b"v2"[..]));
    assert_eq!(t.body(hits[1]), None);
}

#[test]
fn invalidation_is_by_whole_path_components() {
    let mut m = mem();
    let mut t = table(&mut m);
    for k in ["a", "a/x", "a/b/c", "ab", "ab/x", "b"] {
        t.insert(k.as_bytes(), Kind::Dir, &Stat::default(), b"")
            .unwrap();
    }
    t.invalidate(b"a");
    let left: Vec<&str> = ["a", "a/x", "a/b/c", "ab", "ab/x", "b"]
        .into_iter()
        .filter(|k| t.get(k.as_bytes()).is_some())
        .collect();
    assert_eq!(left, ["ab", "ab/x", "b"]);
    t.invalidate(b"");
    assert!(t.is_empty());
}

fn ev(wd: i32, mask: Notify, name: &str) -> (i32, u32, Vec<u8>) {
    (wd, mask.bits(), name.as_bytes().to_vec())
}

#[test]
fn events_drop_what_they_name() {
    let mut m = mem();
    let mut t = table(&mut m);
    assert!(t.remember(1, b""));
    assert!(t.remember(2, b"docs"));
    assert!(t.remember(3, b"docs/api"));
    assert!(t.remember(4, b"docs/api/x.html"));
    assert!(t.remember(2, b"docs"), "the same watch again");
    assert!(!t.remember(2, b"other"), "one watch, two paths");
    let keys = [
        "index.html",
        "docs/a.html",
        "docs/api/x.html",
        "docs/api/y.html",
        "docsx",
    ];
    let fill = |t: &mut Table| {
        for k in keys {
            t.insert(k.as_bytes(), Kind::File, &file(1), b"x").unwrap();
        }
    };
    let cached = |t: &mut Table| -> Vec<&str> {
        keys.into_iter()
            .filter(|k| t.get(k.as_bytes()).is_some())
            .collect()
    };
    fill(&mut t);
    // An edit of a cached file, seen by its own watch.
    let (wd, mask, name) = ev(4, Notify::MODIFY, "");
    assert_eq!(t.apply(wd, mask, &name), Applied::Done);
    assert_eq!(
        cached(&mut t),
        ["index.html", "docs/a.html", "docs/api/y.html", "docsx"]
    );
    assert!(
        t.watched(b"docs/api/x.html"),
        "a content change keeps watches"
    );
    // chmod of a file in a watched directory.
    fill(&mut t);
    let (wd, mask, name) = ev(2, Notify::ATTRIB, "a.html");
    t.apply(wd, mask, &name);
    assert_eq!(
        cached(&mut t),
        ["index.html", "docs/api/x.html", "docs/api/y.html", "docsx"]
    );
    // The directory renamed in the root: everything beneath goes, and
    // so do the watches beneath, whose paths are no longer true.
    fill(&mut t);
    let (wd, mask, name) = ev(1, Notify::MOVED_FROM, "docs");
    t.apply(wd, mask, &name);
    assert_eq!(cached(&mut t), ["index.html", "docsx"]);
    assert!(t.watched(b""));
    assert!(!t.watched(b"docs") && !t.watched(b"docs/api") && !t.watched(b"docs/api/x.html"));
    // Events of a forgotten watch change nothing.
    fill(&mut t);
    let (wd, mask, name) = ev(3, Notify::DELETE, "y.html");
    t.apply(wd, mask, &name);
    assert_eq!(cached(&mut t).len(), keys.len());
    // A new file in the root drops a cached 404 of its name only.
    t.insert(
        b"new.txt",
        Kind::Missing(Errno::ENOENT),
        &Stat::default(),
        b"",
    )
    .unwrap();
    let (wd, mask, name) = ev(1, Notify::CREATE, "new.txt");
    t.apply(wd, mask, &name);
    assert!(t.get(b"new.txt").is_none());
    assert_eq!(cached(&mut t).len(), keys.len());
    // chmod of the root itself drops everything but keeps the watches.
    let (wd, mask, name) = ev(1, Notify::ATTRIB, "");
    assert_eq!(t.apply(wd, mask, &name), Applied::Done);
    assert!(t.is_empty() && t.watched(b""));
    // The root moved, or events lost: start afresh.
    let (wd, mask, name) = ev(1, Notify::MOVE_SELF, "");
    assert_eq!(t.apply(wd, mask, &name), Applied::Flush);
    let (wd, mask, name) = ev(-1, Notify::Q_OVERFLOW, "");
    assert_eq!(t.apply(wd, mask, &name), Applied::Flush);
    t.clear();
    assert!(!t.watched(b""));
}

#[test]
fn the_watch_table_fills_up() {
    let mut m = mem();
    let mut t = table(&mut m);
    for wd in 0..WATCHES as i32 {
        assert!(t.remember(wd, format!("d{wd}").as_bytes()));
    }
    assert!(!t.remember(WATCHES as i32, b"one more"));
    assert!(!t.remember(7, &[b'd'; KEY_BYTES + 1]));
}

fn record(wd: i32, mask: u32, name: &[u8], padded: usize) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&wd.to_ne_bytes());
    v.extend_from_slice(&mask.to_ne_bytes());
    v.extend_from_slice(&0u32.to_ne_bytes());
    v.extend_from_slice(&(padded as u32).to_ne_bytes());
    v.extend_from_slice(name);
    v.resize(v.len() + padded - name.len(), 0);
    v
}

#[test]
fn event_records_are_read_whole_or_not_at_all() {
    let mut buf = record(3, Notify::CREATE.bits(), b"new.txt", 16);
    buf.extend(record(1, Notify::MOVE_SELF.bits(), b"", 0));
    let all: Vec<(i32, u32, Vec<u8>)> = events(&buf).map(|(w, m, n)| (w, m, n.to_vec())).collect();
    assert_eq!(
        all,
        [
            (3, Notify::CREATE.bits(), b"new.txt".to_vec()),
            (1, Notify::MOVE_SELF.bits(), Vec::new())
        ]
    );
    // A cut record is not read.
    let cut = &buf[..buf.len() - 1];
    assert_eq!(events(cut).count(), 1);
    let lying = record(3, 0, b"x", 16);
    assert_eq!(events(&lying[..20]).count(), 0);
}

#[test]
fn listings_drop_when_their_directory_or_an_entry_changes() {
    let mut m = mem();
    let mut t = table(&mut m);
    for (wd, path) in [(1, ""), (2, "d"), (3, "d/sub"), (4, "d/f.txt"), (5, "e")] {
        assert!(t.remember(wd, path.as_bytes()));
    }
    let keys = ["", "d", "d/sub", "e"];
    let fill = |t: &mut Table| {
        for k in keys {
            assert!(t.keep_listing(k.as_bytes(), false, format!("page of {k}").as_bytes()));
        }
    };
    let kept = |t: &mut Table| -> Vec<&str> {
        keys.into_iter()
            .filter(|k| t.listing(k.as_bytes(), false).is_some())
            .collect()
    };
    fill(&mut t);
    assert_eq!(t.listing(b"d", false), Some(&b"page of d"[..]));
    assert_eq!(t.listing(b"d", true), None, "HTML and JSON apart");
    // A file in d written: d's listing shows its size and time.
    t.apply(2, Notify::MODIFY.bits(), b"f.txt");
    assert_eq!(kept(&mut t), ["", "d/sub", "e"]);
    // The same seen by the file's own watch.
    fill(&mut t);
    t.apply(4, Notify::MODIFY.bits(), b"");
    assert_eq!(kept(&mut t), ["", "d/sub", "e"]);
    // A name made in d/sub: its listing, and d's (which shows d/sub's
    // time), but not the root's.
    fill(&mut t);
    t.apply(3, Notify::CREATE.bits(), b"new");
    assert_eq!(kept(&mut t), ["", "e"]);
    // A name too long for any cached path still drops the listing.
    fill(&mut t);
    t.apply(2, Notify::CREATE.bits(), &[b'L'; 200]);
    assert_eq!(kept(&mut t), ["d/sub", "e"]);
    // d renamed: everything beneath it, and the root's listing.
    fill(&mut t);
    t.apply(1, Notify::MOVED_FROM.bits(), b"d");
    assert_eq!(kept(&mut t), ["e"]);
    // Too large, or too many: the least recently used goes.
    assert!(!t.keep_listing(b"big", false, &vec![b'x'; LISTING_BYTES + 1]));
    for i in 0..LISTINGS {
        assert!(t.keep_listing(format!("l{i}").as_bytes(), true, b"p"));
    }
    assert!(t.listing(b"e", false).is_none());
    t.clear();
    assert!(t.listing(b"l1", true).is_none());
}
