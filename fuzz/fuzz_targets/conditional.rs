//! `http::conditional`: `If-None-Match` lists (`none_match`, WEAK
//! comparison) and `If-Range` (`if_range_matches`, STRONG comparison or an
//! exact date). Input: one byte `n`, then `n % 64` bytes of the current
//! entity tag, then the header value.
//!
//! Properties (RFC 9110 §8.8.3.2, §13.1.2, §13.1.5, and the docs):
//! - `*` matches exactly when the current tag is a valid entity-tag;
//! - an invalid current tag matches nothing;
//! - for a valid current tag `"O"` or `W/"O"`: `"O"` and `W/"O"` match,
//!   also as a member before any other value and a comma, or after one
//!   (when the tag holds no comma, which could join it to junk before); a
//!   match means `"O"` occurs in the header (unless it is `*`); whether
//!   the current tag is weak never changes the answer (weak comparison);
//! - `If-Range` with a tag matches only a strong `"O"` equal to a strong
//!   current tag; `W/` never matches; any other value matches exactly
//!   when it parses as an HTTP-date equal to the last modification;
//! - `etag` writes the documented `"size-secs-nsec"` in hex, which
//!   matches itself both ways.

#![no_main]

use httpd::buf::Buf;
use httpd::http::conditional::{ETAG_MAX_BYTES, etag, if_range_matches, none_match};
use httpd::http::date::parse_http_date;
use httpd_fuzz::{show, trim_ows};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let (ours, header) = rest.split_at(usize::from(n % 64).min(rest.len()));
    // A field value holds no LF (RFC 9110 §5.5): an LF can only be the
    // line end inside the span `http::request` keeps for a field sent on
    // several lines, which `none_match` reads line by line (the request
    // target checks those spans). One value is modelled here, so LF
    // becomes VT, like it no etagc, OWS or comma.
    let value: Vec<u8> = header
        .iter()
        .map(|&b| if b == b'\n' { 0x0b } else { b })
        .collect();
    lists(ours, &value);
    if_range(ours, header);
    if let Some((nums, _)) = rest.split_first_chunk::<28>() {
        generated(nums);
    }
});

/// `(weak, opaque)` of a value that is one entity-tag and OWS
/// (`entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE`), by std slice methods.
fn whole_tag(value: &[u8]) -> Option<(bool, &[u8])> {
    let t = trim_ows(value);
    let (weak, t) = match t.strip_prefix(b"W/") {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let opaque = t.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
    let etagc = |c: &u8| *c == 0x21 || (0x23..=0x7e).contains(c) || *c >= 0x80;
    opaque.iter().all(etagc).then_some((weak, opaque))
}

fn lists(ours: &[u8], header: &[u8]) {
    let shown = (show(header), show(ours));
    let got = none_match(header, ours);
    let valid = whole_tag(ours);
    assert_eq!(
        none_match(b" * ", ours),
        valid.is_some(),
        "header and etag {shown:?}"
    );
    let Some((_, opaque)) = valid else {
        assert!(!got, "an invalid etag matched: header and etag {shown:?}");
        return;
    };
    let strong = [b"\"", opaque, b"\""].concat();
    let weak = [b"W/", &strong[..]].concat();
    assert_eq!(
        got,
        none_match(header, &strong),
        "weakness changed: header and etag {shown:?}"
    );
    assert_eq!(
        got,
        none_match(header, &weak),
        "weakness changed: header and etag {shown:?}"
    );
    if got && trim_ows(header) != b"*" {
        let found = header.windows(strong.len()).any(|w| w == strong);
        assert!(
            found,
            "matched without the tag in the header: header and etag {shown:?}"
        );
    }
    for tag in [&strong[..], &weak[..]] {
        assert!(none_match(tag, ours), "header and etag {shown:?}");
        // After other members: unless the tag holds a comma, which makes
        // `"q` + `,` + `",x"` read as the tag `"q,"` and the junk `x"`.
        if !opaque.contains(&b',') {
            let after = [header, b",", tag].concat();
            assert!(
                none_match(&after, ours),
                "member after {:?}: header and etag {shown:?}",
                show(&after)
            );
        }
        let before = [tag, b",", header].concat();
        assert!(
            none_match(&before, ours),
            "member before {:?}: header and etag {shown:?}",
            show(&before)
        );
    }
}

fn if_range(ours: &[u8], header: &[u8]) {
    let shown = (show(header), show(ours));
    let value = trim_ows(header);
    if value.starts_with(b"\"") || value.starts_with(b"W/") {
        let got = if_range_matches(header, ours, 0, parse_http_date);
        let want = match (whole_tag(header), whole_tag(ours)) {
            (Some((false, theirs)), Some((false, mine))) => theirs == mine,
            _ => false,
        };
        assert_eq!(got, want, "header and etag {shown:?}");
    } else {
        let date = parse_http_date(value);
        let lm = date.unwrap_or(0);
        let got = if_range_matches(header, ours, lm, parse_http_date);
        assert_eq!(got, date.is_some(), "header and etag {shown:?}");
        assert!(
            !if_range_matches(header, ours, lm ^ 1, parse_http_date),
            "header and etag {shown:?}"
        );
    }
    if let Some((weak, opaque)) = whole_tag(ours) {
        let strong = [b"\"", opaque, b"\""].concat();
        let got = if_range_matches(&strong, ours, 0, parse_http_date);
        assert_eq!(got, !weak, "header and etag {shown:?}");
        let weak_tag = [b"W/", &strong[..]].concat();
        assert!(
            !if_range_matches(&weak_tag, ours, 0, parse_http_date),
            "header and etag {shown:?}"
        );
    }
}

fn generated(nums: &[u8; 28]) {
    let inode = u64::from_le_bytes(nums[0..8].try_into().unwrap());
    let size = u64::from_le_bytes(nums[8..16].try_into().unwrap());
    let secs = i64::from_le_bytes(nums[16..24].try_into().unwrap());
    let nsec = u32::from_le_bytes(nums[24..28].try_into().unwrap());
    let mut mem = [0u8; ETAG_MAX_BYTES];
    let mut b = Buf::new(&mut mem);
    let _ = inode; // not part of the tag since issue 10
    etag(&mut b, size, secs, nsec);
    assert!(!b.overflowed());
    let tag = b.as_bytes();
    let want = format!("\"{size:x}-{:x}-{nsec:x}\"", secs as u64);
    assert_eq!(tag, want.as_bytes());
    assert!(none_match(tag, tag) && if_range_matches(tag, tag, 0, parse_http_date));
}
