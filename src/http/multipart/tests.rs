//! The multipart parser's tests: real browsers' and curl's bodies, every
//! split of them across reads, malformed and truncated forms, limits,
//! boundaries and filenames; random forms are in `random`.

use super::*;

mod random;

/// An owned event, with the filename decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Ev {
    Part(Vec<u8>, Option<Vec<u8>>),
    Data(Vec<u8>),
    PartEnd,
    End,
}

fn own(event: Event<'_>) -> Ev {
    match event {
        Event::Part { field, filename } => Ev::Part(
            field.to_vec(),
            filename.map(|f| {
                let mut out = [0u8; 512];
                let n = decode_filename(f, &mut out).expect("decodable filename");
                out[..n].to_vec()
            }),
        ),
        Event::Data(d) => {
            assert!(!d.is_empty(), "empty Data event");
            Ev::Data(d.to_vec())
        }
        Event::PartEnd => Ev::PartEnd,
        Event::End => Ev::End,
    }
}

/// Appends `ev`, merging adjacent Data.
fn push(events: &mut Vec<Ev>, ev: Ev) {
    if let (Some(Ev::Data(last)), Ev::Data(more)) = (events.last_mut(), &ev) {
        last.extend_from_slice(more);
    } else {
        events.push(ev);
    }
}

/// Parses `body` as a connection would: reads of the given sizes (then
/// the rest) into a buffer of `cap` bytes holding the unconsumed bytes
/// at its front. Returns the events (Data merged) up to End, or the
/// error and the events before it.
fn run(
    body: &[u8],
    boundary: &[u8],
    reads: &[usize],
    cap: usize,
) -> (Vec<Ev>, Option<MultipartError>) {
    let mut parser = Parser::new(boundary).expect("valid boundary");
    let mut buf = vec![0u8; cap];
    let (mut len, mut pos, mut events) = (0, 0, Vec::new());
    let mut reads = reads.iter().copied();
    let mut need_more = true;
    loop {
        if need_more || reads.len() % 2 == 1 {
            let n = reads
                .next()
                .unwrap_or(usize::MAX)
                .min(body.len() - pos)
                .min(cap - len);
            buf[len..len + n].copy_from_slice(&body[pos..pos + n]);
            len += n;
            pos += n;
        }
        let eof = pos == body.len();
        match parser.step(&buf[..len], eof) {
            Err(e) => return (events, Some(e)),
            Ok((n, event)) => {
                assert!(n <= len);
                need_more = event.is_none();
                if let Some(event) = event {
                    let ev = own(event);
                    let end = ev == Ev::End;
                    push(&mut events, ev);
                    if end {
                        return (events, None);
                    }
                } else {
                    assert!(!eof, "eof without an event or error");
                    assert!(len - n < cap, "stalled on a full buffer");
                }
                buf.copy_within(n..len, 0);
                len -= n;
            }
        }
    }
}

fn whole(body: &[u8], boundary: &[u8]) -> (Vec<Ev>, Option<MultipartError>) {
    run(body, boundary, &[], 1 << 16)
}

/// The smallest buffer the module docs promise never stalls.
fn min_cap(boundary: &[u8]) -> usize {
    MIN_BUFFER_BYTES + boundary.len()
}

fn part(field: &str, filename: Option<&[u8]>) -> Ev {
    Ev::Part(field.into(), filename.map(<[u8]>::to_vec))
}

fn data(d: &[u8]) -> Ev {
    Ev::Data(d.to_vec())
}

/// Checks `body` whole, split at every point into two reads, read
/// byte by byte, and through the smallest buffer.
fn check(body: &[u8], boundary: &[u8], want: &[Ev], err: Option<MultipartError>) {
    let shown = body.escape_ascii().to_string();
    assert_eq!(whole(body, boundary), (want.to_vec(), err), "{shown}");
    for at in 0..=body.len() {
        assert_eq!(
            run(body, boundary, &[at], 1 << 16),
            (want.to_vec(), err),
            "split {at}: {shown}"
        );
    }
    let bytewise = vec![1; body.len() + 1];
    assert_eq!(
        run(body, boundary, &bytewise, 1 << 16),
        (want.to_vec(), err),
        "bytewise: {shown}"
    );
    let cap = min_cap(boundary);
    assert_eq!(
        run(body, boundary, &[], cap),
        (want.to_vec(), err),
        "cap {cap}: {shown}"
    );
}

/// `curl -F a=@hello.txt -F b=@data.bin -F c=plain` (curl 8), as
/// `--trace-ascii` shows it.
#[test]
fn curl_body() {
    let ct = b"multipart/form-data; boundary=------------------------d74496d66958873e";
    let b = boundary(ct).unwrap();
    assert_eq!(b, b"------------------------d74496d66958873e");
    let body = b"--------------------------d74496d66958873e\r\n\
Content-Disposition: form-data; name=\"a\"; filename=\"hello.txt\"\r\n\
Content-Type: text/plain\r\n\
\r\n\
hello\n\
\r\n\
--------------------------d74496d66958873e\r\n\
Content-Disposition: form-data; name=\"b\"; filename=\"data.bin\"\r\n\
Content-Type: application/octet-stream\r\n\
\r\n\
\x00\x01\r\n--\r\n-------------------------d74496d66958873\xff\r\n\
--------------------------d74496d66958873e\r\n\
Content-Disposition: form-data; name=\"c\"\r\n\
\r\n\
plain\r\n\
--------------------------d74496d66958873e--\r\n";
    let want = [
        part("a", Some(b"hello.txt")),
        data(b"hello\n"),
        Ev::PartEnd,
        part("b", Some(b"data.bin")),
        data(b"\x00\x01\r\n--\r\n-------------------------d74496d66958873\xff"),
        Ev::PartEnd,
        part("c", None),
        data(b"plain"),
        Ev::PartEnd,
        Ev::End,
    ];
    check(body, b, &want, None);
}

/// Chromium: two files in one `<input multiple>`, odd names escaped
/// as the HTML standard says (`"` as %22, CR LF as %0D%0A, backslash
/// and UTF-8 raw), then an empty file input.
#[test]
fn chromium_body() {
    let ct = b"multipart/form-data; boundary=----WebKitFormBoundaryAbC123xyzQ7Jk9";
    let b = boundary(ct).unwrap();
    let body = "------WebKitFormBoundaryAbC123xyzQ7Jk9\r\n\
Content-Disposition: form-data; name=\"file\"; filename=\"say %22hi%22.txt\"\r\n\
Content-Type: text/plain\r\n\
\r\n\
hi\r\n\
------WebKitFormBoundaryAbC123xyzQ7Jk9\r\n\
Content-Disposition: form-data; name=\"file\"; filename=\"\u{20ac} caf\u{e9}.txt\"\r\n\
Content-Type: text/plain\r\n\
\r\n\
------WebKitFormBoundaryAbC123xyzQ7Jk9 is not here\r\n\
------WebKitFormBoundaryAbC123xyzQ7Jk9\r\n\
Content-Disposition: form-data; name=\"file\"; filename=\"\"\r\n\
Content-Type: application/octet-stream\r\n\
\r\n\
\r\n\
------WebKitFormBoundaryAbC123xyzQ7Jk9--\r\n";
    let want = [
        part("file", Some(b"say %22hi%22.txt")),
        data(b"hi"),
        Ev::PartEnd,
        part("file", Some("\u{20ac} caf\u{e9}.txt".as_bytes())),
        data(b"------WebKitFormBoundaryAbC123xyzQ7Jk9 is not here"),
        Ev::PartEnd,
        part("file", Some(b"")),
        Ev::PartEnd,
        Ev::End,
    ];
    check(body.as_bytes(), b, &want, None);
}

/// Firefox (older boundary style, a preamble-free body), LF-only
/// heads from a hand-written client, `filename*`, token values.
#[test]
fn firefox_and_other_heads() {
    let b = b"---------------------------9051914041544843365972754266";
    let body = b"-----------------------------9051914041544843365972754266\r\n\
Content-Disposition: form-data; name=\"text\"\r\n\
\r\n\
text default\r\n\
-----------------------------9051914041544843365972754266 \t\r\n\
content-disposition:FORM-DATA;NAME=f;Filename*=UTF-8''%e2%82%ac%20rates.txt;filename=\"x\"\n\
X-Other: ignored\n\
\n\
\xe2\x82\xac\r\n\
-----------------------------9051914041544843365972754266\n\
Content-Disposition: form-data ; filename = tok~en.txt ; name = \"q\\\"\r\n\
\r\n\
\r\n\
-----------------------------9051914041544843365972754266--";
    let want = [
        part("text", None),
        data(b"text default"),
        Ev::PartEnd,
        part("f", Some("\u{20ac} rates.txt".as_bytes())),
        data(b"\xe2\x82\xac"),
        Ev::PartEnd,
        part("q\\", Some(b"tok~en.txt")),
        Ev::PartEnd,
        Ev::End,
    ];
    check(body, b, &want, None);
}

#[test]
fn preamble_epilogue_and_empty_forms() {
    let b = b"b";
    check(b"--b--", b, &[Ev::End], None);
    check(b"--b--\r\nepilogue --b\r\n", b, &[Ev::End], None);
    check(b"preamble\r\n--bx\r\n--b--", b, &[Ev::End], None);
    check(b"\r\n--b--", b, &[Ev::End], None);
    check(b"x--b--\r\n--b--", b, &[Ev::End], None);
    let one = b"--b\r\nContent-Disposition: form-data; name=x\r\n\r\n--b\r\n--b--";
    check(
        one,
        b,
        &[part("x", None), data(b"--b"), Ev::PartEnd, Ev::End],
        None,
    );
    let empty = b"--b\r\nContent-Disposition: form-data; name=x\r\n\r\n\r\n--b--";
    check(empty, b, &[part("x", None), Ev::PartEnd, Ev::End], None);
    let dashes = b"--b\r\nContent-Disposition: form-data; name=x\r\n\r\n\r\n--b-\r\n--b--";
    check(
        dashes,
        b,
        &[part("x", None), data(b"\r\n--b-"), Ev::PartEnd, Ev::End],
        None,
    );
}

#[test]
fn errors() {
    let b = b"b";
    let cd = "Content-Disposition: form-data; name=x\r\n\r\n";
    let p = || part("x", None);
    let cases: &[&[u8]] = &[
        // Truncated: the body ends inside the form.
        b"",
        b"no delimiter here",
        b"--b",
        b"--b-",
        b"--b\r",
        b"--b\r\n",
        b"--b\r\nContent-Disposition: form-data; name=x\r\n",
        // Padding after the boundary, then not a line end.
        b"--b  x\r\n",
        b"--b\rx",
        // Bad part heads: no Content-Disposition, not form-data, no name,
        // malformed parameters or lines, two Content-Dispositions.
        b"--b\r\n\r\n--b--",
        b"--b\r\nContent-Type: text/plain\r\n\r\n--b--",
        b"--b\r\nContent-Disposition: attachment; name=x\r\n\r\n",
        b"--b\r\nContent-Disposition: form-data\r\n\r\n",
        b"--b\r\nContent-Disposition: form-data; name=\"x\r\n\r\n",
        b"--b\r\nContent-Disposition: form-data; name=\"x\\\"\"\r\n\r\n",
        b"--b\r\nContent-Disposition: form-data; name=x; y\r\n\r\n",
        b"--b\r\nContent-Disposition: form-data; name=x;; y=z\r\n\r\n",
        b"--b\r\nContent-Disposition: form-data; name=x\r\n bad: fold\r\n\r\n",
        b"--b\r\nContent-Disposition : form-data; name=x\r\n\r\n",
        b"--b\r\nContent-Disposition: form-data; name=x\rz\r\n\r\n",
        b"--b\r\nContent-Disposition: form-data; name=\"x\x01\"\r\n\r\n",
        b"--b\r\nContent-Disposition: form-data; name=x\r\nContent-Disposition: form-data; name=y\r\n\r\n",
    ];
    for body in cases {
        check(body, b, &[], Some(MultipartError));
    }
    let body = [b"--b\r\n".as_slice(), cd.as_bytes(), b"data\r\n--b"].concat();
    check(&body, b, &[p(), data(b"data")], Some(MultipartError));
    let body = [b"--b\r\n".as_slice(), cd.as_bytes(), b"data\r\n--b\r\n"].concat();
    check(
        &body,
        b,
        &[p(), data(b"data"), Ev::PartEnd],
        Some(MultipartError),
    );
    let body = [b"--b\r\n".as_slice(), cd.as_bytes(), b"data\r\n--b\tx"].concat();
    check(
        &body,
        b,
        &[p(), data(b"data"), Ev::PartEnd],
        Some(MultipartError),
    );
}

#[test]
fn head_size_limit() {
    let b = b"AaB03x";
    let head = |len: usize| {
        // Counted from the end of the boundary: its line end included.
        let mut h = b"\r\nContent-Disposition: form-data; name=x\r\nX: ".to_vec();
        h.resize(len - 4, b'v');
        h.extend_from_slice(b"\r\n\r\n");
        h
    };
    for (len, ok) in [
        (MAX_PART_HEAD_BYTES, true),
        (MAX_PART_HEAD_BYTES + 1, false),
    ] {
        let body = [b"--AaB03x".as_slice(), &head(len), b"\r\n--AaB03x--"].concat();
        let cap = min_cap(b);
        let want = match ok {
            true => (vec![part("x", None), Ev::PartEnd, Ev::End], None),
            false => (vec![], Some(MultipartError)),
        };
        assert_eq!(whole(&body, b), want);
        assert_eq!(run(&body, b, &[], cap), want);
        assert_eq!(run(&body, b, &[7; 1000], cap), want);
    }
    // A head that never ends, in the smallest buffer: refused, not stalled.
    // Nor does transport padding that never ends.
    for (tail, fill) in [(&b"\r\n"[..], b'a'), (b" ", b' ')] {
        let body = [b"--AaB03x".as_slice(), tail, &[fill; 5000]].concat();
        let got = run(&body, b, &[], min_cap(b));
        assert_eq!(got, (vec![], Some(MultipartError)));
    }
}

#[test]
fn boundaries() {
    let cases: &[(&[u8], Option<&[u8]>)] = &[
        (b"multipart/form-data; boundary=abc", Some(b"abc")),
        (
            b"Multipart/Form-Data;BOUNDARY=\"a b'()+_,-./:=?\"",
            Some(b"a b'()+_,-./:=?"),
        ),
        (
            b" multipart/form-data ; charset=utf-8; boundary = x ; ",
            Some(b"x"),
        ),
        (b"multipart/form-data; boundary=\"\"", None),
        (b"multipart/form-data; boundary=\"a \"", None),
        (b"multipart/form-data; boundary=\"a\\b\"", None),
        (b"multipart/form-data; boundary=a@b", None),
        (b"multipart/form-data; boundary=a;x", None),
        (b"multipart/form-data", None),
        (b"multipart/mixed; boundary=abc", None),
        (b"multipart/form-datax; boundary=abc", None),
        (b"text/plain; boundary=abc", None),
        (b"multipart/form-data; boundary=\"a\"b\"", None),
    ];
    // As the caller uses them: `Parser::new` checks the boundary.
    fn usable(ct: &[u8]) -> Option<&[u8]> {
        boundary(ct).filter(|b| Parser::new(b).is_some())
    }
    for (ct, want) in cases {
        assert_eq!(usable(ct), *want, "{}", ct.escape_ascii());
    }
    assert_eq!(
        boundary(b"multipart/form-data; boundary=\"a@b\""),
        Some(&b"a@b"[..])
    );
    let long = [b'x'; MAX_BOUNDARY_BYTES + 1];
    let ct = [b"multipart/form-data; boundary=".as_slice(), &long].concat();
    assert_eq!(usable(&ct), None);
    assert_eq!(usable(&ct[..ct.len() - 1]), Some(&long[1..]));
    assert!(Parser::new(&long[1..]).is_some());
    assert!(Parser::new(&long).is_none() && Parser::new(b"").is_none());
    assert!(Parser::new(b"a ").is_none() && Parser::new(b" a").is_some());
}

#[test]
fn filenames() {
    let cases: &[(Filename, Option<&[u8]>)] = &[
        // As browsers send them: nothing unescaped, a backslash is a byte.
        (Filename::Plain(b"a\\b%22c%0D%0A"), Some(b"a\\b%22c%0D%0A")),
        (Filename::Plain(b"trailing\\"), Some(b"trailing\\")),
        (Filename::Plain(b""), Some(b"")),
        (
            Filename::Ext(b"%e2%82%AC.txt"),
            Some("\u{20ac}.txt".as_bytes()),
        ),
        (Filename::Ext(b"a\\%22"), Some(b"a\\\"")),
        (Filename::Ext(b"%e"), None),
        (Filename::Ext(b"%"), None),
        (Filename::Ext(b"%zz"), None),
        (Filename::Ext(b"%+1"), None),
    ];
    for (name, want) in cases {
        let mut out = [0u8; 64];
        let got = decode_filename(*name, &mut out).map(|n| out[..n].to_vec());
        assert_eq!(got.as_deref(), *want, "{name:?}");
    }
    let mut small = [0u8; 3];
    assert_eq!(
        decode_filename(Filename::Plain(b"abc"), &mut small),
        Some(3)
    );
    assert_eq!(decode_filename(Filename::Plain(b"abcd"), &mut small), None);
    assert_eq!(
        decode_filename(Filename::Ext(b"ab%41%41"), &mut small),
        None
    );
    let part = |field: &'static [u8], filename| Event::Part { field, filename };
    let cases: &[(&[u8], Option<Event>)] = &[
        // A quoted value ends at the first quote; backslashes stay.
        (
            b"form-data; name=\"a\\\"; filename=\"C:\\dir\\\"",
            Some(part(b"a\\", Some(Filename::Plain(b"C:\\dir\\")))),
        ),
        (
            b"form-data; name=a; filename=\"say %22hi%22\\\\.txt\"",
            Some(part(b"a", Some(Filename::Plain(b"say %22hi%22\\\\.txt")))),
        ),
        (b"form-data; name=a; filename=\"x\\\"y\"", None),
        (b"form-data; name=a; filename=\"x", None),
        (
            b"form-data; filename*=utf-8'en'a%20b; name=a",
            Some(part(b"a", Some(Filename::Ext(b"a%20b")))),
        ),
        (
            b"form-data; name=a; filename*=UTF-8''%e2%82%ac; filename=e",
            Some(part(b"a", Some(Filename::Ext(b"%e2%82%ac")))),
        ),
    ];
    for (v, want) in cases {
        assert_eq!(disposition(v), *want, "{}", v.escape_ascii());
    }
    // filename* in another charset, or malformed, falls back to filename.
    for ext in ["iso-8859-1''%e9", "UTF-8%e9", "UTF-8'%e9", "utf-8"] {
        let v = format!("form-data; name=a; filename*={ext}; filename=\"f\"");
        let want = part(b"a", Some(Filename::Plain(b"f")));
        assert_eq!(disposition(v.as_bytes()), Some(want));
    }
}

/// The delimiter split at every byte position across two calls, for
/// boundaries of every length class.
#[test]
fn delimiter_split_everywhere() {
    for b in [
        &b"x"[..],
        b"----WebKitFormBoundaryAbC123",
        &[b'7'; MAX_BOUNDARY_BYTES],
    ] {
        let d = |tail: &str| [b"\r\n--".as_slice(), b, tail.as_bytes()].concat();
        let body = [
            &d("\r\n")[2..],
            b"Content-Disposition: form-data; name=f; filename=a\r\n\r\n",
            &d("x")[..],
            &d("")[..d("").len() - 1],
            &d("\r\n"),
            b"Content-Disposition: form-data; name=g\r\n\r\n",
            &d("--"),
        ]
        .concat();
        let mut first = d("x");
        first.extend_from_slice(&d("")[..d("").len() - 1]);
        let want = [
            part("f", Some(b"a")),
            Ev::Data(first),
            Ev::PartEnd,
            part("g", None),
            Ev::PartEnd,
            Ev::End,
        ];
        check(&body, b, &want, None);
    }
}
