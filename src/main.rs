//! The `httpd` binary: entry glue only. `rt/entry.rs` provides `_start`
//! and the mem* functions; this file turns the arguments into a
//! configuration and hands it to the supervisor.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

#[path = "rt/entry.rs"]
mod entry;

use httpd::buf::Buf;
use httpd::cli::{self, Command, USAGE};
use httpd::rt::out::{self, MAX_LINE_BYTES};
use httpd::rt::sys::{self, BorrowedFd};

/// Runs httpd with `args` (`args[0]` is the program name); `too_many`
/// says some arguments did not fit; `env` holds the `LISTEN_*` variables
/// of socket activation. Returns the exit code.
fn main(args: &[&[u8]], too_many: bool, env: &[&[u8]]) -> i32 {
    let parsed = match args.split_first() {
        _ if too_many => Err(cli::Error {
            message: "too many arguments",
            arg: b"",
        }),
        Some((_, rest)) => cli::parse(rest),
        None => cli::parse(&[]),
    };
    match parsed {
        Ok(Command::Serve(config)) => httpd::net::supervisor::run(&config, env),
        Ok(Command::Check(url)) => httpd::net::check::run(url),
        Ok(Command::Help) => {
            out::write_all(BorrowedFd::STDOUT, USAGE.as_bytes());
            0
        }
        Ok(Command::Version) => {
            out::write_all(
                BorrowedFd::STDOUT,
                concat!("httpd ", env!("CARGO_PKG_VERSION"), "\n").as_bytes(),
            );
            0
        }
        Err(e) => {
            let mut mem = [0u8; MAX_LINE_BYTES];
            let mut line = Buf::new(&mut mem);
            line.str("httpd: ").str(e.message);
            if !e.arg.is_empty() {
                line.str(" '")
                    .push(e.arg.get(..200).unwrap_or(e.arg))
                    .byte(b'\'');
            }
            line.str("\n\n");
            out::stderr(line.as_bytes());
            out::stderr(USAGE.as_bytes());
            2
        }
    }
}

/// A panic is a bug. The plain build links none; in the HTTPS build the
/// crypto crates keep bounds checks the optimizer cannot remove (see
/// tests/binary.rs). Say so and exit without unwinding: the supervisor
/// restarts the worker. The location is not printed, which lets the
/// linker drop every panic's file name and line (3 KiB).
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    out::stderr(b"httpd: internal error\n");
    sys::exit_group(101)
}
