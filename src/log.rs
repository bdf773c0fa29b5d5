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
mod tests;
