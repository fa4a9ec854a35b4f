"""`sockit ping` end to end, inside network namespaces the tests make:
loopback through a ping socket and through a raw socket, side by side
with iputils' ping in the same namespace; a router namespace for ICMP
errors; a delay/loss relay; several hosts; --tcp, --udp, --json; signals;
usage errors.  No timing assertions: counts, shapes and exit status.
"""
import json
import os
import re
import select
import signal
import subprocess
import time

import pytest

from conftest import SOCKIT, Server
from ping_util import (ERROR, MULTI, REPLY, RTT, Netns, RouterBed, lines,
                       parse_single)
from scan_util import Bed, BED_HOST


@pytest.fixture
def ns():
    n = Netns()
    yield n
    n.close()


@pytest.fixture
def bed():
    b = RouterBed()
    yield b
    b.close()


def untimed(line):
    """A line with its times blanked out."""
    line = re.sub(r"time=[\d.]+ ms", "time=T ms", line)
    line = re.sub(r"time \d+ms", "time Tms", line)
    line = re.sub(r", pipe \d+", "", line)      # a slow reply on a busy machine
    return re.sub(r"= [\d./]+ ms", "= T ms", line)


def socket_kind(r):
    err = r.stderr.decode()
    assert "socket, id" in err, err
    return "raw" if "raw socket" in err else "ping"


def same_shape(ours, theirs, count):
    """Both runs: same header, count replies with sequences 1..count,
    the same summary counts, an rtt line."""
    h1, rep1, st1, rtt1, _ = parse_single(ours)
    h2, rep2, st2, rtt2, _ = parse_single(theirs)
    assert h1.groups() == h2.groups()
    assert [int(m.group(3)) for m in rep1] == list(range(1, count + 1))
    assert [int(m.group(3)) for m in rep2] == list(range(1, count + 1))
    assert [m.group(1) for m in rep1] == [m.group(1) for m in rep2]
    assert st1.group(1, 2, 3, 4, 5) == st2.group(1, 2, 3, 4, 5)
    assert (rtt1 is None) == (rtt2 is None)
    assert ours.returncode == theirs.returncode == 0


@pytest.mark.parametrize("addr", ["127.0.0.1", "::1"])
def test_loopback_raw_socket_like_iputils(ns, addr):
    # A new namespace's ping_group_range is empty: root falls back to raw.
    ours = ns.ping("-v", "-c", 3, "-i", "0.2", addr)
    assert socket_kind(ours) == "raw"
    same_shape(ours, ns.iputils("-c", 3, "-i", "0.2", addr), 3)


@pytest.mark.parametrize("addr", ["127.0.0.1", "::1"])
def test_loopback_ping_socket_like_iputils(ns, addr):
    ns.open_ping_sockets()
    ours = ns.ping("-v", "-c", 3, "-i", "0.2", addr)
    assert socket_kind(ours) == "ping"
    same_shape(ours, ns.iputils("-c", 3, "-i", "0.2", addr), 3)


def test_sizes_names_and_options_like_iputils(ns):
    for args in (["-s", "1000"], ["-s", "8"], ["-q"], ["-n"], ["-t", "7"], ["-I", "lo"]):
        full = ["-c", "2", "-i", "0.2", *args, "localhost"]
        ours, theirs = ns.ping(*full), ns.iputils(*full)
        assert ours.returncode == theirs.returncode == 0, (args, ours.stderr)
        a, b = lines(ours), lines(theirs)
        assert len(a) == len(b), (args, a, b)
        assert a[0] == b[0], args
        # Times differ; the rest of each line must not.
        assert list(map(untimed, a)) == list(map(untimed, b)), args


def test_timestamps_and_outstanding(ns):
    r = ns.ping("-D", "-c", 2, "-i", "0.2", "127.0.0.1")
    assert r.returncode == 0
    replies = [line for line in lines(r) if "bytes from" in line]
    assert len(replies) == 2 and all(line.startswith("[") for line in replies)
    ns.sh("nft add table inet pt; nft add chain inet pt in '{ type filter hook input priority 0; }';"
          " nft add rule inet pt in ip daddr 127.0.0.3 icmp type echo-request drop")
    r = ns.ping("-O", "-c", 3, "-i", "0.2", "-W", "0.5", "127.0.0.3")
    assert "no answer yet for icmp_seq=1" in r.stdout.decode()
    assert "no answer yet for icmp_seq=2" in r.stdout.decode()


@pytest.mark.parametrize("ping_socket", [False, True])
def test_duplicates_like_iputils(ns, ping_socket):
    # nft duplicates every echo reply leaving loopback: each comes twice.
    if ping_socket:
        ns.open_ping_sockets()
    ns.sh("nft add table ip pt; nft add chain ip pt out '{ type filter hook output priority 0; }';"
          " nft add rule ip pt out icmp type echo-reply dup to 127.0.0.1")
    for r in (ns.ping("-c", 3, "-i", "0.2", "127.0.0.1"), ns.iputils("-c", 3, "-i", "0.2", "127.0.0.1")):
        assert r.returncode == 0
        _, replies, stats, _, _ = parse_single(r)
        seqs = [(m.group(3), bool(m.group(6))) for m in replies]
        # The last reply's twin may come after the run ended: only the
        # first two are sure to show theirs.
        assert seqs[:4] == [("1", False), ("1", True), ("2", False), ("2", True)], seqs
        assert stats.group(1, 2) == ("3", "3") and int(stats.group(3)) >= 2


def test_flood_like_iputils(ns):
    ours = ns.ping("-f", "-c", 500, "127.0.0.1")
    theirs = ns.iputils("-f", "-c", 500, "127.0.0.1")
    for r in (ours, theirs):
        out = r.stdout.decode()
        assert r.returncode == 0
        # A flood with nothing in flight after 10 ms sends again (a busy
        # machine), so "pipe 2" may show; the shape is the same either way.
        assert out.count("\b \b") == 500
        assert "500 packets transmitted, 500 received, 0% packet loss" in out
        assert RTT.match(out.splitlines()[-1]).group(5), out.splitlines()[-1]


def test_silent_host_exit_1_full_loss(ns):
    ns.sh("nft add table inet pt; nft add chain inet pt in '{ type filter hook input priority 0; }';"
          " nft add rule inet pt in ip daddr 127.0.0.2 icmp type echo-request drop")
    args = ("-c", 3, "-i", "0.2", "-W", "0.5", "127.0.0.2")
    ours, theirs = ns.ping(*args), ns.iputils(*args)
    assert ours.returncode == theirs.returncode == 1
    for r in (ours, theirs):
        _, replies, stats, rtt, _ = parse_single(r)
        assert not replies and rtt is None
        assert stats.group(1, 2, 5) == ("3", "0", "100")


def test_deadline_bounds(ns):
    # -w with -c: fewer than -c replies by the deadline is exit 1, as iputils.
    for tool in (ns.ping, ns.iputils):
        r = tool("-c", 1000, "-i", "0.2", "-w", "1", "127.0.0.1")
        assert r.returncode == 1, r
        _, replies, stats, _, _ = parse_single(r)
        assert 1 <= len(replies) < 1000
        assert int(stats.group(2)) == len(replies)
    r = ns.ping("-i", "0.2", "-w", "1", "127.0.0.1")     # no -c: 0 when any came
    assert r.returncode == 0


@pytest.mark.parametrize("v6", [False, True])
def test_host_unreachable_from_router(bed, v6):
    target, router = (RouterBed.UNREACHABLE6, RouterBed.ROUTER6) if v6 else \
        (RouterBed.UNREACHABLE, RouterBed.ROUTER)
    text = "Destination unreachable: No route" if v6 else "Destination Host Unreachable"
    args = ("-c", 3, "-i", "0.2", "-W", "1", target)
    ours, theirs = bed.client.ping(*args), bed.client.iputils(*args)
    assert ours.returncode == theirs.returncode == 1
    for r in (ours, theirs):
        _, replies, stats, _, errors = parse_single(r)
        assert not replies
        assert [(m.group(1), m.group(3), m.group(4)) for m in errors] == \
            [(router, str(i), text) for i in (1, 2, 3)]
        assert stats.group(1, 2, 4, 5) == ("3", "0", "3", "100")


@pytest.mark.parametrize("v6", [False, True])
def test_time_exceeded_with_ttl(bed, v6):
    target, router = (RouterBed.SILENT6, RouterBed.ROUTER6) if v6 else \
        (RouterBed.SILENT, RouterBed.ROUTER)
    text = "Time exceeded: Hop limit" if v6 else "Time to live exceeded"
    args = ("-c", 2, "-i", "0.2", "-t", "1", target)
    ours, theirs = bed.client.ping(*args), bed.client.iputils(*args)
    assert ours.returncode == theirs.returncode == 1
    for r in (ours, theirs):
        errs = [m.groups() for m in map(ERROR.match, lines(r)) if m]
        assert errs == [(router, "icmp", str(i), text) for i in (1, 2)]


def test_several_hosts_each_summarised(bed):
    r = bed.client.ping("-c", 3, "-i", "0.2", "-W", "1", RouterBed.ROUTER,
                        RouterBed.SILENT, RouterBed.UNREACHABLE, RouterBed.SILENT6)
    assert r.returncode == 0, r.stderr
    out = lines(r)
    summary = {m.group(1): m.groups()[1:] for m in map(MULTI.match, out) if m}
    assert summary[RouterBed.ROUTER][:3] == ("3", "3", "0") and summary[RouterBed.ROUTER][3]
    assert summary[RouterBed.SILENT] == ("3", "0", "100", None, None, None)
    assert summary[RouterBed.UNREACHABLE] == ("3", "0", "100", None, None, None)
    assert summary[RouterBed.SILENT6] == ("3", "0", "100", None, None, None)
    assert sum(1 for line in out if "Destination Host Unreachable" in line) == 3
    assert sum(1 for line in out if line.startswith("PING ")) == 4
    alive = bed.client.ping("--alive", "-c", 2, "-i", "0.2", "-W", "1",
                            RouterBed.ROUTER, RouterBed.SILENT)
    assert lines(alive) == [RouterBed.ROUTER]


def test_cidr_block_on_loopback(ns):
    r = ns.ping("-q", "-c", 2, "-i", "0.2", "127.0.0.0/30")
    assert r.returncode == 0
    hosts = [m.group(1) for m in map(MULTI.match, lines(r)) if m]
    assert hosts == ["127.0.0.0", "127.0.0.1", "127.0.0.2", "127.0.0.3"]


def test_delay_and_loss_relay():
    b = Bed(delay=10, loss=10)
    try:
        if b.skip:
            pytest.skip(b.message)
        r = b.exec(SOCKIT, "ping", "-c", 30, "-i", "0.05", "-W", "1", BED_HOST)
        _, replies, stats, rtt, _ = parse_single(r)
        assert int(stats.group(1)) == 30
        assert int(stats.group(2)) == len(replies) < 30 or len(replies) == 30
        assert replies, "10% loss lost everything"
        # The relay holds each frame 10 ms each way.
        assert all(float(m.group(5)) >= 20.0 for m in replies)
        assert float(rtt.group(1)) >= 20.0
        assert r.returncode == 0
    finally:
        b.down()


def test_tcp_open_and_closed(ns):
    srv = Server(ns.cmd(SOCKIT, "serve", "echo", "tcp://127.0.0.1:0"), 1)
    try:
        port = srv.hostport()[1]
        r = ns.ping("--tcp", port, "-c", 3, "-i", "0.2", "127.0.0.1")
        assert r.returncode == 0, r.stderr
        assert sum(1 for line in lines(r) if f"port {port} open: tcp_seq=" in line) == 3
        assert "3 packets transmitted, 3 received" in r.stdout.decode()
        r = ns.ping("--tcp", 1, "-c", 2, "-i", "0.2", "127.0.0.1")
        assert sum(1 for line in lines(r) if "port 1 closed: tcp_seq=" in line) == 2
    finally:
        srv.stop()


def test_udp_echo_and_closed_port(ns):
    srv = Server(ns.cmd(SOCKIT, "serve", "echo", "udp://127.0.0.1:0"), 1)
    try:
        port = srv.hostport("udp://")[1]
        r = ns.ping("--udp", port, "-c", 3, "-i", "0.2", "127.0.0.1")
        assert r.returncode == 0, r.stderr
        got = [line for line in lines(r) if "udp_seq=" in line and "bytes from" in line]
        assert len(got) == 3 and got[0].startswith("56 bytes from 127.0.0.1: udp_seq=1")
        srv.stop()
        r = ns.ping(f"--udp={port}", "-c", 2, "-i", "0.2", "-W", "1", "127.0.0.1")
        assert r.returncode == 1
        errs = [m.groups() for m in map(ERROR.match, lines(r)) if m]
        assert ("127.0.0.1", "udp", "1", "Destination Port Unreachable") in errs
    finally:
        srv.stop()


def test_json_lines(bed):
    r = bed.client.ping("--json", "-c", 2, "-i", "0.2", "-W", "0.5", RouterBed.ROUTER,
                        RouterBed.SILENT, RouterBed.UNREACHABLE)
    objs = [json.loads(line) for line in lines(r)]
    by = {}
    for o in objs:
        by.setdefault((o["type"], o["host"]), []).append(o)
    assert [o["seq"] for o in by[("reply", RouterBed.ROUTER)]] == [1, 2]
    assert [o["seq"] for o in by[("timeout", RouterBed.SILENT)]] == [1, 2]
    assert [o["error"] for o in by[("error", RouterBed.UNREACHABLE)]] == \
        ["Destination Host Unreachable"] * 2
    sums = {o["host"]: o for o in objs if o["type"] == "summary"}
    assert sums[RouterBed.ROUTER]["received"] == 2
    assert sums[RouterBed.SILENT]["loss_pct"] == 100
    assert sums[RouterBed.UNREACHABLE]["errors"] == 2


def read_until(proc, stream, pred, timeout=20):
    buf = b""
    deadline = time.monotonic() + timeout
    while not pred(buf):
        left = deadline - time.monotonic()
        assert left > 0, f"timed out; got {buf!r}"
        ready, _, _ = select.select([stream], [], [], left)
        if ready:
            chunk = os.read(stream.fileno(), 4096)
            assert chunk, f"EOF; got {buf!r}"
            buf += chunk
    return buf


def test_sigquit_status_then_sigint_summary(ns):
    p = subprocess.Popen(ns.cmd(SOCKIT, "ping", "-i", "0.2", "127.0.0.1"),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out = read_until(p, p.stdout, lambda b: b.count(b"bytes from") >= 2)
        p.send_signal(signal.SIGQUIT)
        err = read_until(p, p.stderr, lambda b: b"packets, " in b and b.endswith(b"\n"))
        assert b"% loss" in err
        out += read_until(p, p.stdout, lambda b: b.count(b"bytes from") >= 1)
        p.send_signal(signal.SIGINT)
        rest, _ = p.communicate(timeout=20)
        out += rest
        assert p.returncode == 0
        assert b"--- 127.0.0.1 ping statistics ---" in out
        assert b"rtt min/avg/max/mdev" in out
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


@pytest.mark.parametrize("args,msg", [
    (["-x", "127.0.0.1"], "sockit ping: unknown option '-x' (see 'sockit ping --help')"),
    (["--bogus", "127.0.0.1"], "sockit ping: unknown option '--bogus' (see 'sockit ping --help')"),
    (["127.0.0.1", "-c"], "sockit ping: option '-c' needs a value"),
    (["-c", "0", "127.0.0.1"], "sockit ping: bad value for '-c': '0' (out of range"),
    (["-i", "soon", "127.0.0.1"], "sockit ping: bad value for '-i': 'soon'"),
    (["-t", "256", "127.0.0.1"], "sockit ping: bad value for '-t': '256' (out of range 1-255)"),
    (["-s", "70000", "127.0.0.1"], "sockit ping: bad value for '-s': '70000' (out of range 0-65507)"),
    (["--tcp", "0", "127.0.0.1"], "sockit ping: bad value for '--tcp': '0'"),
    (["--udp=x", "127.0.0.1"], "sockit ping: bad value for '--udp-port': 'x'"),
    (["--json", "--alive", "127.0.0.1"], "sockit ping: --json and --alive do not go together"),
    ([], "sockit ping: no HOST given"),
    (["-c", "1", "nosuch.invalid"], "sockit ping: nosuch.invalid: "),
])
def test_bad_usage_exit_2_one_line(ns, args, msg):
    r = ns.ping(*args)
    assert r.returncode == 2
    err = r.stderr.decode().splitlines()
    assert len(err) == 1 and err[0].startswith(msg), err
    assert r.stdout == b""


def test_unprivileged_user_rules(ns):
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", SOCKIT, "ping"]
    r = ns.run(*nobody, "-c", 1, "-i", "0.1", "127.0.0.1")
    assert r.returncode == 2
    assert b"minimal interval allowed for user is 200ms" in r.stderr
    r = ns.run(*nobody, "-f", "-c", 1, "127.0.0.1")
    assert r.returncode == 2
    # Range closed and no CAP_NET_RAW: one line naming both reasons.
    r = ns.run(*nobody, "-c", 1, "127.0.0.1")
    assert r.returncode == 2
    err = r.stderr.decode().splitlines()
    assert len(err) == 1 and "net.ipv4.ping_group_range" in err[0] and "raw socket" in err[0], err
    ns.open_ping_sockets()
    r = ns.run(*nobody, "-c", 2, "-i", "0.2", "127.0.0.1")
    assert r.returncode == 0, r.stderr
    assert b"2 received" in r.stdout


def test_help_lists_examples_and_exit_codes():
    r = subprocess.run([SOCKIT, "ping", "--help"], capture_output=True, timeout=10)
    assert r.returncode == 0
    out = r.stdout.decode()
    assert "Exit status:" in out and "examples:" in out and "-c COUNT" in out
