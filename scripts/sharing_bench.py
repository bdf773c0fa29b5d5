#!/usr/bin/env python3
"""Throughput and server CPU of uploads and tar downloads (issue 9).

Uploads: `curl -T` (PUT) of a 1 GiB file to httpd and to nginx's WebDAV
module (`dav_methods PUT`), and `curl -F` (multipart POST) to httpd and to
Python's `uploadserver` (`pip install uploadserver`), each server pinned
to CPU 0 with one worker, curl on CPU 1. Tar downloads: a tree of 1,000
small files and one 1 GiB file from httpd, against `tar -c` of the same
tree piped to `cat >/dev/null` (GNU tar skips reading the files when its
archive is /dev/null itself, so the pipe is the honest floor).

Reports MB/s (median of --runs) and server CPU seconds per GiB moved
(utime + stime of the server's processes, from /proc). Benchmarks, not
tests: nothing is asserted.

    python3 scripts/sharing_bench.py [--runs 3] [--size-mib 1024]
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HTTPD = os.environ.get("HTTPD", os.path.join(ROOT, "target", "release", "httpd"))
TICK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree_pids(pid):
    """pid and all its descendants."""
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        try:
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return pids


def cpu_secs(pid):
    total = 0
    for p in tree_pids(pid):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total / TICK


def wait_port(port, proc):
    deadline = time.time() + 20
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"server exited: {proc.args}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"server did not start: {proc.args}")


def start(cmd, port, cwd=None):
    proc = subprocess.Popen(["taskset", "-c", "0"] + cmd, cwd=cwd,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port, proc)
    return proc


def stop(proc):
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def timed(proc, client, nbytes, runs, before_each=None):
    """Median MB/s and CPU s/GiB of `client` (argv) run `runs` times."""
    rates, cpus = [], []
    for _ in range(runs):
        if before_each:
            before_each()
        c0, t0 = cpu_secs(proc.pid), time.perf_counter()
        subprocess.run(["taskset", "-c", "1"] + client, check=True,
                       stdout=subprocess.DEVNULL)
        t1, c1 = time.perf_counter(), cpu_secs(proc.pid)
        rates.append(nbytes / (t1 - t0) / 1e6)
        cpus.append((c1 - c0) / (nbytes / 2**30))
    rates.sort()
    cpus.sort()
    return rates[len(rates) // 2], cpus[len(cpus) // 2]


def nginx_conf(prefix, port, root):
    conf = os.path.join(prefix, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""
daemon off; worker_processes 1; error_log {prefix}/error.log; pid {prefix}/nginx.pid;
events {{ worker_connections 64; }}
http {{
  access_log off; client_body_temp_path {root}/.tmp; client_max_body_size 0;
  server {{ listen 127.0.0.1:{port}; root {root};
    location / {{ dav_methods PUT; create_full_put_path off; }} }}
}}
""")
    return conf


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--size-mib", type=int, default=1024)
    args = ap.parse_args()
    if not os.path.exists(HTTPD):
        sys.exit("build first: cargo build --release")
    work = tempfile.mkdtemp(prefix="httpd-sharing-")
    os.chmod(work, 0o755)
    try:
        run(work, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(work, args):
    size = args.size_mib << 20
    src = os.path.join(work, "big.bin")
    with open(src, "wb") as f:
        block = os.urandom(1 << 20)
        for _ in range(args.size_mib):
            f.write(block)
    up = os.path.join(work, "up")
    os.mkdir(up)
    os.chmod(up, 0o777)

    def clean():
        for name in os.listdir(up):
            p = os.path.join(up, name)
            if os.path.isfile(p):
                os.remove(p)

    rows = []
    port = free_port()
    httpd = start([HTTPD, str(port), "-b", "127.0.0.1", "-d", work, "-w", "1",
                   "-q", "--upload", "--max-upload", "8G"], port)
    try:
        url = f"http://127.0.0.1:{port}/up/"
        rows.append(("upload, curl -T (PUT)", "httpd") + timed(
            httpd, ["curl", "-sf", "-T", src, url + "big.bin"], size, args.runs, clean))
        rows.append(("upload, curl -F (multipart POST)", "httpd") + timed(
            httpd, ["curl", "-sf", "-F", f"file=@{src}", url], size, args.runs, clean))
        clean()
        # Tar: one big file, then 1,000 small ones.
        big_dir = os.path.join(work, "bigdir")
        os.mkdir(big_dir)
        os.link(src, os.path.join(big_dir, "big.bin"))
        small = os.path.join(work, "small")
        os.mkdir(small)
        for i in range(1000):
            with open(os.path.join(small, f"f{i:04}.txt"), "wb") as f:
                f.write(os.urandom(512 + (i * 37) % 8192))
        for label, d in (("tar download, one 1 GiB file", "bigdir"),
                         ("tar download, 1,000 small files", "small")):
            tar_url = f"http://127.0.0.1:{port}/{d}/?download=tar"
            head = subprocess.run(["curl", "-sfI", tar_url], capture_output=True,
                                  text=True, check=True).stdout
            n = int([l for l in head.splitlines()
                     if l.lower().startswith("content-length")][0].split(":")[1])
            rows.append((label, "httpd") + timed(
                httpd, ["curl", "-sf", "-o", "/dev/null", tar_url], n, args.runs))
            rates = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                subprocess.run(f"taskset -c 1 tar -cf - -C {work} {d} | cat >/dev/null",
                               shell=True, check=True)
                rates.append(n / (time.perf_counter() - t0) / 1e6)
            rates.sort()
            rows.append((label, "tar -c | cat", rates[len(rates) // 2], float("nan")))
    finally:
        stop(httpd)

    if shutil.which("nginx"):
        prefix = os.path.join(work, "nginx")
        os.mkdir(prefix)
        os.makedirs(os.path.join(work, ".tmp"), exist_ok=True)
        os.chmod(os.path.join(work, ".tmp"), 0o777)
        port = free_port()
        nginx = start(["nginx", "-c", nginx_conf(prefix, port, work), "-p", prefix], port)
        try:
            url = f"http://127.0.0.1:{port}/up/big.bin"
            rows.append(("upload, curl -T (PUT)", "nginx WebDAV") + timed(
                nginx, ["curl", "-sf", "-T", src, url], size, args.runs, clean))
        finally:
            stop(nginx)
    try:
        import uploadserver  # noqa: F401
        port = free_port()
        py = start([sys.executable, "-m", "uploadserver", str(port), "-b", "127.0.0.1",
                    "-d", up], port)
        try:
            rows.append(("upload, curl -F (multipart POST)", "python uploadserver") + timed(
                py, ["curl", "-sf", "-F", f"files=@{src}",
                     f"http://127.0.0.1:{port}/upload"], size, args.runs, clean))
        finally:
            stop(py)
    except ImportError:
        print("note: uploadserver not installed (pip install uploadserver)")

    print(f"\n{args.size_mib} MiB, median of {args.runs}; server on CPU 0, client on CPU 1\n")
    print("| case | server | MB/s | server CPU s per GiB |")
    print("|---|---|---:|---:|")
    for case, server, rate, cpu in rows:
        cpu_text = "-" if cpu != cpu else f"{cpu:.2f}"
        print(f"| {case} | {server} | {rate:,.0f} | {cpu_text} |")


if __name__ == "__main__":
    main()
