//! `fs::tar::header` and `padding`.
//! Input: a flags byte (bit 0: a directory), then the mode (4 bytes), the
//! mtime (8) and the size (8), little-endian, each read as far as the
//! input goes (missing bytes are 0); the rest is the path, with NULs made
//! `x`, trailing `/`s dropped and cut to `MAX_TAR_PATH_BYTES` (the
//! module's contract: no NUL, no trailing slash).
//!
//! Properties, from POSIX pax ("ustar Interchange Format", "pax
//! Interchange Format"), checked by a small reader written here:
//! - `header` returns how many bytes it wrote, a multiple of 512, at
//!   most `MAX_HEADER_BYTES`, whatever the buffer held before;
//! - every block has a correct checksum, magic `ustar\0`, version `00`,
//!   and NUL-terminated octal numbers;
//! - read back (pax records over ustar fields), the member's path (with
//!   `/` for a directory), type, permission bits, size (0 for a
//!   directory) and mtime are the ones given;
//! - a member ustar can hold (an ASCII path that fits the name/prefix
//!   split, a size below 8 GiB, an mtime in 0..8^11) has no pax header;
//! - `padding` brings a body to the next 512-byte boundary.

#![no_main]

use httpd::fs::tar::{MAX_HEADER_BYTES, MAX_TAR_PATH_BYTES, Member, header, padding};
use httpd_fuzz::show;
use libfuzzer_sys::fuzz_target;

/// The largest number of a 12-byte ustar field (11 octal digits).
const USTAR_MAX: u64 = 0o777_7777_7777;

fuzz_target!(|data: &[u8]| {
    let (flags, rest) = data.split_first().map_or((0, data), |(&f, r)| (f, r));
    let (mode, rest) = take::<4>(rest);
    let (mtime, rest) = take::<8>(rest);
    let (size, rest) = take::<8>(rest);
    let dir = flags & 1 == 1;
    let mut path: Vec<u8> = rest
        .iter()
        .map(|&b| if b == 0 { b'x' } else { b })
        .collect();
    path.truncate(MAX_TAR_PATH_BYTES);
    while path.last() == Some(&b'/') {
        path.pop();
    }
    let m = Member {
        path: &path,
        dir,
        mode: u32::from_le_bytes(mode),
        mtime: i64::from_le_bytes(mtime),
        size: if dir { 0 } else { u64::from_le_bytes(size) },
    };
    let shown = show(&path);

    let mut mem = [0u8; MAX_HEADER_BYTES];
    let n = header(&m, &mut mem);
    assert!(
        n > 0 && n % 512 == 0 && n <= MAX_HEADER_BYTES,
        "{shown:?}: {n}"
    );
    let bytes = mem[..n].to_vec();

    let mut dirty = [0xa5u8; MAX_HEADER_BYTES];
    assert_eq!(header(&m, &mut dirty), n, "{shown:?}");
    assert_eq!(dirty[..n], bytes[..], "{shown:?}");

    let got = read(&bytes).unwrap_or_else(|e| panic!("{shown:?}: {e}"));
    let mut want_path = path.clone();
    if dir {
        want_path.push(b'/');
    }
    assert_eq!(show(&got.path), show(&want_path));
    assert_eq!(got.dir, dir, "{shown:?}");
    assert_eq!(got.mode, m.mode & 0o7777, "{shown:?}");
    assert_eq!(got.size, m.size, "{shown:?}");
    assert_eq!(got.mtime, m.mtime, "{shown:?}");
    let plain = path.is_ascii()
        && ustar_fits(&want_path)
        && m.size <= USTAR_MAX
        && (0..=USTAR_MAX as i64).contains(&m.mtime);
    assert_eq!(got.pax, !plain, "{shown:?}");

    let pad = padding(m.size);
    assert!(pad < 512 && (u128::from(m.size) + u128::from(pad)) % 512 == 0);
});

/// The first `N` bytes of `s` (0-padded when short) and the rest.
fn take<const N: usize>(s: &[u8]) -> ([u8; N], &[u8]) {
    let mut a = [0u8; N];
    let n = s.len().min(N);
    a[..n].copy_from_slice(&s[..n]);
    (a, &s[n..])
}

/// Whether `full` (a directory's with its `/`) fits ustar's 100-byte name
/// or a non-empty prefix of at most 155 bytes, `/`, and a non-empty name of
/// at most 100.
fn ustar_fits(full: &[u8]) -> bool {
    full.len() <= 100
        || (1..full.len()).any(|i| {
            full[i] == b'/' && i <= 155 && full.len() - i - 1 <= 100 && i + 1 < full.len()
                // The name part must not be just a directory's `/`.
                && !(full.len() - i - 1 == 1 && full.ends_with(b"/"))
        })
}

/// A member as a reader sees it.
struct Read {
    path: Vec<u8>,
    dir: bool,
    mode: u32,
    size: u64,
    mtime: i64,
    pax: bool,
}

/// The NUL-terminated contents of a fixed field.
fn cstr(field: &[u8]) -> &[u8] {
    &field[..field.iter().position(|&b| b == 0).unwrap_or(field.len())]
}

/// A NUL-terminated octal field.
fn octal(field: &[u8]) -> Result<u64, String> {
    let (last, digits) = field.split_last().unwrap();
    if *last != 0 || digits.is_empty() || !digits.iter().all(|b| (b'0'..=b'7').contains(b)) {
        return Err(format!("bad octal field {:?}", show(field)));
    }
    Ok(digits.iter().fold(0, |n, &d| n * 8 + u64::from(d - b'0')))
}

/// Checks one 512-byte ustar block: checksum, magic, version, numbers.
fn check_block(b: &[u8]) -> Result<(), String> {
    let sum: u64 = b
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            if (148..156).contains(&i) {
                32
            } else {
                u64::from(x)
            }
        })
        .sum();
    if &b[148..156] != format!("{sum:06o}\0 ").as_bytes() {
        return Err(format!("checksum {:?}, want {sum:06o}", show(&b[148..156])));
    }
    if &b[257..265] != b"ustar\x0000" {
        return Err("magic".into());
    }
    for (at, len) in [(100, 8), (108, 8), (116, 8), (124, 12), (136, 12)] {
        octal(&b[at..at + len])?;
    }
    Ok(())
}

/// Reads one member's header blocks, applying pax records.
fn read(bytes: &[u8]) -> Result<Read, String> {
    let mut block = &bytes[..512];
    check_block(block)?;
    let (mut path, mut size, mut mtime) = (None, None, None);
    let mut pax = false;
    let mut at = 512;
    if block[156] == b'x' {
        pax = true;
        let len = octal(&block[124..136])? as usize;
        let mut records = &bytes[at..at + len];
        at += len.div_ceil(512) * 512;
        if bytes[at - (len.div_ceil(512) * 512 - len)..at]
            .iter()
            .any(|&b| b != 0)
        {
            return Err("records padding not zero".into());
        }
        while !records.is_empty() {
            let sp = records.iter().position(|&b| b == b' ').ok_or("no space")?;
            let n: usize = std::str::from_utf8(&records[..sp])
                .map_err(|_| "length")?
                .parse()
                .map_err(|_| "length")?;
            if n > records.len() || n <= sp + 1 || records[n - 1] != b'\n' {
                return Err(format!("record length {n}"));
            }
            let kv = &records[sp + 1..n - 1];
            let eq = kv.iter().position(|&b| b == b'=').ok_or("no =")?;
            let (key, value) = (&kv[..eq], &kv[eq + 1..]);
            let number = || -> Result<i128, String> {
                std::str::from_utf8(value)
                    .map_err(|_| "number".to_string())?
                    .parse()
                    .map_err(|_| format!("number {:?}", show(value)))
            };
            match key {
                b"path" => path = Some(value.to_vec()),
                b"size" => size = Some(u64::try_from(number()?).map_err(|_| "size")?),
                b"mtime" => mtime = Some(i64::try_from(number()?).map_err(|_| "mtime")?),
                b"hdrcharset" if value == b"BINARY" => {}
                _ => return Err(format!("record {:?}", show(kv))),
            }
            records = &records[n..];
        }
        block = &bytes[at..at + 512];
        check_block(block)?;
        at += 512;
    }
    if at != bytes.len() {
        return Err("bytes after the ustar block".into());
    }
    let dir = match block[156] {
        b'5' => true,
        b'0' => false,
        t => return Err(format!("typeflag {t}")),
    };
    let path = path.unwrap_or_else(|| {
        let (prefix, name) = (cstr(&block[345..500]), cstr(&block[..100]));
        if prefix.is_empty() {
            name.to_vec()
        } else {
            [prefix, b"/", name].concat()
        }
    });
    let ustar_size = octal(&block[124..136])?;
    if size.is_some() && ustar_size != 0 {
        return Err("pax size with a non-zero ustar size".into());
    }
    Ok(Read {
        path,
        dir,
        mode: octal(&block[100..108])? as u32,
        size: size.unwrap_or(ustar_size),
        mtime: mtime.unwrap_or(octal(&block[136..148])? as i64),
        pax,
    })
}
