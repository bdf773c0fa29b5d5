//! base64 (RFC 4648 §4), decoding only: the one decoder for both its
//! users. PEM bodies (`tls::pem`, RFC 7468) are wrapped in lines, so
//! `decode_lines` skips whitespace; an HTTP Basic credentials token
//! (`auth`, RFC 7617 §2, the token68 of RFC 9110 §11.2) is one unbroken
//! run, so `decode` takes no whitespace at all. Both are otherwise strict:
//! the standard alphabet only, whole 4-character groups with at most two
//! `=` and only at the end, and zero bits where the last group has spare
//! ones (§3.5, canonical encoding). Contract: no panic on any input;
//! lengths are checked before every write.

/// Why base64 text was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Base64Error {
    /// A character outside the alphabet, bad padding, a partial group or
    /// non-zero spare bits.
    Invalid,
    /// The decoded bytes do not fit the caller's buffer.
    TooLarge,
}

/// Decodes strict base64 `text` (no whitespace) into `out`; returns the
/// decoded length.
pub fn decode(text: &[u8], out: &mut [u8]) -> Result<usize, Base64Error> {
    decode_inner(text, out, false)
}

/// Decodes base64 `text` into `out`, skipping spaces, tabs, CRs and LFs
/// anywhere (PEM's line breaks); returns the decoded length.
pub fn decode_lines(text: &[u8], out: &mut [u8]) -> Result<usize, Base64Error> {
    decode_inner(text, out, true)
}

/// The value of one base64 character (RFC 4648 §4, Table 1).
fn sextet(c: u8) -> Option<u32> {
    let v = match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    };
    Some(u32::from(v))
}

/// The decoder behind both entry points; `skip_whitespace` says whether
/// spaces, tabs, CRs and LFs are skipped or refused.
fn decode_inner(text: &[u8], out: &mut [u8], skip_whitespace: bool) -> Result<usize, Base64Error> {
    let mut acc = 0u32;
    let mut bits = 0u32;
    let mut chars = 0usize;
    let mut pad = 0usize;
    let mut len = 0usize;
    for &c in text {
        if skip_whitespace && matches!(c, b' ' | b'\t' | b'\r' | b'\n') {
            continue;
        }
        chars += 1;
        if c == b'=' {
            pad += 1;
            continue;
        }
        // Data after padding, or outside the alphabet.
        let v = sextet(c).filter(|_| pad == 0).ok_or(Base64Error::Invalid)?;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            let slot = out.get_mut(len).ok_or(Base64Error::TooLarge)?;
            *slot = (acc >> bits) as u8;
            len += 1;
            acc &= (1 << bits) - 1;
        }
    }
    // Whole groups; `=` only completes the last one (one or two of them);
    // its spare bits are zero (RFC 4648 §3.5: canonical encoding).
    if !chars.is_multiple_of(4) || pad > 2 || acc != 0 {
        return Err(Base64Error::Invalid);
    }
    Ok(len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::base64::Engine;
    use ::base64::engine::general_purpose::STANDARD;

    fn lines(text: &[u8]) -> Result<Vec<u8>, Base64Error> {
        let mut out = vec![0u8; text.len()];
        decode_lines(text, &mut out).map(|n| out[..n].to_vec())
    }

    fn strict(text: &[u8]) -> Result<Vec<u8>, Base64Error> {
        let mut out = vec![0u8; text.len()];
        decode(text, &mut out).map(|n| out[..n].to_vec())
    }

    #[test]
    fn matches_the_reference() {
        let mut state = 0x1234_5678u32;
        for len in 0..200 {
            let data: Vec<u8> = (0..len)
                .map(|_| {
                    state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    (state >> 16) as u8
                })
                .collect();
            let text = STANDARD.encode(&data);
            assert_eq!(lines(text.as_bytes()), Ok(data.clone()), "{text}");
            assert_eq!(strict(text.as_bytes()), Ok(data.clone()), "{text}");
            // Wrapped at 64 columns with CRLF, as PEM writers do.
            let wrapped: Vec<u8> = text
                .as_bytes()
                .chunks(64)
                .flat_map(|line| line.iter().copied().chain(*b"\r\n"))
                .collect();
            assert_eq!(lines(&wrapped), Ok(data));
            if len > 0 {
                assert_eq!(strict(&wrapped), Err(Base64Error::Invalid));
            }
        }
    }

    #[test]
    fn agrees_with_the_reference_on_odd_inputs() {
        let cases: &[&[u8]] = &[
            b"",
            b"=",
            b"==",
            b"A",
            b"AA",
            b"AAA",
            b"AAAA",
            b"AA==",
            b"AA=",
            b"AB==",
            b"AAB=",
            b"AAA=",
            b"A===",
            b"====",
            b"AA==AA==",
            b"AAAA====",
            b"Zg==",
            b"Zh==",
            b"Zm8=",
            b"Zm9=",
            b"-_8=",
            b"Zm9v",
            b"Zm9vYg",
            b"Zm9v\x00",
            b"Zm9v\xc3\xa9",
            b"!!!",
        ];
        for &text in cases {
            let reference = STANDARD.decode(text).map_err(|_| Base64Error::Invalid);
            let shown = String::from_utf8_lossy(text);
            assert_eq!(strict(text), reference, "{shown}");
            assert_eq!(lines(text), reference, "{shown}");
        }
        // Whitespace anywhere is skipped by `decode_lines`, refused by
        // `decode`; the reference takes none.
        let spaced = b" Zm\t9v\r\nYg = = \n";
        assert_eq!(lines(spaced), Ok(b"foob".to_vec()));
        assert_eq!(strict(spaced), Err(Base64Error::Invalid));
    }

    #[test]
    fn reports_a_small_buffer() {
        for f in [decode, decode_lines] {
            assert_eq!(f(b"Zm9v", &mut [0u8; 2]), Err(Base64Error::TooLarge));
            assert_eq!(f(b"Zm9v", &mut [0u8; 3]), Ok(3));
        }
    }

    #[test]
    fn random_bytes_agree_with_the_reference() {
        let mut rng = crate::testing::XorShift(0x9e37_79b9_7f4a_7c15);
        let alphabet = b"AZaz09+/= \r\n!-_";
        for _ in 0..20_000 {
            let len = rng.below(12);
            let text: Vec<u8> = (0..len).map(|_| rng.pick(alphabet)).collect();
            let reference = STANDARD.decode(&text).map_err(|_| Base64Error::Invalid);
            assert_eq!(
                strict(&text),
                reference,
                "{:?}",
                String::from_utf8_lossy(&text)
            );
        }
    }
}
