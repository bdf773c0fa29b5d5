#!/usr/bin/env python3
"""Measures what idle keep-alive connections cost httpd: opens N connections
to a fresh server (one worker), has each make one request, holds them all
open, reads the worker's RSS at once and again once they have been idle
for a few seconds (when their buffers are given back), then has every one
of them make a second
request and checks each answer. Usage: idle_connections.py [--tls] [N]
[BINARY] (loopback only; the server runs for the duration of the script).
With --tls the server uses --tls-self-signed and every connection is a
TLS 1.3 connection (Python's ssl, the certificate not checked)."""

import os, re, resource, selectors, socket, ssl, subprocess, sys, tempfile, time

TLS = "--tls" in sys.argv
ARGS = [a for a in sys.argv[1:] if a != "--tls"]
N = int(ARGS[0]) if len(ARGS) > 0 else 10_000
BINARY = ARGS[1] if len(ARGS) > 1 else "target/release/httpd"
REQUEST = b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n"
# Connections per client source address, well within its ephemeral ports.
PER_SOURCE = 20_000
IP_BIND_ADDRESS_NO_PORT = 24  # linux/in.h

def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))

def worker_of(pid):
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        return int(p)
            except OSError:
                pass
    raise SystemExit("no worker found")

def round_trip(socks):
    """Send a request on every socket, then read every answer."""
    if TLS:
        # One at a time: an SSL socket may hold decrypted bytes that
        # select() cannot see.
        for s in socks:
            s.sendall(REQUEST)
            data = b""
            while not data.endswith(b"hello\n"):
                chunk = s.recv(4096)
                if not chunk:
                    raise SystemExit("server closed a connection")
                data += chunk
            assert data.startswith(b"HTTP/1.1 200 OK"), data[:40]
        return len(socks)
    for s in socks:
        s.sendall(REQUEST)
    sel = selectors.DefaultSelector()
    pending = {}
    for s in socks:
        sel.register(s, selectors.EVENT_READ)
        pending[s] = b""
    deadline = time.time() + 120
    ok = 0
    while pending and time.time() < deadline:
        for key, _ in sel.select(timeout=1):
            s = key.fileobj
            data = s.recv(4096)
            if not data:
                raise SystemExit("server closed a connection")
            pending[s] += data
            if pending[s].endswith(b"hello\n"):
                assert pending[s].startswith(b"HTTP/1.1 200 OK"), pending[s][:40]
                sel.unregister(s)
                del pending[s]
                ok += 1
    sel.close()
    return ok

def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    root = tempfile.mkdtemp()
    # mkdtemp makes it 0700; started as root, httpd serves as nobody.
    os.chmod(root, 0o755)
    with open(os.path.join(root, "a.txt"), "w") as f:
        f.write("hello\n")
    tls_args = ["--tls-self-signed"] if TLS else []
    server = subprocess.Popen([BINARY, "0", "-b", "127.0.0.1", "-d", root, "-w", "1", "-q",
                               "--max-connections", str(N + 100), "--timeout", "600"] + tls_args,
                              stdout=subprocess.PIPE)
    port = int(re.search(rb"port (\d+)", server.stdout.readline()).group(1))
    time.sleep(0.2)
    worker = worker_of(server.pid)
    base = rss_kib(worker)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    socks = []
    for i in range(N):
        # One source address has ~28,000 ephemeral ports
        # (net.ipv4.ip_local_port_range): spread over 127.0.0.x.
        # IP_BIND_ADDRESS_NO_PORT: the port is chosen at connect, not
        # searched for at bind (which is slow with many sockets).
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
        s.bind((f"127.0.0.{2 + i // PER_SOURCE}", 0))
        s.connect(("127.0.0.1", port))
        s.setblocking(True)
        if TLS:
            s = ctx.wrap_socket(s, server_hostname="localhost")
        socks.append(s)
    first = round_trip(socks)
    busy = rss_kib(worker)
    # A connection idle for IDLE_RELEASE_SECS (2 s, net/conn.rs) gives its
    # buffers' pages back at the worker's next once-a-second sweep.
    time.sleep(3.5)
    held = rss_kib(worker)
    second = round_trip(socks)
    kind = "TLS 1.3 " if TLS else ""
    print(f"{kind}connections: {N}; answered: {first} then {second} (all held open)")
    print(f"worker RSS: {base} KiB at start, {busy} KiB just after the requests, "
          f"{held} KiB holding {N} idle connections (3.5 s later)")
    print(f"just after the requests: {(busy - base) / N * 1024:.0f} bytes per connection")
    print(f"growth: {(held - base) / N * 1024:.0f} bytes per idle connection "
          "(user memory only; the kernel's socket buffers are not in RSS)")
    for s in socks:
        s.close()
    server.terminate()
    server.wait(timeout=20)

main()
