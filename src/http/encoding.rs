//! `Accept-Encoding` (RFC 9110 §12.5.3): how much a client wants a given
//! content-coding, so the server can pick a precompressed variant of a file
//! (`.br`, `.zst`, `.gz`). Pure functions over the raw header bytes.
//!
//! Rules, with the choices this server makes:
//! - Codings are tokens compared case-insensitively (§8.4.1); `x-gzip` is
//!   `gzip` and `x-compress` is `compress` (§8.4.1.1, §8.4.1.3).
//! - A member is `coding [ OWS ";" OWS "q=" qvalue ]` (§12.4.2), `q` in any
//!   case; a member that does not match that (an invalid weight, another
//!   parameter, junk) is ignored, and the rest of the list still counts.
//! - `q=0` forbids the coding; `*` stands for every coding not listed
//!   explicitly, and an explicit member always overrides it.
//! - A coding listed more than once gets its LOWEST weight (likewise `*`):
//!   the spec leaves this open, and sending a coding the client refused
//!   breaks it, while falling back to the identity encoding is always safe.
//! - No header, or an empty one, means no content-coding is wanted: this
//!   server sends a precompressed file only when the client asked for it
//!   (§12.5.3 would allow any coding when the header is absent).
//! - `identity` is treated like any other name; this module does not decide
//!   whether the uncompressed file may be sent (it always is here).
//! - A field sent on several lines is one list (RFC 9110 §5.3): the header
//!   given is what `http::request` keeps, one line's value or the span of
//!   several lines, read through `syntax::field_values`.

use crate::http::syntax::{
    eq_ignore_case, field_values, is_tchar, skip_ows, strip_prefix, trim_ows,
};
/// The weight scale: a qvalue has at most three decimals (§12.4.2), so
/// weights are whole thousandths, 0 (not acceptable) ..= 1000 (preferred).
const Q_SCALE_THOUSANDTHS: u16 = 1000;

/// At most this many digits after the decimal point of a qvalue (§12.4.2).
const QVALUE_MAX_DECIMALS: usize = 3;

/// Whether a listing is asked for as JSON (RFC 9110 §12.5.1): the
/// `Accept` header gives `application/json` a weight above 0 and at least
/// that of HTML (`text/html`, else `text/*`, else `*/*`). Browsers name
/// `text/html` and not JSON; API clients name JSON, some with `*/*` at the
/// same weight (axios), which goes to JSON; `application/json;q=0` never
/// does. Members are `range *( OWS ";" OWS param )`; a `q` that is not a
/// qvalue drops its member; a range listed twice gets its lowest weight.
/// `Accept` on several lines is one list (RFC 9110 §5.3).
pub fn wants_json(accept: Option<&[u8]>) -> bool {
    let Some(value) = accept else {
        return false;
    };
    // JSON, text/html, text/*, */*.
    let mut weights: [Option<u16>; 4] = [None; 4];
    for line in field_values(value, b"accept") {
        for member in line.split(|&b| b == b',') {
            let mut parts = member.split(|&b| b == b';');
            let range = trim_ows(parts.next().unwrap_or_default());
            let mut q = Some(Q_SCALE_THOUSANDTHS);
            for param in parts {
                if let [b'q' | b'Q', b'=', v @ ..] = trim_ows(param) {
                    q = parse_qvalue(v);
                }
            }
            let ranges: [&[u8]; 4] = [b"application/json", b"text/html", b"text/*", b"*/*"];
            let (Some(q), Some(i)) = (q, ranges.iter().position(|r| eq_ignore_case(range, r)))
            else {
                continue;
            };
            if let Some(slot) = weights.get_mut(i) {
                *slot = Some(slot.map_or(q, |old| old.min(q)));
            }
        }
    }
    let [json, html, text, any] = weights;
    let json = json.unwrap_or(0);
    json > 0 && json >= html.or(text).or(any).unwrap_or(0)
}

/// Whether the client accepts the content-coding `coding` (a token such as
/// `b"br"`, `b"zstd"`, `b"gzip"`): exactly `preference(header, coding) > 0`.
pub fn accepts(header: Option<&[u8]>, coding: &[u8]) -> bool {
    preference(header, coding) > 0
}

/// The client's weight for the content-coding `coding`, in thousandths
/// (0..=1000): its explicit member if any, else that of `*`, else 0. See
/// the module docs for the rules. The caller picks among br, zstd and gzip
/// by the highest preference, ties broken in that order.
pub fn preference(header: Option<&[u8]>, coding: &[u8]) -> u16 {
    let Some(value) = header else {
        return 0;
    };
    let wanted = canonical(coding);
    let mut explicit: Option<u16> = None;
    let mut star: Option<u16> = None;
    // Neither tokens nor qvalues contain commas, so splitting on them finds
    // every member of a valid list (§5.6.1); empty members come out empty
    // and are skipped by `parse_member`. Every line of the field counts.
    for line in field_values(value, b"accept-encoding") {
        for member in line.split(|&b| b == b',') {
            let Some((name, q)) = parse_member(member) else {
                continue;
            };
            let slot = if name == b"*" {
                &mut star
            } else if eq_ignore_case(canonical(name), wanted) {
                &mut explicit
            } else {
                continue;
            };
            *slot = Some(slot.map_or(q, |old| old.min(q)));
        }
    }
    explicit.or(star).unwrap_or(0)
}

/// The name a legacy alias stands for (§8.4.1.1, §8.4.1.3).
fn canonical(coding: &[u8]) -> &[u8] {
    if eq_ignore_case(coding, b"x-gzip") {
        b"gzip"
    } else if eq_ignore_case(coding, b"x-compress") {
        b"compress"
    } else {
        coding
    }
}

/// One list member: `token [ OWS ";" OWS "q=" qvalue ]`, surrounded by
/// OWS. Returns the coding and its weight in thousandths (1000 when no
/// weight is given), or `None` when empty or malformed.
fn parse_member(member: &[u8]) -> Option<(&[u8], u16)> {
    let member = trim_ows(member);
    let name_len = member
        .iter()
        .position(|&b| !is_tchar(b))
        .unwrap_or(member.len());
    if name_len == 0 {
        return None;
    }
    let name = member.get(..name_len)?;
    let rest = skip_ows(member.get(name_len..)?);
    if rest.is_empty() {
        return Some((name, Q_SCALE_THOUSANDTHS));
    }
    let rest = skip_ows(strip_prefix(rest, b";")?);
    // ABNF literals are case-insensitive, so "q=" also matches "Q=".
    let qvalue = match rest {
        [b'q' | b'Q', b'=', qvalue @ ..] => qvalue,
        _ => return None,
    };
    Some((name, parse_qvalue(qvalue)?))
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`
/// (§12.4.2) in thousandths; `None` for anything else (`1.5`, `.5`,
/// `0.0001`, empty, trailing junk).
fn parse_qvalue(bytes: &[u8]) -> Option<u16> {
    let (&unit, rest) = bytes.split_first()?;
    let decimals = match rest {
        [] => &[][..],
        [b'.', decimals @ ..] => decimals,
        _ => return None,
    };
    if decimals.len() > QVALUE_MAX_DECIMALS {
        return None;
    }
    match unit {
        b'1' if decimals.iter().all(|&b| b == b'0') => Some(Q_SCALE_THOUSANDTHS),
        b'0' => {
            // Pad to three decimals: "0.5" is 500, "0.05" is 50.
            let mut q: u16 = 0;
            let mut scale = Q_SCALE_THOUSANDTHS;
            for &b in decimals {
                if !b.is_ascii_digit() {
                    return None;
                }
                scale /= 10;
                q += u16::from(b - b'0') * scale;
            }
            Some(q)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn json_is_chosen_by_weight() {
        let cases: [(&str, bool); 16] = [
            ("application/json", true),
            ("Application/JSON", true),
            ("application/json, text/plain, */*", true),
            ("application/json;q=0", false),
            ("application/json; q=0.0", false),
            (
                "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                false,
            ),
            ("*/*", false),
            ("application/json;q=0.5, text/html", false),
            ("application/json;q=0.5, text/*;q=0.4", true),
            ("text/html;q=0.9, application/json", true),
            ("application/json;q=2", false),
            ("application/json;charset=utf-8;q=0.7, */*;q=0.7", true),
            ("application/json, application/json;q=0", false),
            ("application/jsonx", false),
            ("", false),
            ("text/html, application/json;Q=1.000", true),
        ];
        for (accept, json) in cases {
            assert_eq!(wants_json(Some(accept.as_bytes())), json, "{accept:?}");
        }
        assert!(!wants_json(None));
    }

    use super::{accepts, preference, wants_json};
    use crate::testing::XorShift;

    /// (header, [br, zstd, gzip, deflate, identity] preferences)
    #[test]
    fn table() {
        let cases: &[(Option<&str>, [u16; 5])] = &[
            (None, [0, 0, 0, 0, 0]),
            (Some(""), [0, 0, 0, 0, 0]),
            (Some("  "), [0, 0, 0, 0, 0]),
            // Chrome / Firefox.
            (Some("gzip, deflate, br, zstd"), [1000, 1000, 1000, 1000, 0]),
            (Some("gzip, deflate, br"), [1000, 0, 1000, 1000, 0]),
            // curl --compressed (builds with and without brotli/zstd).
            (Some("deflate, gzip, br, zstd"), [1000, 1000, 1000, 1000, 0]),
            (Some("deflate, gzip"), [0, 0, 1000, 1000, 0]),
            // Older Safari and IE-era headers.
            (Some("gzip, deflate"), [0, 0, 1000, 1000, 0]),
            (Some("gzip,deflate,sdch"), [0, 0, 1000, 1000, 0]),
            (Some("identity"), [0, 0, 0, 0, 1000]),
            (Some("identity;q=1, *;q=0"), [0, 0, 0, 0, 1000]),
            (Some("*"), [1000, 1000, 1000, 1000, 1000]),
            (Some("*;q=0"), [0, 0, 0, 0, 0]),
            (Some("*;q=0.3"), [300, 300, 300, 300, 300]),
            (Some("gzip;q=0, *"), [1000, 1000, 0, 1000, 1000]),
            (Some("*, gzip;q=0"), [1000, 1000, 0, 1000, 1000]),
            (Some("*;q=0, br"), [1000, 0, 0, 0, 0]),
            (Some("br;q=0.5, gzip;q=1.0"), [500, 0, 1000, 0, 0]),
            (Some("br;q=0.5, *;q=0.1"), [500, 100, 100, 100, 100]),
            (Some("GZIP"), [0, 0, 1000, 0, 0]),
            (Some("Br, ZSTD"), [1000, 1000, 0, 0, 0]),
            (Some("x-gzip"), [0, 0, 1000, 0, 0]),
            (Some("X-GZIP;q=0.2"), [0, 0, 200, 0, 0]),
            (Some("x-gzip;q=0, *"), [1000, 1000, 0, 1000, 1000]),
            // Weights.
            (Some("gzip;q=1"), [0, 0, 1000, 0, 0]),
            (Some("gzip;q=1."), [0, 0, 1000, 0, 0]),
            (Some("gzip;q=1.000"), [0, 0, 1000, 0, 0]),
            (Some("gzip; Q=1.000"), [0, 0, 1000, 0, 0]),
            (Some("gzip;q=0.001"), [0, 0, 1, 0, 0]),
            (Some("gzip;q=0.05"), [0, 0, 50, 0, 0]),
            (Some("gzip;q=0.999"), [0, 0, 999, 0, 0]),
            (Some("gzip;q=0."), [0, 0, 0, 0, 0]),
            (Some("gzip;q=0.0"), [0, 0, 0, 0, 0]),
            (Some("gzip;q=0.000"), [0, 0, 0, 0, 0]),
            (Some("gzip ; q=0.8"), [0, 0, 800, 0, 0]),
            (Some("gzip\t;\tq=0.8\t"), [0, 0, 800, 0, 0]),
            // Invalid weights: the member is ignored.
            (Some("gzip;q=1.0001"), [0, 0, 0, 0, 0]),
            (Some("gzip;q=0.0001"), [0, 0, 0, 0, 0]),
            (Some("gzip;q="), [0, 0, 0, 0, 0]),
            (Some("gzip;q"), [0, 0, 0, 0, 0]),
            (Some("gzip;"), [0, 0, 0, 0, 0]),
            (Some("gzip;q=1.5"), [0, 0, 0, 0, 0]),
            (Some("gzip;q=2"), [0, 0, 0, 0, 0]),
            (Some("gzip;q=.5"), [0, 0, 0, 0, 0]),
            (Some("gzip;q=-1"), [0, 0, 0, 0, 0]),
            (Some("gzip;q=0.5x"), [0, 0, 0, 0, 0]),
            (Some("gzip;q= 0.5"), [0, 0, 0, 0, 0]),
            (Some("gzip;q =0.5"), [0, 0, 0, 0, 0]),
            (Some("gzip;q=\"0.5\""), [0, 0, 0, 0, 0]),
            (Some("gzip;level=1"), [0, 0, 0, 0, 0]),
            (Some("gzip;q=0.5;q=0.6"), [0, 0, 0, 0, 0]),
            // An ignored member does not hide the others, nor `*`.
            (Some("gzip;q=1.0001, *;q=0.5"), [500, 500, 500, 500, 500]),
            (Some("br;q=2, br;q=0.4"), [400, 0, 0, 0, 0]),
            // Duplicates: the lowest weight wins.
            (Some("gzip, gzip;q=0"), [0, 0, 0, 0, 0]),
            (Some("gzip;q=0.5, x-gzip;q=0.7"), [0, 0, 500, 0, 0]),
            (Some("*, *;q=0.2"), [200, 200, 200, 200, 200]),
            // Empty members and whitespace.
            (Some(",, br ,\t, "), [1000, 0, 0, 0, 0]),
            (Some("  br  "), [1000, 0, 0, 0, 0]),
            // Junk.
            (Some("gzip deflate"), [0, 0, 0, 0, 0]),
            (Some("gz ip"), [0, 0, 0, 0, 0]),
            (Some("gzipx"), [0, 0, 0, 0, 0]),
            (Some("gzi"), [0, 0, 0, 0, 0]),
            (Some(";q=1"), [0, 0, 0, 0, 0]),
            (Some("\"gzip\""), [0, 0, 0, 0, 0]),
            (Some("gzip\r"), [0, 0, 0, 0, 0]),
            (Some("br/gzip"), [0, 0, 0, 0, 0]),
            (Some("**"), [0, 0, 0, 0, 0]),
            (Some("\u{e9}gzip, br"), [1000, 0, 0, 0, 0]),
        ];
        let codings: [&[u8]; 5] = [b"br", b"zstd", b"gzip", b"deflate", b"identity"];
        for &(header, want) in cases {
            for (coding, want) in codings.iter().zip(want) {
                let h = header.map(str::as_bytes);
                let name = std::str::from_utf8(coding).unwrap();
                assert_eq!(preference(h, coding), want, "{header:?} {name}");
                assert_eq!(accepts(h, coding), want > 0, "{header:?} {name}");
            }
        }
        // The coding asked about is case-insensitive and may be an alias.
        assert_eq!(preference(Some(b"gzip;q=0.5"), b"GZip"), 500);
        assert_eq!(preference(Some(b"gzip;q=0.5"), b"x-gzip"), 500);
        assert_eq!(preference(Some(b"compress"), b"x-compress"), 1000);
        assert_eq!(preference(Some(b"x-compress"), b"compress"), 1000);
    }

    #[test]
    fn every_line_counts() {
        // The spans `http::request` keeps for a field on several lines.
        let ae = b"gzip;q=0.5\r\nAccept: br\r\naccept-encoding: br;q=0.2, *;q=0";
        assert_eq!(preference(Some(ae), b"gzip"), 500);
        assert_eq!(preference(Some(ae), b"br"), 200);
        assert_eq!(preference(Some(ae), b"zstd"), 0);
        // `*` on one line, an explicit coding on another.
        let ae = b"*;q=0\r\nAccept-Encoding: zstd";
        assert_eq!(preference(Some(ae), b"zstd"), 1000);
        assert_eq!(preference(Some(ae), b"gzip"), 0);
        // A coding refused on a later line stays refused.
        assert_eq!(preference(Some(b"br\nAccept-Encoding: br;q=0"), b"br"), 0);
        let accept: &[&[u8]] = &[
            b"text/html\r\nAccept: application/json;q=0",
            b"application/json\r\nAccept-Encoding: x\r\nAccept: text/html;q=0.5",
            b"text/html;q=0.1\r\nAccept: application/json",
        ];
        let want = [false, true, true];
        for (a, want) in accept.iter().zip(want) {
            assert_eq!(wants_json(Some(a)), want, "{}", a.escape_ascii());
        }
        // A line of another field is not read as this one's.
        assert!(!wants_json(Some(
            b"text/html\r\nX-Accept: application/json"
        )));
    }

    /// An independent model of the module's rules, written with `std`
    /// string methods and float parsing rather than byte loops.
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

    #[test]
    fn matches_model_on_generated_headers() {
        let names = [
            "gzip", "GZip", "x-gzip", "br", "zstd", "*", "identity", "", "g zip",
        ];
        let params = [
            "",
            "",
            ";q=0",
            ";q=1",
            ";q=0.5",
            "; q=0.25",
            ";Q=1.000",
            ";q=0.0001",
            ";q=",
            ";q=1.5",
            " ;q=0.123",
            ";q=0.",
            ";q=1.",
            ";q=0.9x",
            ";x=1",
            ";q=.5",
        ];
        let seps = [",", ", ", " ,\t", ",,"];
        let mut rng = XorShift(0xdead_beef_cafe_f00d);
        let mut nonzero = 0;
        let mut partial = 0;
        for _ in 0..100_000 {
            let mut h = String::new();
            let n = rng.next() % 5;
            for i in 0..n {
                if i > 0 {
                    h.push_str(rng.pick(&seps));
                }
                h.push_str(rng.pick(&names));
                h.push_str(rng.pick(&params));
            }
            for coding in ["gzip", "br", "zstd"] {
                let got = preference(Some(h.as_bytes()), coding.as_bytes());
                assert_eq!(got, model(&h, coding), "{h:?} {coding}");
                nonzero += usize::from(got > 0);
                partial += usize::from(got > 0 && got < 1000);
            }
        }
        assert!(nonzero > 10_000 && partial > 1_000, "{nonzero} {partial}");
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut rng = XorShift(0x1357_9bdf_2468_ace0);
        let alphabet = b"gzip;q=0.1, \t*x-Q\xff";
        let mut buf = [0u8; 48];
        for round in 0..100_000 {
            let len = (rng.next() % buf.len() as u64) as usize;
            for b in buf.iter_mut().take(len) {
                let r = rng.next();
                *b = if round % 2 == 0 {
                    alphabet[(r % alphabet.len() as u64) as usize]
                } else {
                    r as u8
                };
            }
            let h = &buf[..len];
            for coding in [&b"gzip"[..], b"br", b"", b"*", h] {
                assert!(preference(Some(h), coding) <= 1000);
            }
        }
    }
}
