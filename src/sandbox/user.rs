//! Who the server runs as, pure: the `--user NAME|UID[:GROUP|GID]` option,
//! and the lines of `/etc/passwd` and `/etc/group` (passwd(5), group(5))
//! that turn names into ids. Byte loops over borrowed slices, no panic on
//! any input; the files are read by the caller, a chunk at a time, through
//! `for_each_line`, so a file of any length needs only a fixed buffer.

/// A user or group as given on the command line: a name, or a number
/// (all digits, as chown(1) reads them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Id<'a> {
    Name(&'a [u8]),
    Number(u32),
}

/// `--user USER[:GROUP]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserSpec<'a> {
    pub user: Id<'a>,
    /// None: the user's primary group.
    pub group: Option<Id<'a>>,
}

/// The user the server switches to when started as root and no `--user`
/// is given, as nginx's `user nobody` and darkhttpd's `--uid`.
pub const DEFAULT_USER: &[u8] = b"nobody";

/// The uid and gid of `nobody` where `/etc/passwd` has no such user (a
/// `FROM scratch` image has no `/etc` at all): 65534, the overflow id
/// (Documentation/admin-guide/sysctl/fs.rst, `overflowuid`).
pub const NOBODY_ID: u32 = 65534;

/// The longest user or group name accepted: the shadow tools refuse names
/// over 32 bytes (useradd(8), `LOGIN_NAME_MAX` 256 is the outer bound).
pub const MAX_NAME_BYTES: usize = 256;

/// Parses `--user`'s value; None when it is malformed (empty parts, more
/// than one `:`, a NUL or a newline, a number out of range, a name that
/// is too long).
pub fn parse_spec(s: &[u8]) -> Option<UserSpec<'_>> {
    let (user, group) = match s.iter().position(|&b| b == b':') {
        Some(colon) => {
            let (user, rest) = s.split_at_checked(colon)?;
            (user, Some(rest.get(1..)?))
        }
        None => (s, None),
    };
    Some(UserSpec {
        user: parse_id(user)?,
        group: match group {
            Some(g) => Some(parse_id(g)?),
            None => None,
        },
    })
}

/// A name or a number. `u32::MAX` is `(uid_t) -1`, which setresuid(2)
/// reads as "leave unchanged": never a valid id.
fn parse_id(s: &[u8]) -> Option<Id<'_>> {
    if s.is_empty() || s.len() > MAX_NAME_BYTES {
        return None;
    }
    if s.iter().all(u8::is_ascii_digit) {
        return match decimal(s)? {
            u32::MAX => None,
            n => Some(Id::Number(n)),
        };
    }
    if s.iter().any(|&b| b == b':' || b == b'\n' || b == 0) {
        return None;
    }
    Some(Id::Name(s))
}

/// A decimal u32, digits only.
fn decimal(s: &[u8]) -> Option<u32> {
    if s.is_empty() {
        return None;
    }
    let mut n: u32 = 0;
    for &b in s {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u32::from(b - b'0'))?;
    }
    Some(n)
}

/// The fields of a passwd(5) line this server needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PasswdEntry<'a> {
    pub name: &'a [u8],
    pub uid: u32,
    pub gid: u32,
}

/// `name:password:uid:gid:gecos:home:shell`; None for a comment, a blank
/// or malformed line (fewer fields, an id that is not a number). Only the
/// first four fields are read, so a line cut short after them (by the
/// caller's line limit) still parses.
pub fn parse_passwd_line(line: &[u8]) -> Option<PasswdEntry<'_>> {
    let mut fields = line.split(|&b| b == b':');
    let name = fields.next().filter(|n| valid_name(n))?;
    let _password = fields.next()?;
    let uid = decimal(fields.next()?)?;
    let gid = decimal(fields.next()?)?;
    Some(PasswdEntry { name, uid, gid })
}

/// The fields of a group(5) line this server needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GroupEntry<'a> {
    pub name: &'a [u8],
    pub gid: u32,
}

/// `name:password:gid:members`; None for a comment, a blank or malformed
/// line. The member list (which can be long) is not read.
pub fn parse_group_line(line: &[u8]) -> Option<GroupEntry<'_>> {
    let mut fields = line.split(|&b| b == b':');
    let name = fields.next().filter(|n| valid_name(n))?;
    let _password = fields.next()?;
    let gid = decimal(fields.next()?)?;
    // A gid field must be followed by the member list's separator.
    fields.next()?;
    Some(GroupEntry { name, gid })
}

/// A name field: not empty, not a comment (`#`, which some tools allow),
/// no NUL.
fn valid_name(name: &[u8]) -> bool {
    !name.is_empty() && !name.starts_with(b"#") && !name.contains(&0)
}

/// Calls `line` with every line of a file that `read` returns a chunk at
/// a time (0 at its end), using `buf` to hold a line that spans chunks.
/// A line longer than `buf` is passed on cut to `buf.len()` bytes (the
/// fields this module reads come first), and the rest of it is skipped.
/// Stops early when `line` returns true, and returns that; a read error
/// is returned as is.
pub fn for_each_line<E>(
    buf: &mut [u8],
    mut read: impl FnMut(&mut [u8]) -> Result<usize, E>,
    mut line: impl FnMut(&[u8]) -> bool,
) -> Result<bool, E> {
    // `buf[..held]` is the start of the current line; `skipping` means the
    // line overflowed and was already passed on.
    let mut held = 0;
    let mut skipping = false;
    loop {
        let free = buf.get_mut(held..).unwrap_or_default();
        if free.is_empty() {
            // The line fills the buffer: pass on what fits, skip the rest.
            if !skipping && line(buf) {
                return Ok(true);
            }
            skipping = true;
            held = 0;
            continue;
        }
        let n = read(free)?;
        if n == 0 {
            let last = buf.get(..held).unwrap_or_default();
            return Ok(!skipping && !last.is_empty() && line(last));
        }
        let end = held + n;
        let mut start = 0;
        let filled = buf.get(..end).unwrap_or_default();
        while let Some(nl) = filled
            .get(start..)
            .and_then(|rest| rest.iter().position(|&b| b == b'\n'))
        {
            let text = filled.get(start..start + nl).unwrap_or_default();
            if !skipping && line(text) {
                return Ok(true);
            }
            skipping = false;
            start += nl + 1;
        }
        held = end - start;
        if start > 0 {
            for i in 0..held {
                if let Some(&b) = buf.get(start + i)
                    && let Some(dst) = buf.get_mut(i)
                {
                    *dst = b;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs() {
        fn spec(s: &str) -> Option<UserSpec<'_>> {
            parse_spec(s.as_bytes())
        }
        assert_eq!(
            spec("nobody"),
            Some(UserSpec {
                user: Id::Name(b"nobody"),
                group: None
            })
        );
        assert_eq!(
            spec("1000:100"),
            Some(UserSpec {
                user: Id::Number(1000),
                group: Some(Id::Number(100))
            })
        );
        assert_eq!(
            spec("www-data:nogroup"),
            Some(UserSpec {
                user: Id::Name(b"www-data"),
                group: Some(Id::Name(b"nogroup"))
            })
        );
        assert_eq!(
            spec("0").map(|s| s.user),
            Some(Id::Number(0)),
            "root by number"
        );
        assert_eq!(
            spec("4294967294").map(|s| s.user),
            Some(Id::Number(u32::MAX - 1))
        );
        for bad in [
            "",
            ":",
            "a:",
            ":b",
            "a:b:c",
            "4294967295",
            "99999999999",
            "a\nb",
            "a\0",
        ] {
            assert_eq!(spec(bad), None, "{bad:?}");
        }
        assert_eq!(parse_spec(&[b'a'; MAX_NAME_BYTES + 1]), None);
        assert!(parse_spec(&[b'a'; MAX_NAME_BYTES]).is_some());
    }

    #[test]
    fn passwd_lines() {
        assert_eq!(
            parse_passwd_line(b"nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin"),
            Some(PasswdEntry {
                name: b"nobody",
                uid: 65534,
                gid: 65534
            })
        );
        // Cut after the gid (a long line truncated by the reader).
        assert_eq!(
            parse_passwd_line(b"a::1:2").map(|e| (e.uid, e.gid)),
            Some((1, 2))
        );
        for bad in [
            &b""[..],
            b"# comment:x:1:2:",
            b"nobody",
            b"nobody:x",
            b"nobody:x:65534",
            b"nobody:x:abc:1:",
            b"nobody:x:1:-1:",
            b"nobody:x:99999999999:1:",
            b":x:1:2:",
            b"+::::::",
            b"no\0body:x:1:2:",
        ] {
            assert_eq!(parse_passwd_line(bad), None, "{:?}", bad);
        }
    }

    #[test]
    fn group_lines() {
        assert_eq!(
            parse_group_line(b"nogroup:x:65534:"),
            Some(GroupEntry {
                name: b"nogroup",
                gid: 65534
            })
        );
        assert_eq!(
            parse_group_line(b"sudo:x:27:alice,bob").map(|g| g.gid),
            Some(27)
        );
        for bad in [
            &b""[..],
            b"nogroup",
            b"nogroup:x:65534",
            b"nogroup:x::",
            b"#x:x:1:",
        ] {
            assert_eq!(parse_group_line(bad), None, "{:?}", bad);
        }
    }

    /// Feeds `text` in chunks of `chunk` bytes through a `cap`-byte buffer.
    fn lines_of(text: &[u8], chunk: usize, cap: usize) -> Vec<Vec<u8>> {
        let mut at = 0;
        let mut buf = vec![0u8; cap];
        let mut seen = Vec::new();
        let stopped = for_each_line(
            &mut buf,
            |into: &mut [u8]| -> Result<usize, ()> {
                let n = chunk.min(into.len()).min(text.len() - at);
                into[..n].copy_from_slice(&text[at..at + n]);
                at += n;
                Ok(n)
            },
            |line| {
                seen.push(line.to_vec());
                false
            },
        );
        assert_eq!(stopped, Ok(false));
        seen
    }

    #[test]
    fn lines_across_chunks_and_overlong_lines() {
        let text = b"root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534::/:/bin/false\nlast";
        let expect: Vec<Vec<u8>> = text.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
        for chunk in 1..=text.len() {
            assert_eq!(lines_of(text, chunk, 64), expect, "chunk {chunk}");
        }
        // A 100-byte line through a 16-byte buffer comes out cut to 16.
        let mut long = b"biggroup:x:7:".to_vec();
        long.extend(std::iter::repeat_n(b'm', 87));
        long.extend_from_slice(b"\nnext:x:8:\n");
        for chunk in [1, 5, 16, 200] {
            let seen = lines_of(&long, chunk, 16);
            assert_eq!(seen, vec![long[..16].to_vec(), b"next:x:8:".to_vec()]);
            assert_eq!(parse_group_line(&seen[0]).map(|g| g.gid), Some(7));
        }
        assert!(lines_of(b"", 4, 8).is_empty());
        assert_eq!(lines_of(b"\n\n", 4, 8), vec![b"".to_vec(), b"".to_vec()]);
    }

    #[test]
    fn stops_when_found_and_passes_errors() {
        let mut buf = [0u8; 32];
        let mut text: &[u8] = b"a:x:1:1\nb:x:2:2\nc:x:3:3\n";
        let mut count = 0;
        let found = for_each_line(
            &mut buf,
            |into: &mut [u8]| -> Result<usize, ()> {
                let n = into.len().min(text.len());
                into[..n].copy_from_slice(&text[..n]);
                text = &text[n..];
                Ok(n)
            },
            |line| {
                count += 1;
                line.starts_with(b"b:")
            },
        );
        assert_eq!((found, count), (Ok(true), 2));
        let failed = for_each_line(&mut buf, |_| Err(5), |_| false);
        assert_eq!(failed, Err(5));
    }

    /// Random bytes never panic any parser, and every line handed out is
    /// at most the buffer's length.
    #[test]
    fn random_input_never_panics() {
        let mut rng = crate::testing::XorShift(7);
        for _ in 0..20_000 {
            let len = rng.below(64);
            let bytes: Vec<u8> = (0..len).map(|_| rng.pick(b"ab0123456789:\n#x\0")).collect();
            let _ = parse_spec(&bytes);
            let _ = parse_passwd_line(&bytes);
            let _ = parse_group_line(&bytes);
            let cap = 1 + rng.below(16);
            for line in lines_of(&bytes, 1 + rng.below(8), cap) {
                assert!(line.len() <= cap);
            }
        }
    }
}
