//! HTTPS: a connection's TLS layer, between its socket and the HTTP state
//! machine. It reads records into `rx`, hands them whole to the pure
//! `tls::server::Session`, and gives the connection the plaintext; what
//! the connection sends is sealed a record at a time into `tx` and written
//! from there. Bodies are `pread` straight into the record, sealed in
//! place and sent: with no kernel TLS there is no `sendfile` (see the
//! README's HTTPS section for the kTLS path this shape leaves open).
//!
//! Every function returns like the syscall it replaces: `EAGAIN` when the
//! socket would block, any other error to close the connection. Ciphertext
//! of ours not yet written stays in `tx`; `pending` says so, and the
//! connection then waits for `EPOLLOUT` as well.

use crate::rt::sys::{self, BorrowedFd, Errno, Msg};
use crate::tls::record::{self, HEADER_BYTES, MAX_RECORD_BYTES};
use crate::tls::server::{Credentials, Event, Out, Session};
use crate::tls::{Alert, record::HANDSHAKE};
use core::mem::MaybeUninit;

/// Bytes of a connection's receive buffer: one whole record, the most
/// the peer may send at once (RFC 8446 §5.2).
pub const RX_BYTES: usize = MAX_RECORD_BYTES;

/// The most records one `read` processes before the connection yields
/// its turn: 256 KiB of full records, the same share of the worker as a
/// turn's send budget (`conn::SEND_BUDGET_BYTES`).
pub const MAX_RECORDS_PER_READ: u32 = 16;

/// The most records in a row that carry no data (empty application data,
/// KeyUpdates) before the connection is ended with `unexpected_message`:
/// BoringSSL's limits (32 of each), so a client cannot make the server
/// spin on nothing.
pub const MAX_EMPTY_RECORDS: u32 = 32;

/// What `read` returns when it has processed its share of records and
/// more may wait: the connection takes its next turn later.
pub const YIELD: Errno = Errno::EBUSY;

/// Bytes of its send buffer: one full record, plus what may precede it
/// in the same write: the ServerHello and ChangeCipherSpec before the
/// encrypted flight, or a KeyUpdate before a data record.
pub const TX_BYTES: usize = MAX_RECORD_BYTES + 512;

/// A connection slot's TLS session: memory mapped at start but written
/// only when the slot first serves a TLS connection, so idle slots cost
/// nothing (a session is ~2.5 KB, mostly two keyed AEADs).
enum State {
    Untouched(&'static mut MaybeUninit<Session>),
    Used(&'static mut Session),
    /// Only while switching from one to the other.
    Switching,
}

impl State {
    fn get(&mut self) -> Option<&mut Session> {
        match self {
            State::Used(session) => Some(session),
            _ => None,
        }
    }

    fn is_open(&self) -> bool {
        matches!(self, State::Used(session) if session.is_open())
    }
}

/// One connection's TLS state and buffers.
pub struct Tls {
    state: State,
    rx: &'static mut [u8],
    /// Received bytes not yet processed: `rx[rx_start..rx_len]` (records
    /// are consumed by moving `rx_start`; the rest moves to the front
    /// only before a read needs the room).
    rx_start: usize,
    rx_len: usize,
    /// Plaintext of the record at the front of `rx` not yet taken:
    /// `rx[data_at..data_end]`; the record is `rx[..record_len]`.
    data_at: usize,
    data_end: usize,
    record_len: usize,
    tx: &'static mut [u8],
    tx_len: usize,
    tx_sent: usize,
    /// Records in a row that carried nothing (see `MAX_EMPTY_RECORDS`),
    /// and fragments of the ClientHello joined so far.
    empty_run: u32,
    joins: u32,
    /// The client sent close_notify; we did (or ended with an alert).
    closed: bool,
    notified: bool,
    /// The connection's first bytes were not a TLS record but plain
    /// HTTP: the connection answers `400` in clear (`plain_http`).
    plain: bool,
}

impl Tls {
    /// A fresh layer over the two buffers and the session's room (all
    /// untouched until used).
    pub fn new(
        rx: &'static mut [u8],
        tx: &'static mut [u8],
        session: &'static mut MaybeUninit<Session>,
    ) -> Tls {
        Tls {
            state: State::Untouched(session),
            rx,
            rx_start: 0,
            rx_len: 0,
            data_at: 0,
            data_end: 0,
            record_len: 0,
            tx,
            tx_len: 0,
            tx_sent: 0,
            empty_run: 0,
            joins: 0,
            closed: false,
            notified: false,
            plain: false,
        }
    }

    /// Starts over for a new connection; the old session's secrets are
    /// zeroized as it drops.
    pub fn reset(&mut self) {
        self.state = match core::mem::replace(&mut self.state, State::Switching) {
            State::Untouched(room) => State::Used(room.write(Session::new())),
            State::Used(session) => {
                *session = Session::new();
                State::Used(session)
            }
            State::Switching => State::Switching,
        };
        (self.rx_start, self.rx_len) = (0, 0);
        (self.data_at, self.data_end, self.record_len) = (0, 0, 0);
        (self.empty_run, self.joins) = (0, 0);
        (self.tx_len, self.tx_sent) = (0, 0);
        (self.closed, self.notified, self.plain) = (false, false, false);
    }

    /// Ciphertext of ours waits to be written.
    pub fn pending(&self) -> bool {
        self.tx_sent < self.tx_len
    }

    /// The first bytes were plain HTTP: say so in clear.
    pub fn plain_http(&self) -> bool {
        self.plain
    }

    /// Received bytes wait here (records, or plaintext not yet taken):
    /// the socket may not become readable again for them.
    pub fn buffered(&self) -> bool {
        self.rx_len > self.rx_start
    }

    /// What has been received and not yet processed.
    pub fn received(&self) -> &[u8] {
        self.rx.get(self.rx_start..self.rx_len).unwrap_or_default()
    }

    /// Gives the pages of its record buffers back (`sys::madvise_dontneed`)
    /// when nothing waits in either: an idle keep-alive connection then
    /// keeps only its session. Their contents are never read again before
    /// they are written.
    pub fn release_buffers(&mut self) {
        if self.pending() || self.buffered() || self.data_at < self.data_end {
            return;
        }
        let _ = sys::madvise_dontneed(self.rx);
        let _ = sys::madvise_dontneed(self.tx);
    }

    /// Writes what waits in `tx`; `EAGAIN` if some is left.
    pub fn flush(&mut self, fd: BorrowedFd) -> Result<(), Errno> {
        while let Some(rest) = self
            .tx
            .get(self.tx_sent..self.tx_len)
            .filter(|r| !r.is_empty())
        {
            match sys::send(fd, rest, Msg::NOSIGNAL) {
                Ok(n) => self.tx_sent += n,
                Err(Errno::EINTR) => {}
                Err(e) => return Err(e),
            }
        }
        (self.tx_len, self.tx_sent) = (0, 0);
        Ok(())
    }

    /// Reads plaintext into `dst`, doing the handshake first: like
    /// read(2), 0 at the end of the client's data (close_notify or EOF).
    /// Takes the plaintext of as many buffered records as fit, but
    /// processes at most `MAX_RECORDS_PER_READ` records a call: past that,
    /// `YIELD` (the connection waits for its next turn, so a client
    /// streaming records cannot keep the worker to itself).
    pub fn read(
        &mut self,
        fd: BorrowedFd,
        dst: &mut [u8],
        cred: &Credentials,
    ) -> Result<usize, Errno> {
        let mut copied = 0;
        let mut records = 0;
        loop {
            match self.flush(fd) {
                Ok(()) => {}
                Err(Errno::EAGAIN) if copied > 0 => return Ok(copied),
                Err(e) => return Err(e),
            }
            if self.data_at < self.data_end {
                let data = self.rx.get(self.data_at..self.data_end).unwrap_or_default();
                let free = dst.get_mut(copied..).unwrap_or_default();
                let n = crate::buf::copy(free, data);
                (self.data_at, copied) = (self.data_at + n, copied + n);
                if self.data_at == self.data_end {
                    self.drop_record();
                }
                if copied == dst.len() {
                    return Ok(copied);
                }
                continue;
            }
            if self.closed {
                return Ok(copied);
            }
            if records == MAX_RECORDS_PER_READ {
                return if copied > 0 { Ok(copied) } else { Err(YIELD) };
            }
            let open = self.state.is_open();
            let received = self.rx.get(self.rx_start..self.rx_len).unwrap_or_default();
            // Not a TLS handshake record but what starts an HTTP request
            // line (a method's first letter).
            if !open
                && self.rx_start == 0
                && received
                    .first()
                    .is_some_and(|&b| b != HANDSHAKE && b.is_ascii_uppercase())
            {
                self.plain = true;
                return Err(Errno::EPROTO);
            }
            // A ClientHello may come in fragments: join them first.
            let joined = match received.first() {
                Some(&HANDSHAKE) if !open => {
                    let mut filled = self.rx_len - self.rx_start;
                    let rest = self.rx.get_mut(self.rx_start..).unwrap_or_default();
                    let joined = record::join_handshake(rest, &mut filled, &mut self.joins);
                    self.rx_len = self.rx_start + filled;
                    joined
                }
                _ => Ok(true),
            };
            let received = self.rx.get(self.rx_start..self.rx_len).unwrap_or_default();
            let len = match (joined, record::peek(received)) {
                (Err(alert), _) | (_, Some(Err(alert))) => return Err(self.fail(fd, alert)),
                (Ok(true), Some(Ok((_, len)))) if len <= received.len() => len,
                _ if copied > 0 => return Ok(copied),
                _ => {
                    // Room for the rest of the record: at the front.
                    self.rx_len = super::move_to_front(self.rx, self.rx_start, self.rx_len);
                    self.rx_start = 0;
                    let free = self.rx.get_mut(self.rx_len..).unwrap_or_default();
                    if free.is_empty() {
                        // A message larger than a record buffer.
                        return Err(self.fail(fd, Alert::RecordOverflow));
                    }
                    match sys::read(fd, free) {
                        Ok(0) => return Ok(0),
                        Ok(n) => self.rx_len += n,
                        Err(Errno::EINTR) => {}
                        Err(e) => return Err(e),
                    }
                    continue;
                }
            };
            records += 1;
            let mut entropy = |buf: &mut [u8]| sys::getrandom(buf).is_ok();
            let mut out = Out {
                buf: &mut *self.tx,
                len: self.tx_len,
            };
            let start = self.rx_start;
            let rec = self.rx.get_mut(start..start + len).unwrap_or_default();
            let event = match self.state.get() {
                Some(session) => session.read_record(rec, cred, &mut entropy, &mut out),
                None => Err(Alert::InternalError),
            };
            self.tx_len = out.len;
            self.record_len = len;
            match event {
                Err(alert) => return Err(self.fail(fd, alert)),
                Ok(Event::Data(n)) if n > 0 => {
                    self.empty_run = 0;
                    (self.data_at, self.data_end) =
                        (start + HEADER_BYTES, start + HEADER_BYTES + n);
                }
                Ok(Event::Data(_) | Event::Nothing) => {
                    // Records that carry nothing (empty ones, KeyUpdates)
                    // are allowed in short runs only, as BoringSSL does.
                    if open {
                        self.empty_run += 1;
                        if self.empty_run > MAX_EMPTY_RECORDS {
                            return Err(self.fail(fd, Alert::UnexpectedMessage));
                        }
                    }
                    self.drop_record();
                }
                Ok(Event::Closed) => self.closed = true,
                Ok(Event::Aborted) => {
                    // The client ended it with an error: nothing more to say.
                    self.notified = true;
                    return Err(Errno::ECONNRESET);
                }
            }
        }
    }

    /// Moves past the record at the front of `rx`.
    fn drop_record(&mut self) {
        self.rx_start += self.record_len;
        if self.rx_start >= self.rx_len {
            (self.rx_start, self.rx_len) = (0, 0);
        }
        (self.data_at, self.data_end, self.record_len) = (0, 0, 0);
    }

    /// Sends `alert` (best effort) and gives the error that closes; no
    /// close_notify follows a fatal alert.
    fn fail(&mut self, fd: BorrowedFd, alert: Alert) -> Errno {
        self.alert(fd, alert);
        self.notified = true;
        Errno::EPROTO
    }

    /// Queues `alert` and tries once to write it with what waits before.
    fn alert(&mut self, fd: BorrowedFd, alert: Alert) {
        let mut out = Out {
            buf: &mut *self.tx,
            len: self.tx_len,
        };
        if let Some(session) = self.state.get() {
            session.alert(alert, &mut out);
        }
        self.tx_len = out.len;
        let _ = self.flush(fd);
    }

    /// Ends our side cleanly: close_notify (RFC 8446 §6.1).
    pub fn close_notify(&mut self, fd: BorrowedFd) {
        if self.state.is_open() && !self.plain && !self.notified {
            self.notified = true;
            self.alert(fd, Alert::CloseNotify);
        }
    }

    /// Seals up to one record of `src`; like send(2), returns how much of
    /// it is taken (then ours to deliver).
    pub fn write(&mut self, fd: BorrowedFd, src: &[u8]) -> Result<usize, Errno> {
        if self.plain {
            return sys::send(fd, src, Msg::NOSIGNAL);
        }
        self.write_with(fd, |room| Ok(crate::buf::copy(room, src)))
    }

    /// Reads up to `count` bytes of `file` at `*offset` into a record,
    /// seals and sends it: sendfile(2) over TLS.
    pub fn write_file(
        &mut self,
        fd: BorrowedFd,
        file: BorrowedFd,
        offset: &mut u64,
        count: usize,
    ) -> Result<usize, Errno> {
        let at = *offset;
        let n = self.write_with(fd, |room| {
            let room = room.get_mut(..count.min(room.len())).unwrap_or_default();
            sys::pread(file, room, at)
        })?;
        *offset += n as u64;
        Ok(n)
    }

    /// Flushes, lets `fill` write plaintext into the next record's room,
    /// seals what it wrote and starts writing it.
    fn write_with(
        &mut self,
        fd: BorrowedFd,
        fill: impl FnOnce(&mut [u8]) -> Result<usize, Errno>,
    ) -> Result<usize, Errno> {
        self.flush(fd)?;
        let mut out = Out {
            buf: &mut *self.tx,
            len: self.tx_len,
        };
        let Some(session) = self.state.get() else {
            return Err(Errno::EPROTO);
        };
        let filled = fill(session.data_room(&mut out));
        if let Ok(n @ 1..) = filled {
            session.seal_data(&mut out, n);
        }
        // A KeyUpdate may have gone in before the data, filled or not.
        self.tx_len = out.len;
        let n = filled?;
        match self.flush(fd) {
            Ok(()) | Err(Errno::EAGAIN) => Ok(n),
            Err(e) => Err(e),
        }
    }
}
