#!/usr/bin/python3
"""caesar_echo.py BUILD_DIR — Caesar requests/s next to echo, same run.

Starts `sockit serve caesar` and `sockit serve echo` on loopback port 0,
then for each: (1) pipelined: N requests `e03<16 bytes>.` written in one
stream while a reader collects the replies; (2) ping-pong: one request,
wait for its reply, repeat.  Echo gets exactly the same bytes, so the
difference is the Caesar parser and transform.  Each measurement runs
ROUNDS times (default 5), alternating the servers; the median is printed.
Python is the client, so the ping-pong figures measure Python as much as
the server; the pipelined ones are the server's.  Loopback only; every process it starts is stopped by PID.
"""
import os
import socket
import subprocess
import sys
import threading
import time

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
SOCKIT = os.path.join(BUILD, "sockit")
PIPELINED = int(os.environ.get("N", "2000000"))
PINGPONG = int(os.environ.get("PP", "10000"))
REQ = b"e03Hello, World 1234."
# A 1 KiB message too: the per-byte cost once per-request cost is amortised.
BIG = b"e03" + b"Hello World abc " * 64 + b"."


def serve(name):
    p = subprocess.Popen([SOCKIT, "serve", "-q", name, "tcp://127.0.0.1:0"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    line = p.stdout.readline().decode().split()
    host, port = line[1].split("://")[1].rsplit(":", 1)
    return p, (host, int(port))


def pipelined(addr, n, req=REQ):
    data = req * n
    s = socket.create_connection(addr)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    t0 = time.perf_counter()
    w = threading.Thread(target=s.sendall, args=(data,))
    w.start()
    got = 0
    while got < len(data) - 3 * n:     # caesar replies drop "e03"
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        got += len(chunk)
    dt = time.perf_counter() - t0
    w.join()
    s.close()
    return n / dt


def pingpong(addr, n, want):
    s = socket.create_connection(addr)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    t0 = time.perf_counter()
    for _ in range(n):
        s.sendall(REQ)
        got = b""
        while len(got) < want:
            got += s.recv(64)
    dt = time.perf_counter() - t0
    s.close()
    return n / dt


def main():
    procs = {}
    rounds = int(os.environ.get("ROUNDS", "5"))
    results = {}
    try:
        for name in ("caesar", "echo"):
            procs[name] = serve(name)
        # Alternate the two servers round by round, so a noisy neighbour
        # on the machine hits both alike; report the median.
        for _ in range(rounds):
            for name, (p, addr) in procs.items():
                want = len(REQ) - 3 if name == "caesar" else len(REQ)
                pl = (pipelined if name == "caesar" else pipelined_echo)(addr, PIPELINED)
                pp = pingpong(addr, PINGPONG, want)
                big = (pipelined if name == "caesar" else pipelined_echo)(
                    addr, PIPELINED // 50, BIG)
                results.setdefault(name, []).append((pl, pp, big))
        for name, rs in results.items():
            pl = sorted(r[0] for r in rs)[len(rs) // 2]
            pp = sorted(r[1] for r in rs)[len(rs) // 2]
            print(f"{name:7s} pipelined  {PIPELINED} x {len(REQ)} B: {pl:12,.0f} req/s"
                  f" ({pl * len(REQ) / 1e6:,.0f} MB/s)  median of {rounds}")
            print(f"{name:7s} ping-pong  {PINGPONG} x {len(REQ)} B: {pp:12,.0f} req/s"
                  f"  median of {rounds}")
            big = sorted(r[2] for r in rs)[len(rs) // 2]
            print(f"{name:7s} pipelined  {PIPELINED // 50} x {len(BIG)} B: {big:12,.0f} req/s"
                  f" ({big * len(BIG) / 1e6:,.0f} MB/s)  median of {rounds}")
    finally:
        for p, _ in procs.values():
            p.terminate()
            p.wait()


def pipelined_echo(addr, n, req=REQ):
    data = req * n
    s = socket.create_connection(addr)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    t0 = time.perf_counter()
    w = threading.Thread(target=s.sendall, args=(data,))
    w.start()
    got = 0
    while got < len(data):
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        got += len(chunk)
    dt = time.perf_counter() - t0
    w.join()
    s.close()
    return n / dt


if __name__ == "__main__":
    main()
