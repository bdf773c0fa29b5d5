//! `fs::path::normalize` (percent-decoding once, then RFC 3986 §5.2.4 dot
//! removal). Properties, from its documented contract:
//! - it agrees with an independent allocating model (the one in the unit
//!   tests: decode, split, resolve with a stack, errors in reading order),
//!   for the full `MAX_PATH_BYTES` buffer and for a small one;
//! - a result is `out[..len]` with `len < out.len()` (room for the NUL),
//!   no NUL, no leading or trailing `/`, and no empty, `.` or `..`
//!   segment; the root is the empty string and always `trailing_slash`;
//! - a path that would climb above the root is `Traversal`, never a
//!   result (checked by the model's depth count);
//! - a smaller buffer can only turn a result into `TooLong`;
//! - normalizing the result again, as a request path (`/` + the result
//!   with `%` written `%25`, and `/` appended when `trailing_slash`)
//!   gives the same result.

#![no_main]

use httpd::fs::path::{MAX_PATH_BYTES, PathError, normalize};
use httpd_fuzz::show;
use libfuzzer_sys::fuzz_target;

type Outcome = Result<(Vec<u8>, bool), PathError>;

fuzz_target!(|raw: &[u8]| {
    let full = run(raw, MAX_PATH_BYTES);
    assert_eq!(full, model(raw, MAX_PATH_BYTES), "model, {:?}", show(raw));
    if let Ok((path, trailing)) = &full {
        invariants(raw, path, *trailing);
        again(raw, path, *trailing);
    }
    // A small buffer, sized from the input so both sides of the limit
    // are reached.
    let cap = raw.len() / 2;
    let small = run(raw, cap);
    assert_eq!(small, model(raw, cap), "model, cap {cap}, {:?}", show(raw));
    match (&small, &full) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "cap {cap}, {:?}", show(raw)),
        (Err(PathError::TooLong), _) => {}
        (a, b) => assert_eq!(a, b, "cap {cap}, {:?}", show(raw)),
    }
});

/// `normalize` into a `cap`-byte buffer, the result as owned bytes.
fn run(raw: &[u8], cap: usize) -> Outcome {
    let mut out = vec![0u8; cap];
    let n = normalize(raw, &mut out)?;
    assert!(n.len < cap, "no room for the NUL: {:?}", show(raw));
    Ok((out[..n.len].to_vec(), n.trailing_slash))
}

fn invariants(raw: &[u8], path: &[u8], trailing: bool) {
    let shown = show(raw);
    assert!(!path.contains(&0), "NUL from {shown:?}");
    if path.is_empty() {
        assert!(trailing, "root without trailing_slash from {shown:?}");
        return;
    }
    for seg in path.split(|&b| b == b'/') {
        assert!(
            !matches!(seg, b"" | b"." | b".."),
            "{shown:?} -> {:?}",
            show(path)
        );
    }
}

/// The result, written back as a request path, normalizes to itself.
fn again(raw: &[u8], path: &[u8], trailing: bool) {
    let mut back = vec![b'/'];
    for &b in path {
        if b == b'%' {
            back.extend_from_slice(b"%25");
        } else {
            back.push(b);
        }
    }
    if trailing && !path.is_empty() {
        back.push(b'/');
    }
    let twice = run(&back, MAX_PATH_BYTES);
    assert_eq!(
        twice,
        Ok((path.to_vec(), trailing)),
        "not idempotent: {:?} -> {:?}",
        show(raw),
        show(&back)
    );
}

/// The unit tests' model of the contract: decode (up to the first bad
/// byte), then split and resolve with a stack. Errors come in reading
/// order: a segment cut short by a decoding error is never resolved as
/// `..`, but its bytes, if it is a name, already count against the limit.
fn model(raw: &[u8], cap: usize) -> Outcome {
    if raw.first() != Some(&b'/') {
        return Err(PathError::NotAbsolute);
    }
    let mut decoded = Vec::new();
    let mut decode_err = None;
    let mut i = 0;
    while i < raw.len() {
        let b = if raw[i] == b'%' {
            let hex = raw
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()));
            match hex {
                Some(hex) => {
                    i += 3;
                    u8::from_str_radix(hex, 16).unwrap()
                }
                None => {
                    decode_err = Some(PathError::BadPercentEscape);
                    break;
                }
            }
        } else {
            i += 1;
            raw[i - 1]
        };
        if b == 0 {
            decode_err = Some(PathError::NulByte);
            break;
        }
        decoded.push(b);
    }
    let segs: Vec<&[u8]> = decoded.split(|&b| b == b'/').collect();
    let complete = segs.len() - usize::from(decode_err.is_some());
    let mut stack: Vec<&[u8]> = Vec::new();
    // The length of `stack.join("/")`, kept as segments come and go.
    let mut joined_len = 0;
    for (k, &seg) in segs.iter().enumerate() {
        match seg {
            b"" | b"." => {}
            b".." if k < complete => {
                // Climbing above the root: refused, never clamped.
                let Some(top) = stack.pop() else {
                    return Err(PathError::Traversal);
                };
                joined_len -= top.len() + usize::from(!stack.is_empty());
            }
            b".." => {}
            _ => {
                joined_len += seg.len() + usize::from(!stack.is_empty());
                stack.push(seg);
                if joined_len + 1 > cap {
                    return Err(PathError::TooLong);
                }
            }
        }
    }
    if let Some(e) = decode_err {
        return Err(e);
    }
    let last = *segs.last().unwrap();
    let trailing = matches!(last, b"" | b"." | b"..");
    let joined = stack.join(&b'/');
    if joined.len() + 1 > cap {
        return Err(PathError::TooLong);
    }
    Ok((joined, trailing))
}
