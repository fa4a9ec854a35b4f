"""sockit serve echo and sockit echo, end to end, over every transport."""
import re
import hashlib
import os
import resource
import selectors
import socket
import subprocess
import threading
import time

import pytest

from conftest import SOCKIT, SANITIZED, run, sockit

TRANSPORTS = [
    "tcp://127.0.0.1:0",
    "tcp://[::1]:0",
    "udp://127.0.0.1:0",
    "udp://[::1]:0",
]


@pytest.mark.parametrize("ep", TRANSPORTS)
def test_echo_client_over_inet(server, ep):
    s = server(SOCKIT, "serve", "--threads", "2", "echo", ep)
    bound = s.endpoints[0][0]
    r = sockit("echo", bound, "Hello, world")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"Hello, world"


@pytest.mark.parametrize("scheme", ["unix", "unixgram"])
def test_echo_client_over_unix(server, tmp_path, scheme):
    ep = f"{scheme}:{tmp_path}/echo.sock"
    s = server(SOCKIT, "serve", "echo", ep)
    assert s.endpoints == [(ep, "echo")]
    r = sockit("echo", ep, "over unix")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"over unix"


def test_abstract_unix_socket(server):
    ep = f"unix:@sockit-test-{os.getpid()}"
    server(SOCKIT, "serve", "echo", ep)
    assert sockit("echo", ep, "abstract").stdout == b"abstract"


def test_stale_unix_socket_replaced_live_one_kept(server, tmp_path):
    path = tmp_path / "stale.sock"
    dead = socket.socket(socket.AF_UNIX)
    dead.bind(str(path))
    dead.close()                       # a file nobody listens on
    s = server(SOCKIT, "serve", "echo", f"unix:{path}")
    assert sockit("echo", f"unix:{path}", "x").stdout == b"x"
    # A second server must not steal the live socket.
    r = run([SOCKIT, "serve", "echo", f"unix:{path}"], timeout=10)
    assert r.returncode == 1
    assert b"Address already in use" in r.stderr
    assert sockit("echo", f"unix:{path}", "still").stdout == b"still"
    s.stop()
    assert not path.exists()           # removed on clean shutdown


def test_64_mib_payload_intact(server, tmp_path):
    s = server(SOCKIT, "serve", "echo", "tcp://127.0.0.1:0")
    payload = os.urandom(64 << 20)
    src = tmp_path / "in.bin"
    src.write_bytes(payload)
    with open(src, "rb") as f:
        r = subprocess.run([SOCKIT, "echo", s.endpoint()], stdin=f,
                           capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert len(r.stdout) == len(payload)
    assert hashlib.sha256(r.stdout).digest() == hashlib.sha256(payload).digest()


def raise_nofile(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(n, hard), hard))


def test_1000_concurrent_clients(server):
    raise_nofile(4096)
    s = server(SOCKIT, "serve", "--quiet", "echo", "tcp://127.0.0.1:0")
    host, port = s.hostport()
    sel = selectors.DefaultSelector()
    socks = []
    for i in range(1000):
        c = socket.create_connection((host, port), timeout=10)
        socks.append(c)
    for i, c in enumerate(socks):
        c.sendall(b"client %04d\n" % i)
    for i, c in enumerate(socks):
        c.setblocking(False)
        sel.register(c, selectors.EVENT_READ, (i, bytearray()))
    done = 0
    deadline = time.monotonic() + 30
    while done < 1000 and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=1):
            i, buf = key.data
            buf += key.fileobj.recv(100)
            if len(buf) == 12:
                assert bytes(buf) == b"client %04d\n" % i
                sel.unregister(key.fileobj)
                done += 1
    assert done == 1000
    for c in socks:
        c.close()


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_client_that_never_reads_is_bounded(server):
    s = server(SOCKIT, "serve", "--threads", "1", "echo", "tcp://127.0.0.1:0")
    host, port = s.hostport()
    hog = socket.create_connection((host, port))
    hog.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    hog.setblocking(False)
    before = rss_kib(s.proc.pid)
    chunk = b"x" * 65536
    pushed = 0
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and pushed < (256 << 20):
        try:
            pushed += hog.send(chunk)
        except BlockingIOError:
            time.sleep(0.01)   # the server has stopped reading us: good
    # The server stopped reading long before 256 MiB were pushed...
    assert pushed < (32 << 20), pushed
    # ...its memory stayed bounded...
    assert rss_kib(s.proc.pid) - before < 16 * 1024
    # ...and everybody else is still served.
    for i in range(20):
        r = sockit("echo", s.endpoint(), f"other {i}")
        assert r.stdout == f"other {i}".encode()
    hog.close()


def test_idle_timeout_closes_silent_client(server):
    s = server(SOCKIT, "serve", "--idle-timeout", "0.3", "echo", "tcp://127.0.0.1:0")
    c = socket.create_connection(s.hostport(), timeout=10)
    t0 = time.monotonic()
    assert c.recv(10) == b""           # closed by the server, not by us
    assert time.monotonic() - t0 < 9
    c.close()
    err = s.stop()
    assert "idle timeout" in err


def test_tutorial_python_client(server):
    """The tutorial's client: sendall, then one recv(1024)."""
    s = server(SOCKIT, "serve", "echo", "tcp://127.0.0.1:0")
    host, port = s.hostport()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as c:
        c.connect((host, port))
        c.sendall(b"Hello, world")
        data = c.recv(1024)
    assert data == b"Hello, world"


def test_tutorial_udp_client(server):
    s = server(SOCKIT, "serve", "echo", "udp://127.0.0.1:0")
    host, port = s.hostport("udp://")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as c:
        c.settimeout(5)
        c.sendto(b"Hello, UDP", (host, port))
        data, addr = c.recvfrom(1024)
    assert data == b"Hello, UDP"
    assert addr == (host, port)


def test_udp_reply_never_larger_and_queue_drained(server):
    """A burst of datagrams is answered in full (the queue is drained), each
    reply exactly as large as its request."""
    s = server(SOCKIT, "serve", "--threads", "1", "echo", "udp://127.0.0.1:0")
    host, port = s.hostport("udp://")
    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    c.settimeout(5)
    # Bursts small enough for the kernel's socket buffers on both sides, so
    # a missing reply can only be the server's doing.
    for burst in range(10):
        sizes = [1 + (burst * 20 + i) * 37 % 1400 for i in range(20)]
        for i, n in enumerate(sizes):
            c.sendto(bytes([i]) * n, (host, port))
        got = set()
        try:
            while len(got) < len(sizes):
                data, _ = c.recvfrom(65536)
                got.add((data[0], len(data)))
        except socket.timeout:
            pass
        assert got == {(i, n) for i, n in enumerate(sizes)}
    c.close()


class NeverClosingServer:
    """The tutorial's echo server: echoes, never closes the connection."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.conns = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        self.conns.append(conn)
        while True:
            data = conn.recv(1024)
            if not data:
                break
            conn.sendall(data)

    def close(self):
        for c in self.conns:
            c.close()
        self.sock.close()


def test_sockit_echo_returns_promptly_without_server_close():
    srv = NeverClosingServer()
    try:
        t0 = time.monotonic()
        r = sockit("echo", f"127.0.0.1:{srv.port}", "Hello, world", timeout=10)
        assert r.returncode == 0, r.stderr
        assert r.stdout == b"Hello, world"
        assert time.monotonic() - t0 < 4   # well before its 5 s timeout
    finally:
        srv.close()


def test_echo_count_prints_rtts(server):
    s = server(SOCKIT, "serve", "echo", "tcp://127.0.0.1:0")
    r = sockit("echo", "--count", "5", s.endpoint(), "ping")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.decode().splitlines()
    assert sum("seq=" in l for l in lines) == 5
    assert "5 sent, 5 received, 0 wrong" in lines[-1]
    j = sockit("echo", "--count", "3", "--json", s.endpoint(), "ping")
    import json
    # JSON Lines: one record per reply, the summary last.
    doc = json.loads(j.stdout.splitlines()[-1])
    assert doc["sent"] == 3 and doc["received"] == 3 and doc["wrong"] == 0


def test_connect_refused_is_exit_1():
    # Port 1 on loopback inside a private namespace: nobody listens there.
    r = run(["unshare", "-n", "sh", "-c",
             f"ip link set lo up; exec {SOCKIT} echo tcp://127.0.0.1:1 hi"])
    if r.returncode != 1 and b"unshare" in r.stderr:
        pytest.skip("cannot create a network namespace here")
    assert r.returncode == 1
    assert r.stderr == b"sockit: connect 127.0.0.1:1: Connection refused\n"


@pytest.mark.parametrize("args,names", [
    (["echo", "tcp://127.0.0.1:99999", "x"], b"99999"),
    (["echo", "tcp://::1:80", "x"], b"brackets"),
    (["echo", "bogus://x:1", "x"], b"unknown scheme"),
    (["echo", "--count", "0", "127.0.0.1:7", "x"], b"'--count': '0'"),
    (["echo", "--nope"], b"--nope"),
    (["echo", "-t"], b"needs a value"),
    (["echo", "a", "b", "c"], b"too many"),
    (["serve", "echo", "tcp://127.0.0.1:http-nope"], b"http-nope"),
    (["serve", "nosuchservice"], b"nosuchservice"),
    (["serve", "--threads", "0"], b"threads '0'"),
    (["serve", "--idle-timeout", "soon"], b"soon"),
    (["nosuchcommand"], b"nosuchcommand"),
])
def test_bad_usage_exits_2_with_one_line(args, names):
    r = sockit(*args)
    assert r.returncode == 2, (args, r)
    # One line, "sockit: ..." or (usage errors, DESIGN.md) "sockit SUB: ...".
    assert r.stderr.count(b"\n") == 1 and re.match(rb"sockit( [a-z]+)?: ", r.stderr)
    assert names in r.stderr


def test_help_is_exit_0():
    for cmd in (["--help"], ["serve", "--help"], ["echo", "--help"]):
        r = sockit(*cmd)
        assert r.returncode == 0 and b"usage:" in r.stdout


def test_sigint_and_sigterm_stop_cleanly(server):
    import signal
    for sig in (signal.SIGINT, signal.SIGTERM):
        s = server(SOCKIT, "serve", "--threads", "2", "echo", "tcp://127.0.0.1:0")
        c = socket.create_connection(s.hostport())
        c.sendall(b"accepted?")
        assert c.recv(100) == b"accepted?"
        s.proc.send_signal(sig)
        assert s.proc.wait(10) == 0
        assert c.recv(10) == b""     # its connection was closed, not left
        c.close()
