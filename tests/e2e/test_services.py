"""End-to-end tests of the classic services and their clients.

Each service runs under `sockit serve SERVICE ENDPOINT...` on port 0; the
tests talk to it with sockit's own clients and with Python clients written
like the tutorial's (recv_until one byte at a time, one request per
connection).  Loopback only.
"""
import os
import re
import socket
import time

import pytest

from conftest import SOCKIT, sockit

CTIME = re.compile(rb"^[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d \d{4}\r\n$")


def have_ipv6():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


V6 = have_ipv6()
FAMILIES = ["127.0.0.1", pytest.param("[::1]", marks=pytest.mark.skipif(
    not V6, reason="no IPv6 loopback"))]


def start(server, tmp_path, *args, count=1):
    """Start `sockit serve ARGS`; its log goes to a file (read with log())."""
    logf = open(tmp_path / "server.log", "wb")
    srv = server(SOCKIT, "serve", *args, count=count, stderr=logf)
    logf.close()
    srv.logpath = tmp_path / "server.log"
    return srv


def log(srv):
    return srv.logpath.read_text(errors="replace")


def addr(ep):
    """('127.0.0.1', port) / ('::1', port) and the family of an endpoint."""
    rest = ep.split("://", 1)[1]
    host, port = rest.rsplit(":", 1)
    host = host.strip("[]")
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    return fam, (host, int(port))


def tcp(ep, timeout=10):
    fam, a = addr(ep)
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(a)
    return s


def udp_query(ep, payload, timeout=5):
    fam, a = addr(ep)
    with socket.socket(fam, socket.SOCK_DGRAM) as u:
        u.settimeout(timeout)
        u.sendto(payload, a)
        return u.recvfrom(65536)[0]


def udp_no_reply(ep, payload, wait=0.3):
    """True when nothing comes back within wait seconds."""
    fam, a = addr(ep)
    with socket.socket(fam, socket.SOCK_DGRAM) as u:
        u.settimeout(wait)
        u.sendto(payload, a)
        try:
            u.recvfrom(65536)
        except socket.timeout:
            return True
        return False


def recv_until(sock, delim=b"."):
    """The tutorial's recv_until: one byte per recv until the delimiter."""
    data = b""
    while not data.endswith(delim):
        b = sock.recv(1)
        if not b:
            break
        data += b
    return data


def recv_all(sock):
    data = b""
    while True:
        b = sock.recv(65536)
        if not b:
            return data
        data += b


def shift(text, n):
    out = []
    for ch in text:
        if "a" <= ch <= "z":
            ch = chr((ord(ch) - 97 + n) % 26 + 97)
        elif "A" <= ch <= "Z":
            ch = chr((ord(ch) - 65 + n) % 26 + 65)
        out.append(ch)
    return "".join(out)


# ---------------------------------------------------------------- caesar

@pytest.mark.parametrize("host", FAMILIES)
def test_caesar_sockit_client(server, tmp_path, host):
    srv = start(server, tmp_path, "caesar", f"tcp://{host}:0")
    ep = srv.endpoint("tcp://")
    r = sockit("caesar", ep, "encrypt", "10", "isi pesan")
    assert (r.returncode, r.stdout, r.stderr) == (0, b"scs zockx\n", b"")
    r = sockit("caesar", ep, "decrypt", "10", "scs", "zockx")
    assert (r.returncode, r.stdout) == (0, b"isi pesan\n")
    r = sockit("caesar", ep, "e", "5", "")
    assert (r.returncode, r.stdout) == (0, b"\n")
    r = sockit("caesar", ep, "--json", "e", "-1", "Abc, xyz!")
    assert r.returncode == 0
    assert b'"result": "Zab, wxy!"' in r.stdout


@pytest.mark.parametrize("host", FAMILIES)
def test_caesar_tutorial_client(server, tmp_path, host):
    """The tutorial's exchange, one request per connection."""
    srv = start(server, tmp_path, "caesar", f"tcp://{host}:0")
    ep = srv.endpoint("tcp://")
    with tcp(ep) as s:
        s.sendall(b"e10isi pesan.")
        reply = recv_until(s)
    assert reply == b"scs zockx."
    with tcp(ep) as s:
        s.sendall(b"d10" + reply)
        assert recv_until(s) == b"isi pesan."


def test_caesar_pipelined_100(server, tmp_path):
    srv = start(server, tmp_path, "caesar", "tcp://127.0.0.1:0")
    msgs = [f"Message number {i}, with CAPS and digits {i * 7}" for i in range(100)]
    req = b"".join(b"e%02d%s." % (i % 100, m.encode()) for i, m in enumerate(msgs))
    want = b"".join(shift(m, i % 26).encode() + b"." for i, m in enumerate(msgs))
    with tcp(srv.endpoint()) as s:
        s.sendall(req)
        got = b""
        while len(got) < len(want):
            chunk = s.recv(65536)
            assert chunk, "server closed early"
            got += chunk
        assert got == want
        s.sendall(b"d01b.")           # the connection still serves
        assert recv_until(s) == b"a."


def test_caesar_half_close_gets_every_reply(server, tmp_path):
    """A client that sends everything then half-closes (nc -N) still gets
    every reply before the server closes."""
    srv = start(server, tmp_path, "caesar", "tcp://127.0.0.1:0")
    with tcp(srv.endpoint()) as s:
        s.sendall(b"e01abc." * 50000)
        s.shutdown(socket.SHUT_WR)
        assert recv_all(s) == b"bcd." * 50000


def test_caesar_trickled(server, tmp_path):
    srv = start(server, tmp_path, "caesar", "tcp://127.0.0.1:0")
    with tcp(srv.endpoint()) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for b in b"e03Trickle, one byte per write.":
            s.sendall(bytes([b]))
        assert recv_until(s) == b"Wulfnoh, rqh ebwh shu zulwh."


@pytest.mark.parametrize("request_, why", [
    (b"x01abc.", b"error: request must start with e or d."),
    (b"E01abc.", b"error: request must start with e or d."),
    (b"e1xabc.", b"error: shift must be two digits."),
    (b"e.", b"error: shift must be two digits."),
])
def test_caesar_bad_request_then_keeps_serving(server, tmp_path, request_, why):
    srv = start(server, tmp_path, "caesar", "tcp://127.0.0.1:0")
    with tcp(srv.endpoint()) as bystander:
        bystander.sendall(b"e01ab")        # a request in progress elsewhere
        with tcp(srv.endpoint()) as s:
            s.sendall(request_)
            assert recv_until(s) == why
            assert recv_all(s) == b""      # then the server closes
        bystander.sendall(b"c.")
        assert recv_until(bystander) == b"bcd."
    with tcp(srv.endpoint()) as s:
        s.sendall(b"e01abc.")
        assert recv_until(s) == b"bcd."


def test_caesar_too_long(server, tmp_path):
    srv = start(server, tmp_path, "--max-request", "10", "caesar", "tcp://127.0.0.1:0")
    ep = srv.endpoint()
    with tcp(ep) as s:
        s.sendall(b"e01" + b"a" * 20 + b".")
        data = recv_all(s)
    assert data.endswith(b"error: message longer than 10 bytes.")
    r = sockit("caesar", ep, "e", "1", "x" * 20)
    assert r.returncode == 1
    assert r.stdout == b""
    assert b"error: message longer than 10 bytes." in r.stderr
    r = sockit("caesar", ep, "e", "1", "x" * 10)
    assert (r.returncode, r.stdout) == (0, b"y" * 10 + b"\n")


def test_caesar_client_rejects_dot(server, tmp_path):
    r = sockit("caesar", "tcp://127.0.0.1:1", "encrypt", "3", "a.b")
    assert r.returncode == 2
    assert b"'.'" in r.stderr and r.stdout == b""
    assert b"\n" == r.stderr[-1:] and r.stderr.count(b"\n") == 1
    h = sockit("caesar", "--help")
    assert h.returncode == 0 and b"cannot contain '.'" in h.stdout


def test_caesar_stdin_lines(server, tmp_path):
    srv = start(server, tmp_path, "caesar", "tcp://127.0.0.1:0")
    lines = [f"line {i} The Quick Brown Fox" * (1 + i % 5) for i in range(2000)]
    lines[7] = ""
    data = ("\n".join(lines) + "\n").encode()
    r = sockit("caesar", srv.endpoint(), "encrypt", "29", "-", input=data)
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().split("\n")[:-1] == [shift(x, 3) for x in lines]
    r = sockit("caesar", srv.endpoint(), "d", "3", "-", input=b"Dd\r\nee")
    assert (r.returncode, r.stdout) == (0, b"Aa\nbb\n")
    r = sockit("caesar", srv.endpoint(), "d", "3", "-", input=b"ok\nnot.ok\nlater\n")
    assert r.returncode == 2
    assert b"line 2" in r.stderr
    assert r.stdout == b"lh\n"          # the lines before it were answered


# ---------------------------------------------------------------- greet

@pytest.mark.parametrize("host", FAMILIES)
def test_greet_sockit_client(server, tmp_path, host):
    srv = start(server, tmp_path, "greet", f"tcp://{host}:0")
    r = sockit("greet", srv.endpoint(), "--reply", "hello from the test")
    assert (r.returncode, r.stdout) == (0, b"Thank you for connecting\n")
    # The client waits for the server to close, so the log line is there.
    assert 'replied "hello from the test"' in log(srv)


def test_greet_tutorial_client_and_banner(server, tmp_path):
    srv = start(server, tmp_path, "--banner", "Selamat datang", "greet",
                "tcp://127.0.0.1:0")
    with tcp(srv.endpoint()) as s:
        assert s.recv(1024) == b"Selamat datang\n"
        s.sendall(b"Terima kasih\n\x01")
        s.shutdown(socket.SHUT_WR)
        assert recv_all(s) == b""
    assert 'replied "Terima kasih\\n\\x01"' in log(srv)
    r = sockit("greet", srv.endpoint(), "--json")
    assert r.stdout == (b'{"endpoint": "' + srv.endpoint().encode() +
                        b'", "greeting": "Selamat datang", "reply": null}\n')


def test_greet_unix(server, tmp_path):
    path = str(tmp_path / "greet.sock")
    srv = start(server, tmp_path, "greet", f"unix:{path}")
    r = sockit("greet", f"unix:{path}", "--reply", "over unix")
    assert (r.returncode, r.stdout) == (0, b"Thank you for connecting\n")
    assert 'replied "over unix"' in log(srv)


def test_greet_many_at_once_and_timeout(server, tmp_path):
    """Silent clients do not block others; each is closed after the read
    timeout with what it sent logged."""
    srv = start(server, tmp_path, "--read-timeout", "1", "greet", "tcp://127.0.0.1:0")
    silent = [tcp(srv.endpoint()) for _ in range(5)]
    try:
        for i, s in enumerate(silent):
            assert s.recv(1024) == b"Thank you for connecting\n"
            s.sendall(b"partial %d" % i)
        r = sockit("greet", srv.endpoint(), "--reply", "not blocked")
        assert r.returncode == 0
        for s in silent:
            assert recv_all(s) == b""          # closed by the timeout
    finally:
        for s in silent:
            s.close()
    text = log(srv)
    assert 'replied "not blocked" (client closed)' in text
    assert 'replied "partial 3" (timeout)' in text


# ---------------------------------------------------------------- daytime, time, qotd

def serve_tcp_udp(server, tmp_path, name, host, *opts):
    srv = start(server, tmp_path, *opts, name, f"tcp://{host}:0", f"udp://{host}:0",
                count=2)
    return srv, srv.endpoint("tcp://"), srv.endpoint("udp://")


@pytest.mark.parametrize("host", FAMILIES)
def test_daytime(server, tmp_path, host):
    srv, t, u = serve_tcp_udp(server, tmp_path, "daytime", host)
    year = time.gmtime().tm_year
    with tcp(t) as s:
        line = recv_all(s)
    assert CTIME.match(line), line
    assert any(str(y).encode() in line for y in (year - 1, year, year + 1))
    assert CTIME.match(udp_query(u, b""))
    for ep in (t, u):
        r = sockit("daytime", ep)
        assert r.returncode == 0
        assert CTIME.match(r.stdout.replace(b"\n", b"\r\n")), r.stdout


def rfc868(data):
    assert len(data) == 4
    return int.from_bytes(data, "big") - 2208988800


@pytest.mark.parametrize("host", FAMILIES)
def test_time(server, tmp_path, host):
    srv, t, u = serve_tcp_udp(server, tmp_path, "time", host)
    with tcp(t) as s:
        assert abs(rfc868(recv_all(s)) - time.time()) < 60
    assert abs(rfc868(udp_query(u, b"")) - time.time()) < 60
    for ep in (t, u):
        r = sockit("time", "--json", ep)
        assert r.returncode == 0
        m = re.search(rb'"unix": (\d+), "utc": "(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"', r.stdout)
        assert m and abs(int(m.group(1)) - time.time()) < 60
        assert m.group(2).decode() == time.strftime(
            "%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(m.group(1))))
        r = sockit("time", ep)
        assert re.fullmatch(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n", r.stdout)


@pytest.mark.parametrize("host", FAMILIES)
def test_qotd_builtin(server, tmp_path, host):
    srv, t, u = serve_tcp_udp(server, tmp_path, "qotd", host)
    seen = set()
    for _ in range(3):
        with tcp(t) as s:
            q = recv_all(s)
        assert 0 < len(q) < 512 and q.endswith(b"\r\n")
        seen.add(q)
    assert len(seen) == 3                      # it rotates
    q = udp_query(u, b"")
    assert 0 < len(q) < 512 and q.endswith(b"\r\n")
    for ep in (t, u):
        r = sockit("qotd", ep)
        assert r.returncode == 0 and len(r.stdout) > 10


def test_qotd_file(server, tmp_path):
    f = tmp_path / "quotes.txt"
    f.write_text("Two lines\n  -- first\n%\nSecond quote\n")
    srv, t, u = serve_tcp_udp(server, tmp_path, "qotd", "127.0.0.1", "--quotes", str(f))
    got = {sockit("qotd", t).stdout, sockit("qotd", u).stdout}
    assert got == {b"Two lines\n  -- first\n", b"Second quote\n"}
    r = sockit("qotd", "--json", t)
    assert r.stdout.startswith(b'{"endpoint": ') and b'"quote": "' in r.stdout


def test_qotd_bad_file_refused(tmp_path):
    f = tmp_path / "long.txt"
    f.write_text("short\n%\n" + "x" * 600 + "\n")
    r = sockit("serve", "--quotes", str(f), "qotd", "tcp://127.0.0.1:0", timeout=10)
    assert r.returncode != 0
    assert b"long.txt:3: quote longer than 511 bytes" in r.stderr


# ---------------------------------------------------------------- discard, chargen, echo

@pytest.mark.parametrize("host", FAMILIES)
def test_discard(server, tmp_path, host):
    srv, t, u = serve_tcp_udp(server, tmp_path, "discard", host)
    with tcp(t) as s:
        s.sendall(b"x" * 200000)
        s.shutdown(socket.SHUT_WR)
        assert recv_all(s) == b""
    assert udp_no_reply(u, b"anything")


def chargen_ref(n):
    out = bytearray()
    line = 0
    while len(out) < n:
        out += bytes(32 + (line + c) % 95 for c in range(72)) + b"\r\n"
        line += 1
    return bytes(out[:n])


@pytest.mark.parametrize("host", FAMILIES)
def test_chargen_tcp(server, tmp_path, host):
    srv = start(server, tmp_path, "chargen", f"tcp://{host}:0")
    want = chargen_ref(3 * 7030 + 100)
    with tcp(srv.endpoint()) as s:
        got = b""
        while len(got) < len(want):
            chunk = s.recv(65536)
            assert chunk
            got += chunk
    assert got[:len(want)] == want


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        return [int(l.split()[1]) for l in f if l.startswith("VmRSS")][0]


def test_chargen_slow_reader_bounded(server, tmp_path):
    """A client that stops reading: the server stops generating for it when
    its socket is full (memory stays flat) and still serves others."""
    srv = start(server, tmp_path, "chargen", "tcp://127.0.0.1:0")
    with tcp(srv.endpoint()) as s:
        assert recv_until(s, b"\r\n") == chargen_ref(74)
    before = rss_kb(srv.proc.pid)
    stalled = [tcp(srv.endpoint()) for _ in range(4)]
    try:
        with tcp(srv.endpoint()) as s:      # meanwhile, 32 MB for another client
            got = 0
            while got < 32 << 20:
                chunk = s.recv(1 << 20)
                assert chunk
                got += len(chunk)
        growth = rss_kb(srv.proc.pid) - before
        assert growth < 8 * 1024
    finally:
        for s in stalled:
            s.close()


@pytest.mark.parametrize("host", FAMILIES)
def test_chargen_udp_bounded(server, tmp_path, host):
    srv = start(server, tmp_path, "--udp", "chargen", f"udp://{host}:0")
    u = srv.endpoint("udp://")
    for n in (1, 10, 74, 511, 512, 600, 1400):
        reply = udp_query(u, b"q" * n)
        assert len(reply) == min(n, 512)
        assert reply == chargen_ref(len(reply))


def test_chargen_udp_off_by_default(server, tmp_path):
    try:
        srv = start(server, tmp_path, "chargen", "udp://127.0.0.1:0")
    except RuntimeError:
        return                               # refusing to bind is fine too
    assert udp_no_reply(srv.endpoint("udp://"), b"x" * 100)


@pytest.mark.parametrize("host", FAMILIES)
def test_echo_udp_never_larger(server, tmp_path, host):
    srv = start(server, tmp_path, "echo", f"udp://{host}:0")
    u = srv.endpoint("udp://")
    for n in (1, 100, 1400, 9000):
        reply = udp_query(u, b"e" * n)
        assert len(reply) <= n and reply == b"e" * len(reply)


# ---------------------------------------------------------------- client usage

@pytest.mark.parametrize("cmd", ["greet", "caesar", "daytime", "time", "qotd"])
def test_client_help_and_usage(cmd):
    r = sockit(cmd, "--help")
    assert r.returncode == 0 and r.stdout.startswith(b"usage: sockit " + cmd.encode())
    r = sockit(cmd, "--no-such-option")
    # DESIGN.md's form for usage errors: "sockit SUB: unknown option ...".
    assert r.returncode == 2 and r.stderr.startswith(b"sockit " + cmd.encode() + b": ")
    r = sockit(cmd, "tcp://127.0.0.1:99999", *(["e", "1", "x"] if cmd == "caesar" else []))
    assert r.returncode == 2 and b"99999" in r.stderr


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("cmd", ["greet", "caesar", "daytime", "time", "qotd"])
def test_client_connection_refused(cmd):
    extra = ["e", "1", "x"] if cmd == "caesar" else []
    r = sockit(cmd, f"tcp://127.0.0.1:{closed_port()}", *extra)
    assert r.returncode == 1
    assert re.match(rb"sockit: .*Connection refused\n$", r.stderr), r.stderr


def test_udp_client_gives_up(tmp_path):
    """No server: the UDP client retries, then fails with status 1."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as quiet:
        quiet.bind(("127.0.0.1", 0))         # bound, never answers
        port = quiet.getsockname()[1]
        r = sockit("daytime", "-t", "100ms", "--retries", "2", f"udp://127.0.0.1:{port}")
        assert r.returncode == 1 and b"no reply" in r.stderr
        got = 0
        quiet.settimeout(0)
        try:
            while True:
                quiet.recv(10)
                got += 1
        except BlockingIOError:
            pass
        assert got == 3                       # the first try and two retries
