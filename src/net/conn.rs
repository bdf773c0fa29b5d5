//! One client connection and its state machine. `Conn::drive` is the one
//! function that matches on the state; it moves straight on to the next
//! state whenever it can (a response right after its request, the next
//! pipelined request right after a response) and returns only when the
//! socket would block or the connection is finished.

use crate::buf::Buf;
use crate::fs::cache::Files;
use crate::http::response::Status;
use crate::log::{Entry, Format, Log};
use crate::rt::sys::{self, BorrowedFd, Epoll, Errno, Msg, OwnedFd, SHUT_WR, SockAddr};
use crate::serve::tar::Piece;
use crate::serve::{self, Body, Scratch, Site, Turn};

mod receive;
#[cfg(feature = "tls")]
use crate::{net::tls::Tls, tls::server::Credentials};

/// Bytes of a connection's output buffer: the response head plus a small
/// error page, with room for the `--header` lines.
pub const OUT_BYTES: usize = 4096;

/// The most bytes asked of one sendfile(2) call; calls also end on a
/// multiple of it in the stream (head included), so each fills whole
/// segments. See `SEND_BUDGET_BYTES`.
pub const SENDFILE_CHUNK_BYTES: u64 = 256 * 1024;

/// The most body bytes one connection sends per turn before it waits for
/// `EPOLLOUT` again: a fast reader of a huge file cannot starve the
/// others, and the socket buffer never fills, so the data is still in
/// cache when the reader copies it. Measured with wrk on loopback (one
/// worker, 8 readers of a 10 MiB file): 2.5 GB/s when each turn sent until
/// EAGAIN (4 MiB budget), 4.0 GB/s with 256 KiB, 2.7 GB/s with 128 KiB.
/// lighttpd 1.4.69 does the same: at most `MAX_WRITE_LIMIT` (256 KiB,
/// chunk.h) per connection per event, so strace shows one
/// `sendfile(.., 262144)` per `EPOLLOUT`, its first ending 256 KiB into
/// the stream, header included. Against it on the bench's 10m (c8) and
/// 256m (c1) cases, where wrk's one core is the limit, this is at parity;
/// 512 KiB per call or per turn did not help, and `TCP_NOTSENT_LOWAT`
/// (64 or 256 KiB) or `SO_SNDBUF` (256 KiB) made it slower: with less
/// queued, wrk's core sat idle while the server's was busy elsewhere
/// (issue 11, item 3).
pub const SEND_BUDGET_BYTES: u64 = SENDFILE_CHUNK_BYTES;

/// The most requests one connection has answered before the others get
/// a turn: a client pipelining cheap requests (HEAD, 304s, errors) would
/// otherwise keep the worker to itself, since those use no send budget.
pub const MAX_REQUESTS_PER_TURN: u32 = 16;

/// Seconds a closing connection keeps reading what the client still
/// sends, so the kernel does not reset the connection (discarding our
/// response) because of unread input (RFC 9112 §9.6).
pub const LINGER_SECS: i64 = 2;

/// The most bytes read and discarded while lingering: a client still
/// uploading a large body is cut off rather than drained forever.
pub const LINGER_MAX_BYTES: usize = 64 * 1024;

/// No slot: the end of the worker's idle list.
pub const NO_SLOT: u32 = u32::MAX;

/// Where a connection is in its request/response cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Waiting for (the rest of) a request head in `input`.
    Reading,
    /// Sending `out[sent..]`: the response head and any small body.
    Writing,
    /// Sending the file body with sendfile.
    Sending,
    /// Receiving a request body into an upload (`receive.rs`).
    Receiving,
    /// The last response is out and our side is shut down; reading and
    /// discarding until the client closes too.
    Lingering,
}

/// What the event loop should do after `drive`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Wait for these readiness events.
    Wait(Epoll),
    /// Drive it again on the next loop turn, without waiting for an
    /// event: it has pipelined requests left but has had its turn.
    Yield,
    /// Close the connection and free its slot.
    Close,
}

/// Seconds a connection stays idle before its buffers' pages are given
/// back (`Conn::release_buffers`): longer than a browser or a benchmark
/// takes between two keep-alive requests, so those never pay for it.
pub const IDLE_RELEASE_SECS: i64 = 2;

/// What `drive` needs from its worker.
pub struct Cx<'a, 'l> {
    pub site: &'a Site<'a>,
    pub scratch: &'a mut Scratch,
    /// The worker's file cache (`fs::cache`).
    pub files: &'a mut Files,
    /// The access log (None with `--quiet`).
    pub log: Option<&'a mut Log<'l>>,
    /// Monotonic seconds, for deadlines.
    pub now: i64,
    /// The same clock reading in microseconds, for the log's durations.
    pub now_us: i64,
    /// When the request of the connection being driven began (its
    /// `started_us`), for `log`: set by `run` on every step, since the
    /// upload's answer is logged from `receive.rs`.
    pub request_us: i64,
    /// Wall-clock seconds, for the log.
    pub wall: i64,
    /// Request head and transfer timeout.
    pub timeout_secs: i64,
    /// Idle keep-alive timeout.
    pub idle_secs: i64,
    /// The key and certificates, when serving HTTPS.
    #[cfg(feature = "tls")]
    pub tls: Option<&'a Credentials>,
}

/// A connection slot.
pub struct Conn {
    /// The socket; None when the slot is free.
    pub fd: Option<OwnedFd>,
    pub state: State,
    /// The events registered with epoll; None until the connection first
    /// has to wait (one that is answered and closed at once never is).
    pub interest: Option<Epoll>,
    /// Monotonic second after which the connection is closed.
    pub deadline: i64,
    /// Monotonic second the connection began waiting for its current
    /// request: its accept, or the end of the previous response. The
    /// request head must be complete `timeout` after it, however slowly
    /// its bytes trickle in.
    since: i64,
    /// Neighbours on the worker's list of idle connections (`NO_SLOT`
    /// at either end), and whether the connection is on it.
    pub idle_prev: u32,
    pub idle_next: u32,
    pub idle_listed: bool,
    /// The slot is on the worker's ready list. Survives close and reuse
    /// of the slot, so a slot is never listed twice.
    pub queued: bool,
    /// Its buffers may hold touched pages: set by every `drive`, cleared
    /// when `release_buffers` gives them back.
    resident: bool,
    pub peer: SockAddr,
    input: &'static mut [u8],
    in_len: usize,
    /// Bytes of `input` taken by the request being answered.
    head_len: usize,
    out: &'static mut [u8],
    out_len: usize,
    sent: usize,
    body: Body,
    /// Where the body began in its file (a range's start), so that
    /// `offset - body_start` is how much of it has been sent.
    body_start: u64,
    keep_alive: bool,
    /// Its complete request is a listing that waits for a loop turn in
    /// which the worker may render one (`serve::Turn::Later`).
    deferred: bool,
    /// The client may still be sending (a refused head, a request body,
    /// bytes after a `close` request): close only after draining them.
    linger: bool,
    lingered: usize,
    /// The user of the request being answered (`--auth`), for the log.
    user: &'static [u8],
    /// Monotonic microseconds of the loop turn that read the first byte of
    /// the request being read or answered (for a pipelined one, of the
    /// turn its predecessor was done), for the log's duration.
    started_us: i64,
    /// Its TLS layer, when serving HTTPS.
    #[cfg(feature = "tls")]
    pub tls: Option<Tls>,
}

impl Conn {
    /// A free slot with its buffers.
    pub fn new(input: &'static mut [u8], out: &'static mut [u8]) -> Conn {
        Conn {
            fd: None,
            state: State::Reading,
            interest: None,
            deadline: 0,
            since: 0,
            idle_prev: NO_SLOT,
            idle_next: NO_SLOT,
            idle_listed: false,
            queued: false,
            resident: false,
            peer: SockAddr::default(),
            input,
            in_len: 0,
            head_len: 0,
            out,
            out_len: 0,
            sent: 0,
            body: Body::None,
            body_start: 0,
            keep_alive: false,
            deferred: false,
            linger: false,
            lingered: 0,
            user: b"",
            started_us: 0,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }

    /// Takes a socket accepted at `now` into this free slot; its request
    /// head must arrive within `timeout_secs`.
    pub fn open(&mut self, fd: OwnedFd, peer: SockAddr, now: i64, timeout_secs: i64) {
        self.fd = Some(fd);
        self.peer = peer;
        self.state = State::Reading;
        self.interest = None;
        self.since = now;
        self.deadline = now + timeout_secs;
        self.in_len = 0;
        self.head_len = 0;
        self.lingered = 0;
        self.deferred = false;
        #[cfg(feature = "tls")]
        if let Some(tls) = self.tls.as_mut() {
            tls.reset();
        }
    }

    /// Closes the socket and any open body file; the slot becomes free.
    pub fn close(&mut self) {
        self.body = Body::None;
        #[cfg(feature = "tls")]
        if let (Some(tls), Some(fd)) = (self.tls.as_mut(), self.fd.as_ref()) {
            // Our side ends cleanly when it can; the secrets go now.
            tls.close_notify(fd.as_fd());
            tls.reset();
        }
        self.fd = None;
    }

    /// True when the connection is between requests with nothing buffered:
    /// safe to close at shutdown without cutting anything short.
    pub fn is_idle(&self) -> bool {
        self.state == State::Reading && self.in_len == 0
    }

    /// Gives the pages of its input and output buffers back to the kernel
    /// (madvise(2) `MADV_DONTNEED`; they read as zeros when next touched)
    /// if it has been idle, between requests with nothing buffered, for
    /// `IDLE_RELEASE_SECS`: an idle keep-alive connection then costs its
    /// slot (~400 bytes), not 12 KiB of buffers. Waiting that long keeps
    /// the syscall and the page faults off busy keep-alive connections.
    /// Over HTTPS, the record buffers go too when nothing waits in them.
    /// True when it released them.
    pub fn release_buffers(&mut self, now: i64) -> bool {
        if !self.resident || !self.is_idle() || now < self.since + IDLE_RELEASE_SECS {
            return false;
        }
        self.resident = false;
        let _ = sys::madvise_dontneed(self.input);
        let _ = sys::madvise_dontneed(self.out);
        #[cfg(feature = "tls")]
        if let Some(tls) = self.tls.as_mut() {
            tls.release_buffers();
        }
        true
    }

    /// The monotonic second it began waiting for its current request.
    pub fn idle_since(&self) -> i64 {
        self.since
    }

    /// True when its listing waits in line for a loop turn with a render
    /// left.
    pub fn is_deferred(&self) -> bool {
        self.deferred
    }

    /// True when the connection waits for a request head from its client
    /// (none yet, or part of one), with nothing of ours in flight and no
    /// pipelined request pending: closing it loses no answer, so it may
    /// make room for a new client.
    pub fn waits_for_client(&self) -> bool {
        self.state == State::Reading && !self.queued
    }

    /// `n` more bytes of request arrived.
    fn took(&mut self, n: usize, cx: &mut Cx) {
        // What they ask may follow a change on disk: the file cache reads
        // its events before it answers from memory.
        cx.files.note_read();
        if self.in_len == 0 {
            // A new request head starts: the whole of it must arrive
            // within the timeout, counted from when the connection began
            // waiting for it, not from this first byte (slowloris).
            self.deadline = self.since + cx.timeout_secs;
            self.started_us = cx.now_us;
        }
        self.in_len += n;
    }

    /// Reads what the client of a plain connection waiting for a request
    /// sent, before the loop turn answers anything: the worker then reads
    /// the file cache's events once for every request read this way, not
    /// once per request (`fs::cache`). `drive` goes on from there; what
    /// this read could not take (end of stream, an error) it meets again.
    pub fn prefetch(&mut self, cx: &mut Cx) {
        #[cfg(feature = "tls")]
        if self.tls.is_some() {
            return;
        }
        if self.state != State::Reading || self.deferred {
            return;
        }
        let (Some(fd), Some(free)) = (self.fd.as_ref(), self.input.get_mut(self.in_len..)) else {
            return;
        };
        self.resident = true;
        if let Ok(n) = sys::read(fd.as_fd(), free)
            && n > 0
        {
            self.took(n, cx);
        }
    }

    /// Runs the state machine until the socket would block or the
    /// connection is done. See the module docs.
    pub fn drive(&mut self, cx: &mut Cx) -> Next {
        self.resident = true;
        let next = self.run(cx);
        #[cfg(feature = "tls")]
        if let (Next::Wait(events), Some(tls)) = (next, self.tls.as_ref())
            && tls.pending()
        {
            // Ciphertext of ours is still to go out.
            return Next::Wait(events.with(Epoll::OUT));
        }
        next
    }

    fn run(&mut self, cx: &mut Cx) -> Next {
        let mut budget = SEND_BUDGET_BYTES;
        let mut answered = 0;
        loop {
            let Some(fd) = self.fd.as_ref() else {
                return Next::Close;
            };
            let fd = fd.as_fd();
            cx.request_us = self.started_us;
            match self.state {
                State::Reading if self.in_len > 0 && answered == MAX_REQUESTS_PER_TURN => {
                    return Next::Yield;
                }
                // Its listing waits for a turn with a render left: no
                // parsing or lookups again until then.
                State::Reading if self.deferred && cx.scratch.renders_left == 0 => {
                    return Next::Yield;
                }
                State::Reading => {
                    cx.scratch.in_line = self.deferred;
                    let buffered = self.input.get(..self.in_len).unwrap_or_default();
                    let mut out = Buf::new(self.out);
                    let capacity = self.input.len();
                    let peer = client_key(&self.peer);
                    if let Some(reply) = (self.in_len > 0)
                        .then(|| {
                            serve::respond(
                                cx.site, cx.scratch, cx.files, buffered, capacity, &mut out, &peer,
                            )
                        })
                        .flatten()
                    {
                        if reply.turn == Turn::Later {
                            if !self.deferred {
                                // Waiting on the server, not the client.
                                self.deadline = cx.now + cx.timeout_secs;
                                self.deferred = true;
                            }
                            return Next::Yield;
                        }
                        self.deferred = false;
                        (self.out_len, self.sent) = (out.len(), 0);
                        (self.head_len, self.linger) = (reply.consumed, reply.linger);
                        (self.keep_alive, self.user) = (reply.keep_alive, reply.user);
                        self.body = reply.body;
                        if let Body::File { offset, .. } = self.body {
                            self.body_start = offset;
                        }
                        self.deadline = cx.now + cx.timeout_secs;
                        if let Body::Upload(_) = self.body {
                            // Answered, and logged, once the body is in;
                            // it counts against the turn like any answer,
                            // so pipelined uploads cannot keep the worker.
                            self.state = State::Writing;
                            answered += 1;
                            continue;
                        }
                        log(
                            cx,
                            &self.peer,
                            self.user,
                            buffered,
                            reply.status,
                            reply.body_len,
                        );
                        self.deadline = cx.now + cx.timeout_secs;
                        self.state = State::Writing;
                        answered += 1;
                        if reply.turn == Turn::End {
                            answered = MAX_REQUESTS_PER_TURN;
                        }
                        continue;
                    }
                    let free = self.input.get_mut(self.in_len..).unwrap_or_default();
                    let got = recv(
                        #[cfg(feature = "tls")]
                        (self.tls.as_mut(), cx.tls),
                        fd,
                        free,
                    );
                    match got {
                        Ok(0) => return Next::Close,
                        Ok(n) => self.took(n, cx),
                        Err(Errno::EAGAIN) => return Next::Wait(Epoll::IN),
                        Err(Errno::EINTR) => {}
                        // Its share of records is done; more may wait.
                        #[cfg(feature = "tls")]
                        Err(crate::net::tls::YIELD) => return Next::Yield,
                        #[cfg(feature = "tls")]
                        Err(_) if self.tls.as_ref().is_some_and(Tls::plain_http) => {
                            let received = self.tls.as_ref().map(Tls::received);
                            let head = received.unwrap_or_default();
                            self.out_len = refuse_plain_http(self.out, &self.peer, head, cx);
                            self.sent = 0;
                            (self.keep_alive, self.linger, self.body) = (false, true, Body::None);
                            self.deadline = cx.now + cx.timeout_secs;
                            self.state = State::Writing;
                        }
                        Err(_) => return Next::Close,
                    }
                }
                State::Writing => {
                    let more = matches!(self.body, Body::File { offset, end, .. } if offset < end);
                    let flags = if more {
                        Msg::MORE.with(Msg::NOSIGNAL)
                    } else {
                        Msg::NOSIGNAL
                    };
                    let pending = self.out.get(self.sent..self.out_len).unwrap_or_default();
                    if pending.is_empty() {
                        self.state = match self.body {
                            // After its `100 Continue`, if any.
                            Body::Upload(_) => State::Receiving,
                            _ => State::Sending,
                        };
                        continue;
                    }
                    #[cfg(feature = "tls")]
                    let sent = match self.tls.as_mut() {
                        Some(tls) => tls.write(fd, pending),
                        None => sys::send(fd, pending, flags),
                    };
                    #[cfg(not(feature = "tls"))]
                    let sent = sys::send(fd, pending, flags);
                    match sent {
                        Ok(n) => {
                            self.sent += n;
                            // The head counts against this turn's budget.
                            budget = budget.saturating_sub(n as u64);
                            self.deadline = cx.now + cx.timeout_secs;
                        }
                        Err(Errno::EAGAIN) => return Next::Wait(Epoll::OUT),
                        Err(Errno::EINTR) => {}
                        Err(_) => return Next::Close,
                    }
                }
                State::Sending => {
                    if let Body::Tar(t) = &mut self.body {
                        // Headers and small bodies go through `out`: they
                        // spend this turn's budget as file bodies do.
                        if budget == 0 {
                            return Next::Wait(Epoll::OUT);
                        }
                        let head = self.input.get(..self.head_len).unwrap_or_default();
                        match t.next(cx.site.root, head, self.out) {
                            Piece::Out(n) => {
                                (self.out_len, self.sent) = (n, 0);
                                self.state = State::Writing;
                                continue;
                            }
                            Piece::File {
                                file,
                                mut offset,
                                count,
                            } => {
                                if budget == 0 {
                                    return Next::Wait(Epoll::OUT);
                                }
                                let count = count.min(budget as usize);
                                let sent = send_file(
                                    #[cfg(feature = "tls")]
                                    self.tls.as_mut(),
                                    fd,
                                    file,
                                    &mut offset,
                                    count,
                                );
                                match sent {
                                    // Shorter than its header said: zeros.
                                    Ok(0) => t.cut_short(),
                                    Ok(n) => {
                                        t.sent(n);
                                        budget = budget.saturating_sub(n as u64);
                                        self.deadline = cx.now + cx.timeout_secs;
                                    }
                                    Err(Errno::EAGAIN) => return Next::Wait(Epoll::OUT),
                                    Err(Errno::EINTR) => {}
                                    Err(_) => return Next::Close,
                                }
                                continue;
                            }
                            Piece::Done => {}
                        }
                    }
                    if let Body::File {
                        file, offset, end, ..
                    } = &mut self.body
                        && *offset < *end
                    {
                        if budget == 0 {
                            return Next::Wait(Epoll::OUT);
                        }
                        // End each call on a chunk boundary of the stream
                        // (head included), so every call after the first
                        // fills whole segments.
                        let stream = self.out_len as u64 + (*offset - self.body_start);
                        let to_boundary = SENDFILE_CHUNK_BYTES - stream % SENDFILE_CHUNK_BYTES;
                        let count = (*end - *offset).min(budget).min(to_boundary) as usize;
                        let sent = send_file(
                            #[cfg(feature = "tls")]
                            self.tls.as_mut(),
                            fd,
                            file.as_fd(),
                            offset,
                            count,
                        );
                        match sent {
                            // The file shrank under us: the announced
                            // length cannot be honoured; end the
                            // connection so the client sees the cut.
                            Ok(0) => return Next::Close,
                            Ok(n) => {
                                budget = budget.saturating_sub(n as u64);
                                self.deadline = cx.now + cx.timeout_secs;
                            }
                            Err(Errno::EAGAIN) => return Next::Wait(Epoll::OUT),
                            Err(Errno::EINTR) => {}
                            Err(_) => return Next::Close,
                        }
                        continue;
                    }
                    #[cfg(feature = "tls")]
                    if let Some(tls) = self.tls.as_mut() {
                        // The whole response is out before the next
                        // request or the close.
                        match tls.flush(fd) {
                            Ok(()) => {}
                            Err(Errno::EAGAIN) => return Next::Wait(Epoll::OUT),
                            Err(_) => return Next::Close,
                        }
                        if !self.keep_alive {
                            tls.close_notify(fd);
                            // Out before our side shuts: a socket shut for
                            // writing would keep reporting EPOLLOUT.
                            if tls.pending() {
                                return Next::Wait(Epoll::OUT);
                            }
                        }
                    }
                    self.body = Body::None;
                    if !self.keep_alive && !self.linger {
                        return Next::Close;
                    }
                    if !self.keep_alive {
                        // Unread input would make close(2) send a reset
                        // that can destroy the response in flight:
                        // half-close, then drain until the client closes.
                        let _ = sys::shutdown(fd, SHUT_WR);
                        self.state = State::Lingering;
                        self.deadline = cx.now + LINGER_SECS;
                        continue;
                    }
                    // Drop the answered request; keep pipelined bytes.
                    let consumed = self.head_len.min(self.in_len);
                    self.in_len = super::move_to_front(self.input, consumed, self.in_len);
                    self.head_len = 0;
                    self.state = State::Reading;
                    self.since = cx.now;
                    self.started_us = cx.now_us;
                    #[cfg(feature = "tls")]
                    let buffered = self.tls.as_ref().is_some_and(Tls::buffered);
                    #[cfg(not(feature = "tls"))]
                    let buffered = false;
                    if self.in_len == 0 && !buffered {
                        // Nothing pipelined: wait for the next request
                        // rather than spend a read(2) that says EAGAIN.
                        self.deadline = cx.now + cx.idle_secs;
                        return Next::Wait(Epoll::IN);
                    }
                    self.deadline = cx.now + cx.timeout_secs;
                }
                State::Receiving => {
                    if let Some(next) = self.receive(cx, &mut budget) {
                        return next;
                    }
                }
                State::Lingering => match sys::read(fd, self.input) {
                    Ok(n) if n > 0 && self.lingered < LINGER_MAX_BYTES => self.lingered += n,
                    Err(Errno::EAGAIN) => return Next::Wait(Epoll::IN),
                    Err(Errno::EINTR) => {}
                    _ => return Next::Close,
                },
            }
        }
    }
}

/// Writes into `out` the `400` in clear that answers plain HTTP sent to
/// the HTTPS port, as nginx does, and logs it; returns its length. The
/// connection then closes.
#[cfg(feature = "tls")]
fn refuse_plain_http(out: &mut [u8], peer: &SockAddr, head: &[u8], cx: &mut Cx) -> usize {
    let mut out = Buf::new(out);
    let status = Status::BadRequest;
    let len =
        crate::http::response::error(&mut out, status, &cx.site.common, b"", false, false, false);
    // Found out on its first read, in this turn.
    cx.request_us = cx.now_us;
    log(cx, peer, b"", head, status, len);
    out.len()
}

/// Logs the answer (`status`, `len` body bytes) to the request at the
/// start of `head`, which began at `cx.request_us`.
fn log(cx: &mut Cx, peer: &SockAddr, user: &[u8], head: &[u8], status: Status, len: u64) {
    if let Some(log) = cx.log.as_deref_mut() {
        // The loop turn's clock reading is enough for the other formats,
        // which do not show the duration: one syscall saved per request.
        let now_us = if log.format() == Format::Json {
            sys::monotonic_us()
        } else {
            cx.now_us
        };
        let duration_us = u64::try_from(now_us.saturating_sub(cx.request_us)).unwrap_or_default();
        log.record(&Entry {
            client: peer,
            user,
            head,
            status: status.code(),
            size: len,
            time: cx.wall,
            duration_us,
        });
    }
}

/// read(2) from the socket, or through the connection's TLS layer (and
/// the credentials of its handshake) when it has one.
fn recv(
    #[cfg(feature = "tls")] tls: (Option<&mut Tls>, Option<&Credentials>),
    fd: BorrowedFd,
    buf: &mut [u8],
) -> Result<usize, Errno> {
    #[cfg(feature = "tls")]
    if let (Some(tls), Some(cred)) = tls {
        return tls.read(fd, buf, cred);
    }
    sys::read(fd, buf)
}

/// sendfile(2), or through the connection's TLS layer when it has one.
fn send_file(
    #[cfg(feature = "tls")] tls: Option<&mut Tls>,
    fd: BorrowedFd,
    file: BorrowedFd,
    offset: &mut u64,
    count: usize,
) -> Result<usize, Errno> {
    #[cfg(feature = "tls")]
    if let Some(tls) = tls {
        return tls.write_file(fd, file, offset, count);
    }
    sys::sendfile(fd, file, offset, count)
}

/// The client's address as 16 bytes, IPv4 as IPv4-mapped IPv6: the key
/// of `--auth`'s per-client failure count. An IPv6 client is counted by
/// its /64, the prefix one host or home network gets (RFC 4291 §2.5.1):
/// one attacker has 2^64 addresses but one /64.
fn client_key(peer: &SockAddr) -> [u8; 16] {
    if peer.family != sys::AF_INET {
        let mut key = peer.v6;
        if crate::addr::ipv4_mapped(&key).is_none() {
            for b in key.iter_mut().skip(8) {
                *b = 0;
            }
        }
        return key;
    }
    let mut key = [0u8; 16];
    key[10] = 0xff;
    key[11] = 0xff;
    crate::buf::copy(key.get_mut(12..).unwrap_or_default(), &peer.v4_or_flowinfo);
    key
}
