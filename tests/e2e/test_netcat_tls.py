"""sockit connect/listen --tls against openssl s_server / s_client with
certificates the test makes (openssl req) in a temporary directory, and
--proxy through small SOCKS5 and HTTP CONNECT proxies the test runs."""
import os
import re
import socket
import struct
import subprocess
import tempfile
import threading

import pytest

from conftest import sockit
from netcat_util import TcpServer, host_port, read_until, recv_all, sockit_bg


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=30)


@pytest.fixture(scope="module")
def pki():
    d = tempfile.mkdtemp(prefix="sockit-tls-")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=test ca",
            "-days", "2", cwd=d)

    def leaf(name, san, days):
        openssl("req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr",
                "-subj", "/CN=leaf", cwd=d)
        with open(os.path.join(d, f"{name}.ext"), "w") as f:
            f.write(f"subjectAltName={san}\n")
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-set_serial", str(abs(hash(name)) % 100000), "-days", str(days),
                "-extfile", f"{name}.ext", "-out", f"{name}.pem", cwd=d)
    leaf("good", "DNS:localhost,IP:127.0.0.1", 2)
    leaf("other", "DNS:other.invalid", 2)
    leaf("expired", "DNS:localhost,IP:127.0.0.1", -1)
    yield d
    for f in os.listdir(d):
        os.unlink(os.path.join(d, f))
    os.rmdir(d)


class SServer:
    """openssl s_server on a free port, one client.  It prints no
    readiness line, so clients retry (bounded) while it is not yet
    listening: connect_when_up."""

    def __init__(self, pki, name):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        self.p = subprocess.Popen(
            ["openssl", "s_server", "-quiet", "-naccept", "1", "-accept",
             f"127.0.0.1:{self.port}", "-cert", f"{pki}/{name}.pem", "-key", f"{pki}/{name}.key"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def stop(self):
        self.p.kill()
        self.p.wait()


def connect_when_up(args, port, input):
    """Run sockit connect, retrying (bounded) while s_server is not yet
    listening (Connection refused before its accept() is ready)."""
    for _ in range(200):
        r = sockit("connect", *args, input=input)
        if b"Connection refused" not in r.stderr:
            return r
        threading.Event().wait(0.02)
    return r


def test_connect_tls_verified_with_ca(pki):
    srv = SServer(pki, "good")
    try:
        srv.p.stdin.write(b"hello from s_server\n")
        srv.p.stdin.flush()
        r = connect_when_up(["--tls", "--ca", f"{pki}/ca.pem", "localhost",
                             str(srv.port)], srv.port, b"hello from sockit\n")
        assert b"hello from sockit\n" in read_until(srv.p.stdout, b"hello from sockit\n")
        assert r.returncode == 0, r.stderr
        assert r.stdout == b"hello from s_server\n"
    finally:
        srv.stop()


@pytest.mark.parametrize("name,args,reason", [
    ("other", ["--ca", "{pki}/ca.pem"], b"hostname mismatch"),
    ("expired", ["--ca", "{pki}/ca.pem"], b"certificate has expired"),
    ("good", [], b"unable to get local issuer certificate"),
])
def test_connect_tls_verification_failures(pki, name, args, reason):
    srv = SServer(pki, name)
    try:
        r = connect_when_up(["--tls", *[a.format(pki=pki) for a in args], "localhost",
                             str(srv.port)], srv.port, b"x")
        assert r.returncode == 1
        assert reason in r.stderr and r.stderr.count(b"\n") == 1, r.stderr
    finally:
        srv.stop()


def test_self_signed_listen_needs_ca_or_insecure():
    p = sockit_bg("listen", "-k", "--tls", "127.0.0.1", "0", stdin=subprocess.DEVNULL)
    try:
        host, port = host_port(p.endpoint())
        r = sockit("connect", "--tls", host, str(port), input=b"x")
        assert r.returncode == 1
        assert r.stderr == b"sockit connect: TLS: certificate verify failed: self-signed certificate\n"
        r = sockit("connect", "--tls", "--insecure", host, str(port), input=b"ok")
        assert r.returncode == 0, r.stderr
        assert read_until(p.p.stdout, b"ok") == b"ok"
    finally:
        p.stop()


def test_listen_tls_with_openssl_s_client(pki):
    p = sockit_bg("listen", "--tls", "--cert", f"{pki}/good.pem", "--key", f"{pki}/good.key",
                  "127.0.0.1", "0")
    c = None
    try:
        host, port = host_port(p.endpoint())
        c = subprocess.Popen(["openssl", "s_client", "-quiet", "-verify_return_error",
                              "-CAfile", f"{pki}/ca.pem", "-connect", f"{host}:{port}"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL)
        c.stdin.write(b"from s_client\n")
        c.stdin.flush()
        assert read_until(p.p.stdout, b"from s_client\n") == b"from s_client\n"
        p.p.stdin.write(b"from sockit listen\n")
        p.p.stdin.close()       # half-close over TLS: close_notify, then FIN
        assert read_until(c.stdout, b"listen\n") == b"from sockit listen\n"
        c.stdin.close()         # s_client closes; the session ends cleanly
        rc, out, err = p.finish()
        assert rc == 0, err
    finally:
        p.stop()
        if c:
            c.kill()
            c.wait()


# ---- proxies ----

def pipe_both(a, b):
    def one(x, y):
        try:
            while True:
                d = x.recv(65536)
                if not d:
                    y.shutdown(socket.SHUT_WR)
                    return
                y.sendall(d)
        except OSError:
            pass
    t = threading.Thread(target=one, args=(b, a), daemon=True)
    t.start()
    one(a, b)
    t.join(20)


def socks5_handler(auth):
    def handler(c):
        ver, n = c.recv(2)
        methods = c.recv(n)
        want = 2 if auth else 0
        assert want in methods
        c.sendall(bytes([5, want]))
        if auth:
            v, ul = c.recv(2)
            user = c.recv(ul)
            pl = c.recv(1)[0]
            pw = c.recv(pl)
            ok = (user + b":" + pw) == auth
            c.sendall(bytes([1, 0 if ok else 1]))
            if not ok:
                return "bad auth"
        v, cmd, _, atyp = c.recv(4)
        assert atyp == 1
        addr = socket.inet_ntoa(c.recv(4))
        port = struct.unpack("!H", c.recv(2))[0]
        up = socket.create_connection((addr, port), timeout=10)
        c.sendall(bytes([5, 0, 0, 1, 0, 0, 0, 0, 0, 0]))
        pipe_both(c, up)
        up.close()
        return (addr, port)
    return handler


def http_handler(c):
    head = b""
    while b"\r\n\r\n" not in head:
        head += c.recv(1)
    line = head.split(b"\r\n")[0].decode()
    m = re.match(r"CONNECT 127\.0\.0\.1:(\d+) HTTP/1\.1", line)
    if not m:
        c.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        return line
    up = socket.create_connection(("127.0.0.1", int(m.group(1))), timeout=10)
    c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
    pipe_both(c, up)
    up.close()
    return line


def reply_server():
    def handler(c):
        data = recv_all(c)
        c.sendall(b"target got " + data)
    return TcpServer(handler)


@pytest.mark.parametrize("auth", [None, b"user:secret"])
def test_socks5_proxy(auth):
    target = reply_server()
    proxy = TcpServer(socks5_handler(auth))
    extra = ["--proxy-auth", auth.decode()] if auth else []
    r = sockit("connect", "--proxy", f"socks5://127.0.0.1:{proxy.port}", *extra,
               "127.0.0.1", str(target.port), input=b"via socks")
    assert (r.returncode, r.stdout) == (0, b"target got via socks"), r.stderr
    assert proxy.join() == [("127.0.0.1", target.port)]


def test_socks5_bad_auth_is_an_error():
    proxy = TcpServer(socks5_handler(b"user:secret"))
    r = sockit("connect", "--proxy", f"socks5://127.0.0.1:{proxy.port}",
               "--proxy-auth", "user:wrong", "127.0.0.1", "9", input=b"")
    assert r.returncode == 1
    assert r.stderr == b"sockit connect: proxy: authentication failed\n"


def test_http_connect_proxy():
    target = reply_server()
    proxy = TcpServer(http_handler)
    r = sockit("connect", "--proxy", f"http://127.0.0.1:{proxy.port}",
               "127.0.0.1", str(target.port), input=b"via http")
    assert (r.returncode, r.stdout) == (0, b"target got via http"), r.stderr
    assert proxy.join() == [f"CONNECT 127.0.0.1:{target.port} HTTP/1.1"]


# ---- hostile proxies: every reply bounded by one deadline ----

def stalling_proxy(first):
    """A proxy that reads the client's first message, answers `first`
    (part of a reply) and then says nothing more until the client leaves."""
    def handler(c):
        # The whole first message: an HTTP request head may arrive in more
        # than one segment, and a late part must not pass for the client's
        # next bytes below.
        got = c.recv(1024)
        while not got.startswith(b"\x05") and b"\r\n\r\n" not in got:
            more = c.recv(1024)
            if not more:
                break
            got += more
        c.sendall(first)
        c.settimeout(20)
        try:
            return c.recv(100)          # b"": the client gave up
        except OSError:
            return b""
    return TcpServer(handler)


@pytest.mark.parametrize("scheme,first", [
    ("http", b"HTTP/1.1 200 OK\r\n"),           # a head that never ends
    ("http", b"HTTP/1.1 200\x00"),              # a NUL: not HTTP
    ("socks5", b"\x05"),                        # half a method reply
])
def test_proxy_that_stalls_is_a_bounded_error(scheme, first):
    proxy = stalling_proxy(first)
    r = sockit("connect", "-w", "1s", "--proxy", f"{scheme}://127.0.0.1:{proxy.port}",
               "127.0.0.1", "9", input=b"")
    assert r.returncode == 1
    assert r.stderr.count(b"\n") == 1 and r.stderr.startswith(b"sockit connect: proxy: "), r.stderr
    if b"\x00" in first:
        assert b"not an HTTP response" in r.stderr
    else:
        assert b"timed out after 1s (sockit's deadline)" in r.stderr
    assert proxy.join() == [b""]


@pytest.mark.parametrize("reply,why", [
    (bytes([5, 0, 0, 9]) + bytes(6), b"bad SOCKS5 reply"),        # unknown address type
    (bytes([4, 0, 0, 1]) + bytes(6), b"bad SOCKS5 reply"),        # not version 5
    (bytes([5, 5, 0, 1]) + bytes(6), b"connection refused"),
])
def test_socks5_bad_connect_replies(reply, why):
    def handler(c):
        c.recv(3)
        c.sendall(bytes([5, 0]))
        c.recv(100)
        c.sendall(reply)
        return "answered"
    proxy = TcpServer(handler)
    r = sockit("connect", "--proxy", f"socks5://127.0.0.1:{proxy.port}", "127.0.0.1", "9",
               input=b"")
    assert r.returncode == 1 and why in r.stderr and r.stderr.count(b"\n") == 1, r.stderr
    proxy.join()


def test_http_proxy_any_2xx_is_a_tunnel_and_bytes_after_the_head_are_kept():
    def handler(c):
        head = b""
        while b"\r\n\r\n" not in head:
            head += c.recv(1)
        # The tunnel's first bytes in the same segment as the head.
        c.sendall(b"HTTP/1.1 204 Tunnel\r\nX: y\r\n\r\nfirst bytes")
        return "done"
    proxy = TcpServer(handler)
    r = sockit("connect", "--proxy", f"http://127.0.0.1:{proxy.port}", "127.0.0.1", "9",
               input=b"")
    assert (r.returncode, r.stdout) == (0, b"first bytes"), r.stderr
    proxy.join()
