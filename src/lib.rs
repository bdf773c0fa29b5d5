//! httpd: a static-file HTTP server for Linux x86_64 in one small, static,
//! libc-free binary. This library holds all of it but the entry point:
//! pure HTTP and path logic (`http`, `fs::path`, `fs::page`), the
//! runtime's syscall shims (`rt`), and the server (`net`, `serve`). It is
//! `no_std` except under test, where the normal harness runs its unit
//! tests.

#![cfg_attr(not(test), no_std)]
#![deny(unsafe_code)]

pub mod addr;
pub mod auth;
pub mod base64;
pub mod buf;
pub mod cli;
pub mod fs;
pub mod http;
pub mod log;
pub mod net;
pub mod rt;
pub mod sandbox;
pub mod serve;
#[cfg(test)]
mod testing;
#[cfg(feature = "tls")]
pub mod tls;
