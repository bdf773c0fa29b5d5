//! The access log: one line per answered request, in the `--log-format`
//! the operator chose, on standard error or appended to `--log FILE`
//! (the worker's `Setup::log_fd`). Times are UTC. The formats, for the
//! same request:
//!
//! - `python` (the default), python's http.server line with the status
//!   and the announced body size:
//!   `127.0.0.1 - - [25/Nov/2026 07:11:39] "GET /a.txt HTTP/1.1" 200 1234`
//! - `common`, the NCSA Common Log Format as Apache writes it
//!   (`%h %l %u %t "%r" %>s %b`):
//!   `127.0.0.1 - alice [25/Nov/2026:07:11:39 +0000] "GET /a.txt HTTP/1.1" 200 1234`.
//!   The user is `-` without one. The size is Apache's `%b`, the body
//!   bytes sent, `-` when none: `-` for a 304, a 204 and every HEAD.
//! - `combined`, Apache's and nginx's default, read by goaccess,
//!   awstats and most log tools: `common`, then
//!   ` "https://example.com/" "curl/8.5.0"` (Referer and User-Agent,
//!   `"-"` when absent or empty).
//! - `json`, one object per line, always these keys in this order:
//!   `{"time":"2026-11-25T07:11:39Z","client":"127.0.0.1","user":"",`
//!   `"method":"GET","path":"/a.txt?q=1","protocol":"HTTP/1.1",`
//!   `"status":200,"bytes":1234,"duration_us":0,"referer":"",`
//!   `"user_agent":"curl/8.5.0"}`.
//!   `time` is RFC 3339 UTC. `method`, `path` and `protocol` are the
//!   request line's method, target and version (RFC 9112 §3): its first
//!   word, its second, and the rest, each empty when absent, so a head
//!   that could not be parsed still gets its line with what was read;
//!   `path` is the target as sent, query included. `bytes` is `common`'s
//!   size as a number (0 for none). `user`, `referer` and `user_agent` are
//!   empty when absent.
//!
//! `duration_us` runs from the start of the loop turn that read the
//! request's first byte (for a pipelined request, the turn its
//! predecessor's response was done) to the moment its response is ready
//! to go out (not when the client has it). The worker reads the clock
//! once per loop turn; only the `json` format, the one that shows the
//! duration, reads it once more per request, when logging.
//!
//! Request bytes can never forge a line or drive the operator's terminal:
//! in the text formats, controls, non-ASCII bytes, `"` and `\` (and a
//! space in the unquoted user) are written `\xNN`; in JSON strings (RFC
//! 8259 §7), `"` and `\` as `\"` and `\\`, and controls, DEL and every
//! byte above 0x7f as `\u00NN`, one character per byte: the JSON is
//! valid whatever was sent, and a string encoded as Latin-1 gives back
//! the bytes exactly (UTF-8 sent shows as its bytes: `é` is `\u00c3\u00a9`).
//! A field longer than its `MAX_LOGGED_*` limit is cut and ends in `...`.

use crate::addr;
use crate::buf::Buf;
use crate::http::date;
use crate::http::syntax::{eq_ignore_case, field_line, trim_ows};
use crate::rt::out::{self, MAX_LINE_BYTES};
use crate::rt::sys::{AF_INET, AF_UNIX, BorrowedFd, SockAddr};

/// `--log-format`: how a request's line is written (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// python's http.server (the default).
    Python,
    /// The Common Log Format.
    Common,
    /// The Combined Log Format: Common, then referer and user agent.
    Combined,
    /// One JSON object per line.
    Json,
}

/// One answered request, as the log sees it.
pub struct Entry<'r> {
    pub client: &'r SockAddr,
    /// The user who gave a password (`--auth`), or empty.
    pub user: &'r [u8],
    /// The request head as read, from its first line: what follows the
    /// empty line that ends it is not looked at, and a head cut short
    /// (one too large, or not HTTP at all) is logged as far as it goes.
    pub head: &'r [u8],
    pub status: u16,
    /// Body bytes the response announces.
    pub size: u64,
    /// Wall-clock Unix seconds.
    pub time: i64,
    /// Microseconds to answer (see the module docs).
    pub duration_us: u64,
}

/// Access-log lines gathered in one buffer and written whole, one write
/// per batch: fewer syscalls than a write per request. A batch is whole
/// lines and at most PIPE_BUF bytes (every line is shorter, see
/// `MAX_LOGGED_LINE_BYTES`), so the write is atomic when several workers
/// share a pipe (pipe(7)), and lands whole at the end of a file opened
/// with O_APPEND (write(2)).
pub struct Log<'fd> {
    batch: Buf<'static>,
    fd: BorrowedFd<'fd>,
    format: Format,
}

impl<'fd> Log<'fd> {
    /// A log writing `format` lines to `fd`, batching into `mem` (at most
    /// `MAX_LINE_BYTES` of it are used).
    pub fn new(mem: &'static mut [u8], fd: BorrowedFd<'fd>, format: Format) -> Self {
        let len = mem.len().min(MAX_LINE_BYTES);
        let (used, _) = mem.split_at_mut(len);
        Log {
            batch: Buf::new(used),
            fd,
            format,
        }
    }

    /// The format of its lines.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Adds one request's line, first writing out the batch if the line
    /// would not fit in it.
    pub fn record(&mut self, entry: &Entry) {
        let start = self.batch.len();
        line(&mut self.batch, self.format, entry);
        if self.batch.overflowed() {
            self.batch.truncate(start);
            self.flush();
            line(&mut self.batch, self.format, entry);
            // Never so: a line is shorter than an empty batch. Dropped
            // rather than written in part.
            if self.batch.overflowed() {
                self.batch.truncate(0);
            }
        }
    }

    /// Writes out what has been gathered.
    pub fn flush(&mut self) {
        if !self.batch.is_empty() {
            out::write_all(self.fd, self.batch.as_bytes());
            self.batch.truncate(0);
        }
    }
}

/// The most bytes of a request line that are logged; a longer one ends in
/// `...`. With the other limits, it keeps every line, escaped, within
/// PIPE_BUF (`MAX_LINE_BYTES`), so lines from several workers never
/// interleave: the worst case, every field at its limit and every byte
/// escaped, is tested below.
pub const MAX_LOGGED_LINE_BYTES: usize = 400;

/// The most bytes of a user name that are logged.
pub const MAX_LOGGED_USER_BYTES: usize = 64;

/// The most bytes of a Referer that are logged: a page URL with a
/// moderate query; tracking parameters beyond it are cut.
pub const MAX_LOGGED_REFERER_BYTES: usize = 240;

/// The most bytes of a User-Agent that are logged: browsers' are 100 to
/// 150 bytes, apps' embedded browsers add to that; what identifies a
/// client comes first.
pub const MAX_LOGGED_USER_AGENT_BYTES: usize = 240;

/// Room per logged byte, in bytes of the line: `\xNN`, a text format's
/// escape. A JSON `\u00NN` takes 6, so hostile bytes are cut sooner there
/// and a JSON line is never longer than the limits allow a text one.
const ESCAPED_BYTES_PER_BYTE: usize = 4;

/// Appends the client's address: dotted quad for IPv4 and v4-mapped IPv6
/// clients, RFC 5952 text for the rest, and `unix` for a client of a
/// Unix socket (its address is none, or a path that says nothing of it;
/// nginx writes `unix:`; a word without a colon keeps the field one
/// token for log tools).
pub fn peer(buf: &mut Buf, addr: &SockAddr) {
    if addr.family == AF_UNIX {
        buf.str("unix");
    } else if addr.family == AF_INET {
        addr::format_ipv4(buf, addr.v4_or_flowinfo);
    } else if let Some(v4) = addr::ipv4_mapped(&addr.v6) {
        addr::format_ipv4(buf, v4);
    } else {
        addr::format_ipv6(buf, addr.v6);
    }
}

/// Appends one whole access-log line in `format`, newline included.
pub fn line(buf: &mut Buf, format: Format, e: &Entry) {
    let request = first_line(e.head);
    if format == Format::Json {
        return json(buf, e, request);
    }
    peer(buf, e.client);
    buf.str(" - ");
    if e.user.is_empty() {
        buf.byte(b'-');
    }
    escaped(buf, e.user, MAX_LOGGED_USER_BYTES, Style::Word);
    buf.str(" [");
    if format == Format::Python {
        date::log_time(buf, e.time);
    } else {
        date::clf_time(buf, e.time);
    }
    buf.str("] \"");
    escaped(buf, request, MAX_LOGGED_LINE_BYTES, Style::Quoted);
    buf.str("\" ").u64(u64::from(e.status)).byte(b' ');
    match sent(e, request) {
        _ if format == Format::Python => buf.u64(e.size),
        0 => buf.byte(b'-'),
        n => buf.u64(n),
    };
    if format == Format::Combined {
        for (name, max) in [
            (&b"referer"[..], MAX_LOGGED_REFERER_BYTES),
            (b"user-agent", MAX_LOGGED_USER_AGENT_BYTES),
        ] {
            let value = field(e.head, name);
            buf.str(" \"");
            if value.is_empty() {
                buf.byte(b'-');
            }
            escaped(buf, value, max, Style::Quoted);
            buf.byte(b'"');
        }
    }
    buf.byte(b'\n');
}

/// Appends the JSON line (see the module docs for its keys).
fn json(buf: &mut Buf, e: &Entry, request: &[u8]) {
    buf.str("{\"time\":\"");
    date::iso8601(buf, e.time);
    buf.str("\",\"client\":\"");
    peer(buf, e.client);
    buf.str("\",\"user\":\"");
    escaped(buf, e.user, MAX_LOGGED_USER_BYTES, Style::Json);
    // The request line is cut as in the text formats, then split into
    // its three parts (RFC 9112 §3); `...` ends the part that was cut.
    let shown = request.get(..MAX_LOGGED_LINE_BYTES).unwrap_or(request);
    let cut = shown.len() < request.len();
    let (method, rest) = word(shown);
    let (path, protocol) = rest.map(word).unwrap_or_default();
    let path_cut = cut && rest.is_some() && protocol.is_none();
    let protocol_cut = cut && protocol.is_some();
    let protocol = protocol.unwrap_or_default();
    let room = MAX_LOGGED_LINE_BYTES * ESCAPED_BYTES_PER_BYTE;
    buf.str("\",\"method\":\"");
    let room = escaped_within(buf, method, room, Style::Json, cut && rest.is_none());
    buf.str("\",\"path\":\"");
    let room = escaped_within(buf, path, room, Style::Json, path_cut);
    buf.str("\",\"protocol\":\"");
    escaped_within(buf, protocol, room, Style::Json, protocol_cut);
    buf.str("\",\"status\":")
        .u64(u64::from(e.status))
        .str(",\"bytes\":")
        .u64(sent(e, request))
        .str(",\"duration_us\":")
        .u64(e.duration_us);
    buf.str(",\"referer\":\"");
    let referer = field(e.head, b"referer");
    escaped(buf, referer, MAX_LOGGED_REFERER_BYTES, Style::Json);
    buf.str("\",\"user_agent\":\"");
    let agent = field(e.head, b"user-agent");
    escaped(buf, agent, MAX_LOGGED_USER_AGENT_BYTES, Style::Json);
    buf.str("\"}\n");
}

/// Body bytes sent, Apache's `%b`: none for HEAD (RFC 9110 §9.3.2),
/// whatever the response announces.
fn sent(e: &Entry, request: &[u8]) -> u64 {
    if word(request).0 == b"HEAD" {
        0
    } else {
        e.size
    }
}

/// `s` split at its first space: the word before, and the rest if there
/// was a space.
fn word(s: &[u8]) -> (&[u8], Option<&[u8]>) {
    match s.iter().position(|&b| b == b' ') {
        Some(i) => (s.get(..i).unwrap_or_default(), s.get(i + 1..)),
        None => (s, None),
    }
}

/// The request from its first line: the empty lines a client may send
/// before a request (RFC 9112 §2.2) skipped.
fn from_request_line(head: &[u8]) -> &[u8] {
    let start = head
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(head.len());
    head.get(start..).unwrap_or_default()
}

/// The first line of a request head, without its line ending.
fn first_line(head: &[u8]) -> &[u8] {
    let rest = from_request_line(head);
    let end = rest
        .iter()
        .position(|&b| b == b'\r' || b == b'\n')
        .unwrap_or(rest.len());
    rest.get(..end).unwrap_or_default()
}

/// The value of the first field line named `name` (lowercase) in the
/// request head, OWS trimmed; empty when there is none. Lines end in LF
/// with an optional CR before it, and an empty line ends the head (RFC
/// 9112 §2.2); a line that is not a well-formed field line is skipped.
fn field<'h>(head: &'h [u8], name: &[u8]) -> &'h [u8] {
    let lines = from_request_line(head).split(|&b| b == b'\n');
    for line in lines.skip(1) {
        let line = match line {
            [line @ .., b'\r'] => line,
            _ => line,
        };
        if line.is_empty() {
            break;
        }
        if let Some((n, value)) = field_line(line)
            && eq_ignore_case(n, name)
        {
            return trim_ows(value);
        }
    }
    b""
}

/// How `escaped` writes the bytes it must escape.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    /// Inside a text format's quotes: `\xNN`.
    Quoted,
    /// A text format's unquoted field: `\xNN`, a space too.
    Word,
    /// Inside a JSON string (RFC 8259 §7): `\"`, `\\`, `\u00NN`.
    Json,
}

/// Appends at most `max` bytes of `text`, escaped in `style` (see the
/// module docs) within the room of `max` bytes escaped in a text format,
/// then `...` if some of it was left out.
fn escaped(buf: &mut Buf, text: &[u8], max: usize, style: Style) {
    let shown = text.get(..max).unwrap_or(text);
    let room = max.saturating_mul(ESCAPED_BYTES_PER_BYTE);
    escaped_within(buf, shown, room, style, shown.len() < text.len());
}

/// Appends `text` escaped in `style`, taking at most `room` bytes of
/// `buf`, then `...` if some of it did not fit or `cut` says it was cut
/// before; returns the room left.
fn escaped_within(buf: &mut Buf, text: &[u8], mut room: usize, style: Style, cut: bool) -> usize {
    let mut shown = 0;
    for &b in text {
        let plain = (0x20..0x7f).contains(&b)
            && b != b'"'
            && b != b'\\'
            && !(style == Style::Word && b == b' ');
        let cost = match style {
            _ if plain => 1,
            Style::Json if b == b'"' || b == b'\\' => 2,
            Style::Json => 6,
            Style::Quoted | Style::Word => 4,
        };
        let Some(left) = room.checked_sub(cost) else {
            break;
        };
        room = left;
        shown += 1;
        if plain {
            buf.byte(b);
        } else if cost == 2 {
            buf.byte(b'\\').byte(b);
        } else {
            // `\u00NN` or `\xNN`: `Buf::hex` writes no leading zero.
            buf.str(if style == Style::Json { "\\u00" } else { "\\x" });
            if b < 0x10 {
                buf.byte(b'0');
            }
            buf.hex(u64::from(b));
        }
    }
    if cut || shown < text.len() {
        buf.str("...");
    }
    room
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_590_699;

    fn entry<'r>(client: &'r SockAddr, head: &'r [u8]) -> Entry<'r> {
        Entry {
            client,
            user: b"",
            head,
            status: 200,
            size: 1234,
            time: NOW,
            duration_us: 0,
        }
    }

    fn fmt(format: Format, e: &Entry) -> String {
        let mut mem = [0u8; MAX_LINE_BYTES];
        let mut buf = Buf::new(&mut mem);
        line(&mut buf, format, e);
        assert!(!buf.overflowed());
        let got = String::from_utf8(buf.as_bytes().to_vec()).unwrap();
        assert!(
            got.ends_with('\n') && got.matches('\n').count() == 1,
            "{got}"
        );
        got
    }

    static V4: std::sync::LazyLock<SockAddr> = std::sync::LazyLock::new(v4);

    fn v4() -> SockAddr {
        SockAddr::v4([127, 0, 0, 1], 5555)
    }

    fn logged(addr: SockAddr, request_line: &[u8]) -> String {
        fmt(Format::Python, &entry(&addr, request_line))
    }

    const FULL: &[u8] = b"GET /a.txt?q=1 HTTP/1.1\r\nHost: x\r\n\
        Referer: https://example.com/p \r\nUser-Agent: curl/8.5.0\r\n\r\nGET /next HTTP/1.1\r\n";

    #[test]
    fn python_format() {
        assert_eq!(
            logged(v4(), b"GET /a.txt HTTP/1.1"),
            "127.0.0.1 - - [25/Nov/2026 07:11:39] \"GET /a.txt HTTP/1.1\" 200 1234\n"
        );
        let mut mapped = [0u8; 16];
        mapped[10] = 0xff;
        mapped[11] = 0xff;
        mapped[12..].copy_from_slice(&[10, 0, 0, 7]);
        assert!(logged(SockAddr::v6(mapped, 1), b"x").starts_with("10.0.0.7 - - "));
        let mut v6 = [0u8; 16];
        v6[15] = 1;
        assert!(logged(SockAddr::v6(v6, 1), b"x").starts_with("::1 - - "));
        let unix = SockAddr {
            family: AF_UNIX,
            ..SockAddr::default()
        };
        assert!(logged(unix, b"x").starts_with("unix - - "));
        // The whole head is given; only its first line is logged, and
        // python's line keeps the announced size of a HEAD.
        let head = b"\r\nHEAD / HTTP/1.1\r\nHost: x\r\n\r\n";
        assert_eq!(
            fmt(Format::Python, &entry(&V4, head)),
            "127.0.0.1 - - [25/Nov/2026 07:11:39] \"HEAD / HTTP/1.1\" 200 1234\n"
        );
    }

    #[test]
    fn common_and_combined_formats() {
        let mut e = entry(&V4, FULL);
        e.user = b"alice";
        assert_eq!(
            fmt(Format::Common, &e),
            "127.0.0.1 - alice [25/Nov/2026:07:11:39 +0000] \"GET /a.txt?q=1 HTTP/1.1\" 200 1234\n"
        );
        assert_eq!(
            fmt(Format::Combined, &e),
            "127.0.0.1 - alice [25/Nov/2026:07:11:39 +0000] \"GET /a.txt?q=1 HTTP/1.1\" 200 1234 \
             \"https://example.com/p\" \"curl/8.5.0\"\n"
        );
        // Apache's %b: `-` when no body bytes are sent.
        let (mut none, head) = (
            entry(&V4, b"HEAD / HTTP/1.1\r\n\r\n"),
            b"GET / HTTP/1.1\r\n\r\n",
        );
        assert!(fmt(Format::Common, &none).ends_with("\" 200 -\n"));
        none.head = head;
        none.size = 0;
        none.status = 304;
        assert_eq!(
            fmt(Format::Combined, &none),
            "127.0.0.1 - - [25/Nov/2026:07:11:39 +0000] \"GET / HTTP/1.1\" 304 - \"-\" \"-\"\n"
        );
        // Empty values are `-` too; field names are case-insensitive; the
        // first of two is logged; a blank line ends the head.
        let head = b"GET / HTTP/1.1\nreferer:\nUSER-AGENT: \tone \nUser-Agent: two\n\nReferer: x\n";
        assert!(fmt(Format::Combined, &entry(&V4, head)).ends_with(" 1234 \"-\" \"one\"\n"));
    }

    #[test]
    fn json_format() {
        let e = Entry {
            duration_us: 1500,
            ..entry(&V4, FULL)
        };
        assert_eq!(
            fmt(Format::Json, &e),
            "{\"time\":\"2026-11-25T07:11:39Z\",\"client\":\"127.0.0.1\",\"user\":\"\",\
             \"method\":\"GET\",\"path\":\"/a.txt?q=1\",\"protocol\":\"HTTP/1.1\",\"status\":200,\
             \"bytes\":1234,\"duration_us\":1500,\"referer\":\"https://example.com/p\",\
             \"user_agent\":\"curl/8.5.0\"}\n"
        );
        // What could not be parsed is logged as far as it goes.
        let got = fmt(Format::Json, &entry(&V4, b""));
        assert!(
            got.contains("\"method\":\"\",\"path\":\"\",\"protocol\":\"\",\"status\""),
            "{got}"
        );
        let got = fmt(Format::Json, &entry(&V4, b"\x16\x03\x01\x02"));
        assert!(
            got.contains("\"method\":\"\\u0016\\u0003\\u0001\\u0002\",\"path\":\"\""),
            "{got}"
        );
        let head = b"HEAD /x\r\n\r\n";
        let got = fmt(Format::Json, &entry(&V4, head));
        assert!(got.contains("\"path\":\"/x\",\"protocol\":\"\""), "{got}");
        assert!(got.contains("\"bytes\":0,"), "{got}");
    }

    #[test]
    fn the_user_is_the_third_field() {
        let mut mem = [0u8; 2048];
        let mut buf = Buf::new(&mut mem);
        let mut e = entry(&V4, b"GET / HTTP/1.1");
        (e.user, e.status, e.size) = (b"alice", 401, 9);
        line(&mut buf, Format::Python, &e);
        let (user, head) = ("j\u{f6}rg x\"".as_bytes(), b"x");
        let e = Entry {
            user,
            head,
            time: 0,
            ..e
        };
        line(&mut buf, Format::Python, &e);
        let got = String::from_utf8(buf.as_bytes().to_vec()).unwrap();
        assert_eq!(
            got.lines().next().unwrap(),
            "127.0.0.1 - alice [25/Nov/2026 07:11:39] \"GET / HTTP/1.1\" 401 9"
        );
        assert!(got.contains(" - j\\xc3\\xb6rg\\x20x\\x22 ["), "{got}");
        let got = fmt(Format::Json, &e);
        assert!(
            got.contains("\"user\":\"j\\u00c3\\u00b6rg x\\\"\""),
            "{got}"
        );
    }

    #[test]
    fn hostile_bytes_are_escaped_and_long_lines_cut() {
        let got = logged(
            SockAddr::v4([1, 2, 3, 4], 1),
            b"GET /\x1b[31m\"\\\x7f\xff HTTP/1.1\n",
        );
        assert!(
            got.contains(r#""GET /\x1b[31m\x22\x5c\x7f\xff HTTP/1.1""#),
            "{got}"
        );
        let long = vec![b'a'; 5000];
        let got = logged(SockAddr::v4([1, 2, 3, 4], 1), &long);
        assert!(got.len() < 700 && got.contains("aaa...\" 200"));
        let head = b"GET /\x00\"\\\x1b\x7f\xc3\xa9 HTTP/1.1\r\nReferer: \"\\\xff\r\n\
            User-Agent: a\"b\\c\tz\r\n\r\n";
        let got = fmt(Format::Combined, &entry(&V4, head));
        assert!(
            got.ends_with(
                "\"GET /\\x00\\x22\\x5c\\x1b\\x7f\\xc3\\xa9 HTTP/1.1\" 200 1234 \
                 \"\\x22\\x5c\\xff\" \"a\\x22b\\x5cc\\x09z\"\n"
            ),
            "{got}"
        );
        let got = fmt(Format::Json, &entry(&V4, head));
        assert!(
            got.contains(
                "\"path\":\"/\\u0000\\\"\\\\\\u001b\\u007f\\u00c3\\u00a9\",\
                 \"protocol\":\"HTTP/1.1\""
            ),
            "{got}"
        );
        assert!(
            got.contains("\"referer\":\"\\\"\\\\\\u00ff\",\"user_agent\":\"a\\\"b\\\\c\\u0009z\"}"),
            "{got}"
        );
    }

    #[test]
    fn malformed_field_lines_are_not_logged() {
        // A control byte in a value (RFC 9110 §5.5), a space before the
        // colon, obs-fold: such a head is refused, and its line says `-`.
        for bad in [
            &b"Referer: a\x01b"[..],
            b"Referer : a",
            b" Referer: a",
            b"Referer a",
        ] {
            let mut head = b"GET / HTTP/1.1\r\n".to_vec();
            head.extend(bad);
            head.extend(b"\r\n\r\n");
            let got = fmt(Format::Combined, &entry(&V4, &head));
            assert!(got.ends_with(" \"-\" \"-\"\n"), "{got}");
        }
    }

    #[test]
    fn long_values_are_cut() {
        let mut head = b"GET /".to_vec();
        head.extend(vec![b'p'; 1000]);
        head.extend(b" HTTP/1.1\r\nReferer: ");
        head.extend(vec![b'r'; 1000]);
        head.extend(b"\r\nUser-Agent: ");
        head.extend(vec![b'u'; 1000]);
        head.extend(b"\r\n\r\n");
        let e = entry(&V4, &head);
        let got = fmt(Format::Combined, &e);
        let r = "r".repeat(MAX_LOGGED_REFERER_BYTES);
        let u = "u".repeat(MAX_LOGGED_USER_AGENT_BYTES);
        assert!(got.ends_with(&format!("pp...\" 200 1234 \"{r}...\" \"{u}...\"\n")));
        let got = fmt(Format::Json, &e);
        let p = "p".repeat(MAX_LOGGED_LINE_BYTES - 5);
        assert!(got.contains(&format!("\"path\":\"/{p}...\",\"protocol\":\"\"")));
        assert!(got.contains(&format!("\"referer\":\"{r}...\",\"user_agent\":\"{u}...\"")));
        // A cut that falls in the protocol, or in the method.
        let mut head = b"GET /x HTTP/1.1".to_vec();
        head.extend(vec![b'1'; 1000]);
        let got = fmt(Format::Json, &entry(&V4, &head));
        assert!(got.contains("\"path\":\"/x\",\"protocol\":\"HTTP/1.11111"));
        assert!(got.contains("111...\",\"status\""));
        let got = fmt(Format::Json, &entry(&V4, &[b'G'; 1000]));
        assert!(got.contains("GGG...\",\"path\":\"\""));
        // Hostile bytes take more room in JSON: fewer of them are shown.
        let got = fmt(Format::Json, &entry(&V4, &[0x01; 1000]));
        let shown = MAX_LOGGED_LINE_BYTES * ESCAPED_BYTES_PER_BYTE / 6;
        let method = format!("\"method\":\"{}...\"", "\\u0001".repeat(shown));
        assert!(got.contains(&method), "{got}");
    }

    /// Every format's longest line, all fields at their limits and every
    /// byte escaped, fits in PIPE_BUF: batches of whole lines stay atomic.
    #[test]
    fn the_longest_lines_fit_in_pipe_buf() {
        let v6 = SockAddr::v6([0xab; 16], 1);
        for hostile in [0x01u8, b'"', b' ', 0xff, b'a'] {
            let fill = |n| vec![hostile; n];
            let mut head = fill(1000);
            head[100] = b' ';
            head[200] = b' ';
            head.extend(b"\r\nReferer: ");
            head.extend(fill(1000));
            head.extend(b"\r\nUser-Agent: ");
            head.extend(fill(1000));
            let user = fill(1000);
            let e = Entry {
                client: &v6,
                user: &user,
                head: &head,
                status: u16::MAX,
                size: u64::MAX,
                time: i64::MAX,
                duration_us: u64::MAX,
            };
            for format in [
                Format::Python,
                Format::Common,
                Format::Combined,
                Format::Json,
            ] {
                let got = fmt(format, &e);
                assert!(got.len() <= MAX_LINE_BYTES, "{format:?}: {}", got.len());
            }
        }
    }

    #[test]
    fn batches_are_whole_lines_written_to_the_fd() {
        let (rx, tx) = crate::rt::sys::pipe2().unwrap();
        let mem: &'static mut [u8] = Box::leak(vec![0u8; 300].into_boxed_slice());
        let mut log = Log::new(mem, tx.as_fd(), Format::Json);
        let e = entry(&V4, FULL);
        log.record(&e);
        let one = log.batch.len();
        log.record(&e);
        assert_eq!(log.batch.len(), one, "a line that does not fit waits");
        log.flush();
        let mut got = [0u8; 1024];
        let n = crate::rt::sys::read(rx.as_fd(), &mut got).unwrap();
        let want = fmt(Format::Json, &e).repeat(2);
        assert_eq!(String::from_utf8_lossy(&got[..n]), want);
    }
}
