//! `http::multipart`. Input: 8 bytes seeding the read sizes, a boundary
//! selector byte, then a form body (raw bytes, anything at all).
//!
//! Properties:
//! - parsing never panics; no `Data` event is empty, and nothing comes
//!   after `End`;
//! - any split of the body into reads, through the smallest buffer the
//!   module promises never stalls (`MIN_BUFFER_BYTES` plus the boundary),
//!   gives the same events (adjacent `Data` merged) and the same error as
//!   the body fed whole, and never stalls on a full buffer;
//! - every filename decodes, or fails, without panicking, and what it
//!   decodes to fits the output.

#![no_main]

use httpd::http::multipart::{Event, MIN_BUFFER_BYTES, MultipartError, Parser, decode_filename};
use httpd_fuzz::{XorShift, show};
use libfuzzer_sys::fuzz_target;

/// Boundaries picked by the selector byte: the shortest, browsers' and
/// curl's, the longest, and one of dashes only.
const BOUNDARIES: [&[u8]; 5] = [
    b"b",
    b"----WebKitFormBoundaryAbC123",
    b"------------------------d74496d66958873e",
    b"0123456789012345678901234567890123456789012345678901234567890123456789",
    b"--",
];

/// An owned event, the filename decoded (None if it does not decode).
#[derive(Debug, PartialEq, Eq)]
enum Ev {
    Part(Vec<u8>, Option<Option<Vec<u8>>>),
    Data(Vec<u8>),
    PartEnd,
    End,
}

/// Parses `body` in reads chosen by `rng` (all at once if None) through a
/// buffer of `cap` bytes holding the unconsumed bytes at its front.
fn run(
    body: &[u8],
    boundary: &[u8],
    mut rng: Option<XorShift>,
    cap: usize,
) -> (Vec<Ev>, Option<MultipartError>) {
    let mut parser = Parser::new(boundary).unwrap();
    let mut buf = vec![0u8; cap];
    let (mut len, mut pos, mut events) = (0, 0, Vec::<Ev>::new());
    loop {
        let want = rng.as_mut().map_or(usize::MAX, |r| r.below(40));
        let n = want.min(body.len() - pos).min(cap - len);
        buf[len..len + n].copy_from_slice(&body[pos..pos + n]);
        len += n;
        pos += n;
        let eof = pos == body.len();
        let (used, event) = match parser.step(&buf[..len], eof) {
            Ok(step) => step,
            Err(e) => return (events, Some(e)),
        };
        assert!(used <= len);
        let ev = match event {
            None => {
                assert!(!eof, "no event and no error at the end");
                assert!(len - used < cap, "stalled on a full buffer");
                None
            }
            Some(Event::Part { field, filename }) => {
                let name = filename.map(|f| {
                    let mut out = [0u8; 300];
                    decode_filename(f, &mut out).map(|n| out[..n].to_vec())
                });
                Some(Ev::Part(field.to_vec(), name))
            }
            Some(Event::Data(d)) => {
                assert!(!d.is_empty(), "empty Data");
                Some(Ev::Data(d.to_vec()))
            }
            Some(Event::PartEnd) => Some(Ev::PartEnd),
            Some(Event::End) => Some(Ev::End),
        };
        match (events.last_mut(), ev) {
            (Some(Ev::Data(last)), Some(Ev::Data(more))) => last.extend_from_slice(&more),
            (_, Some(Ev::End)) => {
                events.push(Ev::End);
                return (events, None);
            }
            (_, Some(ev)) => events.push(ev),
            (_, None) => {}
        }
        buf.copy_within(used..len, 0);
        len -= used;
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((seed, rest)) = data.split_first_chunk::<8>() else {
        return;
    };
    let Some((&sel, body)) = rest.split_first() else {
        return;
    };
    let boundary = BOUNDARIES[usize::from(sel) % BOUNDARIES.len()];
    let shown = show(body);
    let whole = run(body, boundary, None, body.len().max(1));
    let cap = MIN_BUFFER_BYTES + boundary.len();
    let split = run(
        body,
        boundary,
        Some(XorShift(u64::from_le_bytes(*seed))),
        cap,
    );
    assert_eq!(whole, split, "{shown:?}");
});
