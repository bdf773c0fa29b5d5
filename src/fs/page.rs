//! Directory listings: sorting the entries another module read from the
//! directory, and rendering them as an HTML page or as JSON. Pure functions
//! over byte slices, written through `Buf`; no I/O here. Also owns the two
//! escapers every page of the server needs: HTML text/attribute escaping and
//! percent-encoding of one path segment (RFC 3986 §2.1, §3.3).
//!
//! File names are raw bytes: they may be invalid UTF-8 and may hold any byte
//! but `/` and NUL. Each output context gets its own escaping, so a name can
//! neither break out of its element nor change where its link points.

use crate::buf::Buf;
use crate::http::date;

/// One directory entry, as read by the caller (getdents64 + fstatat).
#[derive(Clone, Copy, Debug)]
pub struct Entry<'a> {
    /// Raw file name bytes (never empty, no `/`, no NUL; may be invalid UTF-8).
    pub name: &'a [u8],
    /// A directory; for a symlink, whether its target is one.
    pub is_dir: bool,
    /// The entry itself is a symbolic link.
    pub is_symlink: bool,
    /// A file with more than one name (hard links): it may be written
    /// through a name in another directory, which this directory's
    /// watch does not see, so its listing is not kept (`fs::cache`).
    pub linked: bool,
    /// Size in bytes (`st_size`; shown only for non-directories).
    pub size: u64,
    /// Last modification, Unix seconds (UTC).
    pub mtime: i64,
    /// Filled in by `sort` (any value before): files after directories,
    /// then the first seven name bytes, so most comparisons are one
    /// integer compare instead of a memcmp.
    pub sort_key: u64,
}

impl Entry<'_> {
    /// A placeholder, to fill arrays before the directory is read.
    pub const EMPTY: Entry<'static> = Entry {
        name: b"",
        is_dir: false,
        is_symlink: false,
        linked: false,
        size: 0,
        mtime: 0,
        sort_key: 0,
    };
}

/// The order a listing shows: directories (including links to directories)
/// before everything else, then by name bytewise.
fn before(a: &Entry, b: &Entry) -> bool {
    a.sort_key < b.sort_key || (a.sort_key == b.sort_key && a.name < b.name)
}

/// `sort_key` for an entry: bit 63 set for non-directories, then the name's
/// first seven bytes, big-endian, zero-padded (a name has no NUL, so a
/// shorter name sorts first, as bytewise order wants). Equal keys fall
/// back to comparing whole names.
fn sort_key(e: &Entry) -> u64 {
    let mut key = u64::from(!e.is_dir);
    for i in 0..7 {
        key = key << 8 | u64::from(e.name.get(i).copied().unwrap_or(0));
    }
    key << 7
}

/// Moves `v[root]` down the max-heap `v[..end]` until both children are
/// smaller. Indices stay below `end <= v.len()`, so nothing can panic.
fn sift_down(v: &mut [Entry], mut root: usize, end: usize) {
    let end = end.min(v.len());
    loop {
        let mut child = 2 * root + 1;
        if child >= end {
            return;
        }
        let (Some(left), right) = (v.get(child), v.get(child + 1).filter(|_| child + 1 < end))
        else {
            return;
        };
        if right.is_some_and(|r| before(left, r)) {
            child += 1;
        }
        match (v.get(root), v.get(child)) {
            (Some(r), Some(c)) if before(r, c) => swap(v, root, child),
            _ => return,
        }
        root = child;
    }
}

/// Swaps `v[a]` and `v[b]` for `a < b`; out-of-range indices do nothing
/// (`slice::swap` would carry a panic path into the binary).
fn swap(v: &mut [Entry], a: usize, b: usize) {
    if let Some((low, high)) = v.split_at_mut_checked(b)
        && let (Some(x), Some(y)) = (low.get_mut(a), high.first_mut())
    {
        core::mem::swap(x, y);
    }
}

/// Sorts directories first, then everything else, each group by name
/// (bytewise). A heapsort: O(n log n) with no recursion and far less code
/// than `sort_unstable` (the binary aims at 32 KiB); names in a directory
/// are unique, so stability does not matter.
pub fn sort(entries: &mut [Entry]) {
    for e in entries.iter_mut() {
        e.sort_key = sort_key(e);
    }
    let len = entries.len();
    for root in (0..len / 2).rev() {
        sift_down(entries, root, len);
    }
    for end in (1..len).rev() {
        swap(entries, 0, end);
        sift_down(entries, 0, end);
    }
}

/// `.` and `..` are not entries a listing can link to (a `../` href is the
/// parent, and browsers treat `%2E%2E` as `..` too), and an empty name would
/// link to the page itself; the reader should drop them, and this is the
/// backstop if it does not.
fn unlistable(name: &[u8]) -> bool {
    matches!(name, b"" | b"." | b"..")
}

/// Appends `s`, passing through every byte for which `special` is false and
/// letting `put` write a replacement for each other one. Unescaped runs are
/// pushed whole.
fn escape_with(buf: &mut Buf, s: &[u8], special: fn(u8) -> bool, put: fn(&mut Buf, u8)) {
    for chunk in s.split_inclusive(|&b| special(b)) {
        match chunk.split_last() {
            Some((&last, head)) if special(last) => {
                buf.push(head);
                put(buf, last);
            }
            _ => {
                buf.push(chunk);
            }
        }
    }
}

/// The uppercase hex digit of the low nibble of `n` (RFC 3986 §2.1 prefers
/// uppercase).
fn hex_digit(n: u8) -> u8 {
    let n = n & 0xf;
    if n < 10 { b'0' + n } else { b'A' - 10 + n }
}

fn html_special(b: u8) -> bool {
    matches!(b, b'&' | b'<' | b'>' | b'"' | b'\'')
}

fn html_entity(buf: &mut Buf, b: u8) {
    buf.str(match b {
        b'&' => "&amp;",
        b'<' => "&lt;",
        b'>' => "&gt;",
        b'"' => "&quot;",
        _ => "&#39;",
    });
}

/// Appends `s` HTML-escaped (`&` `<` `>` `"` `'`), safe both as element text
/// and inside a quoted attribute value. Other bytes, including invalid UTF-8,
/// pass through: the page declares UTF-8 and browsers show U+FFFD.
pub fn escape_html(buf: &mut Buf, s: &[u8]) {
    escape_with(buf, s, html_special, html_entity);
}

/// Bytes that stay literal in a path segment: RFC 3986 `unreserved`
/// (§2.3) plus the sub-delims (§2.2) that no context here gives a meaning,
/// and `@` (§3.3 `pchar`). Left out on purpose: `&` and `'` (HTML), and `:`,
/// which in the first segment of a relative reference would read as a
/// scheme (`javascript:x`, §4.2); encoding it always keeps every href a
/// plain path whatever the name.
fn segment_safe(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.'
                | b'_'
                | b'~'
                | b'!'
                | b'$'
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b'@'
        )
}

fn percent_byte(buf: &mut Buf, b: u8) {
    buf.push(&[b'%', hex_digit(b >> 4), hex_digit(b)]);
}

/// Appends `s` percent-encoded as one path segment (RFC 3986 §2.1, §3.3):
/// every byte but ALPHA, DIGIT and `- . _ ~ ! $ ( ) * + , ; = @` becomes
/// `%XX` (uppercase hex) — so space, `#`, `?`, `%`, `"`, `'`, `<`, `>`, `&`,
/// `\`, `/`, `:`, controls and every byte >= 0x80 are encoded. The result is
/// also safe inside a quoted HTML attribute without further escaping.
pub fn encode_path_segment(buf: &mut Buf, s: &[u8]) {
    escape_with(buf, s, |b| !segment_safe(b), percent_byte);
}

/// Binary unit names after bytes, each 1024 times the previous; u64::MAX
/// is just under 16 EiB, so the list ends there.
const SIZE_UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

/// Appends a human-readable size: `0 B`, `1023 B`, `1.0 KiB`, `12.3 MiB`, ...
/// One decimal, rounded half up; a value that rounds to 1024.0 moves to the
/// next unit (`1048575` is `1.0 MiB`). Integer arithmetic only.
pub fn human_size(buf: &mut Buf, bytes: u64) {
    if bytes < 1024 {
        buf.u64(bytes).str(" B");
        return;
    }
    let mut div: u64 = 1024;
    for unit in SIZE_UNITS {
        // Split so nothing overflows: bytes % div < div <= 2^60.
        let tenths = bytes / div * 10 + (bytes % div * 10 + div / 2) / div;
        // In EiB the value is below 16.0, so the loop always ends here.
        if tenths < 10240 {
            buf.u64(tenths / 10).byte(b'.').u64(tenths % 10).byte(b' ');
            buf.str(unit);
            return;
        }
        div <<= 10;
    }
}

/// Inline style: system font, full-width table that wraps long names,
/// right-aligned sizes, muted dates. Light or dark as the reader's system
/// prefers: the page's `color-scheme` meta gives the browser's own dark
/// colours (as Python 3.14's listing does), and the media query (Media
/// Queries 5 §12.5) only lightens the links, whose default blues are hard
/// to read on black. The greys read well on either.
const STYLE: &str = "<style>\n\
@media(prefers-color-scheme:dark){a{color:#8bf}a:visited{color:#c9f}}\n\
body{font-family:system-ui,sans-serif;max-width:60rem;margin:0 auto;padding:1rem;line-height:1.4}\n\
h1{font-size:1.3rem;overflow-wrap:anywhere}\n\
table{width:100%;border-collapse:collapse}\n\
th,td{padding:.3rem .5rem;text-align:left;border-bottom:1px solid #8884}\n\
td:first-child{overflow-wrap:anywhere}\n\
th+th,td+td{text-align:right;white-space:nowrap}\n\
td+td+td,.l{color:#888}\n\
</style>\n";

/// Appends the whole HTML listing page for the directory `dir` (the decoded
/// request path, starting and ending with `/`). Every href is relative to
/// the page, so the page must be served at a URL ending in `/`. `truncated`
/// adds a note that only `entries.len()` entries are shown. Every page
/// has a button for the directory's tar download; with `upload`, a form that
/// posts files to the directory (no JavaScript: a plain
/// `multipart/form-data` form, which every browser and phone can send).
pub fn html(buf: &mut Buf, dir: &[u8], entries: &[Entry], truncated: bool, upload: bool) {
    buf.str(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta name=\"color-scheme\" content=\"light dark\">\n\
<title>Directory listing for ",
    );
    escape_html(buf, dir);
    buf.str("</title>\n").str(STYLE);
    buf.str("</head>\n<body>\n<h1>Directory listing for ");
    escape_html(buf, dir);
    // A form, not a link: crawlers and `wget -r` follow links, and each
    // would fetch the whole tree again as an archive.
    buf.str(
        "</h1>\n<form><button name=\"download\" value=\"tar\">Download as .tar</button></form>\n",
    );
    if upload {
        buf.str(
            "<form method=\"post\" enctype=\"multipart/form-data\">\
<input type=\"file\" name=\"file\" multiple required> <button>Upload</button></form>\n",
        );
    }
    buf.str(
        "<table>\n<thead><tr><th>Name</th><th>Size</th><th>Modified</th></tr></thead>\n<tbody>\n",
    );
    if dir != b"/" {
        buf.str("<tr><td><a href=\"../\">Parent directory</a></td><td>-</td><td></td></tr>\n");
    }
    for e in entries.iter().filter(|e| !unlistable(e.name)) {
        buf.str("<tr><td><a href=\"");
        encode_path_segment(buf, e.name);
        if e.is_dir {
            buf.byte(b'/');
        }
        buf.str("\">");
        escape_html(buf, e.name);
        if e.is_dir {
            buf.byte(b'/');
        }
        buf.str("</a>");
        if e.is_symlink {
            buf.str("<span class=\"l\" title=\"symbolic link\"> \u{2192}</span>");
        }
        if e.is_dir {
            buf.str("</td><td>-");
        } else {
            buf.str("</td><td title=\"").u64(e.size).str(" bytes\">");
            human_size(buf, e.size);
        }
        buf.str("</td><td>");
        date::listing_time(buf, e.mtime);
        buf.str("</td></tr>\n");
    }
    buf.str("</tbody>\n</table>\n");
    if truncated {
        buf.str("<p>This directory has more entries; only the first ")
            .u64(entries.len() as u64)
            .str(" are shown.</p>\n");
    }
    buf.str("</body>\n</html>\n");
}

fn json_special(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

fn json_escape(buf: &mut Buf, b: u8) {
    if b < 0x20 {
        buf.push(&[b'\\', b'u', b'0', b'0', hex_digit(b >> 4), hex_digit(b)]);
    } else {
        buf.push(&[b'\\', b]);
    }
}

/// Appends `s` as a JSON string literal, quotes included (RFC 8259 §7):
/// `"`, `\` and control bytes escaped, valid UTF-8 passed through, and each
/// invalid UTF-8 sequence replaced by U+FFFD (the same maximal-subpart rule
/// as `String::from_utf8_lossy`), since JSON text must be UTF-8 (§8.1).
fn json_string(buf: &mut Buf, s: &[u8]) {
    buf.byte(b'"');
    let mut rest = s;
    loop {
        match core::str::from_utf8(rest) {
            Ok(valid) => {
                escape_with(buf, valid.as_bytes(), json_special, json_escape);
                break;
            }
            Err(e) => {
                let (valid, bad) = rest
                    .split_at_checked(e.valid_up_to())
                    .unwrap_or((rest, b""));
                escape_with(buf, valid, json_special, json_escape);
                buf.str("\u{FFFD}");
                // `None`: an incomplete sequence at the very end.
                let skip = e.error_len().unwrap_or(bad.len());
                rest = bad.get(skip..).unwrap_or(b"");
            }
        }
    }
    buf.byte(b'"');
}

/// Appends the listing as one JSON object (RFC 8259):
///
/// ```text
/// {"path":"/dir/","truncated":false,"entries":[
///  {"name":"a.txt","href":"a.txt","type":"file","size":12,"mtime":"2026-11-25T07:11:39Z"},
///  ...]}
/// ```
///
/// `path` is `dir`; `truncated` is true when the directory has more entries
/// than `entries` holds; `href` is the entry's link relative to the
/// listing's URL, exactly as the HTML page has it (percent-encoded, `/`
/// after a directory or a link to one), so every name can be fetched even
/// when `name` cannot say it; `type` is `"symlink"` for any symbolic link,
/// else `"dir"` or `"file"` (everything that is not a directory); `size` is
/// the entry's `size` as given (bytes); `mtime` is ISO 8601 UTC. Strings
/// that are not valid UTF-8 have each bad sequence replaced by U+FFFD.
pub fn json(buf: &mut Buf, dir: &[u8], entries: &[Entry], truncated: bool) {
    buf.str("{\"path\":");
    json_string(buf, dir);
    buf.str(",\"truncated\":")
        .str(if truncated { "true" } else { "false" })
        .str(",\"entries\":[");
    let mut first = true;
    for e in entries.iter().filter(|e| !unlistable(e.name)) {
        buf.str(if first {
            "\n{\"name\":"
        } else {
            ",\n{\"name\":"
        });
        first = false;
        json_string(buf, e.name);
        // Percent-encoding leaves only unreserved and sub-delim ASCII
        // bytes, none of which JSON escapes (RFC 8259 §7).
        buf.str(",\"href\":\"");
        encode_path_segment(buf, e.name);
        if e.is_dir {
            buf.byte(b'/');
        }
        buf.str("\",\"type\":\"").str(if e.is_symlink {
            "symlink"
        } else if e.is_dir {
            "dir"
        } else {
            "file"
        });
        buf.str("\",\"size\":").u64(e.size).str(",\"mtime\":\"");
        date::iso8601(buf, e.mtime);
        buf.str("\"}");
    }
    buf.str("]}\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// Runs `f` on a generous buffer and returns what it wrote.
    fn render(f: impl FnOnce(&mut Buf)) -> Vec<u8> {
        let mut mem = vec![0u8; 1 << 20];
        let mut b = Buf::new(&mut mem);
        f(&mut b);
        assert!(!b.overflowed());
        b.as_bytes().to_vec()
    }

    fn file<'a>(name: &'a [u8], size: u64) -> Entry<'a> {
        Entry {
            name,
            is_dir: false,
            is_symlink: false,
            linked: false,
            size,
            mtime: 1_795_590_699,
            sort_key: 0,
        }
    }

    fn dir<'a>(name: &'a [u8]) -> Entry<'a> {
        Entry {
            name,
            is_dir: true,
            is_symlink: false,
            linked: false,
            size: 4096,
            mtime: 0,
            sort_key: 0,
        }
    }

    /// Test-side percent-decoder: `None` on a malformed escape, so an
    /// encoder that emitted one would fail.
    fn pct_decode(s: &[u8]) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < s.len() {
            if s[i] == b'%' {
                let hex = std::str::from_utf8(s.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            } else {
                out.push(s[i]);
                i += 1;
            }
        }
        Some(out)
    }

    fn html_unescape(s: &[u8]) -> Vec<u8> {
        let s = s.to_vec();
        let mut out = Vec::new();
        let mut i = 0;
        while i < s.len() {
            let rest = &s[i..];
            let table: [(&[u8], u8); 5] = [
                (b"&amp;", b'&'),
                (b"&lt;", b'<'),
                (b"&gt;", b'>'),
                (b"&quot;", b'"'),
                (b"&#39;", b'\''),
            ];
            match table.iter().find(|(ent, _)| rest.starts_with(ent)) {
                Some((ent, b)) => {
                    out.push(*b);
                    i += ent.len();
                }
                None => {
                    assert_ne!(s[i], b'&', "bare & in {:?}", String::from_utf8_lossy(&s));
                    out.push(s[i]);
                    i += 1;
                }
            }
        }
        out
    }

    #[derive(Debug, PartialEq)]
    enum Tok {
        /// Tag name (with a leading `/` for end tags) and attributes.
        Tag(Vec<u8>, Vec<(Vec<u8>, Vec<u8>)>),
        Text(Vec<u8>),
    }

    /// A small HTML tokenizer, enough for this page: tags with double-quoted
    /// attribute values, text between them. A name that broke out of its
    /// text or attribute would show up as extra tags or attributes.
    fn tokenize(s: &[u8]) -> Vec<Tok> {
        let mut toks = Vec::new();
        let mut i = 0;
        while i < s.len() {
            if s[i] != b'<' {
                let end = s[i..]
                    .iter()
                    .position(|&b| b == b'<')
                    .map_or(s.len(), |p| i + p);
                toks.push(Tok::Text(s[i..end].to_vec()));
                i = end;
                continue;
            }
            i += 1;
            let start = i;
            while i < s.len() && !matches!(s[i], b' ' | b'\n' | b'>') {
                i += 1;
            }
            let name = s[start..i].to_vec();
            let mut attrs = Vec::new();
            loop {
                while i < s.len() && matches!(s[i], b' ' | b'\n') {
                    i += 1;
                }
                assert!(i < s.len(), "unterminated tag");
                if s[i] == b'>' {
                    i += 1;
                    break;
                }
                let a = i;
                while i < s.len() && !matches!(s[i], b'=' | b' ' | b'>') {
                    i += 1;
                }
                let aname = s[a..i].to_vec();
                let mut value = Vec::new();
                if s.get(i) == Some(&b'=') {
                    assert_eq!(s.get(i + 1), Some(&b'"'), "unquoted attribute");
                    let v = i + 2;
                    let end = v + s[v..].iter().position(|&b| b == b'"').expect("open quote");
                    value = s[v..end].to_vec();
                    i = end + 1;
                }
                attrs.push((aname, value));
            }
            toks.push(Tok::Tag(name, attrs));
        }
        toks
    }

    /// Names that try every way out of their element, attribute or path.
    const HOSTILE: &[&[u8]] = &[
        b"<script>alert(1)</script>.txt",
        b"a\"onmouseover=\"alert(1)",
        b"it's",
        b"a b",
        b"#frag",
        b"?q=1",
        b"100%",
        b"%2e%2e",
        b"%41",
        b"&amp;",
        b"<>",
        b"back\\slash",
        b"a+b",
        b"a;b=c",
        b"a:b",
        b"javascript:alert(1)",
        b":leading",
        b"caf\xc3\xa9",
        b"bad\xff\xfeutf8",
        b"\xe2\x82",
        b"ctl\x01\x09\x0a\x0d\x1f\x7f",
        b" ",
        b"...",
        b".hidden",
        b"~!$()*,@",
        b"--",
    ];

    fn hostile_entries() -> Vec<Entry<'static>> {
        let mut v = Vec::new();
        for (i, &n) in HOSTILE.iter().enumerate() {
            let mut e = file(n, i as u64 * 1000);
            e.is_dir = i % 3 == 0;
            e.is_symlink = i % 4 == 0;
            v.push(e);
        }
        v
    }

    #[test]
    fn escape_html_table() {
        let cases: &[(&[u8], &[u8])] = &[
            (b"", b""),
            (b"plain", b"plain"),
            (
                b"<a href=\"x\">'&'</a>",
                b"&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;",
            ),
            (b"&&", b"&amp;&amp;"),
            (b"\xff\x00\n", b"\xff\x00\n"),
            (b"caf\xc3\xa9>", b"caf\xc3\xa9&gt;"),
        ];
        for (input, want) in cases {
            let got = render(|b| escape_html(b, input));
            assert_eq!(got, *want, "{:?}", String::from_utf8_lossy(input));
            assert_eq!(html_unescape(&got), *input);
        }
    }

    #[test]
    fn encode_path_segment_every_byte() {
        let safe: &[u8] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$()*+,;=@";
        for b in 0..=255u8 {
            let got = render(|buf| encode_path_segment(buf, &[b]));
            if safe.contains(&b) {
                assert_eq!(got, [b]);
            } else {
                let want = format!("%{b:02X}");
                assert_eq!(got, want.as_bytes());
            }
        }
        let must: &[u8] = b" #?%\"'<>&\\/:\x00\x1f\x7f\x80\xff";
        for &b in must {
            assert!(!safe.contains(&b));
        }
        let got = render(|b| encode_path_segment(b, b"a b/c%d\xc3\xa9"));
        assert_eq!(got, b"a%20b%2Fc%25d%C3%A9");
    }

    #[test]
    fn encoded_segments_resolve_to_the_name() {
        // Oracle: the WHATWG URL parser (`url`) resolving each href against
        // the page's URL must land on /d/ plus exactly that segment, and
        // the segment must decode back to the name.
        let base = url::Url::parse("http://h/d/").unwrap();
        let mut names: Vec<Vec<u8>> = HOSTILE.iter().map(|n| n.to_vec()).collect();
        names.extend((1..=255u8).filter(|&b| b != b'/').map(|b| vec![b, b'x']));
        for name in &names {
            if unlistable(name) {
                continue;
            }
            let href = render(|b| encode_path_segment(b, name));
            let href = std::str::from_utf8(&href).expect("href is ASCII");
            let joined = base.join(href).unwrap();
            assert_eq!(joined.scheme(), "http", "{href}");
            assert_eq!(joined.host_str(), Some("h"));
            assert_eq!(joined.query(), None, "{href}");
            assert_eq!(joined.fragment(), None, "{href}");
            assert_eq!(joined.path(), format!("/d/{href}"));
            assert_eq!(pct_decode(href.as_bytes()).as_deref(), Some(&name[..]));
        }
        // Without encoding ':' a name would have been a scheme.
        assert_eq!(
            base.join("javascript:alert(1)").unwrap().scheme(),
            "javascript"
        );
    }

    /// Oracle for `human_size`: exact rational arithmetic in u128.
    fn human_size_oracle(bytes: u64) -> String {
        if bytes < 1024 {
            return format!("{bytes} B");
        }
        let units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        let mut k = 0;
        loop {
            let div = 1u128 << (10 * (k + 1));
            let tenths = (u128::from(bytes) * 20 + div) / (2 * div);
            if tenths < 10240 || k == units.len() - 1 {
                return format!("{}.{} {}", tenths / 10, tenths % 10, units[k]);
            }
            k += 1;
        }
    }

    #[test]
    fn human_size_table_and_oracle() {
        let cases: &[(u64, &str)] = &[
            (0, "0 B"),
            (1, "1 B"),
            (999, "999 B"),
            (1023, "1023 B"),
            (1024, "1.0 KiB"),
            (1075, "1.0 KiB"),
            (1076, "1.1 KiB"),
            (1280, "1.3 KiB"),
            (10 * 1024 - 1, "10.0 KiB"),
            (1024 * 1024 - 52, "1023.9 KiB"),
            (1024 * 1024 - 51, "1.0 MiB"),
            (1024 * 1024 - 1, "1.0 MiB"),
            (12_897_485, "12.3 MiB"),
            (1 << 30, "1.0 GiB"),
            (1 << 40, "1.0 TiB"),
            (1 << 50, "1.0 PiB"),
            (1 << 60, "1.0 EiB"),
            (u64::MAX, "16.0 EiB"),
        ];
        for &(n, want) in cases {
            assert_eq!(render(|b| human_size(b, n)), want.as_bytes(), "{n}");
        }
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for shift in 0..64 {
            for _ in 0..200 {
                x = x
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let n = x >> shift;
                assert_eq!(
                    render(|b| human_size(b, n)),
                    human_size_oracle(n).as_bytes(),
                    "{n}"
                );
            }
            for n in [
                (1u64 << shift).wrapping_sub(1),
                1 << shift,
                (1 << shift) + 1,
            ] {
                assert_eq!(
                    render(|b| human_size(b, n)),
                    human_size_oracle(n).as_bytes(),
                    "{n}"
                );
            }
        }
    }

    #[test]
    fn sort_matches_std() {
        let names: &[&[u8]] = &[
            b"b", b"a", b"B", b"", b"a\xff", b"ab", b"Z", b"\x01", b"a", b"zz",
        ];
        let mut x: u32 = 12345;
        for len in 0..=40 {
            for _ in 0..20 {
                let mut v: Vec<Entry> = (0..len)
                    .map(|_| {
                        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                        let mut e = file(names[(x >> 8) as usize % names.len()], 0);
                        e.is_dir = (x >> 20) & 1 == 1;
                        e
                    })
                    .collect();
                let mut want: Vec<(bool, Vec<u8>)> =
                    v.iter().map(|e| (!e.is_dir, e.name.to_vec())).collect();
                want.sort();
                sort(&mut v);
                let got: Vec<(bool, Vec<u8>)> =
                    v.iter().map(|e| (!e.is_dir, e.name.to_vec())).collect();
                assert_eq!(got, want);
            }
        }
    }

    /// The `<a>` rows of a listing: (href, link text, marker span follows).
    fn links(page: &[u8]) -> Vec<(Vec<u8>, Vec<u8>, bool)> {
        let toks = tokenize(page);
        let mut out = Vec::new();
        for (i, t) in toks.iter().enumerate() {
            if let Tok::Tag(name, attrs) = t
                && name == b"a"
            {
                assert_eq!(attrs.len(), 1, "{attrs:?}");
                assert_eq!(attrs[0].0, b"href");
                let Tok::Text(text) = &toks[i + 1] else {
                    panic!("no link text")
                };
                assert_eq!(toks[i + 2], Tok::Tag(b"/a".to_vec(), vec![]));
                let marked = matches!(&toks[i + 3], Tok::Tag(n, _) if n == b"span");
                out.push((attrs[0].1.clone(), html_unescape(text), marked));
            }
        }
        out
    }

    /// Tag names in order, so two pages can be compared for structure.
    fn tag_names(page: &[u8]) -> Vec<Vec<u8>> {
        tokenize(page)
            .into_iter()
            .filter_map(|t| match t {
                Tok::Tag(n, _) => Some(n),
                Tok::Text(_) => None,
            })
            .collect()
    }

    #[test]
    fn html_hostile_names_stay_in_place() {
        let entries = hostile_entries();
        let page = render(|b| html(b, b"/d/", &entries, false, false));
        // Same structure as a page of harmless names.
        let tame_names: Vec<Vec<u8>> = (0..entries.len())
            .map(|i| format!("n{i}").into_bytes())
            .collect();
        let tame: Vec<Entry> = entries
            .iter()
            .zip(&tame_names)
            .map(|(e, n)| Entry { name: n, ..*e })
            .collect();
        let tame_page = render(|b| html(b, b"/d/", &tame, false, false));
        assert_eq!(tag_names(&page), tag_names(&tame_page));
        assert!(!page.windows(7).any(|w| w == b"<script"));

        let got = links(&page);
        assert_eq!(got.len(), entries.len() + 1);
        assert_eq!(
            got[0],
            (b"../".to_vec(), b"Parent directory".to_vec(), false)
        );
        let base = url::Url::parse("http://h/d/").unwrap();
        for (e, (href, text, marked)) in entries.iter().zip(&got[1..]) {
            let mut want = e.name.to_vec();
            if e.is_dir {
                want.push(b'/');
            }
            assert_eq!(pct_decode(href).as_ref(), Some(&want), "{href:?}");
            assert_eq!(text, &want);
            assert_eq!(*marked, e.is_symlink);
            // And a browser resolves it to this directory's child.
            let joined = base.join(std::str::from_utf8(href).unwrap()).unwrap();
            assert_eq!(joined.path().as_bytes(), [b"/d/", &href[..]].concat());
            assert!(joined.query().is_none() && joined.fragment().is_none());
        }
    }

    #[test]
    fn html_page_parts() {
        let mut link = file(b"ln", 5);
        link.is_symlink = true;
        let entries = [dir(b"sub"), file(b"a.txt", 12_897_485), link];
        let page = render(|b| html(b, b"/x & <y>/", &entries, true, false));
        let s = String::from_utf8(page.clone()).unwrap();
        assert!(s.starts_with("<!DOCTYPE html>\n<html lang=\"en\">\n"));
        assert!(s.contains("<meta charset=\"utf-8\">"));
        assert!(
            s.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        );
        // Dark mode follows the system's (as Python 3.14's listing does).
        assert!(s.contains("<meta name=\"color-scheme\" content=\"light dark\">"));
        assert!(s.contains("@media(prefers-color-scheme:dark){a{"));
        assert!(s.contains("<title>Directory listing for /x &amp; &lt;y&gt;/</title>"));
        assert!(s.contains("<h1>Directory listing for /x &amp; &lt;y&gt;/</h1>"));
        assert!(s.contains("<th>Name</th><th>Size</th><th>Modified</th>"));
        assert!(s.contains(
            "<tr><td><a href=\"sub/\">sub/</a></td><td>-</td><td>1970-01-01 00:00</td></tr>"
        ));
        assert!(s.contains(
            "<tr><td><a href=\"a.txt\">a.txt</a></td><td title=\"12897485 bytes\">12.3 MiB</td><td>2026-11-25 07:11</td></tr>"
        ));
        assert!(s.contains(
            "<a href=\"ln\">ln</a><span class=\"l\" title=\"symbolic link\"> \u{2192}</span></td><td title=\"5 bytes\">5 B</td>"
        ));
        assert!(s.contains("only the first 3 are shown"));
        assert!(s.ends_with("</html>\n"));
        let style = &s[s.find("<style>").unwrap()..s.find("</style>").unwrap()];
        assert!(style.lines().count() <= 12, "{style}");
        assert_eq!(links(&page).len(), 4);

        // The root has no parent row; not truncated, no note.
        let page = render(|b| html(b, b"/", &entries, false, false));
        let s = String::from_utf8(page.clone()).unwrap();
        assert!(!s.contains("Parent directory") && !s.contains("../"));
        assert!(!s.contains("shown"));
        assert_eq!(links(&page).len(), 3);

        // An empty directory is still a whole page.
        let page = render(|b| html(b, b"/e/", &[], false, false));
        assert_eq!(links(&page).len(), 1);
        assert!(page.ends_with(b"</html>\n"));
    }

    #[test]
    fn dot_entries_are_never_listed() {
        let entries = [
            dir(b"."),
            dir(b".."),
            file(b"", 0),
            file(b"...", 1),
            file(b".a", 2),
        ];
        let page = render(|b| html(b, b"/d/", &entries, false, false));
        let hrefs: Vec<Vec<u8>> = links(&page).into_iter().map(|l| l.0).collect();
        assert_eq!(hrefs, [&b"../"[..], b"...", b".a"]);
        let v: Value =
            serde_json::from_slice(&render(|b| json(b, b"/d/", &entries, false))).unwrap();
        let names: Vec<&str> = v["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["...", ".a"]);
    }

    #[test]
    fn json_matches_serde() {
        let mut entries = hostile_entries();
        let mut big = file(b"big", u64::MAX);
        big.mtime = -1;
        entries.push(big);
        for truncated in [false, true] {
            let out = render(|b| json(b, b"/d\xff\"/", &entries, truncated));
            let v: Value = serde_json::from_slice(&out).expect("valid JSON");
            let obj = v.as_object().unwrap();
            assert_eq!(obj.len(), 3);
            assert_eq!(v["path"], "/d\u{FFFD}\"/");
            assert_eq!(v["truncated"], truncated);
            let arr = v["entries"].as_array().unwrap();
            assert_eq!(arr.len(), entries.len());
            for (e, j) in entries.iter().zip(arr) {
                assert_eq!(j.as_object().unwrap().len(), 5);
                assert_eq!(j["name"], *String::from_utf8_lossy(e.name));
                // The href is the HTML page's, and decodes to the exact
                // name (a `/` after a directory), valid UTF-8 or not.
                let href = j["href"].as_str().unwrap().as_bytes();
                let mut want = render(|b| encode_path_segment(b, e.name));
                let mut name = e.name.to_vec();
                if e.is_dir {
                    want.push(b'/');
                    name.push(b'/');
                }
                assert_eq!(href, want);
                assert_eq!(pct_decode(href), Some(name));
                let ty = if e.is_symlink {
                    "symlink"
                } else if e.is_dir {
                    "dir"
                } else {
                    "file"
                };
                assert_eq!(j["type"], ty);
                assert_eq!(j["size"].as_u64(), Some(e.size));
                let t = render(|b| date::iso8601(b, e.mtime));
                assert_eq!(j["mtime"].as_str().unwrap().as_bytes(), t);
            }
            assert_eq!(arr[0]["mtime"], "2026-11-25T07:11:39Z");
            assert_eq!(arr.last().unwrap()["mtime"], "1969-12-31T23:59:59Z");
        }
        let empty: Value = serde_json::from_slice(&render(|b| json(b, b"/", &[], false))).unwrap();
        assert_eq!(
            empty,
            serde_json::json!({"path": "/", "truncated": false, "entries": []})
        );
    }

    #[test]
    fn json_strings_are_lossy_utf8() {
        // Oracle: serde_json parses the literal back to exactly what
        // `String::from_utf8_lossy` makes of the raw bytes.
        let mut cases: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"\"\\/\x00\x1f\x7f".to_vec(),
            b"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80".to_vec(),
            b"\xf0\x9f\x98".to_vec(),
            b"\xed\xa0\x80".to_vec(),
            b"\xc0\xaf\xf5\x80\xff\xfe".to_vec(),
            b"a\xe2\x82".to_vec(),
            "\u{2028}\u{2029}".into(),
        ];
        let mut x: u64 = 7;
        for len in 0..24 {
            for _ in 0..300 {
                cases.push(
                    (0..len)
                        .map(|_| {
                            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                            let b = (x >> 56) as u8;
                            // Bias towards multi-byte lead and continuation bytes.
                            if x & 0x100 == 0 { b | 0x80 } else { b }
                        })
                        .collect(),
                );
            }
        }
        for raw in &cases {
            let out = render(|b| json_string(b, raw));
            let s = std::str::from_utf8(&out).expect("output is UTF-8");
            let parsed: String = serde_json::from_str(s).expect("valid JSON string");
            assert_eq!(parsed, String::from_utf8_lossy(raw), "{raw:?}");
            assert!(!out.iter().any(|&b| b < 0x20));
        }
    }

    #[test]
    fn overflow_never_panics_and_keeps_a_prefix() {
        let entries = hostile_entries();
        type Render = fn(&mut Buf, &[u8], &[Entry], bool);
        let html_upload: Render = |b, d, e, t| html(b, d, e, t, true);
        for f in [html_upload, json as Render] {
            let full = render(|b| f(b, b"/d\xff/", &entries, true));
            for cap in 0..=full.len() {
                let mut mem = vec![0u8; cap];
                let mut b = Buf::new(&mut mem);
                f(&mut b, b"/d\xff/", &entries, true);
                assert_eq!(b.overflowed(), cap < full.len(), "cap {cap}");
                assert!(full.starts_with(b.as_bytes()));
            }
        }
    }
}
