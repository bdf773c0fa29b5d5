//! Unit tests of the access log: every format, hostile bytes, long
//! fields, the worst-case line within PIPE_BUF, batches.

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
