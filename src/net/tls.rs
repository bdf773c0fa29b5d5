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
    /// Bytes received into `rx`.
    rx_len: usize,
    /// Plaintext of the record at the front of `rx` not yet taken:
    /// `rx[data_at..data_end]`; the record is `rx[..record_len]`.
    data_at: usize,
    data_end: usize,
    record_len: usize,
    tx: &'static mut [u8],
    tx_len: usize,
    tx_sent: usize,
    /// The client sent close_notify; we did.
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
            rx_len: 0,
            data_at: 0,
            data_end: 0,
            record_len: 0,
            tx,
            tx_len: 0,
            tx_sent: 0,
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
        (self.rx_len, self.data_at, self.data_end, self.record_len) = (0, 0, 0, 0);
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
        self.rx_len > 0
    }

    /// What has been received and not yet processed.
    pub fn received(&self) -> &[u8] {
        self.rx.get(..self.rx_len).unwrap_or_default()
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
    pub fn read(
        &mut self,
        fd: BorrowedFd,
        dst: &mut [u8],
        cred: &Credentials,
    ) -> Result<usize, Errno> {
        loop {
            self.flush(fd)?;
            if self.data_at < self.data_end {
                let data = self.rx.get(self.data_at..self.data_end).unwrap_or_default();
                let n = data.len().min(dst.len());
                for (to, from) in dst.iter_mut().zip(data) {
                    *to = *from;
                }
                self.data_at += n;
                if self.data_at == self.data_end {
                    self.drop_record();
                }
                return Ok(n);
            }
            if self.closed {
                return Ok(0);
            }
            let received = self.rx.get(..self.rx_len).unwrap_or_default();
            // Not a TLS handshake record but what starts an HTTP request
            // line (a method's first letter).
            if !self.state.is_open()
                && self.rx_len > 0
                && received
                    .first()
                    .is_some_and(|&b| b != HANDSHAKE && b.is_ascii_uppercase())
            {
                self.plain = true;
                return Err(Errno::EPROTO);
            }
            // A ClientHello may come in fragments: join them first.
            let joined = match received.first() {
                Some(&HANDSHAKE) if !self.state.is_open() => {
                    record::join_handshake(self.rx, &mut self.rx_len)
                }
                _ => Ok(true),
            };
            let received = self.rx.get(..self.rx_len).unwrap_or_default();
            let len = match (joined, record::peek(received)) {
                (Err(alert), _) | (_, Some(Err(alert))) => return Err(self.fail(fd, alert)),
                (Ok(true), Some(Ok((_, len)))) if len <= self.rx_len => len,
                _ => {
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
            let mut failed = false;
            let mut entropy = |buf: &mut [u8]| failed |= sys::getrandom(buf).is_err();
            let mut out = Out {
                buf: &mut *self.tx,
                len: self.tx_len,
            };
            let rec = self.rx.get_mut(..len).unwrap_or_default();
            let event = match self.state.get() {
                Some(session) => session.read_record(rec, cred, &mut entropy, &mut out),
                None => Err(Alert::InternalError),
            };
            self.tx_len = out.len;
            self.record_len = len;
            match event {
                _ if failed => return Err(self.fail(fd, Alert::InternalError)),
                Err(alert) => return Err(self.fail(fd, alert)),
                Ok(Event::Data(n)) if n > 0 => {
                    (self.data_at, self.data_end) = (HEADER_BYTES, HEADER_BYTES + n);
                }
                Ok(Event::Data(_) | Event::Nothing) => self.drop_record(),
                Ok(Event::Closed) => self.closed = true,
                Ok(Event::Aborted) => return Err(Errno::ECONNRESET),
            }
        }
    }

    /// Removes the record at the front of `rx`, keeping what follows.
    fn drop_record(&mut self) {
        let len = self.record_len.min(self.rx_len);
        self.rx_len = super::move_to_front(self.rx, len, self.rx_len);
        (self.data_at, self.data_end, self.record_len) = (0, 0, 0);
    }

    /// Sends `alert` (best effort) and gives the error that closes.
    fn fail(&mut self, fd: BorrowedFd, alert: Alert) -> Errno {
        self.alert(fd, alert);
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
        self.write_with(fd, |room| {
            let n = room.len().min(src.len());
            for (to, from) in room.iter_mut().zip(src) {
                *to = *from;
            }
            Ok(n)
        })
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
