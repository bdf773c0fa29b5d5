//! `http::request::parse` against `httparse`, with the same notion of
//! agreement as the unit test `agrees_with_httparse`: a head httparse
//! completes is accepted with the same length, one it finds partial is
//! `Incomplete`, one it refuses is refused (or still `Incomplete`: this
//! parser validates only whole heads). On heads both accept, the method,
//! version, target (split into path and query), request line and every
//! header the server reads agree: a single-valued field is its last line's
//! value (`Referer` and `User-Agent`, only logged, their first line's), and a list field (`If-None-Match`, `Accept-Encoding`, `Accept`),
//! read back through `syntax::field_values`, is every line's value in
//! order (RFC 9110 §5.3). The only disagreements allowed are the ones the
//! parser documents and its unit tests pin:
//! - `BadHost`, `BadContentLength`: semantic checks httparse does not make
//!   (no `Host` in HTTP/1.1, two `Host` lines, a `Host` that is not
//!   `uri-host [":" port]`, checked here with std's `Ipv6Addr`);
//! - `BadFraming`, `UnknownCoding`: RFC 9112 §6 framing (a coding other
//!   than `chunked`, `chunked` twice, `Transfer-Encoding` with
//!   `Content-Length` or from HTTP/1.0, an empty one);
//! - `BadTarget`: only origin-form, absolute-form and `*` for OPTIONS;
//! - a target with bytes >= 0x80 that are not UTF-8 (`GET /\xff`), which
//!   httparse refuses (its `path` is a `&str`) and the parser takes, as
//!   nginx does: the head is compared again with each such byte made `x`,
//!   an ASCII byte that plays the same part in a target (path or query
//!   data, never a delimiter). Bytes >= 0x80 that are UTF-8 both take;
//! - `HTTP/1.2`..`HTTP/1.9`, read as 1.1 (RFC 9112 §2.3) where httparse
//!   refuses: the head is compared again with the version made `HTTP/1.1`.
//!
//! Also, without an oracle: the result does not depend on the buffer's
//! capacity unless it is full (then `HeadTooLarge` or `UriTooLong`, never
//! `Incomplete`), bytes after the head change nothing, and every proper
//! prefix of an accepted head is `Incomplete`.

#![no_main]

use httpd::http::request::{MAX_HEAD_BYTES, Method, ParseError, Request, Version, parse};
use httpd::http::syntax::field_values;
use httpd_fuzz::{digits, show, trim_ows};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ours = parse(data, MAX_HEAD_BYTES);
    capacity_and_prefixes(data, &ours);
    against_httparse(data, &ours);
});

/// The same request seen through a full buffer, a shorter input and
/// extra bytes after the head.
fn capacity_and_prefixes(data: &[u8], ours: &Result<Request<'_>, ParseError>) {
    if data.is_empty() || data.len() >= MAX_HEAD_BYTES {
        return;
    }
    let full = parse(data, data.len());
    match ours {
        Err(ParseError::Incomplete) => {
            // RFC 9112 §2.2: the empty lines (CRLF or LF) skipped before
            // the request line.
            let mut skip = 0;
            while data[skip..].starts_with(b"\n") || data[skip..].starts_with(b"\r\n") {
                skip += if data[skip] == b'\n' { 1 } else { 2 };
            }
            let want = if data[skip..].contains(&b'\n') {
                ParseError::HeadTooLarge
            } else {
                ParseError::UriTooLong
            };
            assert_eq!(full.err(), Some(want), "full buffer of {:?}", show(data));
        }
        Err(e) => assert_eq!(full.err(), Some(*e), "capacity changed {:?}", show(data)),
        Ok(r) => {
            let f = full.unwrap_or_else(|e| panic!("{e:?} at capacity {:?}", show(data)));
            assert_eq!(summary(&f), summary(r), "capacity changed {:?}", show(data));
            let head = &data[..r.head_len];
            let alone = parse(head, MAX_HEAD_BYTES).expect("head alone");
            assert_eq!(
                summary(&alone),
                summary(r),
                "trailing bytes {:?}",
                show(data)
            );
            for cut in [r.head_len - 1, r.head_len / 2] {
                assert_eq!(
                    parse(&data[..cut], MAX_HEAD_BYTES).err(),
                    Some(ParseError::Incomplete),
                    "prefix {cut} of {:?}",
                    show(data)
                );
            }
        }
    }
}

/// Every field of a parsed request, comparable with `==`.
fn summary<'a>(r: &Request<'a>) -> impl PartialEq + std::fmt::Debug + 'a {
    (
        (r.method, r.version, r.line, r.path, r.query, r.head_len),
        (r.close, r.keep_alive, r.has_body),
        (r.if_none_match, r.if_modified_since, r.range, r.if_range),
        (r.accept_encoding, r.accept),
    )
}

fn against_httparse(data: &[u8], ours: &Result<Request<'_>, ParseError>) {
    // Each header takes at least 3 bytes (`a:\n`), so this never runs out.
    let mut headers = vec![httparse::EMPTY_HEADER; data.len() / 3 + 2];
    let mut theirs = httparse::Request::new(&mut headers);
    let status = theirs.parse(data);
    match (status, ours) {
        (Ok(httparse::Status::Complete(len)), Ok(r)) => {
            assert_eq!(r.head_len, len, "head length of {:?}", show(data));
            same_request(data, &theirs, r);
        }
        (Ok(httparse::Status::Complete(_)), Err(e)) => {
            assert!(
                documented_refusal(&theirs, *e),
                "{e:?} for {:?}",
                show(data)
            );
        }
        (Ok(httparse::Status::Partial), r) => {
            assert_eq!(r.err(), Some(ParseError::Incomplete), "{:?}", show(data));
        }
        (Err(_), Ok(r)) => non_utf8_target(data, r),
        (Err(_), Err(_)) => {}
    }
}

/// The refusals httparse does not make, each documented in `request.rs`.
fn documented_refusal(theirs: &httparse::Request<'_, '_>, e: ParseError) -> bool {
    let target = theirs.path.unwrap_or_default();
    let method = theirs.method.unwrap_or_default();
    match e {
        ParseError::BadHost => {
            let hosts = named(theirs, "host").count();
            let invalid = named(theirs, "host").any(|v| !valid_host(trim_ows(v)));
            hosts > 1 || (hosts == 0 && theirs.version == Some(1)) || invalid
        }
        ParseError::BadContentLength => {
            let lengths: Vec<Option<u64>> = named(theirs, "content-length")
                .map(|v| digits(trim_ows(v)))
                .collect();
            lengths.iter().any(|n| n.is_none() || *n != lengths[0])
        }
        ParseError::BadTarget => split_target(target.as_bytes(), method).is_none(),
        ParseError::BadFraming => {
            let (coded, chunked, unknown) = codings(theirs);
            let with_length = named(theirs, "content-length").next().is_some();
            let http10 = theirs.version == Some(0);
            chunked > 1 || (coded && (with_length || http10 || (!unknown && chunked == 0)))
        }
        ParseError::UnknownCoding => {
            let (coded, _, unknown) = codings(theirs);
            let with_length = named(theirs, "content-length").next().is_some();
            coded && unknown && !with_length && theirs.version == Some(1)
        }
        _ => false,
    }
}

/// `uri-host [ ":" port ]` (RFC 3986 §3.2.2-§3.2.3), written with std:
/// `[` IPv6 `]` by `Ipv6Addr::from_str`, else a reg-name (unreserved,
/// sub-delims, `%` HEXDIG HEXDIG; IPv4 and the empty host among them);
/// the port any number of digits.
fn valid_host(v: &[u8]) -> bool {
    let Ok(v) = std::str::from_utf8(v) else {
        return false;
    };
    let (host, port) = match v.strip_prefix('[') {
        Some(literal) => match literal.split_once(']') {
            Some((ip, port)) if ip.parse::<std::net::Ipv6Addr>().is_ok() => ("", port),
            _ => return false,
        },
        None => match v.find(':') {
            Some(colon) => (&v[..colon], &v[colon..]),
            None => (v, ""),
        },
    };
    let port_ok = port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()));
    let mut pieces = host.split('%');
    let plain = |s: &str| {
        s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=".contains(c))
    };
    let first_ok = pieces.next().is_some_and(plain);
    let escapes_ok = pieces.all(|p| {
        p.len() >= 2
            && p.is_char_boundary(2)
            && p[..2].chars().all(|c| c.is_ascii_hexdigit())
            && plain(&p[2..])
    });
    port_ok && first_ok && escapes_ok
}

/// The `Transfer-Encoding` codings: whether there is the field at all,
/// how many are `chunked`, whether any is another.
fn codings(theirs: &httparse::Request<'_, '_>) -> (bool, usize, bool) {
    let coded = named(theirs, "transfer-encoding").next().is_some();
    let all: Vec<&[u8]> = named(theirs, "transfer-encoding")
        .flat_map(|v| v.split(|&b| b == b','))
        .map(trim_ows)
        .filter(|c| !c.is_empty())
        .collect();
    let chunked = all
        .iter()
        .filter(|c| c.eq_ignore_ascii_case(b"chunked"))
        .count();
    (coded, chunked, chunked < all.len())
}

/// Values of the headers named `name` (any case), in order.
fn named<'h>(
    theirs: &'h httparse::Request<'_, '_>,
    name: &'static str,
) -> impl Iterator<Item = &'h [u8]> + 'h {
    theirs
        .headers
        .iter()
        .filter(move |h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value)
}

/// A head httparse refuses may be accepted when its target holds bytes
/// >= 0x80 that are not UTF-8: then it must agree once each of them is
/// `x`, and be split at the same places. Else see `later_minor_version`.
fn non_utf8_target(data: &[u8], r: &Request<'_>) {
    let start = r.line.iter().position(|&b| b == b' ').unwrap() + 1;
    let end = r.line.iter().rposition(|&b| b == b' ').unwrap();
    let target = &r.line[start..end];
    if std::str::from_utf8(target).is_ok() {
        return later_minor_version(data, r);
    }
    let offset = r.line.as_ptr() as usize - data.as_ptr() as usize + start;
    let mut fixed = data.to_vec();
    for b in &mut fixed[offset..offset + target.len()] {
        if *b >= 0x80 {
            *b = b'x';
        }
    }
    let again = parse(&fixed, MAX_HEAD_BYTES).expect("same head with ASCII");
    let ascii = |s: &[u8]| -> Vec<u8> {
        s.iter()
            .map(|&b| if b >= 0x80 { b'x' } else { b })
            .collect()
    };
    assert_eq!(
        (again.path, again.query, again.head_len),
        (&ascii(r.path)[..], &ascii(r.query)[..], r.head_len),
        "target split differently with ASCII: {:?}",
        show(data)
    );
    against_httparse(&fixed, &Ok(again));
}

/// A head httparse refuses may be accepted only for `HTTP/1.2`..`1.9`;
/// then it must agree once the version says `HTTP/1.1`.
fn later_minor_version(data: &[u8], r: &Request<'_>) {
    let minor = r
        .line
        .len()
        .checked_sub(1)
        .and_then(|i| r.line.get(i).map(|&b| (i, b)));
    let version = r
        .line
        .get(r.line.len().saturating_sub(8)..)
        .unwrap_or_default();
    let ok = matches!(minor, Some((_, b'2'..=b'9'))) && version.starts_with(b"HTTP/1.");
    assert!(ok, "accepted what httparse refuses: {:?}", show(data));
    assert_eq!(r.version, Version::Http11);
    let offset = r.line.as_ptr() as usize - data.as_ptr() as usize;
    let mut fixed = data.to_vec();
    fixed[offset + r.line.len() - 1] = b'1';
    let again = parse(&fixed, MAX_HEAD_BYTES).expect("same head as HTTP/1.1");
    assert_eq!(again.head_len, r.head_len);
    against_httparse(&fixed, &Ok(again));
}

/// The fields of a head both parsers accept.
fn same_request(data: &[u8], theirs: &httparse::Request<'_, '_>, r: &Request<'_>) {
    let shown = show(data);
    let method = theirs.method.unwrap();
    let want_method = match method {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        "OPTIONS" => Method::Options,
        "PUT" => Method::Put,
        "POST" => Method::Post,
        _ => Method::Other,
    };
    assert_eq!(r.method, want_method, "{shown:?}");
    let want_version = if theirs.version == Some(0) {
        Version::Http10
    } else {
        Version::Http11
    };
    assert_eq!(r.version, want_version, "{shown:?}");

    let target = theirs.path.unwrap().as_bytes();
    let version = format!(" HTTP/1.{}", theirs.version.unwrap());
    let line = [method.as_bytes(), b" ", target, version.as_bytes()].concat();
    assert!(
        r.line == line,
        "request line {:?} of {shown:?}",
        show(r.line)
    );
    let (path, query) = split_target(target, method).expect("target accepted by ours");
    assert!(
        (r.path, r.query) == (path, query),
        "path {:?} query {:?} of {shown:?}",
        show(r.path),
        show(r.query)
    );

    // The last of each single-valued header the server reads, trimmed.
    let last = |name: &'static str| named(theirs, name).last().map(trim_ows);
    let fields = [
        ("if-modified-since", r.if_modified_since),
        ("range", r.range),
        ("if-range", r.if_range),
        ("authorization", r.authorization),
        ("content-type", r.content_type),
    ];
    for (name, ours) in fields {
        assert_eq!(ours, last(name), "{name} of {shown:?}");
    }
    // Every line of each list field, trimmed, in order (RFC 9110 §5.3).
    let lists = [
        ("if-none-match", r.if_none_match),
        ("accept-encoding", r.accept_encoding),
        ("accept", r.accept),
    ];
    for (name, field) in lists {
        let theirs: Vec<&[u8]> = named(theirs, name).map(trim_ows).collect();
        let ours: Vec<&[u8]> = field
            .map(|span| field_values(span, name.as_bytes()).collect())
            .unwrap_or_default();
        assert_eq!(ours, theirs, "{name} of {shown:?}");
        // One line is its value itself, as the consumers always had it.
        if let [one] = theirs[..] {
            assert_eq!(field, Some(one), "{name} of {shown:?}");
        }
    }
    let tokens = |want: &str| {
        named(theirs, "connection")
            .flat_map(|v| v.split(|&b| b == b','))
            .any(|t| trim_ows(t).eq_ignore_ascii_case(want.as_bytes()))
    };
    assert_eq!(r.close, tokens("close"), "close: {shown:?}");
    assert_eq!(r.keep_alive, tokens("keep-alive"), "keep-alive: {shown:?}");
    let body = named(theirs, "transfer-encoding").next().is_some()
        || named(theirs, "content-length").any(|v| digits::<u64>(trim_ows(v)) > Some(0));
    assert_eq!(r.has_body, body, "has_body: {shown:?}");
    assert!(
        !documented_refusal(theirs, ParseError::BadHost),
        "{shown:?}"
    );
    assert!(
        !documented_refusal(theirs, ParseError::BadContentLength),
        "{shown:?}"
    );
    // Accepted framing: at most one coding, `chunked`, and no length.
    let (coded, chunked, unknown) = codings(theirs);
    assert_eq!(r.chunked, coded, "chunked: {shown:?}");
    assert!(!coded || (chunked == 1 && !unknown), "{shown:?}");
    assert_eq!(
        r.content_range,
        named(theirs, "content-range").next().is_some()
    );
}

/// The path and `?query` of a request target by RFC 9112 §3.2, written
/// with std's slice methods; `None` for a form the server does not take.
fn split_target<'a>(target: &'a [u8], method: &str) -> Option<(&'a [u8], &'a [u8])> {
    fn query(rest: &[u8]) -> &[u8] {
        match rest.first() {
            Some(b'?') => rest.split(|&b| b == b'#').next().unwrap_or_default(),
            _ => b"",
        }
    }
    let path_and_query = if target.starts_with(b"/") {
        target
    } else if target == b"*" && method == "OPTIONS" {
        return Some((target, b""));
    } else {
        let lower = target.to_ascii_lowercase();
        let scheme = [&b"http://"[..], b"https://"]
            .into_iter()
            .find(|s| lower.starts_with(s))?;
        let rest = &target[scheme.len()..];
        let end = rest
            .iter()
            .position(|b| b"/?#".contains(b))
            .unwrap_or(rest.len());
        if end == 0 {
            return None;
        }
        let tail = &rest[end..];
        if !tail.starts_with(b"/") {
            return Some((b"/", query(tail)));
        }
        tail
    };
    let end = path_and_query
        .iter()
        .position(|b| b"?#".contains(b))
        .unwrap_or(path_and_query.len());
    Some((&path_and_query[..end], query(&path_and_query[end..])))
}
