//! `httpd --check URL`: a health check without curl, for a `FROM scratch`
//! image (`HEALTHCHECK CMD ["/httpd", "--check", "http://127.0.0.1:8080/"]`).
//! It sends one GET and reads only the status line of the answer: exit 0
//! on 2xx or 3xx; otherwise 1 and one line saying why
//! (`httpd: check http://127.0.0.1:8080/: 503 Service Unavailable`,
//! `...: timed out after 5 s`); 2 for a URL it does not take.
//!
//! The URLs, parsed by `http::client`:
//! - `http://HOST[:PORT][/PATH][?QUERY]`: HOST is an IPv4 literal, an
//!   `[IPv6]` literal or `localhost` (127.0.0.1). Any address is taken,
//!   not only loopback, but no name is looked up: the image has no DNS
//!   and no /etc/hosts. The port defaults to 80, a fragment is dropped,
//!   and the path is sent as written (printable ASCII, `%XX` left alone).
//! - `unix:PATH` asks for `/` on the Unix socket PATH (`--bind unix:`);
//!   `unix:PATH:/TARGET` asks for /TARGET, as nginx's `proxy_pass` writes
//!   it, so PATH cannot hold a `:`. The `Host` sent is `localhost`.
//! - `https://` is refused: plain HTTP only.
//!
//! A 1xx interim answer (RFC 9110 §15.2) counts as a failure: the check
//! sends no `Expect` or `Upgrade`, so httpd never sends one, and reading
//! past it to the final answer would cost code no health check needs.
//!
//! The check reads no file and no environment and needs no sandbox: it
//! is a short-lived client, not the server.

use crate::buf::Buf;
use crate::http::client::{self, Peer};
use crate::http::request::MAX_HEAD_BYTES;
use crate::rt::out;
use crate::rt::sys::{self, AF_UNIX, BorrowedFd, Errno, Msg, Sock, SockOpt};

/// How long the whole check may take, in seconds: connecting, sending
/// and reading the status line. A healthy server on the same host answers
/// in milliseconds; Docker's HEALTHCHECK waits 30 s by default, so a stuck
/// server is reported well before Docker gives up on the command.
pub const CHECK_TIMEOUT_SECS: i64 = 5;

/// The failure line for a timeout; says `CHECK_TIMEOUT_SECS` (a test
/// holds them together).
const TIMED_OUT: &[u8] = b"timed out after 5 s";

/// The most bytes read while looking for the end of the status line. It
/// is `HTTP/1.1 NNN reason`, and reasons are a few words (RFC 9110 §15);
/// a server that sends 1 KiB without a line end is not speaking HTTP.
pub const MAX_STATUS_LINE_BYTES: usize = 1024;

/// The most bytes of the URL repeated in the failure line, as for a bad
/// argument in `main`: the line must fit `out::MAX_LINE_BYTES`, whole.
const MAX_SHOWN_URL_BYTES: usize = 200;

/// Why a check failed.
enum Fail<'a> {
    /// A URL the check does not take: exit 2.
    Usage(&'static str),
    /// A syscall failed; `EAGAIN` and `EINPROGRESS` mean time ran out.
    Sys(Errno),
    /// The answer, or its absence, in words.
    Said(&'a [u8]),
}

impl From<Errno> for Fail<'_> {
    fn from(e: Errno) -> Self {
        Fail::Sys(e)
    }
}

/// Checks `url`; returns the exit code.
pub fn run(url: &[u8]) -> i32 {
    let mut answer = [0u8; MAX_STATUS_LINE_BYTES];
    let (code, why, errno) = match check(url, &mut answer) {
        Ok(()) => return 0,
        Err(Fail::Usage(message)) => (2, message.as_bytes(), None),
        Err(Fail::Said(text)) => (1, text, None),
        Err(Fail::Sys(e)) if e == Errno::EAGAIN || e == Errno::EINPROGRESS => (1, TIMED_OUT, None),
        Err(Fail::Sys(e)) => (1, &b""[..], Some(e)),
    };
    let url = url.get(..MAX_SHOWN_URL_BYTES).unwrap_or(url);
    // `out::line` puts its own `: ` before an errno's words.
    let colon: &[u8] = if why.is_empty() { b"" } else { b": " };
    out::line(&[b"check ", url, colon, why], errno);
    code
}

/// Connects, asks, and reads the status line into `answer`.
fn check<'a>(url: &[u8], answer: &'a mut [u8]) -> Result<(), Fail<'a>> {
    let url = client::parse_url(url).map_err(|e| Fail::Usage(e.message()))?;
    let mut mem = [0u8; MAX_HEAD_BYTES];
    let mut request = Buf::new(&mut mem);
    client::request(&mut request, &url);
    if request.overflowed() {
        // The server would refuse it (414), so it is never healthy.
        return Err(Fail::Usage("the URL is too long"));
    }
    let deadline = sys::monotonic_us() + CHECK_TIMEOUT_SECS * sys::MICROS_PER_SEC;
    let family = match url.peer {
        Peer::Ip(addr) => addr.family,
        Peer::Unix(_) => AF_UNIX,
    };
    let fd = sys::socket(family, Sock::STREAM.with(Sock::CLOEXEC))?;
    let fd = fd.as_fd();
    // A blocking connect waits at most the send timeout (socket(7)).
    set_timeout(fd, SockOpt::SNDTIMEO, deadline)?;
    match &url.peer {
        Peer::Ip(addr) => sys::connect(fd, addr),
        Peer::Unix(addr) => sys::connect(fd, addr),
    }?;
    // A blocking send of a stream socket sends everything unless its
    // timeout runs out (send(2)); NOSIGNAL, as the server may be gone.
    if sys::send(fd, request.as_bytes(), Msg::NOSIGNAL)? < request.len() {
        return Err(Fail::Sys(Errno::EAGAIN));
    }
    // Read until the first line ends, the buffer fills or the server
    // closes; the rest of the answer is not wanted.
    let mut len = 0;
    while !answer.get(..len).unwrap_or_default().contains(&b'\n') {
        let free = answer.get_mut(len..).unwrap_or_default();
        if free.is_empty() {
            break;
        }
        set_timeout(fd, SockOpt::RCVTIMEO, deadline)?;
        match sys::read(fd, free) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(Errno::EINTR) => {}
            Err(e) => return Err(Fail::Sys(e)),
        }
    }
    let answer: &'a [u8] = answer;
    match client::status_line(answer.get(..len).unwrap_or_default()) {
        Some(status) if (200..400).contains(&status.code) => Ok(()),
        Some(status) => Err(Fail::Said(status.text)),
        // Nothing, or not HTTP/1.x (TLS, another protocol, a cut line).
        None => Err(Fail::Said(b"no HTTP/1.x status line")),
    }
}

/// Sets the timeout `opt` to what is left until `deadline` (monotonic
/// microseconds): a per-call limit made a limit on the whole check.
fn set_timeout(fd: BorrowedFd, opt: SockOpt, deadline: i64) -> sys::Result<()> {
    match u64::try_from(deadline - sys::monotonic_us()) {
        // 0 would mean no limit at all.
        Ok(left) if left > 0 => sys::setsockopt_timeval(fd, opt, left),
        _ => Err(Errno::EAGAIN),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_timeout_line_says_the_timeout() {
        let want = format!("after {CHECK_TIMEOUT_SECS} s");
        assert!(TIMED_OUT.ends_with(want.as_bytes()));
    }
}
