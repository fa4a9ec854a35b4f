#!/usr/bin/env python3
"""soak.py — hostile load against `sockit serve`, past one process.

CLIENTS hostile clients spread over PROCS client processes (each raises
its descriptor limit to 20000) keep attacking a server running echo
(TCP+UDP), greet, caesar, chargen, daytime and qotd (UDP) on loopback,
from many source addresses (127.77.x.y): idle connections, slowloris
(one byte a second), never-reading clients (send, never read), resets
(SO_LINGER 0), garbage, and UDP from many sources.  Every closed
connection is opened again, so the load holds for SECONDS.  Meanwhile a
probe process measures TCP echo round trips and checks Caesar replies,
and the server's RSS, descriptor count and CPU are sampled each second.

Pass (check()): zero probe failures; probe p99 under --p99-ms (when
given); RSS growth under the stated per-client bound; descriptors back
to the baseline after the clients stop; every log line well-formed and
one connection line (closed/refused) per connection a client opened.

Used by `make soak` (scripts/soak.sh: 10,000 clients, 10 minutes) and by
tests/e2e/test_soak.py (2,000 clients, 20 s, no latency goal); both run it
inside `unshare -n` (a loopback of its own), so its hundreds of thousands
of connections leave no TIME-WAIT sockets where other tests look.  Every
loop is bounded in time; the server and every child are stopped by PID.
"""
import argparse
import heapq
import itertools
import json
import multiprocessing as mp
import os
import random
import re
import resource
import select
import selectors
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# The server's limits for the soak: a never-reading client may cost at
# most MAX_QUEUE of queued replies plus one 64 KiB read; anyone else a few
# KiB (struct, parser, greet's 768 bytes, caesar's held bytes).
MAX_QUEUE = 64 * 1024
IDLE_TIMEOUT = 4
PER_CLIENT_BOUND = 16 * 1024            # every client
NEVER_READ_BOUND = MAX_QUEUE + 64 * 1024  # on top, per never-reading one
RSS_SLACK = 48 * 1024 * 1024            # thread stacks, UDP buffers, heap

CONFIG = """service echo
listen tcp://127.0.0.1:0 udp://127.0.0.1:0
service greet
listen tcp://127.0.0.1:0
service caesar
listen tcp://127.0.0.1:0
service chargen
listen tcp://127.0.0.1:0
service daytime
listen udp://127.0.0.1:0
service qotd
listen udp://127.0.0.1:0
"""

KINDS = ["idle", "slowloris", "neverread", "rst", "garbage"]

LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (info|error|debug) [\x20-\x7e]+$")
CONN_LINE = re.compile(r" peer=\S+ (in=\d+ out=\d+ time=\d+\.\d{3}s closed: [\x20-\x7e]+"
                       r"|refused: [\x20-\x7e]+)$")
GREET_LINE = re.compile(r' replied "([^"\\]|\\.)*" \((\d+ more bytes dropped, )?[a-z ]+\)$')


def start_server(sockit, logpath, threads):
    conf = tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False)
    conf.write(CONFIG)
    conf.close()
    log = open(logpath, "wb")
    proc = subprocess.Popen([sockit, "serve", "-c", conf.name, "--threads", str(threads),
                             "--idle-timeout", str(IDLE_TIMEOUT), "--max-queue",
                             str(MAX_QUEUE), "--read-timeout", "2"],
                            stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    log.close()
    eps = {}
    deadline = time.monotonic() + 20
    buf = b""
    while len(eps) < 7 and time.monotonic() < deadline:
        if not select.select([proc.stdout], [], [], 1)[0]:
            continue
        chunk = os.read(proc.stdout.fileno(), 4096)
        if not chunk:
            break
        buf += chunk
        for m in re.finditer(rb"listening (tcp|udp)://([\d.]+):(\d+) (\w+)", buf):
            eps[(m.group(4).decode(), m.group(1).decode())] = (m.group(2).decode(),
                                                               int(m.group(3)))
    os.unlink(conf.name)
    if len(eps) < 7:
        stop_process(proc)
        raise RuntimeError(f"server not ready: {eps}")
    return proc, eps


def stop_process(proc, sig=signal.SIGTERM, timeout=30):
    if proc.poll() is not None:
        return proc.returncode
    proc.send_signal(sig)
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
        return None


# ---------------------------------------------------------------- sampling

def proc_sample(pid):
    with open(f"/proc/{pid}/status") as f:
        rss = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmRSS:"))
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return rss, fds, cpu


# ---------------------------------------------------------------- clients

class Conn:
    __slots__ = ("sock", "kind", "target", "src", "due", "sent", "connected")


def client_main(index, n, eps, seconds, udp_rate, out):
    """One client process: n hostile clients for seconds; puts its counts
    on out."""
    resource.setrlimit(resource.RLIMIT_NOFILE, (20000, 20000))
    # The attackers yield to the server and the probe: what the probe
    # measures is the server's latency, not the attackers' Python.
    os.nice(10)
    random.seed(index)
    sel = selectors.DefaultSelector()
    stats = {"established": 0, "connect_failed": 0, "server_closed": 0, "udp_sent": 0,
             "udp_replies": 0, "peak": 0}
    targets = {"idle": eps[("echo", "tcp")], "slowloris": None,
               "neverread": eps[("echo", "tcp")], "rst": eps[("echo", "tcp")],
               "garbage": eps[("caesar", "tcp")]}
    live = set()
    seq = itertools.count()
    pending = []          # heap of (when, seq, kind) to open
    timers = []           # heap of (due, seq, conn); stale ones skipped
    for i in range(n):
        heapq.heappush(pending, (0.0, next(seq), KINDS[i % len(KINDS)]))

    def later(when, kind):
        heapq.heappush(pending, (when, next(seq), kind))

    def arm(c, due):
        c.due = due
        heapq.heappush(timers, (due, next(seq), c))
    src_base = 2 + index * 40
    t0 = time.monotonic()
    end = t0 + seconds
    ramp_per_tick = max(1, n // 200)   # open everything over ~2 s of ticks

    def open_conn(kind):
        c = Conn()
        c.kind = kind
        if kind == "slowloris":
            c.target = random.choice([eps[("greet", "tcp")], eps[("caesar", "tcp")]])
        else:
            c.target = targets[kind]
        c.src = f"127.77.{src_base + random.randrange(40)}.{1 + random.randrange(250)}"
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.bind((c.src, 0))
            s.connect_ex(c.target)
        except OSError:
            s.close()
            stats["connect_failed"] += 1
            later(time.monotonic() + 1, kind)
            return
        c.sock, c.sent, c.connected = s, 0, False
        c.due = None
        live.add(c)
        sel.register(s, selectors.EVENT_WRITE, c)

    def close_conn(c, by_server, again=0.2):
        sel.unregister(c.sock)
        c.sock.close()
        live.discard(c)
        if by_server:
            stats["server_closed"] += 1
        later(time.monotonic() + again + random.random() * 0.3, c.kind)

    def on_connected(c):
        err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            stats["connect_failed"] += 1
            close_conn(c, False, 1)
            return
        c.connected = True
        stats["established"] += 1
        if c.kind == "neverread":
            sel.modify(c.sock, selectors.EVENT_WRITE, c)
        else:
            sel.modify(c.sock, selectors.EVENT_READ, c)
        if c.kind == "garbage":
            c.sock.send(bytes(random.randrange(256) for _ in range(64)).replace(b"e", b"x")
                        .replace(b"d", b"x").replace(b"\r", b"x").replace(b"\n", b"x"))
        elif c.kind == "rst":
            c.sock.send(b"reset soon")
            arm(c, time.monotonic() + random.uniform(0.05, 0.5))
        elif c.kind == "slowloris":
            if c.target == eps[("caesar", "tcp")]:
                c.sock.send(b"e01")
            arm(c, time.monotonic() + 1)

    def on_event(c, mask):
        if not c.connected:
            on_connected(c)
            return
        if mask & selectors.EVENT_READ:
            try:
                data = c.sock.recv(65536)
            except (ConnectionError, OSError):
                data = b""
            if not data:
                close_conn(c, True)
            return
        if mask & selectors.EVENT_WRITE and c.kind == "neverread":
            try:
                c.sock.send(b"n" * 16384)
            except BlockingIOError:
                pass
            except OSError:
                close_conn(c, True)
            return

    def on_due(c, now):
        if c.kind == "rst":
            c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            close_conn(c, False)
        elif c.kind == "slowloris":
            try:
                c.sock.send(b"a")
            except OSError:
                close_conn(c, True)
                return
            arm(c, now + 1)

    # UDP from many sources: a few sockets per process, each its own address.
    udp = []
    for i in range(16):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind((f"127.78.{index}.{1 + i}", 0))
        u.setblocking(False)
        sel.register(u, selectors.EVENT_READ, None)
        udp.append(u)
    udp_targets = [eps[("echo", "udp")], eps[("daytime", "udp")], eps[("qotd", "udp")]]
    next_udp = t0

    while True:
        now = time.monotonic()
        if now >= end:
            break
        stats["peak"] = max(stats["peak"], len(live))
        opened = 0
        while pending and pending[0][0] <= now and opened < ramp_per_tick:
            open_conn(heapq.heappop(pending)[2])
            opened += 1
        if now >= next_udp:
            for _ in range(max(1, udp_rate // 20)):
                u = random.choice(udp)
                try:
                    u.sendto(b"x" * random.randrange(0, 64), random.choice(udp_targets))
                    stats["udp_sent"] += 1
                except OSError:
                    pass
            next_udp = now + 0.05
        for key, mask in sel.select(0.01):
            if key.data is None:
                try:
                    while True:
                        key.fileobj.recv(65536)
                        stats["udp_replies"] += 1
                except OSError:
                    pass
            else:
                on_event(key.data, mask)
        while timers and timers[0][0] <= now:
            due, _, c = heapq.heappop(timers)
            if c in live and c.due == due:
                on_due(c, now)
    for c in list(live):
        if not c.connected:
            try:
                c.sock.getpeername()     # connected, not yet seen: it counts
                stats["established"] += 1
            except OSError:
                pass
        c.sock.close()
    for u in udp:
        u.close()
    out.put(stats)


# ---------------------------------------------------------------- probe

def probe_main(eps, seconds, out):
    """Echo round trips on one connection and Caesar requests on another,
    every 20 ms, plus a fresh echo connection every second."""
    lat, fails, caesar_ok, nconn = [], [], 0, 0
    end = time.monotonic() + seconds

    def connect(ep):
        nonlocal nconn
        s = socket.create_connection(ep, timeout=5)
        nconn += 1
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return s

    def exact(s, n):
        data = b""
        while len(data) < n:
            chunk = s.recv(n - len(data))
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        return data

    echo = caesar = None
    i = 0
    next_fresh = time.monotonic()
    while time.monotonic() < end:
        i += 1
        try:
            # The probe talks more often than the idle timeout: it stays.
            if echo is None:
                echo = connect(eps[("echo", "tcp")])
            msg = b"probe %d" % i
            t = time.perf_counter()
            echo.sendall(msg)
            got = exact(echo, len(msg))
            lat.append((time.perf_counter() - t) * 1000)
            if got != msg:
                fails.append(f"echo {i}: {got!r}")
            if caesar is None:
                caesar = connect(eps[("caesar", "tcp")])
            caesar.sendall(b"e03Hello, World %d!." % i)
            want = b"Khoor, Zruog %d!." % i
            got = exact(caesar, len(want))
            if got != want:
                fails.append(f"caesar {i}: {got!r}")
            else:
                caesar_ok += 1
            if time.monotonic() >= next_fresh:
                with connect(eps[("echo", "tcp")]) as s:
                    s.sendall(b"fresh")
                    if exact(s, 5) != b"fresh":
                        fails.append(f"fresh {i}")
                next_fresh = time.monotonic() + 1
        except OSError as e:
            fails.append(f"probe {i}: {e!r}")
            for s in (echo, caesar):
                if s:
                    s.close()
            echo = caesar = None
        time.sleep(0.02)
    for s in (echo, caesar):
        if s:
            s.close()
    lat.sort()
    out.put({"probes": len(lat), "failures": fails[:20], "nfail": len(fails),
             "caesar_ok": caesar_ok,
             "p50_ms": lat[len(lat) // 2] if lat else None,
             "p99_ms": lat[int(len(lat) * 0.99)] if lat else None,
             "max_ms": lat[-1] if lat else None,
             "connections": nconn})


# ---------------------------------------------------------------- the run

def check_log(path):
    """(lines, connection lines, bad lines)"""
    lines = conns = 0
    bad = []
    with open(path, "rb") as f:
        for raw in f:
            lines += 1
            line = raw.rstrip(b"\n").decode("ascii", errors="replace")
            if not LOG_LINE.match(line):
                bad.append(line[:200])
                continue
            if CONN_LINE.search(line):
                conns += 1
            elif " replied " in line and not GREET_LINE.search(line):
                bad.append(line[:200])
    return lines, conns, bad


def soak(sockit, clients=2000, procs=2, seconds=20, threads=2, udp_rate=400,
         p99_ms=None, workdir=None, say=print, rss_check=True):
    workdir = workdir or tempfile.mkdtemp(prefix="sockit-soak-")
    logpath = os.path.join(workdir, "server.log")
    server, eps = start_server(sockit, logpath, threads)
    result = {"clients": clients, "procs": procs, "seconds": seconds,
              "loadavg_before": os.getloadavg()[0]}
    try:
        time.sleep(0.5)    # settle: the baseline is the server at rest
        base_rss, base_fds, base_cpu = proc_sample(server.pid)
        ctx = mp.get_context("fork")
        q = ctx.Queue()
        kids = [ctx.Process(target=client_main,
                            args=(i, clients // procs, eps, seconds, udp_rate // procs, q))
                for i in range(procs)]
        probe = ctx.Process(target=probe_main, args=(eps, seconds, q))
        for k in kids + [probe]:
            k.start()
        samples = []
        t0 = time.monotonic()
        while time.monotonic() - t0 < seconds + 5 and any(k.is_alive() for k in kids):
            rss, fds, cpu = proc_sample(server.pid)
            samples.append((round(time.monotonic() - t0, 1), rss, fds, cpu))
            if len(samples) % 10 == 0:
                say(f"soak: t={samples[-1][0]}s rss={rss >> 20} MiB fds={fds} "
                    f"cpu={cpu - base_cpu:.1f}s")
            time.sleep(1)
        reports = [q.get(timeout=seconds + 60) for _ in kids + [probe]]
        for k in kids + [probe]:
            k.join(30)
            if k.is_alive():
                k.kill()
        probe_r = next(r for r in reports if "probes" in r)
        kid_r = [r for r in reports if "established" in r]
        # Wait (bounded) for the server to have closed every connection.
        fds_after = None
        deadline = time.monotonic() + IDLE_TIMEOUT + 30
        while time.monotonic() < deadline:
            fds_after = proc_sample(server.pid)[1]
            if fds_after <= base_fds:
                break
            time.sleep(0.2)
        peak_rss = max(s[1] for s in samples)
        end_cpu = proc_sample(server.pid)[2]
    finally:
        status = stop_process(server)
    lines, conn_lines, bad = check_log(logpath)
    established = sum(r["established"] for r in kid_r)
    never = clients // len(KINDS)
    bound = base_rss + RSS_SLACK + clients * PER_CLIENT_BOUND + never * NEVER_READ_BOUND
    result.update({
        "server_exit": status,
        "established": established,
        "connect_failed": sum(r["connect_failed"] for r in kid_r),
        "server_closed": sum(r["server_closed"] for r in kid_r),
        "peak_clients": sum(r["peak"] for r in kid_r),
        "udp_sent": sum(r["udp_sent"] for r in kid_r),
        "udp_replies": sum(r["udp_replies"] for r in kid_r),
        "probe": probe_r,
        "rss_base_mib": round(base_rss / 2**20, 1), "rss_peak_mib": round(peak_rss / 2**20, 1),
        "rss_bound_mib": round(bound / 2**20, 1),
        "rss_per_client_kib": round((peak_rss - base_rss) / max(1, clients) / 1024, 1),
        "fds_base": base_fds, "fds_peak": max(s[2] for s in samples), "fds_after": fds_after,
        "server_cpu_s": round(end_cpu - base_cpu, 1),
        "log_lines": lines, "log_conn_lines": conn_lines, "log_bad": bad[:5],
        "log_dir": workdir, "loadavg_after": os.getloadavg()[0],
    })
    result["problems"] = problems(result, bound if rss_check else None, peak_rss, p99_ms)
    return result


def problems(r, bound, peak_rss, p99_ms):
    out = []
    if r["server_exit"] != 0:
        out.append(f"server exit status {r['server_exit']}")
    if r["probe"]["nfail"]:
        out.append(f"{r['probe']['nfail']} probe failures: {r['probe']['failures'][:3]}")
    if r["probe"]["probes"] == 0:
        out.append("no probe completed")
    if p99_ms is not None and (r["probe"]["p99_ms"] or 1e9) >= p99_ms:
        out.append(f"probe p99 {r['probe']['p99_ms']:.2f} ms >= {p99_ms} ms")
    if bound is not None and peak_rss > bound:
        out.append(f"RSS {peak_rss >> 20} MiB over the bound {bound >> 20} MiB")
    if r["fds_after"] is None or r["fds_after"] > r["fds_base"]:
        out.append(f"fds {r['fds_after']} after, baseline {r['fds_base']}")
    if r["log_bad"]:
        out.append(f"malformed log lines: {r['log_bad'][:2]}")
    # One connection line per connection, the clients' and the probe's.
    want = r["established"] + r["probe"]["connections"]
    if r["log_conn_lines"] != want:
        out.append(f"{r['log_conn_lines']} connection log lines for {want} connections "
                   f"({r['established']} clients', {r['probe']['connections']} probe's)")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sockit", default=os.path.join(ROOT, "build", "sockit"))
    ap.add_argument("--clients", type=int, default=10000)
    ap.add_argument("--procs", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=600)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--udp-rate", type=int, default=2000, help="datagrams/s in all")
    ap.add_argument("--p99-ms", type=float, default=10.0, help="0: no latency goal")
    ap.add_argument("--no-rss-check", action="store_true")
    ap.add_argument("--workdir")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args()
    say = (lambda m: None) if a.quiet else (lambda m: print(m, file=sys.stderr, flush=True))
    r = soak(a.sockit, a.clients, a.procs, a.seconds, a.threads, a.udp_rate,
             a.p99_ms or None, workdir=a.workdir, say=say, rss_check=not a.no_rss_check)
    print(json.dumps(r, indent=1))
    if r["problems"]:
        print("soak: FAILED: " + "; ".join(r["problems"]) +
              f" (load average {r['loadavg_after']:.1f})", file=sys.stderr)
        return 1
    p = r["probe"]
    if a.quiet:
        return 0
    print(f"soak: passed: {a.clients} clients x {a.seconds}s, {r['established']} "
          f"connections, probe {p['probes']} round trips p50 {p['p50_ms']:.2f} ms "
          f"p99 {p['p99_ms']:.2f} ms, RSS {r['rss_base_mib']} -> {r['rss_peak_mib']} MiB "
          f"(bound {r['rss_bound_mib']}), fds {r['fds_base']} -> {r['fds_peak']} -> "
          f"{r['fds_after']}, server CPU {r['server_cpu_s']} s, load average "
          f"{r['loadavg_before']:.1f} -> {r['loadavg_after']:.1f}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
