"""End-to-end tests of `sockit sockets`.

Live: the test opens its own sockets (sockets_util.SocketSet) and checks
that sockit lists them with the right state, queues, addresses and owner,
the same set `ss -tanp` reports.  Replayed: the recorded dump in
tests/data/sockets.dump is run through filters and formats and compared
byte for byte with tests/data/sockets_expected/ (SOCKIT_REGEN=1 rewrites
those files; review the diff).  --watch is driven on a pseudo-terminal.
"""
import json
import os
import pty
import re
import select
import shutil
import socket
import subprocess
import time
import uuid

import pytest

from conftest import ROOT, SOCKIT, run, sockit
from sockets_util import SocketSet

DUMP = os.path.join(ROOT, "tests", "data", "sockets.dump")
EXPECTED = os.path.join(ROOT, "tests", "data", "sockets_expected")


# Other programs' TIME-WAIT leftovers on this machine may share an ephemeral
# port with the test's sockets: port-based checks leave TIME-WAIT out.
NO_TW = ("exclude", "time-wait")


@pytest.fixture
def socks(tmp_path):
    s = SocketSet(str(tmp_path))
    yield s
    s.close()


def listing(*args):
    r = sockit("sockets", *args, "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def find(rows, netid, local_port, peer_port=None, state=None):
    out = [r for r in rows if r["netid"] == netid and r.get("local_port") == local_port
           and (peer_port is None or r.get("peer_port") == peer_port)
           and (state is None or r["state"] == state)]
    assert len(out) == 1, (netid, local_port, peer_port, out)
    return out[0]


# ---------------------------------------------------------------- live

def test_tcp_listed_with_state_queues_addresses_pid(socks):
    rows = listing("-t", "-a", "-p")
    pid = os.getpid()
    t4 = socks.tcp4
    lst = find(rows, "tcp", t4["listen"], state="LISTEN")
    assert lst["local"] == f"127.0.0.1:{t4['listen']}" and lst["peer"] == "0.0.0.0:*"
    assert lst["send_q"] == 17 and lst["recv_q"] == 0        # backlog max, queued now
    assert lst["pid"] == pid and lst["inode"] == socks.inode(t4["listener"])
    srv = find(rows, "tcp", t4["listen"], t4["client"], "ESTAB")
    assert srv["recv_q"] == 100 and srv["pid"] == pid
    assert srv["inode"] == socks.inode(t4["srv"])
    cli = find(rows, "tcp", t4["client"], t4["listen"], "ESTAB")
    assert cli["peer"] == f"127.0.0.1:{t4['listen']}" and cli["inode"] == socks.inode(t4["cli"])
    t6 = socks.tcp6
    assert find(rows, "tcp", t6["listen"], state="LISTEN")["local"] == f"[::1]:{t6['listen']}"
    c6 = find(rows, "tcp", t6["client"], t6["listen"], "ESTAB")
    assert c6["recv_q"] == 7 and c6["family"] == "inet6" and c6["pid"] == pid
    pending = find(rows, "tcp", socks.backlog["listen"], state="LISTEN")
    assert pending["recv_q"] == 1 and pending["send_q"] == 5


def test_udp_and_unix_listed(socks):
    rows = listing("-u", "-x", "-a", "-p")
    u = socks.udp
    bound = find(rows, "udp", u["bound"], state="UNCONN")
    assert bound["recv_q"] > 0 and bound["peer"] == "0.0.0.0:*"
    conn = find(rows, "udp", u["connected"], u["bound"], "ESTAB")
    assert conn["pid"] == os.getpid()
    assert find(rows, "udp", u["bound6"], state="UNCONN")["local"] == f"[::1]:{u['bound6']}"
    mine = [r for r in rows if r["family"] == "unix" and r["pid"] == os.getpid()]
    by_path = {r["path"]: r for r in mine if r["path"]}
    assert by_path[socks.unix_path]["state"] in ("LISTEN", "ESTAB")
    lst = [r for r in mine if r["path"] == socks.unix_path and r["state"] == "LISTEN"]
    assert len(lst) == 1 and lst[0]["send_q"] == 3
    srv = [r for r in mine if r["inode"] == socks.inode(socks.unix["srv"])][0]
    cli = [r for r in mine if r["inode"] == socks.inode(socks.unix["cli"])][0]
    assert srv["recv_q"] == 11 and srv["peer_inode"] == cli["inode"]
    assert by_path["@" + socks.abstract_name]["netid"] == "u_dgr"
    assert sum(1 for r in mine if r["netid"] == "u_str" and not r["path"]) >= 3


def ss_rows(ports):
    """(state, local, peer, pid) of ss -tanp lines that involve our ports."""
    r = run(["ss", "-tanp"])
    assert r.returncode == 0
    out = set()
    for line in r.stdout.decode().splitlines()[1:]:
        f = line.split()
        if len(f) < 5:
            continue
        lport = int(f[3].rsplit(":", 1)[1])
        if lport not in ports:
            continue
        m = re.search(r"pid=(\d+)", line)
        state = {"ESTAB": "ESTAB"}.get(f[0], f[0])
        out.add((state, f[3], f[4], int(m.group(1)) if m else None))
    return out


def test_same_set_as_ss_tanp(socks):
    if not shutil.which("ss"):
        pytest.skip("ss not installed")
    ports = {socks.tcp4["listen"], socks.tcp4["client"], socks.tcp6["listen"],
             socks.tcp6["client"], socks.backlog["listen"], socks.backlog["client"]}
    r = sockit("sockets", "-tanp")
    assert r.returncode == 0, r.stderr
    ours = set()
    # With -t alone there is no Netid column, as in ss: the same fields.
    for line in r.stdout.decode().splitlines()[1:]:
        f = line.split()
        if int(f[3].rsplit(":", 1)[1]) in ports:
            pid = None if f[5] == "-" else int(f[5].split("/")[0])
            ours.add((f[0], f[3], f[4], pid))
    theirs = ss_rows(ports)
    assert len(ours) >= 9, ours
    # ss writes a v6 listener's peer as [::]:* and sockit the same; both
    # say 0.0.0.0:* for v4.  The owner of every socket must match.
    assert ours == theirs


def test_kernel_port_filters(socks):
    t4 = socks.tcp4
    rows = listing("-t", "-a", *NO_TW, "--sport", str(t4["listen"]))
    assert {(r["state"], r["peer_port"]) for r in rows} == {("LISTEN", 0), ("ESTAB", t4["client"])}
    rows = listing("-t", "-a", *NO_TW, "--dport", str(t4["listen"]))
    assert [(r["local_port"], r["state"]) for r in rows] == [(t4["client"], "ESTAB")]
    rows = listing("-t", "-a", *NO_TW, "--port", str(t4["listen"]))
    assert len(rows) == 3
    rows = listing("-t", "-a", *NO_TW, "--sport", str(t4["client"]), "--dport", str(t4["listen"]))
    assert len(rows) == 1
    rows = listing("-a", *NO_TW, "--port", str(t4["listen"]))     # UNIX sockets have no port
    assert all(r["family"] != "unix" for r in rows) and len(rows) == 3


def test_state_filters_and_defaults(socks):
    t4 = socks.tcp4
    rows = listing("-t", "--state", "listening", "--sport", str(t4["listen"]))
    assert [r["state"] for r in rows] == ["LISTEN"]
    assert listing("-t", "--sport", str(t4["listen"])) == [
        r for r in listing("-t", "-a", "--sport", str(t4["listen"])) if r["state"] == "ESTAB"]
    rows = listing("-tl", "--sport", str(t4["listen"]))
    assert [r["state"] for r in rows] == ["LISTEN"]
    udp = listing("-u")       # default: connected UDP only, like ss
    assert all(r["state"] == "ESTAB" for r in udp)


def test_pid_filter_and_sort(socks):
    rows = listing("-t", "-a", "--pid", str(os.getpid()), "--sort", "recvq")
    assert rows and all(r["local_port"] in (socks.tcp4["listen"], socks.tcp4["client"],
                                            socks.tcp6["listen"], socks.tcp6["client"],
                                            socks.backlog["listen"], socks.backlog["client"])
                        for r in rows)
    assert [r["recv_q"] for r in rows] == sorted((r["recv_q"] for r in rows), reverse=True)
    assert rows[0]["recv_q"] == 100


def test_extended_tcp_info(socks):
    pair = ["--sport", str(socks.tcp4["client"]), "--dport", str(socks.tcp4["listen"])]
    rows = listing("-t", "-e", *pair)
    assert len(rows) == 1
    ti = rows[0]["tcp_info"]
    assert ti["bytes_acked"] >= 100 and ti["cwnd"] > 0 and rows[0]["uid"] == os.getuid()
    # The text shows ss's details (tests/e2e/test_sockets_ss_fields.py
    # compares them with ss): TCP internals are -i's.
    r = sockit("sockets", "-t", "-e", *pair)
    ino = socks.inode(socks.tcp4["cli"])
    assert re.search(r" ino:%d sk:[0-9a-f]+ .*<->$" % ino, r.stdout.decode().splitlines()[1])
    assert "rtt:" not in r.stdout.decode()


def test_proc_fallback_lists_the_same_tcp(socks):
    r = sockit("sockets", "--proc", "-t", "-a", "--sport", str(socks.tcp4["listen"]), "--json",
               *NO_TW)
    assert r.returncode == 0 and r.stderr == b""
    rows = json.loads(r.stdout)
    assert {(x["state"], x["peer_port"]) for x in rows} == {("LISTEN", 0), ("ESTAB", socks.tcp4["client"])}


def test_summary_counts(socks):
    # TIME-WAIT left out: other programs' leftovers on this machine may
    # share the ephemeral port.
    r = sockit("sockets", "-s", "--json", "-a", "--port", str(socks.tcp4["listen"]),
               "exclude", "time-wait")
    doc = json.loads(r.stdout)
    # The selected sockets by netid and state, and ss -s's figures beside.
    assert {k: doc[k] for k in ("total", "netids")} == {"total": 3, "netids": {"tcp": {"total": 3, "states": {"ESTAB": 2, "LISTEN": 1}}}}
    assert doc["sockstat"]["transport"]["tcp"]["total"] >= 3


@pytest.mark.parametrize("args", [["--state", "nosuch"], ["--sort", "size"], ["--port", "70000"],
                                  ["--count", "2"], ["stray"], ["--watch", "0"], ["--netns", "../x"]])
def test_bad_usage_exits_2(args):
    r = sockit("sockets", *args)
    # Usage errors read "sockit sockets: ..." (DESIGN.md).
    assert r.returncode == 2 and r.stderr.startswith(b"sockit sockets: ")
    assert r.stderr.count(b"\n") == 1


def test_help():
    r = sockit("sockets", "--help")
    assert r.returncode == 0 and b"--from-dump" in r.stdout and b"--watch" in r.stdout


def test_netns(tmp_path):
    if not shutil.which("ip"):
        pytest.skip("ip not installed")
    name = "sockit-t-" + uuid.uuid4().hex[:8]
    if run(["ip", "netns", "add", name]).returncode != 0:
        pytest.skip("cannot create a network namespace")
    holder = None
    try:
        code = ("import socket,sys; s=socket.socket(); s.bind(('127.0.0.1',0)); s.listen();"
                "print(s.getsockname()[1], flush=True); sys.stdin.read()")
        holder = subprocess.Popen(["ip", "netns", "exec", name, "python3", "-c", code],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        port = int(holder.stdout.readline())
        inside = listing("--netns", name, "-tl")
        assert [(r["local_port"], r["state"]) for r in inside] == [(port, "LISTEN")]
        outside = listing("-tl", "--sport", str(port))
        assert all(r["local"] != f"127.0.0.1:{port}" for r in outside) or outside == []
        r = sockit("sockets", "--netns", name + "-missing")
        assert r.returncode == 1 and b"No such file" in r.stderr
    finally:
        if holder:
            holder.stdin.close()
            holder.wait(10)
        run(["ip", "netns", "del", name])


# ---------------------------------------------------------------- --watch

def read_until(fd, pattern, buf, timeout=15):
    deadline = time.monotonic() + timeout
    while not re.search(pattern, buf):
        left = deadline - time.monotonic()
        assert left > 0, f"no {pattern!r} in {buf[-2000:]!r}"
        r, _, _ = select.select([fd], [], [], left)
        if r:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            assert chunk, f"EOF before {pattern!r}: {buf[-2000:]!r}"
            buf += chunk
    return buf


def test_watch_marks_new_and_vanished_on_a_terminal():
    a = socket.socket()
    a.bind(("127.0.0.1", 0))
    a.listen()
    pa = a.getsockname()[1]
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(SOCKIT, [SOCKIT, "sockets", "-tl", "--pid", str(os.getppid()),
                          "--watch", "1", "--count", "2"])
    b = None
    try:
        buf = read_until(fd, rb"frame 1.*\n(.*\n)*.*127\.0\.0\.1:%d" % pa, b"")
        b = socket.socket()
        b.bind(("127.0.0.1", 0))
        b.listen()
        pb = b.getsockname()[1]
        a.close()
        buf = read_until(fd, rb"frame 2(.|\n)*127\.0\.0\.1:%d(.|\n)*127\.0\.0\.1:%d" % (pb, pa), buf)
        frame2 = buf[buf.index(b"frame 2"):]
        assert b"\033[H\033[2J" in buf                    # redrawn in place
        assert re.search(rb"\033\[1;32m\+ +LISTEN .*127\.0\.0\.1:%d" % pb, frame2)
        assert re.search(rb"\033\[1;31m- +LISTEN .*127\.0\.0\.1:%d" % pa, frame2)
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
        a.close()
        if b:
            b.close()
    assert os.waitstatus_to_exitcode(status) == 0


def test_watch_without_terminal_is_plain():
    r = sockit("sockets", "--from-dump", DUMP, "-tl", "--watch", "0.1", "--count", "2")
    out = r.stdout.decode()
    assert r.returncode == 0 and "\033" not in out
    assert out.count("Every 0.1s") == 2 and "frame 2" in out
    assert not re.search(r"^[+-] ", out, re.M)       # a dump does not change


# ---------------------------------------------------------------- replayed dump

def dump_ports():
    rows = json.loads(sockit("sockets", "--from-dump", DUMP, "-a", "--json").stdout)
    listeners = [r["local_port"] for r in rows if r["netid"] == "tcp" and r["state"] == "LISTEN"]
    pid = [r for r in json.loads(sockit("sockets", "--from-dump", DUMP, "-a", "-p", "--json").stdout)
           if r["pid"]][0]["pid"]
    return listeners[0], listeners[1], pid


def dump_cases():
    p1, p2, pid = dump_ports()
    return {
        "default": [],
        "all": ["-a"],
        "all_process_extended": ["-a", "-p", "-e"],
        "tcp_listening": ["-tl"],
        "tcp_all_v6": ["-t", "-a", "-6"],
        "udp_all_json": ["-u", "-a", "--json"],
        "unix_all": ["-x", "-a", "-p"],
        "unix_json": ["-x", "-a", "--json", "-p"],
        "state_established_v4": ["--state", "established", "-4", "-p"],
        "state_groups": ["--state", "bucket,listening", "-t"],
        "sport": ["-a", "--sport", str(p1)],
        "dport": ["-a", "--dport", str(p1)],
        "port": ["-a", "--port", str(p2), "-p"],
        "pid": ["-a", "--pid", str(pid), "-t", "--sort", "port"],
        "sort_recvq": ["-a", "--sort", "recvq", "-H"],
        "sort_sendq_json": ["-a", "--sort", "sendq", "--json", "-e", "-p"],
        "summary": ["-s", "-a"],
        "summary_json": ["-s", "-a", "--json"],
        # ss filter expressions, replayed (tests/unit/test_sockets_expr.c
        # checks many more against this dump).
        "expr_ports": ["-tn", "state", "all", "( sport = :%d or dport = :%d )" % (p1, p1)],
        "expr_not_v6": ["-a", "not", "src", "[::1]", "and", "dst", "*"],
        "expr_state_json": ["-t", "state", "listening", "sport", ">", ":1024", "--json"],
        "expr_timers_oneline": ["-tnoO", "state", "established"],
    }


CASE_NAMES = ["default", "all", "all_process_extended", "tcp_listening", "tcp_all_v6",
              "udp_all_json", "unix_all", "unix_json", "state_established_v4", "state_groups",
              "sport", "dport", "port", "pid", "sort_recvq", "sort_sendq_json", "summary",
              "summary_json", "expr_ports", "expr_not_v6", "expr_state_json",
              "expr_timers_oneline"]


@pytest.mark.parametrize("name", CASE_NAMES)
def test_dump_replay_exact(name):
    args = dump_cases()[name]
    r = sockit("sockets", "--from-dump", DUMP, *args)
    assert r.returncode == 0, r.stderr
    path = os.path.join(EXPECTED, name + ".out")
    if os.environ.get("SOCKIT_REGEN") == "1":
        os.makedirs(EXPECTED, exist_ok=True)
        with open(path, "wb") as f:
            f.write(r.stdout)
    with open(path, "rb") as f:
        assert r.stdout.decode() == f.read().decode()
    if "--json" in args:
        json.loads(r.stdout)


def test_dump_filters_are_consistent():
    """Properties the expected files must have, checked independently."""
    rows = json.loads(sockit("sockets", "--from-dump", DUMP, "-a", "--json", "-p").stdout)
    assert {r["netid"] for r in rows} == {"tcp", "udp", "u_str", "u_dgr"}
    default = json.loads(sockit("sockets", "--from-dump", DUMP, "--json", "-p").stdout)
    assert default == [r for r in rows if r["state"] not in ("LISTEN", "UNCONN", "TIME-WAIT", "SYN-RECV")]
    listening = json.loads(sockit("sockets", "--from-dump", DUMP, "-l", "--json", "-p").stdout)
    assert listening == [r for r in rows if r["state"] in ("LISTEN", "UNCONN")]
    v6 = json.loads(sockit("sockets", "--from-dump", DUMP, "-6", "-a", "--json", "-p").stdout)
    assert v6 == [r for r in rows if r["family"] == "inet6"]


def test_dump_malformed_is_a_clean_error(tmp_path):
    bad = tmp_path / "bad.dump"
    bad.write_text("nl tcp 0011zz\n")
    r = sockit("sockets", "--from-dump", str(bad))
    assert r.returncode == 1 and r.stderr.decode() == f"sockit: dump {bad}:1: malformed line\n"
    short = tmp_path / "short.dump"
    short.write_text("nl tcp 10000000140002000000000000000000\n")   # header only, no payload
    r = sockit("sockets", "--from-dump", str(short), "-a")
    assert r.returncode == 0 and r.stdout.decode().count("\n") == 1


def test_record_then_replay_roundtrip(socks, tmp_path):
    out = str(tmp_path / "rec.dump")
    port = str(socks.tcp4["listen"])
    # TIME-WAIT left out: other programs' leftovers may share the port.
    live = sockit("sockets", "-t", "-a", "-p", "--port", port, "--record-dump", out,
                  "exclude", "time-wait")
    assert live.returncode == 0, live.stderr
    again = sockit("sockets", "-t", "-a", "-p", "--port", port, "--from-dump", out,
                   "exclude", "time-wait")
    assert again.stdout == live.stdout and again.stdout.count(b"\n") == 4
