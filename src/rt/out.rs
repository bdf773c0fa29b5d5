//! Writing to standard error and describing errno values: what `eprintln!`
//! and `strerror` would have given. Messages are built in a `Buf` and
//! written with one `write`, so lines from several processes never
//! interleave (pipe(7): writes up to PIPE_BUF bytes are atomic).

use crate::buf::Buf;
use crate::rt::sys::{self, BorrowedFd, Errno};

/// The longest message line, in bytes: PIPE_BUF, the most one write(2) to
/// a pipe delivers without interleaving.
pub const MAX_LINE_BYTES: usize = 4096;

/// Writes all of `bytes` to `fd`, retrying short writes; gives up silently
/// on error (there is nowhere left to report it).
pub fn write_all(fd: BorrowedFd, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        match sys::write(fd, bytes) {
            Ok(0) | Err(_) => return,
            Ok(n) => bytes = bytes.get(n..).unwrap_or_default(),
        }
    }
}

/// Writes `bytes` to standard error.
pub fn stderr(bytes: &[u8]) {
    write_all(BorrowedFd::STDERR, bytes);
}

/// Appends `address already in use (EADDRINUSE)`: strerror's text, lower
/// case as in a sentence, then the constant's name.
pub fn errno(buf: &mut Buf, e: Errno) {
    match (e.description(), e.name()) {
        (Some(text), Some(name)) => {
            let mut bytes = text.bytes();
            if let Some(first) = bytes.next() {
                buf.byte(first.to_ascii_lowercase());
            }
            for b in bytes {
                buf.byte(b);
            }
            buf.str(" (").str(name).str(")");
        }
        _ => {
            buf.str("error ").u64(e.into_raw().unsigned_abs() as u64);
        }
    }
}

/// Prints `httpd: <what>: <errno text>` and exits 1: the one shape of a
/// start-up failure.
pub fn die(what: &[u8], e: Errno) -> ! {
    let mut mem = [0u8; MAX_LINE_BYTES];
    let mut line = Buf::new(&mut mem);
    line.str("httpd: ").push(what).str(": ");
    errno(&mut line, e);
    line.byte(b'\n');
    stderr(line.as_bytes());
    sys::exit_group(1)
}
