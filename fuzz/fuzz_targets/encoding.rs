//! `http::encoding`: `Accept-Encoding` weights (`preference`, `accepts`)
//! and `wants_json`. Input: one byte choosing the coding asked about from
//! `CODINGS`, then the header value.
//!
//! Properties (RFC 9110 §12.5.3 as the module docs narrow it):
//! - `preference` is in `0..=1000` and `accepts` is exactly `> 0`;
//! - it equals the unit tests' independent model (std string methods and
//!   float parsing): explicit member over `*`, lowest weight of repeats,
//!   malformed members ignored, no header or no member means 0;
//! - a `coding;q=0` member appended forbids the coding, whatever came
//!   before; `x-gzip` is `gzip` and `x-compress` is `compress`, both in
//!   the header and as the coding asked about; ASCII case never matters;
//! - `wants_json` agrees with a model written with std string methods:
//!   `application/json`'s weight above 0 and at least HTML's (`text/html`,
//!   else `text/*`, else `*/*`), lowest weight of repeats, members with a
//!   malformed `q` ignored.

#![no_main]

use httpd::http::encoding::{accepts, preference, wants_json};
use httpd_fuzz::show;
use libfuzzer_sys::fuzz_target;

/// The codings asked about, chosen by the first input byte.
const CODINGS: [&str; 11] = [
    "br",
    "zstd",
    "gzip",
    "deflate",
    "identity",
    "x-gzip",
    "compress",
    "x-compress",
    "GZip",
    "*",
    "",
];

fuzz_target!(|data: &[u8]| {
    let Some((&sel, header)) = data.split_first() else {
        return;
    };
    // A field value holds no LF (RFC 9110 §5.5): an LF can only be the
    // line end inside the span `http::request` keeps for a field sent on
    // several lines, which these functions read line by line (the request
    // target checks those spans). One value is modelled here, so LF
    // becomes VT, like it neither a token byte, OWS nor a separator.
    let header = &lf_to_vt(header)[..];
    let coding = CODINGS[usize::from(sel) % CODINGS.len()];
    let shown = show(header);
    let c = coding.as_bytes();
    let p = preference(Some(header), c);
    assert!(p <= 1000, "{shown:?} {coding}: {p}");
    assert_eq!(accepts(Some(header), c), p > 0, "{shown:?} {coding}");
    assert_eq!(preference(None, c), 0);
    let text = String::from_utf8_lossy(header);
    assert_eq!(p, model(&text, coding), "model: {shown:?} {coding}");

    let upper = header.to_ascii_uppercase();
    assert_eq!(preference(Some(&upper), c), p, "case: {shown:?} {coding}");
    let alias = match coding {
        "gzip" => Some("x-gzip"),
        "x-gzip" => Some("gzip"),
        "compress" => Some("x-compress"),
        "x-compress" => Some("compress"),
        _ => None,
    };
    if let Some(alias) = alias {
        let q = preference(Some(header), alias.as_bytes());
        assert_eq!(q, p, "alias {alias}: {shown:?} {coding}");
    }
    if !matches!(coding, "*" | "") {
        for forbid in [format!(",{coding};q=0"), format!(", {coding} ; Q=0.000")] {
            let h = [header, forbid.as_bytes()].concat();
            assert_eq!(preference(Some(&h), c), 0, "q=0: {:?} {coding}", show(&h));
        }
    }

    assert!(!wants_json(None));
    assert_eq!(wants_json(Some(header)), json_model(&text), "wants_json: {shown:?}");
});

/// `wants_json` by std string methods and float parsing.
fn json_model(header: &str) -> bool {
    let ranges = ["application/json", "text/html", "text/*", "*/*"];
    let mut weights = [None::<u16>; 4];
    for m in header.split(',') {
        let mut parts = m.split(';');
        let range = parts.next().unwrap_or("").trim_matches([' ', '\t']);
        let mut q = Some(1000);
        for p in parts {
            let p = p.trim_matches([' ', '\t']);
            if let Some(v) = p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")) {
                q = qvalue(v);
            }
        }
        let i = ranges.iter().position(|r| r.eq_ignore_ascii_case(range));
        if let (Some(q), Some(i)) = (q, i) {
            weights[i] = Some(weights[i].map_or(q, |o| o.min(q)));
        }
    }
    let json = weights[0].unwrap_or(0);
    json > 0 && json >= weights[1].or(weights[2]).or(weights[3]).unwrap_or(0)
}

/// A qvalue (RFC 9110 §12.4.2) in thousandths, by float parsing.
fn qvalue(v: &str) -> Option<u16> {
    let ok = v.len() <= 5
        && (v.starts_with('0') || v.starts_with('1'))
        && (v.len() == 1 || v.as_bytes()[1] == b'.')
        && v.bytes().skip(2).all(|b| b.is_ascii_digit());
    let f = v.parse::<f64>().ok().filter(|f| ok && *f <= 1.0)?;
    Some((f * 1000.0).round() as u16)
}

/// The unit tests' model of the module's rules. Invalid UTF-8 has become
/// U+FFFD, which like the bytes it replaced is no tchar, digit or
/// separator, so every member keeps its fate.
fn model(header: &str, coding: &str) -> u16 {
    let alias = |c: &str| match c.to_ascii_lowercase().as_str() {
        "x-gzip" => "gzip".to_string(),
        "x-compress" => "compress".to_string(),
        other => other.to_string(),
    };
    let wanted = alias(coding);
    let (mut explicit, mut star) = (None::<u16>, None::<u16>);
    for m in header.split(',') {
        let m = m.trim_matches([' ', '\t']);
        let (name, params) = match m.split_once(';') {
            Some((n, p)) => (n.trim_end_matches([' ', '\t']), Some(p)),
            None => (m, None),
        };
        let tchar = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
        if name.is_empty() || !name.chars().all(tchar) {
            continue;
        }
        let q = match params {
            None => 1000,
            Some(p) => {
                let p = p.trim_start_matches([' ', '\t']);
                let Some(v) = p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")) else {
                    continue;
                };
                let ok = v.len() <= 5
                    && (v.starts_with('0') || v.starts_with('1'))
                    && (v.len() == 1 || v.as_bytes()[1] == b'.')
                    && v.bytes().skip(2).all(|b| b.is_ascii_digit());
                let Some(f) = v.parse::<f64>().ok().filter(|f| ok && *f <= 1.0) else {
                    continue;
                };
                (f * 1000.0).round() as u16
            }
        };
        let slot = if name == "*" {
            &mut star
        } else if alias(name) == wanted {
            &mut explicit
        } else {
            continue;
        };
        *slot = Some(slot.map_or(q, |o: u16| o.min(q)));
    }
    explicit.or(star).unwrap_or(0)
}

/// `bytes` with every LF made VT (0x0b).
fn lf_to_vt(bytes: &[u8]) -> Vec<u8> {
    bytes
        .iter()
        .map(|&b| if b == b'\n' { 0x0b } else { b })
        .collect()
}
