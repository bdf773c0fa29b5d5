//! The `Receiving` state: a request body going into an upload
//! (`serve::upload`). Bytes already read sit after the head in the
//! connection's input buffer and are handed to `Upload::absorb`; when the
//! buffer is empty and the body is a plain `Content-Length` one on a
//! plain-HTTP connection, the rest goes from the socket to the file with
//! splice(2), never through this process's memory. Once the body is in
//! (or refused) the answer is written and the connection goes on to
//! `Writing`, as after any request.

use super::{Conn, Cx, Next, State};
use crate::buf::Buf;
use crate::http::response::Status;
use crate::rt::sys::{BorrowedFd, Epoll, Errno};
use crate::serve::Body;
use crate::serve::upload::{self, Spliced};

impl Conn {
    /// Receives what the socket has of the body; Some(next) to return
    /// from `run`, None when the answer is ready in the output buffer.
    pub(super) fn receive(&mut self, cx: &mut Cx, budget: &mut u64) -> Option<Next> {
        // The socket is lent out for the call, so `self` stays whole.
        let sock = self.fd.take()?;
        let next = self.receive_from(sock.as_fd(), cx, budget);
        self.fd = Some(sock);
        next
    }

    fn receive_from(&mut self, fd: BorrowedFd, cx: &mut Cx, budget: &mut u64) -> Option<Next> {
        loop {
            let Body::Upload(up) = &mut self.body else {
                return Some(Next::Close);
            };
            let Some(spare) = cx.scratch.uploads.get_mut(up.spare()) else {
                return Some(Next::Close);
            };
            let head = self.head_len;
            let area = self.input.get_mut(head..).unwrap_or_default();
            let room = area.len();
            match up.absorb(spare, area, self.in_len.saturating_sub(head)) {
                Ok((left, done)) => {
                    self.in_len = head + left;
                    if done {
                        self.answer_upload(cx, None);
                        return None;
                    }
                    if left == room {
                        // Nothing could be taken from a full buffer.
                        self.answer_upload(cx, Some(Status::BadRequest));
                        return None;
                    }
                }
                Err(status) => {
                    self.answer_upload(cx, Some(status));
                    return None;
                }
            }
            if *budget == 0 {
                return Some(Next::Yield);
            }
            #[cfg(feature = "tls")]
            let plain = self.tls.is_none();
            #[cfg(not(feature = "tls"))]
            let plain = true;
            if plain && self.in_len == head && up.can_splice() {
                match up.splice_from(fd) {
                    Ok(Spliced::Bytes(n)) => {
                        *budget = budget.saturating_sub(n as u64);
                        self.deadline = cx.now + cx.timeout_secs;
                        continue;
                    }
                    Ok(Spliced::Again) => return Some(Next::Wait(Epoll::IN)),
                    Ok(Spliced::Closed) => return Some(Next::Close),
                    Err(status) => {
                        self.answer_upload(cx, Some(status));
                        return None;
                    }
                }
            }
            let free = self.input.get_mut(self.in_len..).unwrap_or_default();
            let got = super::recv(
                #[cfg(feature = "tls")]
                (self.tls.as_mut(), cx.tls),
                fd,
                free,
            );
            match got {
                // The client went away mid-body: nothing is linked.
                Ok(0) => return Some(Next::Close),
                Ok(n) => {
                    // A request may follow the body in what was read.
                    cx.files.note_read();
                    self.in_len += n;
                    *budget = budget.saturating_sub(n as u64);
                    self.deadline = cx.now + cx.timeout_secs;
                }
                Err(Errno::EAGAIN) => return Some(Next::Wait(Epoll::IN)),
                Err(Errno::EINTR) => {}
                #[cfg(feature = "tls")]
                Err(crate::net::tls::YIELD) => return Some(Next::Yield),
                Err(_) => return Some(Next::Close),
            }
        }
    }

    /// Writes the upload's answer (or the error that ended it), logs it,
    /// and moves on to `Writing`. The upload is dropped: a file not linked
    /// by then is gone with its descriptor.
    fn answer_upload(&mut self, cx: &mut Cx, failed: Option<Status>) {
        let head = self.input.get(..self.head_len).unwrap_or_default();
        let mut out = Buf::new(self.out);
        let up = match &mut self.body {
            Body::Upload(up) => cx.scratch.uploads.get(up.spare()).map(|spare| (up, spare)),
            _ => None,
        };
        let keep = self.keep_alive && failed.is_none();
        let reply = upload::finish(cx.site, up, failed, head, &mut out, keep);
        // The file just linked (or replaced) is an event the cache reads
        // before it answers a request buffered behind this one.
        cx.files.note_read();
        self.body = Body::None;
        (self.out_len, self.sent) = (out.len(), 0);
        self.keep_alive = reply.keep_alive;
        // A refused body may still be on its way: drain it before closing.
        self.linger = !reply.keep_alive;
        super::log(
            cx,
            &self.peer,
            self.user,
            head,
            reply.status,
            reply.body_len,
        );
        self.deadline = cx.now + cx.timeout_secs;
        self.state = State::Writing;
    }
}
