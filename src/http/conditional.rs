//! Validators and conditional requests (RFC 9110 §8.8, §13): the strong
//! `ETag` this server sends for a file, and the checks behind
//! `If-None-Match`, `If-Modified-Since` and `If-Range`. Pure functions over
//! raw header bytes; HTTP-dates are parsed elsewhere
//! (`crate::http::date::parse_http_date`) and passed in as Unix seconds.
//!
//! # Evaluation order the caller must follow (RFC 9110 §13.2.2)
//!
//! Preconditions are evaluated only when the response without them would
//! be a 2xx (§13.2.1): a 404, 403, 301 and so on ignore them all. Then:
//!
//! 1. `If-Match` and `If-Unmodified-Since` (steps 1-2) are not evaluated by
//!    this module; for GET/HEAD of a static file they can only turn a 200
//!    into a 412.
//! 2. If `If-None-Match` is present: when [`none_match`] is true, answer
//!    304 (Not Modified) for GET and HEAD (412 for any other method);
//!    otherwise go on to step 4. `If-Modified-Since` is then IGNORED, even
//!    if present (§13.1.3: "A recipient MUST ignore If-Modified-Since if the
//!    request contains an If-None-Match header field").
//! 3. Else, only for GET and HEAD, if `If-Modified-Since` is present and
//!    parses as an HTTP-date (an invalid date means the field is ignored),
//!    answer 304 when [`modified_since`] is false.
//! 4. Only now, for GET with a `Range` header, evaluate `If-Range`: when it
//!    is present and [`if_range_matches`] is false, ignore `Range` and send
//!    the whole file with 200; otherwise evaluate `Range` (`http::range`).
//!    `If-Range` without `Range` is ignored (§13.1.5).
//! 5. Otherwise answer normally (200).
//!
//! A 304 must carry the `ETag` (and `Date`, `Cache-Control`, `Expires`,
//! `Vary`) that a 200 would (§15.4.5).

use crate::buf::Buf;
use crate::http::syntax::{field_values, skip_ows, strip_prefix, trim_ows};

/// The longest value [`etag`] appends, quotes included, so a caller can
/// size its buffer: 2 quotes, 2 hyphens, 16 hex digits each of size and
/// seconds, 8 of nanoseconds.
pub const ETAG_MAX_BYTES: usize = 2 + 2 + 16 + 16 + 8;

/// The obsolete "weak" indicator, case-sensitive (`%s"W/"`, RFC 9110 §8.8.3).
const WEAK_PREFIX: &[u8] = b"W/";

/// Appends the strong entity tag for a file (RFC 9110 §8.8.3), quotes
/// included: `"<size>-<mtime seconds>-<mtime nanoseconds>"`, each part
/// lowercase hex without leading zeros; seconds before the epoch are
/// written as their 64-bit two's complement.
///
/// Any change to the size or the modification time changes the tag: the
/// parts are fixed fields, so distinct inputs give distinct tags. The
/// inode is left out (it was in until issue 10): replicas of a site
/// behind a load balancer or CDN hold the same files under different
/// inodes and must give the same tags, and scanners flag inode numbers
/// in tags (as they did Apache's). The tag is strong because a file whose
/// size and nanosecond modification time are unchanged is taken to have
/// unchanged bytes, the usual assumption of static servers. At most
/// [`ETAG_MAX_BYTES`] bytes are appended.
pub fn etag(buf: &mut Buf, size: u64, mtime_secs: i64, mtime_nsec: u32) {
    buf.byte(b'"').hex(size).byte(b'-');
    buf.hex(mtime_secs as u64)
        .byte(b'-')
        .hex(u64::from(mtime_nsec))
        .byte(b'"');
}

/// Whether an `If-None-Match` field matches the current entity tag `etag`
/// (as produced by [`etag`]), using the WEAK comparison that §13.1.2
/// requires: `W/"x"` and `"x"` match. `*` matches, since the caller only
/// asks for an existing file. `header` is the field as `http::request`
/// keeps it: one line's value, or the span of a field sent on several
/// lines, which are one list (RFC 9110 §5.3), read through
/// `syntax::field_values`. List members are separated by commas with
/// optional whitespace; empty members are skipped and malformed ones
/// ignored (the rest of the list still counts). True means: answer 304 to
/// GET or HEAD.
pub fn none_match(header: &[u8], etag: &[u8]) -> bool {
    let Some(ours) = parse_whole_tag(etag) else {
        return false;
    };
    // `If-None-Match = "*" / #entity-tag`: a `*` inside a list (several
    // lines joined make one) is not in the grammar and is skipped as a
    // malformed member by `list_matches`.
    if trim_ows(header) == b"*" {
        return true;
    }
    field_values(header, b"if-none-match").any(|value| list_matches(value, &ours))
}

/// Whether any line of an `If-None-Match` field (one value, or the span
/// `http::request` keeps for several lines) is `*`: for a PUT that must
/// not replace a file (RFC 9110 §13.1.2), where reading a `*` that came
/// with other lines as "create only" is the safe side.
pub fn any_star(header: &[u8]) -> bool {
    field_values(header, b"if-none-match").any(|value| value == b"*")
}

/// Whether one line's list of entity tags holds one whose opaque part is
/// that of `ours` (weak comparison), skipping malformed members.
fn list_matches(value: &[u8], ours: &Tag) -> bool {
    let mut rest = value;
    loop {
        // Skip OWS and the commas of empty members (§5.6.1.2).
        let start = rest
            .iter()
            .position(|&b| !matches!(b, b' ' | b'\t' | b','))
            .unwrap_or(rest.len());
        rest = rest.get(start..).unwrap_or(&[]);
        if rest.is_empty() {
            return false;
        }
        if let Some((tag, after)) = parse_tag(rest) {
            let after = skip_ows(after);
            if after.is_empty() || after.first() == Some(&b',') {
                if tag.opaque == ours.opaque {
                    return true;
                }
                rest = after;
                continue;
            }
        }
        // A malformed member: resume after the first comma at or past its
        // start. A valid tag may contain commas (`"a,b"`), but a malformed
        // one has no reliable end, and this always makes progress.
        match rest.iter().position(|&b| b == b',') {
            Some(comma) => rest = rest.get(comma + 1..).unwrap_or(&[]),
            None => return false,
        }
    }
}

/// `If-Modified-Since` (RFC 9110 §13.1.3): whether a file last modified at
/// `last_modified_secs` has changed after `if_modified_since_secs` (both
/// Unix seconds). False means "not modified": answer 304 to GET or HEAD.
/// The comparison is in whole seconds because HTTP-dates have one-second
/// resolution and `Last-Modified` is sent truncated to the second.
pub fn modified_since(if_modified_since_secs: i64, last_modified_secs: i64) -> bool {
    last_modified_secs > if_modified_since_secs
}

/// `If-Range` (RFC 9110 §13.1.5): whether the validator in `header`
/// matches the current file, so that `Range` is honoured; false means send
/// the whole file with 200.
///
/// A value starting with `"` or `W/` is an entity tag and matches only by
/// STRONG comparison with `etag`: a weak tag never matches. Any other value
/// is given to `parse_date` (the trimmed value) and matches only when it
/// equals `last_modified_secs` exactly; this server's `Last-Modified` is
/// taken to be strong enough for that. Anything unparsable is false.
pub fn if_range_matches(
    header: &[u8],
    etag: &[u8],
    last_modified_secs: i64,
    parse_date: fn(&[u8]) -> Option<i64>,
) -> bool {
    let value = trim_ows(header);
    // §13.1.5: the two forms are told apart by their first characters.
    if value.starts_with(b"\"") || value.starts_with(WEAK_PREFIX) {
        let (Some(theirs), Some(ours)) = (parse_whole_tag(value), parse_whole_tag(etag)) else {
            return false;
        };
        // Strong comparison (§8.8.3.2): neither is weak and opaques equal.
        return !theirs.weak && !ours.weak && theirs.opaque == ours.opaque;
    }
    parse_date(value) == Some(last_modified_secs)
}

/// A parsed `entity-tag` (RFC 9110 §8.8.3).
struct Tag<'a> {
    weak: bool,
    /// The characters between the quotes.
    opaque: &'a [u8],
}

/// Parses an entity tag at the start of `bytes`; returns it and what
/// follows, or `None` when `bytes` does not start with one.
fn parse_tag(bytes: &[u8]) -> Option<(Tag<'_>, &[u8])> {
    let (weak, rest) = match strip_prefix(bytes, WEAK_PREFIX) {
        Some(rest) => (true, rest),
        None => (false, bytes),
    };
    let rest = strip_prefix(rest, b"\"")?;
    let close = rest.iter().position(|&b| b == b'"')?;
    let opaque = rest.get(..close)?;
    if !opaque.iter().all(|&b| is_etagc(b)) {
        return None;
    }
    Some((Tag { weak, opaque }, rest.get(close + 1..)?))
}

/// An entity tag that is the whole of `bytes` apart from surrounding OWS.
fn parse_whole_tag(bytes: &[u8]) -> Option<Tag<'_>> {
    match parse_tag(trim_ows(bytes))? {
        (tag, []) => Some(tag),
        _ => None,
    }
}

/// `etagc = %x21 / %x23-7E / obs-text` (RFC 9110 §8.8.3): visible
/// characters but `"`, and bytes 0x80-0xFF.
fn is_etagc(b: u8) -> bool {
    b == 0x21 || (0x23..=0x7e).contains(&b) || b >= 0x80
}

#[cfg(test)]
mod tests {
    use super::{ETAG_MAX_BYTES, etag, if_range_matches, modified_since, none_match};
    use crate::buf::Buf;

    fn tag_of(inode: u64, size: u64, secs: i64, nsec: u32) -> Vec<u8> {
        let mut mem = [0u8; ETAG_MAX_BYTES];
        let mut b = Buf::new(&mut mem);
        let _ = inode; // no longer part of the tag (issue 10)
        etag(&mut b, size, secs, nsec);
        assert!(!b.overflowed(), "{size} {secs} {nsec}");
        b.as_bytes().to_vec()
    }

    /// The documented format, rebuilt with `format!` as the oracle.
    fn expected(_inode: u64, size: u64, secs: i64, nsec: u32) -> String {
        format!("\"{size:x}-{:x}-{nsec:x}\"", secs as u64)
    }

    #[test]
    fn etag_format() {
        assert_eq!(tag_of(0, 0, 0, 0), b"\"0-0-0\"");
        assert_eq!(tag_of(0x1a, 0x2b, 0, 0x3c), b"\"2b-0-3c\"");
        assert_eq!(tag_of(0x1a, 0x2b, -1, 0), b"\"2b-ffffffffffffffff-0\"");
        assert_eq!(tag_of(1, 2, 1, 5), b"\"2-1-5\"");
        let cases = [
            (0u64, 0u64, 0i64, 0u32),
            (1, 1, 1_700_000_000, 123_456_789),
            (u64::MAX, u64::MAX, i64::MAX, 999_999_999),
            (u64::MAX, u64::MAX, i64::MIN, 0),
            (u64::MAX, u64::MAX, i64::MIN, 999_999_999),
            (12, 34, 18_446_744_073, 709_551_615),
            (12, 34, 18_446_744_073, 709_551_616),
            (12, 34, -5, 999_999_999),
            (3, 4, -1, 999_999_999),
            (u64::MAX, u64::MAX, -1, u32::MAX),
        ];
        let mut longest = 0;
        for (i, s, secs, ns) in cases {
            let got = tag_of(i, s, secs, ns);
            assert_eq!(
                String::from_utf8(got.clone()).unwrap(),
                expected(i, s, secs, ns)
            );
            // A valid strong entity-tag that none_match recognises.
            assert!(none_match(&got, &got));
            longest = longest.max(got.len());
        }
        assert_eq!(longest, ETAG_MAX_BYTES);
        // One byte short must overflow rather than write a cut tag.
        let mut mem = [0u8; ETAG_MAX_BYTES - 1];
        let mut b = Buf::new(&mut mem);
        etag(&mut b, u64::MAX, -1, u32::MAX);
        assert!(b.overflowed());
    }

    #[test]
    fn etag_changes_with_each_input() {
        let base = tag_of(100, 200, 1_700_000_000, 500);
        // The same file on another replica (another inode): the same tag.
        assert_eq!(base, tag_of(101, 200, 1_700_000_000, 500));
        assert_ne!(base, tag_of(100, 201, 1_700_000_000, 500));
        assert_ne!(base, tag_of(100, 200, 1_700_000_001, 500));
        assert_ne!(base, tag_of(100, 200, 1_700_000_000, 501));
        assert_ne!(tag_of(1, 2, 0, 1), tag_of(1, 2, -0, 0));
        assert_ne!(tag_of(1, 2, 1, 0), tag_of(1, 2, -1, 0));
    }

    #[test]
    fn none_match_table() {
        let ours = b"\"abc\"";
        let cases: &[(&str, bool)] = &[
            ("\"abc\"", true),
            ("W/\"abc\"", true),
            ("  \"abc\"\t", true),
            ("*", true),
            (" * ", true),
            ("\"xyz\"", false),
            ("\"ABC\"", false),
            ("w/\"abc\"", false),
            ("W/ \"abc\"", false),
            ("\"a\", \"b\"", false),
            ("\"a\", \"abc\"", true),
            ("\"abc\", \"b\"", true),
            ("W/\"a\" ,\"abc\"", true),
            ("W/\"a\" ,W/\"abc\"", true),
            ("\"a\",\"abc\"", true),
            ("\"a\"\t,\t\"abc\"", true),
            (",,\"abc\",,", true),
            (", ,\t,", false),
            ("", false),
            ("   ", false),
            // Malformed members are skipped, the rest still counts.
            ("\"abc", false),
            ("abc\"", false),
            ("abc", false),
            ("\"a, \"abc\"", true),
            ("abc\", \"abc\"", true),
            ("\"abc\"x", false),
            ("\"abc\"x, \"abc\"", true),
            ("\"a\" \"abc\"", false),
            ("\"a\" \"b\", \"abc\"", true),
            ("*, \"abc\"", true),
            ("*, \"a\"", false),
            ("\"a\", *", false),
            ("**", false),
            ("\"a\"\"abc\"", false),
            ("\"ab c\"", false),
            ("\"abc\" ;", false),
            ("W/", false),
            ("W/\"", false),
            ("\"", false),
            ("\"\"", false),
            // A comma inside a valid tag is part of it.
            ("\"a,abc\"", false),
            ("\"x,y\", \"abc\"", true),
        ];
        for &(header, want) in cases {
            assert_eq!(none_match(header.as_bytes(), ours), want, "{header:?}");
        }
        // Our tag may be weak-marked too (the comparison is weak anyway),
        // and an empty opaque tag is still a tag.
        assert!(none_match(b"\"abc\"", b"W/\"abc\""));
        assert!(none_match(b"\"\"", b"\"\""));
        assert!(none_match(b"\"x\", \"\"", b"\"\""));
        // Obs-text is allowed inside tags.
        assert!(none_match(b"\"\xff\x80\"", b"\"\xff\x80\""));
        // SP is not an etagc: such a tag is malformed on either side.
        assert!(!none_match(b"\"a b\"", b"\"a b\""));
        // A malformed current tag matches nothing, not even `*`.
        assert!(!none_match(b"*", b"abc"));
        assert!(!none_match(b"\"abc\"", b"\"abc"));
    }

    #[test]
    fn none_match_sees_every_line() {
        // The spans `http::request` keeps for a field on several lines
        // (RFC 9110 §5.3): every line's tags count, other fields do not.
        let ours = b"\"abc\"";
        let cases: &[(&[u8], bool)] = &[
            (b"\"x\"\r\nIf-None-Match: \"abc\"", true),
            (b"\"abc\"\r\nIf-None-Match: \"x\"", true),
            (b"\"x\"\r\nHost: h\r\nif-none-match: \"y\", W/\"abc\"", true),
            (b"\"x\"\nETag: \"abc\"\nIf-None-Match: \"y\"", false),
            (b"\"x\"\r\nX-If-None-Match: \"abc\"", false),
            (b"\"x\"\r\nIf-None-Match: \"y\"", false),
            // `*` is a whole field value, never a list member.
            (b"*\r\nIf-None-Match: *", false),
            (b"*\r\nIf-None-Match: \"abc\"", true),
            (b"\r\nIf-None-Match: \"abc\"", true),
        ];
        for &(span, want) in cases {
            assert_eq!(none_match(span, ours), want, "{}", span.escape_ascii());
        }
    }

    #[test]
    fn a_star_on_any_line() {
        use super::any_star;
        assert!(any_star(b"*") && any_star(b" * "));
        assert!(any_star(b"\"a\"\r\nIf-None-Match: *"));
        assert!(any_star(b"*\r\nIf-None-Match: \"a\""));
        assert!(!any_star(b"\"a\"\r\nX: *") && !any_star(b"*, \"a\"") && !any_star(b""));
    }

    #[test]
    fn modified_since_table() {
        assert!(!modified_since(1000, 1000));
        assert!(!modified_since(1000, 999));
        assert!(modified_since(1000, 1001));
        assert!(modified_since(i64::MIN, 0));
        assert!(!modified_since(i64::MAX, i64::MAX));
        assert!(!modified_since(0, -1));
    }

    /// A stand-in for `http::date::parse_http_date`: `@<decimal secs>`.
    fn fake_date(bytes: &[u8]) -> Option<i64> {
        std::str::from_utf8(bytes.strip_prefix(b"@")?)
            .ok()?
            .parse()
            .ok()
    }

    #[test]
    fn if_range_table() {
        let ours = b"\"abc\"";
        let lm = 1_000;
        let cases: &[(&str, bool)] = &[
            ("\"abc\"", true),
            (" \"abc\" ", true),
            ("W/\"abc\"", false),
            ("\"abd\"", false),
            ("\"ABC\"", false),
            ("\"abc\", \"abc\"", false),
            ("\"abc", false),
            ("\"abc\"x", false),
            ("W/", false),
            ("@1000", true),
            (" @1000\t", true),
            ("@999", false),
            ("@1001", false),
            ("@", false),
            ("1000", false),
            ("garbage", false),
            ("", false),
            ("*", false),
        ];
        for &(header, want) in cases {
            let got = if_range_matches(header.as_bytes(), ours, lm, fake_date);
            assert_eq!(got, want, "{header:?}");
        }
        // A weak current tag never matches strongly.
        assert!(!if_range_matches(b"\"abc\"", b"W/\"abc\"", lm, fake_date));
        // Our own tags round-trip.
        let t = tag_of(7, 8, 9, 10);
        assert!(if_range_matches(&t, &t, lm, fake_date));
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let alphabet = b"\"W/, \t*abc\xff";
        let mut buf = [0u8; 40];
        for round in 0..100_000 {
            let len = (next() % buf.len() as u64) as usize;
            for b in buf.iter_mut().take(len) {
                let r = next();
                *b = if round % 2 == 0 {
                    alphabet[(r % alphabet.len() as u64) as usize]
                } else {
                    r as u8
                };
            }
            let h = &buf[..len];
            let m = none_match(h, b"\"abc\"");
            // The only tags the alphabet can match contain exactly `abc`.
            if m && h.iter().any(|&b| b != b'*' && b != b' ' && b != b'\t') {
                assert!(h.windows(5).any(|w| w == b"\"abc\""), "{h:?}");
            }
            none_match(b"\"abc\"", h);
            if_range_matches(h, b"\"abc\"", 0, fake_date);
            if_range_matches(b"\"abc\"", h, 0, fake_date);
        }
    }
}
