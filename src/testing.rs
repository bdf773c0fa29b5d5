//! Test support shared by the unit tests: a small deterministic random
//! generator for the fuzz-style tests, so a failure reproduces exactly,
//! and NUL-terminated paths.

/// `s` with its NUL, for `CStr::new`.
pub fn cstr(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}

/// xorshift64 (Marsaglia): deterministic, no crate needed.
pub struct XorShift(pub u64);

impl XorShift {
    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `0..n` (n > 0), for indexing.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A number in `0..n` (n > 0).
    pub fn below_u64(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// One of `from` (non-empty).
    pub fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[self.below(from.len())]
    }
}
