//! A minimal DER reader and writer (ITU-T X.690 §8 and §10): just what
//! PKCS#8, SEC1 and X.509 need. The reader walks a borrowed byte slice and
//! hands back borrowed values (zero copy). Its contract: no panic on any
//! input; every length is checked against the bytes left before use; only
//! definite, minimal lengths and single-byte tags are accepted, as DER
//! requires. The writer fills a caller-owned buffer: a constructed value is
//! started, its contents written, and its length inserted when it ends, so
//! nothing is measured twice; any overflow is latched and reported once, by
//! `finish`. Object identifiers are compared as their encoded bytes
//! (constants in `oid`).

/// Why a DER input was refused, or why a write did not fit: the callers
/// turn it into their own error, so it carries no detail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DerError;

/// Universal tags (X.690 §8.1.2, X.680 §8.4), with the constructed bit set
/// on SEQUENCE and SET as DER always encodes them.
pub const BOOLEAN: u8 = 0x01;
pub const INTEGER: u8 = 0x02;
pub const BIT_STRING: u8 = 0x03;
pub const OCTET_STRING: u8 = 0x04;
pub const NULL: u8 = 0x05;
pub const OID: u8 = 0x06;
pub const UTF8_STRING: u8 = 0x0c;
pub const UTC_TIME: u8 = 0x17;
pub const GENERALIZED_TIME: u8 = 0x18;
pub const SEQUENCE: u8 = 0x30;
pub const SET: u8 = 0x31;

/// Context-specific constructed tags `[0]`, `[1]`, `[3]` (X.690 §8.1.2.2):
/// EXPLICIT tagging and IMPLICIT tagging of a constructed type.
pub const CONTEXT_0: u8 = 0xa0;
pub const CONTEXT_1: u8 = 0xa1;
pub const CONTEXT_3: u8 = 0xa3;

/// A context-specific primitive tag `[n]`, as IMPLICIT tagging of a
/// primitive type writes it (e.g. a GeneralName's dNSName is `[2]`).
pub const fn context_primitive(n: u8) -> u8 {
    0x80 | (n & 0x1f)
}

/// The most length octets read after a long-form length byte: three give
/// 16 MiB, far more than any key or certificate buffer here holds.
pub const MAX_LENGTH_OCTETS: usize = 3;

/// Seconds in a day, for turning dates into Unix time.
const SECS_PER_DAY: i64 = 86_400;

/// Bytes of the largest DER ECDSA P-256 signature: a SEQUENCE header
/// and two INTEGERs of at most 33 bytes with their headers.
pub const MAX_ECDSA_DER_BYTES: usize = 72;

/// An ECDSA signature given as `r || s` (two big-endian integers of equal
/// length) in DER, the `Ecdsa-Sig-Value` of RFC 3279 §2.2.3 that TLS 1.3
/// (RFC 8446 §4.2.3) and X.509 carry. Written here rather than by the
/// `ecdsa` crate's `to_der`, which brings a whole DER library (and a panic
/// path) into the binary. Returns the length written into `out`.
pub fn ecdsa_signature(rs: &[u8], out: &mut [u8; MAX_ECDSA_DER_BYTES]) -> usize {
    let (r, s) = rs.split_at(rs.len() / 2);
    let mut w = Writer::new(out);
    let mark = w.start(SEQUENCE);
    w.unsigned(r);
    w.unsigned(s);
    w.end(mark);
    w.finish().unwrap_or(0)
}

/// Encoded object identifiers (X.690 §8.19), the value bytes only.
pub mod oid {
    /// id-ecPublicKey, 1.2.840.10045.2.1 (RFC 5480 §2.1.1).
    pub const EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    /// prime256v1 = secp256r1 = P-256, 1.2.840.10045.3.1.7 (RFC 5480 §2.1.1.1).
    pub const P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
    /// ecdsa-with-SHA256, 1.2.840.10045.4.3.2 (RFC 5758 §3.2).
    pub const ECDSA_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
    /// rsaEncryption, 1.2.840.113549.1.1.1 (RFC 8017 §A.1).
    pub const RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    /// id-RSASSA-PSS, 1.2.840.113549.1.1.10 (RFC 8017 §A.2.3).
    pub const RSA_PSS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
    /// id-PBES2, 1.2.840.113549.1.5.13 (RFC 8018 §A.4).
    pub const PBES2: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0d];
    /// id-PBKDF2, 1.2.840.113549.1.5.12 (RFC 8018 §A.2).
    pub const PBKDF2: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0c];
    /// id-hmacWithSHA256, 1.2.840.113549.2.9 (RFC 8018 §B.1.2).
    pub const HMAC_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x09];
    /// aes256-CBC-PAD, 2.16.840.1.101.3.4.1.42 (RFC 8018 §B.2.5).
    pub const AES256_CBC: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2a];
    /// id-at-commonName, 2.5.4.3 (RFC 5280 §A.1).
    pub const COMMON_NAME: &[u8] = &[0x55, 0x04, 0x03];
    /// id-ce-subjectAltName, 2.5.29.17 (RFC 5280 §4.2.1.6).
    pub const SUBJECT_ALT_NAME: &[u8] = &[0x55, 0x1d, 0x11];
    /// id-ce-basicConstraints, 2.5.29.19 (RFC 5280 §4.2.1.9).
    pub const BASIC_CONSTRAINTS: &[u8] = &[0x55, 0x1d, 0x13];
    /// id-ce-keyUsage, 2.5.29.15 (RFC 5280 §4.2.1.3).
    pub const KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x0f];
    /// id-ce-extKeyUsage, 2.5.29.37 (RFC 5280 §4.2.1.12).
    pub const EXT_KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x25];
    /// id-kp-serverAuth, 1.3.6.1.5.5.7.3.1 (RFC 5280 §4.2.1.12).
    pub const SERVER_AUTH: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01];
}

/// A cursor over DER values: each read takes one value off the front.
#[derive(Clone, Copy, Debug)]
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader over `input`.
    pub const fn new(input: &'a [u8]) -> Self {
        Reader { rest: input }
    }

    /// Whether every value has been read.
    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The bytes not read yet: e.g. a whole TLV is `before.remaining()`
    /// less what `remaining()` is after reading it.
    pub fn remaining(&self) -> &'a [u8] {
        self.rest
    }

    /// The tag of the next value, if any, without reading it.
    pub fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// Ok when nothing is left: a structure must hold no trailing bytes.
    pub fn finish(&self) -> Result<(), DerError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(DerError)
        }
    }

    /// Reads one value: its tag and contents. Refused: high tag numbers
    /// (§8.1.2.4), the indefinite form (§8.1.3.6, forbidden by §10.1),
    /// lengths in more octets than needed or in the long form below 128
    /// (§10.1), and lengths past the end of the input.
    pub fn any(&mut self) -> Result<(u8, &'a [u8]), DerError> {
        let (&tag, rest) = self.rest.split_first().ok_or(DerError)?;
        if tag & 0x1f == 0x1f {
            return Err(DerError);
        }
        let (&first, mut rest) = rest.split_first().ok_or(DerError)?;
        let mut len = usize::from(first);
        if first >= 0x80 {
            let count = usize::from(first & 0x7f);
            if count == 0 || count > MAX_LENGTH_OCTETS {
                return Err(DerError);
            }
            let (octets, after) = rest.split_at_checked(count).ok_or(DerError)?;
            rest = after;
            len = 0;
            for &b in octets {
                len = (len << 8) | usize::from(b);
            }
            if octets.first() == Some(&0) || len < 0x80 {
                return Err(DerError);
            }
        }
        let (value, rest) = rest.split_at_checked(len).ok_or(DerError)?;
        self.rest = rest;
        Ok((tag, value))
    }

    /// Reads a value that must have tag `tag`; returns its contents.
    pub fn read(&mut self, tag: u8) -> Result<&'a [u8], DerError> {
        match self.any()? {
            (t, value) if t == tag => Ok(value),
            _ => Err(DerError),
        }
    }

    /// Reads the next value if its tag is `tag` (an OPTIONAL or DEFAULT
    /// field, X.680 §25); `None` leaves the reader where it was.
    pub fn optional(&mut self, tag: u8) -> Result<Option<&'a [u8]>, DerError> {
        if self.peek_tag() == Some(tag) {
            self.read(tag).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Reads a SEQUENCE and returns a reader over its elements.
    pub fn sequence(&mut self) -> Result<Reader<'a>, DerError> {
        self.read(SEQUENCE).map(Reader::new)
    }

    /// Reads an INTEGER and returns its two's-complement contents, which
    /// must be minimal (§8.3.2): no redundant leading 0x00 or 0xff.
    pub fn integer(&mut self) -> Result<&'a [u8], DerError> {
        let value = self.read(INTEGER)?;
        match value {
            [] | [0x00, 0x00..=0x7f, ..] | [0xff, 0x80..=0xff, ..] => Err(DerError),
            _ => Ok(value),
        }
    }

    /// Reads a non-negative INTEGER that fits in a `u32` (versions,
    /// iteration counts, key lengths).
    pub fn small_uint(&mut self) -> Result<u32, DerError> {
        let value = self.integer()?;
        let magnitude = match value {
            [0x80..=0xff, ..] => return Err(DerError),
            [0x00, rest @ ..] => rest,
            _ => value,
        };
        if magnitude.len() > 4 {
            return Err(DerError);
        }
        Ok(magnitude.iter().fold(0u32, |n, &b| (n << 8) | u32::from(b)))
    }

    /// Reads an OBJECT IDENTIFIER and returns its encoded contents, for
    /// comparison with the constants in `oid`.
    pub fn oid(&mut self) -> Result<&'a [u8], DerError> {
        match self.read(OID)? {
            [] => Err(DerError),
            value => Ok(value),
        }
    }

    /// Reads an OCTET STRING (primitive, as DER requires: §10.2).
    pub fn octet_string(&mut self) -> Result<&'a [u8], DerError> {
        self.read(OCTET_STRING)
    }

    /// Reads a BIT STRING whose unused-bits octet is 0 (§8.6.2): keys and
    /// signatures are whole octets. Returns the bits after that octet.
    pub fn bit_string(&mut self) -> Result<&'a [u8], DerError> {
        match self.read(BIT_STRING)? {
            [0, bits @ ..] => Ok(bits),
            _ => Err(DerError),
        }
    }

    /// Reads a UTCTime or a GeneralizedTime as RFC 5280 §4.1.2.5 profiles
    /// them (`YYMMDDHHMMSSZ`, `YYYYMMDDHHMMSSZ`: UTC, seconds present, no
    /// fractions) and returns Unix seconds. UTCTime years 50-99 are 19xx.
    pub fn time(&mut self) -> Result<i64, DerError> {
        let (tag, value) = self.any()?;
        let (year, rest) = match (tag, value.len()) {
            (UTC_TIME, 13) => {
                let yy = digits(value.get(..2))?;
                (if yy >= 50 { 1900 + yy } else { 2000 + yy }, value.get(2..))
            }
            (GENERALIZED_TIME, 15) => (digits(value.get(..4))?, value.get(4..)),
            _ => return Err(DerError),
        };
        let rest = rest.ok_or(DerError)?;
        let month = digits(rest.get(0..2))?;
        let day = digits(rest.get(2..4))?;
        let hour = digits(rest.get(4..6))?;
        let minute = digits(rest.get(6..8))?;
        let second = digits(rest.get(8..10))?;
        let valid = rest.get(10) == Some(&b'Z')
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month)
            && hour < 24
            && minute < 60
            && second < 60;
        if !valid {
            return Err(DerError);
        }
        let days = days_from_civil(i64::from(year), i64::from(month), i64::from(day));
        Ok(days * SECS_PER_DAY + i64::from(hour * 3600 + minute * 60 + second))
    }
}

/// The number written in ASCII digits (all of them digits), or an error.
fn digits(text: Option<&[u8]>) -> Result<u32, DerError> {
    let text = text.ok_or(DerError)?;
    let mut n = 0u32;
    for &c in text {
        if !c.is_ascii_digit() {
            return Err(DerError);
        }
        n = n * 10 + u32::from(c - b'0');
    }
    Ok(n)
}

/// Days in `month` (1-12) of `year` in the proleptic Gregorian calendar.
fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a Gregorian date (H. Hinnant's
/// `days_from_civil`, http://howardhinnant.github.io/date_algorithms.html).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The Gregorian date of a day count since 1970-01-01 (Hinnant's
/// `civil_from_days`): year, month 1-12, day 1-31.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Where a constructed value's contents start: from `Writer::start`, for
/// `Writer::end`.
#[derive(Debug)]
#[must_use]
pub struct Mark(usize);

/// Writes DER into a caller-owned buffer. Calls never fail one by one: an
/// overflow or a bad value is remembered and `finish` reports it.
#[derive(Debug)]
pub struct Writer<'a> {
    buf: &'a mut [u8],
    len: usize,
    failed: bool,
}

impl<'a> Writer<'a> {
    /// A writer that fills `buf` from its start.
    pub fn new(buf: &'a mut [u8]) -> Self {
        Writer {
            buf,
            len: 0,
            failed: false,
        }
    }

    /// The number of bytes written so far.
    pub fn position(&self) -> usize {
        self.len
    }

    /// The bytes written from `position` on (e.g. a TBSCertificate, to
    /// sign it).
    pub fn written_since(&self, position: usize) -> &[u8] {
        self.buf.get(position..self.len).unwrap_or(&[])
    }

    /// Appends raw bytes.
    pub fn bytes(&mut self, data: &[u8]) {
        let end = self.len.checked_add(data.len());
        match end.and_then(|end| self.buf.get_mut(self.len..end).zip(Some(end))) {
            Some((dst, end)) => {
                crate::buf::copy(dst, data);
                self.len = end;
            }
            None => self.failed = true,
        }
    }

    /// Starts a constructed value with tag `tag`; its contents follow.
    pub fn start(&mut self, tag: u8) -> Mark {
        self.bytes(&[tag]);
        Mark(self.len)
    }

    /// Ends the value begun at `mark`: moves its contents up to make room
    /// for the length octets (§10.1: definite, minimal) and writes them.
    pub fn end(&mut self, mark: Mark) {
        let Some(content) = self.len.checked_sub(mark.0) else {
            self.failed = true;
            return;
        };
        // §8.1.3: the short form below 128, else 0x80 | count then the
        // length in `count` big-endian octets.
        let count = if content < 0x80 {
            0
        } else {
            (usize::BITS - content.leading_zeros()).div_ceil(8) as usize
        };
        if count > MAX_LENGTH_OCTETS {
            self.failed = true;
            return;
        }
        let mut octets = [0u8; 1 + MAX_LENGTH_OCTETS];
        let mut first = content as u8;
        if count > 0 {
            first = 0x80 | count as u8;
            for (i, slot) in octets.iter_mut().skip(1).take(count).enumerate() {
                *slot = (content >> (8 * (count - 1 - i))) as u8;
            }
        }
        if let Some(slot) = octets.first_mut() {
            *slot = first;
        }
        let count = count + 1;
        let end = self.len.checked_add(count);
        let Some((area, end)) = end.and_then(|end| Some((self.buf.get_mut(mark.0..end)?, end)))
        else {
            self.failed = true;
            return;
        };
        // Move the contents up by `count` bytes, last byte first (by
        // hand: `copy_within` brings a panic path).
        for i in (0..content).rev() {
            if let Some(byte) = area.get(i).copied()
                && let Some(slot) = area.get_mut(i + count)
            {
                *slot = byte;
            }
        }
        for (dst, src) in area.iter_mut().zip(octets.iter().take(count)) {
            *dst = *src;
        }
        self.len = end;
    }

    /// Writes a whole value: tag, length, contents.
    pub fn tlv(&mut self, tag: u8, value: &[u8]) {
        let mark = self.start(tag);
        self.bytes(value);
        self.end(mark);
    }

    /// Writes a non-negative INTEGER from big-endian unsigned bytes,
    /// minimal as §8.3.2 requires: leading zeros dropped, one 0x00 added
    /// when the top bit is set.
    pub fn unsigned(&mut self, be: &[u8]) {
        let first = be.iter().position(|&b| b != 0).unwrap_or(be.len());
        let digits = be.get(first..).unwrap_or(&[]);
        let mark = self.start(INTEGER);
        if digits.first().is_none_or(|&b| b >= 0x80) {
            self.bytes(&[0]);
        }
        self.bytes(digits);
        self.end(mark);
    }

    /// Writes a time as RFC 5280 §4.1.2.5 requires: UTCTime for the years
    /// 1950-2049, GeneralizedTime otherwise; years outside 0-9999 cannot
    /// be written and fail the writer.
    pub fn time(&mut self, unix: i64) {
        let (year, month, day) = civil_from_days(unix.div_euclid(SECS_PER_DAY));
        let secs = unix.rem_euclid(SECS_PER_DAY);
        if !(0..=9999).contains(&year) {
            self.failed = true;
            return;
        }
        let utc = (1950..2050).contains(&year);
        let mut text = [0u8; 15];
        let fields = [
            (if utc { year % 100 } else { year }, if utc { 2 } else { 4 }),
            (month, 2),
            (day, 2),
            (secs / 3600, 2),
            (secs / 60 % 60, 2),
            (secs % 60, 2),
        ];
        let mut at = 0;
        for (value, width) in fields {
            let mut value = value;
            for place in (at..at + width).rev() {
                if let Some(slot) = text.get_mut(place) {
                    *slot = b'0' + (value % 10) as u8;
                }
                value /= 10;
            }
            at += width;
        }
        let tag = if utc { UTC_TIME } else { GENERALIZED_TIME };
        let mark = self.start(tag);
        self.bytes(text.get(..at).unwrap_or(&[]));
        self.bytes(b"Z");
        self.end(mark);
    }

    /// The length written, or an error if anything did not fit.
    pub fn finish(self) -> Result<usize, DerError> {
        if self.failed {
            Err(DerError)
        } else {
            Ok(self.len)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecdsa_signatures_match_the_ecdsa_crate() {
        use p256::ecdsa::signature::Signer;
        use p256::ecdsa::{Signature, SigningKey};
        let key = SigningKey::from_slice(&[3u8; 32]).unwrap();
        // Enough signatures that r or s has its top bit set (half of
        // them) and, now and then, a leading zero byte.
        for i in 0u32..600 {
            let sig: Signature = key.sign(&i.to_be_bytes());
            let mut ours = [0u8; MAX_ECDSA_DER_BYTES];
            let len = ecdsa_signature(&sig.to_bytes(), &mut ours);
            assert_eq!(&ours[..len], sig.to_der().as_bytes(), "message {i}");
        }
    }

    #[test]
    fn reads_short_and_long_lengths() {
        let mut r = Reader::new(&[0x04, 0x02, 0xaa, 0xbb, 0x05, 0x00]);
        assert_eq!(r.any(), Ok((OCTET_STRING, &[0xaa, 0xbb][..])));
        assert_eq!(r.read(NULL), Ok(&[][..]));
        assert!(r.is_empty());
        let mut long = vec![0x04, 0x81, 0x80];
        long.extend([7u8; 0x80]);
        assert_eq!(Reader::new(&long).octet_string().map(<[u8]>::len), Ok(0x80));
        let mut longer = vec![0x04, 0x82, 0x01, 0x00];
        longer.extend([7u8; 0x100]);
        assert_eq!(
            Reader::new(&longer).octet_string().map(<[u8]>::len),
            Ok(0x100)
        );
    }

    #[test]
    fn refuses_bad_lengths_and_tags() {
        for bad in [
            &[0x04, 0x80, 0x00, 0x00][..], // indefinite
            &[0x04, 0x81, 0x01, 0xaa],     // long form below 128
            &[0x04, 0x82, 0x00, 0x81],     // leading zero length octet
            &[0x04, 0x84, 0, 0, 1, 0],     // more octets than we take
            &[0x04, 0xff],                 // reserved
            &[0x04, 0x03, 0xaa],           // past the end
            &[0x04],                       // no length
            &[0x1f, 0x01, 0x00],           // high tag number
            &[],
        ] {
            assert_eq!(Reader::new(bad).any(), Err(DerError), "{bad:02x?}");
        }
        assert_eq!(Reader::new(&[0x05, 0x00]).read(INTEGER), Err(DerError));
    }

    #[test]
    fn integers_must_be_minimal() {
        let int = |b: &[u8]| Reader::new(b).integer().map(<[u8]>::to_vec);
        assert_eq!(int(&[2, 1, 0]), Ok(vec![0]));
        assert_eq!(int(&[2, 2, 0, 0x80]), Ok(vec![0, 0x80]));
        assert_eq!(int(&[2, 2, 0, 0x7f]), Err(DerError));
        assert_eq!(int(&[2, 2, 0xff, 0x80]), Err(DerError));
        assert_eq!(int(&[2, 0]), Err(DerError));
        let small = |b: &[u8]| Reader::new(b).small_uint();
        assert_eq!(small(&[2, 2, 0x08, 0x00]), Ok(2048));
        assert_eq!(small(&[2, 5, 0, 0xff, 0xff, 0xff, 0xff]), Ok(u32::MAX));
        assert_eq!(small(&[2, 5, 1, 0, 0, 0, 0]), Err(DerError));
        assert_eq!(small(&[2, 1, 0x80]), Err(DerError));
    }

    #[test]
    fn sequences_strings_and_oids() {
        let der = [
            0x30, 0x0d, 0x06, 0x03, 0x55, 0x04, 0x03, 0x03, 0x02, 0x00, 0xab, 0xa0, 0x02, 0x05,
            0x00,
        ];
        let mut outer = Reader::new(&der);
        let mut seq = outer.sequence().unwrap();
        outer.finish().unwrap();
        assert_eq!(seq.oid(), Ok(oid::COMMON_NAME));
        assert_eq!(seq.bit_string(), Ok(&[0xab][..]));
        assert_eq!(seq.optional(CONTEXT_1), Ok(None));
        assert_eq!(seq.optional(CONTEXT_0), Ok(Some(&[0x05, 0x00][..])));
        seq.finish().unwrap();
        assert_eq!(Reader::new(&[3, 2, 1, 0xfe]).bit_string(), Err(DerError));
        assert_eq!(Reader::new(&[6, 0]).oid(), Err(DerError));
        assert_eq!(Reader::new(&[5, 0, 5, 0]).finish(), Err(DerError));
    }

    fn time(tag: u8, text: &str) -> Result<i64, DerError> {
        let mut der = vec![tag, text.len() as u8];
        der.extend(text.as_bytes());
        Reader::new(&der).time()
    }

    #[test]
    fn reads_times() {
        assert_eq!(time(UTC_TIME, "700101000000Z"), Ok(0));
        assert_eq!(time(UTC_TIME, "491231235959Z"), Ok(2_524_607_999));
        assert_eq!(time(UTC_TIME, "500101000000Z"), Ok(-631_152_000));
        assert_eq!(time(UTC_TIME, "261129015038Z"), Ok(1_795_917_038));
        assert_eq!(time(GENERALIZED_TIME, "21360605015038Z"), Ok(5_251_917_038));
        assert_eq!(time(GENERALIZED_TIME, "20000229120000Z"), Ok(951_825_600));
        assert_eq!(
            time(GENERALIZED_TIME, "99991231235959Z"),
            Ok(253_402_300_799)
        );
        for bad in [
            "2611290150Z",     // no seconds
            "261129015038+01", // not UTC
            "261329015038Z",   // month 13
            "261131015038Z",   // 31 November
            "250229000000Z",   // 29 February, not a leap year
            "261129245038Z",   // hour 24
            "26112901503aZ",
        ] {
            assert_eq!(time(UTC_TIME, bad), Err(DerError), "{bad}");
        }
        assert_eq!(time(GENERALIZED_TIME, "19000229000000Z"), Err(DerError));
        assert_eq!(time(GENERALIZED_TIME, "20261129015038.5Z"), Err(DerError));
        assert_eq!(time(UTC_TIME, "21360605015038Z"), Err(DerError));
        assert_eq!(time(OCTET_STRING, "261129015038Z"), Err(DerError));
    }

    #[test]
    fn writes_times_and_reads_them_back() {
        for unix in [
            0,
            -631_152_000,
            2_524_607_999,
            2_524_608_000,
            951_825_600,
            1_795_917_038,
            5_251_917_038,
            253_402_300_799,
            -62_167_219_200, // 0000-01-01
        ] {
            let mut buf = [0u8; 32];
            let mut w = Writer::new(&mut buf);
            w.time(unix);
            let n = w.finish().unwrap();
            let year = civil_from_days(unix.div_euclid(SECS_PER_DAY)).0;
            let expect = if (1950..2050).contains(&year) {
                UTC_TIME
            } else {
                GENERALIZED_TIME
            };
            assert_eq!(buf[0], expect, "{unix}");
            assert_eq!(Reader::new(&buf[..n]).time(), Ok(unix), "{unix}");
        }
        let mut buf = [0u8; 32];
        let mut w = Writer::new(&mut buf);
        w.time(1_795_917_038);
        let n = w.finish().unwrap();
        assert_eq!(&buf[2..n], b"261129015038Z");
        for out_of_range in [253_402_300_800, -62_167_219_201, i64::MAX, i64::MIN] {
            let mut w = Writer::new(&mut buf);
            w.time(out_of_range);
            assert_eq!(w.finish(), Err(DerError));
        }
    }

    #[test]
    fn civil_dates_round_trip() {
        for days in (-800_000..3_000_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn writes_nested_values_with_minimal_lengths() {
        for size in [0usize, 1, 0x7f, 0x80, 0xff, 0x100, 0x1234] {
            let mut buf = vec![0u8; size + 16];
            let mut w = Writer::new(&mut buf);
            let outer = w.start(SEQUENCE);
            let inner = w.start(OCTET_STRING);
            w.bytes(&vec![0x5a; size]);
            w.end(inner);
            w.tlv(NULL, &[]);
            w.end(outer);
            let n = w.finish().unwrap();
            let mut r = Reader::new(&buf[..n]);
            let mut seq = r.sequence().unwrap();
            r.finish().unwrap();
            assert_eq!(seq.octet_string().unwrap(), &vec![0x5a; size][..]);
            assert_eq!(seq.read(NULL), Ok(&[][..]));
            seq.finish().unwrap();
        }
    }

    #[test]
    fn writes_unsigned_integers() {
        for (input, expect) in [
            (&[0x00, 0x00, 0x05][..], &[2, 1, 5][..]),
            (&[0x80], &[2, 2, 0, 0x80]),
            (&[0x00, 0x00], &[2, 1, 0]),
            (&[], &[2, 1, 0]),
            (&[0x7f, 0xff], &[2, 2, 0x7f, 0xff]),
        ] {
            let mut buf = [0u8; 8];
            let mut w = Writer::new(&mut buf);
            w.unsigned(input);
            let n = w.finish().unwrap();
            assert_eq!(&buf[..n], expect);
            assert!(Reader::new(&buf[..n]).integer().is_ok());
        }
    }

    #[test]
    fn writer_overflow_is_reported_not_panicked() {
        for size in 0..40 {
            let mut buf = vec![0u8; size];
            let mut w = Writer::new(&mut buf);
            let outer = w.start(SEQUENCE);
            w.tlv(OCTET_STRING, &[1; 30]);
            w.time(0);
            w.end(outer);
            let result = w.finish();
            assert_eq!(result.is_ok(), size >= 49, "{size}");
        }
    }

    #[test]
    fn truncations_and_flips_never_panic() {
        let der = [
            0x30, 0x19, 0x02, 0x01, 0x01, 0x17, 0x0d, b'2', b'6', b'1', b'1', b'2', b'9', b'0',
            b'1', b'5', b'0', b'3', b'8', b'Z', 0xa0, 0x05, 0x06, 0x03, 0x55, 0x04, 0x03,
        ];
        let walk = |input: &[u8]| {
            let mut r = Reader::new(input);
            if let Ok(mut s) = r.sequence() {
                let _ = s.small_uint();
                let _ = s.time();
                let _ = s.optional(CONTEXT_0);
                let _ = s.finish();
            }
        };
        walk(&der);
        assert!(Reader::new(&der).sequence().is_ok());
        for n in 0..der.len() {
            walk(&der[..n]);
        }
        for i in 0..der.len() * 8 {
            let mut flipped = der;
            flipped[i / 8] ^= 1 << (i % 8);
            walk(&flipped);
        }
    }
}
