//! tar headers for whole-folder downloads: formatting one member's header
//! blocks, a POSIX pax extended header (typeflag `x`) when the plain ustar
//! header cannot hold the member, then the ustar header itself. A pure
//! function over a caller-owned buffer; no I/O. The format is IEEE 1003.1
//! `pax`, "ustar Interchange Format" (the 512-byte header block, its octal
//! fields and checksum) and "pax Interchange Format" (the `%d %s=%s\n`
//! records of an extended header that override the ustar fields).
//!
//! The walk formats every header once to learn its length (the exact
//! `Content-Length`), and the stream formats it again to send it: the
//! same code gives both, so they always agree.

use crate::buf::Buf;
use crate::fs::path::MAX_PATH_BYTES;

/// One archive member, as the header describes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Member<'a> {
    /// Archive name, `top/sub/file`; no trailing slash (added for
    /// directories here), no NUL.
    pub path: &'a [u8],
    /// A directory (typeflag `5`); otherwise a regular file (typeflag `0`).
    pub dir: bool,
    /// Permission bits (`st_mode & 0o7777`).
    pub mode: u32,
    /// Last modification, Unix seconds.
    pub mtime: i64,
    /// Body bytes; 0 for directories (a directory's header says 0 whatever
    /// this is).
    pub size: u64,
}

/// Bytes of one tar block: every header and every body is padded to a
/// multiple of it ("ustar Interchange Format": the archive is a series of
/// 512-octet blocks).
pub const BLOCK_BYTES: usize = 512;

/// The longest member path the walk produces and `MAX_HEADER_BYTES` has
/// room for: the longest request path, as a member's source is opened by it.
pub const MAX_TAR_PATH_BYTES: usize = MAX_PATH_BYTES;

/// Room in an extended header beyond the path itself: the path record's
/// length, key, `=`, trailing `/` and newline (13 bytes), `hdrcharset`
/// (21), `size` (31) and `mtime` (32) records, rounded up generously.
const PAX_RECORDS_SLACK_BYTES: usize = 256;

/// The most bytes `header` writes for one member with a path of at most
/// `MAX_TAR_PATH_BYTES`: the pax header block, its records padded to a
/// block, and the ustar block. The caller's buffer has this size.
pub const MAX_HEADER_BYTES: usize = 2 * BLOCK_BYTES
    + (MAX_TAR_PATH_BYTES + PAX_RECORDS_SLACK_BYTES).div_ceil(BLOCK_BYTES) * BLOCK_BYTES;

/// Two zero blocks end the archive ("ustar Interchange Format": "At the
/// end of the archive file there shall be two 512-octet blocks filled with
/// binary zeros").
pub const TRAILER_BYTES: u64 = 1024;

/// The largest value of the 12-byte `size` and `mtime` fields: 11 octal
/// digits and a NUL. Larger sizes (8 GiB and up) and times (after 2242),
/// and negative times, go in pax `size` and `mtime` records.
const USTAR_MAX_NUMBER: u64 = 0o777_7777_7777;

/// Field offsets in the ustar header block ("ustar Interchange Format",
/// the `ustar` header table), and the widths this code needs.
const NAME: usize = 0;
const NAME_BYTES: usize = 100;
const MODE: usize = 100;
const UID: usize = 108;
const GID: usize = 116;
const SIZE: usize = 124;
const MTIME: usize = 136;
const CHKSUM: usize = 148;
const TYPEFLAG: usize = 156;
const MAGIC: usize = 257;
const DEVMAJOR: usize = 329;
const DEVMINOR: usize = 337;
const PREFIX: usize = 345;
const PREFIX_BYTES: usize = 155;

/// `magic` "ustar" NUL and `version` "00", which follow it directly.
const MAGIC_VERSION: &[u8] = b"ustar\x0000";

/// Typeflags: regular file, directory, pax extended header for the next
/// member.
const REGTYPE: u8 = b'0';
const DIRTYPE: u8 = b'5';
const XHDTYPE: u8 = b'x';

/// The name of every extended header. Readers that know pax never use it;
/// one that does not would extract a small file by this name (the name
/// Python's tarfile writes). Fixed, so the same tree gives the same bytes.
const PAX_HEADER_NAME: &[u8] = b"././@PaxHeader";

/// The record saying the path is raw bytes, not UTF-8 ("pax Interchange
/// Format": hdrcharset), with its length (21) written out.
const HDRCHARSET_BINARY: &[u8] = b"21 hdrcharset=BINARY\n";

/// Permission bits of the extended header's own ustar block.
const PAX_HEADER_MODE: u32 = 0o644;

/// Zero bytes after a body of `size` bytes, up to the next block boundary.
pub fn padding(size: u64) -> u64 {
    size.wrapping_neg() % BLOCK_BYTES as u64
}

/// Writes the member's header blocks to the start of `out`: a pax
/// extended header first when ustar cannot hold the member (a path that
/// does not fit the name/prefix split or is not plain ASCII, a size of
/// 8 GiB or more, a negative or far-future mtime), then the ustar header:
/// magic `ustar`, version `00`, typeflag `0` or `5`, a directory's name
/// ending in `/`, uid and gid 0, uname and gname empty. Returns the bytes
/// written, a multiple of 512; 0 when the records do not fit (a path over
/// `MAX_TAR_PATH_BYTES` may not).
pub fn header(m: &Member, out: &mut [u8; MAX_HEADER_BYTES]) -> usize {
    out.fill(0);
    let Some((pax, area)) = out.split_first_chunk_mut::<BLOCK_BYTES>() else {
        return 0;
    };
    let mut records = Buf::new(area);
    let slash_at = split(m.path, m.dir);
    // A path that is not UTF-8 is raw bytes ("pax Interchange Format":
    // hdrcharset, the encoding of `path`); written first, before the path
    // it describes.
    if core::str::from_utf8(m.path).is_err() {
        records.push(HDRCHARSET_BINARY);
    }
    if m.path.iter().any(|&b| b >= 0x80) || slash_at.is_none() {
        let slash: &[u8] = if m.dir { b"/" } else { b"" };
        record(&mut records, b"path", m.path, slash);
    }
    let size = if m.dir { 0 } else { m.size };
    let mtime = u64::try_from(m.mtime).unwrap_or(0);
    let numbers = [
        (&b"size"[..], size > USTAR_MAX_NUMBER, false, size),
        (
            b"mtime",
            m.mtime < 0 || mtime > USTAR_MAX_NUMBER,
            m.mtime < 0,
            m.mtime.unsigned_abs(),
        ),
    ];
    for (key, needed, negative, n) in numbers {
        if needed {
            let mut mem = [0u8; 24];
            let mut value = Buf::new(&mut mem);
            if negative {
                value.byte(b'-');
            }
            value.u64(n);
            record(&mut records, key, value.as_bytes(), b"");
        }
    }
    let (records_len, overflowed) = (records.len(), records.overflowed());
    // The ustar block follows the records, padded to a block.
    let at = match records_len {
        0 => 0,
        n => BLOCK_BYTES + n + padding(n as u64) as usize,
    };
    if overflowed {
        return 0;
    }
    if at > 0 {
        let len = records_len as u64;
        ustar(pax, PAX_HEADER_NAME, b"", XHDTYPE, PAX_HEADER_MODE, len, 0);
    }
    let (prefix, name) = match slash_at {
        Some(n) if n > 0 => (
            m.path.get(..n).unwrap_or_default(),
            m.path.get(n + 1..).unwrap_or_default(),
        ),
        // Only for readers without pax when None: the path record holds
        // the name.
        _ => (&b""[..], m.path),
    };
    let Some(main) = out.get_mut(at..).and_then(|s| s.first_chunk_mut()) else {
        return 0;
    };
    // A reader takes the pax size only when the ustar one is 0 (the `tar`
    // crate does), and every reader takes the pax mtime over this one.
    let size = if size > USTAR_MAX_NUMBER { 0 } else { size };
    let mtime = mtime.min(USTAR_MAX_NUMBER);
    let typeflag = if m.dir { DIRTYPE } else { REGTYPE };
    ustar(main, name, prefix, typeflag, m.mode & 0o7777, size, mtime);
    at + BLOCK_BYTES
}

/// Where a path goes in the ustar `prefix` and `name` fields: the offset
/// of the `/` between them, or 0 when the whole path fits `name`. A
/// directory's name takes one more byte, its `/`. A reader joins a
/// non-empty prefix and the name with `/` ("ustar Interchange Format"), so
/// the split is at a `/` of the path, with a non-empty prefix and a
/// non-empty name. None: only pax can hold it.
fn split(path: &[u8], dir: bool) -> Option<usize> {
    let full = path.len() + usize::from(dir);
    if full <= NAME_BYTES {
        return Some(0);
    }
    (1..=PREFIX_BYTES).find(|&at| {
        path.get(at) == Some(&b'/') && at + 1 < path.len() && full - at - 1 <= NAME_BYTES
    })
}

/// Fills a zeroed 512-byte `block` with a ustar header. The name and prefix are
/// cut to their fields (the caller split them to fit, or sends the whole
/// path in a pax record), and a directory's name gets its `/` when there
/// is room; numbers are 0-padded octal, NUL-terminated, as GNU tar and
/// Python write them.
fn ustar(
    block: &mut [u8; BLOCK_BYTES],
    name: &[u8],
    prefix: &[u8],
    typeflag: u8,
    mode: u32,
    size: u64,
    mtime: u64,
) {
    if let Some(field) = block.get_mut(NAME..NAME + NAME_BYTES) {
        let n = crate::buf::copy(field, name);
        if typeflag == DIRTYPE
            && let Some(slot) = field.get_mut(n)
        {
            *slot = b'/';
        }
    }
    let prefix_field = block.get_mut(PREFIX..PREFIX + PREFIX_BYTES);
    crate::buf::copy(prefix_field.unwrap_or_default(), prefix);
    octal(block, MODE, 8, u64::from(mode));
    octal(block, UID, 8, 0);
    octal(block, GID, 8, 0);
    octal(block, SIZE, 12, size);
    octal(block, MTIME, 12, mtime);
    octal(block, DEVMAJOR, 8, 0);
    octal(block, DEVMINOR, 8, 0);
    if let Some(flag) = block.get_mut(TYPEFLAG) {
        *flag = typeflag;
    }
    crate::buf::copy(block.get_mut(MAGIC..).unwrap_or_default(), MAGIC_VERSION);
    // The checksum is the sum of the block's bytes as unsigned, its own
    // field taken as eight spaces; written as six octal digits, a NUL and a
    // space ("ustar Interchange Format"; at most 512 * 255, which fits).
    let sum = block
        .iter()
        .fold(8 * u64::from(b' '), |sum, &b| sum + u64::from(b));
    octal(block, CHKSUM, 7, sum);
    if let Some(space) = block.get_mut(CHKSUM + 7) {
        *space = b' ';
    }
}

/// Writes `value` in octal into the `width` bytes of `block` at `at`,
/// 0-padded to all but the last byte, which stays NUL (the caller makes
/// sure the value fits).
fn octal(block: &mut [u8; BLOCK_BYTES], at: usize, width: usize, mut value: u64) {
    for i in (at..at + width - 1).rev() {
        if let Some(d) = block.get_mut(i) {
            *d = b'0' + (value & 7) as u8;
        }
        value >>= 3;
    }
}

/// Writes one extended header record, `<length> <key>=<value><tail>\n`,
/// whose length counts its own digits ("pax Interchange Format", "pax
/// Extended Header").
fn record(out: &mut Buf, key: &[u8], value: &[u8], tail: &[u8]) {
    // The space, `=` and newline, then one digit to start with: while the
    // length has more digits than counted, count one more.
    let mut len = key.len() + value.len() + tail.len() + 4;
    let mut ten_to_digits = 10;
    while len >= ten_to_digits {
        len += 1;
        ten_to_digits *= 10;
    }
    out.u64(len as u64)
        .byte(b' ')
        .push(key)
        .byte(b'=')
        .push(value)
        .push(tail)
        .byte(b'\n');
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::XorShift;
    use std::io::Read;

    fn write(m: &Member) -> Vec<u8> {
        let mut mem = [0xa5u8; MAX_HEADER_BYTES];
        let n = header(m, &mut mem);
        assert!(n > 0, "{m:?}");
        assert_eq!(n % BLOCK_BYTES, 0);
        mem[..n].to_vec()
    }

    /// The pax `mtime` when there is one, else the ustar field.
    fn mtime_of<R: Read>(e: &mut tar::Entry<R>) -> i64 {
        if let Ok(Some(exts)) = e.pax_extensions() {
            for ext in exts {
                let ext = ext.unwrap();
                if ext.key() == Ok("mtime") {
                    return ext.value().unwrap().parse().unwrap();
                }
            }
        }
        e.header().mtime().unwrap() as i64
    }

    /// Parses `m`'s header (and a body of zeros, when small) with the `tar`
    /// crate and compares everything the header says.
    fn check_with_oracle(m: &Member) {
        let mut bytes = write(m);
        let with_body = m.dir || m.size < 1 << 20;
        if with_body {
            let body = if m.dir { 0 } else { m.size };
            bytes.resize(bytes.len() + (body + padding(body)) as usize, 0);
            bytes.resize(bytes.len() + TRAILER_BYTES as usize, 0);
        }
        let mut archive = tar::Archive::new(&bytes[..]);
        let mut entries = archive.entries().unwrap();
        let mut e = entries
            .next()
            .unwrap()
            .unwrap_or_else(|err| panic!("{m:?}: {err}"));
        let path = e.path_bytes().into_owned();
        let want_path: Vec<u8> = if m.dir {
            [m.path, b"/"].concat()
        } else {
            m.path.to_vec()
        };
        assert_eq!(path, want_path, "{m:?}");
        let ty = e.header().entry_type();
        assert_eq!(ty.is_dir(), m.dir, "{m:?}");
        assert_eq!(ty.is_file(), !m.dir, "{m:?}");
        assert_eq!(e.size(), if m.dir { 0 } else { m.size }, "{m:?}");
        assert_eq!(e.header().mode().unwrap(), m.mode & 0o7777, "{m:?}");
        assert_eq!(e.header().uid().unwrap(), 0);
        assert_eq!(e.header().as_ustar().map(|u| &u.magic), Some(b"ustar\0"));
        assert_eq!(mtime_of(&mut e), m.mtime, "{m:?}");
        if with_body {
            drop(e);
            assert!(entries.next().is_none(), "{m:?}");
        }
    }

    fn member(path: &[u8], dir: bool, size: u64, mtime: i64) -> Member<'_> {
        Member {
            path,
            dir,
            mode: if dir { 0o755 } else { 0o644 },
            mtime,
            size: if dir { 0 } else { size },
        }
    }

    const SIZES: &[u64] = &[
        0,
        1,
        511,
        512,
        513,
        4096,
        USTAR_MAX_NUMBER,
        USTAR_MAX_NUMBER + 1,
        8 << 30,
        1 << 40,
        // The largest `st_size`; the `tar` crate refuses sizes whose padded
        // length overflows u64.
        i64::MAX as u64,
    ];
    const MTIMES: &[i64] = &[
        0,
        1,
        -1,
        1_700_000_000,
        USTAR_MAX_NUMBER as i64,
        USTAR_MAX_NUMBER as i64 + 1,
        -12_345_678_901,
        i64::MIN,
        i64::MAX,
    ];

    #[test]
    fn table_of_paths_sizes_and_times() {
        let long = |n: usize| vec![b'n'; n];
        let mut paths: Vec<Vec<u8>> = vec![
            b"top".to_vec(),
            b"top/file.txt".to_vec(),
            "top/caf\u{e9}/\u{65e5}\u{672c}.txt".into(),
            b"top/\xff\xfe/bad".to_vec(),
            b"top/with space/and\nnewline".to_vec(),
            [&b"top/"[..], &long(150)].concat(),
            [&b"top/"[..], &long(300)].concat(),
            [&long(154)[..], b"/", &long(100)].concat(),
            [&long(155)[..], b"/", &long(99)].concat(),
            [&long(155)[..], b"/", &long(100)].concat(),
            [&long(156)[..], b"/", &long(10)].concat(),
            [&long(100)[..], b"/", &long(100)].concat(),
            [&long(50)[..], b"/", &long(50)[..], b"/", &long(60)].concat(),
            long(MAX_TAR_PATH_BYTES),
        ];
        for n in 95..=105 {
            paths.push(long(n));
            paths.push([&b"top/"[..], &long(n - 4)].concat());
        }
        for path in &paths {
            for dir in [false, true] {
                for &size in SIZES {
                    check_with_oracle(&member(path, dir, size, 1_700_000_000));
                }
                for &mtime in MTIMES {
                    check_with_oracle(&member(path, dir, 1, mtime));
                }
            }
        }
        // Record lengths around a change in digit count.
        for n in 80..130 {
            check_with_oracle(&member(&long(n + 300), false, 0, 0));
            check_with_oracle(&member(&long(n + 900), true, 0, -1));
        }
    }

    #[test]
    fn plain_ustar_when_it_fits() {
        let m = member(b"top/a.txt", false, 5, 1_700_000_000);
        let h = write(&m);
        assert_eq!(h.len(), BLOCK_BYTES);
        assert_eq!(&h[..10], b"top/a.txt\0");
        assert_eq!(&h[100..108], b"0000644\0");
        assert_eq!(&h[124..136], b"00000000005\0");
        assert_eq!(h[156], b'0');
        assert_eq!(&h[257..265], b"ustar\x0000");
        let d = write(&member(b"top", true, 0, 0));
        assert_eq!(&d[..5], b"top/\0");
        assert_eq!(d[156], b'5');
        // Split into prefix and name, no pax.
        let path = [&[b'p'; 150][..], b"/", &[b'n'; 99]].concat();
        let h = write(&member(&path, true, 0, 0));
        assert_eq!(h.len(), BLOCK_BYTES);
        assert_eq!(&h[..100], [&[b'n'; 99][..], b"/"].concat());
        assert_eq!(&h[345..495], &[b'p'; 150]);
        // UTF-8 goes through pax even when short.
        let h = write(&member("top/\u{e9}".as_bytes(), false, 0, 0));
        assert_eq!(h.len(), 3 * BLOCK_BYTES);
        assert_eq!(h[156], b'x');
        assert!(h[512..].starts_with(b"15 path=top/\xc3\xa9\n\0"));
    }

    #[test]
    fn random_members_parse_back() {
        let segments: &[&[u8]] = &[
            b"a",
            b"sub",
            b"file.txt",
            "\u{e9}t\u{e9}".as_bytes(),
            "\u{1f600}".as_bytes(),
            b"\xff",
            &[b'x'; 40],
            &[b'y'; 99],
            &[b'z'; 100],
            &[b'w'; 154],
            &[b'v'; 255],
        ];
        let mut rng = XorShift(0x1234_5678_9abc_def1);
        for _ in 0..4000 {
            let mut path = b"top".to_vec();
            for _ in 0..rng.below(6) {
                path.push(b'/');
                path.extend_from_slice(rng.pick(segments));
            }
            path.truncate(MAX_TAR_PATH_BYTES);
            while path.last() == Some(&b'/') {
                path.pop();
            }
            let dir = rng.below(4) == 0;
            let m = Member {
                path: &path,
                dir,
                mode: rng.next() as u32,
                mtime: match rng.below(3) {
                    0 => rng.pick(MTIMES),
                    1 => rng.next() as i64,
                    _ => rng.below_u64(1 << 34) as i64,
                },
                size: if dir {
                    0
                } else {
                    match rng.below(3) {
                        0 => rng.pick(SIZES),
                        1 => rng.below_u64(2000),
                        _ => rng.next() >> (1 + rng.below(63)),
                    }
                },
            };
            check_with_oracle(&m);
        }
    }

    #[test]
    fn a_path_past_the_limit_writes_nothing() {
        for len in [MAX_TAR_PATH_BYTES + 600, MAX_TAR_PATH_BYTES + 2000] {
            let path = vec![b'n'; len];
            let mut mem = [0u8; MAX_HEADER_BYTES];
            assert_eq!(header(&member(&path, true, 0, -5), &mut mem), 0);
        }
    }

    #[test]
    fn padding_to_blocks() {
        for (size, pad) in [(0, 0), (1, 511), (511, 1), (512, 0), (513, 511)] {
            assert_eq!(padding(size), pad);
        }
        assert_eq!(padding(u64::MAX), 1);
        assert_eq!(MAX_HEADER_BYTES % BLOCK_BYTES, 0);
    }

    /// A small archive with real bodies, written to a file and listed by
    /// Python's tarfile and GNU tar, where they are installed.
    #[test]
    fn python_and_gnu_tar_read_it() {
        let dir = std::env::temp_dir().join(format!("httpd-tar-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let long = [&b"top/"[..], &[b'l'; 120], b"/", &[b'm'; 150]].concat();
        let members: Vec<(Member, Vec<u8>)> = vec![
            (member(b"top", true, 0, 1_700_000_000), vec![]),
            (
                member(b"top/a.txt", false, 5, 1_600_000_000),
                b"hello".to_vec(),
            ),
            (member(b"top/empty", false, 0, 0), vec![]),
            (
                member("top/\u{e9}t\u{e9}.txt".as_bytes(), false, 513, -1),
                vec![b'e'; 513],
            ),
            (
                member(&long, false, 512, USTAR_MAX_NUMBER as i64 + 7),
                vec![b'x'; 512],
            ),
        ];
        let mut archive = Vec::new();
        for (m, body) in &members {
            archive.extend(write(m));
            archive.extend(body);
            archive.resize(archive.len() + padding(body.len() as u64) as usize, 0);
        }
        archive.resize(archive.len() + TRAILER_BYTES as usize, 0);
        let file = dir.join("a.tar");
        std::fs::write(&file, &archive).unwrap();
        let script = "import sys, tarfile\n\
            for t in tarfile.open(sys.argv[1]):\n\
            \x20   body = t.isfile() and tarfile.open(sys.argv[1]).extractfile(t.name).read().hex()\n\
            \x20   print(t.name.encode().hex(), t.type.decode(), oct(t.mode), t.size, int(t.mtime), body or '')\n";
        if let Ok(out) = std::process::Command::new("python3")
            .args(["-c", script])
            .arg(&file)
            .output()
        {
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let got = String::from_utf8(out.stdout).unwrap();
            let want: String = members
                .iter()
                .map(|(m, body)| {
                    let hex = |b: &[u8]| b.iter().map(|b| format!("{b:02x}")).collect::<String>();
                    let ty = if m.dir { "5" } else { "0" };
                    format!(
                        "{} {ty} {:#o} {} {} {}\n",
                        hex(m.path),
                        m.mode,
                        m.size,
                        m.mtime,
                        if m.dir { String::new() } else { hex(body) }
                    )
                })
                .collect();
            assert_eq!(got, want);
        }
        if let Ok(out) = std::process::Command::new("tar")
            .arg("-tvf")
            .arg(&file)
            .output()
        {
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                out.stderr.is_empty(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let listing = String::from_utf8_lossy(&out.stdout);
            assert_eq!(listing.lines().count(), members.len(), "{listing}");
            assert!(listing.contains(std::str::from_utf8(&long).unwrap()));
            assert!(
                listing.contains("-rw-r--r-- 0/0             513 1969-12-31 23:59")
                    || listing.contains(" 513 "),
                "{listing}"
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
