//! The pieces of HTTP syntax every header parser shares (RFC 9110 §5.6):
//! tokens, optional whitespace, field lines, the values of a field sent on
//! several lines, case-insensitive comparison, prefixes, hex digits, and
//! the `Host` value (RFC 3986 §3.2.2).
//! Plain byte loops: core's chunked slice helpers (`eq_ignore_ascii_case`,
//! `strip_prefix`, `split_at`) carry panic paths, and with them the
//! formatting machinery, into the binary.

/// `tchar` (RFC 9110 §5.6.2): the bytes of a token.
pub fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Whether `b` is OWS: SP or HTAB (RFC 9110 §5.6.3).
pub fn is_ows(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// `s` without leading OWS.
pub fn skip_ows(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    s
}

/// `s` without leading and trailing OWS.
pub fn trim_ows(s: &[u8]) -> &[u8] {
    let mut s = skip_ows(s);
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// ASCII case-insensitive equality (field names, tokens, RFC 9110 §5.1).
#[allow(clippy::manual_ignore_case_cmp)] // core's version splits, and panics
pub fn eq_ignore_case(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.eq_ignore_ascii_case(y))
}

/// Whether `s` starts with `prefix`, ignoring ASCII case.
pub fn starts_with_ignore_case(s: &[u8], prefix: &[u8]) -> bool {
    s.get(..prefix.len())
        .is_some_and(|p| eq_ignore_case(p, prefix))
}

/// `s` split after its leading tchars: the token (maybe empty), the rest.
pub fn token(s: &[u8]) -> (&[u8], &[u8]) {
    let n = s.iter().take_while(|&&b| is_tchar(b)).count();
    s.split_at_checked(n).unwrap_or_default()
}

/// Whether `b` may be in a field value: HTAB, SP, VCHAR or obs-text, every
/// byte but the other controls and DEL (RFC 9110 §5.5); also qdtext and
/// the byte of a quoted-pair (§5.6.4), DQUOTE and backslash aside.
pub fn is_field_byte(b: u8) -> bool {
    b == b'\t' || (b >= b' ' && b != 0x7f)
}

/// A field line without its line ending, `field-name ":" field-value`
/// (RFC 9112 §5): the name and the untrimmed value, or None. A space
/// before the colon or at the start (obs-fold) leaves no token before
/// the colon, and a control byte but HTAB in the value (a bare CR) is
/// refused.
pub fn field_line(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let (name, [b':', value @ ..]) = token(line) else {
        return None;
    };
    (!name.is_empty() && value.iter().all(|&b| is_field_byte(b))).then_some((name, value))
}

/// The values of a field, one per field line, each without OWS, from the
/// slice `http::request` keeps for a list-valued field (`If-None-Match`,
/// `Accept-Encoding`, `Accept`): the value of its one line, or, when the
/// field came on several lines, the bytes of the head from the first line's
/// value to the last line's value. RFC 9110 §5.3 makes those lines one
/// list, joined by commas in their order; the parser cannot join them
/// without a copy, so it keeps the span, and this reads it again: its first
/// line is a value, and of each later line (other fields' lines lie in
/// between) the value of each line named `name` (any case). The parser has
/// validated every line, so a line end (LF, CRLF) in `span` can only be
/// the end of one of those lines; a slice without LF is one value, exactly.
pub fn field_values<'a, 'n>(span: &'a [u8], name: &'n [u8]) -> FieldValues<'a, 'n> {
    FieldValues {
        rest: Some(span),
        first: true,
        name,
    }
}

/// The iterator of [`field_values`]: a plain loop, since core's
/// `split_inclusive` and `flat_map` bring panic paths into the binary.
pub struct FieldValues<'a, 'n> {
    /// The lines not read yet; None after the last.
    rest: Option<&'a [u8]>,
    /// The next line is the first, a bare value.
    first: bool,
    name: &'n [u8],
}

impl<'a> Iterator for FieldValues<'a, '_> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        loop {
            let rest = self.rest?;
            // A line without its LF or CRLF; the last one has neither.
            let (line, more) = match rest.iter().position(|&b| b == b'\n') {
                Some(lf) => match rest.split_at_checked(lf) {
                    Some(([line @ .., b'\r'], more)) | Some((line, more)) => (line, more.get(1..)),
                    None => (rest, None),
                },
                None => (rest, None),
            };
            self.rest = more;
            if core::mem::replace(&mut self.first, false) {
                return Some(trim_ows(line));
            }
            match field_line(line) {
                Some((n, value)) if eq_ignore_case(n, self.name) => return Some(trim_ows(value)),
                _ => {}
            }
        }
    }
}

/// Whether `s` is a `Host` value, `uri-host [ ":" port ]` (RFC 9110 §7.2,
/// RFC 3986 §3.2.2-§3.2.3): a reg-name (unreserved, pct-encoded and
/// sub-delims bytes, which takes in IPv4 addresses and the empty host) or
/// an IPv6 literal in brackets, then an optional colon and digits. RFC
/// 9112 §3.2 makes any other value a 400. IPvFuture literals (`[v1.x]`)
/// and zone ids (RFC 6874) are refused: no client sends them in `Host`.
pub fn is_host(s: &[u8]) -> bool {
    // The port follows the last colon that is not inside the brackets.
    let (host, port) = match s.iter().rposition(|&b| b == b':' || b == b']') {
        Some(colon) if s.get(colon) == Some(&b':') => s.split_at_checked(colon).unwrap_or_default(),
        _ => (s, &b""[..]),
    };
    if !port.iter().skip(1).all(u8::is_ascii_digit) {
        return false;
    }
    if let [b'[', ip @ .., b']'] = host {
        return crate::addr::parse_ipv6(ip).is_some();
    }
    let mut i = 0;
    while let Some(&b) = host.get(i) {
        let escape = host.get(i + 1..i + 3).unwrap_or_default();
        i += match b {
            b'%' if escape.len() == 2 && escape.iter().all(u8::is_ascii_hexdigit) => 3,
            _ if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=".contains(&b) => 1,
            _ => return false,
        };
    }
    true
}

/// The value of the last parameter named `want` (ignoring case) in `s`, a
/// list `*( OWS ";" OWS name [ OWS "=" OWS value ] )` whose values are
/// tokens or quoted-strings: `Some(None)` if there is none, None if `s`
/// is not such a list. One scanner for two dialects:
/// - `chunk` false, the parameters of a media type or a disposition
///   (RFC 9110 §5.6.6, RFC 6266 §4.1): each has a value, the list may end
///   in `;` and OWS, and a quoted value ends at its first DQUOTE, a
///   backslash being a byte like any other. That is how browsers and curl
///   send a filename (the HTML standard's multipart/form-data encoding
///   escapes only `"`, CR and LF, as `%22`, `%0D`, `%0A`), so
///   `filename="C:\dir\"` ends in a backslash.
/// - `chunk` true, chunk extensions (RFC 9112 §7.1.1): a value is
///   optional, nothing may follow the last one (no trailing BWS), and a
///   quoted-string has quoted-pairs (RFC 9110 §5.6.4).
#[inline(never)]
pub fn param<'a>(mut s: &'a [u8], want: &[u8], chunk: bool) -> Option<Option<&'a [u8]>> {
    let mut found = None;
    loop {
        let [b';', rest @ ..] = skip_ows(s) else {
            // The end, without BWS for a chunk-ext.
            return (skip_ows(s).is_empty() && (s.is_empty() || !chunk)).then_some(found);
        };
        let (name, rest) = token(skip_ows(rest));
        if name.is_empty() {
            // A `;` (and OWS) ending a list of parameters.
            return (!chunk && rest.is_empty()).then_some(found);
        }
        s = rest;
        let [b'=', rest @ ..] = skip_ows(rest) else {
            if chunk {
                continue;
            }
            return None;
        };
        let rest = skip_ows(rest);
        let (value, rest) = match rest {
            // To the closing DQUOTE (past quoted-pairs in a chunk-ext), no
            // control byte but HTAB inside.
            [b'"', q @ ..] => {
                let mut i = 0;
                loop {
                    match *q.get(i)? {
                        b'"' => break,
                        b'\\' if chunk => i += 1,
                        _ => {}
                    }
                    if !is_field_byte(*q.get(i)?) {
                        return None;
                    }
                    i += 1;
                }
                (q.get(..i)?, q.get(i + 1..)?)
            }
            _ => match token(rest) {
                ([], _) => return None,
                value_rest => value_rest,
            },
        };
        if eq_ignore_case(name, want) {
            found = Some(value);
        }
        s = rest;
    }
}

/// The value of a hex digit (HEXDIG, either case).
pub fn hex_digit(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// `s` after `prefix`, if it starts with it (exact case).
pub fn strip_prefix<'a>(s: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    match s.get(..prefix.len()) {
        Some(p) if p == prefix => s.get(prefix.len()..),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_core() {
        let words: &[&[u8]] = &[
            b"",
            b"a",
            b"A",
            b"gzip",
            b"GZip",
            b"gzi",
            b"gzip ",
            b"\xc3\xa9",
            b"\xc3\x89",
        ];
        for a in words {
            for b in words {
                assert_eq!(
                    eq_ignore_case(a, b),
                    a.eq_ignore_ascii_case(b),
                    "{a:?} {b:?}"
                );
                assert_eq!(strip_prefix(a, b), a.strip_prefix(*b));
                let lower = a.to_ascii_lowercase();
                assert_eq!(
                    starts_with_ignore_case(a, b),
                    lower.starts_with(&b.to_ascii_lowercase())
                );
            }
        }
        assert_eq!(trim_ows(b" \t a b \t"), b"a b");
        assert_eq!(trim_ows(b" \t "), b"");
        assert_eq!(skip_ows(b"  x "), b"x ");
        assert!(is_tchar(b'~') && !is_tchar(b'(') && !is_tchar(b' ') && is_ows(b'\t'));
        assert_eq!(token(b"a-b=c"), (&b"a-b"[..], &b"=c"[..]));
        assert_eq!(token(b"=c"), (&b""[..], &b"=c"[..]));
        for (b, want) in [(b'0', Some(0)), (b'9', Some(9)), (b'a', Some(10))] {
            assert_eq!(hex_digit(b), want);
        }
        assert_eq!(
            (hex_digit(b'F'), hex_digit(b'g'), hex_digit(b'/')),
            (Some(15), None, None)
        );
    }

    #[test]
    fn field_lines() {
        type Want = Option<(&'static [u8], &'static [u8])>;
        let cases: &[(&[u8], Want)] = &[
            (b"A: b", Some((b"A", b" b"))),
            (b"A:", Some((b"A", b""))),
            (b"X-y:\tv \xff\"\\", Some((b"X-y", b"\tv \xff\"\\"))),
            (b"A : b", None),
            (b" A: b", None),
            (b": b", None),
            (b"A b", None),
            (b"A: b\rc", None),
            (b"A: \x7f", None),
            (b"A: \0", None),
        ];
        for (line, want) in cases {
            assert_eq!(field_line(line), *want, "{}", line.escape_ascii());
        }
    }

    #[test]
    fn values_over_several_lines() {
        let values = |span: &[u8]| -> Vec<Vec<u8>> {
            field_values(span, b"accept").map(<[u8]>::to_vec).collect()
        };
        let cases: &[(&[u8], &[&[u8]])] = &[
            // One line: the value itself, whatever it holds.
            (b"a, b", &[b"a, b"]),
            (b"", &[b""]),
            (b" x:y ", &[b"x:y"]),
            (b"a\r", &[b"a\r"]),
            // Several: the first line's value, then the lines named so.
            (b"a \r\nAccept: b", &[b"a", b"b"]),
            (b"a\nX: c\nACCEPT:\td, e", &[b"a", b"d, e"]),
            (
                b"a\r\nAccept-Encoding: x\r\nAccept: \r\naccept:b",
                &[b"a", b"", b"b"],
            ),
            (b"\r\nAccept: b", &[b"", b"b"]),
        ];
        for (span, want) in cases {
            let want: Vec<Vec<u8>> = want.iter().map(|w| w.to_vec()).collect();
            assert_eq!(values(span), want, "{}", span.escape_ascii());
        }
    }

    #[test]
    fn host_values() {
        let good: &[&[u8]] = &[
            b"",
            b"example.com",
            b"EXAMPLE.com:8080",
            b"localhost:",
            b"127.0.0.1",
            b"127.0.0.1:80",
            b"[::1]",
            b"[::1]:8080",
            b"[2001:db8::ffff:1.2.3.4]:1",
            b"a-b_c~d.e!$&'()*+,;=",
            b"%C3%BC.example",
            b"999.999.999.999",
        ];
        let bad: &[&[u8]] = &[
            b"a b",
            b"a/b",
            b"a@b",
            b"a:b",
            b"a:80:80",
            b":x",
            b"[::1",
            b"[::1]x",
            b"[::1]:8a",
            b"[]",
            b"[1.2.3.4]",
            b"[fe80::1%25eth0]",
            b"[v1.x]",
            b"::1",
            b"%C3%B",
            b"%zz",
            b"\xc3\xbc.example",
            b"a\tb",
            b"a\"b",
            b"a[b]",
        ];
        for h in good {
            assert!(is_host(h), "{}", h.escape_ascii());
        }
        for h in bad {
            assert!(!is_host(h), "{}", h.escape_ascii());
        }
    }

    #[test]
    fn params() {
        type Want = Option<Option<&'static [u8]>>;
        // (list, want, as a media type's, as a chunk-ext's)
        let cases: &[(&[u8], &[u8], Want, Want)] = &[
            (b"", b"a", Some(None), Some(None)),
            (b";a=1", b"a", Some(Some(b"1")), Some(Some(b"1"))),
            (
                b" ; a = 1 ;A=\"2\"",
                b"a",
                Some(Some(b"2")),
                Some(Some(b"2")),
            ),
            (b";a=1;b=2", b"b", Some(Some(b"2")), Some(Some(b"2"))),
            (b";a=1;b=2", b"c", Some(None), Some(None)),
            (b";a=1 ", b"a", Some(Some(b"1")), None),
            (b";a=1;", b"a", Some(Some(b"1")), None),
            (b";a=1; ", b"a", Some(Some(b"1")), None),
            (b";a", b"a", None, Some(None)),
            (b";a;b=1", b"b", None, Some(Some(b"1"))),
            (b";a ", b"a", None, None),
            (b";;a=1", b"a", None, None),
            (b";a=", b"a", None, None),
            (b";a=\"\"", b"a", Some(Some(b"")), Some(Some(b""))),
            (b";a=\"x\\\"", b"a", Some(Some(b"x\\")), None),
            (b";a=\"x\\\"y\"", b"a", None, Some(Some(b"x\\\"y"))),
            (
                b";a=\"x\\\\\"",
                b"a",
                Some(Some(b"x\\\\")),
                Some(Some(b"x\\\\")),
            ),
            (b";a=\"x", b"a", None, None),
            (b";a=\"x\ry\"", b"a", None, None),
            (b";a=x y", b"a", None, None),
            (b";a=x\"y\"", b"a", None, None),
            (b"x;a=1", b"a", None, None),
        ];
        for (s, want, media, chunk) in cases {
            let shown = s.escape_ascii();
            assert_eq!(param(s, want, false), *media, "media type: {shown}");
            assert_eq!(param(s, want, true), *chunk, "chunk-ext: {shown}");
        }
    }
}
