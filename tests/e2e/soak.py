#!/usr/bin/env python3
"""soak.py — hostile load against `sockit serve`, past one process.

CLIENTS hostile clients spread over PROCS client processes (each raises
its descriptor limit to 20000) keep attacking a server running echo
(TCP+UDP), greet, caesar, chargen, daytime and qotd (UDP) and chat on
loopback, from many source addresses (127.77.x.y): idle connections,
slowloris (one byte a second), never-reading clients (send, never read),
resets (SO_LINGER 0), garbage, UDP from many sources, and on chat (MIX
says how many of each; soak_chat.py describes them) members of a busy
room #busy and of quieter ones, members of #busy that never read,
flooders, JOIN/PART/NICK storms and garbage IRC.  Every closed connection
is opened again, so the load holds for SECONDS.  Meanwhile a probe
process measures TCP echo round trips and checks Caesar replies, a chat
probe measures the delivery of its own lines through #busy and checks
every one arrives in order, and the server's RSS, descriptor count and
CPU are sampled each second.

The client processes run at a lower CPU priority than the server and the
probes (--attackers, lower_priority()): on this 2-core machine they stand
in for attackers on other machines, whose CPU time would not be taken
from the server; `--attackers same` measures with them as equals.

Pass (problems()): zero probe failures (echo, Caesar, every chat line, in
order); both probes' p99 under --p99-ms (when given), with the attack at
MIN_STRENGTH or more of its clients connected at once at the peak; flood control held
every flooder the chat probe saw to its budget; RSS growth under the
stated per-client bound; descriptors back to the baseline after the
clients stop; every log line well-formed and one connection line
(closed/refused) per connection a client or probe opened.

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

import soak_chat

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# The server's limits for the soak: a never-reading client may cost at
# most MAX_QUEUE of queued replies (chat: CHAT_SENDQ) plus one 64 KiB read
# (chat flooders: the input flood control holds back, one read); anyone
# else a few KiB (struct, parser, greet's 768 bytes, caesar's held bytes,
# a chat client's state and memberships).
MAX_QUEUE = 64 * 1024
CHAT_SENDQ = 64 * 1024
IDLE_TIMEOUT = 4
PER_CLIENT_BOUND = 16 * 1024            # every client
NEVER_READ_BOUND = max(MAX_QUEUE, CHAT_SENDQ) + 64 * 1024  # on top, per heavy one
RSS_SLACK = 48 * 1024 * 1024            # thread stacks, UDP buffers, heap

CONFIG = f"""service echo
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
service chat
listen tcp://127.0.0.1:0
sendq {CHAT_SENDQ}
"""
LISTENERS = 8
# The share of the clients that must be connected at once at the peak
# for a latency goal to count (problems()).
MIN_STRENGTH = 0.5

# The clients by kind, per 10,000 (soak_chat.py describes the chat ones).
MIX = [("idle", 1700), ("slowloris", 1700), ("neverread", 1700), ("rst", 1700),
       ("garbage", 1700), ("chat_member", 1000), ("chat_lurker", 50),
       ("chat_flooder", 10), ("chat_storm", 150), ("chat_garbage", 290)]
# Those the server may hold the most for: a queue up to MAX_QUEUE (or
# chat's sendq) plus a read's worth (or flood control's held input).
HEAVY = ("neverread", "chat_lurker", "chat_flooder")


def kinds_for(clients):
    """The kind of each client: MIX scaled to clients, every kind at
    least once, the rest made up with idle ones."""
    out = []
    for kind, per in MIX:
        out += [kind] * max(1, round(clients * per / 10000))
    out = out[:clients]
    out += ["idle"] * (clients - len(out))
    random.Random(0).shuffle(out)
    return out

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
                            start_new_session=True,
                            env=dict(os.environ, SOCKIT_TURN_STATS="1"))
    log.close()
    eps = {}
    deadline = time.monotonic() + 20
    buf = b""
    while len(eps) < LISTENERS and time.monotonic() < deadline:
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
    if len(eps) < LISTENERS:
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
    __slots__ = ("sock", "kind", "target", "src", "due", "sent", "connected", "watched",
                 "nick", "seq", "out")


class ChatCtx:
    """What soak_chat's client handlers use of the client loop."""
    __slots__ = ("sel", "stats", "arm", "close_conn", "index", "seq")


def lower_priority(how):
    """Make this client process an attacker of lower CPU priority:
    "nice": nice 10 within the soak's own scheduling group; "idle": a
    session (so an autogroup, kernel.sched_autogroup_enabled) of its own
    at nice 19 and SCHED_IDLE, so it runs only on CPU time the server and
    the probes leave; "same": as the server."""
    if how == "same":
        return
    if how == "nice":
        os.nice(10)
        return
    os.setsid()
    try:
        with open("/proc/self/autogroup", "w") as f:
            f.write("19")
    except OSError:
        pass
    os.nice(19)
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):
        pass


def client_main(index, kinds, eps, seconds, udp_rate, priority, out):
    """One client process: a hostile client of each kind in kinds for
    seconds; puts its counts on out."""
    resource.setrlimit(resource.RLIMIT_NOFILE, (20000, 20000))
    # The attackers yield to the server and the probe: what the probe
    # measures is the server's latency, not the attackers' Python.
    lower_priority(priority)
    random.seed(index)
    sel = selectors.DefaultSelector()
    stats = {"established": 0, "connect_failed": 0, "server_closed": 0, "udp_sent": 0,
             "udp_replies": 0, "peak": 0, "by_kind": {}}
    targets = {"idle": eps[("echo", "tcp")], "slowloris": None,
               "neverread": eps[("echo", "tcp")], "rst": eps[("echo", "tcp")],
               "garbage": eps[("caesar", "tcp")]}
    for kind in soak_chat.CHAT_KINDS:
        targets[kind] = eps[("chat", "tcp")]
    live = set()
    seq = itertools.count()
    pending = []          # heap of (when, seq, kind) to open
    timers = []           # heap of (due, seq, conn); stale ones skipped
    for kind in kinds:
        heapq.heappush(pending, (0.0, next(seq), kind))

    def count(kind, what):
        k = stats["by_kind"].setdefault(kind, {"established": 0, "server_closed": 0})
        k[what] += 1
        stats[what] += 1

    def later(when, kind):
        heapq.heappush(pending, (when, next(seq), kind))

    def arm(c, due):
        c.due = due
        heapq.heappush(timers, (due, next(seq), c))
    src_base = 2 + index * 40
    t0 = time.monotonic()
    end = t0 + seconds
    ramp_per_tick = max(1, len(kinds) // 200)   # open everything over ~2 s of ticks

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
        if kind == "chat_lurker":       # the server's output piles up at once
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        try:
            s.bind((c.src, 0))
            s.connect_ex(c.target)
        except OSError:
            s.close()
            stats["connect_failed"] += 1
            later(time.monotonic() + 1, kind)
            return
        c.sock, c.sent, c.connected, c.watched = s, 0, False, True
        c.due = None
        live.add(c)
        sel.register(s, selectors.EVENT_WRITE, c)

    def close_conn(c, by_server, again=0.2):
        if c not in live:
            return
        if c.watched:
            sel.unregister(c.sock)
        c.sock.close()
        live.discard(c)
        if by_server:
            count(c.kind, "server_closed")
        later(time.monotonic() + again + random.random() * 0.3, c.kind)

    ctx = ChatCtx()
    ctx.sel, ctx.stats, ctx.arm, ctx.close_conn = sel, stats, arm, close_conn
    ctx.index, ctx.seq = index, seq

    def on_connected(c):
        err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            stats["connect_failed"] += 1
            close_conn(c, False, 1)
            return
        c.connected = True
        count(c.kind, "established")
        if c.kind.startswith("chat_"):
            soak_chat.connected(ctx, c, time.monotonic())
            return
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
        if c.kind.startswith("chat_"):
            soak_chat.event(ctx, c, mask)
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
        if c.kind.startswith("chat_"):
            soak_chat.due(ctx, c, now)
        elif c.kind == "rst":
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
                count(c.kind, "established")
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
    """(lines, connection lines, bad lines, counts of notable chat lines)"""
    lines = conns = 0
    bad = []
    notable = {"sendq": 0, "flood_hold": 0, "nul": 0, "turns": []}
    with open(path, "rb") as f:
        for raw in f:
            lines += 1
            line = raw.rstrip(b"\n").decode("ascii", errors="replace")
            if not LOG_LINE.match(line):
                bad.append(line[:200])
                continue
            if CONN_LINE.search(line):
                conns += 1
                if line.endswith("closed: SendQ exceeded"):
                    notable["sendq"] += 1
            elif " replied " in line and not GREET_LINE.search(line):
                bad.append(line[:200])
            elif line.endswith(" flood control: holding input back"):
                notable["flood_hold"] += 1
            elif line.endswith(" line with a NUL byte ignored"):
                notable["nul"] += 1
            elif " turns: " in line and " serve: worker " in line:
                notable["turns"].append(line.split(" serve: ", 1)[1])
    return lines, conns, bad, notable


def start_chat_probe(ctx, eps, seconds, q):
    """The chat probe, in #busy before any attacker (so it holds the
    channel's operator status); returns its process."""
    ready = ctx.Event()
    chat = ctx.Process(target=soak_chat.chat_probe_main,
                       args=(eps[("chat", "tcp")], seconds, ready, q))
    chat.start()
    if not ready.wait(90):
        chat.kill()
        raise RuntimeError("chat probe did not join #busy in 90 s")
    return chat


def soak(sockit, clients=2000, procs=2, seconds=20, threads=2, udp_rate=400,
         p99_ms=None, workdir=None, say=print, rss_check=True, priority="nice"):
    workdir = workdir or tempfile.mkdtemp(prefix="sockit-soak-")
    os.makedirs(workdir, exist_ok=True)
    logpath = os.path.join(workdir, "server.log")
    server, eps = start_server(sockit, logpath, threads)
    kinds = kinds_for(clients)
    result = {"clients": clients, "procs": procs, "seconds": seconds,
              "attacker_priority": priority,
              "kinds": {k: kinds.count(k) for k, _ in MIX},
              "loadavg_before": os.getloadavg()[0]}
    try:
        time.sleep(0.5)    # settle: the baseline is the server at rest
        base_rss, base_fds, base_cpu = proc_sample(server.pid)
        ctx = mp.get_context("fork")
        q = ctx.Queue()
        chat = start_chat_probe(ctx, eps, seconds, q)
        kids = [ctx.Process(target=client_main,
                            args=(i, kinds[i::procs], eps, seconds, udp_rate // procs,
                                  priority, q))
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
        reports = [q.get(timeout=seconds + 60) for _ in kids + [probe, chat]]
        for k in kids + [probe, chat]:
            k.join(30)
            if k.is_alive():
                k.kill()
        probe_r = next(r for r in reports if "probes" in r)
        chat_r = next(r for r in reports if "chat_probes" in r)
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
    lines, conn_lines, bad, notable = check_log(logpath)
    established = sum(r["established"] for r in kid_r)
    heavy = sum(kinds.count(k) for k in HEAVY)
    bound = base_rss + RSS_SLACK + clients * PER_CLIENT_BOUND + heavy * NEVER_READ_BOUND
    by_kind = {}
    for r in kid_r:
        for kind, counts in r["by_kind"].items():
            mine = by_kind.setdefault(kind, {"established": 0, "server_closed": 0})
            for what, n in counts.items():
                mine[what] += n
    result.update({
        "server_exit": status,
        "established": established,
        "connect_failed": sum(r["connect_failed"] for r in kid_r),
        "server_closed": sum(r["server_closed"] for r in kid_r),
        "by_kind": by_kind,
        "peak_clients": sum(r["peak"] for r in kid_r),
        "udp_sent": sum(r["udp_sent"] for r in kid_r),
        "udp_replies": sum(r["udp_replies"] for r in kid_r),
        "probe": probe_r,
        "chat_probe": chat_r,
        "rss_base_mib": round(base_rss / 2**20, 1), "rss_peak_mib": round(peak_rss / 2**20, 1),
        "rss_bound_mib": round(bound / 2**20, 1),
        "rss_per_client_kib": round((peak_rss - base_rss) / max(1, clients) / 1024, 1),
        "fds_base": base_fds, "fds_peak": max(s[2] for s in samples), "fds_after": fds_after,
        "server_cpu_s": round(end_cpu - base_cpu, 1),
        "log_lines": lines, "log_conn_lines": conn_lines, "log_bad": bad[:5],
        "log_sendq_drops": notable["sendq"], "log_flood_holds": notable["flood_hold"],
        "log_nul_lines": notable["nul"],
        "turns": notable["turns"],
        "log_dir": workdir, "loadavg_after": os.getloadavg()[0],
    })
    result["problems"] = problems(result, bound if rss_check else None, peak_rss, p99_ms)
    return result


def problems(r, bound, peak_rss, p99_ms):
    out = []
    if r["server_exit"] != 0:
        out.append(f"server exit status {r['server_exit']}")
    for name, p, n in (("probe", r["probe"], "probes"), ("chat probe", r["chat_probe"],
                                                         "chat_probes")):
        if p["nfail"]:
            out.append(f"{p['nfail']} {name} failures: {p['failures'][:3]}")
        if p[n] == 0:
            out.append(f"no {name} round trip completed")
        elif p99_ms is not None and p["p99_ms"] >= p99_ms:
            out.append(f"{name} p99 {p['p99_ms']:.2f} ms >= {p99_ms} ms")
    # A latency goal met under half the attack is no pass: idle-priority
    # attackers on a machine busy with other work get little CPU, and
    # the churning kinds (resets, garbage, chat garbage) are between
    # connections much of the time, so a full-strength run peaks near 75%.
    if p99_ms is not None and r["peak_clients"] < r["clients"] * MIN_STRENGTH:
        out.append(f"the attack peaked at {r['peak_clients']} of {r['clients']} clients "
                   f"connected at once (< {MIN_STRENGTH:.0%}): the client processes got "
                   f"too little CPU to measure latency under the full load")
    c = r["chat_probe"]
    if c["flooders_seen"] == 0:
        out.append("the chat probe saw no flooder's line in #busy")
    elif c["flood_max_excess"] > 0:
        out.append(f"flood control did not hold: a flooder got {c['flood_max_excess']:.0f} "
                   f"lines past its budget into #busy")
    if r["log_flood_holds"] == 0:
        out.append("no 'flood control: holding input back' line in the log")
    if bound is not None and peak_rss > bound:
        out.append(f"RSS {peak_rss >> 20} MiB over the bound {bound >> 20} MiB")
    if r["fds_after"] is None or r["fds_after"] > r["fds_base"]:
        out.append(f"fds {r['fds_after']} after, baseline {r['fds_base']}")
    if r["log_bad"]:
        out.append(f"malformed log lines: {r['log_bad'][:2]}")
    # One connection line per connection: the clients' and the probes'.
    probes = r["probe"]["connections"] + r["chat_probe"]["connections"]
    want = r["established"] + probes
    if r["log_conn_lines"] != want:
        out.append(f"{r['log_conn_lines']} connection log lines for {want} connections "
                   f"({r['established']} clients', {probes} probes')")
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
    ap.add_argument("--attackers", choices=("same", "nice", "idle"), default="nice",
                    help="the client processes' CPU priority (lower_priority())")
    ap.add_argument("--no-rss-check", action="store_true")
    ap.add_argument("--workdir")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args()
    say = (lambda m: None) if a.quiet else (lambda m: print(m, file=sys.stderr, flush=True))
    r = soak(a.sockit, a.clients, a.procs, a.seconds, a.threads, a.udp_rate,
             a.p99_ms or None, workdir=a.workdir, say=say, rss_check=not a.no_rss_check,
             priority=a.attackers)
    print(json.dumps(r, indent=1))
    if r["problems"]:
        print("soak: FAILED: " + "; ".join(r["problems"]) +
              f" (load average {r['loadavg_after']:.1f})", file=sys.stderr)
        return 1
    p, c = r["probe"], r["chat_probe"]
    if a.quiet:
        return 0
    print(f"soak: passed: {a.clients} clients x {a.seconds}s (attackers: {a.attackers}), "
          f"{r['established']} connections (peak {r['peak_clients']} at once), probe {p['probes']} round trips p50 "
          f"{p['p50_ms']:.2f} ms p99 {p['p99_ms']:.2f} ms, chat probe {c['chat_probes']} "
          f"lines p50 {c['p50_ms']:.2f} ms p99 {c['p99_ms']:.2f} ms, RSS {r['rss_base_mib']} "
          f"-> {r['rss_peak_mib']} MiB (bound {r['rss_bound_mib']}), fds {r['fds_base']} -> "
          f"{r['fds_peak']} -> {r['fds_after']}, server CPU {r['server_cpu_s']} s, load "
          f"average {r['loadavg_before']:.1f} -> {r['loadavg_after']:.1f}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
