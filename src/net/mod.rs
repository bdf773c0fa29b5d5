//! Networking: the listening sockets, connections and their state machine, the
//! per-worker event loop, and the supervisor. (Address text, which the
//! command line and the log use too, is `crate::addr`, below them all.)

pub mod auth;
pub mod check;
pub mod conn;
#[cfg(feature = "tls")]
pub mod https;
pub mod listen;
pub mod supervisor;
#[cfg(feature = "tls")]
pub mod tls;
pub mod worker;

use crate::buf::{Buf, move_to_front};
use crate::rt::out;
use crate::rt::sys::{self, BorrowedFd, CStr, Errno, Open};

/// Reads the whole file at `path` into `buf`; exits 1 when it cannot,
/// or when it does not fit.
pub fn read_file(path: &[u8], buf: &mut [u8]) -> usize {
    let mut name_mem = [0u8; crate::fs::path::MAX_PATH_BYTES + 1];
    let mut name = Buf::new(&mut name_mem);
    name.push(path).byte(0);
    let opened = match CStr::new(name.as_bytes()).filter(|_| !name.overflowed()) {
        Some(c) => sys::openat(BorrowedFd::CWD, c, Open::RDONLY.with(Open::CLOEXEC)),
        None => Err(Errno::ENAMETOOLONG),
    };
    let mut len = 0;
    let read = opened.and_then(|fd| {
        loop {
            let free = buf.get_mut(len..).unwrap_or_default();
            if free.is_empty() {
                break Err(Errno::EFBIG);
            }
            match sys::read(fd.as_fd(), free) {
                Ok(0) => break Ok(len),
                Ok(n) => len += n,
                Err(Errno::EINTR) => {}
                Err(e) => break Err(e),
            }
        }
    });
    read.unwrap_or_else(|e| out::fail(&[b"cannot read '", path, b"'"], Some(e)))
}
