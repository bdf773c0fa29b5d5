//! tar headers for whole-folder downloads: formatting one member's header
//! blocks, a POSIX pax extended header (typeflag `x`) when the plain ustar
//! header cannot hold the member, then the ustar header itself. Pure
//! functions over caller-owned buffers; no I/O. The format is IEEE 1003.1
//! `pax`, "ustar Interchange Format" (the 512-byte header block, its octal
//! fields and checksum) and "pax Interchange Format" (the `%d %s=%s\n`
//! records of an extended header that override the ustar fields).
//!
//! Every length here is computed before anything is written, by the same
//! code that writes, so `header_len` always equals what `header` writes:
//! the caller announces an exact `Content-Length` from one and streams
//! the other.

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

/// `n` rounded up to a whole number of blocks (for constants).
const fn blocks_bytes(n: usize) -> usize {
    n.div_ceil(BLOCK_BYTES) * BLOCK_BYTES
}

/// The most bytes `header` writes for one member with a path of at most
/// `MAX_TAR_PATH_BYTES`: the pax header block, its records padded to a
/// block, and the ustar block. The caller sizes its buffer with it.
pub const MAX_HEADER_BYTES: usize =
    2 * BLOCK_BYTES + blocks_bytes(MAX_TAR_PATH_BYTES + PAX_RECORDS_SLACK_BYTES);

/// Two zero blocks end the archive ("ustar Interchange Format": "At the
/// end of the archive file there shall be two 512-octet blocks filled with
/// binary zeros").
pub const TRAILER_BYTES: u64 = 1024;

/// The largest value of the 12-byte `size` and `mtime` fields: 11 octal
/// digits and a NUL. Larger sizes (8 GiB and up) and times (after 2242),
/// and negative times, go in pax `size` and `mtime` records.
const USTAR_MAX_NUMBER: u64 = 0o777_7777_7777;

/// Field positions and widths in the ustar header block ("ustar
/// Interchange Format", the `ustar` header table), as (offset, bytes).
const NAME: (usize, usize) = (0, 100);
const MODE: (usize, usize) = (100, 8);
const UID: (usize, usize) = (108, 8);
const GID: (usize, usize) = (116, 8);
const SIZE: (usize, usize) = (124, 12);
const MTIME: (usize, usize) = (136, 12);
const CHKSUM: (usize, usize) = (148, 8);
const TYPEFLAG: (usize, usize) = (156, 1);
const MAGIC: (usize, usize) = (257, 8);
const DEVMAJOR: (usize, usize) = (329, 8);
const DEVMINOR: (usize, usize) = (337, 8);
const PREFIX: (usize, usize) = (345, 155);

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

/// Permission bits of the extended header's own ustar block.
const PAX_HEADER_MODE: u32 = 0o644;

/// Zero bytes after a body of `size` bytes, up to the next block boundary.
pub fn padding(size: u64) -> u64 {
    size.wrapping_neg() % BLOCK_BYTES as u64
}

/// The bytes `header` writes for `m`.
pub fn header_len(m: &Member) -> u64 {
    blocks_len(records(m, &mut Buf::new(&mut []))) as u64
}

/// The header's bytes when its extended header's records take
/// `records_len` bytes (0: no extended header).
fn blocks_len(records_len: usize) -> usize {
    match records_len {
        0 => BLOCK_BYTES,
        n => (2 * BLOCK_BYTES).saturating_add(n.saturating_add(padding(n as u64) as usize)),
    }
}

/// Writes the member's header blocks to `out`: a pax extended header
/// first when ustar cannot hold the member (a path that does not fit the
/// name/prefix split or is not plain ASCII, a size of 8 GiB or more, a
/// negative or far-future mtime), then the ustar header: magic `ustar`,
/// version `00`, typeflag `0` or `5`, a directory's name ending in `/`,
/// uid and gid 0, uname and gname empty. Returns the bytes written,
/// `header_len(m)`, a multiple of 512; 0, writing nothing, when `out` has
/// less room than that.
pub fn header(m: &Member, out: &mut Buf) -> usize {
    let records_len = records(m, &mut Buf::new(&mut []));
    let len = blocks_len(records_len);
    let Some(dst) = out.spare().get_mut(..len) else {
        return 0;
    };
    dst.fill(0);
    let Some((extended, main)) = dst.split_at_mut_checked(len.saturating_sub(BLOCK_BYTES)) else {
        return 0;
    };
    if let Some((block, area)) = extended.split_at_mut_checked(BLOCK_BYTES) {
        let pax = Fields {
            name: PAX_HEADER_NAME,
            slash: false,
            prefix: b"",
            mode: PAX_HEADER_MODE,
            size: records_len as u64,
            mtime: 0,
            typeflag: XHDTYPE,
        };
        ustar(block, &pax);
        records(m, &mut Buf::new(area));
    }
    let size = if m.dir { 0 } else { m.size };
    // A reader takes the pax size only when the ustar one is 0 (the `tar`
    // crate does), and every reader takes the pax mtime over this one.
    let size = if size > USTAR_MAX_NUMBER { 0 } else { size };
    let mtime = u64::try_from(m.mtime).unwrap_or(0).min(USTAR_MAX_NUMBER);
    let (prefix, name, slash) = match split(m.path, m.dir) {
        Some((prefix_len, name_at)) => (
            m.path.get(..prefix_len).unwrap_or_default(),
            m.path.get(name_at..).unwrap_or_default(),
            m.dir,
        ),
        // Only for readers without pax: the path record holds the name.
        None => (&b""[..], m.path, false),
    };
    let fields = Fields {
        name,
        slash,
        prefix,
        mode: m.mode & 0o7777,
        size,
        mtime,
        typeflag: if m.dir { DIRTYPE } else { REGTYPE },
    };
    ustar(main, &fields);
    out.commit(len);
    len
}

/// Where a path goes in the ustar `prefix` and `name` fields, as (bytes
/// of the prefix, offset where the name starts); `(0, 0)` when the whole
/// path fits `name`. A directory's name takes one more byte, its `/`. A
/// reader joins a non-empty prefix and the name with `/` ("ustar
/// Interchange Format"), so the split is at a `/` of the path, with a
/// non-empty prefix and a non-empty name. None: only pax can hold it.
fn split(path: &[u8], dir: bool) -> Option<(usize, usize)> {
    let full = path.len().saturating_add(usize::from(dir));
    if full <= NAME.1 {
        return Some((0, 0));
    }
    let fits = |(at, &b): (usize, &u8)| {
        b == b'/'
            && at > 0
            && at <= PREFIX.1
            && at + 1 < path.len()
            && full.saturating_sub(at + 1) <= NAME.1
    };
    let at = path.iter().enumerate().position(|(at, b)| fits((at, b)))?;
    Some((at, at + 1))
}

/// What goes in one ustar header block.
struct Fields<'a> {
    name: &'a [u8],
    /// Append `/` to the name (a directory).
    slash: bool,
    prefix: &'a [u8],
    mode: u32,
    size: u64,
    mtime: u64,
    typeflag: u8,
}

/// The bytes of `field` in `block` (empty if out of range).
fn field(block: &mut [u8], (at, len): (usize, usize)) -> &mut [u8] {
    block.get_mut(at..at + len).unwrap_or_default()
}

/// Fills a zeroed 512-byte `block` with a ustar header. The name and
/// prefix are cut to their fields (the caller split them to fit, or sends
/// the whole path in a pax record); numbers are 0-padded octal, NUL-
/// terminated, as GNU tar and Python write them.
fn ustar(block: &mut [u8], f: &Fields) {
    let name = field(block, NAME);
    let n = crate::buf::copy(name, f.name);
    if f.slash
        && let Some(slot) = name.get_mut(n)
    {
        *slot = b'/';
    }
    crate::buf::copy(field(block, PREFIX), f.prefix);
    octal(field(block, MODE), u64::from(f.mode));
    octal(field(block, UID), 0);
    octal(field(block, GID), 0);
    octal(field(block, SIZE), f.size);
    octal(field(block, MTIME), f.mtime);
    crate::buf::copy(field(block, TYPEFLAG), &[f.typeflag]);
    crate::buf::copy(field(block, MAGIC), MAGIC_VERSION);
    octal(field(block, DEVMAJOR), 0);
    octal(field(block, DEVMINOR), 0);
    // The checksum is the sum of the block's bytes as unsigned, its own
    // field taken as eight spaces; written as six octal digits, a NUL and a
    // space ("ustar Interchange Format"; at most 512 * 255, which fits).
    let chksum = field(block, CHKSUM);
    chksum.fill(b' ');
    let sum = block.iter().fold(0u64, |sum, &b| sum + u64::from(b));
    octal(field(block, CHKSUM).get_mut(..7).unwrap_or_default(), sum);
}

/// Writes `value` in octal into `dst`, 0-padded to all but its last byte,
/// which stays NUL (the caller makes sure the value fits).
fn octal(dst: &mut [u8], mut value: u64) {
    let Some((nul, digits)) = dst.split_last_mut() else {
        return;
    };
    *nul = 0;
    for d in digits.iter_mut().rev() {
        *d = b'0' + (value & 7) as u8;
        value >>= 3;
    }
}

/// Writes the extended header records `m` needs into `out` and returns
/// their length, 0 when ustar holds `m` alone. The length is counted
/// whether or not `out` has room, so an empty `out` just counts.
fn records(m: &Member, out: &mut Buf) -> usize {
    let mut len = 0usize;
    // A path that is not UTF-8 is raw bytes ("pax Interchange Format":
    // hdrcharset, the encoding of `path`); written first, before the path
    // it describes.
    if core::str::from_utf8(m.path).is_err() {
        len = len.saturating_add(record(out, b"hdrcharset", b"BINARY", b""));
    }
    if !m.path.is_ascii() || split(m.path, m.dir).is_none() {
        let slash: &[u8] = if m.dir { b"/" } else { b"" };
        len = len.saturating_add(record(out, b"path", m.path, slash));
    }
    let mut mem = [0u8; 24];
    if !m.dir && m.size > USTAR_MAX_NUMBER {
        let mut size = Buf::new(&mut mem);
        size.u64(m.size);
        len = len.saturating_add(record(out, b"size", size.as_bytes(), b""));
    }
    if u64::try_from(m.mtime).map_or(true, |t| t > USTAR_MAX_NUMBER) {
        let mut mtime = Buf::new(&mut mem);
        if m.mtime < 0 {
            mtime.byte(b'-');
        }
        mtime.u64(m.mtime.unsigned_abs());
        len = len.saturating_add(record(out, b"mtime", mtime.as_bytes(), b""));
    }
    len
}

/// Writes one record, `<length> <key>=<value><tail>\n`, and returns its
/// length, which counts its own digits ("pax Interchange Format",
/// "pax Extended Header").
fn record(out: &mut Buf, key: &[u8], value: &[u8], tail: &[u8]) -> usize {
    // The space, `=` and newline.
    let body = (key.len() + 3)
        .saturating_add(value.len())
        .saturating_add(tail.len());
    // Adding the length's own digits can add one more digit; at most
    // three rounds settle it.
    let mut len = body;
    for _ in 0..3 {
        len = body.saturating_add(decimal_digits(len as u64));
    }
    out.u64(len as u64)
        .byte(b' ')
        .push(key)
        .byte(b'=')
        .push(value)
        .push(tail)
        .byte(b'\n');
    len
}

/// How many decimal digits `n` has (1 for 0).
fn decimal_digits(mut n: u64) -> usize {
    let mut digits = 1;
    while n >= 10 {
        n /= 10;
        digits += 1;
    }
    digits
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::XorShift;
    use std::io::Read;

    fn write(m: &Member) -> Vec<u8> {
        let mut mem = vec![0xa5u8; MAX_HEADER_BYTES + 100];
        let mut out = Buf::new(&mut mem);
        out.push(b"junk");
        let n = header(m, &mut out);
        assert_eq!(n as u64, header_len(m), "{m:?}");
        assert_eq!(n % BLOCK_BYTES, 0);
        assert_eq!(out.len(), n + 4);
        out.as_bytes()[4..].to_vec()
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
            assert!(header_len(&m) <= MAX_HEADER_BYTES as u64);
        }
    }

    #[test]
    fn no_room_writes_nothing() {
        let path = [b'n'; 300];
        for m in [member(b"top/a", false, 1, 0), member(&path, true, 0, -5)] {
            let len = header_len(&m) as usize;
            for cap in [0, 1, 511, len - 1] {
                let mut mem = vec![7u8; cap];
                let mut out = Buf::new(&mut mem);
                assert_eq!(header(&m, &mut out), 0);
                assert!(out.is_empty());
            }
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
