//! IP address text: parsing (for configuration such as a listen address)
//! and formatting (for access logs and `Forwarded`-style output), by hand,
//! without `core::fmt`. Parsing accepts exactly what Rust's
//! `std::net::Ipv4Addr` / `Ipv6Addr` `FromStr` accept (the tests hold them
//! side by side), which is RFC 4291 §2.2 for IPv6 and a strict dotted quad
//! for IPv4. Formatting writes exactly what their `Display` writes, which is
//! RFC 5952 §4 canonical text, with `::ffff:a.b.c.d` for IPv4-mapped
//! addresses. Output goes through `Buf`.

use crate::buf::Buf;

/// Longest IPv4 text std accepts, in bytes (`255.255.255.255`). Longer input
/// is refused before parsing, exactly as std does.
const MAX_IPV4_TEXT_BYTES: usize = 15;

/// Parses a strict dotted quad: four decimal parts `0..=255` separated by
/// `.`, each 1..=3 digits without a leading zero (`0` itself is fine; a
/// leading zero would mean octal to inet_aton, RFC 6943 §3.1.1), nothing
/// else (no whitespace, no empty parts). Agrees with std's
/// `Ipv4Addr::from_str`.
pub fn parse_ipv4(s: &[u8]) -> Option<[u8; 4]> {
    if s.len() > MAX_IPV4_TEXT_BYTES {
        return None;
    }
    let mut p = Cursor { s, pos: 0 };
    let ip = p.ipv4()?;
    p.at_end().then_some(ip)
}

/// Parses an IPv6 address in the text forms of RFC 4291 §2.2: eight groups
/// of 1..=4 hex digits (either case), at most one `::` standing for one or
/// more zero groups, and optionally a dotted quad as the last 32 bits
/// (`::ffff:1.2.3.4`, `64:ff9b::1.2.3.4`). No brackets and no zone id
/// (`fe80::1%eth0` is refused). Agrees with std's `Ipv6Addr::from_str`,
/// including its acceptance of `::` for a single zero group (`1:2:3:4:5:6:7::`),
/// which RFC 4291 allows on input and only RFC 5952 §4.2.2 forbids on output.
pub fn parse_ipv6(s: &[u8]) -> Option<[u8; 16]> {
    let mut p = Cursor { s, pos: 0 };
    let groups = p.ipv6()?;
    if !p.at_end() {
        return None;
    }
    let mut ip = [0u8; 16];
    for (pair, g) in ip.chunks_exact_mut(2).zip(groups) {
        pair.copy_from_slice(&g.to_be_bytes());
    }
    Some(ip)
}

/// Writes `ip` as a dotted quad (`192.0.2.1`).
pub fn format_ipv4(buf: &mut Buf, ip: [u8; 4]) {
    let [a, b, c, d] = ip;
    buf.u64(u64::from(a)).byte(b'.').u64(u64::from(b));
    buf.byte(b'.')
        .u64(u64::from(c))
        .byte(b'.')
        .u64(u64::from(d));
}

/// Writes `ip` in RFC 5952 §4 canonical form, as std's `Ipv6Addr` Display
/// does: lowercase hex without leading zeros (§4.1, §4.3); the longest run
/// of two or more zero groups, the first on a tie, as `::` (§4.2); a single
/// zero group is written `0`. IPv4-mapped addresses are written
/// `::ffff:a.b.c.d` (§5); IPv4-compatible ones (`::a.b.c.d`, deprecated by
/// RFC 4291 §2.5.5.1) are written in plain hex (`::102:304`), like std.
pub fn format_ipv6(buf: &mut Buf, ip: [u8; 16]) {
    if let Some(v4) = ipv4_mapped(&ip) {
        buf.str("::ffff:");
        format_ipv4(buf, v4);
        return;
    }
    let mut groups = [0u16; 8];
    for (i, g) in groups.iter_mut().enumerate() {
        if let (Some(&hi), Some(&lo)) = (ip.get(2 * i), ip.get(2 * i + 1)) {
            *g = u16::from_be_bytes([hi, lo]);
        }
    }
    // Find the longest run of zero groups; a later run must be strictly
    // longer to win, so the first one is kept on a tie (§4.2.3).
    let (mut best_start, mut best_len) = (0, 0);
    let (mut run_start, mut run_len) = (0, 0);
    for (i, &g) in groups.iter().enumerate() {
        if g == 0 {
            if run_len == 0 {
                run_start = i;
            }
            run_len += 1;
            if run_len > best_len {
                (best_start, best_len) = (run_start, run_len);
            }
        } else {
            run_len = 0;
        }
    }
    // §4.2.2: `::` must not shorten just one zero group.
    if best_len > 1 {
        hex_groups(buf, groups.get(..best_start).unwrap_or(&[]));
        buf.str("::");
        hex_groups(buf, groups.get(best_start + best_len..).unwrap_or(&[]));
    } else {
        hex_groups(buf, &groups);
    }
}

/// The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`,
/// RFC 4291 §2.5.5.2), which is how a dual-stack socket reports an IPv4
/// client; `None` for any other address, including IPv4-compatible ones.
pub fn ipv4_mapped(ip: &[u8; 16]) -> Option<[u8; 4]> {
    match *ip {
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, c, d] => Some([a, b, c, d]),
        _ => None,
    }
}

/// Writes hex groups joined by `:`.
fn hex_groups(buf: &mut Buf, groups: &[u16]) {
    for (i, &g) in groups.iter().enumerate() {
        if i > 0 {
            buf.byte(b':');
        }
        buf.hex(u64::from(g));
    }
}

/// A read position in the input. Every `Cursor` method that fails leaves
/// the position where it was, so alternatives can be tried in turn; this
/// mirrors the structure of std's parser so the two accept the same set.
struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }

    /// Runs `f`, rewinding to the current position if it fails.
    fn atomically<T>(&mut self, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        let start = self.pos;
        let r = f(self);
        if r.is_none() {
            self.pos = start;
        }
        r
    }

    /// Consumes `c` if it is next.
    fn eat(&mut self, c: u8) -> Option<()> {
        if self.s.get(self.pos) == Some(&c) {
            self.pos += 1;
            Some(())
        } else {
            None
        }
    }

    /// Consumes `sep` unless this is the first item (`index == 0`).
    fn separator(&mut self, sep: u8, index: usize) -> Option<()> {
        if index > 0 { self.eat(sep) } else { Some(()) }
    }

    /// Reads 1..=`max_digits` digits in `radix` (10 or 16). More digits
    /// than that fail outright rather than stopping early, so `12345` is
    /// not read as the group `1234` followed by junk.
    fn number(&mut self, radix: u32, max_digits: u32, allow_leading_zero: bool) -> Option<u32> {
        self.atomically(|p| {
            let first = p.s.get(p.pos).copied();
            let mut value = 0u32;
            let mut digits = 0;
            while let Some(d) = p.s.get(p.pos).and_then(|&b| digit_value(b, radix)) {
                digits += 1;
                if digits > max_digits {
                    return None;
                }
                // At most 4 hex or 3 decimal digits: no overflow.
                value = value * radix + d;
                p.pos += 1;
            }
            let leading_zero = first == Some(b'0') && digits > 1;
            (digits > 0 && (allow_leading_zero || !leading_zero)).then_some(value)
        })
    }

    /// A dotted quad, not necessarily at the end of the input.
    fn ipv4(&mut self) -> Option<[u8; 4]> {
        self.atomically(|p| {
            let mut ip = [0u8; 4];
            for (i, octet) in ip.iter_mut().enumerate() {
                p.separator(b'.', i)?;
                *octet = u8::try_from(p.number(10, 3, false)?).ok()?;
            }
            Some(ip)
        })
    }

    /// Reads `:`-separated hex groups into `groups`, stopping at the first
    /// thing that is not one; a dotted quad may stand for the last two
    /// groups when there is room for both. Returns how many groups were
    /// filled and whether the last two came from a dotted quad.
    fn groups(&mut self, groups: &mut [u16]) -> (usize, bool) {
        let limit = groups.len();
        let mut i = 0;
        while i < limit {
            if i + 1 < limit {
                let v4 = self.atomically(|p| {
                    p.separator(b':', i)?;
                    p.ipv4()
                });
                if let (Some([a, b, c, d]), Some([hi, lo])) = (v4, groups.get_mut(i..i + 2)) {
                    *hi = u16::from_be_bytes([a, b]);
                    *lo = u16::from_be_bytes([c, d]);
                    return (i + 2, true);
                }
            }
            let group = self.atomically(|p| {
                p.separator(b':', i)?;
                u16::try_from(p.number(16, 4, true)?).ok()
            });
            match (group, groups.get_mut(i)) {
                (Some(g), Some(slot)) => *slot = g,
                _ => return (i, false),
            }
            i += 1;
        }
        (limit, false)
    }

    /// An IPv6 address (RFC 4291 §2.2) as eight groups, not necessarily at
    /// the end of the input.
    fn ipv6(&mut self) -> Option<[u16; 8]> {
        self.atomically(|p| {
            // The groups before `::`, or all eight.
            let mut head = [0u16; 8];
            let (head_len, head_v4) = p.groups(&mut head);
            if head_len == 8 {
                return Some(head);
            }
            // A dotted quad is only allowed as the very last 32 bits.
            if head_v4 {
                return None;
            }
            p.eat(b':')?;
            p.eat(b':')?;
            // `::` stands for at least one zero group, so at most seven
            // groups in all may follow; they fill the end of the address.
            let mut tail = [0u16; 7];
            let room = 7usize.checked_sub(head_len)?;
            let (tail_len, _) = p.groups(tail.get_mut(..room)?);
            let dst = head.get_mut(8 - tail_len..)?;
            dst.copy_from_slice(tail.get(..tail_len)?);
            Some(head)
        })
    }
}

/// The value of `b` as a digit in `radix` (10 or 16, hex in either case).
fn digit_value(b: u8, radix: u32) -> Option<u32> {
    let v = match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        b'A'..=b'F' => b - b'A' + 10,
        _ => return None,
    };
    (u32::from(v) < radix).then_some(u32::from(v))
}

#[cfg(test)]
mod tests {
    use super::{format_ipv4, format_ipv6, ipv4_mapped, parse_ipv4, parse_ipv6};
    use crate::buf::Buf;
    use crate::testing::XorShift;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn v4_text(ip: [u8; 4]) -> String {
        let mut mem = [0u8; 64];
        let mut b = Buf::new(&mut mem);
        format_ipv4(&mut b, ip);
        assert!(!b.overflowed());
        String::from_utf8(b.as_bytes().to_vec()).unwrap()
    }

    fn v6_text(ip: [u8; 16]) -> String {
        let mut mem = [0u8; 64];
        let mut b = Buf::new(&mut mem);
        format_ipv6(&mut b, ip);
        assert!(!b.overflowed());
        String::from_utf8(b.as_bytes().to_vec()).unwrap()
    }

    /// Compares both parsers with std on one input.
    fn check_parse(s: &[u8]) -> (bool, bool) {
        let text = std::str::from_utf8(s).ok();
        let std4 = text
            .and_then(|t| t.parse::<Ipv4Addr>().ok())
            .map(|a| a.octets());
        let std6 = text
            .and_then(|t| t.parse::<Ipv6Addr>().ok())
            .map(|a| a.octets());
        assert_eq!(parse_ipv4(s), std4, "ipv4 {:?}", String::from_utf8_lossy(s));
        assert_eq!(parse_ipv6(s), std6, "ipv6 {:?}", String::from_utf8_lossy(s));
        (std4.is_some(), std6.is_some())
    }

    #[test]
    fn rfc5952_edge_cases_format_like_std() {
        let cases: &[(&str, &str)] = &[
            ("::", "::"),
            ("::1", "::1"),
            ("1::", "1::"),
            ("1:0:0:1:0:0:0:1", "1:0:0:1::1"),
            ("1:0:0:0:1:0:0:1", "1::1:0:0:1"),
            ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
            ("2001:db8::1:0:0:1", "2001:db8::1:0:0:1"),
            ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
            ("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
            ("0:1:0:1:0:1:0:1", "0:1:0:1:0:1:0:1"),
            ("1:0:1:0:1:0:1:0", "1:0:1:0:1:0:1:0"),
            ("0:0:1:1:1:1:1:1", "::1:1:1:1:1:1"),
            ("1:1:1:1:1:1:0:0", "1:1:1:1:1:1::"),
            ("1:1:1:1:1:1:1:0", "1:1:1:1:1:1:1:0"),
            (
                "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            ),
            ("::ffff:1.2.3.4", "::ffff:1.2.3.4"),
            ("::ffff:0.0.0.0", "::ffff:0.0.0.0"),
            ("::ffff:255.255.255.255", "::ffff:255.255.255.255"),
            // IPv4-compatible: std writes hex, not a dotted quad.
            ("::1.2.3.4", "::102:304"),
            ("::0.0.0.2", "::2"),
            ("::ffff:0:0:0", "::ffff:0:0:0"),
            ("0:0:0:0:1:ffff:1.2.3.4", "::1:ffff:102:304"),
            ("::fffe:1.2.3.4", "::fffe:102:304"),
            ("64:ff9b::", "64:ff9b::"),
            ("64:ff9b::1.2.3.4", "64:ff9b::102:304"),
            ("fe80::1", "fe80::1"),
        ];
        for &(input, want) in cases {
            let std_ip: Ipv6Addr = input.parse().unwrap();
            assert_eq!(std_ip.to_string(), want, "oracle disagrees on {input}");
            let ip = parse_ipv6(input.as_bytes()).unwrap();
            assert_eq!(ip, std_ip.octets(), "{input}");
            assert_eq!(v6_text(ip), want, "{input}");
        }
    }

    #[test]
    fn random_addresses_format_like_std() {
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        for round in 0..200_000 {
            let mut ip = [0u8; 16];
            for pair in ip.chunks_exact_mut(2) {
                // Zero groups half the time so runs of zeros are common;
                // small values test leading-zero suppression.
                let g: u16 = match rng.below(4) {
                    0 | 1 => 0,
                    2 => rng.next() as u16 & 0x1f,
                    _ => rng.next() as u16,
                };
                pair.copy_from_slice(&g.to_be_bytes());
            }
            match round % 16 {
                0 => ip[..12].copy_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]),
                1 => ip[..12].fill(0),
                _ => {}
            }
            let want = Ipv6Addr::from(ip).to_string();
            assert_eq!(v6_text(ip), want);
            // And the text reads back to the same address.
            assert_eq!(parse_ipv6(want.as_bytes()), Some(ip), "{want}");

            let v4 = [ip[12], ip[13], ip[14], ip[15]];
            assert_eq!(v4_text(v4), Ipv4Addr::from(v4).to_string());
            assert_eq!(
                ipv4_mapped(&ip),
                Ipv6Addr::from(ip).to_ipv4_mapped().map(|a| a.octets())
            );
        }
    }

    #[test]
    fn ipv4_formatting_and_mapping() {
        for ip in [
            [0, 0, 0, 0],
            [255, 255, 255, 255],
            [127, 0, 0, 1],
            [10, 9, 99, 100],
        ] {
            assert_eq!(v4_text(ip), Ipv4Addr::from(ip).to_string());
        }
        let mapped = parse_ipv6(b"::ffff:192.0.2.1").unwrap();
        assert_eq!(ipv4_mapped(&mapped), Some([192, 0, 2, 1]));
        for not_mapped in [
            "::192.0.2.1",
            "::1",
            "::",
            "1::ffff:1.2.3.4",
            "::fffe:1.2.3.4",
        ] {
            let ip = parse_ipv6(not_mapped.as_bytes()).unwrap();
            assert_eq!(ipv4_mapped(&ip), None, "{not_mapped}");
        }
        // A full buffer drops the push and says so; nothing is half-written.
        let mut mem = [0u8; 10];
        let mut b = Buf::new(&mut mem);
        format_ipv6(&mut b, Ipv6Addr::LOCALHOST.octets());
        format_ipv4(&mut b, [255, 255, 255, 255]);
        assert!(b.overflowed());
        assert_eq!(b.as_bytes(), b"::1255.255");
    }

    #[test]
    fn parse_table_agrees_with_std() {
        let valid: &[&str] = &[
            "0.0.0.0",
            "1.2.3.4",
            "255.255.255.255",
            "10.0.0.1",
            "::",
            "::1",
            "1::",
            "1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7::",
            "::2:3:4:5:6:7:8",
            "1::8",
            "2001:DB8::1",
            "2001:db8:0:0:1:0:0:1",
            "0001:0002:0003:0004:0005:0006:0007:0008",
            "::ffff:1.2.3.4",
            "::FFFF:1.2.3.4",
            "64:ff9b::1.2.3.4",
            "1:2:3:4:5:6:1.2.3.4",
            "1:2:3:4:5::1.2.3.4",
            "::1.2.3.4",
            "::0.0.0.0",
            "fe80::1",
        ];
        for s in valid {
            let (v4, v6) = check_parse(s.as_bytes());
            assert!(v4 || v6, "{s} should be valid");
        }
        let invalid: &[&[u8]] = &[
            b":::",
            b"1::2::3",
            b"::1::",
            b"1:2:3:4:5:6:7:8:9",
            b"1:2:3:4:5:6:7:8::",
            b"::1:2:3:4:5:6:7:8",
            b"1:2:3:4:5:6::1.2.3.4",
            b"1:2:3:4:5:6:7:1.2.3.4",
            b"12345::",
            b"::12345",
            b"1:",
            b":1",
            b"1:::2",
            b"::ffff:1.2.3",
            b"::ffff:256.1.1.1",
            b"::ffff:1.2.3.04",
            b"::ffff:1.2.3.4.5",
            b"1.2.3.4::",
            b"1.2.3.4:1::",
            b"::1.2.3.4:1",
            b"1.2.3.04",
            b"01.2.3.4",
            b"00.2.3.4",
            b"1.2.3.0000",
            b"256.1.1.1",
            b"1.2.3.1000",
            b" 1.2.3.4",
            b"1.2.3.4 ",
            b"1.2.3.4.",
            b".1.2.3.4",
            b"1..2.3",
            b"1.2.3",
            b"1.2.3.4.5",
            b"1.2.3.-4",
            b"1.2.3.+4",
            b"0x1.2.3.4",
            b"",
            b".",
            b":",
            b"[::1]",
            b"fe80::1%eth0",
            b"fe80::1%1",
            b"::g",
            b"1:2:3:4:5:6:7",
            b"::\xff",
            b"1.2.3.\xb9",
        ];
        for &s in invalid {
            assert_eq!(
                check_parse(s),
                (false, false),
                "{:?}",
                String::from_utf8_lossy(s)
            );
        }
    }

    #[test]
    fn random_strings_parse_like_std() {
        const CHARS: &[u8] = b"0123456789abcdef:.";
        const EXTRA: &[u8] = b"ABCDEFg%[] -+x\xff";
        let mut rng = XorShift(0x2545_F491_4F6C_DD1D);
        let (mut ok4, mut ok6) = (0, 0);
        for round in 0..400_000 {
            let mut s = Vec::new();
            if round % 2 == 0 {
                // Pure noise over the alphabet.
                for _ in 0..rng.below(24) {
                    s.push(CHARS[rng.below(CHARS.len())]);
                }
            } else {
                // Address-shaped: short groups, separators, occasional
                // dotted parts, upper case or stray bytes.
                for _ in 0..rng.below(10) {
                    match rng.below(12) {
                        0..=5 => {
                            let most = if rng.below(8) == 0 { 5 } else { 2 };
                            for _ in 0..1 + rng.below(most) {
                                s.push(CHARS[rng.below(16)]);
                            }
                        }
                        6 | 7 => s.push(b':'),
                        8 => s.extend_from_slice(b"::"),
                        9 => {
                            let top = if rng.below(4) == 0 { 300 } else { 256 };
                            let n = rng.below(top);
                            s.extend_from_slice(n.to_string().as_bytes());
                            s.push(b'.');
                        }
                        10 => s.extend_from_slice(b"1.2.3.4"),
                        _ => s.push(EXTRA[rng.below(EXTRA.len())]),
                    }
                }
            }
            let (v4, v6) = check_parse(&s);
            ok4 += usize::from(v4);
            ok6 += usize::from(v6);
        }
        // The generator must reach valid addresses of both kinds, or the
        // comparison says little.
        assert!(ok4 > 1_000 && ok6 > 5_000, "v4 {ok4} v6 {ok6}");
    }
}
