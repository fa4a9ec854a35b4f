"""sockit connect / listen: half-close, bulk integrity, -z, -k, UDP,
--exec, --broker, --telnet, --hexdump, --allow/--deny, bad usage —
against python peers written for each case, and nc/socat where useful."""
import hashlib
import os
import re
import shutil
import socket
import struct
import subprocess
import tempfile
import time

import pytest

from conftest import SOCKIT, sockit
from netcat_util import (TcpServer, closed_port, closed_udp_port, host_port,
                         read_until, recv_all, sockit_bg)


def answer_after_eof(delay):
    def handler(c):
        data = recv_all(c)
        if delay:
            time.sleep(delay)   # the server's own pace, not a synchronisation
        c.sendall(b"got %d\n" % len(data))
        return data
    return handler


@pytest.mark.parametrize("delay", [0, 1.5])
def test_reply_after_stdin_eof(delay):
    srv = TcpServer(answer_after_eof(delay))
    r = sockit("connect", "127.0.0.1", str(srv.port), input=b"hello")
    assert (r.returncode, r.stdout) == (0, b"got 5\n"), r.stderr
    assert srv.join() == [b"hello"]


def test_endpoint_form_and_ipv6():
    srv = TcpServer(answer_after_eof(0), family=socket.AF_INET6, host="::1")
    r = sockit("connect", f"tcp://[::1]:{srv.port}", input=b"v6")
    assert (r.returncode, r.stdout) == (0, b"got 2\n"), r.stderr


def test_server_closes_while_stdin_open():
    def handler(c):
        c.sendall(b"bye\n")
    srv = TcpServer(handler)
    p = sockit_bg("connect", "127.0.0.1", str(srv.port))
    try:
        assert read_until(p.p.stdout, b"bye\n") == b"bye\n"
        srv.join()
        p.p.stdin.close()       # our side done too: the session ends, 0
        rc, out, err = p.finish()
        assert rc == 0, err
    finally:
        p.stop()


def test_listen_peer_reads_to_eof_then_answers():
    p = sockit_bg("listen", "127.0.0.1", "0")
    try:
        host, port = host_port(p.endpoint())
        p.p.stdin.write(b"request")
        p.p.stdin.close()
        with socket.create_connection((host, port), timeout=10) as c:
            assert recv_all(c) == b"request"
            c.sendall(b"answer")
        rc, out, err = p.finish()
        assert (rc, out) == (0, b"answer"), err
    finally:
        p.stop()


def _bulk(ep_listen, size, tmp, extra=(), via_relay=False, listen_extra=None):
    a, b = os.path.join(tmp, "a"), os.path.join(tmp, "b")
    digest = {}
    for path in (a, b):
        h = hashlib.sha256()
        with open(path, "wb") as f:
            for _ in range(size >> 22):         # 4 MiB at a time, hashed as written
                chunk = os.urandom(4 << 20)
                h.update(chunk)
                f.write(chunk)
        digest[path] = h.hexdigest()
    with open(a, "rb") as fa, open(b, "rb") as fb:
        lextra = extra if listen_extra is None else listen_extra
        lp = subprocess.Popen([SOCKIT, "listen", *lextra, ep_listen], stdin=fa,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            line = lp.stderr.readline()
            while line and not line.startswith(b"listening "):
                line = lp.stderr.readline()
            ep = line.split()[1].decode() if line else ep_listen
            relay = None
            if via_relay:
                relay = subprocess.Popen([SOCKIT, "relay", "tcp://127.0.0.1:0", ep],
                                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.PIPE)
                ep = relay.stderr.readline().split()[1].decode()
            cp = subprocess.Popen([SOCKIT, "connect", *extra, ep], stdin=fb,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            got_l = hashlib.sha256()
            got_c = hashlib.sha256()
            import threading
            t = threading.Thread(target=lambda: [got_c.update(x) for x in
                                                 iter(lambda: cp.stdout.read(1 << 20), b"")])
            t.start()
            for x in iter(lambda: lp.stdout.read(1 << 20), b""):
                got_l.update(x)
            t.join(60)
            assert cp.wait(60) == 0, cp.stderr.read()
            assert lp.wait(60) == 0, lp.stderr.read()
            if relay:
                relay.terminate()
                assert relay.wait(20) == 0
        finally:
            for p in (lp,):
                if p.poll() is None:
                    p.kill()
    assert got_l.hexdigest() == digest[b]
    assert got_c.hexdigest() == digest[a]


@pytest.mark.parametrize("kind", ["tcp", "unix"])
def test_256mib_both_ways_intact(kind):
    with tempfile.TemporaryDirectory() as tmp:
        ep = "tcp://127.0.0.1:0" if kind == "tcp" else f"unix:{tmp}/s"
        extra = () if kind == "tcp" else ("-v",)
        _bulk(ep, 256 << 20, tmp, extra)


def test_tls_128mib_both_ways_intact():
    with tempfile.TemporaryDirectory() as tmp:
        _bulk("tcp://127.0.0.1:0", 128 << 20, tmp, ("--tls", "--insecure"),
              listen_extra=("--tls",))     # --insecure is the client's


def test_256mib_both_ways_through_a_relay_intact():
    with tempfile.TemporaryDirectory() as tmp:
        _bulk("tcp://127.0.0.1:0", 256 << 20, tmp, via_relay=True)


def test_zero_probe_exit_codes():
    srv = TcpServer(lambda c: None)
    dead = closed_port()
    r = sockit("connect", "-z", "-v", "127.0.0.1", str(srv.port))
    assert r.returncode == 0, r.stderr
    assert b"open" in r.stderr
    srv.join()
    r = sockit("connect", "-z", "-w", "2", "127.0.0.1", str(dead))
    assert r.returncode == 1
    r = sockit("connect", "-z", "-v", "127.0.0.1", f"{dead},{dead}")
    assert r.returncode == 1 and r.stderr.count(b"Connection refused") == 2


def test_keep_open_serves_two_clients_in_turn():
    p = sockit_bg("listen", "-k", "127.0.0.1", "0", stdin=subprocess.DEVNULL)
    try:
        host, port = host_port(p.endpoint())
        for msg in (b"one\n", b"two\n"):
            with socket.create_connection((host, port), timeout=10) as c:
                c.sendall(msg)
                c.shutdown(socket.SHUT_WR)
                assert recv_all(c) == b""       # our stdin is empty: FIN at once
        out = read_until(p.p.stdout, b"two\n")
        assert out == b"one\ntwo\n"
    finally:
        p.stop()


def test_allow_deny():
    p = sockit_bg("listen", "-k", "--deny", "127.0.0.0/8", "127.0.0.1", "0",
                  stdin=subprocess.DEVNULL)
    try:
        host, port = host_port(p.endpoint())
        with socket.create_connection((host, port), timeout=10) as c:
            assert recv_all(c) == b""           # closed at once
        p.wait_err(rb"refused 127\.0\.0\.1:\d+ \(--deny 127\.0\.0\.0/8\)")
    finally:
        p.stop()
    p = sockit_bg("listen", "--allow", "127.0.0.0/8", "127.0.0.1", "0",
                  stdin=subprocess.DEVNULL)
    try:
        host, port = host_port(p.endpoint())
        with socket.create_connection((host, port), timeout=10) as c:
            c.sendall(b"allowed")
        rc, out, err = p.finish()
        assert (rc, out) == (0, b"allowed"), err
    finally:
        p.stop()


@pytest.mark.parametrize("args,msg", [
    (["--bogus"], b"sockit connect: unknown option '--bogus' (see 'sockit connect --help')\n"),
    (["-Y"], b"sockit connect: unknown option '-Y' (see 'sockit connect --help')\n"),
    (["-w"], b"sockit connect: option '-w' needs a value\n"),
    (["-w", "soon", "x:1"], None),
    ([], b"sockit connect: missing endpoint (see 'sockit connect --help')\n"),
    (["tcp://x:99999"], None),
])
def test_bad_usage_exits_2_with_one_line(args, msg):
    r = sockit("connect", *args)
    assert r.returncode == 2
    assert r.stderr.count(b"\n") == 1 and r.stderr.startswith(b"sockit connect: ")
    if msg:
        assert r.stderr == msg


def test_help_and_connect_refused():
    for cmd in ("connect", "listen", "relay"):
        r = sockit(cmd, "--help")
        assert r.returncode == 0 and b"examples:" in r.stdout and b"exit status" in r.stdout
    port = closed_port()
    r = sockit("connect", "127.0.0.1", str(port), input=b"")
    assert r.returncode == 1
    assert r.stderr == f"sockit connect: connect 127.0.0.1:{port}: Connection refused\n".encode()


def test_crlf_and_hexdump():
    srv = TcpServer(lambda c: recv_all(c))
    r = sockit("connect", "-C", "--hexdump", "127.0.0.1", str(srv.port), input=b"a\nb\n")
    assert r.returncode == 0, r.stderr
    assert srv.join() == [b"a\r\nb\r\n"]
    assert b"> 00000000  61 0d 0a 62 0d 0a" in r.stderr


def test_quit_after_eof():
    def handler(c):
        recv_all(c)
        time.sleep(30)      # never answers in time; -q ends the session
    srv = TcpServer(handler)
    t0 = time.monotonic()
    r = sockit("connect", "-q", "200ms", "127.0.0.1", str(srv.port), input=b"x")
    assert r.returncode == 0 and time.monotonic() - t0 < 25


# ---- UDP ----

def udp_server():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(10)
    return s


def test_udp_lines_keep_boundaries_and_connect_exits():
    s = udp_server()
    r = sockit("connect", "-u", "--lines", "127.0.0.1", str(s.getsockname()[1]),
               input=b"a\nbb\nccc\nlast")
    assert r.returncode == 0, r.stderr
    got = [s.recv(65536) for _ in range(4)]
    assert got == [b"a\n", b"bb\n", b"ccc\n", b"last"]


def test_udp_one_read_one_datagram():
    s = udp_server()
    r = sockit("connect", "-u", "127.0.0.1", str(s.getsockname()[1]), input=b"x\ny\n")
    assert r.returncode == 0, r.stderr
    assert s.recv(65536) == b"x\ny\n"


def test_udp_reply_printed_with_quit():
    s = udp_server()
    p = sockit_bg("connect", "-u", "-q", "30", "127.0.0.1", str(s.getsockname()[1]))
    try:
        p.p.stdin.write(b"ping\n")
        p.p.stdin.flush()
        data, addr = s.recvfrom(65536)
        assert data == b"ping\n"
        s.sendto(b"pong\n", addr)
        assert read_until(p.p.stdout, b"pong\n") == b"pong\n"
    finally:
        p.stop()


def test_udp_port_unreachable_reported():
    port = closed_udp_port()
    r = sockit("connect", "-u", "127.0.0.1", str(port), input=b"hello\n")
    assert r.returncode == 1
    assert b"Connection refused" in r.stderr and r.stderr.count(b"\n") == 1


def test_udp_listen_answers_last_peer():
    p = sockit_bg("listen", "-u", "-v", "127.0.0.1", "0")
    try:
        host, port = host_port(p.endpoint())
        c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        c.settimeout(10)
        c.sendto(b"one", (host, port))
        c.sendto(b"two", (host, port))
        assert read_until(p.p.stdout, b"onetwo") == b"onetwo"
        p.wait_err(rb"datagram from 127\.0\.0\.1:\d+ \(3 bytes\)")
        p.p.stdin.write(b"reply")
        p.p.stdin.flush()
        assert c.recv(65536) == b"reply"
    finally:
        p.stop()


def test_unixgram_connect_listen():
    with tempfile.TemporaryDirectory() as tmp:
        p = sockit_bg("listen", "-v", f"unixgram:{tmp}/g")
        try:
            p.endpoint()
            r = sockit("connect", "--lines", f"unixgram:{tmp}/g", input=b"l1\nl2\n")
            assert r.returncode == 0, r.stderr
            assert read_until(p.p.stdout, b"l2\n") == b"l1\nl2\n"
        finally:
            p.stop()


# ---- exec, broker, telnet ----

def test_exec_child_answers_after_its_stdin_closes():
    p = sockit_bg("listen", "--sh-exec", "wc -c; echo answered-after-eof",
                  "127.0.0.1", "0", stdin=subprocess.DEVNULL)
    try:
        host, port = host_port(p.endpoint())
        with socket.create_connection((host, port), timeout=10) as c:
            c.sendall(b"12345")
            c.shutdown(socket.SHUT_WR)
            assert recv_all(c) == b"5\nanswered-after-eof\n"
        rc, _, err = p.finish()
        assert rc == 0, err
    finally:
        p.stop()


def test_exec_on_connect():
    srv = TcpServer(lambda c: (c.sendall(b"question\n"), c.shutdown(socket.SHUT_WR),
                               recv_all(c))[2])
    r = sockit("connect", "-e", "tr a-z A-Z", "127.0.0.1", str(srv.port))
    assert r.returncode == 0, r.stderr
    assert srv.join() == [b"QUESTION\n"]


def test_broker_three_clients():
    p = sockit_bg("listen", "-k", "--broker", "-v", "127.0.0.1", "0",
                  stdin=subprocess.DEVNULL)
    try:
        host, port = host_port(p.endpoint())
        cs = []
        for i in range(3):
            cs.append(socket.create_connection((host, port), timeout=10))
            p.wait_err(rb"(connection from .*\n.*){%d}" % (i + 1))
        cs[0].sendall(b"hello from a\n")
        for c in cs[1:]:
            assert c.recv(100) == b"hello from a\n"
        cs[2].sendall(b"from c\n")
        for c in cs[:2]:
            assert c.recv(100) == b"from c\n"
        for c in cs:
            c.close()
    finally:
        p.stop()


def test_telnet_refuses_every_option():
    IAC, DO, WILL, WONT, DONT = 255, 253, 251, 252, 254

    def handler(c):
        c.sendall(bytes([IAC, DO, 1, IAC, WILL, 3]) + b"login: " + bytes([IAC, IAC]))
        got = b""
        while len(got) < 6:
            got += c.recv(100)
        return got
    srv = TcpServer(handler)
    p = sockit_bg("connect", "--telnet", "127.0.0.1", str(srv.port))
    try:
        assert srv.join() == [bytes([IAC, WONT, 1, IAC, DONT, 3])]
        p.p.stdin.close()
        rc, out, err = p.finish()
        assert out == b"login: \xff" and rc == 0, err
    finally:
        p.stop()


# ---- real peers ----

@pytest.mark.skipif(not shutil.which("nc.openbsd"), reason="nc.openbsd missing")
def test_against_openbsd_nc_listener():
    p = subprocess.Popen(["nc.openbsd", "-l", "-N", "127.0.0.1", "0"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        # nc -l prints nothing: find its port through /proc/net/tcp.
        port = None
        for _ in range(500):
            port = _listening_port_of(p.pid)
            if port:
                break
            time.sleep(0.01)
        assert port, "nc did not listen"
        p.stdin.write(b"from nc")
        p.stdin.close()
        r = sockit("connect", "127.0.0.1", str(port), input=b"from sockit")
        assert (r.returncode, r.stdout) == (0, b"from nc"), r.stderr
        assert p.stdout.read() == b"from sockit"
    finally:
        p.kill()
        p.wait()


def _listening_port_of(pid):
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            parts = line.split()
            if parts[3] == "0A" and parts[9] in inodes:
                return int(parts[1].split(":")[1], 16)
    return None


@pytest.mark.skipif(not shutil.which("socat"), reason="socat missing")
def test_socat_client_against_listen():
    p = sockit_bg("listen", "127.0.0.1", "0")
    try:
        host, port = host_port(p.endpoint())
        p.p.stdin.write(b"to socat")
        p.p.stdin.close()
        r = subprocess.run(["socat", "-t", "5", "-", f"TCP:{host}:{port}"], input=b"to sockit",
                           capture_output=True, timeout=20)
        assert r.stdout == b"to socat"
        rc, out, err = p.finish()
        assert (rc, out) == (0, b"to sockit"), err
    finally:
        p.stop()


def test_source_address_and_port():
    sport = closed_port()
    srv = TcpServer(lambda c: c.getpeername())
    r = sockit("connect", "-s", "127.0.0.2", "-p", str(sport), "127.0.0.1", str(srv.port),
               input=b"")
    assert r.returncode == 0, r.stderr
    assert srv.join() == [("127.0.0.2", sport)]


def test_connect_dash_l_is_listen():
    p = sockit_bg("connect", "-l", "127.0.0.1", "0", stdin=subprocess.DEVNULL)
    try:
        host, port = host_port(p.endpoint())
        with socket.create_connection((host, port), timeout=10) as c:
            c.sendall(b"via -l")
        rc, out, err = p.finish()
        assert (rc, out) == (0, b"via -l"), err
    finally:
        p.stop()


def test_broker_max_conns_refuses_extra():
    p = sockit_bg("listen", "--broker", "--max-conns", "1", "127.0.0.1", "0",
                  stdin=subprocess.DEVNULL)
    try:
        host, port = host_port(p.endpoint())
        a = socket.create_connection((host, port), timeout=10)
        b = socket.create_connection((host, port), timeout=10)
        p.wait_err(rb"refused 127\.0\.0\.1:\d+ \(--max-conns 1\)")
        assert recv_all(b) == b""
        a.close()
        b.close()
    finally:
        p.stop()


def test_listen_wait_timeout_without_client():
    r = sockit("listen", "-w", "100ms", "127.0.0.1", "0")
    assert r.returncode == 1 and b"no client within 100 ms" in r.stderr


def test_idle_timeout_ends_a_quiet_session():
    def handler(c):
        c.settimeout(20)
        try:
            return recv_all(c)      # never answers; sockit's -w ends it
        except OSError:
            return None
    srv = TcpServer(handler)
    p = sockit_bg("connect", "-w", "300ms", "127.0.0.1", str(srv.port))
    try:
        rc, out, err = p.finish(timeout=20)     # stdin stays open, nobody talks
        assert rc == 0, err
    finally:
        p.stop()


def test_udp_connect_exits_after_quit_delay():
    s = udp_server()
    r = sockit("connect", "-u", "-q", "200ms", "127.0.0.1", str(s.getsockname()[1]),
               input=b"x\n")
    assert r.returncode == 0, r.stderr


# ---- listen -k --max-conns N: ncat's -k, side by side with ncat ----

def max_conns_scenario(args, port=None):
    """Run a listener (args; port None: it announces its port), two
    clients, a third beyond --max-conns 2, then a fourth once one left.
    Returns what each saw, to compare sockit with ncat."""
    p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    seen = {}
    try:
        err = read_until(p.stderr, b"istening")
        if port is None:
            port = host_port(re.search(rb"listening (\S+)", err).group(1).decode())[1]
        a = socket.create_connection(("127.0.0.1", port), timeout=10)
        b = socket.create_connection(("127.0.0.1", port), timeout=10)
        # Both accepted: sockit -v and ncat -v each name "from ADDR:PORT".
        for _ in range(20):
            if len(re.findall(rb"onnection from 127\.0\.0\.1:\d+", err)) >= 2:
                break
            err += read_until(p.stderr, b"onnection from", timeout=10)
        c = socket.create_connection(("127.0.0.1", port), timeout=10)
        c.settimeout(10)
        seen["third"] = c.recv(100)               # b"": accepted and closed
        p.stdin.write(b"to all\n")
        p.stdin.flush()
        seen["a"] = a.recv(100)
        seen["b"] = b.recv(100)
        a.sendall(b"from a\n")
        b.sendall(b"from b\n")
        out = read_until(p.stdout, b"from a\n")
        out += read_until(p.stdout, b"from b\n") if b"from b\n" not in out else b""
        seen["out"] = sorted(out.splitlines())
        a.close()                                 # a leaves: room for one more
        for _ in range(100):
            d = socket.create_connection(("127.0.0.1", port), timeout=10)
            d.settimeout(0.2)
            try:
                if d.recv(100) == b"":
                    d.close()
                    continue                      # refused: a not yet gone
            except socket.timeout:
                break                             # held open: accepted
        d.settimeout(10)
        p.stdin.write(b"second\n")
        p.stdin.flush()
        seen["d"] = d.recv(100)
        seen["b2"] = b.recv(100)
        for s in (b, c, d):
            s.close()
    finally:
        p.kill()
        p.wait()
    return seen


@pytest.mark.skipif(not shutil.which("ncat"), reason="ncat missing")
def test_listen_keep_max_conns_behaves_as_ncat():
    ours = max_conns_scenario([SOCKIT, "listen", "-k", "-v", "--max-conns", "2",
                               "127.0.0.1", "0"])
    port = closed_port()
    theirs = max_conns_scenario(["ncat", "-l", "-k", "-v", "--max-conns", "2",
                                 "127.0.0.1", str(port)], port)
    assert ours == theirs
    assert ours == {"third": b"", "a": b"to all\n", "b": b"to all\n",
                    "out": [b"from a", b"from b"], "d": b"second\n", "b2": b"second\n"}


def test_listen_keep_max_conns_exec_serves_clients_at_once():
    p = sockit_bg("listen", "-k", "--max-conns", "2", "--sh-exec", "read l; echo got $l",
                  "127.0.0.1", "0", stdin=subprocess.DEVNULL)
    try:
        host, port = host_port(p.endpoint())
        a = socket.create_connection((host, port), timeout=10)
        b = socket.create_connection((host, port), timeout=10)
        b.sendall(b"b first\n")                   # a's child waits meanwhile
        assert recv_all(b) == b"got b first\n"
        a.sendall(b"a second\n")
        assert recv_all(a) == b"got a second\n"
        a.close()
        b.close()
    finally:
        p.stop()


def test_listen_keep_max_conns_stdin_to_a_client_that_reset():
    """stdin's bytes meet a client that has just reset: the failed write
    closes (frees) that client in the middle of the loop over all of
    them, which must go on to the next one safely (under ASan a read of
    the freed client's link was a use-after-free).  The listener is
    stopped so that stdin's event comes before the reset's in one
    wakeup."""
    import signal
    p = sockit_bg("listen", "-k", "-v", "--max-conns", "3", "127.0.0.1", "0")
    try:
        host, port = host_port(p.endpoint())
        b = socket.create_connection((host, port), timeout=10)
        a = socket.create_connection((host, port), timeout=10)
        for _ in range(100):
            if len(re.findall(rb"connection from 127\.0\.0\.1:\d+", p.err)) >= 2:
                break
            time.sleep(0.02)
        os.kill(p.p.pid, signal.SIGSTOP)
        try:
            p.p.stdin.write(b"to all\n")
            p.p.stdin.flush()
            a.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            a.close()                           # RST
        finally:
            os.kill(p.p.pid, signal.SIGCONT)
        b.settimeout(10)
        got = b.recv(100)
        assert got == b"to all\n", p.err[-3000:]
        p.p.stdin.write(b"again\n")
        p.p.stdin.flush()
        assert b.recv(100) == b"again\n"
        assert p.p.poll() is None, p.err
        b.close()
        p.stop()
        p.t.join(timeout=5)
        assert b"Sanitizer" not in p.err, p.err
    finally:
        p.stop()


def test_listen_max_conns_usage():
    r = sockit("listen", "-u", "--max-conns", "2", "127.0.0.1", "0")
    assert r.returncode == 2 and b"--max-conns needs a stream endpoint" in r.stderr
    r = sockit("listen", "-k", "--tls", "--max-conns", "2", "127.0.0.1", "0")
    assert r.returncode == 2 and b"needs --exec" in r.stderr
