"""Hardening tests (issue 14): the UDP reply budgets of amplifying services,
and the smaller holes a hostile-input sweep found.

The rate tests assert upper bounds only: a source can get at most
burst + rate * elapsed replies, with elapsed measured around the whole
exchange, so a slow machine only loosens the bound (never fails a correct
server), while a server that refills budgets hands out several times more.
"""
import re
import shutil
import socket
import subprocess
import sys
import time

import pytest

from conftest import SOCKIT, Server, sockit
from harden_util import (SRC_BURST, SRC_PER_SEC, SVC_BURST, SVC_PER_SEC,
                         fnv1a, flood, same_set_as, udp_socket)


def start_udp(server, tmp_path, service, *opts):
    logf = open(tmp_path / "server.log", "wb")
    srv = server(SOCKIT, "serve", service, "udp://127.0.0.1:0", *opts,
                 stderr=logf)
    logf.close()
    return srv, srv.hostport("udp://")


def src_bound(elapsed):
    return SRC_BURST + SRC_PER_SEC * elapsed + 2


@pytest.mark.parametrize("service", ["daytime", "qotd", "time"])
def test_rate_collision_never_refills(server, tmp_path, service):
    """127.0.10.191 and 127.0.0.1 share an FNV-1a slot mod 4096 (the old
    table): alternating them used to give 127.0.0.1 a fresh burst each
    time, so every request was answered."""
    a, b = "127.0.0.1", "127.0.10.191"
    assert fnv1a(socket.inet_aton(a), 4096) == fnv1a(socket.inet_aton(b), 4096)
    _, dest = start_udp(server, tmp_path, service)
    sa, sb = udp_socket(a), udp_socket(b)
    got, elapsed = flood(dest, [sa, sb] * 300)
    assert 0 < got[sa] <= src_bound(elapsed), (got[sa], elapsed)
    assert 0 < got[sb] <= src_bound(elapsed), (got[sb], elapsed)


def test_rate_full_set_shares_the_stricter_budget(server, tmp_path):
    """More sources in one set of the new table than it has ways: the
    extra ones are charged to a busy entry, never given a budget of their
    own, so no source gets more than its bound and the set as a whole
    gets at most one budget per way plus the shared overflow."""
    addrs = ["127.0.0.1"] + same_set_as("127.0.0.1", 7)
    _, dest = start_udp(server, tmp_path, "daytime")
    socks = [udp_socket(x) for x in addrs]
    got, elapsed = flood(dest, socks * 100)
    for s in socks:
        assert got[s] <= src_bound(elapsed), (s.getsockname(), got[s], elapsed)
    # 4 ways: at most 4 budgets among the 8 sources.
    assert sum(got.values()) <= 4 * src_bound(elapsed), (got, elapsed)


def test_rate_budget_shared_by_threads(server, tmp_path):
    """With --threads 2, SO_REUSEPORT spreads one address's source ports
    over both workers; the budget is per address for the whole server."""
    _, dest = start_udp(server, tmp_path, "daytime", "--threads", "2")
    socks = [udp_socket() for _ in range(32)]
    got, elapsed = flood(dest, socks * 12)
    total = sum(got.values())
    assert 0 < total <= src_bound(elapsed), (total, elapsed)


def test_rate_many_sources_bounded_by_service_budget(server, tmp_path):
    """A spoofed flood from 300 addresses, each within its own budget,
    reflects at most the service's budget."""
    _, dest = start_udp(server, tmp_path, "qotd")
    socks = [udp_socket(f"127.4.{i >> 8}.{i & 255}") for i in range(1, 301)]
    got, elapsed = flood(dest, socks * 8)
    total = sum(got.values())
    assert all(n <= src_bound(elapsed) for n in got.values())
    assert 0 < total <= SVC_BURST + SVC_PER_SEC * elapsed + 2, (total, elapsed)


def test_rate_does_not_touch_echo(server, tmp_path):
    """UDP echo never amplifies: no budget applies, every datagram of a
    burst from one source is answered."""
    _, dest = start_udp(server, tmp_path, "echo")
    s = udp_socket()
    got, _ = flood(dest, [s] * 200)
    assert got[s] == 200


STUBBORN = r"""
import signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen(["sleep", "120"])
open(sys.argv[1], "w").write(str(child.pid))
print("listening tcp://127.0.0.1:1 stubborn", flush=True)
time.sleep(120)
"""


def gone(pid, within=10.0):
    """Whether pid is gone (or a zombie) within the bound."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


def test_stop_kills_what_ignores_term_and_its_group(tmp_path):
    """Finding 6: a process that does not exit on SIGTERM (as an ASan build
    with a stuck LeakSanitizer tracer did) is killed with its whole process
    group after the bounded wait, and reaped: the suite never hangs on it
    and leaves nothing behind."""
    pidfile = tmp_path / "child.pid"
    srv = Server([sys.executable, "-c", STUBBORN, str(pidfile)], 1)
    child = int(pidfile.read_text())
    t0 = time.monotonic()
    srv.stop(timeout=1)
    assert time.monotonic() - t0 < 15
    assert srv.proc.returncode is not None
    assert srv.status is None
    assert gone(child), "the stopped process's child outlived it"


# ---------------------------------------------------------------- finding 5

def start_service(server, tmp_path, *args):
    logf = open(tmp_path / "server.log", "wb")
    srv = server(SOCKIT, "serve", *args, stderr=logf)
    logf.close()
    srv.logpath = tmp_path / "server.log"
    return srv


def until_eof(s, limit=1 << 20):
    s.settimeout(20)
    data = b""
    while len(data) < limit:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def wait_log(srv, pattern, timeout=20.0):
    """The first log line matching pattern (re), waiting for it (bounded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in srv.logpath.read_text(errors="replace").splitlines():
            if re.search(pattern, line):
                return line
        time.sleep(0.05)
    raise AssertionError(f"no log line matching {pattern!r}")


def test_greet_log_line_keeps_its_tail(server, tmp_path):
    """5000 bytes that escape to \\x01 each: the line used to be cut at
    1024 bytes mid-escape, losing "(N more bytes dropped, reason)"."""
    srv = start_service(server, tmp_path, "greet", "tcp://127.0.0.1:0")
    with socket.create_connection(srv.hostport()) as s:
        s.recv(1024)
        s.sendall(b"\x01" * 5000)
        s.shutdown(socket.SHUT_WR)
        until_eof(s)
    line = wait_log(srv, r"replied \"")
    shown = 768 // 4
    assert line.endswith(f'" ({5000 - shown} more bytes dropped, client closed)'), line
    assert line.count("\\x01") == shown


def test_caesar_stops_at_the_limit(server, tmp_path):
    """An over-long message spanning several reads gets the error line
    alone: the server used to send 65533 shifted bytes of it first.  One
    byte over the limit and no more, so the server has read everything
    when it closes (no reset)."""
    srv = start_service(server, tmp_path, "caesar", "tcp://127.0.0.1:0")
    with socket.create_connection(srv.hostport()) as s:
        s.sendall(b"e01ab.e01")
        for _ in range(6):
            s.sendall(b"a" * 10000)
        s.sendall(b"a" * 5537)
        data = until_eof(s)
    assert data == b"bc.error: message longer than 65536 bytes."


@pytest.mark.parametrize("content", [None, "", "%\n%\n"])
def test_bad_quotes_file_is_exit_2_both_ways(tmp_path, content):
    """A missing (or empty) quotes file was exit 2 through -c but 1 through
    --quotes."""
    q = tmp_path / "quotes.txt"
    if content is not None:
        q.write_text(content)
    conf = tmp_path / "q.conf"
    conf.write_text(f"service qotd\nlisten udp://127.0.0.1:0\nquotes {q}\n")
    by_opt = sockit("serve", "qotd", "udp://127.0.0.1:0", "--quotes", str(q), timeout=10)
    by_conf = sockit("serve", "-c", str(conf), timeout=10)
    assert (by_opt.returncode, by_conf.returncode) == (2, 2), (by_opt, by_conf)
    assert b"quotes" in by_opt.stderr and str(q).encode() in by_opt.stderr


def test_resolve_passive_wildcard_alone():
    """--help allows HOST '*' with --passive; alone (no SERVICE) it used
    to fail with "Name or service not known"."""
    r = sockit("resolve", "--passive", "--type", "stream", "*")
    assert r.returncode == 0, r.stderr
    want = socket.getaddrinfo(None, 0, 0, socket.SOCK_STREAM, 0, socket.AI_PASSIVE)
    got = [line.split()[-1] for line in r.stdout.decode().splitlines()[1:]]
    assert got == [f"[{sa[0]}]:0" if ":" in sa[0] else f"{sa[0]}:0"
                   for _, _, _, _, sa in want]


NS_DROP = """ip link set lo up
nft add table inet f
nft add chain inet f in '{ type filter hook input priority 0; }'
nft add rule inet f in tcp dport 9 drop
exec "$@"
"""


def test_own_deadline_worded_as_sockits(tmp_path):
    """A connect that sockit's own timer gives up on says so; it used to
    read "Connection timed out", the kernel's words for its own timeout.
    Inside a namespace of its own whose loopback drops SYNs to port 9."""
    if shutil.which("nft") is None or \
            subprocess.run(["unshare", "-n", "true"]).returncode != 0:
        pytest.skip("needs unshare -n and nft")
    r = subprocess.run(["unshare", "-n", "sh", "-c", NS_DROP, "sh", SOCKIT, "echo",
                        "-t", "300ms", "tcp://127.0.0.1:9", "hi"],
                       capture_output=True, timeout=30)
    assert r.returncode == 1
    assert r.stderr.decode().strip() == \
        "sockit: connect 127.0.0.1:9: timed out after 300ms (sockit's deadline)"


def test_descriptor_exhaustion_sheds_and_recovers(tmp_path):
    """With its descriptors exhausted (hard limit 48), the server accepts
    and closes the excess at once with a log line, keeps serving the
    clients it has, and serves new ones once descriptors are free."""
    import resource

    def low_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (48, 48))

    logf = open(tmp_path / "server.log", "wb")
    srv = Server([SOCKIT, "serve", "--threads", "1", "echo", "tcp://127.0.0.1:0"], 1,
                 stderr=logf, preexec_fn=low_limit)
    logf.close()
    held = []
    try:
        ep = srv.hostport()
        for _ in range(80):
            held.append(socket.create_connection(ep, timeout=10))
        # The first ones are served; the last ones were shed (EOF or reset).
        held[0].sendall(b"still here")
        assert held[0].recv(64) == b"still here"
        shed = 0
        for s in held[-10:]:
            s.settimeout(10)
            try:
                s.sendall(b"x")
                shed += s.recv(1) == b""
            except OSError:
                shed += 1
        assert shed == 10
        srv.logpath = tmp_path / "server.log"
        wait_log(srv, r"refused: out of file descriptors")
        for s in held:
            s.close()
        held = []
        deadline = time.monotonic() + 20
        while True:     # the server frees them as it sees the closes
            try:
                with socket.create_connection(ep, timeout=10) as s:
                    s.sendall(b"again")
                    s.settimeout(10)
                    if s.recv(64) == b"again":
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "no recovery"
            time.sleep(0.1)
    finally:
        for s in held:
            s.close()
        srv.stop()


# ---------------------------------------------------------------- log injection

def test_log_lines_stay_printable_whatever_a_client_sends(server, tmp_path):
    """A chat QUIT reason reaches the server's log as the close reason:
    escape sequences, DEL, bytes above 0x7f used to land there raw (found
    by the chat soak's garbage clients); every byte outside printable
    ASCII is now written \\xNN."""
    srv = start_service(server, tmp_path, "chat", "tcp://127.0.0.1:0")
    with socket.create_connection(srv.hostport()) as s:
        s.sendall(b"NICK evil\r\nUSER e 0 * :e\r\n"
                  b"QUIT :\x1b[2J\x1b[31mred\x7f\xff\xfe end\r\n")
        until_eof(s)
    line = wait_log(srv, r"closed: Quit: ")
    assert line.endswith(r"closed: Quit: \x1b[2J\x1b[31mred\x7f\xff\xfe end"), line
    raw = srv.logpath.read_bytes()
    assert all(0x20 <= b < 0x7f or b == 0x0a for b in raw), raw[-400:]


def test_never_reading_client_costs_a_bounded_send(server, tmp_path):
    """A client that sends and never reads: the server used to echo ~4 MiB
    into it before stopping (the kernel grew the send buffer to tcp_wmem's
    maximum while the client's window stayed shut), most of the soak's
    server CPU; TCP_NOTSENT_LOWAT keeps what the kernel takes beyond the
    client's window to 128 KiB, so what the server wrote (out=) stays
    near window + that + --max-queue."""
    srv = start_service(server, tmp_path, "--max-queue", "65536", "--idle-timeout", "2",
                        "echo", "tcp://127.0.0.1:0")
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    s.connect(srv.hostport())
    s.setblocking(False)
    blocked_since = None
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:      # until the server stops taking
        try:
            s.send(b"n" * 16384)
            blocked_since = None
        except BlockingIOError:
            blocked_since = blocked_since or time.monotonic()
            if time.monotonic() - blocked_since > 0.5:
                break
            time.sleep(0.01)
    line = wait_log(srv, r" closed: idle timeout$")
    s.close()
    out = int(re.search(r" out=(\d+) ", line).group(1))
    assert out < 1 << 20, line
