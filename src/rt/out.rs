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
/// case as in a sentence, then the constant's name. Only the errnos a
/// start-up can meet are named (the `syscalls` crate's full table would
/// cost 8 KiB of the binary); the rest read `error 71`.
pub fn errno(buf: &mut Buf, e: Errno) {
    let known = ERRNO_TEXT.iter().find(|(n, _, _)| *n == e.into_raw());
    match known {
        Some((_, name, text)) => {
            buf.str(text).str(" (").str(name).str(")");
        }
        None => {
            buf.str("error ").u64(e.into_raw().unsigned_abs() as u64);
        }
    }
}

/// errno values (asm-generic/errno-base.h, errno.h) with their names and
/// strerror(3) texts.
const ERRNO_TEXT: &[(i32, &str, &str)] = &[
    (1, "EPERM", "operation not permitted"),
    (2, "ENOENT", "no such file or directory"),
    (5, "EIO", "input/output error"),
    (9, "EBADF", "bad file descriptor"),
    (11, "EAGAIN", "resource temporarily unavailable"),
    (12, "ENOMEM", "cannot allocate memory"),
    (13, "EACCES", "permission denied"),
    (18, "EXDEV", "invalid cross-device link"),
    (20, "ENOTDIR", "not a directory"),
    (21, "EISDIR", "is a directory"),
    (22, "EINVAL", "invalid argument"),
    (23, "ENFILE", "too many open files in system"),
    (24, "EMFILE", "too many open files"),
    (30, "EROFS", "read-only file system"),
    (32, "EPIPE", "broken pipe"),
    (36, "ENAMETOOLONG", "file name too long"),
    (38, "ENOSYS", "function not implemented"),
    (40, "ELOOP", "too many levels of symbolic links"),
    (
        97,
        "EAFNOSUPPORT",
        "address family not supported by protocol",
    ),
    (98, "EADDRINUSE", "address already in use"),
    (99, "EADDRNOTAVAIL", "cannot assign requested address"),
    (101, "ENETUNREACH", "network is unreachable"),
    (104, "ECONNRESET", "connection reset by peer"),
    (105, "ENOBUFS", "no buffer space available"),
    (111, "ECONNREFUSED", "connection refused"),
    (113, "EHOSTUNREACH", "no route to host"),
];

/// Prints `httpd: ` and `parts`, then `: <errno text>` when there is an
/// errno: the one shape of an error line.
pub fn line(parts: &[&[u8]], e: Option<Errno>) {
    let mut mem = [0u8; MAX_LINE_BYTES];
    let mut line = Buf::new(&mut mem);
    line.str("httpd: ");
    for part in parts {
        line.push(part);
    }
    if let Some(e) = e {
        line.str(": ");
        errno(&mut line, e);
    }
    line.byte(b'\n');
    stderr(line.as_bytes());
}

/// Prints `httpd: <what>: <errno text>`.
pub fn error(what: &[u8], e: Errno) {
    line(&[what], Some(e));
}

/// Prints the error line and exits 1: a start-up failure.
pub fn fail(parts: &[&[u8]], e: Option<Errno>) -> ! {
    line(parts, e);
    sys::exit_group(1)
}

/// Prints `httpd: <what>: <errno text>` and exits 1.
pub fn die(what: &[u8], e: Errno) -> ! {
    fail(&[what], Some(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_text_matches_the_kernel_names() {
        for &(n, name, _) in ERRNO_TEXT {
            assert_eq!(Errno::new(n).name(), Some(name));
        }
        let mut mem = [0u8; 64];
        let mut buf = Buf::new(&mut mem);
        errno(&mut buf, Errno::EADDRINUSE);
        buf.str(", ");
        errno(&mut buf, Errno::new(71));
        assert_eq!(
            buf.as_bytes(),
            b"address already in use (EADDRINUSE), error 71"
        );
    }
}
