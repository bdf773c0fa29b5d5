//! The multipart parser against random forms (the generator is the
//! reference) and random bytes, under random splits.

use super::*;
use crate::testing::XorShift as Rng;

/// Whether `x` holds a delimiter as the module defines it, found by a
/// naive search: CRLF `--boundary` then `--`, LWSP, CR or LF.
fn has_delimiter(x: &[u8], b: &[u8]) -> bool {
    let d = [b"\r\n--".as_slice(), b].concat();
    (0..x.len()).any(|i| {
        x[i..].starts_with(&d)
            && matches!(
                x.get(i + d.len()..),
                Some([b' ' | b'\t' | b'\r' | b'\n', ..] | [b'-', b'-', ..])
            )
    })
}

/// A random form and the events it must give: the reference is the
/// generator, with part bodies free of delimiters by a naive search.
fn random_form(rng: &mut Rng, b: &[u8]) -> (Vec<u8>, Vec<Ev>) {
    let pieces: [&[u8]; 8] = [b"\r", b"\n", b"-", b"--", b"\r\n--", b, b"z", b" "];
    let mut body = Vec::new();
    let mut events = Vec::new();
    if rng.below(3) == 0 {
        body.extend_from_slice(b"preamble --");
        body.extend_from_slice(b);
        body.extend_from_slice(b"\r\n");
    }
    let crlf = |body: &mut Vec<u8>| body.extend_from_slice(b"\r\n");
    let parts = rng.below(4);
    for i in 0..parts {
        if i > 0 || !body.is_empty() {
            crlf(&mut body);
        }
        body.extend_from_slice(b"--");
        body.extend_from_slice(b);
        body.extend_from_slice(&b" \t"[..rng.below(3)]);
        crlf(&mut body);
        let field = format!("f{i}");
        let (param, name): (String, Option<&[u8]>) = match rng.below(4) {
            0 => (String::new(), None),
            1 => ("; filename=\"\"".into(), Some(b"")),
            2 => (
                "; filename=\"a%22\\\\b.txt\\\"".into(),
                Some(b"a%22\\\\b.txt\\"),
            ),
            _ => (
                "; filename*=UTF-8''%C3%A9".into(),
                Some("\u{e9}".as_bytes()),
            ),
        };
        body.extend_from_slice(
            format!("Content-Disposition: form-data; name=\"{field}\"{param}\r\n").as_bytes(),
        );
        if rng.below(2) == 0 {
            body.extend_from_slice(b"Content-Type: application/octet-stream\r\n");
        }
        crlf(&mut body);
        events.push(Ev::Part(field.into_bytes(), name.map(<[u8]>::to_vec)));
        let data = loop {
            let mut data = Vec::new();
            for _ in 0..rng.below(40) {
                data.extend_from_slice(pieces[rng.below(pieces.len())]);
            }
            if !has_delimiter(&[&data[..], b"\r\n"].concat(), b) {
                break data;
            }
        };
        body.extend_from_slice(&data);
        if !data.is_empty() {
            events.push(Ev::Data(data));
        }
        events.push(Ev::PartEnd);
    }
    if !body.is_empty() {
        crlf(&mut body);
    }
    body.extend_from_slice(b"--");
    body.extend_from_slice(b);
    body.extend_from_slice(b"--");
    if rng.below(2) == 0 {
        body.extend_from_slice(b"\r\nepilogue\r\n--");
    }
    events.push(Ev::End);
    (body, events)
}

#[test]
fn random_forms_random_splits() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let bs: [&[u8]; 4] = [
        b"q",
        b"--",
        b"----WebKitFormBoundaryAbC123",
        b"------------------------d74496d66958873e",
    ];
    for round in 0..4000 {
        let b = bs[round % bs.len()];
        let (body, want) = random_form(&mut rng, b);
        let shown = body.escape_ascii().to_string();
        assert_eq!(whole(&body, b), (want.clone(), None), "{shown}");
        let reads: Vec<usize> = (0..body.len()).map(|_| rng.below(12)).collect();
        let cap = [min_cap(b), 1 << 16][round % 2];
        assert_eq!(
            run(&body, b, &reads, cap),
            (want.clone(), None),
            "{shown} {reads:?}"
        );
        // Cut short: the events so far, then the error (unless the
        // cut is past the close delimiter).
        let cut = rng.below(body.len());
        let (got, err) = run(&body[..cut], b, &reads, cap);
        if err.is_none() {
            assert_eq!(got, want, "cut {cut}: {shown}");
        } else {
            assert_eq!(err, Some(MultipartError), "cut {cut}: {shown}");
            assert!(got.len() <= want.len());
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                match (g, w) {
                    (Ev::Data(g), Ev::Data(w)) if i == got.len() - 1 => {
                        assert!(w.starts_with(g))
                    }
                    _ => assert_eq!(g, w, "cut {cut}: {shown}"),
                }
            }
        }
    }
}

/// Arbitrary bytes never panic, and any split gives the same result.
#[test]
fn random_bytes_any_split() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let pieces: [&[u8]; 9] = [
        b"\r\n",
        b"\n",
        b"--b",
        b"-",
        b"Content-Disposition: form-data; name=x",
        b";",
        b"\"",
        b" ",
        b"\r",
    ];
    for _ in 0..20_000 {
        let body: Vec<u8> = (0..rng.below(30))
            .flat_map(|_| pieces[rng.below(pieces.len())].to_vec())
            .collect();
        let want = whole(&body, b"b");
        let reads: Vec<usize> = (0..body.len()).map(|_| rng.below(5)).collect();
        assert_eq!(
            run(&body, b"b", &reads, 1 << 16),
            want,
            "{}",
            body.escape_ascii()
        );
    }
}
