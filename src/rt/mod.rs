//! What libc would have given: typed syscall shims (`sys`) and standard
//! error output (`out`), and an array written as it is first used (`lazy`).
//! The entry point and mem* functions (`entry.rs`)
//! are compiled into the binary only. This module knows nothing of HTTP.

#![allow(unsafe_code)]

pub mod lazy;
pub mod out;
pub mod sys;
