#!/usr/bin/env python3
"""Soak test for httpd: runs the real release binary for a while under a
mixed, fully verified workload and watches its workers for leaks.

    python3 scripts/soak.py --seconds 60 --connections 200

It builds a fixture tree in a temporary directory, starts
`BINARY 0 -b 127.0.0.1 -d FIXTURE -w WORKERS -q`, and keeps M client
connections busy until the deadline. Each connection loops, picking a
request kind by weight (small files, ranges and 416s, HTML and JSON
listings of a 300-entry directory, 404/400, HEAD, If-None-Match and
If-Modified-Since 304s, precompressed gzip, index.html and its redirect,
pipelined batches, Connection: close, aborted downloads, slow readers,
idle keep-alives) and checks every response completely: status, the
headers that matter, and every body byte. Once a second it samples each
worker's RSS (VmRSS) and open descriptors (/proc/PID/fd).

It fails (exit status 1, last line `soak: FAIL: reason`) on any unexpected
status, wrong header or body byte, connection error the workload did not
cause itself, stalled response, worker restart, growth of a worker's RSS or
descriptor count between the first window after warm-up and the last
window beyond the slack named below, descriptors still open once every
client has gone, or a server that does not exit 0 on SIGTERM. Otherwise
the last line is `soak: PASS ...` and the exit status 0. A server that
does not start fails too; bad arguments exit 2.

Options: --binary (default target/release/httpd under the repository),
--seconds, --connections, --workers, --warmup (seconds excluded from the
growth checks), --seed (workload randomness), --json FILE (raw samples).
Python 3.11+, standard library only, Linux (reads /proc).
"""

import argparse
import asyncio
import collections
import gzip
import json
import os
import random
import re
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_BINARY = REPO / "target" / "release" / "httpd"

# ---------------------------------------------------------------------------
# Timing.

# Seconds between two samples of the workers.
SAMPLE_INTERVAL_S = 1.0
# Seconds between two progress lines.
PROGRESS_INTERVAL_S = 10.0
# Default warm-up: this fraction of the run, at least WARMUP_MIN_S seconds.
# During warm-up the workers touch their connection slots, the listing
# scratch buffers and their stacks for the first time; that growth is
# expected and is not compared.
WARMUP_FRACTION = 0.10
WARMUP_MIN_S = 5
# Length of the two windows compared by the growth checks (the first one
# after warm-up and the last one of the run), in seconds; shorter when the
# measured part of the run is under twice this.
WINDOW_S = 10.0
# A response that makes no progress for this many seconds is a failure. The
# server's own transfer timeout is 30 s; under this load a correct server
# answers in milliseconds, so 20 s only ever fires on a real stall.
STALL_TIMEOUT_S = 20.0
# After the deadline, connections finish what they are doing (a slow read
# takes ~5 s, an idle pause up to IDLE_MAX_S); longer than this is a stall.
DRAIN_TIMEOUT_S = 30.0
# After a failure the run stops early; connections get this long, seconds,
# to finish (a stalled one never would).
FAILED_DRAIN_TIMEOUT_S = 10.0
# Once every client connection is closed, the workers must be back to the
# descriptors they held before the load within this many seconds: the
# server closes a connection when it reads EOF or a reset, and a lingering
# close lasts at most 2 s (LINGER_SECS in src/net/conn.rs).
QUIESCE_TIMEOUT_S = 5.0
# SIGTERM lets in-flight responses finish for up to 10 s (the server's
# SHUTDOWN_GRACE_SECS); with no clients left it should exit at once.
STOP_TIMEOUT_S = 20.0
# Seconds to wait for the banner and the workers at start.
START_TIMEOUT_S = 10.0

# ---------------------------------------------------------------------------
# Leak slack: what a correct server may legitimately add between the first
# and the last window.

# RSS growth allowed per worker, KiB: a few stack and page-table pages and
# connection slots touched for the first time by a brief peak of
# concurrent connections that fell between two samples.
RSS_SLACK_KIB = 256
# RSS a connection slot costs the first time it is used, KiB: one page of
# its 8 KiB input buffer and one of its 4 KiB output buffer (README,
# "Memory"; 8 KiB measured), counted as both whole buffers (12 KiB) in case
# a request spills into the second input page. The slot table is a stack
# kept dense, so a worker touches new slots only when its peak of
# concurrent connections rises; that rise (seen as open sockets in the
# samples) is allowed on top of RSS_SLACK_KIB.
SLOT_KIB = 12
# Descriptors. A correct worker holds a few of its own (stdio, the root
# directory, the listener, epoll, signalfds), one socket per connection it
# has accepted, and, while a body is being sent, one file or listing memfd
# for that connection. Which worker accepts a connection is the kernel's
# choice (and the first burst of connects mostly lands on one worker), so a
# worker's share of the connections, and with it its raw descriptor count,
# drifts as aborting and closing clients reconnect. The checks therefore
# compare what drift cannot move:
#   - per worker, its descriptors other than sockets (bodies in flight plus
#     its own), max over the first window vs max over the last;
#   - server-wide, the connection sockets of all workers together (the
#     client holds at most --connections), max vs max, and in every sample
#     at most --connections plus the slack (sockets the client has just
#     closed and the server has not yet seen close).
# Each may grow by this fixed number plus this fraction of --connections
# (bodies in flight vary with how many clients are mid-download at the
# instant of a sample). A leak of one descriptor per aborted or closed
# connection exceeds it within seconds; rarer leaks are caught exactly by
# FD_QUIESCENT_SLACK.
FD_SLACK = 16
FD_SLACK_PER_CONNECTION = 0.10
# Descriptors a worker may hold above its pre-load count once every client
# has gone: none. Anything left is a leaked socket, file or memfd.
FD_QUIESCENT_SLACK = 0
# Listing pages one worker holds at once (MAX_PAGES_IN_FLIGHT in
# src/serve/listing.rs); past it a listing gets 503. A 503 is accepted only
# when the client itself had at least this many listings outstanding.
LISTING_PAGES_PER_WORKER = 32

# ---------------------------------------------------------------------------
# Workload.

# Relative weights of the request kinds. Most are a few milliseconds; the
# slow, idle and big kinds hold a connection for seconds, so their weights
# are small to keep them a minority of the connections at any moment.
WEIGHTS = {
    "small": 3000,         # keep-alive GET of a small file
    "range": 1500,         # bytes=a-b, bytes=-n, bytes=a- -> 206
    "range416": 300,       # unsatisfiable range -> 416
    "listing": 250,        # HTML listing of the 300-entry directory
    "listing_json": 250,   # the same as JSON
    "missing": 500,        # 404, and 400 for a path above the root
    "head": 500,           # HEAD then GET of the same file, heads compared
    "conditional": 800,    # If-None-Match and If-Modified-Since -> 304
    "gzip": 500,           # x.js with and without Accept-Encoding: gzip
    "index": 200,          # /sub -> 301, /sub/ -> index.html
    "pipeline": 500,       # 3-6 requests in one write
    "close": 150,          # Connection: close, then EOF
    "abort": 100,          # GET of the 4 MiB file, read a little, reset
    "big": 20,             # GET of the 4 MiB file at full speed
    "slow": 5,             # GET of the 4 MiB file, read slowly
    "idle": 10,            # request, idle IDLE_MIN_S..IDLE_MAX_S, request
}
# Slow readers read this many bytes...
SLOW_CHUNK_BYTES = 64 * 1024
# ...every this many seconds (drawn per chunk): 4 MiB takes ~5 s, far
# inside the server's 30 s transfer timeout. The pace is kept on a
# schedule: a reader woken late by a busy event loop (hundreds of ms with
# 1,000 connections) reads what is due by then, not just one chunk, so
# client lag does not stretch the download.
SLOW_PAUSE_MIN_S = 0.05
SLOW_PAUSE_MAX_S = 0.10
# A connection whose download took longer than this, seconds, is not used
# again. On loopback the kernel's socket buffers take most of the 4 MiB
# at once, so the server has queued the whole response long before a slow
# reader has read it, and its 15 s idle timer starts then (measured: a
# 30 s read of the file finds the connection closed right after). The
# server may rightly close such a connection; the next request on it would
# see EOF. 10 s keeps a margin under 15 s; such a connection is closed by
# the workload and counted, not failed.
LONG_READ_REUSE_MAX_S = 10.0
# Idle keep-alive pause, seconds: well under the server's 15 s idle timeout
# (half of --timeout 30).
IDLE_MIN_S = 2.0
IDLE_MAX_S = 6.0
# Aborting clients read at most this much of the 4 MiB body before resetting.
ABORT_MAX_BYTES = 32 * 1024
# Largest range asked of the big file, bytes (keeps ranges cheap).
RANGE_MAX_BYTES = 64 * 1024
# Read size for full-speed bodies, bytes.
READ_CHUNK_BYTES = 256 * 1024
# StreamReader limit, bytes: a reader buffers up to twice this before it
# stops reading the socket, so it bounds the client's memory per connection.
READ_LIMIT_BYTES = 64 * 1024
# Seconds between two probes of the client's event-loop lag.
LAG_PROBE_S = 0.25
# Exchanges remembered per connection for error reports.
HISTORY_EXCHANGES = 4
# Descriptors the client needs besides its sockets.
CLIENT_SPARE_FDS = 256

# ---------------------------------------------------------------------------
# Fixture.

SMALL_SIZES = [0, 1, 5, 100, 511, 512, 1000, 2047, 2048, 2049, 4096, 10_000,
               65_536, 100_000]
SMALL_EXTS = [".bin", ".txt", ".html", ".css", ".json"]
CONTENT_TYPES = {
    ".bin": "application/octet-stream",
    ".txt": "text/plain; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".js": "text/javascript; charset=utf-8",
}
BIG_BYTES = 4 * 1024 * 1024
LISTING_FILES = 290
LISTING_DIRS = 10
# Fixture mtimes are set this far in the past, seconds, so Last-Modified
# is stable and never "in the future" of the server's clock.
FIXTURE_AGE_S = 3600


class Failure(Exception):
    """A response or server behaviour that is wrong: fails the soak."""


@dataclass
class File:
    path: str          # URL path
    data: bytes
    ctype: str


@dataclass
class Fixture:
    root: str
    files: dict        # URL path -> File (every regular file served)
    small: list        # URL paths of the small files
    big: File
    js: File
    js_gz: bytes
    listing: list      # (name, is_dir, size) of /list/
    index_html: bytes


def build_fixture(root: str, rng: random.Random) -> Fixture:
    # Started as root, the server serves as an unprivileged user (nobody):
    # the tree must be readable by anyone, not just by us.
    os.chmod(root, 0o755)
    old_umask = os.umask(0o022)
    try:
        return fill_fixture(root, rng)
    finally:
        os.umask(old_umask)


def fill_fixture(root: str, rng: random.Random) -> Fixture:
    files = {}
    old = time.time() - FIXTURE_AGE_S

    def put(rel: str, data: bytes) -> File:
        full = os.path.join(root, rel)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(data)
        os.utime(full, (old, old))
        ext = os.path.splitext(rel)[1]
        fobj = File("/" + rel, data, CONTENT_TYPES.get(ext, "application/octet-stream"))
        files[fobj.path] = fobj
        return fobj

    small = []
    for i, size in enumerate(SMALL_SIZES):
        ext = SMALL_EXTS[i % len(SMALL_EXTS)]
        small.append(put(f"s{i:02d}-{size}{ext}", rng.randbytes(size)).path)
    big = put("big.bin", rng.randbytes(BIG_BYTES))
    js_text = "".join(f"function f{i}(x) {{ return x * {i} + {rng.randrange(1000)}; }}\n"
                      for i in range(400)).encode()
    js = put("x.js", js_text)
    js_gz = gzip.compress(js_text, mtime=0)
    put("x.js.gz", js_gz)
    index_html = b"<!DOCTYPE html><title>sub</title><p>index of sub</p>\n"
    put("sub/index.html", index_html)
    listing = []
    for i in range(LISTING_DIRS):
        name = f"dir-{i:02d}"
        os.makedirs(os.path.join(root, "list", name))
        listing.append((name, True, 0))
    for i in range(LISTING_FILES):
        name = f"entry-{i:03d}.txt"
        data = b"x" * (i * 7)
        put(f"list/{name}", data)
        listing.append((name, False, len(data)))
    for d in [os.path.join(root, "list", n) for n, is_dir, _ in listing if is_dir] + [
            os.path.join(root, "list"), os.path.join(root, "sub"), root]:
        os.utime(d, (old, old))
    return Fixture(root, files, small, big, js, js_gz, listing, index_html)


# ---------------------------------------------------------------------------
# Shared state of the run.

@dataclass
class Stats:
    ops: dict = field(default_factory=lambda: {k: 0 for k in WEIGHTS})
    requests: int = 0              # responses received and verified
    caused_aborts: int = 0         # connections the workload reset itself
    accepted_503: int = 0          # listings refused at the server's page cap
    long_read_closes: int = 0      # see LONG_READ_REUSE_MAX_S
    loop_lag_max_s: float = 0.0    # worst event-loop lag since the last progress line
    download_s: dict = field(default_factory=lambda: {False: [], True: []})  # 4 MiB GETs
    open_conns: int = 0            # client sockets open now
    listing_started: int = 0
    listing_finished: int = 0
    failures: list = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(self, reason: str) -> None:
        with self.lock:
            self.failures.append(reason)
        self.stop.set()


@dataclass
class Resp:
    status: int
    headers: dict
    body: bytes


class Conn:
    """One client connection. `busy` and `progress` feed the stall
    watchdog; `what` names the request being answered and `history` the
    ones before it, for error reports."""

    def __init__(self, reader, writer, stats):
        self.reader = reader
        self.writer = writer
        self.stats = stats
        self.busy = False
        self.progress = self.opened = self.last_done = time.monotonic()
        self.what = ""
        self.idle_before = 0.0
        self.exchanges = 0
        # The last few exchanges (seconds since open, request, statuses),
        # for the report of a connection error.
        self.history = collections.deque(maxlen=HISTORY_EXCHANGES)
        stats.open_conns += 1

    def begin(self, what: str) -> None:
        now = time.monotonic()
        self.what, self.busy, self.progress = what, True, now
        self.progress_start = now
        self.idle_before = now - self.last_done

    def done(self, result: str) -> None:
        now = time.monotonic()
        self.busy = False
        self.exchanges += 1
        self.history.append(f"{now - self.opened:.2f}s {self.what} -> {result}")
        self.last_done = now

    def socket_state(self) -> str:
        """What the kernel holds for this connection (ss), for a stall report."""
        try:
            port = self.writer.get_extra_info("sockname")[1]
            buffered = len(getattr(self.reader, "_buffer", b""))
            ss = subprocess.run(["ss", "-tnH", "state", "all", f"( sport = :{port} or "
                                 f"dport = :{port} )"], capture_output=True, text=True,
                                timeout=5).stdout
            return f"client port {port}, {buffered} bytes unread in the client; ss: " + \
                " | ".join(" ".join(line.split()) for line in ss.splitlines())
        except (OSError, subprocess.SubprocessError, TypeError) as e:
            return f"(socket state unavailable: {e})"

    def story(self) -> str:
        """Where this connection was, for an error report."""
        return (f"exchange #{self.exchanges + 1} on a connection opened "
                f"{time.monotonic() - self.opened:.2f} s ago, idle {self.idle_before:.2f} s "
                f"before it; earlier: {list(self.history) or 'none'}")

    def close(self, reset: bool = False) -> None:
        if self.writer is None:
            return
        if reset:
            self.writer.transport.abort()
        else:
            self.writer.close()
        self.writer = None
        self.stats.open_conns -= 1


def request(method: str, path: str, headers: str = "") -> bytes:
    return f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}\r\n".encode()


async def read_head(conn: Conn) -> tuple:
    raw = await conn.reader.readuntil(b"\r\n\r\n")
    conn.progress = time.monotonic()
    lines = raw[:-4].split(b"\r\n")
    m = re.fullmatch(rb"HTTP/1\.1 (\d{3}) [^\r\n]*", lines[0])
    if not m:
        raise Failure(f"malformed status line {lines[0][:80]!r}")
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if not sep or not name or name != name.strip():
            raise Failure(f"malformed header line {line[:80]!r}")
        key = name.decode("latin-1").lower()
        if key in headers:
            raise Failure(f"duplicate header {key}")
        headers[key] = value.strip().decode("latin-1")
    return int(m.group(1)), headers


def body_length(status: int, headers: dict, head: bool) -> int:
    if "transfer-encoding" in headers:
        raise Failure(f"unexpected Transfer-Encoding: {headers['transfer-encoding']}")
    if "content-length" not in headers:
        if status == 304 or status < 200 or status == 204:
            return 0
        raise Failure(f"{status} response without Content-Length")
    cl = headers["content-length"]
    if not cl.isdigit():
        raise Failure(f"bad Content-Length {cl!r}")
    if head or status == 304 or status < 200 or status == 204:
        return 0
    return int(cl)


async def exchange(conn: Conn, batch: list) -> list:
    """Sends every (request bytes, is_head) of `batch` in one write, then
    reads the responses in order (bodies by Content-Length)."""
    conn.begin(" + ".join(r.split(b"\r\n", 1)[0].decode() for r, _ in batch))
    conn.writer.write(b"".join(r for r, _ in batch))
    await conn.writer.drain()
    out = []
    for _, head in batch:
        status, headers = await read_head(conn)
        n = body_length(status, headers, head)
        body = await conn.reader.readexactly(n) if n else b""
        conn.progress = time.monotonic()
        out.append(Resp(status, headers, body))
        conn.stats.requests += 1
    conn.done(" ".join(str(r.status) for r in out))
    return out


def expect(cond: bool, what: str) -> None:
    if not cond:
        raise Failure(what)


def first_difference(a, b) -> int:
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


class Workload:
    def __init__(self, fx: Fixture, port: int, stats: Stats, deadline: float):
        self.fx = fx
        self.port = port
        self.stats = stats
        self.deadline = deadline
        self.etags = {}     # (path, coding) -> (ETag, Last-Modified): must not change
        self.conns = []     # live Conn objects, for the watchdog
        self.kinds = list(WEIGHTS)
        self.weights = [WEIGHTS[k] for k in self.kinds]

    # -- checks --------------------------------------------------------

    def check_file_head(self, r: Resp, f: File, status: int = 200, coding: str = "") -> None:
        expect(r.status == status, f"status {r.status}, expected {status}")
        h = r.headers
        expect(h.get("content-type") == f.ctype,
               f"Content-Type {h.get('content-type')!r}, expected {f.ctype!r}")
        expect(h.get("accept-ranges") == "bytes", "no Accept-Ranges: bytes")
        expect("accept-encoding" in h.get("vary", "").lower(), "no Vary: Accept-Encoding")
        expect(h.get("content-encoding", "") == coding,
               f"Content-Encoding {h.get('content-encoding')!r}, expected {coding!r}")
        expect("connection" not in h, f"unexpected Connection: {h.get('connection')}")
        etag, lm = h.get("etag"), h.get("last-modified")
        expect(bool(etag) and etag.startswith('"') and etag.endswith('"'), f"bad ETag {etag!r}")
        expect(bool(lm) and lm.endswith(" GMT"), f"bad Last-Modified {lm!r}")
        seen = self.etags.setdefault((f.path, coding), (etag, lm))
        expect(seen == (etag, lm), f"ETag/Last-Modified changed: {seen} -> {(etag, lm)}")

    def check_file(self, r: Resp, f: File) -> None:
        self.check_file_head(r, f)
        expect(r.headers["content-length"] == str(len(f.data)),
               f"Content-Length {r.headers['content-length']}, expected {len(f.data)}")
        if r.body != f.data:
            raise Failure(f"body of {f.path} differs at byte {first_difference(r.body, f.data)}")

    def gen_small(self, rng):
        f = self.fx.files[rng.choice(self.fx.small)]
        return request("GET", f.path), False, lambda r: self.check_file(r, f)

    def gen_head(self, rng, big=True):
        f = self.fx.files[rng.choice(self.fx.small + [self.fx.js.path]
                                     + ([self.fx.big.path] if big else []))]

        def check(r):
            self.check_file_head(r, f)
            expect(r.headers["content-length"] == str(len(f.data)),
                   f"HEAD Content-Length {r.headers['content-length']}, expected {len(f.data)}")
        return request("HEAD", f.path), True, check

    def gen_range(self, rng):
        if rng.random() < 0.5:
            f = self.fx.big
        else:
            f = self.fx.files[rng.choice([p for p in self.fx.small
                                          if len(self.fx.files[p].data) > 0])]
        size = len(f.data)
        form = rng.randrange(3)
        if form == 0:
            a = rng.randrange(size)
            b = a + rng.randrange(RANGE_MAX_BYTES)      # may pass the end: clamped
            spec, start, end = f"{a}-{b}", a, min(b, size - 1)
        elif form == 1:
            n = rng.randrange(1, RANGE_MAX_BYTES)        # may exceed the size
            spec, start, end = f"-{n}", max(0, size - n), size - 1
        else:
            a = rng.randrange(max(0, size - RANGE_MAX_BYTES), size)
            spec, start, end = f"{a}-", a, size - 1

        def check(r):
            what = f"Range bytes={spec} of {f.path} ({size} bytes)"
            self.check_file_head(r, f, status=206)
            want = f"bytes {start}-{end}/{size}"
            expect(r.headers.get("content-range") == want,
                   f"{what}: Content-Range {r.headers.get('content-range')!r}, expected {want!r}")
            expect(r.headers["content-length"] == str(end - start + 1),
                   f"{what}: Content-Length {r.headers['content-length']}")
            if r.body != f.data[start:end + 1]:
                raise Failure(f"{what}: body differs at byte "
                              f"{first_difference(r.body, f.data[start:end + 1])}")
        return request("GET", f.path, f"Range: bytes={spec}\r\n"), False, check

    def gen_range416(self, rng):
        f = self.fx.files[rng.choice(self.fx.small + [self.fx.big.path])]
        size = len(f.data)
        a = size + rng.randrange(1000) if size else rng.randrange(1000)
        # (On an empty file a suffix range bytes=-n is satisfiable, RFC 9110
        # section 14.1.1; the server answers it with the whole, empty, file.)
        spec = rng.choice([f"{a}-", f"{a}-{a + rng.randrange(1000)}"])

        def check(r):
            what = f"Range bytes={spec} of {f.path} ({size} bytes)"
            expect(r.status == 416, f"{what}: status {r.status}, expected 416")
            want = f"bytes */{size}"
            expect(r.headers.get("content-range") == want,
                   f"{what}: Content-Range {r.headers.get('content-range')!r}, expected {want!r}")
            expect(int(r.headers["content-length"]) == len(r.body) > 0, f"{what}: empty 416 page")
        return request("GET", f.path, f"Range: bytes={spec}\r\n"), False, check

    def gen_missing(self, rng):
        n = rng.randrange(1_000_000)
        if rng.random() < 0.8:
            path, status = rng.choice([f"/missing-{n}", f"/list/nope-{n}.txt", f"/sub/x{n}/y"]), 404
        else:
            path, status = rng.choice([f"/../x{n}", f"/%2e%2e/x{n}", f"/list/..%2f..%2fx{n}"]), 400

        def check(r):
            expect(r.status == status, f"GET {path}: status {r.status}, expected {status}")
            expect(r.headers.get("content-type") == "text/html; charset=utf-8",
                   f"GET {path}: Content-Type {r.headers.get('content-type')!r}")
            expect(len(r.body) > 0 and f"{status}".encode() in r.body,
                   f"GET {path}: bad error page")
        return request("GET", path), False, check

    def gen_gzip(self, rng):
        js = self.fx.js
        choice = rng.randrange(3)
        if choice == 0:
            hdr, coding, data = "Accept-Encoding: gzip, deflate\r\n", "gzip", self.fx.js_gz
        elif choice == 1:
            hdr, coding, data = "Accept-Encoding: gzip;q=0, identity\r\n", "", js.data
        else:
            hdr, coding, data = "", "", js.data

        def check(r):
            self.check_file_head(r, js, coding=coding)
            expect(r.headers["content-length"] == str(len(data)),
                   f"x.js ({coding or 'identity'}): Content-Length {r.headers['content-length']}")
            if r.body != data:
                raise Failure(f"x.js ({coding or 'identity'}): body differs at byte "
                              f"{first_difference(r.body, data)}")
        return request("GET", js.path, hdr), False, check

    # -- kinds: each runs on `conn` and returns it, closed if the next
    # request needs a new connection -------------------------------------

    async def run_batch(self, conn, gens):
        resps = await exchange(conn, [(req, head) for req, head, _ in gens])
        for (req, _, check), r in zip(gens, resps):
            try:
                check(r)
            except Failure as e:
                raise Failure(f"{req.split(b' HTTP/', 1)[0].decode()}: {e}") from None
        return conn

    async def k_small(self, conn, rng):
        return await self.run_batch(conn, [self.gen_small(rng)])

    async def k_range(self, conn, rng):
        return await self.run_batch(conn, [self.gen_range(rng)])

    async def k_range416(self, conn, rng):
        return await self.run_batch(conn, [self.gen_range416(rng)])

    async def k_missing(self, conn, rng):
        return await self.run_batch(conn, [self.gen_missing(rng)])

    async def k_gzip(self, conn, rng):
        return await self.run_batch(conn, [self.gen_gzip(rng)])

    async def k_pipeline(self, conn, rng):
        gens = [rng.choice([self.gen_small, self.gen_head, self.gen_range, self.gen_missing,
                            self.gen_gzip, self.gen_range416])(rng)
                for _ in range(rng.randint(3, 6))]
        return await self.run_batch(conn, gens)

    async def k_head(self, conn, rng):
        # Not the 4 MiB file here: its full GET is left to the download kinds.
        req, _, check = self.gen_head(rng, big=False)
        path = req.split(b" ")[1].decode()
        head, get = await exchange(conn, [(req, True), (request("GET", path), False)])
        check(head)
        self.check_file(get, self.fx.files[path])
        expect(head.body == b"", "HEAD had a body")
        h1 = {k: v for k, v in head.headers.items() if k != "date"}
        h2 = {k: v for k, v in get.headers.items() if k != "date"}
        expect(h1 == h2, f"HEAD {path} headers differ from GET: {h1} vs {h2}")
        return conn

    async def k_conditional(self, conn, rng):
        f = self.fx.files[rng.choice(self.fx.small + [self.fx.js.path, self.fx.big.path])]
        (r,) = await exchange(conn, [(request("HEAD" if f is self.fx.big else "GET", f.path),
                                      f is self.fx.big)])
        self.check_file_head(r, f)
        etag, lm = r.headers["etag"], r.headers["last-modified"]
        other = '"nope-' + str(rng.randrange(10**6)) + '"'
        r1, r2, r3, r4 = await exchange(conn, [
            (request("GET", f.path, f"If-None-Match: {etag}\r\n"), False),
            (request("GET", f.path, f"If-Modified-Since: {lm}\r\n"), False),
            (request("GET", f.path, f"If-None-Match: {other}, W/{etag}\r\n"), False),
            # HEAD for the 4 MiB file: the full GET is left to the download kinds.
            (request("HEAD" if f is self.fx.big else "GET", f.path,
                     f"If-None-Match: {other}\r\nIf-Modified-Since: {lm}\r\n"), f is self.fx.big),
        ])
        for what, resp in (("If-None-Match", r1), ("If-Modified-Since", r2),
                           ("If-None-Match (weak, list)", r3)):
            expect(resp.status == 304, f"{f.path} {what}: status {resp.status}, expected 304")
            expect(resp.body == b"" and resp.headers.get("etag") == etag,
                   f"{f.path} {what}: bad 304 {resp.headers}")
        # If-None-Match takes precedence over If-Modified-Since: a full 200.
        expect(r4.status == 200, f"{f.path} non-matching If-None-Match: status {r4.status}")
        if f is self.fx.big:
            self.check_file_head(r4, f)
        else:
            self.check_file(r4, f)
        return conn

    async def k_listing(self, conn, rng, as_json=False):
        hdr = "Accept: application/json\r\n" if as_json else ""
        st = self.stats
        finished_before = st.listing_finished
        st.listing_started += 1
        try:
            (r,) = await exchange(conn, [(request("GET", "/list/", hdr), False)])
            started_by_now = st.listing_started
        finally:
            st.listing_finished += 1
        if r.status == 503:
            # Outstanding listings at any moment of this exchange, others only.
            most = started_by_now - finished_before - 1
            expect(most >= LISTING_PAGES_PER_WORKER,
                   f"listing: 503 with at most {most} other listings in flight "
                   f"(the cap is {LISTING_PAGES_PER_WORKER} per worker)")
            st.accepted_503 += 1
            return conn
        expect(r.status == 200, f"listing: status {r.status}")
        expect(r.headers.get("vary") == "Accept", f"listing: Vary {r.headers.get('vary')!r}")
        want = {(n + "/" if d else n) for n, d, _ in self.fx.listing}
        if as_json:
            expect(r.headers.get("content-type") == "application/json",
                   f"JSON listing: Content-Type {r.headers.get('content-type')!r}")
            try:
                doc = json.loads(r.body)
            except ValueError as e:
                raise Failure(f"JSON listing: invalid JSON: {e}") from None
            expect(doc.get("path") == "/list/" and doc.get("truncated") is False,
                   f"JSON listing: path/truncated {doc.get('path')!r} {doc.get('truncated')!r}")
            entries = doc.get("entries", [])
            expect(len(entries) == len(self.fx.listing),
                   f"JSON listing: {len(entries)} entries, expected {len(self.fx.listing)}")
            sizes = {n: s for n, d, s in self.fx.listing if not d}
            got = set()
            for e in entries:
                name, typ = e.get("name"), e.get("type")
                if typ == "dir":
                    got.add(name + "/")
                else:
                    expect(typ == "file" and e.get("size") == sizes.get(name),
                           f"JSON listing: bad entry {e}")
                    got.add(name)
            expect(got == want, f"JSON listing: names differ: {sorted(got ^ want)[:5]}")
        else:
            expect(r.headers.get("content-type") == "text/html; charset=utf-8",
                   f"HTML listing: Content-Type {r.headers.get('content-type')!r}")
            got = set(re.findall(r'href="([^"]*)"', r.body.decode("utf-8")))
            got.discard("../")
            expect(got == want, f"HTML listing: links differ: {sorted(got ^ want)[:5]}")
        return conn

    async def k_listing_json(self, conn, rng):
        return await self.k_listing(conn, rng, as_json=True)

    async def k_index(self, conn, rng):
        r1, r2 = await exchange(conn, [(request("GET", "/sub"), False),
                                       (request("GET", "/sub/"), False)])
        expect(r1.status == 301 and r1.headers.get("location") == "/sub/",
               f"/sub: status {r1.status} Location {r1.headers.get('location')!r}")
        self.check_file(r2, self.fx.files["/sub/index.html"])
        return conn

    async def k_close(self, conn, rng):
        req, _, check = self.gen_small(rng)
        req = req[:-2] + b"Connection: close\r\n\r\n"
        (r,) = await exchange(conn, [(req, False)])
        expect(r.headers.pop("connection", None) == "close", "no Connection: close")
        check(r)
        conn.begin("(EOF after Connection: close)")
        rest = await conn.reader.read(1)
        expect(rest == b"", f"bytes after a Connection: close response: {rest!r}")
        conn.done("EOF")
        conn.close()
        return conn

    async def k_abort(self, conn, rng):
        big = self.fx.big
        conn.begin(f"GET {big.path} HTTP/1.1 (to abort)")
        conn.writer.write(request("GET", big.path))
        await conn.writer.drain()
        if rng.random() < 0.8:
            status, headers = await read_head(conn)
            expect(status == 200 and headers.get("content-length") == str(len(big.data)),
                   f"GET {big.path}: status {status}, "
                   f"Content-Length {headers.get('content-length')}")
            n = rng.randrange(ABORT_MAX_BYTES)
            got = await conn.reader.readexactly(n)
            expect(got == big.data[:n], f"GET {big.path}: first {n} bytes differ")
            self.stats.requests += 1
        conn.done("reset")
        conn.close(reset=True)
        self.stats.caused_aborts += 1
        return conn

    async def read_big(self, conn, rng, slow: bool):
        big = self.fx.big
        conn.begin(f"GET {big.path} HTTP/1.1 ({'slow' if slow else 'full speed'})")
        conn.writer.write(request("GET", big.path))
        await conn.writer.drain()
        status, headers = await read_head(conn)
        self.check_file_head(Resp(status, headers, b""), big)
        expect(headers["content-length"] == str(len(big.data)),
               f"GET {big.path}: Content-Length {headers['content-length']}")
        pos, size = 0, len(big.data)
        due = time.monotonic()        # when the next slow chunk may be read
        mean_pause = (SLOW_PAUSE_MIN_S + SLOW_PAUSE_MAX_S) / 2
        while pos < size:
            if slow:
                late = time.monotonic() - due
                if late < 0:
                    await asyncio.sleep(-late)
                chunks_due = 1 + max(0, int(late / mean_pause))
                data = await conn.reader.read(min(SLOW_CHUNK_BYTES * chunks_due, size - pos))
                due += len(data) / SLOW_CHUNK_BYTES * rng.uniform(SLOW_PAUSE_MIN_S,
                                                                  SLOW_PAUSE_MAX_S)
            else:
                data = await conn.reader.read(min(READ_CHUNK_BYTES, size - pos))
            if not data:
                raise asyncio.IncompleteReadError(b"", size - pos)
            want = big.data[pos:pos + len(data)]   # bytes == bytes is one memcmp
            if data != want:
                raise Failure(f"GET {big.path}: body differs at byte "
                              f"{pos + first_difference(data, want)}")
            pos += len(data)
            conn.progress = time.monotonic()
        took = time.monotonic() - conn.progress_start
        conn.done(f"200 in {took:.1f} s")
        self.stats.requests += 1
        self.stats.download_s[slow].append(took)
        if took > LONG_READ_REUSE_MAX_S:
            conn.close()
            self.stats.long_read_closes += 1
        return conn

    async def k_big(self, conn, rng):
        return await self.read_big(conn, rng, slow=False)

    async def k_slow(self, conn, rng):
        return await self.read_big(conn, rng, slow=True)

    async def k_idle(self, conn, rng):
        await self.run_batch(conn, [self.gen_small(rng)])
        pause = rng.uniform(IDLE_MIN_S, IDLE_MAX_S)
        await asyncio.sleep(max(0.0, min(pause, self.deadline - time.monotonic())))
        return await self.run_batch(conn, [self.gen_small(rng)])

    # -- the connection loop ------------------------------------------------

    async def connect(self) -> Conn:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port,
                                                       limit=READ_LIMIT_BYTES)
        conn = Conn(reader, writer, self.stats)
        self.conns.append(conn)
        return conn

    async def connection(self, index: int, seed: int) -> None:
        rng = random.Random(seed * 1_000_003 + index)
        conn = None
        kind = self.kinds[index % len(self.kinds)]   # every kind runs from the start
        try:
            while not self.stats.stop.is_set() and time.monotonic() < self.deadline:
                if conn is None:
                    conn = await self.connect()
                try:
                    conn = await getattr(self, "k_" + kind)(conn, rng)
                except Failure as e:
                    self.stats.fail(f"{kind}: {e}")
                    return
                except (OSError, EOFError, asyncio.IncompleteReadError,
                        asyncio.LimitOverrunError) as e:
                    self.stats.fail(f"{kind}: connection error during {conn.what!r}: "
                                    f"{type(e).__name__}: {e}; {conn.story()}")
                    return
                except Exception as e:   # a malformed answer the checks did not foresee
                    self.stats.fail(f"{kind}: {type(e).__name__}: {e} during {conn.what!r}")
                    return
                self.stats.ops[kind] += 1
                if conn.writer is None:
                    self.conns.remove(conn)
                    conn = None
                kind = rng.choices(self.kinds, self.weights)[0]
        except OSError as e:
            self.stats.fail(f"connect: {type(e).__name__}: {e}")
        finally:
            if conn is not None:
                conn.close()
                if conn in self.conns:
                    self.conns.remove(conn)

    async def watchdog(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            now = time.monotonic()
            for c in self.conns:
                if c.busy and c.writer is not None and now - c.progress > STALL_TIMEOUT_S:
                    self.stats.fail(f"no response progress for {STALL_TIMEOUT_S:.0f} s "
                                    f"on {c.what!r}; {c.story()}; {c.socket_state()}")
                    c.progress = now   # report each stall once

    async def lag_probe(self) -> None:
        """Measures how late the event loop wakes a sleeper: with every
        connection busy this is the client's own latency."""
        while True:
            t = time.monotonic()
            await asyncio.sleep(LAG_PROBE_S)
            lag = time.monotonic() - t - LAG_PROBE_S
            self.stats.loop_lag_max_s = max(self.stats.loop_lag_max_s, lag)

    async def run(self, connections: int, seed: int) -> None:
        dog = asyncio.create_task(self.watchdog())
        probe = asyncio.create_task(self.lag_probe())
        tasks = [asyncio.create_task(self.connection(i, seed)) for i in range(connections)]
        wait_until = self.deadline + DRAIN_TIMEOUT_S
        while True:
            remaining = wait_until - time.monotonic()
            done, pending = await asyncio.wait(tasks, timeout=max(0.0, min(1.0, remaining)))
            if not pending:
                break
            if self.stats.stop.is_set() and self.deadline > time.monotonic():
                self.deadline = time.monotonic()   # stop early, on the first failure
                wait_until = self.deadline + FAILED_DRAIN_TIMEOUT_S
            if remaining <= 0:
                if not self.stats.stop.is_set():
                    self.stats.fail(f"{len(pending)} connections still busy "
                                    f"{DRAIN_TIMEOUT_S:.0f} s after the deadline: "
                                    + "; ".join(c.what for c in self.conns if c.busy)[:300])
                for t in pending:
                    t.cancel()
                await asyncio.wait(pending, timeout=5)
                break
        dog.cancel()
        probe.cancel()


# ---------------------------------------------------------------------------
# The server and its workers.

def proc_stat(pid: int):
    """(ppid, state) of a process, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            rest = f.read().rsplit(")", 1)[1].split()
        return int(rest[1]), rest[0]
    except (OSError, IndexError, ValueError):
        return None


def children(pid: int) -> set:
    out = set()
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = proc_stat(int(name))
            if st and st[0] == pid and st[1] != "Z":
                out.add(int(name))
    return out


def rss_kib(pid: int):
    try:
        with open(f"/proc/{pid}/status") as f:
            m = re.search(r"^VmRSS:\s+(\d+) kB", f.read(), re.M)
        return int(m.group(1)) if m else None
    except OSError:
        return None


def fd_counts(pid: int):
    """(descriptors, sockets), or None when /proc/PID/fd is not readable."""
    try:
        names = os.listdir(f"/proc/{pid}/fd")
    except (PermissionError, FileNotFoundError):
        return None
    # Only descriptors still there when read count: one closed between the
    # listing and its readlink (a burst of closes) is neither.
    total = sockets = 0
    for n in names:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{n}")
        except OSError:
            continue
        total += 1
        sockets += target.startswith("socket:")
    return total, sockets


def fd_targets(pid: int) -> list:
    out = []
    try:
        for n in sorted(os.listdir(f"/proc/{pid}/fd"), key=int):
            try:
                out.append(f"{n}->{os.readlink(f'/proc/{pid}/fd/{n}')}")
            except OSError:
                pass
    except OSError:
        pass
    return out


def cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            rest = f.read().rsplit(")", 1)[1].split()
        return (int(rest[11]) + int(rest[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


class Server:
    def __init__(self, binary: str, root: str, workers: int):
        self.proc = subprocess.Popen(
            [binary, "0", "-b", "127.0.0.1", "-d", root, "-w", str(workers), "-q"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.stdout_lines = []
        self.stderr_lines = []
        self.banner = threading.Event()
        threading.Thread(target=self._drain, args=(self.proc.stdout, self.stdout_lines, True),
                         daemon=True).start()
        threading.Thread(target=self._drain, args=(self.proc.stderr, self.stderr_lines, False),
                         daemon=True).start()

    def _drain(self, pipe, lines, is_stdout):
        for line in pipe:
            if len(lines) < 1000:
                lines.append(line.decode("utf-8", "replace").rstrip("\n"))
            if is_stdout:
                self.banner.set()
        if is_stdout:
            self.banner.set()

    def port(self) -> int:
        if not self.banner.wait(START_TIMEOUT_S) or not self.stdout_lines:
            try:
                status = self.proc.wait(1)
            except subprocess.TimeoutExpired:
                status = "still running"
            time.sleep(0.1)   # let the stderr thread catch the last words
            raise Failure(f"no banner from the server (exit status {status}, stderr: "
                          f"{self.stderr_lines[-3:]})")
        m = re.match(r"Serving HTTP on 127\.0\.0\.1 port (\d+) "
                     r"\(http://127\.0\.0\.1:(\d+)/\) \.\.\.$", self.stdout_lines[0])
        if not m or m.group(1) != m.group(2):
            raise Failure(f"unexpected banner {self.stdout_lines[0]!r}")
        return int(m.group(1))

    def workers(self, n: int) -> list:
        until = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < until:
            kids = children(self.proc.pid)
            if len(kids) >= n:
                return sorted(kids)
            time.sleep(0.05)
        raise Failure(f"{len(children(self.proc.pid))} workers after "
                      f"{START_TIMEOUT_S:.0f} s, expected {n}")

    def stop(self) -> tuple:
        """SIGTERM, then the exit status (None and SIGKILL on a timeout)."""
        if self.proc.poll() is not None:
            return self.proc.returncode, "had already exited"
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(STOP_TIMEOUT_S), ""
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None, f"still running {STOP_TIMEOUT_S:.0f} s after SIGTERM; killed"


class Sampler(threading.Thread):
    """Samples the workers once a second, watches for restarts, prints
    progress."""

    def __init__(self, server: Server, workers: list, stats: Stats, t0: float):
        super().__init__(daemon=True)
        self.server = server
        self.workers = workers
        self.stats = stats
        self.t0 = t0
        self.samples = []      # dicts: t (s since load start), pid, rss_kib, fds, sockets
        self.halt = threading.Event()
        self.fds_readable = True

    def sample(self) -> list:
        t = time.monotonic() - self.t0
        rows = []
        for pid in self.workers:
            fc = fd_counts(pid)
            if fc is None:
                self.fds_readable = False
            rows.append({"t": round(t, 3), "pid": pid, "rss_kib": rss_kib(pid),
                         "fds": fc[0] if fc else None, "sockets": fc[1] if fc else None,
                         "other_fds": fc[0] - fc[1] if fc else None,
                         "client_conns": self.stats.open_conns,
                         "requests": self.stats.requests})
        return rows

    def run(self) -> None:
        next_progress = PROGRESS_INTERVAL_S
        last_t, last_req = 0.0, 0
        # Samples on whole seconds since the load started.
        while not self.halt.wait(SAMPLE_INTERVAL_S
                                 - (time.monotonic() - self.t0) % SAMPLE_INTERVAL_S):
            if self.server.proc.poll() is not None:
                self.stats.fail(f"the server exited during the run "
                                f"(status {self.server.proc.returncode})")
                return
            kids = children(self.server.proc.pid)
            if kids != set(self.workers):
                self.stats.fail(f"worker restart: workers were {sorted(self.workers)}, "
                                f"now {sorted(kids)}")
                return
            rows = self.sample()
            self.samples.extend(rows)
            t = rows[0]["t"]
            if t >= next_progress:
                next_progress += PROGRESS_INTERVAL_S
                req = self.stats.requests
                rate = (req - last_req) / max(t - last_t, 1e-9)
                last_t, last_req = t, req
                per = "  ".join(f"[{r['pid']}] {r['rss_kib']} KiB {fmt(r['fds'])} fds"
                                for r in rows)
                lag, self.stats.loop_lag_max_s = self.stats.loop_lag_max_s, 0.0
                print(f"  {t:4.0f} s {req:8d} requests {rate:6.0f} req/s "
                      f"{self.stats.open_conns:5d} "
                      f"conns, client lag {lag * 1000:4.0f} ms  {per}", flush=True)


def fmt(v) -> str:
    return "n/a" if v is None else str(v)


# ---------------------------------------------------------------------------
# Growth checks.

def growth_checks(samples, workers, baseline, warmup, end, connections, fds_readable,
                  notes) -> tuple:
    """Compares maxima in the first window after warm-up with the last
    window of the load. Returns (per-worker summary, failures, windows)."""
    window = min(WINDOW_S, (end - warmup) / 2)
    first_lo, first_hi = warmup, warmup + window
    last_lo = end - window
    fd_slack = FD_SLACK + int(FD_SLACK_PER_CONNECTION * connections)
    rows = [s for s in samples if s["t"] < end]   # at the deadline clients start leaving
    summary, failures = {}, []

    def windows_of(rs):
        return ([s for s in rs if first_lo <= s["t"] < first_hi],
                [s for s in rs if s["t"] >= last_lo],
                [s for s in rs if s["t"] >= first_lo])

    def span(lo, hi):
        return f"{lo:.0f}-{hi:.0f} s"

    for pid in workers:
        first, last, after = windows_of([s for s in rows if s["pid"] == pid])
        if not first or not last:
            notes.append(f"worker {pid}: too few samples after warm-up for the growth checks")
            continue
        info = {}
        for key in ("rss_kib", "fds", "sockets", "other_fds") if fds_readable else ("rss_kib",):
            info[key] = {"start": first[0][key], "end": last[-1][key],
                         "max": max(s[key] for s in after),
                         "first_max": max(s[key] for s in first),
                         "last_max": max(s[key] for s in last)}
        summary[pid] = info
        rss = info["rss_kib"]
        allowed = RSS_SLACK_KIB
        if fds_readable:
            new_peak = max(0, info["sockets"]["max"] - info["sockets"]["first_max"])
            allowed += SLOT_KIB * new_peak
        rss["growth"], rss["allowed"] = rss["last_max"] - rss["first_max"], allowed
        if rss["growth"] > allowed:
            failures.append(f"worker {pid} RSS grew {rss['growth']} KiB (max {rss['first_max']} "
                            f"KiB in {span(first_lo, first_hi)}, {rss['last_max']} KiB in "
                            f"{span(last_lo, end)}), more than the {allowed} KiB allowed")
        if fds_readable:
            other = info["other_fds"]
            other["growth"], other["allowed"] = other["last_max"] - other["first_max"], fd_slack
            if other["growth"] > fd_slack:
                failures.append(f"worker {pid} non-socket descriptors grew by {other['growth']} "
                                f"(max {other['first_max']} in {span(first_lo, first_hi)}, "
                                f"{other['last_max']} in {span(last_lo, end)}), more than the "
                                f"{fd_slack} allowed")

    if fds_readable:
        # Server-wide connection sockets: all workers' sockets in one sample
        # round, less the listener each of them holds.
        listeners = sum(baseline[pid][1][1] for pid in workers)
        by_t = {}
        for s in rows:
            by_t.setdefault(s["t"], []).append(s)
        totals = [{"t": t, "conn_sockets": sum(s["sockets"] for s in rs) - listeners}
                  for t, rs in sorted(by_t.items()) if len(rs) == len(workers)]
        for s in totals:
            if s["conn_sockets"] > connections + fd_slack:
                failures.append(f"the workers held {s['conn_sockets']} connection sockets at "
                                f"{s['t']:.0f} s, more than the client's {connections} "
                                f"connections plus {fd_slack}")
                break
        first, last, _ = windows_of(totals)
        if first and last:
            a = max(s["conn_sockets"] for s in first)
            b = max(s["conn_sockets"] for s in last)
            summary["sockets"] = {"first_max": a, "last_max": b, "allowed": fd_slack}
            if b - a > fd_slack:
                failures.append(f"the workers' connection sockets grew by {b - a} (max {a} in "
                                f"{span(first_lo, first_hi)}, {b} in {span(last_lo, end)}), "
                                f"more than the {fd_slack} allowed")
    return summary, failures, (first_lo, first_hi, last_lo, end)


# ---------------------------------------------------------------------------

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=str(DEFAULT_BINARY),
                    help="server binary (default: %(default)s)")
    ap.add_argument("--seconds", type=float, default=60, help="load duration (default 60)")
    ap.add_argument("--connections", type=int, default=200,
                    help="concurrent client connections (default 200)")
    ap.add_argument("--workers", type=int, default=2, help="server workers (default 2)")
    ap.add_argument("--warmup", type=float, default=None,
                    help=f"seconds excluded from the growth checks (default "
                         f"{WARMUP_FRACTION:.0%} of --seconds, at least {WARMUP_MIN_S})")
    ap.add_argument("--seed", type=int, default=None, help="workload seed (default: random)")
    ap.add_argument("--json", metavar="FILE", help="write the raw samples here")
    args = ap.parse_args()
    warmup = args.warmup if args.warmup is not None else max(WARMUP_MIN_S,
                                                            WARMUP_FRACTION * args.seconds)
    if args.connections < 1 or args.workers < 1:
        ap.error("--connections and --workers must be at least 1")
    if not 0 <= warmup < args.seconds:
        ap.error(f"the warm-up ({warmup:g} s) must be shorter than the run ({args.seconds:g} s)")
    if not os.access(args.binary, os.X_OK):
        ap.error(f"{args.binary} is not an executable; build it with `cargo build --release`")
    seed = args.seed if args.seed is not None else random.randrange(1 << 32)

    # Our sockets, and the server's (it inherits the limit): a connection
    # costs the worker a socket plus a file while a body is in flight.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = 2 * args.connections + CLIENT_SPARE_FDS
    if hard != resource.RLIM_INFINITY and hard < need:
        ap.error(f"RLIMIT_NOFILE hard limit {hard} is below the {need} descriptors needed")
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    stats = Stats()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="httpd-soak-") as root:
        fx = build_fixture(root, random.Random(seed))
        server = Server(args.binary, root, args.workers)
        try:
            return soak(args, warmup, seed, fx, server, stats, started)
        except Failure as e:   # the server did not start as it should
            print(f"soak: FAIL: {e}")
            return 1
        finally:
            if server.proc.poll() is None:
                server.proc.kill()
                server.proc.wait()


def soak(args, warmup, seed, fx, server, stats, started) -> int:
    port = server.port()
    workers = server.workers(args.workers)
    time.sleep(0.2)   # let the workers finish setting up before the baseline
    baseline = {pid: (rss_kib(pid), fd_counts(pid)) for pid in workers}
    print(f"soak: {args.binary}: {args.seconds:g} s, {args.connections} connections, "
          f"{args.workers} workers, warm-up {warmup:g} s, seed {seed}")
    print(f"soak: port {port}, workers {workers}, fixture {fx.root} "
          f"({len(fx.files)} files), RLIMIT_NOFILE {resource.getrlimit(resource.RLIMIT_NOFILE)[0]}")
    print("soak: before load: " + "  ".join(
        f"[{pid}] {rss} KiB {fmt(fc[0] if fc else None)} fds"
        for pid, (rss, fc) in baseline.items()))
    notes = []
    fds_readable = all(fc is not None for _, fc in baseline.values())
    if not fds_readable:
        print("soak: note: /proc/PID/fd of the workers is not readable (run as root to "
              "check descriptors); descriptor checks skipped")

    t0 = time.monotonic()
    load = Workload(fx, port, stats, t0 + args.seconds)
    sampler = Sampler(server, workers, stats, t0)
    sampler.start()
    cpu0 = os.times()
    worker_cpu0 = sum(cpu_seconds(p) for p in workers)
    asyncio.run(load.run(args.connections, seed))
    load_errors = len(stats.failures)
    load_end = min(time.monotonic(), load.deadline) - t0
    worker_cpu = sum(cpu_seconds(p) for p in workers) - worker_cpu0
    cpu1 = os.times()
    client_cpu = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    elapsed = time.monotonic() - t0

    # Every client connection is closed: the workers must drop back to the
    # descriptors they had before the load.
    quiescent = {}
    if fds_readable and not stats.failures:
        until = time.monotonic() + QUIESCE_TIMEOUT_S
        while True:
            quiescent = {pid: fd_counts(pid) for pid in workers}
            extra = {pid: (fc[0] if fc else 0) - baseline[pid][1][0]
                     for pid, fc in quiescent.items()}
            if all(e <= FD_QUIESCENT_SLACK for e in extra.values()) or time.monotonic() > until:
                break
            time.sleep(0.25)
        for pid, e in extra.items():
            if e > FD_QUIESCENT_SLACK:
                stats.failures.append(
                    f"worker {pid} holds {e} more descriptors than before the load "
                    f"{QUIESCE_TIMEOUT_S:.0f} s after every client closed: "
                    f"{' '.join(fd_targets(pid))[:400]}")
    sampler.halt.set()
    sampler.join()
    final = {pid: (rss_kib(pid), fd_counts(pid)) for pid in workers}

    status, why = server.stop()
    if status != 0 and not any("server exited" in f for f in stats.failures):
        stats.failures.append(f"server exit status {status} after SIGTERM {why}".rstrip())

    summary, growth_failures, windows = ({}, [], None)
    if load_end > warmup:
        summary, growth_failures, windows = growth_checks(
            sampler.samples, workers, baseline, warmup, load_end, args.connections,
            fds_readable, notes)
    else:
        notes.append("the run stopped before the warm-up ended; growth checks skipped")
    if not stats.failures:
        stats.failures.extend(growth_failures)

    # Summary.
    total_ops = sum(stats.ops.values())
    print(f"soak: {stats.requests} requests in {load_end:.1f} s "
          f"({stats.requests / max(load_end, 1e-9):.0f} req/s), {total_ops} operations by kind:")
    print("  " + "  ".join(f"{k} {v}" for k, v in stats.ops.items()))
    print(f"soak: errors {load_errors}, caused aborts {stats.caused_aborts}, "
          f"listing 503s at the page cap {stats.accepted_503}, connections closed after "
          f"a download over {LONG_READ_REUSE_MAX_S:g} s {stats.long_read_closes}")
    for slow, name in ((False, "full-speed"), (True, "slow")):
        d = stats.download_s[slow]
        if d:
            print(f"soak: {name} 4 MiB downloads: {len(d)}, seconds min {min(d):.2f} "
                  f"mean {sum(d) / len(d):.2f} max {max(d):.2f}")
    print(f"soak: CPU seconds: client {client_cpu:.1f}, workers {worker_cpu:.1f} "
          f"(over {elapsed:.1f} s of load and drain)")
    if windows:
        fd_slack = (f"descriptors {FD_SLACK + int(FD_SLACK_PER_CONNECTION * args.connections)}"
                    f"; after the clients left {FD_QUIESCENT_SLACK}" if fds_readable
                    else "descriptor checks skipped (/proc/PID/fd not readable)")
        print(f"soak: growth windows: {windows[0]:.0f}-{windows[1]:.0f} s vs "
              f"{windows[2]:.0f}-{windows[3]:.0f} s; slack RSS {RSS_SLACK_KIB} KiB "
              f"+ {SLOT_KIB} KiB per new peak connection; {fd_slack}")
    for pid in workers:
        s = summary.get(pid)
        if not s:
            continue
        r = s["rss_kib"]
        print(f"  worker {pid}: RSS KiB start {r['start']} end {r['end']} max {r['max']} "
              f"(window maxima {r['first_max']} -> {r['last_max']}, {r['growth']:+d}, "
              f"allowed {r['allowed']}); before load {baseline[pid][0]}")
        if fds_readable:
            f, k, o = s["fds"], s["sockets"], s["other_fds"]
            q = quiescent.get(pid)
            print(f"  worker {pid}: fds start {f['start']} end {f['end']} max {f['max']} "
                  f"(sockets {k['start']} -> {k['end']}, max {k['max']}; non-socket window "
                  f"maxima {o['first_max']} -> {o['last_max']}, {o['growth']:+d}, allowed "
                  f"{o['allowed']}); before load {baseline[pid][1][0]}, after the clients "
                  f"left {fmt(q[0] if q else None)}")
    if "sockets" in summary:
        k = summary["sockets"]
        print(f"  all workers: connection sockets window maxima {k['first_max']} -> "
              f"{k['last_max']} ({k['last_max'] - k['first_max']:+d}, allowed {k['allowed']})")
    for line in server.stdout_lines[1:] + server.stderr_lines:
        notes.append(f"server said: {line}")
    for n in notes[:20]:
        print(f"soak: note: {n}")
    for f in stats.failures[1:10]:
        print(f"soak: also: {f}")

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), "seed": seed, "warmup": warmup, "port": port,
                       "workers": workers,
                       "baseline": {p: {"rss_kib": r, "fds": fc and fc[0]}
                                    for p, (r, fc) in baseline.items()},
                       "final": {p: {"rss_kib": r, "fds": fc and fc[0]}
                                 for p, (r, fc) in final.items()},
                       "ops": stats.ops, "requests": stats.requests,
                       "failures": stats.failures, "summary": summary,
                       "samples": sampler.samples}, f, indent=1)

    wall = time.monotonic() - started
    if stats.failures:
        print(f"soak: FAIL: {stats.failures[0]}")
        return 1
    print(f"soak: PASS: {stats.requests} requests, {args.connections} connections, "
          f"{args.workers} workers, no errors, no restarts, no growth beyond slack "
          f"({wall:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
