#!/usr/bin/env python3
"""Measures whether a few hostile clients can starve the others, for httpd
and (as a reference) nginx. Two attacks:

1. Listing flood. The served tree holds big/, a directory of 20,000 empty
   files. K attacker connections (K = 0, 4 and 20 by default) each send a
   batch of 16 pipelined `HEAD /big/` requests in one write, read the 16
   answers, and send the next batch, as fast as they can. Meanwhile a victim
   client on its own keep-alive connection fetches a 1 KiB file in a loop,
   one request at a time. The table shows the victim's median, p99 and max
   latency over the measuring window (--seconds, after a 1 s warm-up), plus
   the attack rate and the server's CPU use, which show that the attack
   really loaded the server. The same again with `GET /big/`.
2. Idle sockets. The server gets 50 connection slots (httpd
   --max-connections 50; nginx worker_connections 52, as its listener and
   its master channel take one slot each, so it holds 50 clients). 200 TCP
   sockets connect and send nothing (variant: one byte, `G`) and stay open.
   Then a normal client connects and sends `GET /small.txt`; the table shows
   how long until its full answer, capped at --idle-wait seconds. When the
   server closes the client's connection unanswered, the client retries
   every 100 ms, like a browser would; the cell then says how many attempts
   it took.

Every server runs with one worker, pinned to CPU 0; the attackers and the
victim run on CPU 1: the attackers in one process with a selector loop, at
a nice value 5 above the victim's, so that the victim is scheduled as soon
as its answer arrives; the victim in another process, so that neither waits
for the other's GIL. As root, everything runs at nice -10 (--nice), so that
other work on the machine disturbs it less: each server and client process
has its own session, and the nice value is given to the session's autogroup
too (with autogroup scheduling a thread's nice counts only inside its
autogroup). The table flags windows in which other processes still used
over 15% of a core. Each row gets a fresh server, stopped with SIGTERM to
its process group, then SIGKILL. Everything runs on 127.0.0.1. Python 3.11,
stdlib only, Linux.

Usage (from the repository root, after `cargo build --release`):

    python3 scripts/fairness.py
    python3 scripts/fairness.py --binary /tmp/httpd-before --json fairness.json
    python3 scripts/fairness.py --peers none --seconds 3 --attackers 4

It takes about 4-5 minutes with the defaults, most of it waiting for the
idle-socket rows to hit the cap. nginx: `apt-get install nginx-light`
(or --peers none). Exit status 0 when every row produced a number, 1 when
a row failed, 2 on setup errors.
"""

import argparse
import hashlib
import json
import math
import multiprocessing
import os
import platform
import re
import resource
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Set

HOST = "127.0.0.1"
KIB = 1024

# Fixture
LISTING_ENTRIES = 20_000  # empty files in big/
SMALL_FILE_BYTES = 1 * KIB  # the victim's file, small.txt

# Attack 1: listing flood
PIPELINE_DEPTH = 16  # requests per attacker write
WARMUP_S = 1.0  # attack and victim run, nothing recorded
DEFAULT_WINDOW_S = 5.0  # measuring window (--seconds)
DEFAULT_ATTACKERS = "4,20"
DEFAULT_NICE = -10  # every process here, so other work on the machine disturbs less (--nice)
ATTACKER_NICE = 5  # added for the attackers: they yield CPU 1 to the victim when it wakes
RECV_BYTES = 256 * KIB  # per recv() of an attacker
VICTIM_GRACE_S = 10.0  # a victim request still unanswered this long after the window: given up
READY_TIMEOUT_S = 10.0  # clients must connect within this
CONNECT_TIMEOUT_S = 5.0
NOISE_LIMIT_PCT = 15  # CPU (% of one core) used by other processes during a window: flagged
BACKGROUND_SAMPLE_S = 1.0  # how long the idle machine is watched before starting

# Attack 2: idle sockets
IDLE_SOCKETS = 200
IDLE_SLOTS = 50  # httpd --max-connections; nginx client connections
NGINX_EXTRA_CONNECTIONS = 2  # nginx's listener and master channel use worker_connections too
DEFAULT_IDLE_WAIT_S = 60.0  # cap on the new client's wait (--idle-wait)
IDLE_CONNECT_WAIT_S = 3.0  # for the 200 sockets to finish connecting
IDLE_SETTLE_S = 0.3  # then let the server accept what it will
RETRY_DELAY_S = 0.1  # the new client's pause before reconnecting after a close

# Servers
STARTUP_TIMEOUT_S = 10.0
STOP_GRACE_S = 5.0  # SIGTERM -> SIGKILL
NGINX_FLOOD_CONNECTIONS = 4096  # worker_connections for the flood rows, as bench.py

SMALL_REQUEST = f"GET /small.txt HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode()


def log(message: str) -> None:
    print(f"fairness: {message}", file=sys.stderr, flush=True)


class SetupError(Exception):
    """The script cannot run at all."""


class Terminated(BaseException):
    """SIGTERM arrived: unwinds like Ctrl-C so every process gets stopped."""


def raise_terminated(signum, frame):
    raise Terminated()


# --------------------------------------------------------------------------
# Fixture
# --------------------------------------------------------------------------

def make_fixture(root: Path) -> None:
    """small.txt (1 KiB) and big/ with 20,000 empty files, 20-byte names."""
    root.mkdir()
    (root / "small.txt").write_bytes(b"x" * (SMALL_FILE_BYTES - 1) + b"\n")
    (root / "index.html").write_text("<!doctype html><title>fairness</title>\n")
    big = root / "big"
    big.mkdir()
    for i in range(LISTING_ENTRIES):
        # "entry-00000-abcdefgh": 20 bytes
        fd = os.open(big / f"entry-{i:05d}-abcdefgh", os.O_CREAT | os.O_WRONLY, 0o644)
        os.close(fd)


# --------------------------------------------------------------------------
# Servers
# --------------------------------------------------------------------------

@dataclass
class Server:
    name: str
    proc: subprocess.Popen
    port: int
    log_path: Path
    note: str = ""

    def log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-500:].strip()
        except OSError:
            return ""


@contextmanager
def pinned_to(cpus: Optional[Set[int]]):
    """Pin this process to `cpus` while the body runs, so a child spawned
    inside inherits it (what `taskset -c` does)."""
    if not cpus:
        yield
        return
    saved = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpus)
    try:
        yield
    finally:
        os.sched_setaffinity(0, saved)


def set_autogroup_nice(pid: int, nice: int) -> None:
    """Give the autogroup (session) of `pid` this nice value, when the kernel
    schedules by autogroup; a thread's own nice only weighs inside it."""
    try:
        with open(f"/proc/{pid}/autogroup", "w") as f:
            f.write(str(nice))
    except OSError:
        pass  # no autogroups, or not allowed: the thread nice still applies


def spawn(argv: List[str], log_path: Path, cpus: Optional[Set[int]]) -> subprocess.Popen:
    """Start a server in its own session and process group, at our nice.
    Its stdout and stderr go to a file, so it can never block on a full pipe."""
    with open(log_path, "wb") as out, pinned_to(cpus):
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    set_autogroup_nice(proc.pid, os.getpriority(os.PRIO_PROCESS, 0))
    return proc


def stop(server: Optional[Server]) -> None:
    if server is None:
        return
    proc = server.proc
    for sig, wait in ((signal.SIGTERM, STOP_GRACE_S), (signal.SIGKILL, STOP_GRACE_S)):
        if proc.poll() is not None:
            break
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
    # Any worker left behind in the group (the leader already exited).
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if proc.poll() is None:
        proc.wait(timeout=STOP_GRACE_S)


BANNER = re.compile(rb"Serving HTTP on \S+ port (\d+) ")


def start_httpd(binary: str, root: Path, scratch: Path, cpus: Optional[Set[int]],
                max_connections: Optional[int]) -> Server:
    argv = [binary, "0", "-b", HOST, "-d", str(root), "-w", "1", "-q"]
    if max_connections is not None:
        argv += ["--max-connections", str(max_connections)]
    log_path = scratch / "httpd.log"
    proc = spawn(argv, log_path, cpus)
    server = Server("httpd", proc, 0, log_path, " ".join(argv[1:]))
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    try:
        while time.monotonic() < deadline:
            first = log_path.read_bytes().split(b"\n", 1)
            match = BANNER.match(first[0]) if len(first) > 1 else None
            if match:
                server.port = int(match.group(1))
                return server
            if proc.poll() is not None:
                raise RuntimeError(f"httpd exited ({proc.returncode}): {server.log_tail()}")
            time.sleep(0.01)
        raise RuntimeError(f"httpd printed no banner in {STARTUP_TIMEOUT_S:.0f} s")
    except BaseException:
        stop(server)
        raise


NGINX_CONF = """\
# generated by fairness.py
daemon off;
master_process on;
{user}worker_processes 1;
pid {scratch}/nginx.pid;
error_log {scratch}/error.log warn;

events {{
    worker_connections {connections};
}}

http {{
    types {{
        text/html  html;
        text/plain txt;
    }}
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;
    keepalive_requests 1000000;
    client_body_temp_path {scratch}/client_body;
    proxy_temp_path {scratch}/proxy;
    fastcgi_temp_path {scratch}/fastcgi;
    uwsgi_temp_path {scratch}/uwsgi;
    scgi_temp_path {scratch}/scgi;

    server {{
        listen {host}:{port};
        root {root};
        autoindex on;
    }}
}}
"""


def pick_free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_nginx(binary: str, root: Path, scratch: Path, cpus: Optional[Set[int]],
                client_slots: Optional[int]) -> Server:
    connections = (client_slots + NGINX_EXTRA_CONNECTIONS if client_slots
                   else NGINX_FLOOD_CONNECTIONS)
    port = pick_free_port()
    conf = scratch / "nginx.conf"
    conf.write_text(NGINX_CONF.format(
        user="user root;\n" if os.geteuid() == 0 else "", scratch=scratch,
        connections=connections, host=HOST, port=port, root=root))
    argv = [binary, "-p", str(scratch), "-c", str(conf), "-e", str(scratch / "error.log")]
    proc = spawn(argv, scratch / "nginx.log", cpus)
    server = Server("nginx", proc, port, scratch / "nginx.log",
                    f"worker_processes 1, worker_connections {connections}")
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                err = (scratch / "error.log").read_text(errors="replace")[-500:]
                raise RuntimeError(f"nginx exited ({proc.returncode}): {err.strip()}")
            try:
                socket.create_connection((HOST, port), timeout=1).close()
                return server
            except OSError:
                time.sleep(0.01)
        raise RuntimeError(f"nginx did not accept in {STARTUP_TIMEOUT_S:.0f} s")
    except BaseException:
        stop(server)
        raise


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU time of every live process in the group."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after the name: state, ppid, pgrp, ...
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def machine_busy_seconds() -> float:
    """CPU time spent busy by all CPUs since boot (/proc/stat)."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")  # up to steal


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def background_cpu_pct() -> float:
    before = machine_busy_seconds()
    time.sleep(BACKGROUND_SAMPLE_S)
    return 100 * (machine_busy_seconds() - before) / BACKGROUND_SAMPLE_S


# --------------------------------------------------------------------------
# HTTP responses
# --------------------------------------------------------------------------

class ResponseStream:
    """Incremental parser of the responses arriving on one connection whose
    requests all use the same method. feed() returns the statuses of the
    responses it completed; `closing` is set once a response ends the
    connection (Connection: close, or a body delimited by the close)."""

    HEAD, BODY, CHUNK_SIZE, CHUNK_DATA, TRAILER, UNTIL_CLOSE = range(6)

    def __init__(self, head_only: bool):
        self.head_only = head_only
        self.buf = bytearray()
        self.state = self.HEAD
        self.remaining = 0
        self.status = 0
        self.closing = False

    def feed(self, data: bytes) -> List[int]:
        done = []
        buf = self.buf
        buf += data
        pos = 0
        while True:
            state = self.state
            if state == self.HEAD:
                end = buf.find(b"\r\n\r\n", pos)
                if end < 0:
                    break
                head = bytes(buf[pos:end])
                pos = end + 4
                self.start(head)
                if self.state == self.HEAD:  # no body
                    done.append(self.status)
            elif state in (self.BODY, self.CHUNK_DATA):
                take = min(len(buf) - pos, self.remaining)
                pos += take
                self.remaining -= take
                if self.remaining:
                    break
                if state == self.BODY:
                    done.append(self.status)
                    self.state = self.HEAD
                else:
                    self.state = self.CHUNK_SIZE
            elif state == self.CHUNK_SIZE:
                end = buf.find(b"\r\n", pos)
                if end < 0:
                    break
                size = int(bytes(buf[pos:end]).split(b";", 1)[0].strip(), 16)
                pos = end + 2
                if size:
                    self.remaining = size + 2  # the data and its CRLF
                    self.state = self.CHUNK_DATA
                else:
                    self.state = self.TRAILER
            elif state == self.TRAILER:
                end = buf.find(b"\r\n", pos)
                if end < 0:
                    break
                empty = end == pos
                pos = end + 2
                if empty:
                    done.append(self.status)
                    self.state = self.HEAD
            else:  # UNTIL_CLOSE: everything is body
                pos = len(buf)
                break
            if self.closing and self.state == self.HEAD:
                break  # nothing may follow on this connection
        del buf[:pos]
        return done

    def start(self, head: bytes) -> None:
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            raise ValueError(f"bad status line {lines[0][:80]!r}")
        self.status = int(parts[1])
        length = None
        chunked = False
        close = parts[0] == b"HTTP/1.0"
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            value = value.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = value.endswith(b"chunked")
            elif name == b"connection":
                if b"close" in value:
                    close = True
                elif b"keep-alive" in value:
                    close = False
        self.closing = close
        if 100 <= self.status < 200 and self.status != 101:
            self.status = 0  # interim: the real answer follows
            raise ValueError("unexpected 1xx response")
        if self.head_only or self.status in (204, 304):
            self.state = self.HEAD
        elif chunked:
            self.state = self.CHUNK_SIZE
        elif length is not None:
            self.remaining = length
            self.state = self.BODY if length else self.HEAD
        else:
            self.state = self.UNTIL_CLOSE
            self.closing = True


def read_small_answer(sock: socket.socket) -> int:
    """Read one answer to SMALL_REQUEST on a blocking socket; returns its
    status, raises EOFError on a close and ValueError when the body is not
    the file."""
    stream = ResponseStream(head_only=False)
    while True:
        data = sock.recv(64 * KIB)
        if not data:
            raise EOFError("connection closed before a full answer")
        statuses = stream.feed(data)
        if statuses:
            if statuses[0] == 200 and stream.buf:
                raise ValueError("bytes after the answer")
            return statuses[0]


# --------------------------------------------------------------------------
# Attack 1: listing flood (clients run in forked processes)
# --------------------------------------------------------------------------

def child_entry(body: Callable, nice_delta: int, pipe, *args) -> None:
    """Run a client process in its own session (so its own autogroup) at our
    nice plus `nice_delta`: stop on SIGTERM, report errors over the pipe."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    os.setsid()
    nice = os.nice(nice_delta)
    set_autogroup_nice(os.getpid(), nice)
    try:
        body(pipe, *args)
    except BaseException as error:  # noqa: BLE001 - reported to the parent
        try:
            pipe.send(("error", f"{type(error).__name__}: {error}"))
        except OSError:
            pass
    finally:
        pipe.close()


class AttackConn:
    def __init__(self, port: int, batch: bytes, head_only: bool, sel: selectors.BaseSelector):
        self.port = port
        self.batch = batch
        self.head_only = head_only
        self.sel = sel
        self.sock: Optional[socket.socket] = None
        self.reconnects = -1
        self.connect()

    def connect(self) -> None:
        if self.sock is not None:
            self.sel.unregister(self.sock)
            self.sock.close()
        self.sock = socket.create_connection((HOST, self.port), timeout=CONNECT_TIMEOUT_S)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(False)
        self.stream = ResponseStream(self.head_only)
        self.outstanding = 0
        self.pending = b""
        self.reconnects += 1
        self.sel.register(self.sock, selectors.EVENT_READ, self)

    def send_batch(self) -> None:
        self.outstanding = PIPELINE_DEPTH
        self.pending = self.batch
        self.flush()

    def flush(self) -> None:
        try:
            sent = self.sock.send(self.pending)
        except BlockingIOError:
            sent = 0
        self.pending = self.pending[sent:]
        self.sel.modify(self.sock, selectors.EVENT_READ |
                        (selectors.EVENT_WRITE if self.pending else 0), self)

    def close(self) -> None:
        if self.sock is not None:
            self.sel.unregister(self.sock)
            self.sock.close()
            self.sock = None


def attacker(pipe, port: int, connections: int, method: str) -> None:
    """K connections, each: 16 pipelined requests in one write, read the 16
    answers, repeat. One selector loop; nothing blocks but connect."""
    batch = f"{method} /big/ HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode() * PIPELINE_DEPTH
    sel = selectors.DefaultSelector()
    conns = [AttackConn(port, batch, method == "HEAD", sel) for _ in range(connections)]
    pipe.send(("ready", None))
    _, (t_start, t_measure, t_end) = pipe.recv()
    time.sleep(max(0.0, t_start - time.monotonic()))
    for conn in conns:
        conn.send_batch()
    statuses: Dict[int, int] = {}
    cpu_at_measure = None
    answered = 0  # answers completed inside the measuring window
    received = 0  # bytes read inside the measuring window
    errors = []
    while True:
        now = time.monotonic()
        if now >= t_end:
            break
        if cpu_at_measure is None and now >= t_measure:
            cpu_at_measure = own_cpu_seconds()
        for key, mask in sel.select(timeout=min(0.05, t_end - now)):
            conn = key.data
            if mask & selectors.EVENT_WRITE and conn.pending:
                conn.flush()
            if not mask & selectors.EVENT_READ:
                continue
            try:
                data = conn.sock.recv(RECV_BYTES)
            except BlockingIOError:
                continue
            except ConnectionError as error:
                data = b""
                errors.append(type(error).__name__)
            done = conn.stream.feed(data) if data else []
            counted = time.monotonic() >= t_measure
            if counted:
                answered += len(done)
                received += len(data)
                for status in done:
                    statuses[status] = statuses.get(status, 0) + 1
            conn.outstanding -= len(done)
            if not data or (conn.stream.closing and conn.stream.state == conn.stream.HEAD):
                if data == b"" and conn.stream.state == conn.stream.UNTIL_CLOSE:
                    if counted:
                        answered += 1
                        statuses[conn.stream.status] = statuses.get(conn.stream.status, 0) + 1
                conn.connect()
                conn.send_batch()
            elif conn.outstanding <= 0:
                conn.send_batch()
    cpu_s = own_cpu_seconds() - (cpu_at_measure or own_cpu_seconds())
    reconnects = sum(c.reconnects for c in conns)
    for conn in conns:
        conn.close()
    pipe.send(("done", {"answers": answered, "statuses": statuses, "bytes": received,
                        "reconnects": reconnects, "errors": errors[:10], "cpu_s": cpu_s}))


def victim(pipe, port: int) -> None:
    """One keep-alive connection, one GET of the 1 KiB file at a time;
    latencies of the requests that overlap the measuring window (so one
    begun in the warm-up and answered after the window counts too)."""
    sock = socket.create_connection((HOST, port), timeout=CONNECT_TIMEOUT_S)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    pipe.send(("ready", None))
    _, (t_start, t_measure, t_end) = pipe.recv()
    time.sleep(max(0.0, t_start - time.monotonic()))
    samples_ns: List[int] = []
    bad = reconnects = 0
    gave_up_ns = None  # a request unanswered at t_end + grace: how long it had waited
    give_up = t_end + VICTIM_GRACE_S
    cpu_at_measure = cpu_at_end = None
    while True:
        begin = time.monotonic_ns()
        if cpu_at_measure is None and begin >= t_measure * 1e9:
            cpu_at_measure = own_cpu_seconds()
        if begin >= t_end * 1e9:
            cpu_at_end = own_cpu_seconds()
            break
        sock.settimeout(max(0.001, give_up - begin / 1e9))
        try:
            sock.sendall(SMALL_REQUEST)
            status = read_small_answer(sock)
        except socket.timeout:
            gave_up_ns = time.monotonic_ns() - begin
            break
        except (EOFError, ConnectionError):
            sock.close()
            sock = socket.create_connection((HOST, port), timeout=CONNECT_TIMEOUT_S)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            reconnects += 1
            continue
        end = time.monotonic_ns()
        if end >= t_measure * 1e9:  # and begin < t_end, as checked above
            samples_ns.append(end - begin)
            if status != 200:
                bad += 1
    sock.close()
    cpu_at_end = cpu_at_end or own_cpu_seconds()
    pipe.send(("done", {"samples_ns": samples_ns, "not_200": bad,
                        "reconnects": reconnects, "gave_up_after_ns": gave_up_ns,
                        "cpu_s": cpu_at_end - (cpu_at_measure or cpu_at_end)}))


def percentile(sorted_values: List[int], fraction: float) -> int:
    """Nearest-rank percentile."""
    rank = math.ceil(fraction * len(sorted_values))
    return sorted_values[min(max(rank, 1), len(sorted_values)) - 1]


def expect(pipe, what: str, deadline: float):
    """The next message from a client process, or an error past `deadline`."""
    if not pipe.poll(max(0.0, deadline - time.monotonic())):
        raise RuntimeError(f"{what} did not report in time")
    kind, payload = pipe.recv()
    if kind == "error":
        raise RuntimeError(f"{what}: {payload}")
    return payload


def measure_flood(server: Server, connections: int, method: str, window_s: float) -> dict:
    ctx = multiprocessing.get_context("fork")
    procs = []
    pipes = {}
    try:
        for name, body, nice_delta, args in (
                ("victim", victim, 0, (server.port,)),
                ("attacker", attacker, ATTACKER_NICE, (server.port, connections, method))):
            if name == "attacker" and connections == 0:
                continue
            ours, theirs = ctx.Pipe()
            proc = ctx.Process(target=child_entry, args=(body, nice_delta, theirs) + args,
                               daemon=True)
            proc.start()
            theirs.close()
            procs.append(proc)
            pipes[name] = ours
        for name, pipe in pipes.items():
            expect(pipe, name, time.monotonic() + READY_TIMEOUT_S)
        t_start = time.monotonic() + 0.05
        t_measure = t_start + WARMUP_S
        t_end = t_measure + window_s
        for pipe in pipes.values():
            pipe.send(("go", (t_start, t_measure, t_end)))
        time.sleep(max(0.0, t_measure - time.monotonic()))
        cpu_before = group_cpu_seconds(server.proc.pid)
        busy_before = machine_busy_seconds()
        wall_before = time.monotonic()
        time.sleep(max(0.0, t_end - time.monotonic()))
        server_cpu_s = group_cpu_seconds(server.proc.pid) - cpu_before
        busy_s = machine_busy_seconds() - busy_before
        wall_s = time.monotonic() - wall_before
        deadline = t_end + VICTIM_GRACE_S + READY_TIMEOUT_S
        result = {"victim": expect(pipes["victim"], "victim", deadline)}
        if "attacker" in pipes:
            result["attack"] = expect(pipes["attacker"], "attacker", deadline)
        if server.proc.poll() is not None:
            raise RuntimeError(f"{server.name} exited ({server.proc.returncode})")
    finally:
        for proc in procs:
            proc.join(timeout=2)
            if proc.is_alive():
                proc.kill()
                proc.join()
        for pipe in pipes.values():
            pipe.close()
    samples = sorted(result["victim"]["samples_ns"])
    clients_cpu_s = result["victim"]["cpu_s"] + result.get("attack", {}).get("cpu_s", 0.0)
    result["server_cpu_pct"] = 100 * server_cpu_s / wall_s
    result["victim_cpu_pct"] = 100 * result["victim"]["cpu_s"] / wall_s
    if "attack" in result:
        result["attack"]["cpu_pct"] = 100 * result["attack"]["cpu_s"] / wall_s
    # Everything else on the machine (other processes, and the kernel's work
    # not charged to ours): large values mean the numbers are noisy.
    result["others_cpu_pct"] = max(0.0, 100 * (busy_s - server_cpu_s - clients_cpu_s) / wall_s)
    result["window_s"] = window_s
    if samples:
        result["latency_ns"] = {"n": len(samples), "p50": percentile(samples, 0.5),
                                "p99": percentile(samples, 0.99), "max": samples[-1]}
    gave_up = result["victim"]["gave_up_after_ns"]
    if gave_up is not None and (not samples or gave_up > samples[-1]):
        result.setdefault("latency_ns", {"n": 0, "p50": None, "p99": None})
        result["latency_ns"]["max"] = gave_up  # a lower bound: it never came
        result["latency_ns"]["max_is_lower_bound"] = True
    if "attack" in result:
        result["attack"]["answers_per_s"] = result["attack"]["answers"] / window_s
    return result


# --------------------------------------------------------------------------
# Attack 2: idle sockets
# --------------------------------------------------------------------------

def open_idle_sockets(port: int, count: int, one_byte: bool, socks: List[socket.socket]) -> int:
    """Connect `count` sockets (appended to `socks`) without waiting for the
    server to accept them; with `one_byte`, send one byte on each as soon as
    it is connected, as a slow client would. Returns how many connected."""
    sel = selectors.DefaultSelector()
    connected = 0
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            socks.append(sock)
            sock.setblocking(False)
            sock.connect_ex((HOST, port))  # EINPROGRESS, even on loopback
            try:
                # On loopback the handshake is usually done when connect
                # returns, so the byte can leave at once.
                if one_byte:
                    sock.send(b"G")
                else:
                    sock.getpeername()
                connected += 1
            except OSError:  # still connecting (or failed): wait for it
                sel.register(sock, selectors.EVENT_WRITE)
        deadline = time.monotonic() + IDLE_CONNECT_WAIT_S
        while sel.get_map() and time.monotonic() < deadline:
            for key, _ in sel.select(timeout=0.05):
                sock = key.fileobj
                sel.unregister(sock)
                if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                    connected += 1
                    if one_byte:
                        try:
                            sock.send(b"G")
                        except OSError:
                            pass
    finally:
        sel.close()
    return connected


def count_closed_by_server(socks: List[socket.socket]) -> int:
    closed = 0
    for sock in socks:
        try:
            if sock.recv(1, socket.MSG_PEEK) == b"":
                closed += 1
        except BlockingIOError:
            pass
        except OSError:
            closed += 1
    return closed


def newcomer(port: int, cap_s: float) -> dict:
    """Connect and GET /small.txt; on a close or reset without an answer,
    retry every RETRY_DELAY_S. Time from the first connect to a full 200."""
    began = time.monotonic()
    deadline = began + cap_s
    outcomes: Dict[str, int] = {}
    first_outcome_ms = None
    attempts = 0
    while time.monotonic() < deadline:
        attempts += 1
        attempt_began = time.monotonic()
        outcome = "answered"
        try:
            with socket.create_connection(
                    (HOST, port), timeout=max(0.001, deadline - time.monotonic())) as sock:
                sock.sendall(SMALL_REQUEST)
                sock.settimeout(max(0.001, deadline - time.monotonic()))
                status = read_small_answer(sock)
                if status != 200:
                    outcome = f"status {status}"
        except socket.timeout:
            outcome = "timeout"
        except ConnectionRefusedError:
            outcome = "refused"
        except ConnectionResetError:
            outcome = "reset"
        except (EOFError, BrokenPipeError):
            outcome = "closed"
        now = time.monotonic()
        if first_outcome_ms is None:
            first_outcome_ms = (now - attempt_began) * 1e3
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if outcome == "answered":
            return {"answered": True, "ms": (now - began) * 1e3, "attempts": attempts,
                    "outcomes": outcomes, "first_attempt_ms": first_outcome_ms}
        if outcome == "timeout":
            break
        time.sleep(max(0.0, min(RETRY_DELAY_S, deadline - time.monotonic())))
    return {"answered": False, "ms": (time.monotonic() - began) * 1e3, "attempts": attempts,
            "outcomes": outcomes, "first_attempt_ms": first_outcome_ms}


def measure_idle(server: Server, one_byte: bool, cap_s: float) -> dict:
    socks: List[socket.socket] = []
    try:
        connected = open_idle_sockets(server.port, IDLE_SOCKETS, one_byte, socks)
        time.sleep(IDLE_SETTLE_S)
        result = newcomer(server.port, cap_s)
        result["idle_connected"] = connected
        result["idle_closed_by_server"] = count_closed_by_server(socks)
        result["cap_s"] = cap_s
        return result
    finally:
        for sock in socks:
            sock.close()


# --------------------------------------------------------------------------
# Rows and report
# --------------------------------------------------------------------------

@dataclass
class Row:
    key: str
    title: str
    kind: str  # "flood" or "idle"
    connections: int = 0
    method: str = "HEAD"
    one_byte: bool = False
    results: Dict[str, dict] = field(default_factory=dict)  # server -> result or failure


def make_rows(attackers: List[int]) -> List[Row]:
    rows = [Row("baseline", "no attack (baseline)", "flood")]
    for method in ("HEAD", "GET"):
        for k in attackers:
            rows.append(Row(f"flood-{method.lower()}-{k}",
                            f"listing flood {method}, {k} connections", "flood", k, method))
    rows.append(Row("idle-silent", f"idle sockets: {IDLE_SOCKETS} silent vs {IDLE_SLOTS} slots",
                    "idle"))
    rows.append(Row("idle-one-byte",
                    f"idle sockets: {IDLE_SOCKETS} one-byte vs {IDLE_SLOTS} slots", "idle",
                    one_byte=True))
    return rows


def fmt_ns(ns: Optional[int]) -> str:
    if ns is None:
        return "-"
    if ns < 1_000_000:
        return f"{ns / 1e3:.0f} µs"
    if ns < 100_000_000:
        return f"{ns / 1e6:.1f} ms"
    if ns < 1_000_000_000:
        return f"{ns / 1e6:.0f} ms"
    return f"{ns / 1e9:.2f} s"


def latency_cell(result: dict) -> str:
    if "failure" in result:
        return "FAIL: " + result["failure"][:60]
    lat = result.get("latency_ns")
    if not lat:
        return "no answer"
    top = (">" if lat.get("max_is_lower_bound") else "") + fmt_ns(lat["max"])
    return f"{fmt_ns(lat['p50'])} / {fmt_ns(lat['p99'])} / {top} (n={lat['n']})"


def load_cell(result: dict) -> str:
    if "failure" in result or "server_cpu_pct" not in result:
        return ""
    attack = result.get("attack")
    text = f"{attack['answers_per_s']:,.0f}/s, " if attack else ""
    text += f"srv {result['server_cpu_pct']:.0f}%"
    if attack:
        text += f" att {attack['cpu_pct']:.0f}%"
    if result["others_cpu_pct"] > NOISE_LIMIT_PCT:
        text += f" (others {result['others_cpu_pct']:.0f}%!)"
    return text


def idle_cell(result: dict) -> str:
    if "failure" in result:
        return "FAIL: " + result["failure"][:60]
    retries = ""
    if result["attempts"] > 1:
        fates = ", ".join(f"{n} {o}" for o, n in result["outcomes"].items())
        retries = f" ({result['attempts']} attempts: {fates})"
    if result["answered"]:
        ms = result["ms"]
        when = f"{ms:.1f} ms" if ms < 1000 else f"{ms / 1e3:.1f} s"
        return f"answer after {when}{retries}"
    return f"no answer in {result['cap_s']:.0f} s (>{result['cap_s']:.0f} s){retries}"


def print_table(rows: List[Row], servers: List[str]) -> None:
    header = ["attack"]
    for name in servers:
        header += [f"{name} p50 / p99 / max", f"{name} load"]
    lines = []
    for row in rows:
        cells = [row.title]
        for name in servers:
            result = row.results.get(name, {"failure": "not run"})
            if row.kind == "flood":
                cells += [latency_cell(result), load_cell(result)]
            elif "failure" in result:
                cells += [idle_cell(result), ""]
            else:
                closed = result["idle_closed_by_server"]
                cells += [idle_cell(result),
                          f"{result['idle_connected'] - closed} open, {closed} closed"]
        lines.append(cells)
    widths = [max(len(r[i]) for r in [header] + lines) for i in range(len(header))]

    def render(cells):
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"
    print(render(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for cells in lines:
        print(render(cells))


def run_row(row: Row, name: str, start: Callable[[Optional[int]], Server],
            window_s: float, idle_wait_s: float) -> dict:
    server = None
    try:
        server = start(IDLE_SLOTS if row.kind == "idle" else None)
        if row.kind == "flood":
            result = measure_flood(server, row.connections, row.method, window_s)
        else:
            result = measure_idle(server, row.one_byte, idle_wait_s)
        result["server"] = server.note
        return result
    except (RuntimeError, OSError, ValueError) as error:
        tail = server.log_tail() if server else ""
        log(f"{name} / {row.key}: FAIL: {error}" + (f" (log: {tail})" if tail else ""))
        return {"failure": str(error)}
    finally:
        stop(server)


def choose_cpus() -> tuple:
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2:
        log("fewer than 2 CPUs: not pinning; numbers will mix server and client load")
        return None, None
    return {available[0]}, {available[1]}


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    repo = Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=str(repo / "target/release/httpd"),
                        help="httpd binary (default: target/release/httpd of this repo)")
    parser.add_argument("--peers", default="nginx", choices=["nginx", "none"],
                        help="reference server to measure too (default nginx)")
    parser.add_argument("--seconds", type=float, default=DEFAULT_WINDOW_S,
                        help=f"measuring window per flood row, after {WARMUP_S:.0f} s "
                             f"of warm-up (default {DEFAULT_WINDOW_S:.0f})")
    parser.add_argument("--attackers", default=DEFAULT_ATTACKERS,
                        help=f"attacker connection counts (default {DEFAULT_ATTACKERS})")
    parser.add_argument("--idle-wait", type=float, default=DEFAULT_IDLE_WAIT_S,
                        help="cap on the new client's wait in the idle-socket rows, "
                             f"seconds (default {DEFAULT_IDLE_WAIT_S:.0f})")
    parser.add_argument("--nice", type=int, default=DEFAULT_NICE,
                        help="nice value of the servers and clients (default "
                             f"{DEFAULT_NICE} when root, else unchanged)")
    parser.add_argument("--json", metavar="FILE", help="write the raw numbers here")
    args = parser.parse_args(argv)
    try:
        args.attacker_list = [int(k) for k in args.attackers.split(",") if k.strip()]
    except ValueError:
        parser.error("--attackers takes comma-separated integers, e.g. 4,20")
    if any(k < 1 for k in args.attacker_list):
        parser.error("--attackers: each count must be at least 1")
    if args.seconds <= 0 or args.idle_wait <= 0:
        parser.error("--seconds and --idle-wait must be positive")
    return args


def run(args: argparse.Namespace) -> int:
    began = time.monotonic()
    binary = os.path.abspath(args.binary)
    if not os.access(binary, os.X_OK):
        raise SetupError(f"{binary} is not an executable (cargo build --release?)")
    nginx = None
    if args.peers == "nginx":
        nginx = shutil.which("nginx", path=os.pathsep.join(
            [os.environ.get("PATH", ""), "/usr/local/sbin", "/usr/sbin", "/sbin"]))
        if not nginx:
            raise SetupError("nginx not found: apt-get install nginx-light, or --peers none")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
    nice = os.getpriority(os.PRIO_PROCESS, 0)
    if args.nice < nice and os.geteuid() != 0:
        log(f"not root: staying at nice {nice}")
    elif args.nice != nice:
        os.setpriority(os.PRIO_PROCESS, 0, args.nice)  # inherited by all we start
        nice = args.nice
    server_cpus, client_cpus = choose_cpus()
    if client_cpus:
        os.sched_setaffinity(0, client_cpus)  # this process and every client it forks
    background = background_cpu_pct()
    log(f"background CPU use: {background:.0f}% of one core")
    if background > NOISE_LIMIT_PCT:
        log("warning: something else is using the CPU; latencies will be noisy")
    rows = make_rows(args.attacker_list)
    servers = ["httpd"] + (["nginx"] if nginx else [])
    nginx_version = ""
    if nginx:
        nginx_version = subprocess.run([nginx, "-v"], capture_output=True,
                                       text=True).stderr.strip()

    with tempfile.TemporaryDirectory(prefix="httpd-fairness-") as tmp:
        scratch = Path(tmp)
        root = scratch / "www"
        make_fixture(root)
        log(f"fixture: {root} ({LISTING_ENTRIES} entries in big/)")
        for name in servers:
            for row in rows:
                run_dir = scratch / f"{name}-{row.key}"
                run_dir.mkdir()
                if name == "httpd":
                    def start(slots, d=run_dir):
                        return start_httpd(binary, root, d, server_cpus, slots)
                else:
                    def start(slots, d=run_dir):
                        return start_nginx(nginx, root, d, server_cpus, slots)
                log(f"{name}: {row.title} ...")
                row.results[name] = run_row(row, name, start, args.seconds, args.idle_wait)

    elapsed = time.monotonic() - began
    print(f"\nVictim latency (GET of a 1 KiB file, one at a time on a keep-alive "
          f"connection; every request overlapping a {args.seconds:g} s window that "
          f"follows {WARMUP_S:g} s of warm-up). \"load\": attack answers per second, "
          f"CPU (% of one core) of the server (srv) and of the attackers (att); in the "
          f"idle rows, how many of the idle sockets were still open and how many the "
          f"server had closed.\n")
    print_table(rows, servers)
    print(f"\nhttpd: {binary} -w 1 -q (--max-connections {IDLE_SLOTS} for the idle rows)")
    if nginx:
        print(f"nginx: {nginx_version}, worker_processes 1; worker_connections "
              f"{NGINX_FLOOD_CONNECTIONS} for the flood rows, "
              f"{IDLE_SLOTS + NGINX_EXTRA_CONNECTIONS} for the idle rows "
              f"({IDLE_SLOTS} clients + its listener + its master channel)")
    print(f"nice: {nice} for the servers and the victims, {nice + ATTACKER_NICE} for "
          f"the attackers")
    print(f"big/: {LISTING_ENTRIES} empty files; attackers pipeline {PIPELINE_DEPTH} "
          f"requests per write; server on CPU {sorted(server_cpus or [])}, clients on CPU "
          f"{sorted(client_cpus or [])}; idle rows: {IDLE_SOCKETS} sockets, then one "
          f"client (retrying every {RETRY_DELAY_S * 1e3:.0f} ms after a close), "
          f"capped at {args.idle_wait:g} s")
    print(f"background CPU use before starting: {background:.0f}% of one core; "
          f"\"others N%!\" marks a window where other processes used over "
          f"{NOISE_LIMIT_PCT}% of a core")
    print(f"run time: {elapsed:.0f} s")

    if args.json:
        report = {
            "meta": {"date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                     "kernel": platform.release(), "cpus": os.cpu_count(),
                     "binary": binary,
                     "binary_sha256": hashlib.sha256(Path(binary).read_bytes()).hexdigest(),
                     "nginx": nginx_version or None,
                     "server_cpus": sorted(server_cpus or []), "nice": nice,
                     "client_cpus": sorted(client_cpus or []),
                     "window_s": args.seconds, "warmup_s": WARMUP_S,
                     "idle_wait_s": args.idle_wait, "listing_entries": LISTING_ENTRIES,
                     "pipeline_depth": PIPELINE_DEPTH, "idle_sockets": IDLE_SOCKETS,
                     "idle_slots": IDLE_SLOTS, "run_time_s": elapsed,
                     "background_cpu_pct": background},
            "rows": [{"key": r.key, "title": r.title, "kind": r.kind,
                      "connections": r.connections, "method": r.method,
                      "one_byte": r.one_byte, "results": r.results} for r in rows],
        }
        Path(args.json).write_text(json.dumps(report, indent=1) + "\n")
        log(f"wrote {args.json}")
    failed = any("failure" in res for r in rows for res in r.results.values())
    return 1 if failed else 0


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, raise_terminated)
    try:
        return run(args)
    except KeyboardInterrupt:
        log("interrupted; every started process was stopped")
        return 130
    except Terminated:
        log("terminated; every started process was stopped")
        return 143
    except SetupError as error:
        log(f"error: {error}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
