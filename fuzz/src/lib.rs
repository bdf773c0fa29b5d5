//! Helpers shared by the fuzz targets in `fuzz_targets/`: showing an input
//! in a failure message, and small deterministic choices driven by the
//! fuzzer's bytes. Each target states its properties in its own header.

/// `bytes` escaped as Rust would write them in a byte string (`\r\n`,
/// `\xff`), for assertion messages that can be pasted into a unit test.
/// Nothing is formatted unless a message is (`{:?}` quotes it).
pub fn show(bytes: &[u8]) -> Show<'_> {
    Show(bytes)
}

/// See [`show`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Show<'a>(pub &'a [u8]);

impl std::fmt::Debug for Show<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "\"{}\"", self.0.escape_ascii())
    }
}

/// `s` without leading and trailing SP / HTAB (HTTP's OWS), written with
/// std iterators rather than the library's byte loops.
pub fn trim_ows(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| b != b' ' && b != b'\t');
    let Some(start) = start else { return &[] };
    let end = s
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .unwrap_or(start);
    &s[start..=end]
}

/// A digits-only decimal (`1*DIGIT`, no sign, no space) that fits in `T`.
/// std's `from_str` also takes a leading `+`, which no parser here does.
pub fn digits<T: std::str::FromStr>(s: &[u8]) -> Option<T> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(s).ok()?.parse().ok()
}

/// xorshift64: chunk sizes and other choices from a seed taken from the
/// fuzzer's bytes, so every run of an input is the same run.
pub struct XorShift(pub u64);

impl XorShift {
    /// The next 64 random bits (a zero seed is nudged so it never sticks).
    pub fn next(&mut self) -> u64 {
        if self.0 == 0 {
            self.0 = 0x9e37_79b9_7f4a_7c15;
        }
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}
