//! The chunked decoder's tests: a table of good and bad bodies under
//! every split, the line limits, and random bodies and size lines
//! against httparse.

use super::*;
use crate::testing::XorShift as Rng;

/// Decodes `input` delivered in reads of the given sizes (the last
/// read takes the rest) through a buffer of `cap` bytes, consuming the
/// decoded bytes after every call as the connection would. Returns the
/// body, the bytes after it (if done), or the error.
fn run(input: &[u8], reads: &[usize], cap: usize) -> Result<(Vec<u8>, Vec<u8>), ChunkedError> {
    let mut dec = Decoder::new();
    let mut buf = vec![0u8; cap];
    let mut body = Vec::new();
    let (mut decoded, mut end) = (0, 0);
    let mut pos = 0;
    let mut reads = reads.iter();
    loop {
        let want = reads.next().copied().unwrap_or(usize::MAX);
        let n = want.min(input.len() - pos).min(cap - end);
        buf[end..end + n].copy_from_slice(&input[pos..pos + n]);
        pos += n;
        end += n;
        // Sometimes keep decoded bytes unconsumed across a call.
        let keep = want % 3 == 0;
        (decoded, end) = dec.decode(&mut buf, decoded, end)?;
        if !keep || dec.is_done() || pos == input.len() || end == cap {
            body.extend_from_slice(&buf[..decoded]);
            buf.copy_within(decoded..end, 0);
            end -= decoded;
            decoded = 0;
        }
        if dec.is_done() {
            let mut after = buf[..end].to_vec();
            after.extend_from_slice(&input[pos..]);
            return Ok((body, after));
        }
        if pos == input.len() {
            // Out of input: report what was decoded; not done.
            return Ok((body, b"<not done>".to_vec()));
        }
        assert!(end < cap, "buffer full without progress");
    }
}

fn whole(input: &[u8]) -> Result<(Vec<u8>, Vec<u8>), ChunkedError> {
    run(input, &[usize::MAX], 8192)
}

#[test]
fn table() {
    type Want = Result<(&'static [u8], &'static [u8]), ChunkedError>;
    let cases: &[(&[u8], Want)] = &[
        (b"0\r\n\r\n", Ok((b"", b""))),
        (b"0\n\n", Ok((b"", b""))),
        (b"5\r\nhello\r\n0\r\n\r\nGET", Ok((b"hello", b"GET"))),
        (b"5\nhello\n0\n\n", Ok((b"hello", b""))),
        (b"3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n", Ok((b"abcdef", b""))),
        (b"A\r\n0123456789\r\n0\r\n\r\n", Ok((b"0123456789", b""))),
        (b"a\r\n0123456789\r\n00\r\n\r\n", Ok((b"0123456789", b""))),
        (b"0001\r\nx\r\n0\r\n\r\n", Ok((b"x", b""))),
        (b"1;a=b\r\nx\r\n0;c\r\n\r\n", Ok((b"x", b""))),
        (b"1 ;a = \"q\\\"\" ; b\r\nx\r\n0\r\n\r\n", Ok((b"x", b""))),
        (b"1\t;a\r\nx\r\n0\r\n\r\n", Ok((b"x", b""))),
        (
            b"1\r\nx\r\n0\r\nA: b\r\nC-d:\r\n\r\nrest",
            Ok((b"x", b"rest")),
        ),
        (b"ffffffffffffffff\r\n", Ok((b"", b"<not done>"))),
        (b"1\r\nx\r\n", Ok((b"x", b"<not done>"))),
        (b"10000000000000000\r\n", Err(ChunkedError)),
        (b"\r\n", Err(ChunkedError)),
        (b";a\r\n", Err(ChunkedError)),
        (b" 1\r\nx\r\n0\r\n\r\n", Err(ChunkedError)),
        (b"1 \r\nx\r\n0\r\n\r\n", Err(ChunkedError)),
        (b"0x1\r\nx\r\n0\r\n\r\n", Err(ChunkedError)),
        (b"+1\r\nx\r\n0\r\n\r\n", Err(ChunkedError)),
        (b"-1\r\nx\r\n0\r\n\r\n", Err(ChunkedError)),
        (b"1g\r\nx\r\n0\r\n\r\n", Err(ChunkedError)),
        (b"1\rx\r\n", Err(ChunkedError)),
        (b"1;\r\nx\r\n0\r\n\r\n", Err(ChunkedError)),
        (b"1;a=\r\nx\r\n0\r\n\r\n", Err(ChunkedError)),
        (b"1;a=\"x\r\nx\r\n0\r\n\r\n", Err(ChunkedError)),
        (b"1;a b\r\nx\r\n0\r\n\r\n", Err(ChunkedError)),
        (b"1;a\rb\r\nx\r\n0\r\n\r\n", Err(ChunkedError)),
        (b"1\r\nxy\r\n0\r\n\r\n", Err(ChunkedError)),
        (b"1\r\nx\rz0\r\n\r\n", Err(ChunkedError)),
        (b"1\r\nx\r\r\n0\r\n\r\n", Err(ChunkedError)),
        (b"0\r\n bad\r\n\r\n", Err(ChunkedError)),
        (b"0\r\nno colon\r\n\r\n", Err(ChunkedError)),
        (b"0\r\nA: b\rc\r\n\r\n", Err(ChunkedError)),
        (b"0\r\n\r\r\n", Err(ChunkedError)),
    ];
    for (input, want) in cases {
        let got = whole(input);
        let want = want.map(|(a, b)| (a.to_vec(), b.to_vec()));
        assert_eq!(got, want, "{:?}", input.escape_ascii().to_string());
        // Every split into two reads, and byte by byte, agree.
        for at in 0..input.len() {
            assert_eq!(run(input, &[at], 8192), want, "split at {at}");
        }
        assert_eq!(run(input, &[1; 64], 8192), want, "bytewise");
    }
}

#[test]
fn line_limits() {
    let mut line = b"1;".to_vec();
    line.resize(MAX_CHUNK_LINE_BYTES, b'a');
    let ok = [&line[..], b"\nx\r\n0\r\n\r\n"].concat();
    assert_eq!(whole(&ok), Ok((b"x".to_vec(), vec![])));
    let long = [&line[..], b"a\nx\r\n0\r\n\r\n"].concat();
    assert_eq!(whole(&long), Err(ChunkedError));
    // Also when the line has not ended yet.
    assert_eq!(whole(&long[..MAX_CHUNK_LINE_BYTES + 1]), Err(ChunkedError));
    assert_eq!(run(&long, &[1; 2000], 1100), Err(ChunkedError));
    // The limit counts a CR before the LF.
    let mut zeros = vec![b'0'; MAX_CHUNK_LINE_BYTES - 2];
    zeros.extend_from_slice(b"1\r\nx\r\n0\r\n\r\n");
    assert_eq!(whole(&zeros), Ok((b"x".to_vec(), vec![])));
    // Trailers: within the total, and over it.
    let field = [b"X: ".as_slice(), &[b'v'; 1000], b"\r\n"].concat();
    let mut ok = b"0\r\n".to_vec();
    for _ in 0..MAX_TRAILER_BYTES / field.len() {
        ok.extend_from_slice(&field);
    }
    let mut over = ok.clone();
    over.extend_from_slice(&field);
    ok.extend_from_slice(b"\r\n");
    over.extend_from_slice(b"\r\n");
    assert_eq!(whole(&ok), Ok((vec![], vec![])));
    assert_eq!(whole(&over), Err(ChunkedError));
}

#[test]
fn odd_arguments_do_not_panic() {
    let mut dec = Decoder::new();
    let mut buf = *b"1\r\nx\r\n0\r\n\r\n";
    assert_eq!(dec.decode(&mut buf, 5, 2), Ok((2, 2)));
    let mut dec = Decoder::new();
    assert_eq!(dec.decode(&mut buf, 0, 99), Ok((1, 1)));
    assert!(dec.is_done());
    assert_eq!(dec.decode(&mut [], 0, 0), Ok((0, 0)));
}

/// A random valid size line for `size`, with its line ending.
fn size_line_for(rng: &mut Rng, size: usize) -> Vec<u8> {
    let mut line = match rng.below(3) {
        0 => format!("{size:x}"),
        1 => format!("{size:X}"),
        _ => format!("{:0>1$x}", size, rng.below(8)),
    }
    .into_bytes();
    for _ in 0..rng.below(3) {
        line.extend_from_slice(rng.pick(&[b";", b" ;", b"\t; "]));
        line.extend_from_slice(rng.pick(&[b"ext", b"a-b", b"x"]));
        line.extend_from_slice(rng.pick(&[b"", b"=v", b" = v", b"=\"q \\\" ;\""]));
    }
    line.extend_from_slice(rng.pick(&[b"\r\n", b"\r\n", b"\n"]));
    line
}

#[test]
fn random_bodies_any_split() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    for round in 0..3000 {
        let mut body = Vec::new();
        let mut wire = Vec::new();
        for _ in 0..rng.below(6) {
            let size = match rng.below(4) {
                0 => 1 + rng.below(3000),
                _ => 1 + rng.below(40),
            };
            let line = size_line_for(&mut rng, size);
            // The size line agrees with httparse.
            if line.ends_with(b"\r\n") {
                let got = httparse::parse_chunk_size(&line);
                assert_eq!(
                    got,
                    Ok(httparse::Status::Complete((line.len(), size as u64)))
                );
            }
            wire.extend_from_slice(&line);
            let data: Vec<u8> = (0..size)
                .map(|_| rng.pick(&[b"\r", b"\n", b"0", b"z"])[0])
                .collect();
            wire.extend_from_slice(&data);
            body.extend_from_slice(&data);
            wire.extend_from_slice(rng.pick(&[b"\r\n", b"\n"]));
        }
        wire.extend_from_slice(rng.pick(&[b"0\r\n", b"000;x=y\n"]));
        for _ in 0..rng.below(3) {
            wire.extend_from_slice(rng.pick(&[b"Expires: never\r\n", b"a:b\n", b"X:\r\n"]));
        }
        wire.extend_from_slice(rng.pick(&[b"\r\n", b"\n"]));
        let after = rng
            .pick::<&[u8]>(&[b"", b"GET / HTTP/1.1\r\n", b"0\r\n"])
            .to_vec();
        wire.extend_from_slice(&after);
        let want = Ok((body, after));
        assert_eq!(whole(&wire), want, "round {round}");
        let reads: Vec<usize> = (0..wire.len()).map(|_| 1 + rng.below(20)).collect();
        let cap = [MAX_CHUNK_LINE_BYTES + 16, 8192][round % 2];
        assert_eq!(
            run(&wire, &reads, cap),
            want,
            "round {round} reads {reads:?}"
        );
    }
}

/// Random lines: whatever `size_line` accepts, httparse accepts with
/// the same size (httparse is laxer: it takes trailing spaces, an
/// empty size and any bytes in an extension, and refuses over 16
/// digits).
#[test]
fn size_lines_agree_with_httparse() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let alphabet = b"0123456789abcdefABCDEFgx;= \t\"\\\r,-";
    let mut accepted = 0;
    for _ in 0..200_000 {
        let len = rng.below(12);
        let line: Vec<u8> = (0..len)
            .map(|_| alphabet[rng.below(alphabet.len())])
            .collect();
        let ours = size_line(&line);
        let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
        let mut crlf = line.clone();
        crlf.extend_from_slice(b"\r\n");
        let theirs = httparse::parse_chunk_size(&crlf);
        if let Ok(size) = ours {
            accepted += 1;
            if digits <= 16 {
                assert_eq!(
                    theirs,
                    Ok(httparse::Status::Complete((crlf.len(), size))),
                    "{line:?}"
                );
            }
        }
        if theirs.is_err() && digits <= 16 {
            assert!(ours.is_err(), "{line:?}");
        }
    }
    assert!(accepted > 1000);
}
