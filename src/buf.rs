//! `Buf`: the one writer every formatter in the crate uses. It appends to a
//! caller-owned byte slice (a connection's output buffer, a log line, a
//! listing page) and never allocates. A push that does not fit is dropped
//! whole and remembered in `overflowed()`, so a caller can refuse to send a
//! truncated response instead of sending it silently cut short.

/// Appends bytes and numbers to a fixed slice. See the module docs.
pub struct Buf<'a> {
    bytes: &'a mut [u8],
    len: usize,
    overflowed: bool,
}

impl<'a> Buf<'a> {
    /// An empty writer over `bytes`.
    pub fn new(bytes: &'a mut [u8]) -> Self {
        Buf {
            bytes,
            len: 0,
            overflowed: false,
        }
    }

    /// Appends `s` whole, or nothing (and marks the buffer overflowed).
    pub fn push(&mut self, s: &[u8]) -> &mut Self {
        match self.bytes.get_mut(self.len..self.len + s.len()) {
            Some(dst) if !self.overflowed => {
                copy(dst, s);
                self.len += s.len();
            }
            _ => self.overflowed = true,
        }
        self
    }

    /// Appends a string's bytes.
    pub fn str(&mut self, s: &str) -> &mut Self {
        self.push(s.as_bytes())
    }

    /// Appends one byte. Not inlined: it is called from a hundred places,
    /// and a call is a third of the inlined code.
    #[inline(never)]
    pub fn byte(&mut self, b: u8) -> &mut Self {
        match self.bytes.get_mut(self.len) {
            Some(slot) if !self.overflowed => {
                *slot = b;
                self.len += 1;
            }
            _ => self.overflowed = true,
        }
        self
    }

    /// Appends `n` in decimal.
    pub fn u64(&mut self, n: u64) -> &mut Self {
        self.u64_padded(n, 1)
    }

    /// Appends `n` in decimal, zero-padded on the left to at least `width`
    /// digits (dates and times: `07`, `2026`).
    pub fn u64_padded(&mut self, n: u64, width: usize) -> &mut Self {
        self.digits(n, 10, width)
    }

    /// Appends `n` in lowercase hexadecimal, without leading zeros.
    pub fn hex(&mut self, n: u64) -> &mut Self {
        self.digits(n, 16, 1)
    }

    /// Appends `n` in `base` (10 or 16), zero-padded to at least `width`.
    fn digits(&mut self, mut n: u64, base: u64, width: usize) -> &mut Self {
        // u64::MAX has 20 decimal digits.
        let mut digits = [b'0'; 20];
        let mut start = digits.len();
        for slot in digits.iter_mut().rev() {
            *slot = b"0123456789abcdef"[(n % base) as usize & 0xf];
            start -= 1;
            n /= base;
            if n == 0 {
                break;
            }
        }
        let start = start.min(digits.len().saturating_sub(width));
        self.push(digits.get(start..).unwrap_or_default())
    }

    /// The unwritten rest of the buffer, to be filled by a read and then
    /// claimed with `commit` (empty once overflowed).
    pub fn spare(&mut self) -> &mut [u8] {
        match self.bytes.get_mut(self.len..) {
            Some(spare) if !self.overflowed => spare,
            _ => &mut [],
        }
    }

    /// Claims `n` bytes written into `spare()`.
    pub fn commit(&mut self, n: usize) {
        self.len = (self.len + n).min(self.bytes.len());
    }

    /// The bytes written so far.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }

    /// How many bytes have been written.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing has been written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// True when some push did not fit; what was written before it is intact.
    pub fn overflowed(&self) -> bool {
        self.overflowed
    }

    /// Forgets everything after the first `len` bytes, and any overflow.
    pub fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
        self.overflowed = false;
    }
}

/// Copies what fits of `src` to the start of `dst`; returns how much
/// (`rt::copy`, beside the writer for the code that formats).
pub use crate::rt::copy;

/// Moves `v[from..len]` to the front of `v` and returns its new length,
/// `len - from`: the unanswered rest of a connection's input, the slots
/// left on the ready list. By hand, because `copy_within` brings a panic
/// path into the binary.
pub fn move_to_front<T: Copy>(v: &mut [T], from: usize, len: usize) -> usize {
    let mut kept = 0;
    for i in from..len {
        let item = v.get(i).copied();
        if let (Some(item), Some(dst)) = (item, v.get_mut(kept)) {
            *dst = item;
        }
        kept += 1;
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::Buf;

    #[test]
    fn numbers_match_std_formatting() {
        for n in [0u64, 1, 9, 10, 99, 100, 12345, u32::MAX as u64, u64::MAX] {
            let mut mem = [0u8; 64];
            let mut b = Buf::new(&mut mem);
            b.u64(n).byte(b' ').hex(n);
            assert_eq!(b.as_bytes(), format!("{n} {n:x}").as_bytes());
        }
    }

    #[test]
    fn padding() {
        let mut mem = [0u8; 64];
        let mut b = Buf::new(&mut mem);
        b.u64_padded(7, 2).byte(b'|').u64_padded(2026, 2).byte(b'|');
        b.u64_padded(0, 4).byte(b'|').u64_padded(5, 40);
        assert_eq!(b.as_bytes(), b"07|2026|0000|00000000000000000005");
    }

    #[test]
    fn overflow_drops_the_whole_push_and_is_sticky() {
        let mut mem = [0u8; 8];
        let mut b = Buf::new(&mut mem);
        b.str("hello");
        assert!(!b.overflowed());
        b.str("world");
        assert!(b.overflowed());
        b.str("!");
        assert_eq!(b.as_bytes(), b"hello");
        b.truncate(2);
        assert!(!b.overflowed());
        b.str("y!");
        assert_eq!(b.as_bytes(), b"hey!");
    }

    #[test]
    fn move_to_front_keeps_the_tail_in_order() {
        let mut v = *b"abcdefgh";
        assert_eq!(super::move_to_front(&mut v, 3, 6), 3);
        assert_eq!(&v[..3], b"def");
        assert_eq!(super::move_to_front(&mut v, 0, 2), 2);
        assert_eq!(&v[..2], b"de");
        assert_eq!(super::move_to_front(&mut v, 5, 5), 0);
    }
}
