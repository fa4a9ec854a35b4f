"""sockit relay: many concurrent clients through one relay with every
stream intact, half-close passed both ways, unix <-> tcp, UDP <-> UDP
sessions, stdio, TLS termination and origination."""
import os
import selectors
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time

import pytest

from conftest import SOCKIT, sockit
from netcat_util import (Proc, TcpServer, closed_port, host_port, raise_nofile, read_until,
                         recv_all, sockit_bg)

# An echo server that honours half-close: at EOF it sends what is left,
# then closes.  Runs as its own process (its own descriptor budget).
ECHO = textwrap.dedent("""
    import resource, selectors, socket, sys
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    fam = socket.AF_UNIX if sys.argv[1] == "unix" else socket.AF_INET
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.bind(sys.argv[2] if fam == socket.AF_UNIX else ("127.0.0.1", 0))
    ls.listen(1024)
    ls.setblocking(False)
    print("listening", ls.getsockname() if fam == socket.AF_UNIX else ls.getsockname()[1], flush=True)
    sel = selectors.DefaultSelector()
    sel.register(ls, selectors.EVENT_READ, None)
    pend = {}
    while True:
        for key, ev in sel.select():
            if key.data is None:
                try:
                    c, _ = ls.accept()
                except BlockingIOError:
                    continue
                c.setblocking(False)
                pend[c] = [b"", False]
                sel.register(c, selectors.EVENT_READ, "c")
                continue
            c = key.fileobj
            st = pend[c]
            if ev & selectors.EVENT_READ and not st[1]:
                try:
                    d = c.recv(1 << 16)
                except ConnectionError:
                    d = b""
                if d:
                    st[0] += d
                else:
                    st[1] = True
            if st[0]:
                try:
                    n = c.send(st[0])
                    st[0] = st[0][n:]
                except BlockingIOError:
                    pass
                except ConnectionError:
                    st[0] = b""; st[1] = True
            if st[1] and not st[0]:
                sel.unregister(c); c.close(); del pend[c]
                continue
            sel.modify(c, (0 if st[1] else selectors.EVENT_READ) |
                       (selectors.EVENT_WRITE if st[0] else 0), "c")
""")


class Echo:
    def __init__(self, kind="tcp", path=""):
        self.p = subprocess.Popen([sys.executable, "-c", ECHO, kind, path],
                                  stdout=subprocess.PIPE)
        line = self.p.stdout.readline().split()
        self.port = int(line[1]) if kind == "tcp" else None

    def stop(self):
        self.p.kill()
        self.p.wait()


def many_clients(connect, n, size):
    """n concurrent clients: each sends its own bytes, half-closes, reads
    the echo to EOF.  Returns how many got exactly their bytes back."""
    sel = selectors.DefaultSelector()
    state = {}
    for i in range(n):
        s = connect()
        s.setblocking(False)
        data = os.urandom(size)
        state[s] = [data, 0, b""]
        sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)
    ok = 0
    import time
    deadline = time.monotonic() + 60
    while state and time.monotonic() < deadline:
        for key, ev in sel.select(timeout=1):
            s = key.fileobj
            st = state[s]
            if ev & selectors.EVENT_WRITE and st[1] < len(st[0]):
                try:
                    st[1] += s.send(st[0][st[1]:st[1] + 65536])
                except BlockingIOError:
                    pass
                if st[1] == len(st[0]):
                    s.shutdown(socket.SHUT_WR)
                    sel.modify(s, selectors.EVENT_READ)
            if ev & selectors.EVENT_READ:
                try:
                    d = s.recv(1 << 16)
                except BlockingIOError:
                    continue
                if d:
                    st[2] += d
                else:
                    ok += st[2] == st[0]
                    sel.unregister(s)
                    s.close()
                    del state[s]
    for s in state:
        s.close()
    return ok


def test_relay_500_concurrent_clients_intact():
    raise_nofile()
    echo = Echo()
    relay = sockit_bg("relay", "tcp://127.0.0.1:0", f"tcp://127.0.0.1:{echo.port}",
                      stdin=subprocess.DEVNULL)
    try:
        host, port = host_port(relay.endpoint())
        ok = many_clients(lambda: socket.create_connection((host, port), timeout=20), 500, 32768)
        assert ok == 500
    finally:
        relay.stop()
        echo.stop()
    assert relay.p.returncode == 0, relay.err


def test_relay_bulk_and_half_close_reply_after_eof():
    echo = Echo()
    relay = sockit_bg("relay", "tcp://127.0.0.1:0", f"tcp://127.0.0.1:{echo.port}",
                      stdin=subprocess.DEVNULL)
    try:
        host, port = host_port(relay.endpoint())
        data = os.urandom(64 << 20)
        with tempfile.NamedTemporaryFile() as f:
            f.write(data)
            f.flush()
            r = subprocess.run(["sh", "-c", f'exec "$0" connect {host} {port} < {f.name}',
                                relay.p.args[0]], capture_output=True, timeout=60)
        assert r.returncode == 0, r.stderr
        assert r.stdout == data
    finally:
        relay.stop()
        echo.stop()


def test_relay_unix_to_tcp_and_answer_after_eof():
    def handler(c):
        got = recv_all(c)
        c.sendall(b"after eof: " + got)
    srv = TcpServer(handler)
    with tempfile.TemporaryDirectory() as tmp:
        relay = sockit_bg("relay", f"unix:{tmp}/r.sock", f"tcp://127.0.0.1:{srv.port}",
                          stdin=subprocess.DEVNULL)
        try:
            relay.endpoint()
            with socket.socket(socket.AF_UNIX) as c:
                c.settimeout(10)
                c.connect(f"{tmp}/r.sock")
                c.sendall(b"ping")
                c.shutdown(socket.SHUT_WR)
                assert recv_all(c) == b"after eof: ping"
        finally:
            relay.stop()
        assert not os.path.exists(f"{tmp}/r.sock")
    srv.join()


def test_relay_udp_sessions_per_client():
    up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    up.bind(("127.0.0.1", 0))
    up.settimeout(10)
    relay = sockit_bg("relay", "--idle", "5s", "udp://127.0.0.1:0",
                      f"udp://127.0.0.1:{up.getsockname()[1]}", stdin=subprocess.DEVNULL)
    try:
        host, port = host_port(relay.endpoint())
        clients = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(3)]
        seen = set()
        for i, c in enumerate(clients):
            c.settimeout(10)
            c.sendto(b"from %d" % i, (host, port))
            data, addr = up.recvfrom(100)
            assert data == b"from %d" % i
            seen.add(addr)
            up.sendto(b"back to %d" % i, addr)
        assert len(seen) == 3           # one upstream socket per client
        for i, c in enumerate(clients):
            assert c.recv(100) == b"back to %d" % i
    finally:
        relay.stop()


def test_relay_stdio_side():
    echo = Echo()
    try:
        r = sockit("relay", "-", f"tcp://127.0.0.1:{echo.port}", input=b"via stdio")
        assert (r.returncode, r.stdout) == (0, b"via stdio"), r.stderr
    finally:
        echo.stop()


def test_relay_tls_in_with_openssl_client():
    def handler(c):
        line = b""
        while not line.endswith(b"\n"):
            line += c.recv(100)
        c.sendall(b"upstream got " + line)     # then closes: FIN -> close_notify
    srv = TcpServer(handler)
    relay = sockit_bg("relay", "--tls-in", "tcp://127.0.0.1:0", f"tcp://127.0.0.1:{srv.port}",
                      stdin=subprocess.DEVNULL)
    try:
        host, port = host_port(relay.endpoint())
        relay.wait_err(rb"SHA-256 fingerprint [0-9A-F:]{95}")
        r = subprocess.run(["openssl", "s_client", "-quiet", "-connect", f"{host}:{port}"],
                           input=b"through tls\n", capture_output=True, timeout=20)
        assert r.stdout == b"upstream got through tls\n", r.stderr
        srv.join()
    finally:
        relay.stop()


def test_relay_tls_out_to_tls_in():
    echo = Echo()
    inner = sockit_bg("relay", "--tls-in", "tcp://127.0.0.1:0", f"tcp://127.0.0.1:{echo.port}",
                      stdin=subprocess.DEVNULL)
    outer = None
    try:
        ihost, iport = host_port(inner.endpoint())
        # plain client -> relay --tls-out -> relay --tls-in -> echo
        outer = sockit_bg("relay", "--tls-out", "--insecure", "tcp://127.0.0.1:0",
                          f"tcp://{ihost}:{iport}", stdin=subprocess.DEVNULL)
        ohost, oport = host_port(outer.endpoint())
        data = os.urandom(1 << 20)
        r = sockit("connect", ohost, str(oport), input=data)
        assert r.returncode == 0 and r.stdout == data, r.stderr
    finally:
        inner.stop()
        if outer:
            outer.stop()
        echo.stop()


def test_relay_bad_usage():
    r = sockit("relay", "tcp://127.0.0.1:0")
    assert r.returncode == 2 and r.stderr.count(b"\n") == 1
    r = sockit("relay", "udp://127.0.0.1:0", "tcp://127.0.0.1:1")
    assert r.returncode == 2 and b"datagram" in r.stderr


def test_relay_udp_session_dropped_after_idle():
    up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    up.bind(("127.0.0.1", 0))
    up.settimeout(10)
    relay = sockit_bg("relay", "--idle", "100ms", "udp://127.0.0.1:0",
                      f"udp://127.0.0.1:{up.getsockname()[1]}", stdin=subprocess.DEVNULL)
    try:
        host, port = host_port(relay.endpoint())
        c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        c.sendto(b"first", (host, port))
        _, first = up.recvfrom(100)
        # Once the session idled out, the next datagram gets a new upstream
        # socket (a new source port).  Poll for that, bounded.
        for _ in range(50):
            threading.Event().wait(0.2)
            c.sendto(b"again", (host, port))
            _, addr = up.recvfrom(100)
            if addr != first:
                break
        assert addr != first
    finally:
        relay.stop()


# ---- setup deadline: TLS handshakes and the connect to EP2 ----

# The first bytes of a TLS ClientHello: a record header announcing 512
# bytes, then the handshake header.  A server waits for the rest.
PARTIAL_HELLO = bytes([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03])
# A 512-byte handshake record, of which a trickle sends a byte at a time:
# nothing can be parsed until it is complete, long after any deadline.
RECORD = bytes([0x16, 0x03, 0x03, 0x02, 0x00]) + bytes(512)


def closed_within(c, seconds):
    """Whether the relay closes c (EOF or reset) within seconds."""
    c.settimeout(seconds)
    try:
        return c.recv(100) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def test_relay_tls_in_drops_clients_stalled_in_the_handshake_and_serves_others():
    def handler(c):
        line = b""
        while not line.endswith(b"\n"):
            line += c.recv(100)
        c.sendall(b"upstream got " + line)
    srv = TcpServer(handler)
    relay = sockit_bg("relay", "-v", "--tls-in", "-w", "1s", "tcp://127.0.0.1:0",
                      f"tcp://127.0.0.1:{srv.port}", stdin=subprocess.DEVNULL)
    try:
        host, port = host_port(relay.endpoint())
        silent = socket.create_connection((host, port), timeout=10)
        partial = socket.create_connection((host, port), timeout=10)
        partial.sendall(PARTIAL_HELLO)
        # While those two hold their slots, a real client goes through.
        r = subprocess.run(["openssl", "s_client", "-quiet", "-connect", f"{host}:{port}"],
                           input=b"meanwhile\n", capture_output=True, timeout=20)
        assert r.stdout == b"upstream got meanwhile\n", r.stderr
        assert closed_within(silent, 15) and closed_within(partial, 15)
        relay.wait_err(rb"closed \(TLS handshake: timed out after 1s \(sockit's deadline\)")
        silent.close()
        partial.close()
        srv.join()
    finally:
        relay.stop()


def test_relay_tls_out_drops_a_client_whose_upstream_never_answers_the_hello():
    quiet = socket.socket()
    quiet.bind(("127.0.0.1", 0))
    quiet.listen(8)                 # accepts (the kernel does), never speaks
    relay = sockit_bg("relay", "-v", "--tls-out", "--insecure", "-w", "500ms",
                      "tcp://127.0.0.1:0", f"tcp://127.0.0.1:{quiet.getsockname()[1]}",
                      stdin=subprocess.DEVNULL)
    try:
        host, port = host_port(relay.endpoint())
        with socket.create_connection((host, port), timeout=10) as c:
            c.sendall(b"for a silent upstream")
            assert closed_within(c, 15)
        relay.wait_err(rb"TLS handshake with EP2: timed out after 500ms \(sockit's deadline\)")
    finally:
        relay.stop()
        quiet.close()


def trickle_server(step=0.2, total=10.0):
    """A TCP server that answers a TLS hello with one byte of a server
    hello every step seconds, for at most total seconds: it records
    whether the client hung up first."""
    def handler(c):
        c.settimeout(total)
        c.recv(4096)
        deadline = time.monotonic() + total
        for b in RECORD:
            if time.monotonic() > deadline:
                return "outlasted"
            try:
                c.sendall(bytes([b]))
            except OSError:
                return "client hung up"
            threading.Event().wait(step)
        return "outlasted"
    return TcpServer(handler)


def test_connect_tls_handshake_deadline_holds_against_a_trickling_server():
    srv = trickle_server()
    r = sockit("connect", "--tls", "--insecure", "-w", "1s", "127.0.0.1", str(srv.port),
               input=b"x")
    assert r.returncode == 1
    assert r.stderr == (b"sockit connect: TLS: handshake: timed out after 1s "
                        b"(sockit's deadline)\n")
    assert srv.join() == ["client hung up"]


def test_listen_tls_handshake_deadline_holds_against_a_trickling_client():
    p = sockit_bg("listen", "--tls", "-w", "1s", "127.0.0.1", "0")
    try:
        host, port = host_port(p.endpoint())
        c = socket.create_connection((host, port), timeout=10)
        deadline = time.monotonic() + 10
        outcome = "outlasted"
        for b in RECORD:
            if time.monotonic() > deadline:
                break
            if p.p.poll() is not None:
                outcome = "sockit gave up"
                break
            try:
                c.sendall(bytes([b]))
            except OSError:
                outcome = "sockit gave up"
                break
            threading.Event().wait(0.2)
        p.p.stdin.close()
        rc, _, err = p.finish()
        assert (outcome, rc) == ("sockit gave up", 1), err
        assert b"TLS: handshake: timed out after 1s (sockit's deadline)" in err, err
        c.close()
    finally:
        p.stop()


def test_listen_k_tls_serves_the_next_client_after_a_stalled_handshake():
    """listen -k is sequential over TLS too (OpenBSD nc's -k): a client
    that never says hello holds the listener until its handshake deadline
    (-w), then the listener says so, goes on, and the next client, which
    waited in the backlog, is served."""
    import ssl
    p = sockit_bg("listen", "-k", "--tls", "-w", "2s", "127.0.0.1", "0")
    try:
        host, port = host_port(p.endpoint())
        silent = socket.create_connection((host, port), timeout=10)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        raw = socket.create_connection((host, port), timeout=20)
        with ctx.wrap_socket(raw) as c:       # completes once silent is dropped
            c.sendall(b"after the stalled one\n")
            assert read_until(p.p.stdout, b"after the stalled one\n", 20)
        assert closed_within(silent, 5)
        p.wait_err(rb"TLS: handshake: timed out after 2s \(sockit's deadline\)")
        assert p.p.poll() is None, "listen -k exited"
        silent.close()
    finally:
        p.stop()


# ---- every option of connect/listen: works in relay, or exit 2 naming it ----

TWO = ["tcp://127.0.0.1:0", "tcp://127.0.0.1:9"]


@pytest.mark.parametrize("args,named", [
    (["-l", *TWO], b"-l"),
    (["-k", *TWO], b"-k"),
    (["-u", *TWO], b"-u"),
    (["-U", *TWO], b"-U"),
    (["-z", *TWO], b"-z"),
    (["-b", *TWO], b"-b"),
    (["-C", *TWO], b"-C"),
    (["--crlf", *TWO], b"-C"),
    (["-d", *TWO], b"--recv-only"),
    (["--recv-only", *TWO], b"--recv-only"),
    (["--send-only", *TWO], b"--send-only"),
    (["-N", *TWO], b"-N"),
    (["-n", *TWO], b"-n"),
    (["-s", "127.0.0.1", *TWO], b"-s"),
    (["-p", "5555", *TWO], b"-p"),
    (["-q", "1", *TWO], b"-q"),
    (["-x", "/tmp/sockit-relay-hex", *TWO], b"-x"),
    (["--hexdump", *TWO], b"--hexdump"),
    (["-e", "cat", *TWO], b"-e"),
    (["--sh-exec", "cat", *TWO], b"--sh-exec"),
    (["--lines", *TWO], b"--lines"),
    (["--no-lines", *TWO], b"--no-lines"),
    (["--broker", *TWO], b"--broker"),
    (["--telnet", *TWO], b"--telnet"),
    (["--proxy", "socks5://127.0.0.1:1", *TWO], b"--proxy"),
    (["--proxy-auth", "u:p", *TWO], b"--proxy-auth"),
    (["--tls", *TWO], b"--tls"),
    (["--tls-in", "-", "tcp://127.0.0.1:9"], b"--tls-in"),
    (["--tls-out", "tcp://127.0.0.1:0", "-"], b"--tls-out"),
    (["--tls-in", "udp://127.0.0.1:0", "udp://127.0.0.1:9"], b"TLS"),
    (["--ca", "/etc/hostname", *TWO], b"--ca"),
    (["--cert", "/etc/hostname", "--key", "/etc/hostname", *TWO], b"--cert"),
    (["--insecure", *TWO], b"--insecure"),
    (["--insecure", "--tls-in", *TWO], b"--insecure"),
    (["--max-conns", "2", "-", "tcp://127.0.0.1:9"], b"--max-conns"),
])
def test_relay_rejects_what_it_does_not_do(args, named):
    r = sockit("relay", *args)
    assert r.returncode == 2, r.stderr
    assert r.stderr.count(b"\n") == 1 and r.stderr.startswith(b"sockit relay: "), r.stderr
    assert named in r.stderr


@pytest.mark.parametrize("cmd,args,named", [
    ("connect", ["--idle", "1s"], b"--idle"),
    ("connect", ["--tls-in"], b"--tls-in"),
    ("connect", ["--tls-out"], b"--tls-out"),
    ("connect", ["--max-conns", "2"], b"--max-conns"),
    ("connect", ["--allow", "127.0.0.1"], b"--allow"),
    ("connect", ["--proxy-auth", "u:p"], b"--proxy-auth"),
    ("connect", ["--ca", "/etc/hostname"], b"--ca"),
    ("connect", ["--insecure"], b"--insecure"),
    ("listen", ["-s", "127.0.0.1"], b"-s"),
    ("listen", ["-p", "5555"], b"-p"),
    ("listen", ["--idle", "1s"], b"--idle"),
    ("listen", ["--insecure", "--tls"], b"--insecure"),
    ("listen", ["--proxy-auth", "u:p"], b"--proxy-auth"),
])
def test_connect_listen_reject_relay_options(cmd, args, named):
    r = sockit(cmd, *args, "127.0.0.1", "9")
    assert r.returncode == 2, r.stderr
    assert r.stderr.count(b"\n") == 1 and r.stderr.startswith(f"sockit {cmd}: ".encode())
    assert named in r.stderr


def test_relay_family_options_choose_ep2_addresses():
    echo = Echo()
    relay = sockit_bg("relay", "-4", "tcp://127.0.0.1:0", f"tcp://127.0.0.1:{echo.port}",
                      stdin=subprocess.DEVNULL)
    try:
        host, port = host_port(relay.endpoint())
        r = sockit("connect", host, str(port), input=b"over -4")
        assert (r.returncode, r.stdout) == (0, b"over -4"), r.stderr
    finally:
        relay.stop()
        echo.stop()
    r = sockit("relay", "-6", "tcp://127.0.0.1:0", f"tcp://127.0.0.1:{echo.port}")
    assert r.returncode == 1
    assert b"no address of that family (-6)" in r.stderr and r.stderr.count(b"\n") == 1


def test_relay_max_conns_refuses_the_client_beyond_it_and_serves_the_first():
    echo = Echo()
    relay = sockit_bg("relay", "--max-conns", "1", "tcp://127.0.0.1:0",
                      f"tcp://127.0.0.1:{echo.port}", stdin=subprocess.DEVNULL)
    try:
        host, port = host_port(relay.endpoint())
        a = socket.create_connection((host, port), timeout=10)
        a.sendall(b"first\n")
        assert a.recv(100) == b"first\n"
        b = socket.create_connection((host, port), timeout=10)
        relay.wait_err(rb"^sockit relay: refused 127\.0\.0\.1:\d+ \(--max-conns 1\)$")
        assert closed_within(b, 10)
        a.sendall(b"still here\n")
        assert a.recv(100) == b"still here\n"
        a.close()
        b.close()
    finally:
        relay.stop()
        echo.stop()


def test_relay_udp_max_conns_limits_client_addresses():
    up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    up.bind(("127.0.0.1", 0))
    up.settimeout(10)
    relay = sockit_bg("relay", "-v", "--max-conns", "1", "udp://127.0.0.1:0",
                      f"udp://127.0.0.1:{up.getsockname()[1]}", stdin=subprocess.DEVNULL)
    try:
        host, port = host_port(relay.endpoint())
        first, second = (socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2))
        first.sendto(b"one", (host, port))
        assert up.recvfrom(100)[0] == b"one"
        second.sendto(b"two", (host, port))
        relay.wait_err(rb"dropped a datagram: 1 sessions \(--max-conns\)")
        first.sendto(b"three", (host, port))      # the first one is still served
        assert up.recvfrom(100)[0] == b"three"
    finally:
        relay.stop()


def test_relay_stdio_idle_ends_a_quiet_session():
    quiet = socket.socket()
    quiet.bind(("127.0.0.1", 0))
    quiet.listen(1)
    p = sockit_bg("relay", "--idle", "300ms", "-", f"tcp://127.0.0.1:{quiet.getsockname()[1]}")
    try:
        rc, out, err = p.finish(timeout=20)     # stdin stays open: only --idle ends it
        assert (rc, out) == (0, b""), err
    finally:
        p.stop()
        quiet.close()


def test_relay_keeps_its_stdin_when_ep2_refuses():
    """A client whose upstream connect fails is freed before its pumps
    exist: freeing them must not close descriptor 0 (twice)."""
    port = closed_port()
    relay = sockit_bg("relay", "tcp://127.0.0.1:0", f"tcp://127.0.0.1:{port}")
    try:
        host, lport = host_port(relay.endpoint())
        for _ in range(2):
            with socket.create_connection((host, lport), timeout=10) as c:
                assert closed_within(c, 15)
        relay.wait_err(rb"(?s)Connection refused.*Connection refused")
        assert os.readlink(f"/proc/{relay.p.pid}/fd/0").startswith("pipe:")
    finally:
        relay.stop()


class SplitServer:
    """EP2 for the TLS fairness test: a connection whose first byte is
    NUL is discarded as fast as it comes (counted in self.discarded),
    any other is echoed.  A thread per connection."""

    def __init__(self):
        self.s = socket.socket()
        self.s.bind(("127.0.0.1", 0))
        self.s.listen(16)
        self.port = self.s.getsockname()[1]
        self.discarded = 0
        self.stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stop:
            try:
                c, _ = self.s.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        buf = bytearray(1 << 20)
        with c:
            first = c.recv(1)
            if first == b"\0":
                while not self.stop and (n := c.recv_into(buf)) > 0:
                    self.discarded += n
                return
            if first:
                c.sendall(first)
            while not self.stop and (d := c.recv(4096)):
                c.sendall(d)

    def close(self):
        self.stop = True
        self.s.close()


def test_relay_tls_sender_at_full_speed_does_not_hold_the_loop():
    """A client pouring TLS bytes as fast as it can (sockit connect --tls
    < /dev/zero) gets a budget per wakeup like a plain one.  The relay
    shares one CPU with the sender at nice 19, so the sender always
    refills the socket before the relay drains it: a loop that read a TLS
    source until it would block never came back.  Meanwhile a second TLS
    client's handshake and echoes go through, and the flood goes on (the
    bytes OpenSSL holds decrypted are not stuck waiting for poll, nor
    lost)."""
    import ssl
    ep2 = SplitServer()
    pin = ["taskset", "-c", "0"]
    relay = Proc([*pin, "nice", "-n", "19", SOCKIT, "relay", "--tls-in", "tcp://127.0.0.1:0",
                  f"tcp://127.0.0.1:{ep2.port}"], stdin=subprocess.DEVNULL)
    flood = None
    try:
        host, port = host_port(relay.endpoint())
        with open("/dev/zero", "rb") as zero:
            flood = subprocess.Popen([*pin, SOCKIT, "connect", "--tls", "--insecure", host,
                                      str(port)], stdin=zero, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        assert wait_for(lambda: ep2.discarded >= (4 << 20), 30), "the flood did not start"
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        raw = socket.create_connection((host, port), timeout=30)
        with ctx.wrap_socket(raw) as c:
            for i in range(10):
                msg = b"ping %d\n" % i
                c.sendall(msg)
                got = b""
                while len(got) < len(msg):
                    d = c.recv(100)
                    assert d, "relay closed the second client"
                    got += d
                assert got == msg
        # A TLS source stopped at its budget loses nothing: 2 MiB through
        # the second client's pumps (each stops at 256 KiB) come back whole.
        data = os.urandom(2 << 20)
        r = subprocess.run([SOCKIT, "connect", "--tls", "--insecure", host, str(port)],
                           input=data, capture_output=True, timeout=120)
        assert r.returncode == 0 and r.stdout == data, (len(r.stdout), r.stderr)
        assert flood.poll() is None, "the flood stopped"
        before = ep2.discarded
        assert wait_for(lambda: ep2.discarded >= before + (4 << 20), 30), "the flood stalled"
    finally:
        if flood:
            flood.kill()
            flood.wait()
        relay.stop()
        ep2.close()


def wait_for(cond, seconds):
    """Whether cond() comes true within seconds (polled)."""
    deadline = time.monotonic() + seconds
    while not cond():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True
