//! PEM text (RFC 7468): finds the `-----BEGIN <label>-----` …
//! `-----END <label>-----` blocks of a file, in order, and decodes their
//! base64 into a caller-owned buffer. Parsed as openssl reads files: text
//! before, between and after blocks is ignored (so `openssl x509 -text`
//! output and comments load), lines may end in CRLF, whitespace inside
//! the base64 is skipped, and the END label must match the BEGIN one.
//! The base64 itself is strict (RFC 4648 §4): the standard alphabet only,
//! whole 4-character groups with at most two `=` and only at the end, and
//! zero bits where the last group has spare ones (the crate's one decoder,
//! `crate::base64`). Contract: no panic on any input; lengths are checked
//! before every write.

use crate::base64::{self, Base64Error};

/// Why a PEM file or block was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PemError {
    /// A BEGIN line with no END line after it.
    Unterminated,
    /// The END line names another label than the BEGIN line.
    LabelMismatch,
    /// The base64 has a character outside the alphabet, bad padding or a
    /// partial group.
    BadBase64,
    /// The decoded bytes do not fit the caller's buffer.
    TooLarge,
}

/// The start of an encapsulation boundary line (RFC 7468 §2).
const BEGIN: &[u8] = b"-----BEGIN ";
/// The start of the closing boundary line.
const END: &[u8] = b"-----END ";
/// The end of both boundary lines.
const DASHES: &[u8] = b"-----";

/// One PEM block: its label (e.g. `CERTIFICATE`) and its base64 text
/// (everything between the boundary lines, line breaks included).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Block<'a> {
    pub label: &'a [u8],
    pub body: &'a [u8],
}

impl Block<'_> {
    /// Decodes the base64 body into `out`; returns the decoded length.
    pub fn decode(&self, out: &mut [u8]) -> Result<usize, PemError> {
        base64::decode_lines(self.body, out).map_err(|e| match e {
            Base64Error::Invalid => PemError::BadBase64,
            Base64Error::TooLarge => PemError::TooLarge,
        })
    }

    /// Whether the block carries RFC 1421 headers (`Proc-Type: 4,ENCRYPTED`
    /// and `DEK-Info:` in a legacy encrypted key): a colon is not base64.
    pub fn has_headers(&self) -> bool {
        self.body.contains(&b':')
    }
}

/// The blocks of `text`, in order.
pub fn blocks(text: &[u8]) -> Blocks<'_> {
    Blocks { rest: text }
}

/// An iterator over PEM blocks; it stops after the first error.
#[derive(Clone, Debug)]
pub struct Blocks<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Blocks<'a> {
    type Item = Result<Block<'a>, PemError>;

    fn next(&mut self) -> Option<Self::Item> {
        // Lines before a BEGIN line are not ours: skip them.
        let label = loop {
            if self.rest.is_empty() {
                return None;
            }
            let (line, rest) = split_line(self.rest);
            self.rest = rest;
            if let Some(label) = boundary(line, BEGIN) {
                break label;
            }
        };
        let body_start = self.rest;
        while !self.rest.is_empty() {
            let before = self.rest;
            let (line, rest) = split_line(self.rest);
            self.rest = rest;
            if let Some(end_label) = boundary(line, END) {
                if end_label != label {
                    self.rest = &[];
                    return Some(Err(PemError::LabelMismatch));
                }
                let body_len = body_start.len().saturating_sub(before.len());
                let body = body_start.get(..body_len).unwrap_or(&[]);
                return Some(Ok(Block { label, body }));
            }
        }
        Some(Err(PemError::Unterminated))
    }
}

/// The first line of `text` (without its `\n`) and the text after it.
fn split_line(text: &[u8]) -> (&[u8], &[u8]) {
    match text.iter().position(|&b| b == b'\n') {
        Some(i) => (
            text.get(..i).unwrap_or(&[]),
            text.get(i + 1..).unwrap_or(&[]),
        ),
        None => (text, &[]),
    }
}

/// The label of a boundary line that starts with `start` and ends with
/// five dashes (trailing spaces, tabs and a CR allowed, RFC 7468 §2).
fn boundary<'a>(line: &'a [u8], start: &[u8]) -> Option<&'a [u8]> {
    let line = line.trim_ascii_end();
    line.strip_prefix(start)?.strip_suffix(DASHES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_blocks_among_text() {
        let text = b"leading text\n\
            -----BEGIN CERTIFICATE-----\r\n\
            Zm9v\r\n\
            -----END CERTIFICATE-----\r\n\
            comment between\n\
            -----BEGIN PRIVATE KEY----- \n\
            YmFy\n\
            YQ==\n\
            -----END PRIVATE KEY-----";
        let found: Vec<_> = blocks(text).collect();
        assert_eq!(found.len(), 2);
        let first = found[0].unwrap();
        assert_eq!(first.label, b"CERTIFICATE");
        assert_eq!(first.body, b"Zm9v\r\n");
        let second = found[1].unwrap();
        assert_eq!(second.label, b"PRIVATE KEY");
        let mut out = [0u8; 8];
        let n = second.decode(&mut out).unwrap();
        assert_eq!(&out[..n], b"bara");
        assert!(!second.has_headers());
    }

    #[test]
    fn refuses_mismatched_or_unterminated_blocks() {
        let mismatch = b"-----BEGIN A-----\nZm9v\n-----END B-----\n-----BEGIN A-----\n";
        let mut it = blocks(mismatch);
        assert_eq!(it.next(), Some(Err(PemError::LabelMismatch)));
        assert_eq!(it.next(), None);
        let open = b"-----BEGIN A-----\nZm9v\n";
        let mut it = blocks(open);
        assert_eq!(it.next(), Some(Err(PemError::Unterminated)));
        assert_eq!(it.next(), None);
        assert_eq!(blocks(b"no blocks here\n-----BEGIN A----\n").next(), None);
        assert_eq!(blocks(b"").next(), None);
        // An empty label is taken as written; a label with spaces too.
        let odd = b"-----BEGIN -----\n-----END -----\n";
        assert_eq!(
            blocks(odd).next(),
            Some(Ok(Block {
                label: b"",
                body: b""
            }))
        );
    }

    #[test]
    fn legacy_headers_are_seen() {
        let text = b"-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\
            DEK-Info: AES-256-CBC,00\n\nZm9v\n-----END EC PRIVATE KEY-----\n";
        let block = blocks(text).next().unwrap().unwrap();
        assert!(block.has_headers());
        assert_eq!(block.decode(&mut [0u8; 64]), Err(PemError::BadBase64));
    }

    #[test]
    fn reads_every_fixture_like_openssl() {
        let chain = include_bytes!("testdata/chain3.pem");
        let labels: Vec<_> = blocks(chain).map(|b| b.unwrap().label).collect();
        assert_eq!(labels, [&b"CERTIFICATE"[..]; 3]);
        let params = include_bytes!("testdata/p256-sec1-params.pem");
        let labels: Vec<_> = blocks(params).map(|b| b.unwrap().label).collect();
        assert_eq!(labels, [&b"EC PARAMETERS"[..], b"EC PRIVATE KEY"]);
    }

    #[test]
    fn truncations_and_flips_never_panic() {
        let text = include_bytes!("testdata/p256-cert-and-key.pem");
        let walk = |input: &[u8]| {
            let mut out = [0u8; 1024];
            for block in blocks(input).flatten() {
                let _ = block.decode(&mut out);
                let _ = block.decode(&mut out[..10]);
            }
        };
        for n in 0..=text.len() {
            walk(&text[..n]);
        }
        for i in 0..text.len() * 8 {
            let mut flipped = text.to_vec();
            flipped[i / 8] ^= 1 << (i % 8);
            walk(&flipped);
        }
    }
}
