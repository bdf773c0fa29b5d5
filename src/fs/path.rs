//! Request-path normalization: the first of the server's two path-safety
//! layers (the second is the kernel's `openat2(RESOLVE_BENEATH)`). This
//! module owns turning the raw path of a request target (`/a%20b/../c`) into
//! a relative path under the document root (`c`), or refusing it. It
//! percent-decodes once (RFC 3986 §2.1), treats a decoded `%2F` as a
//! separator like nginx does, removes `.` and empty segments and resolves
//! `..` (RFC 3986 §5.2.4), and refuses any `..` that would climb above the
//! root instead of clamping it, so a traversal attempt is answered with 400
//! rather than silently served from somewhere else. It never allocates and
//! never truncates.

/// The size a caller's `out` buffer should have: Linux's `PATH_MAX`, in
/// bytes, which counts the terminating NUL. `normalize` always leaves one
/// byte of `out` free after the result so the caller can append that NUL
/// (`out[len] = 0`) before handing the path to the kernel.
pub const MAX_PATH_BYTES: usize = 4096;

/// A successfully normalized path: its bytes are `out[..len]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Normalized {
    /// Length of the relative path written to `out`; `0` for the root.
    pub len: usize,
    /// True when the request names a directory: the decoded path ended in
    /// `/`, is the root, or ended in a `.` or `..` segment (`/a/..` names
    /// the root directory just as `/a/../` does). The server uses it to pick
    /// between redirecting `/dir` to `/dir/` and serving a listing.
    pub trailing_slash: bool,
}

/// Why a request path was refused. Every variant is a 400, except
/// `TooLong`: no file has so long a name, so the caller answers as for a
/// missing one (404; 414 is for a request line over the limit only, RFC
/// 9110 §15.5.15); none is ever "fixed up".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathError {
    /// A `%` not followed by two hex digits (RFC 3986 §2.1), including a
    /// truncated escape at the end such as `%4`.
    BadPercentEscape,
    /// A NUL byte, raw or decoded from `%00`: it would cut the path short
    /// at the kernel boundary.
    NulByte,
    /// A `..` segment that would climb above the root (`/..`, `/a/../..`,
    /// `/..%2f`): a traversal attempt.
    Traversal,
    /// The result plus the caller's NUL does not fit in `out`. The check is
    /// made while the path is built, so a long segment later removed by
    /// `..` still counts: refusing is the safe direction.
    TooLong,
    /// The raw path does not start with `/` (origin-form, RFC 9112 §3.2.1).
    NotAbsolute,
}

/// Percent-decodes and normalizes the raw request path `raw` (which must
/// start with `/`, already split from `?query` and `#fragment`) into `out`
/// as a relative path: segments joined by single `/`, no leading or
/// trailing `/`, the root as the empty string. On success the result is
/// `out[..len]`, contains no `.`, `..` or empty segment and no NUL, and
/// `len < out.len()` so the caller can append a NUL. On error the contents
/// of `out` are unspecified.
///
/// Decoding happens exactly once, so `%252e%252e` becomes the ordinary name
/// `%2e%2e`, never `..`. `+` stays `+` (it means space only in form data),
/// a backslash is an ordinary name byte (Linux), and control bytes other
/// than NUL are allowed (they can exist on disk; the caller escapes them
/// when logging). Segments such as `...` are ordinary names.
pub fn normalize(raw: &[u8], out: &mut [u8]) -> Result<Normalized, PathError> {
    if raw.first() != Some(&b'/') {
        return Err(PathError::NotAbsolute);
    }
    resolve(raw, out, true)
}

/// `normalize` for a file path the operator gave (`--404 FILE`), not a
/// URL: relative to the root with or without a leading `/`, and not
/// percent-decoded (a `%` is an ordinary name byte). The same checks
/// apply: no NUL, no `..` above the root, the same length limit.
pub fn normalize_file(raw: &[u8], out: &mut [u8]) -> Result<Normalized, PathError> {
    resolve(raw, out, false)
}

/// True when a normalized path names a dotfile or leads through a
/// dot-directory (`.env`, `.git/config`, `a/.ssh/id`), as
/// `--hide-dotfiles` hides them; `.well-known` at the top stays served
/// (RFC 8615: ACME's http-01 challenges, RFC 8555 §8.3, live beneath it),
/// though dot-names beneath it are hidden still.
pub fn hidden(rel: &[u8]) -> bool {
    rel.split(|&b| b == b'/')
        .enumerate()
        .any(|(i, seg)| seg.first() == Some(&b'.') && !(i == 0 && seg == WELL_KNOWN))
}

/// The directory of well-known URIs (RFC 8615 §3).
const WELL_KNOWN: &[u8] = b".well-known";

/// `normalize`'s work; `decode`: percent-decode (a URL path) or not (a
/// file path).
fn resolve(raw: &[u8], out: &mut [u8], decode: bool) -> Result<Normalized, PathError> {
    // `len` is the committed result: whole segments only. `w` is where the
    // next byte goes while a segment is being written after it.
    let mut len = 0;
    let mut w = 0;
    // The current segment. While it is still "", "." or "..", nothing is
    // written to `out`: it may be a dot segment that writes nothing or pops,
    // and writing it early could fail with a false `TooLong`. `dots` counts
    // those pending dots; `started` says the segment is an ordinary name
    // and has been written from `len` on (after a separating `/`).
    let mut dots = 0;
    let mut started = false;

    let mut i = 0;
    loop {
        // Decode the next byte; `None` is the end of the path.
        let decoded = match raw.get(i) {
            None => None,
            Some(&b'%') if decode => {
                // RFC 3986 §2.1: `%` HEXDIG HEXDIG, hex case-insensitive.
                let hi = raw.get(i + 1).and_then(|&h| hex_value(h));
                let lo = raw.get(i + 2).and_then(|&l| hex_value(l));
                match (hi, lo) {
                    (Some(hi), Some(lo)) => {
                        i += 3;
                        Some((hi << 4) | lo)
                    }
                    _ => return Err(PathError::BadPercentEscape),
                }
            }
            Some(&b) => {
                i += 1;
                Some(b)
            }
        };

        match decoded {
            Some(0) => return Err(PathError::NulByte),
            // A decoded `%2F` is a separator too (as in nginx), so `..%2f`
            // is seen as the `..` segment it would become on disk.
            Some(b'/') | None => {
                if started {
                    len = w;
                } else if dots == 2 {
                    // `..` (RFC 3986 §5.2.4 step 2C): drop the last
                    // segment; at the root there is none, and climbing above
                    // it is refused rather than clamped.
                    if len == 0 {
                        return Err(PathError::Traversal);
                    }
                    len = last_slash(out, len).unwrap_or(0);
                    w = len;
                }
                // An empty segment (`//`) or `.` writes nothing.
                if decoded.is_none() {
                    // Even the root (`len == 0`) needs room for the NUL.
                    if len >= out.len() {
                        return Err(PathError::TooLong);
                    }
                    // Ended in `/` (an empty last segment), `.` or `..`:
                    // the request names a directory.
                    return Ok(Normalized {
                        len,
                        trailing_slash: !started,
                    });
                }
                dots = 0;
                started = false;
            }
            Some(b) => {
                if started {
                    put(out, &mut w, b)?;
                } else if b == b'.' && dots < 2 {
                    dots += 1;
                } else {
                    // The segment is an ordinary name (`.x`, `...`, `a`):
                    // write the separator, the pending dots, then `b`.
                    w = len;
                    if len > 0 {
                        put(out, &mut w, b'/')?;
                    }
                    for _ in 0..dots {
                        put(out, &mut w, b'.')?;
                    }
                    put(out, &mut w, b)?;
                    started = true;
                }
            }
        }
    }
}

/// Writes `b` at `out[*w]` if it leaves room for the caller's NUL after it.
fn put(out: &mut [u8], w: &mut usize, b: u8) -> Result<(), PathError> {
    // `*w + 1 < room`: the byte itself plus one byte for the NUL.
    let room = out.len();
    match out.get_mut(*w) {
        Some(slot) if *w + 1 < room => {
            *slot = b;
            *w += 1;
            Ok(())
        }
        _ => Err(PathError::TooLong),
    }
}

/// Index of the last `/` in `out[..len]`, if any.
fn last_slash(out: &[u8], len: usize) -> Option<usize> {
    out.get(..len)?.iter().rposition(|&b| b == b'/')
}

/// The value of one hex digit (RFC 3986 §2.1: HEXDIG, case-insensitive).
fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::{MAX_PATH_BYTES, Normalized, PathError, hidden, normalize, normalize_file};
    use crate::testing::XorShift;
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    use std::path::{Component, Path};

    /// Runs `normalize` with a full-size buffer; the result as owned bytes.
    fn run(raw: &[u8]) -> Result<(Vec<u8>, bool), PathError> {
        let mut out = [0u8; MAX_PATH_BYTES];
        normalize(raw, &mut out).map(|n| (out[..n.len].to_vec(), n.trailing_slash))
    }

    /// An independent, allocating model of the spec: decode (up to the
    /// first bad byte), then split and resolve with a stack. Errors are
    /// reported in reading order, as `normalize` does: a segment that is
    /// cut short by a decoding error is never resolved as `..`, but its
    /// bytes, if it is a name, already count against the length limit.
    fn model(raw: &[u8], cap: usize) -> Result<(Vec<u8>, bool), PathError> {
        if raw.first() != Some(&b'/') {
            return Err(PathError::NotAbsolute);
        }
        let mut decoded = Vec::new();
        let mut decode_err = None;
        let mut i = 0;
        while i < raw.len() {
            let b = if raw[i] == b'%' {
                let hex = raw
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()));
                match hex {
                    Some(hex) => {
                        i += 3;
                        u8::from_str_radix(hex, 16).unwrap()
                    }
                    None => {
                        decode_err = Some(PathError::BadPercentEscape);
                        break;
                    }
                }
            } else {
                i += 1;
                raw[i - 1]
            };
            if b == 0 {
                decode_err = Some(PathError::NulByte);
                break;
            }
            decoded.push(b);
        }
        let segs: Vec<&[u8]> = decoded.split(|&b| b == b'/').collect();
        let complete = segs.len() - usize::from(decode_err.is_some());
        let mut stack: Vec<&[u8]> = Vec::new();
        for (k, &seg) in segs.iter().enumerate() {
            match seg {
                b"" | b"." => {}
                b".." if k < complete => {
                    if stack.pop().is_none() {
                        return Err(PathError::Traversal);
                    }
                }
                b".." => {}
                _ => {
                    stack.push(seg);
                    // Too long at any point while being built, plus NUL.
                    if stack.join(&b'/').len() + 1 > cap {
                        return Err(PathError::TooLong);
                    }
                }
            }
        }
        if let Some(e) = decode_err {
            return Err(e);
        }
        let last = *segs.last().unwrap();
        let trailing = matches!(last, b"" | b"." | b"..");
        let joined = stack.join(&b'/');
        if joined.len() + 1 > cap {
            return Err(PathError::TooLong);
        }
        Ok((joined, trailing))
    }

    #[test]
    fn traversal_attempts_are_refused() {
        let cases: &[&[u8]] = &[
            b"/..",
            b"/../",
            b"/../etc/passwd",
            b"/a/../../b",
            b"/a/../..",
            b"/%2e%2e/",
            b"/%2E%2e",
            b"/%2E%2e%2fetc",
            b"/.%2e/etc",
            b"/%2e./etc",
            b"/..%2f..%2fetc",
            b"/..%2F",
            b"/%2F..",
            b"/./../",
            b"/a/./../../",
            b"/a/b/../../..",
            b"/a/b/%2e%2e/%2E%2E/..%2f",
            b"//..",
            b"/.//..//",
            b"/a/.././..",
        ];
        for &raw in cases {
            assert_eq!(
                run(raw),
                Err(PathError::Traversal),
                "{:?}",
                String::from_utf8_lossy(raw)
            );
        }
    }

    #[test]
    fn look_alikes_stay_inside_the_root() {
        let cases: &[(&[u8], &[u8], bool)] = &[
            // Four dots and three dots are names, not parent references.
            (b"/....//", b"....", true),
            (b"/...", b"...", false),
            (b"/.../..", b"", true),
            (b"/..a", b"..a", false),
            (b"/a..", b"a..", false),
            (b"/.a", b".a", false),
            (b"/%2e%2e%2e", b"...", false),
            // A backslash is a name byte on Linux.
            (b"/%2e%2e%5c", b"..\\", false),
            (b"/..\\..\\etc", b"..\\..\\etc", false),
            // Decoded once only: `%2e%2e` is a literal name.
            (b"/%252e%252e/", b"%2e%2e", true),
            (b"/%252e%252e%252fetc", b"%2e%2e%2fetc", false),
            (b"/%25", b"%", false),
            // Non-escaping `..` inside the tree is fine.
            (b"/a/b/../../c", b"c", false),
            (b"/a/%2e%2e/b", b"b", false),
            (b"/a/..%2Fb", b"b", false),
        ];
        for &(raw, want, slash) in cases {
            assert_eq!(
                run(raw),
                Ok((want.to_vec(), slash)),
                "{:?}",
                String::from_utf8_lossy(raw)
            );
        }
    }

    #[test]
    fn bad_escapes_nul_and_relative_paths_are_refused() {
        let cases: &[(&[u8], PathError)] = &[
            (b"/%", PathError::BadPercentEscape),
            (b"/a%", PathError::BadPercentEscape),
            (b"/%g1", PathError::BadPercentEscape),
            (b"/%1g", PathError::BadPercentEscape),
            (b"/%1", PathError::BadPercentEscape),
            (b"/%4", PathError::BadPercentEscape),
            (b"/%%", PathError::BadPercentEscape),
            (b"/%%41", PathError::BadPercentEscape),
            (b"/% 1", PathError::BadPercentEscape),
            (b"/%+1", PathError::BadPercentEscape),
            (b"/%-1", PathError::BadPercentEscape),
            (b"/a/%2", PathError::BadPercentEscape),
            (b"/%\xc3\xa9", PathError::BadPercentEscape),
            (b"/%00", PathError::NulByte),
            (b"/a%00b", PathError::NulByte),
            (b"/a/%00/..", PathError::NulByte),
            (b"/a\0b", PathError::NulByte),
            (b"/\0", PathError::NulByte),
            (b"", PathError::NotAbsolute),
            (b"a/b", PathError::NotAbsolute),
            (b"%2Fa", PathError::NotAbsolute),
            (b"%2e%2e/", PathError::NotAbsolute),
            (b"./a", PathError::NotAbsolute),
            (b"\\a", PathError::NotAbsolute),
            (b"*", PathError::NotAbsolute),
            // First error in reading order wins.
            (b"/../%", PathError::Traversal),
            (b"/%/..", PathError::BadPercentEscape),
        ];
        for &(raw, err) in cases {
            assert_eq!(run(raw), Err(err), "{:?}", String::from_utf8_lossy(raw));
        }
    }

    #[test]
    fn ordinary_paths() {
        let cases: &[(&[u8], &[u8], bool)] = &[
            (b"/", b"", true),
            (b"//", b"", true),
            (b"/.", b"", true),
            (b"/./", b"", true),
            (b"/a", b"a", false),
            (b"/a/", b"a", true),
            (b"/a/b/", b"a/b", true),
            (b"//a///b", b"a/b", false),
            (b"/a/./b/../c", b"a/c", false),
            (b"/a/..", b"", true),
            (b"/a/../", b"", true),
            (b"/a/b/..", b"a", true),
            (b"/a/b/.", b"a/b", true),
            (b"/a/b/%2e", b"a/b", true),
            (b"/a%20b", b"a b", false),
            (b"/a+b", b"a+b", false),
            (b"/%41%42%63%64", b"ABcd", false),
            (b"/%c3%a9t%C3%A9", "été".as_bytes(), false),
            (b"/caf\xc3\xa9/", "café".as_bytes(), true),
            (b"/a%2Fb", b"a/b", false),
            (b"/a%2fb%2F", b"a/b", true),
            (b"/a%2F%2F%2Fb", b"a/b", false),
            (b"/tab%09name", b"tab\tname", false),
            (b"/\x01\x7f\xff", b"\x01\x7f\xff", false),
            (b"/a/b/c/../../d/./e/", b"a/d/e", true),
            (b"/x?y#z", b"x?y#z", false),
        ];
        for &(raw, want, slash) in cases {
            assert_eq!(
                run(raw),
                Ok((want.to_vec(), slash)),
                "{:?}",
                String::from_utf8_lossy(raw)
            );
        }
    }

    #[test]
    fn too_long_is_refused_exactly_at_the_boundary() {
        // Room for the result plus the caller's NUL.
        let mut out = [0xAAu8; 5];
        assert_eq!(
            normalize(b"/ab/c", &mut out),
            Ok(Normalized {
                len: 4,
                trailing_slash: false
            })
        );
        assert_eq!(&out[..4], b"ab/c");
        assert_eq!(normalize(b"/ab/cd", &mut out), Err(PathError::TooLong));
        assert_eq!(normalize(b"/abcde", &mut out), Err(PathError::TooLong));
        // Dot segments never count against the limit before they resolve.
        let mut out = [0u8; 4];
        assert_eq!(
            normalize(b"/abc/..", &mut out),
            Ok(Normalized {
                len: 0,
                trailing_slash: true
            })
        );
        assert_eq!(
            normalize(b"/abc/./%2e/", &mut out),
            Ok(Normalized {
                len: 3,
                trailing_slash: true
            })
        );
        assert_eq!(normalize(b"/abc/...", &mut out), Err(PathError::TooLong));
        // The root still needs its NUL.
        assert_eq!(normalize(b"/", &mut []), Err(PathError::TooLong));
        let mut one = [0u8; 1];
        assert_eq!(
            normalize(b"/", &mut one),
            Ok(Normalized {
                len: 0,
                trailing_slash: true
            })
        );
        assert_eq!(normalize(b"/a", &mut one), Err(PathError::TooLong));
        // A full-size buffer takes MAX_PATH_BYTES - 1 bytes, not one more.
        let mut raw = vec![b'/'];
        raw.extend(std::iter::repeat_n(b'x', MAX_PATH_BYTES - 1));
        assert_eq!(run(&raw).map(|r| r.0.len()), Ok(MAX_PATH_BYTES - 1));
        raw.push(b'x');
        assert_eq!(run(&raw), Err(PathError::TooLong));
        // Never truncated silently: a long segment popped later still counts.
        raw.extend_from_slice(b"/..");
        assert_eq!(run(&raw), Err(PathError::TooLong));
    }

    /// Checks every invariant a successful result promises.
    fn check_invariants(raw: &[u8], out: &[u8], trailing: bool) {
        let shown = String::from_utf8_lossy(raw);
        assert!(!out.contains(&0), "NUL in {shown:?}");
        if out.is_empty() {
            assert!(trailing, "root without trailing_slash: {shown:?}");
            return;
        }
        for seg in out.split(|&b| b == b'/') {
            assert!(!matches!(seg, b"" | b"." | b".."), "{shown:?} -> {out:?}");
        }
        let path = Path::new(OsStr::from_bytes(out));
        assert!(path.is_relative(), "{shown:?}");
        let mut count = 0;
        for c in path.components() {
            assert!(matches!(c, Component::Normal(_)), "{shown:?}: {c:?}");
            count += 1;
        }
        assert_eq!(count, out.split(|&b| b == b'/').count(), "{shown:?}");
    }

    #[test]
    fn random_paths_agree_with_the_model_and_keep_invariants() {
        // Pieces biased toward the interesting cases: separators, dots and
        // their encodings, escapes good and bad.
        const PIECES: &[&[u8]] = &[
            b"/", b"/", b"/", b".", b".", b"..", b"%2e", b"%2E", b"%2f", b"%2F", b"%5c", b"%25",
            b"%00", b"%", b"%g", b"%0", b"a", b"b", b"\\", b"+", b"\0", b"\xff", b"%c3%a9", b"x",
        ];
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        // Outcome counts: Ok, then each error variant.
        let mut seen = [0u32; 6];
        for round in 0..200_000 {
            let mut raw = Vec::new();
            // Most strings start with `/`; a few test NotAbsolute.
            if rng.below(50) != 0 {
                raw.push(b'/');
            }
            for _ in 0..rng.below(16) {
                if rng.below(8) == 0 {
                    raw.push(rng.next() as u8);
                } else {
                    raw.extend_from_slice(PIECES[rng.below(PIECES.len())]);
                }
            }
            // Small buffers exercise TooLong against the model.
            let cap = if round % 4 == 0 {
                rng.below(12)
            } else {
                MAX_PATH_BYTES
            };
            let mut out = vec![0u8; cap];
            let got = normalize(&raw, &mut out).map(|n| (out[..n.len].to_vec(), n.trailing_slash));
            assert_eq!(
                got,
                model(&raw, cap),
                "{:?} cap {cap}",
                String::from_utf8_lossy(&raw)
            );
            let slot = match got {
                Ok((path, trailing)) => {
                    assert!(path.len() < cap);
                    check_invariants(&raw, &path, trailing);
                    0
                }
                Err(PathError::BadPercentEscape) => 1,
                Err(PathError::NulByte) => 2,
                Err(PathError::Traversal) => 3,
                Err(PathError::TooLong) => 4,
                Err(PathError::NotAbsolute) => 5,
            };
            seen[slot] += 1;
        }
        // The generator must reach every outcome often, or it proves little.
        assert!(seen.iter().all(|&n| n > 1_000), "{seen:?}");
    }

    #[test]
    fn random_bytes_never_panic_and_keep_invariants() {
        let mut rng = XorShift(0x2545_F491_4F6C_DD1D);
        for _ in 0..100_000 {
            let mut raw = vec![b'/'];
            for _ in 0..rng.below(24) {
                raw.push(rng.next() as u8);
            }
            if let Ok((path, trailing)) = run(&raw) {
                check_invariants(&raw, &path, trailing);
            }
        }
    }

    /// A file path from the command line: a leading `/` or not, no
    /// decoding, the same refusals.
    #[test]
    fn file_paths() {
        let file = |raw: &[u8]| {
            let mut out = [0u8; MAX_PATH_BYTES];
            normalize_file(raw, &mut out).map(|n| out[..n.len].to_vec())
        };
        for (raw, want) in [
            (&b"404.html"[..], &b"404.html"[..]),
            (b"/404.html", b"404.html"),
            (b"errors//404.html", b"errors/404.html"),
            (b"./errors/./x/../404.html", b"errors/404.html"),
            (b"100%.html", b"100%.html"),
            (b"a%2fb", b"a%2fb"),
            (b"", b""),
        ] {
            assert_eq!(file(raw), Ok(want.to_vec()), "{raw:?}");
        }
        for (raw, err) in [
            (&b"../404.html"[..], PathError::Traversal),
            (b"/a/../../404.html", PathError::Traversal),
            (b"a\0b", PathError::NulByte),
        ] {
            assert_eq!(file(raw), Err(err), "{raw:?}");
        }
        let long = vec![b'n'; MAX_PATH_BYTES];
        assert_eq!(file(&long), Err(PathError::TooLong));
    }

    #[test]
    fn hidden_paths() {
        for rel in [
            &b".env"[..],
            b".git/config",
            b".git",
            b"a/.ssh/id",
            b"a/b/.htpasswd",
            b".well-known/.secret",
            b"a/.well-known/x",
            b"..x",
        ] {
            assert!(hidden(rel), "{rel:?}");
        }
        for rel in [
            &b""[..],
            b"a",
            b"a.b/c.d",
            b"a/b.",
            b".well-known",
            b".well-known/acme-challenge/tok",
            b"x.well-known",
        ] {
            assert!(!hidden(rel), "{rel:?}");
        }
    }
}
