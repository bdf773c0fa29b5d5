//! The `Range` request header and the `Content-Range` response header
//! (RFC 9110 §14.1-§14.4): deciding whether a GET is answered with the
//! whole file (200), one byte range of it (206) or 416, and formatting the
//! matching `Content-Range` value. Pure functions over the raw header bytes;
//! the caller evaluates conditionals (see `http::conditional`) first. The
//! server honours `Range` on HEAD as on GET, so that HEAD answers exactly
//! what GET would (§9.3.2), as nginx and Apache do, rather than ignoring it
//! as §14.2 would have for methods other than GET.
//!
//! Choices this server makes, all allowed by RFC 9110:
//! - Only the `bytes` unit is understood (case-insensitively, as a token);
//!   any other unit, and any value that does not match the grammar of
//!   §14.1.1, is ignored and the whole file is sent (§14.2: "A server MAY
//!   ignore the Range header field"; an invalid range-set is ignored).
//! - A request for more than one range is answered with the whole file
//!   (200) rather than `multipart/byteranges`: it is simpler, and §14.2
//!   lets a server ignore ranges. The one exception is a list in which every
//!   range is unsatisfiable: that is answered with 416, as for one range.
//! - OWS is allowed around list commas, around the whole value, and after
//!   the `=` (the list rule of §5.6.1 already allows whitespace before every
//!   element but the first; accepting it there too is harmless), and empty
//!   list elements are skipped (§5.6.1.2). Whitespace inside a range-spec
//!   (`0 - 1`) is not in the grammar and makes the value invalid.
//! - Numbers are `1*DIGIT`; one that does not fit a `u64` makes the value
//!   invalid (never wrapped, never saturated).
//! - An empty file: every `first-pos` is unsatisfiable (`0 >= 0`), and so is
//!   `-0`. A suffix `-n` with `n > 0` is satisfiable by the letter of
//!   §14.1.1 ("at least one suffix-range with a non-zero suffix-length"), so
//!   416 would be wrong, yet it selects zero bytes, which a 206 cannot
//!   express (`Content-Range` requires `last-pos >= first-pos`, §14.4). The
//!   whole (empty) representation is what §14.1.2 says a too-long suffix
//!   selects, so the answer is `Full`: a 200 with an empty body.

use crate::buf::Buf;
use crate::http::syntax::{eq_ignore_case, strip_prefix, trim_ows};

/// What to send in answer to a `Range` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    /// Send the whole representation with 200: there was no `Range`
    /// header, or it is ignored (other unit, malformed, several ranges).
    Full,
    /// Send bytes `start..=end` with 206; `start <= end < size` always.
    Partial {
        /// Offset of the first byte to send.
        start: u64,
        /// Offset of the last byte to send (inclusive, as in §14.1.2).
        end: u64,
    },
    /// Answer 416 with `Content-Range: bytes */size` (§15.5.17).
    Unsatisfiable,
}

/// The range unit and its `=`, compared case-insensitively: range units
/// are tokens, and tokens are case-insensitive (RFC 9110 §14.1).
const BYTES_UNIT_PREFIX: &[u8] = b"bytes=";

/// One syntactically valid range-spec (RFC 9110 §14.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spec {
    /// `first-pos "-" [ last-pos ]`; `last` is `None` when open-ended and
    /// never less than `first` (a smaller one makes the spec invalid).
    Int { first: u64, last: Option<u64> },
    /// `"-" suffix-length`: the last `n` bytes.
    Suffix(u64),
}

/// Decides how to answer a request whose `Range` header is `header` (the
/// raw field value, `None` when absent) for a representation of `size`
/// bytes. See the module docs for every choice made.
pub fn parse_range(header: Option<&[u8]>, size: u64) -> Range {
    let Some(value) = header else {
        return Range::Full;
    };
    let value = trim_ows(value);
    let Some(set) = strip_bytes_unit(value) else {
        return Range::Full;
    };
    let mut only: Option<Spec> = None;
    let mut several = false;
    let mut any_satisfiable = false;
    for element in set.split(|&b| b == b',') {
        let element = trim_ows(element);
        if element.is_empty() {
            // §5.6.1.2: a recipient accepts and skips empty list elements.
            continue;
        }
        // Every element is checked even once several are seen: one invalid
        // spec invalidates the whole header (§14.1.1), which means Full.
        let Some(spec) = parse_spec(element) else {
            return Range::Full;
        };
        any_satisfiable |= satisfiable(spec, size);
        several |= only.is_some();
        only = Some(spec);
    }
    match only {
        // `1#range-spec` needs at least one element: `bytes=` is invalid.
        None => Range::Full,
        Some(_) if several => {
            if any_satisfiable {
                Range::Full
            } else {
                Range::Unsatisfiable
            }
        }
        Some(spec) => resolve(spec, size),
    }
}

/// Appends a satisfied `Content-Range` value, `bytes start-end/size`
/// (RFC 9110 §14.4), for a 206 response.
pub fn content_range(buf: &mut Buf, start: u64, end: u64, size: u64) {
    buf.str("bytes ")
        .u64(start)
        .byte(b'-')
        .u64(end)
        .byte(b'/')
        .u64(size);
}

/// Appends an unsatisfied `Content-Range` value, `bytes */size` (RFC 9110
/// §14.4), which a 416 response should carry (§15.5.17).
pub fn content_range_unsatisfied(buf: &mut Buf, size: u64) {
    buf.str("bytes */").u64(size);
}

/// The range-set after a case-insensitive `bytes=`, or `None` for another
/// unit or no `=`.
fn strip_bytes_unit(value: &[u8]) -> Option<&[u8]> {
    let unit = value.get(..BYTES_UNIT_PREFIX.len())?;
    if eq_ignore_case(unit, BYTES_UNIT_PREFIX) {
        value.get(BYTES_UNIT_PREFIX.len()..)
    } else {
        None
    }
}

/// Parses one non-empty, already trimmed range-spec; `None` when it is not
/// an int-range or suffix-range (§14.1.1), including `other-range` syntax,
/// which means nothing for the bytes unit.
fn parse_spec(element: &[u8]) -> Option<Spec> {
    if let Some(suffix) = strip_prefix(element, b"-") {
        return parse_u64(suffix).map(Spec::Suffix);
    }
    let mut halves = element.splitn(2, |&b| b == b'-');
    let first = parse_u64(halves.next()?)?;
    let last = match halves.next()? {
        [] => None,
        digits => Some(parse_u64(digits)?),
    };
    match last {
        // §14.1.1: "An int-range is invalid if the last-pos value is
        // present and less than the first-pos."
        Some(last) if last < first => None,
        _ => Some(Spec::Int { first, last }),
    }
}

/// §14.1.1: an int-range is satisfiable when its first-pos is less than the
/// length, a suffix-range when its length is non-zero.
fn satisfiable(spec: Spec, size: u64) -> bool {
    match spec {
        Spec::Int { first, .. } => first < size,
        Spec::Suffix(n) => n > 0,
    }
}

/// The answer to a request for the single range `spec`.
fn resolve(spec: Spec, size: u64) -> Range {
    if !satisfiable(spec, size) {
        return Range::Unsatisfiable;
    }
    // Satisfiable with size 0 is only possible for a non-empty suffix:
    // zero bytes selected, which only a 200 can express (module docs).
    let Some(last_byte) = size.checked_sub(1) else {
        return Range::Full;
    };
    match spec {
        // §14.1.2: a missing last-pos, or one at or past the end, means
        // "to the end of the representation".
        Spec::Int { first, last } => Range::Partial {
            start: first,
            end: last.map_or(last_byte, |last| last.min(last_byte)),
        },
        // §14.1.2: a suffix longer than the representation selects all of it.
        Spec::Suffix(n) => Range::Partial {
            start: size - n.min(size),
            end: last_byte,
        },
    }
}

/// `1*DIGIT` as a `u64`; `None` when empty, not all digits, or too big.
fn parse_u64(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::{Range, content_range, content_range_unsatisfied, parse_range};
    use crate::buf::Buf;
    use crate::testing::XorShift;

    use Range::{Full, Partial, Unsatisfiable};

    fn p(start: u64, end: u64) -> Range {
        Partial { start, end }
    }

    #[test]
    fn table() {
        const MAX: u64 = u64::MAX;
        let cases: &[(Option<&str>, u64, Range)] = &[
            // Absent header.
            (None, 100, Full),
            (None, 0, Full),
            // int-range, closed.
            (Some("bytes=0-0"), 100, p(0, 0)),
            (Some("bytes=0-1"), 100, p(0, 1)),
            (Some("bytes=10-19"), 100, p(10, 19)),
            (Some("bytes=99-99"), 100, p(99, 99)),
            (Some("bytes=000-001"), 100, p(0, 1)),
            // Clamping of last-pos.
            (Some("bytes=0-99"), 100, p(0, 99)),
            (Some("bytes=0-100"), 100, p(0, 99)),
            (Some("bytes=50-1000"), 100, p(50, 99)),
            (Some("bytes=0-18446744073709551615"), 100, p(0, 99)),
            (Some("bytes=0-18446744073709551615"), MAX, p(0, MAX - 1)),
            // last < first: invalid, ignored.
            (Some("bytes=1-0"), 100, Full),
            (Some("bytes=200-100"), 100, Full),
            // int-range, open.
            (Some("bytes=0-"), 100, p(0, 99)),
            (Some("bytes=99-"), 100, p(99, 99)),
            (Some("bytes=100-"), 100, Unsatisfiable),
            (Some("bytes=100-200"), 100, Unsatisfiable),
            (Some("bytes=18446744073709551615-"), 100, Unsatisfiable),
            // Suffix ranges.
            (Some("bytes=-1"), 100, p(99, 99)),
            (Some("bytes=-10"), 100, p(90, 99)),
            (Some("bytes=-100"), 100, p(0, 99)),
            (Some("bytes=-101"), 100, p(0, 99)),
            (Some("bytes=-18446744073709551615"), 100, p(0, 99)),
            (Some("bytes=-0"), 100, Unsatisfiable),
            (Some("bytes=-000"), 100, Unsatisfiable),
            (Some("bytes=-1"), 1, p(0, 0)),
            // Empty representation.
            (Some("bytes=0-"), 0, Unsatisfiable),
            (Some("bytes=0-0"), 0, Unsatisfiable),
            (Some("bytes=0-10"), 0, Unsatisfiable),
            (Some("bytes=-1"), 0, Full),
            (Some("bytes=-0"), 0, Unsatisfiable),
            (Some("bytes=-5,0-1"), 0, Full),
            (Some("bytes=0-1,1-2"), 0, Unsatisfiable),
            // Unit case and whitespace.
            (Some("BYTES=0-1"), 100, p(0, 1)),
            (Some("Bytes=0-1"), 100, p(0, 1)),
            (Some("bytes= 0-1"), 100, p(0, 1)),
            (Some("  bytes=0-1 \t"), 100, p(0, 1)),
            (Some("\tbytes=-5\t"), 100, p(95, 99)),
            (Some("bytes =0-1"), 100, Full),
            (Some("bytes=0 -1"), 100, Full),
            (Some("bytes=0- 1"), 100, Full),
            (Some("bytes=0-1\r"), 100, Full),
            // Empty list elements.
            (Some("bytes=0-1,,"), 100, p(0, 1)),
            (Some("bytes=,0-1"), 100, p(0, 1)),
            (Some("bytes= , 0-1 ,\t,"), 100, p(0, 1)),
            (Some("bytes=,"), 100, Full),
            (Some("bytes= , "), 100, Full),
            (Some("bytes="), 100, Full),
            // Other units and malformed values.
            (Some(""), 100, Full),
            (Some("   "), 100, Full),
            (Some("items=0-1"), 100, Full),
            (Some("bytes"), 100, Full),
            (Some("byte=0-1"), 100, Full),
            (Some("bytes:0-1"), 100, Full),
            (Some("bytes=abc"), 100, Full),
            (Some("bytes=-"), 100, Full),
            (Some("bytes=--1"), 100, Full),
            (Some("bytes=1--2"), 100, Full),
            (Some("bytes=1-2-3"), 100, Full),
            (Some("bytes=0x10-0x20"), 100, Full),
            (Some("bytes=+1-2"), 100, Full),
            (Some("bytes=1-+2"), 100, Full),
            (Some("bytes=-+2"), 100, Full),
            (Some("bytes=1"), 100, Full),
            (Some("bytes=1.5-2"), 100, Full),
            (Some("bytes==0-1"), 100, Full),
            (Some("bytes=0-1;"), 100, Full),
            // Overflow is malformed, never wrapped.
            (Some("bytes=18446744073709551616-"), 100, Full),
            (Some("bytes=0-18446744073709551616"), 100, Full),
            (Some("bytes=-18446744073709551616"), 100, Full),
            (Some("bytes=99999999999999999999999-"), 100, Full),
            // Several ranges: Full unless all are unsatisfiable.
            (Some("bytes=0-1,5-6"), 100, Full),
            (Some("bytes=0-1, 5-6"), 100, Full),
            (Some("bytes=0-1 ,\t5-6"), 100, Full),
            (Some("bytes=0-1,0-1"), 100, Full),
            (Some("bytes=200-,0-1"), 100, Full),
            (Some("bytes=200-,-1"), 100, Full),
            (Some("bytes=200-,300-"), 100, Unsatisfiable),
            (Some("bytes=200-, -0"), 100, Unsatisfiable),
            (Some("bytes=-0,-0"), 100, Unsatisfiable),
            (Some("bytes=200-,abc"), 100, Full),
            (Some("bytes=200-,300-,1-0"), 100, Full),
            (Some("bytes=0-1,x"), 100, Full),
        ];
        for &(header, size, want) in cases {
            let got = parse_range(header.map(str::as_bytes), size);
            assert_eq!(got, want, "{header:?} size {size}");
        }
    }

    #[test]
    fn content_range_values() {
        let mut mem = [0u8; 64];
        let mut b = Buf::new(&mut mem);
        content_range(&mut b, 0, 99, 100);
        assert_eq!(b.as_bytes(), b"bytes 0-99/100");
        b.truncate(0);
        content_range(&mut b, u64::MAX - 1, u64::MAX - 1, u64::MAX);
        // That one needs 68 bytes: the last number must be dropped whole,
        // and the overflow reported.
        assert_eq!(
            b.as_bytes(),
            b"bytes 18446744073709551614-18446744073709551614/"
        );
        assert!(b.overflowed());
        b.truncate(0);
        content_range_unsatisfied(&mut b, 100);
        assert_eq!(b.as_bytes(), b"bytes */100");
        b.truncate(0);
        content_range_unsatisfied(&mut b, 0);
        assert_eq!(b.as_bytes(), b"bytes */0");

        let mut big = [0u8; 80];
        let mut b = Buf::new(&mut big);
        content_range(&mut b, u64::MAX - 1, u64::MAX - 1, u64::MAX);
        assert!(!b.overflowed());
        assert_eq!(
            b.as_bytes(),
            b"bytes 18446744073709551614-18446744073709551614/18446744073709551615"
        );
    }

    /// An independent model of the documented rules, written with `std`
    /// string methods instead of byte loops, to cross-check the parser.
    fn model(header: &str, size: u64) -> Range {
        let v = header.trim_matches([' ', '\t']);
        if v.len() < 6 || !v.is_char_boundary(6) || !v[..6].eq_ignore_ascii_case("bytes=") {
            return Full;
        }
        let num = |s: &str| -> Option<u64> {
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            s.parse().ok()
        };
        // (first, last) with None first meaning a suffix of length `last`.
        let mut specs: Vec<(Option<u64>, Option<u64>)> = Vec::new();
        for el in v[6..].split(',') {
            let el = el.trim_matches([' ', '\t']);
            if el.is_empty() {
                continue;
            }
            let Some((a, b)) = el.split_once('-') else {
                return Full;
            };
            if a.is_empty() {
                match num(b) {
                    Some(n) => specs.push((None, Some(n))),
                    None => return Full,
                }
            } else {
                let Some(a) = num(a) else { return Full };
                let b = if b.is_empty() {
                    None
                } else {
                    match num(b) {
                        Some(b) if b >= a => Some(b),
                        _ => return Full,
                    }
                };
                specs.push((Some(a), b));
            }
        }
        let sat = |s: &(Option<u64>, Option<u64>)| match s {
            (Some(a), _) => *a < size,
            (None, n) => n.unwrap() > 0,
        };
        match specs.as_slice() {
            [] => Full,
            [one] if !sat(one) => Unsatisfiable,
            [_] if size == 0 => Full,
            [(Some(a), b)] => p(*a, b.unwrap_or(u64::MAX).min(size - 1)),
            [(None, n)] => p(size.saturating_sub(n.unwrap()), size - 1),
            many if many.iter().any(sat) => Full,
            _ => Unsatisfiable,
        }
    }

    #[test]
    fn matches_model_on_generated_headers() {
        let pieces = [
            "bytes=",
            "BYTES=",
            "bytes =",
            "items=",
            "0",
            "1",
            "5",
            "9",
            "10",
            "99",
            "100",
            "101",
            "-",
            "-",
            ",",
            ",",
            " ",
            "\t",
            "x",
            "18446744073709551615",
            "18446744073709551616",
        ];
        let sizes = [0, 1, 2, 10, 100, 101, u64::MAX];
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        let mut decided = [0usize; 3];
        for _ in 0..200_000 {
            let mut h = String::new();
            if rng.below_u64(8) != 0 {
                h.push_str(if rng.below_u64(4) == 0 {
                    " bytes="
                } else {
                    "bytes="
                });
            }
            for _ in 0..rng.below_u64(8) {
                h.push_str(pieces[rng.below_u64(pieces.len() as u64) as usize]);
            }
            let size = sizes[rng.below_u64(sizes.len() as u64) as usize];
            let got = parse_range(Some(h.as_bytes()), size);
            assert_eq!(got, model(&h, size), "{h:?} size {size}");
            if let Partial { start, end } = got {
                assert!(start <= end && end < size, "{h:?} size {size}");
            }
            decided[match got {
                Full => 0,
                Partial { .. } => 1,
                Unsatisfiable => 2,
            }] += 1;
        }
        // The generator must exercise every outcome, or the test is weak.
        assert!(decided.iter().all(|&n| n > 1000), "{decided:?}");
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut rng = XorShift(0x0123_4567_89ab_cdef);
        let mut buf = [0u8; 64];
        for _ in 0..100_000 {
            let len = rng.below_u64(buf.len() as u64) as usize;
            for b in buf.iter_mut().take(len) {
                *b = rng.next() as u8;
            }
            // Bias some inputs towards the interesting prefix.
            if len >= 6 && rng.below_u64(2) == 0 {
                buf[..6].copy_from_slice(b"bytes=");
            }
            let size = rng.next() >> rng.below_u64(64);
            if let Partial { start, end } = parse_range(Some(&buf[..len]), size) {
                assert!(start <= end && end < size);
            }
        }
    }
}
