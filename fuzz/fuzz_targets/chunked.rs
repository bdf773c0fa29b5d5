//! `http::chunked::Decoder`. Input: 8 bytes seeding the read sizes, then
//! a chunked body (raw bytes, anything at all).
//!
//! Properties:
//! - decoding never panics, and any split of the input into reads, through
//!   the smallest buffer a line fits in, gives the same result as the input
//!   fed whole: the same body and bytes after it, or the same error;
//! - a full buffer (its decoded bytes consumed) always makes progress;
//! - the input's bytes, chunked with sizes from the seed and decoded through
//!   random reads, come back as they were.

#![no_main]

use httpd::http::chunked::{ChunkedError, Decoder, MAX_CHUNK_LINE_BYTES};
use httpd_fuzz::{XorShift, show};
use libfuzzer_sys::fuzz_target;

/// What a run ends with: the body decoded, and the bytes after it once
/// done (None if the input ended first).
type Outcome = Result<(Vec<u8>, Option<Vec<u8>>), ChunkedError>;

/// Decodes `input` in reads chosen by `rng` (all of it at once if None)
/// through a buffer of `cap` bytes, consuming the decoded bytes after
/// every call as the connection does.
fn run(input: &[u8], mut rng: Option<XorShift>, cap: usize) -> Outcome {
    let mut dec = Decoder::new();
    let mut buf = vec![0u8; cap];
    let (mut body, mut end, mut pos) = (Vec::new(), 0, 0);
    loop {
        let want = rng.as_mut().map_or(usize::MAX, |r| 1 + r.below(64));
        let n = want.min(input.len() - pos).min(cap - end);
        buf[end..end + n].copy_from_slice(&input[pos..pos + n]);
        pos += n;
        end += n;
        let (decoded, new_end) = dec.decode(&mut buf, 0, end)?;
        assert!(decoded <= new_end && new_end <= end);
        body.extend_from_slice(&buf[..decoded]);
        buf.copy_within(decoded..new_end, 0);
        end = new_end - decoded;
        if dec.is_done() {
            let mut after = buf[..end].to_vec();
            after.extend_from_slice(&input[pos..]);
            return Ok((body, Some(after)));
        }
        if pos == input.len() {
            return Ok((body, None));
        }
        assert!(end < cap, "stalled on a full buffer");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((seed, input)) = data.split_first_chunk::<8>() else {
        return;
    };
    let seed = u64::from_le_bytes(*seed);
    let shown = show(input);
    let whole = run(input, None, input.len().max(MAX_CHUNK_LINE_BYTES + 2));
    let split = run(input, Some(XorShift(seed)), MAX_CHUNK_LINE_BYTES + 2);
    match (&whole, &split) {
        // An error may come after more or less of the body was decoded.
        (Err(a), Err(b)) => assert_eq!(a, b, "{shown:?}"),
        _ => assert_eq!(whole, split, "{shown:?}"),
    }

    // Round trip: the input as the data of a chunked body.
    let mut rng = XorShift(seed);
    let mut wire = Vec::new();
    let mut rest = input;
    while !rest.is_empty() {
        let n = (1 + rng.below(300)).min(rest.len());
        let ext = ["", ";a=b", " ; q=\"x\\\"\""][rng.below(3)];
        wire.extend_from_slice(format!("{n:x}{ext}\r\n").as_bytes());
        wire.extend_from_slice(&rest[..n]);
        wire.extend_from_slice(b"\r\n");
        rest = &rest[n..];
    }
    wire.extend_from_slice(b"0\r\nTrailer: x\r\n\r\nnext");
    let got = run(&wire, Some(rng), MAX_CHUNK_LINE_BYTES + 2);
    assert_eq!(
        got,
        Ok((input.to_vec(), Some(b"next".to_vec()))),
        "{shown:?}"
    );
});
