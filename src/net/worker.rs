//! A worker process: one epoll loop over the shared listeners, a signalfd
//! and a fixed table of connections mapped once at start. Timeouts come
//! from one source, the `epoll_wait` timeout: once a second the loop
//! sweeps the table for connections past their deadline. Access-log lines
//! are batched and written once per loop turn.

use crate::buf::Buf;
use crate::fs::cache::Files;
use crate::fs::listing::NAME_ARENA_BYTES;
use crate::http::date;
use crate::http::request::MAX_HEAD_BYTES;
use crate::http::response::Common;
use crate::log::Log;
use crate::net::conn::{Conn, Cx, NO_SLOT, Next, OUT_BYTES};
use crate::net::listen::MAX_LISTENERS;
#[cfg(feature = "tls")]
use crate::net::tls;
use crate::rt::lazy::Lazy;
use crate::rt::out::{self, MAX_LINE_BYTES};
use crate::rt::sys::{
    self, BorrowedFd, CStr, Clock, Epoll, EpollEvent, EpollOp, Errno, Open, OwnedFd, SIGHUP,
    SIGINT, SIGTERM, SigSet, Sock,
};
use crate::sandbox::{self, Mode, Support};
use crate::serve::upload::{MAX_UPLOADS_IN_FLIGHT, Spare};
use crate::serve::{MAX_LISTINGS_PER_TURN, PAGE_BYTES, Scratch, Site};

/// Events taken from one `epoll_wait`: enough that a busy turn serves
/// many connections per syscall, small enough for the stack (12 bytes
/// each).
const MAX_EVENTS: usize = 256;

/// epoll user data of the signalfd; listener `i` is
/// `FIRST_LISTENER_TOKEN + i`, connection slot `i` is
/// `FIRST_SLOT_TOKEN + i`.
const SIGNAL_TOKEN: u64 = 0;
const FIRST_LISTENER_TOKEN: u64 = 1;
const MOUNTS_TOKEN: u64 = FIRST_LISTENER_TOKEN + MAX_LISTENERS as u64;
const FIRST_SLOT_TOKEN: u64 = MOUNTS_TOKEN + 1;

/// Where a worker learns that the mount table changed (proc(5): poll
/// says `EPOLLPRI`): a file system mounted over a cached directory makes
/// no inotify event, so the file cache starts afresh.
const MOUNTINFO: &[u8] = b"/proc/self/mountinfo\0";

/// How often, in milliseconds, the loop wakes to sweep timeouts and to
/// retry accepting after running out of descriptors.
const TICK_MS: i32 = 1000;

/// The most connections accepted in one turn: a connect flood, each new
/// connection evicting an idle one, must not keep the worker from its
/// other connections, its timeouts and its signals. The listener stays
/// ready, so the rest are taken next turn.
const MAX_ACCEPTS_PER_TURN: u32 = 256;

/// Connections a worker accepts from a listener before it registers that
/// listener with its epoll set again. Workers wait on a shared listener
/// with `EPOLLEXCLUSIVE`, and the kernel wakes the first idle one in the
/// order they registered: at light load one worker would take every
/// connection, and keep-alive connections stay where they landed (64 of
/// 64 in one of two workers, measured; SCALING.md). Registering again
/// moves the worker to the back of that order, so the next idle worker
/// takes the next connections (32 and 33 of 65). nginx does the same,
/// every 16 (`ngx_reorder_accept_events`). Two `epoll_ctl` calls per 16
/// connections.
const ACCEPTS_PER_REGISTRATION: u32 = 16;

/// Descriptors one connection may hold at once: its socket, and the file
/// or listing page its answer reads from.
const FDS_PER_CONNECTION: usize = 2;

/// The worker's own descriptors, besides its connections: standard
/// streams, the root, epoll, the signalfd, inotify, the mount table, the
/// log, up to `MAX_LISTENERS` listeners, and a few to spare (a listing's
/// directory, an upload's). With its connections, the limit a batch of
/// new connections must stay under (`accept_all`).
const WORKER_FDS: usize = 32;

/// Seconds in-flight responses get to finish after SIGTERM or SIGINT
/// (after SIGHUP, a reload's hand-over, they get what they need).
pub const SHUTDOWN_GRACE_SECS: i64 = 10;

/// What a worker is given by the supervisor.
pub struct Setup<'a> {
    /// The listening sockets (one, or those systemd passed).
    pub listeners: &'a [BorrowedFd<'a>],
    pub site: Site<'a>,
    pub max_connections: usize,
    /// RLIMIT_NOFILE, as the supervisor raised it.
    pub max_open_files: usize,
    pub timeout_secs: u32,
    pub quiet: bool,
    /// Where access-log lines go: standard error, or `--log FILE`.
    pub log_fd: BorrowedFd<'a>,
    /// `--log-format`.
    pub log_format: crate::log::Format,
    /// `--sandbox`, and what the kernel offers for it.
    pub sandbox: Mode,
    pub support: Support,
    /// The key and certificates, when serving HTTPS.
    #[cfg(feature = "tls")]
    pub tls: Option<&'a crate::tls::server::Credentials>,
}

/// The memory of the slots not written yet: each takes its buffers from
/// the front.
struct Unused {
    /// An input and an output buffer per slot.
    bufs: &'static mut [u8],
    /// Over HTTPS, two record buffers (`RX_STRIDE`, `TX_STRIDE`) and a
    /// session's room per slot.
    #[cfg(feature = "tls")]
    tls_bufs: Option<(
        &'static mut [u8],
        &'static mut [core::mem::MaybeUninit<crate::tls::server::Session>],
    )>,
}

impl Unused {
    /// The next slot, with its buffers. The mappings hold exactly
    /// `--max-connections` slots, so no split comes short.
    fn next_conn(&mut self) -> Conn {
        let (input, rest) = core::mem::take(&mut self.bufs)
            .split_at_mut_checked(MAX_HEAD_BYTES)
            .unwrap_or_default();
        let (out, rest) = rest.split_at_mut_checked(OUT_BYTES).unwrap_or_default();
        self.bufs = rest;
        #[allow(unused_mut)]
        let mut conn = Conn::new(input, out);
        #[cfg(feature = "tls")]
        if let Some((tls_bufs, sessions)) = self.tls_bufs.as_mut() {
            let (rx, rest) = core::mem::take(tls_bufs)
                .split_at_mut_checked(RX_STRIDE)
                .unwrap_or_default();
            let (tx, rest) = rest.split_at_mut_checked(TX_STRIDE).unwrap_or_default();
            *tls_bufs = rest;
            let rx = rx.get_mut(..tls::RX_BYTES).unwrap_or_default();
            let tx = tx.get_mut(..tls::TX_BYTES).unwrap_or_default();
            if let Some((session, rest)) = core::mem::take(sessions).split_first_mut() {
                *sessions = rest;
                conn.tls = Some(tls::Tls::new(rx, tx, session));
            }
        }
        conn
    }
}

/// The connection slots and the stack of free ones.
struct Table {
    /// The slots written so far (all below `high_water`).
    conns: Lazy<Conn>,
    unused: Unused,
    free: &'static mut [u32],
    /// Free slots are `free[..free_len]`; the next one taken is the last.
    free_len: usize,
    /// Slots at and above this index have never been used: the sweep
    /// stops here.
    high_water: usize,
    /// Slots to drive again without an event (`Next::Yield`):
    /// `ready[..ready_len]`, at most one entry per slot.
    ready: &'static mut [u32],
    ready_len: usize,
    /// The idle connections, least recently active first, as a list
    /// linked through the slots (`NO_SLOT` when empty): those waiting for
    /// a request head from their client (just accepted, between
    /// keep-alive requests, or part of a head that stalls). When the
    /// table is full, a new connection takes the slot of the first
    /// instead of waiting: idle or trickling sockets cannot lock clients
    /// out.
    idle_head: u32,
    idle_tail: u32,
    /// RLIMIT_NOFILE (`Setup::max_open_files`).
    max_open_files: usize,
}

impl Table {
    fn used(&self) -> usize {
        self.conns.capacity() - self.free_len
    }

    fn take(&mut self) -> Option<usize> {
        self.free_len = self.free_len.checked_sub(1)?;
        let slot = *self.free.get(self.free_len)? as usize;
        // The free stack hands out the lowest slots first: a slot not
        // written yet is the next one.
        while self.conns.len() <= slot {
            let conn = self.unused.next_conn();
            self.conns.push(conn)?;
        }
        self.high_water = self.high_water.max(slot + 1);
        Some(slot)
    }

    /// Closes the connection in `slot` (if open) and frees the slot.
    fn release(&mut self, slot: usize) {
        self.set_idle(slot, false);
        let Some(conn) = self.conns.get_mut(slot).filter(|c| c.fd.is_some()) else {
            return;
        };
        if let Some(entry) = self.free.get_mut(self.free_len) {
            conn.close();
            *entry = slot as u32;
            self.free_len += 1;
        }
    }

    /// Puts `slot` at the end of the idle list, or takes it off.
    fn set_idle(&mut self, slot: usize, idle: bool) {
        let Some(conn) = self.conns.get_mut(slot) else {
            return;
        };
        if conn.idle_listed == idle {
            return;
        }
        conn.idle_listed = idle;
        let (prev, next) = (conn.idle_prev, conn.idle_next);
        if idle {
            (conn.idle_prev, conn.idle_next) = (self.idle_tail, NO_SLOT);
            match self.conns.get_mut(self.idle_tail as usize) {
                Some(tail) => tail.idle_next = slot as u32,
                None => self.idle_head = slot as u32,
            }
            self.idle_tail = slot as u32;
            return;
        }
        match self.conns.get_mut(prev as usize) {
            Some(before) => before.idle_next = next,
            None => self.idle_head = next,
        }
        match self.conns.get_mut(next as usize) {
            Some(after) => after.idle_prev = prev,
            None => self.idle_tail = prev,
        }
    }

    /// Makes room for a new connection in a full table by closing the
    /// least recently active idle one, as nginx reuses its oldest
    /// keep-alive connections. False when none is idle.
    fn evict_idle(&mut self) -> bool {
        let oldest = self.idle_head as usize;
        if oldest >= self.conns.len() {
            return false;
        }
        self.release(oldest);
        true
    }

    /// True when a new connection can be given a slot, freed or evicted.
    fn has_room(&self) -> bool {
        self.free_len > 0 || self.idle_head != NO_SLOT
    }

    /// True when one more connection, and the file its answer opens, fit
    /// in the descriptors left: all the connections held could be reading
    /// a file at once.
    fn fds_for_one_more(&self) -> bool {
        FDS_PER_CONNECTION * (self.used() + 1) + WORKER_FDS <= self.max_open_files
    }
}

/// Runs a worker until SIGTERM/SIGINT and its grace period end; returns
/// the exit code.
pub fn run(setup: Setup) -> i32 {
    let parts = match prepare(&setup) {
        Ok(parts) => parts,
        Err(e) => {
            out::error(b"a worker cannot start", e);
            return EXIT_CANNOT_START;
        }
    };
    // Everything is set up; confine the worker before its first accept.
    let root = setup.site.root.dir();
    if let Err(e) = sandbox::confine_worker(
        setup.sandbox,
        setup.support,
        root,
        sandbox::Writes::of(setup.site.options.upload, setup.site.options.overwrite),
    ) {
        out::error(b"a worker cannot confine itself", e);
        return EXIT_CANNOT_START;
    }
    match serve(setup, parts) {
        Ok(()) => 0,
        Err(e) => out::die(b"worker failed", e),
    }
}

/// The exit status of a worker that could not set itself up (mapping its
/// memory, creating its epoll set, confining itself): the supervisor then
/// gives up rather than restart it forever.
pub const EXIT_CANNOT_START: i32 = 3;

/// The room of a slot's TLS record buffers, whole pages each.
#[cfg(feature = "tls")]
const RX_STRIDE: usize = tls::RX_BYTES.next_multiple_of(4096);
#[cfg(feature = "tls")]
const TX_STRIDE: usize = tls::TX_BYTES.next_multiple_of(4096);

/// What a worker sets up before serving.
struct Parts<'a> {
    table: Table,
    scratch: Scratch,
    files: Files,
    /// /proc/self/mountinfo, while the cache is on (`MOUNTS_TOKEN`).
    mounts: Option<OwnedFd>,
    log: Log<'a>,
    ep: OwnedFd,
    signals: OwnedFd,
}

fn prepare<'a>(setup: &Setup<'a>) -> Result<Parts<'a>, Errno> {
    let n = setup.max_connections;
    // All memory the worker uses, mapped once: an input and an output
    // buffer per slot, the listing scratch, and the log batch. Pages cost
    // memory only when first touched.
    let slot_bytes = MAX_HEAD_BYTES + OUT_BYTES;
    let mem = sys::mmap_anonymous(n * slot_bytes + NAME_ARENA_BYTES + PAGE_BYTES + MAX_LINE_BYTES)?;
    let (bufs, rest) = mem
        .split_at_mut_checked(n * slot_bytes)
        .ok_or(Errno::ENOMEM)?;
    let (names, rest) = rest
        .split_at_mut_checked(NAME_ARENA_BYTES)
        .ok_or(Errno::ENOMEM)?;
    let (page, log_mem) = rest.split_at_mut_checked(PAGE_BYTES).ok_or(Errno::ENOMEM)?;
    // Over HTTPS, a record buffer each way per slot, mapped the same way,
    // each starting on a page so an idle connection gives all but their
    // last pages back (`Conn::release_buffers`).
    #[cfg(feature = "tls")]
    let (tls_bufs, sessions) = match setup.tls {
        Some(_) => (
            sys::mmap_anonymous(n * (RX_STRIDE + TX_STRIDE))?,
            sys::mmap_uninit(n)?,
        ),
        None => (&mut [][..], &mut [][..]),
    };
    // Slots are written as they are first taken (`Table::take`), so a
    // worker's resident memory follows its busiest moment, not
    // `--max-connections`.
    let conns = Lazy::new(n)?;
    let unused = Unused {
        bufs,
        #[cfg(feature = "tls")]
        tls_bufs: match setup.tls {
            Some(_) => Some((tls_bufs, sessions)),
            None => None,
        },
    };
    // Lowest slots on top of the stack: the table stays dense.
    let free = sys::mmap_array(n, |i| (n - 1 - i) as u32)?;
    let ready = sys::mmap_array(n, |_| 0u32)?;
    let table = Table {
        conns,
        unused,
        free,
        free_len: n,
        high_water: 0,
        ready,
        ready_len: 0,
        idle_head: NO_SLOT,
        idle_tail: NO_SLOT,
        max_open_files: setup.max_open_files,
    };
    let uploads = sys::mmap_array(MAX_UPLOADS_IN_FLIGHT, |_| Spare::new())?;
    let scratch = Scratch {
        uploads,
        names,
        page,
        renders_left: MAX_LISTINGS_PER_TURN,
        line_waiting: false,
        in_line: false,
        guard: crate::auth::Guard::new(),
    };
    let log = Log::new(log_mem, setup.log_fd, setup.log_format);
    // The cache's watches are added by path, relative to the working
    // directory: the root. Without inotify, it is off, and said so.
    let files = match setup.site.options.file_cache {
        true => sys::fchdir(setup.site.root.dir())
            .and_then(|()| Files::new(setup.site.root))
            .unwrap_or_else(|e| {
                out::error(b"file cache off: inotify", e);
                Files::off()
            }),
        false => Files::off(),
    };
    let ep = sys::epoll_create1()?;
    let signals = sys::signalfd(SigSet::of(&[SIGINT, SIGTERM, SIGHUP]), false)?;
    let ev = EpollEvent::new(Epoll::IN, SIGNAL_TOKEN);
    sys::epoll_ctl(ep.as_fd(), EpollOp::Add, signals.as_fd(), ev)?;
    // Without /proc (a bare container), mounts made beneath the root
    // while serving are not seen: the README says to reload then.
    let mounts = match files.on() {
        true => CStr::new(MOUNTINFO).and_then(|path| {
            sys::openat(BorrowedFd::CWD, path, Open::RDONLY.with(Open::CLOEXEC)).ok()
        }),
        false => None,
    };
    if let Some(mounts) = mounts.as_ref() {
        let ev = EpollEvent::new(Epoll::PRI, MOUNTS_TOKEN);
        sys::epoll_ctl(ep.as_fd(), EpollOp::Add, mounts.as_fd(), ev)?;
    }
    Ok(Parts {
        table,
        scratch,
        files,
        mounts,
        log,
        ep,
        signals,
    })
}

fn serve(setup: Setup, parts: Parts) -> Result<(), Errno> {
    let Parts {
        mut table,
        mut scratch,
        mut files,
        mounts: _mounts,
        mut log,
        ep,
        signals,
    } = parts;
    let listeners = setup.listeners;
    let mut accepting = false;
    // Connections accepted from each listener since it was registered.
    let mut since_registered = [0u32; MAX_LISTENERS];
    // Set after EMFILE and friends: no accepting until the next tick.
    let mut accept_paused = false;
    let mut stopping_at: Option<i64> = None;
    let timeout_secs = i64::from(setup.timeout_secs);
    let idle_secs = (timeout_secs / 2).max(1);
    let mut events = [EpollEvent::new(Epoll::IN, 0); MAX_EVENTS];
    let mut next_tick = 0i64;
    let mut date_mem = [0u8; date::IMF_FIXDATE_BYTES];
    let mut date_secs = i64::MIN;
    let mut wall_offset_ns = 0i64;

    loop {
        // Be woken by the listener only while a new connection can be
        // taken: the table full, descriptors exhausted, or shutting down
        // all stop accepting, so the loop never spins on a ready listener.
        let want = stopping_at.is_none() && !accept_paused && table.has_room();
        if want != accepting {
            let op = if want { EpollOp::Add } else { EpollOp::Del };
            for (token, listener) in (FIRST_LISTENER_TOKEN..).zip(listeners) {
                sys::epoll_ctl(ep.as_fd(), op, *listener, listener_event(token))?;
            }
            since_registered = [0; MAX_LISTENERS];
            accepting = want;
        }
        // Connections with their turn pending: look at events, don't wait.
        let wait_ms = if table.ready_len > 0 { 0 } else { TICK_MS };
        let ready = match sys::epoll_wait(ep.as_fd(), &mut events, wait_ms) {
            Ok(k) => k,
            Err(Errno::EINTR) => 0,
            Err(e) => return Err(e),
        };
        // One clock read per turn: the wall clock is derived from the
        // monotonic one, with the offset between them re-read every tick.
        let (secs, nanos) = sys::clock_gettime(Clock::Monotonic);
        let now = secs;
        let now_us = nanos_of(secs, nanos).div_euclid(NANOS_PER_MICRO);
        if now >= next_tick {
            let (wall_secs, wall_nanos) = sys::clock_gettime(Clock::Realtime);
            wall_offset_ns = nanos_of(wall_secs, wall_nanos).wrapping_sub(nanos_of(secs, nanos));
        }
        let wall = (nanos_of(secs, nanos).wrapping_add(wall_offset_ns)).div_euclid(NANOS_PER_SEC);
        if wall != date_secs {
            date_secs = wall;
            date::imf_fixdate(&mut Buf::new(&mut date_mem), wall);
        }
        let site = Site {
            common: Common {
                date: &date_mem,
                now: wall,
                ..setup.site.common
            },
            closing: stopping_at.is_some(),
            ..setup.site
        };
        scratch.renders_left = MAX_LISTINGS_PER_TURN;
        let mut cx = Cx {
            site: &site,
            scratch: &mut scratch,
            files: &mut files,
            log: if setup.quiet { None } else { Some(&mut log) },
            now,
            now_us,
            request_us: now_us,
            wall,
            timeout_secs,
            idle_secs,
            #[cfg(feature = "tls")]
            tls: setup.tls,
        };

        // Every ready connection's request is read first, then the file
        // cache's events once: each request read this turn is answered
        // knowing every change made before it was sent.
        for ev in events.iter().take(ready) {
            if ev.data() == MOUNTS_TOKEN {
                cx.files.forget();
            }
            let slot = ev.data().wrapping_sub(FIRST_SLOT_TOKEN) as usize;
            if ev.data() >= FIRST_SLOT_TOKEN
                && let Some(conn) = table
                    .conns
                    .get_mut(slot)
                    .filter(|c| c.fd.is_some() && !c.queued)
            {
                conn.prefetch(&mut cx);
                // Off the idle list until driven below (which puts it
                // back if it still waits): a request read this turn must
                // not be given up for a new connection accepted first.
                table.set_idle(slot, false);
            }
        }
        cx.files.settle();

        for ev in events.iter().take(ready) {
            match ev.data() {
                MOUNTS_TOKEN => {}
                token if token < FIRST_SLOT_TOKEN && token >= FIRST_LISTENER_TOKEN => {
                    let index = (token - FIRST_LISTENER_TOKEN) as usize;
                    if let Some(listener) = listeners.get(index) {
                        let taken =
                            accept_all(&ep, *listener, &mut table, &mut cx, &mut accept_paused);
                        // Registered until the top of the next turn,
                        // even if the table filled up meanwhile.
                        if let Some(count) = since_registered.get_mut(index) {
                            *count += taken;
                            if *count >= ACCEPTS_PER_REGISTRATION {
                                *count = 0;
                                let ev = listener_event(token);
                                sys::epoll_ctl(ep.as_fd(), EpollOp::Del, *listener, ev)?;
                                sys::epoll_ctl(ep.as_fd(), EpollOp::Add, *listener, ev)?;
                            }
                        }
                    }
                }
                SIGNAL_TOKEN => {
                    while let Some(signal) = sys::read_signal(signals.as_fd()) {
                        // SIGHUP: fresh workers have taken over (a reload);
                        // finish every response, however long it takes.
                        // SIGTERM, SIGINT: the server stops; at most the
                        // grace period.
                        let at = if signal == SIGHUP {
                            i64::MAX
                        } else {
                            now + SHUTDOWN_GRACE_SECS
                        };
                        stopping_at = Some(stopping_at.map_or(at, |t| t.min(at)));
                    }
                }
                token => {
                    let slot = (token - FIRST_SLOT_TOKEN) as usize;
                    // One on the ready list gets its turn there, in order
                    // (a deferred listing must not jump the line because
                    // its socket is still readable or writable).
                    if !table.conns.get(slot).is_some_and(|c| c.queued) {
                        drive(&ep, &mut table, slot, &mut cx);
                    }
                }
            }
        }

        // The connections that yielded last turn get their next one; those
        // that yield again are listed after them for the turn after. The
        // first listing waiting in line gets this turn's render if a new
        // request did not take it first (when nothing waited); whether
        // any still waits tells the next turn's new requests to line up.
        let mut waiting = false;
        let turns = table.ready_len;
        for i in 0..turns {
            let slot = table.ready.get(i).map_or(usize::MAX, |&s| s as usize);
            if let Some(conn) = table.conns.get_mut(slot) {
                conn.queued = false;
                drive(&ep, &mut table, slot, &mut cx);
                if table
                    .conns
                    .get(slot)
                    .is_some_and(|c| c.fd.is_some() && c.is_deferred())
                {
                    waiting = true;
                }
            }
        }
        cx.scratch.line_waiting = waiting;
        // Those listed during this pass move up for the next.
        table.ready_len = super::move_to_front(table.ready, turns, table.ready_len);

        if now >= next_tick || stopping_at.is_some() {
            next_tick = now + 1;
            accept_paused = false;
            let give_up = stopping_at.is_some_and(|at| now >= at);
            for slot in 0..table.high_water {
                let Some(conn) = table.conns.get(slot) else {
                    break;
                };
                // Stopping (or handing over to fresh workers after a
                // SIGHUP), an idle connection is closed once it has been
                // idle a whole second: one just accepted, or whose client
                // is about to send its next request, is answered instead
                // (with `Connection: close`) rather than cut off.
                let idle = conn.is_idle() && conn.idle_since() + 1 < now;
                let stop = stopping_at.is_some() && (give_up || idle);
                if conn.fd.is_some() && (now > conn.deadline || stop) {
                    table.release(slot);
                } else if let Some(conn) = table.conns.get_mut(slot).filter(|c| c.fd.is_some()) {
                    conn.release_buffers(now);
                }
            }
        }
        log.flush();
        if stopping_at.is_some() && table.used() == 0 {
            return Ok(());
        }
    }
}

const NANOS_PER_SEC: i64 = 1_000_000_000;
const NANOS_PER_MICRO: i64 = 1_000;

/// A clock reading in nanoseconds (an i64 holds them until 2262).
fn nanos_of(secs: i64, nanos: u32) -> i64 {
    secs.wrapping_mul(NANOS_PER_SEC)
        .wrapping_add(i64::from(nanos))
}

/// How a worker waits on a listener: woken with at most a few others
/// (`EPOLLEXCLUSIVE`), not all of them, for each new connection.
fn listener_event(token: u64) -> EpollEvent {
    EpollEvent::new(Epoll::IN.with(Epoll::EXCLUSIVE), token)
}

/// Accepts every waiting connection there is room for, closing the
/// oldest idle connections to make room when the table is full, and
/// answers those whose request has arrived; returns how many it accepted.
/// It goes in batches, like the loop's ready connections: accept and read
/// all that wait, read the file cache's events once, drive each; then
/// look again, since a client answered may already be back (a script
/// fetching one URL after another). One read of the event queue per
/// batch, not one per connection. A batch stops short of the descriptors
/// its answers need (`fds_for_one_more`): with few left, each connection
/// is answered, and its file closed, before the next is accepted, rather
/// than the last of a batch meeting EMFILE as a 503.
fn accept_all(
    ep: &OwnedFd,
    listener: BorrowedFd,
    table: &mut Table,
    cx: &mut Cx,
    paused: &mut bool,
) -> u32 {
    // Descriptors freed by eviction after EMFILE, at most one a turn: an
    // EMFILE says nothing of whether a client is waiting.
    let mut evicted_for_fd = false;
    let mut attempts = 0;
    let mut taken = 0;
    let mut slots = [0u32; MAX_ACCEPTS_PER_TURN as usize];
    let mut more = true;
    while more {
        let mut batch = 0;
        while table.has_room()
            && attempts < MAX_ACCEPTS_PER_TURN
            && (batch == 0 || table.fds_for_one_more())
        {
            attempts += 1;
            match sys::accept4(listener, Sock::NONBLOCK.with(Sock::CLOEXEC)) {
                Ok((fd, peer)) => {
                    if table.free_len == 0 {
                        table.evict_idle();
                    }
                    let Some(slot) = table.take() else { break };
                    if let (Some(conn), Some(entry)) =
                        (table.conns.get_mut(slot), slots.get_mut(batch))
                    {
                        conn.open(fd, peer, cx.now, cx.timeout_secs);
                        // Most clients send their request right after
                        // connecting; the socket joins epoll only once
                        // it has to wait (`drive` below).
                        conn.prefetch(cx);
                        *entry = slot as u32;
                        batch += 1;
                    }
                }
                Err(Errno::EMFILE | Errno::ENFILE) if !evicted_for_fd && table.evict_idle() => {
                    evicted_for_fd = true;
                }
                Err(Errno::EMFILE | Errno::ENFILE | Errno::ENOBUFS | Errno::ENOMEM) => {
                    *paused = true;
                    break;
                }
                // That client left before we took it: try the next one.
                Err(Errno::ECONNABORTED | Errno::EPROTO | Errno::EPERM) => {}
                // EAGAIN: none left; EINVAL: the listener was shut down.
                Err(_) => break,
            }
        }
        cx.files.settle();
        for &slot in slots.iter().take(batch) {
            drive(ep, table, slot as usize, cx);
        }
        taken += batch as u32;
        more = batch > 0 && !*paused;
    }
    taken
}

/// Drives one connection and applies what it asks of epoll.
fn drive(ep: &OwnedFd, table: &mut Table, slot: usize, cx: &mut Cx) {
    // Off the idle list while it works; back at its end (the newest) if
    // it ends up idle again.
    table.set_idle(slot, false);
    // A stale event for a slot closed earlier in the same batch.
    let Some(conn) = table.conns.get_mut(slot).filter(|c| c.fd.is_some()) else {
        return;
    };
    match conn.drive(cx) {
        Next::Wait(interest) if Some(interest) == conn.interest => {}
        Next::Wait(interest) => {
            let ev = EpollEvent::new(interest, FIRST_SLOT_TOKEN + slot as u64);
            let op = if conn.interest.is_some() {
                EpollOp::Mod
            } else {
                EpollOp::Add
            };
            let changed = conn
                .fd
                .as_ref()
                .map(|fd| sys::epoll_ctl(ep.as_fd(), op, fd.as_fd(), ev));
            if let Some(Ok(())) = changed {
                conn.interest = Some(interest);
            } else {
                table.release(slot);
            }
        }
        Next::Yield if conn.queued => {}
        Next::Yield => {
            if let Some(entry) = table.ready.get_mut(table.ready_len) {
                *entry = slot as u32;
                table.ready_len += 1;
                conn.queued = true;
            }
        }
        Next::Close => table.release(slot),
    }
    if table
        .conns
        .get(slot)
        .is_some_and(|c| c.fd.is_some() && c.waits_for_client())
    {
        table.set_idle(slot, true);
    }
}
