//! `http::range::parse_range` and the `Content-Range` formatters.
//! Input: one selector byte, then the `Range` value. A selector with its
//! top bit set takes the representation size from the next 8 bytes
//! (little-endian); otherwise it picks one of `SIZES`. No input at all is
//! "no `Range` header".
//!
//! Properties, from the module's documented choices:
//! - `Partial { start, end }` has `start <= end < size`;
//! - the answer equals an independent model of RFC 9110 §14.1-§14.2 as the
//!   module docs narrow it (the unit tests' model, over bytes): an
//!   invalid value or another unit is `Full`, one range is resolved and
//!   clamped, `Unsatisfiable` only when no range is satisfiable (an
//!   int-range from at or past the end, or `-0`), several satisfiable
//!   ranges are `Full`, and a non-empty suffix of an empty file is `Full`;
//! - OWS around the value changes nothing;
//! - a `Partial` answer, written back as `bytes=start-end`, parses to
//!   itself, and `Content-Range` is `bytes start-end/size` (or
//!   `bytes */size`), as `format!` writes it.

#![no_main]

use httpd::buf::Buf;
use httpd::http::range::{Range, content_range, content_range_unsatisfied, parse_range};
use httpd_fuzz::{digits, show, trim_ows};
use libfuzzer_sys::fuzz_target;

/// Sizes picked by a selector byte without its top bit.
const SIZES: [u64; 8] = [0, 1, 2, 10, 100, 101, 1 << 40, u64::MAX];

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        assert_eq!(parse_range(None, 100), Range::Full);
        return;
    };
    let (size, header) = match rest.split_first_chunk::<8>() {
        Some((n, header)) if sel & 0x80 != 0 => (u64::from_le_bytes(*n), header),
        _ => (SIZES[usize::from(sel) % SIZES.len()], rest),
    };
    let shown = show(header);
    let got = parse_range(Some(header), size);
    assert_eq!(got, model(header, size), "{shown:?} size {size}");

    let padded = [&b" \t"[..], header, b"\t "].concat();
    assert_eq!(
        parse_range(Some(&padded), size),
        got,
        "OWS: {shown:?} size {size}"
    );

    let mut mem = [0u8; 80];
    let mut buf = Buf::new(&mut mem);
    match got {
        Range::Partial { start, end } => {
            assert!(start <= end && end < size, "{shown:?} size {size}: {got:?}");
            let again = format!("bytes={start}-{end}");
            assert_eq!(parse_range(Some(again.as_bytes()), size), got, "{again}");
            content_range(&mut buf, start, end, size);
            let want = format!("bytes {start}-{end}/{size}");
            assert_eq!(buf.as_bytes(), want.as_bytes());
        }
        Range::Unsatisfiable => {
            content_range_unsatisfied(&mut buf, size);
            assert_eq!(buf.as_bytes(), format!("bytes */{size}").as_bytes());
        }
        Range::Full => {}
    }
    assert!(!buf.overflowed());
});

/// One range-spec: `(Some(first), last)` or `(None, Some(suffix_len))`.
type Spec = (Option<u64>, Option<u64>);

/// The documented rules, written with std slice methods.
fn model(header: &[u8], size: u64) -> Range {
    use Range::{Full, Partial, Unsatisfiable};
    let v = trim_ows(header);
    if v.len() < 6 || !v[..6].eq_ignore_ascii_case(b"bytes=") {
        return Full;
    }
    let mut specs: Vec<Spec> = Vec::new();
    for el in v[6..].split(|&b| b == b',') {
        let el = trim_ows(el);
        if el.is_empty() {
            continue;
        }
        let Some(dash) = el.iter().position(|&b| b == b'-') else {
            return Full;
        };
        let (a, b) = (&el[..dash], &el[dash + 1..]);
        if a.is_empty() {
            match digits::<u64>(b) {
                Some(n) => specs.push((None, Some(n))),
                None => return Full,
            }
        } else {
            let Some(a) = digits::<u64>(a) else {
                return Full;
            };
            let b = if b.is_empty() {
                None
            } else {
                // §14.1.1: last-pos below first-pos makes the spec invalid.
                match digits::<u64>(b) {
                    Some(b) if b >= a => Some(b),
                    _ => return Full,
                }
            };
            specs.push((Some(a), b));
        }
    }
    let satisfiable = |s: &Spec| match *s {
        (Some(first), _) => first < size,
        (None, n) => n.unwrap() > 0,
    };
    match specs.as_slice() {
        [] => Full,
        [one] if !satisfiable(one) => Unsatisfiable,
        [_] if size == 0 => Full,
        [(Some(a), b)] => Partial {
            start: *a,
            end: b.unwrap_or(u64::MAX).min(size - 1),
        },
        [(None, n)] => Partial {
            start: size.saturating_sub(n.unwrap()),
            end: size - 1,
        },
        many if many.iter().any(satisfiable) => Full,
        _ => Unsatisfiable,
    }
}
