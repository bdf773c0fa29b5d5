//! `fs::cache::table`: the file cache's rules, driven by a sequence of
//! operations (insert a path, watch a path, keep a listing, apply an
//! event, parse raw inotify records and apply them), checked against a
//! model of what was inserted. Paths are made of a few short segments so
//! that prefixes, siblings and set collisions are common.
//!
//! Properties:
//! - nothing panics, and `events` yields names without NUL;
//! - a path found is found with the bytes, kind and size it was inserted
//!   with, and an old hit of a replaced slot reads nothing;
//! - after an event about name `N` in the directory watched as `W`, no
//!   path at or beneath `W/N` is found, nor a listing at or beneath it, or
//!   of `W` itself; a path that was found and is not beneath `W/N` still
//!   is (an event never drops an unrelated entry);
//! - a watch is remembered for one path only.

#![no_main]

use httpd::fs::cache::table::{
    Applied, BODY_BYTES, ENTRIES, Entry, KEY_BYTES, Kind, LISTING_BYTES, LISTINGS, Listing, Memory,
    Table, WATCHES, Watch, beneath, events,
};
use httpd::rt::sys::{Errno, Stat};
use libfuzzer_sys::fuzz_target;
use std::collections::HashMap;

const SEGMENTS: [&str; 5] = ["a", "b", "ab", "c.txt", "d"];

/// A path of up to three segments, chosen by `byte`.
fn path(byte: u8) -> Vec<u8> {
    let n = usize::from(byte % 4);
    let mut p = Vec::new();
    let mut b = usize::from(byte / 4);
    for i in 0..n {
        if i > 0 {
            p.push(b'/');
        }
        p.extend_from_slice(SEGMENTS[b % SEGMENTS.len()].as_bytes());
        b /= SEGMENTS.len();
    }
    p
}

fuzz_target!(|data: &[u8]| {
    let mut entries = vec![Entry::FREE; ENTRIES];
    let mut keys = vec![0; ENTRIES * KEY_BYTES];
    let mut bodies = vec![0; ENTRIES * BODY_BYTES];
    let mut watches = vec![Watch::FREE; WATCHES];
    let mut paths = vec![0; WATCHES * KEY_BYTES];
    let mut listings = vec![Listing::FREE; LISTINGS];
    let mut listing_keys = vec![0; LISTINGS * KEY_BYTES];
    let mut pages = vec![0; LISTINGS * LISTING_BYTES];
    let mut t = Table::new(Memory {
        entries: &mut entries,
        keys: &mut keys,
        bodies: &mut bodies,
        watches: &mut watches,
        watch_paths: &mut paths,
        listings: &mut listings,
        listing_keys: &mut listing_keys,
        pages: &mut pages,
    });
    // What was inserted and may still be found: path -> body.
    let mut model: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
    let mut watched: HashMap<i32, Vec<u8>> = HashMap::new();
    let mut old_hits = Vec::new();
    let mut ops = data.chunks(3);
    while let Some(&[op, x, y]) = ops.next() {
        match op % 6 {
            0 | 1 => {
                let key = path(x);
                let body = vec![y; usize::from(y % 16)];
                let mut st = Stat::default();
                (st.mode, st.size) = (0o100644, body.len() as i64);
                let kind = if op % 2 == 0 {
                    Kind::File
                } else {
                    Kind::Missing(Errno::ENOENT)
                };
                let hit = t.insert(&key, kind, &st, &body).expect("short keys fit");
                if let Some((entry, _)) = t.get(&key) {
                    assert_eq!(entry.kind, kind);
                    assert_eq!(entry.stat().len(), body.len() as u64);
                }
                if kind == Kind::File {
                    assert_eq!(t.body(hit), Some(&body[..]));
                    old_hits.push(hit);
                }
                model.insert(key, body);
                // Whatever the insert evicted is gone from the model.
                model.retain(|k, _| t.get(k).is_some());
            }
            2 => {
                let wd = i32::from(x % 8);
                let p = path(y);
                let took = t.remember(wd, &p);
                match watched.get(&wd) {
                    Some(before) => assert_eq!(took, *before == p),
                    None if took => {
                        watched.insert(wd, p);
                    }
                    None => {}
                }
            }
            3 => {
                let p = path(x);
                assert!(t.keep_listing(&p, y % 2 == 0, &[y; 3]));
                assert_eq!(t.listing(&p, y % 2 == 0), Some(&[y; 3][..]));
            }
            4 => {
                let wd = i32::from(x % 8);
                let mask = 1u32 << (y % 16);
                let name = SEGMENTS[usize::from(y / 16) % SEGMENTS.len()].as_bytes();
                let name = if y >= 240 { &b""[..] } else { name };
                apply(&mut t, &mut model, &mut watched, wd, mask, name);
            }
            _ => {
                let raw: Vec<u8> = ops
                    .by_ref()
                    .take(usize::from(x % 16))
                    .flatten()
                    .copied()
                    .collect();
                let parsed: Vec<(i32, u32, Vec<u8>)> =
                    events(&raw).map(|(w, m, n)| (w, m, n.to_vec())).collect();
                for (wd, mask, name) in parsed {
                    assert!(!name.contains(&0));
                    apply(&mut t, &mut model, &mut watched, wd, mask, &name);
                }
            }
        }
        for (k, body) in &model {
            if let Some((entry, hit)) = t.get(k)
                && entry.kind == Kind::File
            {
                assert_eq!(
                    t.body(hit),
                    Some(&body[..]),
                    "{:?}",
                    k.escape_ascii().to_string()
                );
            }
        }
    }
    // Hits of slots replaced or dropped since read nothing else.
    for hit in old_hits {
        if let Some(b) = t.body(hit) {
            assert!(model.values().any(|v| v == b));
        }
    }
});

fn apply(
    t: &mut Table,
    model: &mut HashMap<Vec<u8>, Vec<u8>>,
    watched: &mut HashMap<i32, Vec<u8>>,
    wd: i32,
    mask: u32,
    name: &[u8],
) {
    let before: Vec<Vec<u8>> = model
        .keys()
        .filter(|k| t.get(k).is_some())
        .cloned()
        .collect();
    let outcome = t.apply(wd, mask, name);
    if outcome == Applied::Flush {
        t.clear();
        model.clear();
        watched.clear();
        return;
    }
    let Some(dir) = watched.get(&wd).cloned() else {
        return;
    };
    let mut prefix = dir.clone();
    if !name.is_empty() {
        if !prefix.is_empty() {
            prefix.push(b'/');
        }
        prefix.extend_from_slice(name);
    }
    for k in &before {
        let gone = beneath(k, &prefix);
        assert_eq!(
            t.get(k).is_none(),
            gone,
            "{:?} after an event on {:?}",
            k,
            prefix
        );
        if gone {
            model.remove(k);
        }
    }
    for json in [false, true] {
        assert!(
            t.listing(&dir, json).is_none(),
            "the listing of {dir:?} after its event"
        );
        for l in 0..=255u8 {
            let p = path(l);
            if beneath(&p, &prefix) {
                assert!(t.listing(&p, json).is_none());
            }
        }
    }
    // Watches beneath a renamed name are forgotten.
    watched.retain(|_, p| t.watched(p));
}
