//! `http::date`: parsing the three HTTP-date forms and formatting instants.
//!
//! The whole input is parsed as a header value:
//! - a date that parses is within `MIN_UNIX_SECS..=MAX_UNIX_SECS`, and its
//!   IMF-fixdate parses back to the same instant;
//! - against `httpdate`, only the differences the unit test
//!   `differential` allows: httpdate trims more than OWS (CR, LF, ...) and
//!   never checks the separator after an RFC 850 year; this parser takes
//!   years before 1970 and the leap second `:60`; no non-ASCII input
//!   parses.
//!
//! The first 8 bytes, as an instant folded into the supported range (years
//! 0000..=9999), are formatted:
//! - `imf_fixdate`, asctime and (for 1970..=2069) RFC 850 text parse back
//!   to the instant; from 1970 on, `imf_fixdate` is what httpdate writes
//!   and httpdate reads it back;
//! - `civil_from_unix` and `days_from_civil` are inverse, and the log,
//!   listing and ISO 8601 stamps show the same fields.

#![no_main]

use httpd::buf::Buf;
use httpd::http::date::{
    MAX_UNIX_SECS, MIN_UNIX_SECS, civil_from_unix, days_from_civil, imf_fixdate, iso8601,
    listing_time, log_time, parse_http_date,
};
use httpd_fuzz::{show, trim_ows};
use libfuzzer_sys::fuzz_target;
use std::time::{Duration, UNIX_EPOCH};

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

fuzz_target!(|data: &[u8]| {
    parsed(data);
    if let Some(first) = data.first_chunk::<8>() {
        // Fold any i64 into the supported range rather than clamping, so
        // every instant is as likely as any other.
        let span = (MAX_UNIX_SECS - MIN_UNIX_SECS + 1) as u64;
        let t = MIN_UNIX_SECS + (u64::from_le_bytes(*first) % span) as i64;
        formatted(t);
    }
});

/// One of the module's formatters, run into a fresh buffer.
fn fmt(f: fn(&mut Buf, i64), t: i64) -> String {
    let mut mem = [0u8; 64];
    let mut b = Buf::new(&mut mem);
    f(&mut b, t);
    assert!(!b.overflowed());
    String::from_utf8(b.as_bytes().to_vec()).unwrap()
}

/// httpdate's reading of `s`, in Unix seconds.
fn oracle(s: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(s).ok()?;
    let t = httpdate::parse_http_date(s).ok()?;
    Some(t.duration_since(UNIX_EPOCH).ok()?.as_secs() as i64)
}

fn parsed(s: &[u8]) {
    let shown = show(s);
    let ours = parse_http_date(s);
    if let Some(t) = ours {
        assert!(
            (MIN_UNIX_SECS..=MAX_UNIX_SECS).contains(&t),
            "{shown:?}: {t}"
        );
        let imf = fmt(imf_fixdate, t);
        assert_eq!(
            parse_http_date(imf.as_bytes()),
            Some(t),
            "{shown:?} -> {imf}"
        );
    }
    if !s.is_ascii() {
        assert_eq!(ours, None, "non-ASCII accepted: {shown:?}");
        return;
    }
    let theirs = oracle(s);
    let text = std::str::from_utf8(s).unwrap();
    match (ours, theirs) {
        (a, b) if a == b => {}
        (None, Some(_)) => assert!(
            text.trim().as_bytes() != trim_ows(s) || rfc850_unchecked_separator(text),
            "httpdate accepts, ours refuses: {shown:?}"
        ),
        (Some(t), None) => assert!(
            t < 0 || text.contains(":60 "),
            "ours accepts, httpdate refuses: {shown:?}"
        ),
        (a, b) => panic!("{shown:?}: ours {a:?}, httpdate {b:?}"),
    }
}

/// True when `text` is RFC 850-shaped but the byte httpdate skips (the
/// separator after the two-digit year) is not SP (from the unit tests).
fn rfc850_unchecked_separator(text: &str) -> bool {
    let t = text.trim().as_bytes();
    match t.iter().position(|&b| b == b',') {
        Some(comma) if comma > 3 => t.get(comma + 11) != Some(&b' '),
        _ => false,
    }
}

fn formatted(t: i64) {
    let c = civil_from_unix(t);
    assert!((0..=9999).contains(&c.year), "{t}: {c:?}");
    assert!(
        (1..=12).contains(&c.month) && (1..=31).contains(&c.day),
        "{t}: {c:?}"
    );
    assert!(
        c.hour < 24 && c.minute < 60 && c.second < 60 && c.weekday < 7,
        "{t}"
    );
    let days = days_from_civil(c.year, c.month, c.day);
    let secs = i64::from(c.hour) * 3600 + i64::from(c.minute) * 60 + i64::from(c.second);
    assert_eq!(days * 86_400 + secs, t, "{c:?}");
    assert_eq!(i64::from(c.weekday), (days + 4).rem_euclid(7), "{t}");

    let (y, mo, d, h, mi, s) = (c.year, c.month, c.day, c.hour, c.minute, c.second);
    let month = MONTHS[usize::from(mo - 1)];
    let day = DAYS[usize::from(c.weekday)];
    let imf = fmt(imf_fixdate, t);
    let want = format!(
        "{}, {d:02} {month} {y:04} {h:02}:{mi:02}:{s:02} GMT",
        &day[..3]
    );
    assert_eq!(imf, want, "{t}");
    assert_eq!(parse_http_date(imf.as_bytes()), Some(t), "{imf}");
    let asctime = format!("{} {month} {d:>2} {h:02}:{mi:02}:{s:02} {y:04}", &day[..3]);
    assert_eq!(parse_http_date(asctime.as_bytes()), Some(t), "{asctime}");
    if (1970..2070).contains(&y) {
        let rfc850 = format!(
            "{day}, {d:02}-{month}-{:02} {h:02}:{mi:02}:{s:02} GMT",
            y % 100
        );
        assert_eq!(parse_http_date(rfc850.as_bytes()), Some(t), "{rfc850}");
    }
    if t >= 0 {
        let when = UNIX_EPOCH + Duration::from_secs(t as u64);
        assert_eq!(imf, httpdate::fmt_http_date(when), "{t}");
        assert_eq!(oracle(imf.as_bytes()), Some(t), "{imf}");
    }

    let log = format!("{d:02}/{month}/{y:04} {h:02}:{mi:02}:{s:02}");
    assert_eq!(fmt(log_time, t), log, "{t}");
    let listing = format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}");
    assert_eq!(fmt(listing_time, t), listing, "{t}");
    let iso = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z");
    assert_eq!(fmt(iso8601, t), iso, "{t}");
}
