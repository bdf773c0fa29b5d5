#!/usr/bin/env python3
"""Counts the syscalls httpd's worker makes per request, path by path: a
1 KiB file answered from the cache (keep-alive), a 1 KiB file asked for
the first time (a miss), a missing path (404), a 304, a range, a listing
of 1,000 files, and a new connection per request (`Connection: close`).
Each case runs N requests with `strace -c -f` attached to the only
worker, and prints each syscall's calls per request. Usage:
syscalls.py [N] [BINARY [ARGS...]] (loopback only; strace needed).
Run it on two builds to compare them: the README's table comes from it."""

import os, re, socket, subprocess, sys, tempfile, time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 500
BINARY = sys.argv[2] if len(sys.argv) > 2 else "target/release/httpd"
EXTRA = sys.argv[3:]


def worker_of(pid):
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        return int(p)
            except OSError:
                pass
    return None


def read_response(s, head_only=False):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            raise RuntimeError("closed")
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    m = re.search(rb"(?i)content-length: *(\d+)", head)
    want = 0 if head_only or not m else int(m.group(1))
    while len(body) < want:
        body += s.recv(65536)
    return head.split(b" ", 2)[1], body


def main():
    root = tempfile.mkdtemp(prefix="httpd-syscalls-")
    os.chmod(root, 0o755)  # served as nobody when run as root
    with open(os.path.join(root, "1k.bin"), "wb") as f:
        f.write(os.urandom(1024))
    os.mkdir(os.path.join(root, "fresh"))
    for i in range(N):
        with open(os.path.join(root, "fresh", f"{i}.bin"), "wb") as f:
            f.write(os.urandom(1024))
    os.mkdir(os.path.join(root, "listing"))
    for i in range(1000):
        open(os.path.join(root, "listing", f"file-{i:04}.txt"), "w").close()
    server = subprocess.Popen(
        [BINARY, "0", "-b", "127.0.0.1", "-d", root, "-w", "1", "-q", *EXTRA],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    banner = server.stdout.readline().decode()
    port = int(re.search(r"port (\d+)", banner).group(1))
    time.sleep(0.3)
    worker = worker_of(server.pid)

    def keep_alive(paths, headers=b""):
        s = socket.create_connection(("127.0.0.1", port))
        for p in paths:
            s.sendall(b"GET " + p + b" HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
            read_response(s)
        s.close()

    # The validator for the 304 case.
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /1k.bin HTTP/1.1\r\nHost: x\r\n\r\n")
    data = s.recv(65536)
    etag = re.search(rb"(?i)etag: *(\S+)", data).group(1)
    s.close()

    def close_each(path):
        for _ in range(N):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            read_response(s)
            while s.recv(65536):
                pass
            s.close()

    cases = [
        ("1 KiB, cached (keep-alive)", lambda: keep_alive([b"/1k.bin"] * N)),
        ("1 KiB, first request (miss)",
         lambda: keep_alive([b"/fresh/%d.bin" % i for i in range(N)])),
        ("404", lambda: keep_alive([b"/missing.txt"] * N)),
        ("304", lambda: keep_alive([b"/1k.bin"] * N, b"If-None-Match: " + etag + b"\r\n")),
        ("range", lambda: keep_alive([b"/1k.bin"] * N, b"Range: bytes=0-99\r\n")),
        ("listing, 1,000 files", lambda: keep_alive([b"/listing/"] * N)),
        ("new connection per request", lambda: close_each(b"/1k.bin")),
    ]
    print(f"{BINARY} {' '.join(EXTRA)}: syscalls per request, {N} requests a case")
    for name, run in cases:
        keep_alive([b"/1k.bin", b"/missing.txt", b"/listing/"])  # warm
        out = tempfile.mktemp(prefix="httpd-strace-")
        tracer = subprocess.Popen(["strace", "-c", "-f", "-p", str(worker), "-o", out],
                                  stderr=subprocess.PIPE)
        tracer.stderr.readline()  # "Process N attached"
        run()
        time.sleep(0.2)
        tracer.send_signal(2)
        tracer.wait()
        counts = {}
        with open(out) as f:
            for line in f:
                fields = line.split()
                if len(fields) >= 5 and fields[-1] not in ("syscall", "total") and fields[0][0].isdigit():
                    counts[fields[-1]] = int(fields[3])
        os.unlink(out)
        total = sum(counts.values()) / N
        detail = ", ".join(f"{k} {v / N:.2f}" for k, v in
                           sorted(counts.items(), key=lambda kv: -kv[1]) if v / N >= 0.01)
        print(f"  {name:30} {total:5.2f}  ({detail})")
    server.terminate()
    server.wait()
    subprocess.run(["rm", "-rf", root])


if __name__ == "__main__":
    main()
