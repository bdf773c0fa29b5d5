//! `sandbox::user`: `for_each_line` over a file read in random chunks, and
//! the passwd(5) / group(5) line and `--user` spec parsers. Input: a byte
//! for the line buffer's size (1..=64), a byte seeding the chunk sizes,
//! a byte choosing the line to stop at (or a read to fail), then the file.
//!
//! Properties:
//! - `for_each_line` hands out exactly the lines of `text.split('\n')`
//!   (a last empty piece, after a final newline, is no line), each cut to
//!   the buffer's length, whatever sizes the reads return; it stops at
//!   the line whose callback says so and returns true, returns false
//!   after the last line, and passes a read error on at once;
//! - `parse_passwd_line`, `parse_group_line` and `parse_spec` agree with
//!   a reference parse that splits on `:` with std, on every line handed
//!   out and on the whole input: `name:password:uid:gid[:...]` with a
//!   name that is not empty, not a `#` comment and holds no NUL, ids
//!   digits-only `u32`; a group line needs the `:` before its members;
//!   a spec is `USER[:GROUP]`, each part 1..=256 bytes, all digits a
//!   number other than `u32::MAX`, else a name without `\n` or NUL.

#![no_main]

use httpd::sandbox::user::{
    GroupEntry, Id, MAX_NAME_BYTES, PasswdEntry, UserSpec, for_each_line, parse_group_line,
    parse_passwd_line, parse_spec,
};
use httpd_fuzz::{XorShift, digits, show};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [cap, seed, stop, text @ ..] = data else {
        return;
    };
    let cap = 1 + usize::from(*cap) % 64;
    let want: Vec<&[u8]> = {
        let mut pieces: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
        if pieces.last() == Some(&&b""[..]) {
            pieces.pop();
        }
        pieces.into_iter().map(|l| &l[..l.len().min(cap)]).collect()
    };
    let shown = (cap, seed, show(text));

    // All lines.
    let (seen, result) = lines(text, cap, *seed, usize::MAX, None);
    assert_eq!(result, Ok(false), "cap, seed, text {shown:?}");
    assert_eq!(seen, want, "cap, seed, text {shown:?}");
    // Stopping at line `stop` (when there is one).
    let k = usize::from(*stop);
    let (seen, result) = lines(text, cap, *seed, k, None);
    assert_eq!(
        result,
        Ok(k < want.len()),
        "stop at {k}: cap, seed, text {shown:?}"
    );
    assert_eq!(
        seen,
        want[..want.len().min(k + 1)],
        "stop at {k}: cap, seed, text {shown:?}"
    );
    // A read error at read `stop % 8`: passed on, after a prefix of lines.
    let (seen, result) = lines(text, cap, *seed, usize::MAX, Some(k % 8));
    if result.is_ok() {
        assert_eq!(seen, want, "cap, seed, text {shown:?}");
    } else {
        assert_eq!(result, Err(k % 8), "cap, seed, text {shown:?}");
        let prefix = want.iter().zip(&seen).all(|(w, s)| w == s) && seen.len() <= want.len();
        assert!(prefix, "read error at {}: cap, seed, text {shown:?}", k % 8);
    }

    for line in want.iter().copied().chain([text]) {
        let shown = show(line);
        assert_eq!(parse_passwd_line(line), passwd(line), "passwd {shown:?}");
        assert_eq!(parse_group_line(line), group(line), "group {shown:?}");
        assert_eq!(parse_spec(line), spec(line), "spec {shown:?}");
    }
});

/// Runs `for_each_line` over `text` with reads of random sizes; stops at
/// line `stop`; makes read number `fail` (counting from 0) an error.
fn lines(
    text: &[u8],
    cap: usize,
    seed: u8,
    stop: usize,
    fail: Option<usize>,
) -> (Vec<Vec<u8>>, Result<bool, usize>) {
    let mut rng = XorShift(u64::from(seed) + 1);
    let mut buf = vec![0u8; cap];
    let mut at = 0;
    let mut reads = 0;
    let mut seen = Vec::new();
    let result = for_each_line(
        &mut buf,
        |into: &mut [u8]| {
            assert!(!into.is_empty(), "asked to read into nothing");
            if Some(reads) == fail {
                return Err(reads);
            }
            reads += 1;
            // Short reads of every size, full ones now and then.
            let n = match rng.below(4) {
                0 => into.len(),
                _ => 1 + rng.below(into.len()),
            };
            let n = n.min(text.len() - at);
            into[..n].copy_from_slice(&text[at..at + n]);
            at += n;
            Ok(n)
        },
        |line| {
            assert!(line.len() <= cap);
            seen.push(line.to_vec());
            seen.len() - 1 == stop
        },
    );
    (seen, result)
}

/// A name field: not empty, not a `#` comment, no NUL.
fn name_ok(name: &[u8]) -> bool {
    !name.is_empty() && name[0] != b'#' && !name.contains(&0)
}

fn passwd(line: &[u8]) -> Option<PasswdEntry<'_>> {
    let fields: Vec<&[u8]> = line.split(|&b| b == b':').collect();
    let [name, _password, uid, gid, ..] = fields[..] else {
        return None;
    };
    let entry = PasswdEntry {
        name,
        uid: digits(uid)?,
        gid: digits(gid)?,
    };
    name_ok(name).then_some(entry)
}

fn group(line: &[u8]) -> Option<GroupEntry<'_>> {
    let fields: Vec<&[u8]> = line.split(|&b| b == b':').collect();
    let [name, _password, gid, _members, ..] = fields[..] else {
        return None;
    };
    let entry = GroupEntry {
        name,
        gid: digits(gid)?,
    };
    name_ok(name).then_some(entry)
}

/// One part of a `--user` spec.
fn id(part: &[u8]) -> Option<Id<'_>> {
    if part.is_empty() || part.len() > MAX_NAME_BYTES {
        return None;
    }
    if part.iter().all(u8::is_ascii_digit) {
        return digits::<u32>(part)
            .filter(|&n| n != u32::MAX)
            .map(Id::Number);
    }
    (!part.contains(&b'\n') && !part.contains(&0)).then_some(Id::Name(part))
}

fn spec(s: &[u8]) -> Option<UserSpec<'_>> {
    let parts: Vec<&[u8]> = s.split(|&b| b == b':').collect();
    match parts[..] {
        [user] => Some(UserSpec {
            user: id(user)?,
            group: None,
        }),
        [user, group] => Some(UserSpec {
            user: id(user)?,
            group: Some(id(group)?),
        }),
        _ => None,
    }
}
