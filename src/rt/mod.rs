//! What libc would have given: typed syscall shims (`sys`) and standard
//! error output (`out`), an array written as it is first used (`lazy`),
//! and a byte copy (`copy`).
//! The entry point and mem* functions (`entry.rs`)
//! are compiled into the binary only. This module knows nothing of HTTP.

#![allow(unsafe_code)]

pub mod lazy;
pub mod out;
pub mod sys;

/// Copies what fits of `src` to the start of `dst`, as one memcpy; returns
/// how much. core's `copy_from_slice` panics when the lengths differ, and
/// at opt-level z it stays a call into a function with that panic path
/// even where they cannot differ; a byte loop is several times slower on
/// the hot path (a cached body is copied behind its head). Not inlined:
/// inlined into its hundred callers it cost 6 KB of binary.
#[inline(never)]
pub fn copy(dst: &mut [u8], src: &[u8]) -> usize {
    let n = dst.len().min(src.len());
    // SAFETY: both slices are valid for n bytes (n is at most either
    // length), and a `&mut` slice cannot overlap a shared one.
    unsafe { core::ptr::copy_nonoverlapping(src.as_ptr(), dst.as_mut_ptr(), n) };
    n
}
