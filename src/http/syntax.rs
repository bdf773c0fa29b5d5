//! The pieces of HTTP syntax every header parser shares (RFC 9110 §5.6):
//! tokens, optional whitespace, field lines, case-insensitive comparison,
//! prefixes, hex digits.
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
