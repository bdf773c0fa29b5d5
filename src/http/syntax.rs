//! The pieces of HTTP syntax every header parser shares (RFC 9110 §5.6):
//! tokens, optional whitespace, case-insensitive comparison, prefixes.
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
    }
}
