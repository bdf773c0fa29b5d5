//! Calendar arithmetic and every timestamp the server writes or reads: the
//! HTTP `Date`/`Last-Modified` form (RFC 9110 §5.6.7 IMF-fixdate), parsing of
//! all three HTTP-date forms a recipient must accept (for `If-Modified-Since`
//! and `If-Range`), the access-log timestamps (python's and the Common Log
//! Format's; JSON lines use the RFC 3339 one), and the directory-listing and
//! JSON-listing times. Everything is UTC: the server never reads a time zone.
//!
//! Formatters write whole-or-nothing through `Buf` and always produce a
//! fixed-width field: instants outside years 0000..=9999 are clamped to
//! [`MIN_UNIX_SECS`]..=[`MAX_UNIX_SECS`], because every format here has a
//! four-digit year.

use crate::buf::Buf;
use crate::http::syntax::trim_ows;

/// Length in bytes of an IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`
/// (RFC 9110 §5.6.7); fixed because every field is fixed-width.
pub const IMF_FIXDATE_BYTES: usize = 29;

/// Length in bytes of a [`log_time`] stamp, `25/Nov/2026 07:11:39`.
pub const LOG_TIME_BYTES: usize = 20;

/// Length in bytes of a [`clf_time`] stamp, `25/Nov/2026:07:11:39 +0000`.
pub const CLF_TIME_BYTES: usize = 26;

/// Length in bytes of a [`listing_time`] stamp, `2026-11-25 07:11`.
pub const LISTING_TIME_BYTES: usize = 16;

/// Length in bytes of an [`iso8601`] stamp, `2026-11-25T07:11:39Z`.
pub const ISO8601_BYTES: usize = 20;

/// Unix seconds of 0000-01-01T00:00:00Z, the earliest instant a four-digit
/// year can name; formatters clamp to it and the parser never goes below it.
pub const MIN_UNIX_SECS: i64 = -62_167_219_200;

/// Unix seconds of 9999-12-31T23:59:59Z, the latest instant a four-digit
/// year can name; formatters clamp to it and the parser never goes above it.
pub const MAX_UNIX_SECS: i64 = 253_402_300_799;

/// Seconds in a day; Unix time has no leap seconds.
const SECS_PER_DAY: i64 = 86_400;

/// Abbreviated day names, indexed by `Civil::weekday` (0 = Sunday); the
/// case-sensitive `day-name` of RFC 9110 §5.6.7.
const DAY_NAMES: [&[u8; 3]; 7] = [b"Sun", b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat"];

/// Full day names for the obsolete RFC 850 form (`day-name-l`, RFC 9110
/// §5.6.7), indexed like `DAY_NAMES`.
const LONG_DAY_NAMES: [&[u8]; 7] = [
    b"Sunday",
    b"Monday",
    b"Tuesday",
    b"Wednesday",
    b"Thursday",
    b"Friday",
    b"Saturday",
];

/// Abbreviated month names, January first; the case-sensitive `month` of
/// RFC 9110 §5.6.7, also used by the log timestamp.
const MONTH_NAMES: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// A broken-down UTC time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Civil {
    /// Proleptic Gregorian year; may be zero or negative.
    pub year: i64,
    /// 1..=12
    pub month: u8,
    /// 1..=31
    pub day: u8,
    /// 0..=23
    pub hour: u8,
    /// 0..=59
    pub minute: u8,
    /// 0..=59
    pub second: u8,
    /// 0 = Sunday .. 6 = Saturday
    pub weekday: u8,
}

/// Seconds since the Unix epoch to a UTC calendar time (proleptic
/// Gregorian), using Howard Hinnant's `civil_from_days` algorithm
/// (<https://howardhinnant.github.io/date_algorithms.html>). Defined for
/// every `i64`: the day count is at most about 1.1e14, far from overflow.
pub fn civil_from_unix(secs: i64) -> Civil {
    let days = secs.div_euclid(SECS_PER_DAY);
    let rem = secs.rem_euclid(SECS_PER_DAY);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11], March-based
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = yoe + era * 400 + i64::from(month <= 2);
    Civil {
        year,
        month,
        day,
        hour: (rem / 3600) as u8,
        minute: (rem / 60 % 60) as u8,
        second: (rem % 60) as u8,
        // 1970-01-01 was a Thursday (4).
        weekday: (days + 4).rem_euclid(7) as u8,
    }
}

/// Days since the Unix epoch of a proleptic Gregorian date (Hinnant's
/// `days_from_civil`); the inverse of the date part of `civil_from_unix`.
/// Meaningful for `month` 1..=12, `day` 1..=31 and years within about
/// ±2.5e13; outside that the arithmetic wraps (a meaningless result, never a
/// panic).
pub fn days_from_civil(year: i64, month: u8, day: u8) -> i64 {
    let y = if month <= 2 {
        year.wrapping_sub(1)
    } else {
        year
    };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era.wrapping_mul(146_097)
        .wrapping_add(doe)
        .wrapping_sub(719_468)
}

/// True for Gregorian leap years.
fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// Number of days in `month` (1..=12) of `year`; 0 for a bad month.
fn days_in_month(year: i64, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// The broken-down time of `unix_secs`, clamped into years 0000..=9999 so
/// every four-digit year field stays four digits.
fn clamped(unix_secs: i64) -> Civil {
    civil_from_unix(unix_secs.clamp(MIN_UNIX_SECS, MAX_UNIX_SECS))
}

/// The three-letter month name; `???` cannot happen for a `Civil`.
fn month_name(month: u8) -> &'static [u8; 3] {
    let i = usize::from(month.wrapping_sub(1));
    MONTH_NAMES.get(i).copied().unwrap_or(b"???")
}

/// Pushes the clamped year (0..=9999, so the `u64` cast is exact).
fn year4(b: &mut Buf, c: &Civil) {
    b.u64_padded(c.year.clamp(0, 9999) as u64, 4);
}

/// Pushes `HH:MM` and, when `seconds`, `:SS`.
fn clock(b: &mut Buf, c: &Civil, seconds: bool) {
    b.u64_padded(c.hour.into(), 2)
        .byte(b':')
        .u64_padded(c.minute.into(), 2);
    if seconds {
        b.byte(b':').u64_padded(c.second.into(), 2);
    }
}

/// Appends `unix_secs` as an RFC 9110 §5.6.7 IMF-fixdate, e.g.
/// `Sun, 06 Nov 1994 08:49:37 GMT` — always [`IMF_FIXDATE_BYTES`] long.
/// Written whole or not at all (then `buf.overflowed()` is set).
pub fn imf_fixdate(buf: &mut Buf, unix_secs: i64) {
    let c = clamped(unix_secs);
    let mut mem = [0u8; IMF_FIXDATE_BYTES];
    let mut b = Buf::new(&mut mem);
    let day_name = DAY_NAMES
        .get(usize::from(c.weekday))
        .copied()
        .unwrap_or(b"???");
    b.push(day_name).str(", ").u64_padded(c.day.into(), 2);
    b.byte(b' ').push(month_name(c.month)).byte(b' ');
    year4(&mut b, &c);
    b.byte(b' ');
    clock(&mut b, &c, true);
    b.str(" GMT");
    buf.push(b.as_bytes());
}

/// Appends python `http.server`'s access-log timestamp
/// (`%02d/%3s/%04d %02d:%02d:%02d`), e.g. `25/Nov/2026 07:11:39`, in UTC —
/// always [`LOG_TIME_BYTES`] long, written whole or not at all.
pub fn log_time(buf: &mut Buf, unix_secs: i64) {
    day_first(buf, unix_secs, b' ', "");
}

/// Appends the Common Log Format's timestamp (Apache's `%t` without its
/// brackets, `day/month/year:hour:minute:second zone`), e.g.
/// `25/Nov/2026:07:11:39 +0000`, in UTC — always [`CLF_TIME_BYTES`] long,
/// written whole or not at all.
pub fn clf_time(buf: &mut Buf, unix_secs: i64) {
    day_first(buf, unix_secs, b':', " +0000");
}

/// Pushes `DD/Mon/YYYY`, `sep`, `HH:MM:SS`, then `zone`: the two log
/// stamps, whole or not at all.
fn day_first(buf: &mut Buf, unix_secs: i64, sep: u8, zone: &str) {
    let c = clamped(unix_secs);
    let mut mem = [0u8; CLF_TIME_BYTES];
    let mut b = Buf::new(&mut mem);
    b.u64_padded(c.day.into(), 2).byte(b'/');
    b.push(month_name(c.month)).byte(b'/');
    year4(&mut b, &c);
    b.byte(sep);
    clock(&mut b, &c, true);
    b.str(zone);
    buf.push(b.as_bytes());
}

/// Appends a directory-listing time to the minute, e.g. `2026-11-25 07:11`
/// (UTC) — always [`LISTING_TIME_BYTES`] long, written whole or not at all.
pub fn listing_time(buf: &mut Buf, unix_secs: i64) {
    let c = clamped(unix_secs);
    let mut mem = [0u8; LISTING_TIME_BYTES];
    let mut b = Buf::new(&mut mem);
    ymd(&mut b, &c);
    b.byte(b' ');
    clock(&mut b, &c, false);
    buf.push(b.as_bytes());
}

/// Appends an ISO 8601 / RFC 3339 UTC timestamp for JSON listings, e.g.
/// `2026-11-25T07:11:39Z` — always [`ISO8601_BYTES`] long, written whole or
/// not at all.
pub fn iso8601(buf: &mut Buf, unix_secs: i64) {
    let c = clamped(unix_secs);
    let mut mem = [0u8; ISO8601_BYTES];
    let mut b = Buf::new(&mut mem);
    ymd(&mut b, &c);
    b.byte(b'T');
    clock(&mut b, &c, true);
    b.byte(b'Z');
    buf.push(b.as_bytes());
}

/// Pushes `YYYY-MM-DD`.
fn ymd(b: &mut Buf, c: &Civil) {
    year4(b, c);
    b.byte(b'-')
        .u64_padded(c.month.into(), 2)
        .byte(b'-')
        .u64_padded(c.day.into(), 2);
}

/// Parses an HTTP-date in any of the three forms RFC 9110 §5.6.7 requires a
/// recipient to accept, returning Unix seconds:
///
/// - IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`
/// - obsolete RFC 850: `Sunday, 06-Nov-94 08:49:37 GMT`
/// - obsolete asctime: `Sun Nov  6 08:49:37 1994` (day `" 6"` or `"06"`)
///
/// Optional whitespace (SP / HTAB) around the value is ignored. Names and
/// `GMT` are case-sensitive, as the grammar's `%s"..."` strings are. `None`
/// for anything else, including out-of-range fields (hour 24, minute 60,
/// Feb 30) and a day name that disagrees with the date (the value is then
/// not a valid date, so a conditional request must ignore it, RFC 9110
/// §13.1.3). Second `60` is allowed by the grammar (a leap second) and is
/// read as `59`: Unix time has no leap seconds and Linux repeats :59.
///
/// Years: the four-digit forms accept 0000..=9999, so instants before 1970
/// come back negative (never below [`MIN_UNIX_SECS`]). The RFC 850 two-digit
/// year uses a fixed pivot — `70..=99` is 19xx and `00..=69` is 20xx — which
/// is RFC 9110's "more than 50 years in the future is the past century" rule
/// for any clock from 2020 to 2069, without reading the clock.
pub fn parse_http_date(s: &[u8]) -> Option<i64> {
    let s = trim_ows(s);
    parse_imf_fixdate(s)
        .or_else(|| parse_rfc850(s))
        .or_else(|| parse_asctime(s))
}

/// `Sun, 06 Nov 1994 08:49:37 GMT`
fn parse_imf_fixdate(s: &[u8]) -> Option<i64> {
    let &[
        w0,
        w1,
        w2,
        b',',
        b' ',
        d0,
        d1,
        b' ',
        m0,
        m1,
        m2,
        b' ',
        y0,
        y1,
        y2,
        y3,
        b' ',
        ref time @ ..,
    ] = s
    else {
        return None;
    };
    let (h, mi, sec, rest) = time_of_day(time)?;
    if rest != b" GMT" {
        return None;
    }
    let weekday = day_number(&[w0, w1, w2])?;
    let month = month_number(&[m0, m1, m2])?;
    let year = number(&[y0, y1, y2, y3])?;
    let day = number(&[d0, d1])?;
    to_unix(year.into(), month, day, h, mi, sec, weekday)
}

/// `Sunday, 06-Nov-94 08:49:37 GMT`
fn parse_rfc850(s: &[u8]) -> Option<i64> {
    let comma = s.iter().position(|&b| b == b',')?;
    let (name, rest) = s.split_at_checked(comma)?;
    let weekday = LONG_DAY_NAMES.iter().position(|&n| n == name)?;
    let &[
        b',',
        b' ',
        d0,
        d1,
        b'-',
        m0,
        m1,
        m2,
        b'-',
        y0,
        y1,
        b' ',
        ref time @ ..,
    ] = rest
    else {
        return None;
    };
    let (h, mi, sec, rest) = time_of_day(time)?;
    if rest != b" GMT" {
        return None;
    }
    let month = month_number(&[m0, m1, m2])?;
    let yy = number(&[y0, y1])?;
    let year = if yy >= 70 { 1900 + yy } else { 2000 + yy };
    let day = number(&[d0, d1])?;
    to_unix(year.into(), month, day, h, mi, sec, weekday as u8)
}

/// `Sun Nov  6 08:49:37 1994`
fn parse_asctime(s: &[u8]) -> Option<i64> {
    let &[
        w0,
        w1,
        w2,
        b' ',
        m0,
        m1,
        m2,
        b' ',
        d0,
        d1,
        b' ',
        ref time @ ..,
    ] = s
    else {
        return None;
    };
    let (h, mi, sec, rest) = time_of_day(time)?;
    let &[b' ', y0, y1, y2, y3] = rest else {
        return None;
    };
    let weekday = day_number(&[w0, w1, w2])?;
    let month = month_number(&[m0, m1, m2])?;
    // date3 = month SP ( 2DIGIT / ( SP DIGIT ) )
    let day = if d0 == b' ' {
        number(&[d1])?
    } else {
        number(&[d0, d1])?
    };
    let year = number(&[y0, y1, y2, y3])?;
    to_unix(year.into(), month, day, h, mi, sec, weekday)
}

/// `HH:MM:SS` at the start of `s`, digits only (ranges are checked by
/// `to_unix`), and the bytes after it.
fn time_of_day(s: &[u8]) -> Option<(u16, u16, u16, &[u8])> {
    let &[h0, h1, b':', m0, m1, b':', s0, s1, ref rest @ ..] = s else {
        return None;
    };
    Some((
        number(&[h0, h1])?,
        number(&[m0, m1])?,
        number(&[s0, s1])?,
        rest,
    ))
}

/// A run of 1..=4 ASCII digits as a number; `None` if any byte is not a digit.
fn number(digits: &[u8]) -> Option<u16> {
    // At most four digits reach here (fixed patterns), so 9999 fits in u16;
    // the checked ops keep that true even if a caller passed more.
    digits.iter().try_fold(0u16, |n, &d| {
        let v = d.wrapping_sub(b'0');
        if v < 10 {
            n.checked_mul(10)?.checked_add(v.into())
        } else {
            None
        }
    })
}

/// Index (0 = Sunday) of a three-letter day name.
fn day_number(name: &[u8; 3]) -> Option<u8> {
    DAY_NAMES.iter().position(|&n| n == name).map(|i| i as u8)
}

/// Month number (1..=12) of a three-letter month name.
fn month_number(name: &[u8; 3]) -> Option<u8> {
    MONTH_NAMES
        .iter()
        .position(|&n| n == name)
        .map(|i| i as u8 + 1)
}

/// Validates the fields of a parsed date and converts it to Unix seconds.
fn to_unix(
    year: i64,
    month: u8,
    day: u16,
    hour: u16,
    minute: u16,
    second: u16,
    weekday: u8,
) -> Option<i64> {
    let day = u8::try_from(day).ok()?;
    if day == 0 || day > days_in_month(year, month) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    if (days + 4).rem_euclid(7) != i64::from(weekday) {
        return None;
    }
    // A leap second 23:59:60 is the repeated 23:59:59 of Unix time.
    let second = second.min(59);
    Some(days * SECS_PER_DAY + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::XorShift;
    use std::time::{Duration, UNIX_EPOCH};

    /// One of the module's formatters.
    type Formatter = fn(&mut Buf, i64);

    /// Runs one formatter into a fresh buffer and returns its text.
    fn fmt(f: Formatter, t: i64) -> String {
        let mut mem = [0u8; 64];
        let mut b = Buf::new(&mut mem);
        f(&mut b, t);
        assert!(!b.overflowed());
        String::from_utf8(b.as_bytes().to_vec()).unwrap()
    }

    fn name(names: &[&[u8]], i: usize) -> String {
        String::from_utf8(names[i].to_vec()).unwrap()
    }

    /// Test-only RFC 850 formatter (the server never sends this form).
    fn rfc850(t: i64) -> String {
        let c = civil_from_unix(t);
        let month = name(&MONTH_NAMES.map(|m| &m[..]), usize::from(c.month - 1));
        let day = name(&LONG_DAY_NAMES, usize::from(c.weekday));
        let (d, yy, h, mi, s) = (c.day, c.year % 100, c.hour, c.minute, c.second);
        format!("{day}, {d:02}-{month}-{yy:02} {h:02}:{mi:02}:{s:02} GMT")
    }

    /// Test-only asctime formatter, day space-padded as C's asctime does.
    fn asctime(t: i64) -> String {
        let c = civil_from_unix(t);
        let month = name(&MONTH_NAMES.map(|m| &m[..]), usize::from(c.month - 1));
        let day = name(&DAY_NAMES.map(|m| &m[..]), usize::from(c.weekday));
        let (d, y, h, mi, s) = (c.day, c.year, c.hour, c.minute, c.second);
        format!("{day} {month} {d:2} {h:02}:{mi:02}:{s:02} {y:04}")
    }

    /// Many instants across the whole supported range: a regular sweep plus
    /// pseudo-random ones plus every edge we care about.
    fn instants() -> Vec<i64> {
        let mut v: Vec<i64> = (MIN_UNIX_SECS..=MAX_UNIX_SECS).step_by(9_999_991).collect();
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        let span = (MAX_UNIX_SECS - MIN_UNIX_SECS + 1) as u64;
        v.extend((0..20_000).map(|_| MIN_UNIX_SECS + rng.below_u64(span) as i64));
        v.extend([
            MIN_UNIX_SECS,
            MAX_UNIX_SECS,
            -1,
            0,
            1,
            951_782_399,
            951_782_400,
            951_868_799,
            1_709_164_800,
            2_147_483_647,
            2_147_483_648,
            4_102_444_800,
        ]);
        v
    }

    #[test]
    fn known_instants() {
        let c = civil_from_unix(0);
        assert_eq!((c.year, c.month, c.day, c.weekday), (1970, 1, 1, 4));
        // 2000-02-29 12:34:56, a Tuesday and a leap day.
        let c = civil_from_unix(951_827_696);
        assert_eq!(
            (
                c.year, c.month, c.day, c.hour, c.minute, c.second, c.weekday
            ),
            (2000, 2, 29, 12, 34, 56, 2)
        );
        // 2038-01-19 03:14:08, one second past i32.
        let c = civil_from_unix(2_147_483_648);
        assert_eq!(
            (c.year, c.month, c.day, c.hour, c.minute, c.second),
            (2038, 1, 19, 3, 14, 8)
        );
        // Extremes of i64 must not panic (the formatters rely on it).
        for t in [i64::MIN, i64::MAX] {
            let c = civil_from_unix(t);
            assert!((1..=12).contains(&c.month) && (1..=31).contains(&c.day));
        }
    }

    #[test]
    fn days_round_trip() {
        for days in (-800_000i64..800_000).step_by(7) {
            let c = civil_from_unix(days * 86_400);
            assert_eq!(days_from_civil(c.year, c.month, c.day), days);
        }
    }

    #[test]
    fn leap_years() {
        // 1900 is not a leap year: Feb 28 is followed by Mar 1.
        assert_eq!(
            days_from_civil(1900, 3, 1) - days_from_civil(1900, 2, 28),
            1
        );
        assert_eq!(
            days_from_civil(2000, 3, 1) - days_from_civil(2000, 2, 28),
            2
        );
        assert_eq!(
            days_from_civil(2024, 3, 1) - days_from_civil(2024, 2, 28),
            2
        );
        assert_eq!(
            days_from_civil(2100, 3, 1) - days_from_civil(2100, 2, 28),
            1
        );
        assert_eq!(days_in_month(1900, 2), 28);
        assert_eq!(days_in_month(2000, 2), 29);
        assert_eq!(days_in_month(2023, 2), 28);
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(2024, 13), 0);
        // Extreme years do not panic.
        let _ = days_from_civil(i64::MIN, 1, 1);
        let _ = days_from_civil(i64::MAX, 12, 31);
    }

    #[test]
    fn range_constants() {
        assert_eq!(days_from_civil(0, 1, 1) * 86_400, MIN_UNIX_SECS);
        assert_eq!(
            days_from_civil(9999, 12, 31) * 86_400 + 86_399,
            MAX_UNIX_SECS
        );
    }

    #[test]
    fn formats_known_instants() {
        // (unix, IMF-fixdate, log, listing, ISO 8601); values from python's
        // calendar/datetime.
        let table: &[(i64, &str, &str, &str, &str)] = &[
            (
                0,
                "Thu, 01 Jan 1970 00:00:00 GMT",
                "01/Jan/1970 00:00:00",
                "1970-01-01 00:00",
                "1970-01-01T00:00:00Z",
            ),
            (
                784_111_777,
                "Sun, 06 Nov 1994 08:49:37 GMT",
                "06/Nov/1994 08:49:37",
                "1994-11-06 08:49",
                "1994-11-06T08:49:37Z",
            ),
            (
                951_782_400,
                "Tue, 29 Feb 2000 00:00:00 GMT",
                "29/Feb/2000 00:00:00",
                "2000-02-29 00:00",
                "2000-02-29T00:00:00Z",
            ),
            (
                1_709_164_800,
                "Thu, 29 Feb 2024 00:00:00 GMT",
                "29/Feb/2024 00:00:00",
                "2024-02-29 00:00",
                "2024-02-29T00:00:00Z",
            ),
            (
                1_795_590_699,
                "Wed, 25 Nov 2026 07:11:39 GMT",
                "25/Nov/2026 07:11:39",
                "2026-11-25 07:11",
                "2026-11-25T07:11:39Z",
            ),
            (
                2_147_483_648,
                "Tue, 19 Jan 2038 03:14:08 GMT",
                "19/Jan/2038 03:14:08",
                "2038-01-19 03:14",
                "2038-01-19T03:14:08Z",
            ),
            (
                4_102_444_800,
                "Fri, 01 Jan 2100 00:00:00 GMT",
                "01/Jan/2100 00:00:00",
                "2100-01-01 00:00",
                "2100-01-01T00:00:00Z",
            ),
            (
                -2_203_891_200,
                "Thu, 01 Mar 1900 00:00:00 GMT",
                "01/Mar/1900 00:00:00",
                "1900-03-01 00:00",
                "1900-03-01T00:00:00Z",
            ),
            (
                -1,
                "Wed, 31 Dec 1969 23:59:59 GMT",
                "31/Dec/1969 23:59:59",
                "1969-12-31 23:59",
                "1969-12-31T23:59:59Z",
            ),
            (
                MAX_UNIX_SECS,
                "Fri, 31 Dec 9999 23:59:59 GMT",
                "31/Dec/9999 23:59:59",
                "9999-12-31 23:59",
                "9999-12-31T23:59:59Z",
            ),
            // Beyond the four-digit range: clamped, never wider.
            (
                MAX_UNIX_SECS + 1,
                "Fri, 31 Dec 9999 23:59:59 GMT",
                "31/Dec/9999 23:59:59",
                "9999-12-31 23:59",
                "9999-12-31T23:59:59Z",
            ),
            (
                i64::MAX,
                "Fri, 31 Dec 9999 23:59:59 GMT",
                "31/Dec/9999 23:59:59",
                "9999-12-31 23:59",
                "9999-12-31T23:59:59Z",
            ),
            (
                MIN_UNIX_SECS,
                "Sat, 01 Jan 0000 00:00:00 GMT",
                "01/Jan/0000 00:00:00",
                "0000-01-01 00:00",
                "0000-01-01T00:00:00Z",
            ),
            (
                i64::MIN,
                "Sat, 01 Jan 0000 00:00:00 GMT",
                "01/Jan/0000 00:00:00",
                "0000-01-01 00:00",
                "0000-01-01T00:00:00Z",
            ),
        ];
        for &(t, imf, log, listing, iso) in table {
            assert_eq!(fmt(imf_fixdate, t), imf, "{t}");
            assert_eq!(fmt(log_time, t), log, "{t}");
            // The CLF stamp is python's with `:` before the time and a zone.
            let clf = format!("{}:{} +0000", &log[..11], &log[12..]);
            assert_eq!(fmt(clf_time, t), clf, "{t}");
            assert_eq!(fmt(listing_time, t), listing, "{t}");
            assert_eq!(fmt(iso8601, t), iso, "{t}");
        }
        assert_eq!(fmt(clf_time, 1_795_590_699), "25/Nov/2026:07:11:39 +0000");
    }

    #[test]
    fn formats_have_fixed_widths() {
        for t in instants() {
            assert_eq!(fmt(imf_fixdate, t).len(), IMF_FIXDATE_BYTES);
            assert_eq!(fmt(log_time, t).len(), LOG_TIME_BYTES);
            assert_eq!(fmt(clf_time, t).len(), CLF_TIME_BYTES);
            assert_eq!(fmt(listing_time, t).len(), LISTING_TIME_BYTES);
            assert_eq!(fmt(iso8601, t).len(), ISO8601_BYTES);
        }
    }

    #[test]
    fn formats_whole_or_nothing() {
        let funcs: [(Formatter, usize); 5] = [
            (imf_fixdate, IMF_FIXDATE_BYTES),
            (log_time, LOG_TIME_BYTES),
            (clf_time, CLF_TIME_BYTES),
            (listing_time, LISTING_TIME_BYTES),
            (iso8601, ISO8601_BYTES),
        ];
        for (f, width) in funcs {
            for room in 0..=width {
                let mut mem = vec![0u8; 2 + room];
                let mut b = Buf::new(&mut mem);
                b.str("> ");
                f(&mut b, 784_111_777);
                assert_eq!(b.overflowed(), room < width);
                assert_eq!(b.len(), if room < width { 2 } else { 2 + width });
            }
        }
    }

    #[test]
    fn formatting_matches_httpdate() {
        for t in instants().into_iter().filter(|&t| t >= 0) {
            let theirs = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(t as u64));
            assert_eq!(fmt(imf_fixdate, t), theirs, "{t}");
        }
    }

    #[test]
    fn all_three_forms_round_trip() {
        // RFC 850 years are two digits, so its round trip holds for the
        // pivot window 1970..=2069 only.
        let rfc850_window = 0..days_from_civil(2070, 1, 1) * 86_400;
        for t in instants() {
            assert_eq!(parse_http_date(fmt(imf_fixdate, t).as_bytes()), Some(t));
            assert_eq!(parse_http_date(asctime(t).as_bytes()), Some(t), "{t}");
            if rfc850_window.contains(&t) {
                assert_eq!(parse_http_date(rfc850(t).as_bytes()), Some(t), "{t}");
            }
        }
    }

    /// Unix seconds from httpdate's parser, `None` where it refuses.
    fn oracle(s: &[u8]) -> Option<i64> {
        let s = std::str::from_utf8(s).ok()?;
        let t = httpdate::parse_http_date(s).ok()?;
        Some(t.duration_since(UNIX_EPOCH).unwrap().as_secs() as i64)
    }

    #[test]
    fn parsing_matches_httpdate() {
        for t in instants().into_iter().filter(|&t| t >= 0) {
            let mut forms = vec![fmt(imf_fixdate, t), asctime(t)];
            if t < days_from_civil(2070, 1, 1) * 86_400 {
                forms.push(rfc850(t));
            }
            for s in forms {
                assert_eq!(oracle(s.as_bytes()), Some(t), "{s}");
                assert_eq!(parse_http_date(s.as_bytes()), Some(t), "{s}");
            }
        }
    }

    #[test]
    fn parses_table() {
        let ok: &[(&str, i64)] = &[
            ("Sun, 06 Nov 1994 08:49:37 GMT", 784_111_777),
            ("Sunday, 06-Nov-94 08:49:37 GMT", 784_111_777),
            ("Sun Nov  6 08:49:37 1994", 784_111_777),
            ("Sun Nov 06 08:49:37 1994", 784_111_777),
            (" \tSun, 06 Nov 1994 08:49:37 GMT\t ", 784_111_777),
            ("  Sun Nov  6 08:49:37 1994  ", 784_111_777),
            ("Thu, 01 Jan 1970 00:00:00 GMT", 0),
            ("Wed, 31 Dec 1969 23:59:59 GMT", -1),
            ("Thu, 01 Mar 1900 00:00:00 GMT", -2_203_891_200),
            ("Sat, 01 Jan 0000 00:00:00 GMT", MIN_UNIX_SECS),
            ("Fri, 31 Dec 9999 23:59:59 GMT", MAX_UNIX_SECS),
            // A leap second reads as the repeated :59.
            ("Fri, 31 Dec 9999 23:59:60 GMT", MAX_UNIX_SECS),
            ("Sat, 31 Dec 2016 23:59:60 GMT", 1_483_228_799),
            ("Tue, 29 Feb 2000 00:00:00 GMT", 951_782_400),
            ("Thu, 29 Feb 2024 00:00:00 GMT", 1_709_164_800),
            ("Tue Feb 29 00:00:00 2000", 951_782_400),
            ("Tuesday, 29-Feb-00 00:00:00 GMT", 951_782_400),
            ("Thursday, 01-Jan-70 00:00:00 GMT", 0),
            ("Friday, 31-Dec-99 00:00:00 GMT", 946_598_400),
            ("Saturday, 01-Jan-00 00:00:00 GMT", 946_684_800),
            ("Tuesday, 31-Dec-69 00:00:00 GMT", 3_155_673_600),
            ("Wednesday, 25-Nov-26 07:11:39 GMT", 1_795_590_699),
            ("Tue, 19 Jan 2038 03:14:08 GMT", 2_147_483_648),
            ("Tue Jan 19 03:14:08 2038", 2_147_483_648),
            ("Fri, 01 Jan 2100 00:00:00 GMT", 4_102_444_800),
        ];
        for &(s, t) in ok {
            assert_eq!(parse_http_date(s.as_bytes()), Some(t), "{s:?}");
        }
        let bad: &[&[u8]] = &[
            b"",
            b"   ",
            b"GMT",
            b"Sun, 06 Nov 1994 08:49:37 GMT junk",
            b"Sun, 06 Nov 1994 08:49:37 GMTX",
            b"Sun, 06 Nov 1994 08:49:37",
            b"Sun, 06 Nov 1994 08:49:37 gmt",
            b"Sun, 06 Nov 1994 08:49:37 UTC",
            b"Sun, 06 Nov 1994 08:49:37 +0000",
            b"sun, 06 Nov 1994 08:49:37 GMT",
            b"SUN, 06 Nov 1994 08:49:37 GMT",
            b"Snu, 06 Nov 1994 08:49:37 GMT",
            b"Sunday, 06 Nov 1994 08:49:37 GMT",
            b"Sun, 06 nov 1994 08:49:37 GMT",
            b"Sun, 06 Nvo 1994 08:49:37 GMT",
            b"Sun, 06 November 1994 08:49:37 GMT",
            // Right spelling, wrong weekday for the date.
            b"Mon, 06 Nov 1994 08:49:37 GMT",
            b"Monday, 06-Nov-94 08:49:37 GMT",
            b"Mon Nov  6 08:49:37 1994",
            b"Sun, 6 Nov 1994 08:49:37 GMT",
            b"Sun, 06 Nov 94 08:49:37 GMT",
            b"Sun,  06 Nov 1994 08:49:37 GMT",
            b"Sun, 06 Nov 1994  08:49:37 GMT",
            b"Sun,06 Nov 1994 08:49:37 GMT",
            b"Sun, 06 Nov 1994 8:49:37 GMT",
            b"Sun, 06 Nov 1994 08:49 GMT",
            b"Sun, 06 Nov 1994 08-49-37 GMT",
            b"Sun, 06 Nov 1994 24:00:00 GMT",
            b"Sun, 06 Nov 1994 08:60:00 GMT",
            b"Sun, 06 Nov 1994 08:49:61 GMT",
            b"Sun, 06 Nov 1994 99:99:99 GMT",
            b"Sun, 00 Nov 1994 08:49:37 GMT",
            b"Wed, 31 Nov 1994 08:49:37 GMT",
            b"Thu, 32 Dec 1994 08:49:37 GMT",
            b"Fri, 30 Feb 2024 00:00:00 GMT",
            b"Thu, 29 Feb 1900 00:00:00 GMT",
            b"Wed, 29 Feb 2023 00:00:00 GMT",
            b"Sun, +6 Nov 1994 08:49:37 GMT",
            b"Sun, 06 Nov -994 08:49:37 GMT",
            b"Sun, 06 Nov 1994 08:49:37 GMT\r",
            b"Sun, 06 Nov 1994 08:49:37 GMT\n",
            b"\nSun, 06 Nov 1994 08:49:37 GMT",
            b"Sun, 06 Nov 1994 08:49:37 GMT\0",
            b"Sun, 06 Nov 1994 08:49:37\0GMT",
            b"S\xc3\xbcn, 06 Nov 1994 08:49:37 GMT",
            b"Sun, 06 Nov 1994 08:49:37 GMT, Mon, 07 Nov 1994 08:49:37 GMT",
            b"Sun Nov 6 08:49:37 1994",
            b"Sun Nov  6 08:49:37 1994 GMT",
            b"Sun Nov  6 08:49:37 94",
            b"Sun Nov  6 08:49:37 19945",
            b"Sun Nov 6  08:49:37 1994",
            b"Sun Nov  0 08:49:37 1994",
            b"Sun Nov 31 08:49:37 1994",
            b"Sun, 06-Nov-94 08:49:37 GMT",
            b"sunday, 06-Nov-94 08:49:37 GMT",
            b"Funday, 06-Nov-94 08:49:37 GMT",
            b"Sunday, 06-Nov-1994 08:49:37 GMT",
            b"Sunday,06-Nov-94 08:49:37 GMT",
            b"Sunday, 06-Nov-94 08:49:37",
            b"Sunday, 06 Nov 94 08:49:37 GMT",
            b"Sunday, 6-Nov-94 08:49:37 GMT",
            b",",
            b"Sunday,",
            b"Sunday, ",
            b"Sun, ",
            b"Sun ",
            b"Sun, 06 Nov 1994 08:49:37 G",
        ];
        for &s in bad {
            assert_eq!(parse_http_date(s), None, "{:?}", String::from_utf8_lossy(s));
        }
        // Every proper prefix of a valid date is malformed (truncation).
        for &(s, _) in ok {
            let s = s.trim_end();
            for cut in 0..s.len() {
                let got = parse_http_date(&s.as_bytes()[..cut]);
                assert_eq!(got, None, "{:?}", &s[..cut]);
            }
        }
    }

    /// True when `text` is RFC 850-shaped but the byte httpdate skips (the
    /// separator after the two-digit year) is not SP.
    fn rfc850_unchecked_separator(text: &str) -> bool {
        let t = text.trim().as_bytes();
        match t.iter().position(|&b| b == b',') {
            Some(comma) if comma > 3 => t.get(comma + 11) != Some(&b' '),
            _ => false,
        }
    }

    /// Compares ours with httpdate on an arbitrary input, allowing only the
    /// documented differences.
    fn differential(s: &[u8]) {
        let ours = parse_http_date(s);
        if !s.is_ascii() {
            // Every accepted byte is ASCII; a non-ASCII byte cannot pass.
            assert_eq!(ours, None, "{s:?}");
            return;
        }
        let theirs = oracle(s);
        let text = std::str::from_utf8(s).unwrap();
        match (ours, theirs) {
            (a, b) if a == b => {}
            // httpdate trims all of str::trim's whitespace (CR, LF, VT,
            // FF); HTTP's OWS is only SP and HTAB.
            // httpdate also never checks the SP between an RFC 850 year
            // and the time (`06-Nov-94X08:49:37 GMT`).
            (None, Some(_)) => assert!(
                text.trim().as_bytes() != trim_ows(s) || rfc850_unchecked_separator(text),
                "{text:?}"
            ),
            // We accept years before 1970 and the leap second :60.
            (Some(t), None) => assert!(t < 0 || text.contains(":60 "), "{text:?}"),
            (a, b) => panic!("{text:?}: ours {a:?}, httpdate {b:?}"),
        }
    }

    #[test]
    fn fuzz_mutations_of_valid_dates() {
        let mut rng = XorShift(0x0123_4567_89ab_cdef);
        let interesting = b" \t\r\n,:-0123456789GMTSunMonTueWedThuFriSatJanFebNovDec\xff\0";
        let seeds: Vec<Vec<u8>> = instants()
            .into_iter()
            .step_by(97)
            .flat_map(|t| {
                let t = t.max(0);
                [fmt(imf_fixdate, t), asctime(t), rfc850(t)]
            })
            .map(String::into_bytes)
            .collect();
        let mut accepted = 0;
        for i in 0..300_000 {
            let mut s = seeds[i % seeds.len()].clone();
            for _ in 0..=rng.below_u64(3) {
                let at = rng.below_u64(s.len() as u64 + 1) as usize;
                let byte = if rng.below_u64(2) == 0 {
                    interesting[rng.below_u64(interesting.len() as u64) as usize]
                } else {
                    rng.next() as u8
                };
                match rng.below_u64(5) {
                    0 if at < s.len() => s[at] = byte,
                    1 => s.insert(at, byte),
                    2 if at < s.len() => {
                        s.remove(at);
                    }
                    3 => s.truncate(at),
                    4 if at + 1 < s.len() => s.swap(at, at + 1),
                    _ => {}
                }
            }
            accepted += usize::from(parse_http_date(&s).is_some());
            differential(&s);
        }
        // Some mutations (e.g. a swapped digit) still yield valid dates, so
        // the comparison above exercised both outcomes.
        assert!(accepted > 1000, "{accepted}");
    }

    #[test]
    fn fuzz_random_bytes() {
        let mut rng = XorShift(0xdead_beef_cafe_f00d);
        let alphabet = b" \t,:-0123456789GMTSundayNovJan\r\n\x80";
        for _ in 0..200_000 {
            let len = rng.below_u64(36) as usize;
            let s: Vec<u8> = (0..len)
                .map(|_| {
                    if rng.below_u64(4) == 0 {
                        rng.next() as u8
                    } else {
                        alphabet[rng.below_u64(alphabet.len() as u64) as usize]
                    }
                })
                .collect();
            differential(&s);
        }
    }
}
