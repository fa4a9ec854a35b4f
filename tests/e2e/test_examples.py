"""examples/: the tutorial programs in C, end to end.

Every pair talks to itself, to the tutorial's Python 3 program
(tests/tutorial/) and to sockit where sockit has that side.  Servers bind
port 0 and announce the port on their readiness line.  The scanner runs
only inside a network namespace of its own.  In the normal build every
program also runs under valgrind (no errors, no leaks, no descriptor left
open); the ASan/UBSan build covers the same ground with its own checks.
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys

import pytest

from conftest import EXAMPLES, ROOT, SANITIZED, SOCKIT, run

TUTORIAL = os.path.join(ROOT, "tests", "tutorial")
PY = sys.executable
VALGRIND = ["valgrind", "-q", "--leak-check=full", "--error-exitcode=99",
            "--track-fds=yes"]


def ex(name, *args):
    return [os.path.join(EXAMPLES, name), *map(str, args)]


def py(name, *args):
    return [PY, os.path.join(TUTORIAL, name), *map(str, args)]


def has_sockit(sub):
    """Whether the sockit binary has the subcommand (a missing binary is
    a failure, not a skip: `make check` always builds it)."""
    assert os.path.exists(SOCKIT), f"{SOCKIT} not built"
    return run([SOCKIT, sub, "--help"]).returncode == 0


def need_sockit(sub):
    """Skip only when the sockit binary lacks the subcommand."""
    if not has_sockit(sub):
        pytest.skip(f"sockit has no '{sub}' subcommand (sockit {sub} --help fails)")


def finish(srv, sig=None, timeout=15):
    """Wait for a server to exit (signalling it first if sig); returns
    (status, stdout after the readiness line, stderr)."""
    if sig is not None:
        srv.proc.send_signal(sig)
    try:
        srv.proc.wait(timeout)
    except subprocess.TimeoutExpired:
        srv.proc.kill()
        srv.proc.wait()
        raise AssertionError(f"{srv.proc.args} did not exit")
    out = srv.extra + srv.proc.stdout.read()
    err = srv.log().encode()
    return srv.proc.returncode, out.decode(), err.decode()


def clean_exit(srv, sig=None):
    rc, out, err = finish(srv, sig)
    assert rc == 0, err
    assert "Sanitizer" not in err and "runtime error" not in err, err
    return out


def ok(cmd, timeout=20):
    r = run(cmd, timeout=timeout)
    assert r.returncode == 0, (cmd, r.stdout, r.stderr)
    assert b"Sanitizer" not in r.stderr, r.stderr
    return r.stdout.decode()


# --- TCP echo -------------------------------------------------------------

def echo_clients(host, port, msg):
    """(argv, expected stdout) for every echo client."""
    yield ex("echo_client", host, port, msg), f"Received '{msg}'\n"
    yield py("echo_client.py", host, port, msg), f"Received b'{msg}'\n"


def test_echo_c_server_serves_c_and_python_clients_then_exits(server):
    srv = server(*ex("echo_server", "-n", 2, "127.0.0.1", 0))
    host, port = srv.hostport()
    for cmd, want in echo_clients(host, port, "Hello, world"):
        assert ok(cmd) == want
    out = clean_exit(srv)           # -n 2: exits by itself after two clients
    assert out.count("Connected by 127.0.0.1:") == 2


def test_echo_c_server_with_sockit_client(server):
    need_sockit("echo")
    srv = server(*ex("echo_server", "-n", 1, "127.0.0.1", 0))
    host, port = srv.hostport()
    assert ok([SOCKIT, "echo", f"tcp://{host}:{port}", "halo dunia"]).strip() == "halo dunia"
    clean_exit(srv)


def test_echo_c_server_closes_the_connection(server):
    """The tutorial's server never closes; ours sends EOF once the client
    has closed its side, after every byte of a large echo."""
    srv = server(*ex("echo_server", "127.0.0.1", 0))
    data = bytes(range(256)) * 1000
    with socket.create_connection(srv.hostport(), timeout=10) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        got = b""
        while chunk := s.recv(65536):
            got += chunk
    assert got == data
    clean_exit(srv, signal.SIGTERM)


@pytest.mark.parametrize("peer", ["c", "python", "sockit"])
def test_echo_c_client_against(server, peer):
    msg = "Hello, world " * 500        # several segments' worth
    if peer == "sockit":
        need_sockit("serve")
        srv = server(SOCKIT, "serve", "echo", "tcp://127.0.0.1:0")
    elif peer == "python":
        srv = server(*py("echo_server.py", "127.0.0.1", 0))
    else:
        srv = server(*ex("echo_server", "127.0.0.1", 0))
    host, port = srv.hostport()
    assert ok(ex("echo_client", host, port, msg)) == f"Received '{msg}'\n"


def test_echo_client_reports_refused_connection(server):
    srv = server(*ex("echo_server", "127.0.0.1", 0))
    host, port = srv.hostport()
    clean_exit(srv, signal.SIGTERM)          # now nothing listens there
    r = run(ex("echo_client", host, port))
    assert r.returncode == 1
    assert b"echo_client: connect: Connection refused" in r.stderr


def test_bad_usage_exits_2():
    for cmd in (ex("echo_server", "127.0.0.1", "70000"), ex("echo_client", "x.y"),
                ex("udp_echo_client", "-t", "0"), ex("greet_server", "-n", "zero"),
                ex("caesar_client", "x", "10", "msg"), ex("caesar_client", "e", "100", "m"),
                ex("portscan", "127.0.0.1", "30", "20"), ex("byteorder", "70000")):
        assert run(cmd).returncode == 2, cmd


# --- UDP echo -------------------------------------------------------------

def udp_clients(host, port, msg):
    yield ex("udp_echo_client", host, port, msg), f"Received '{msg}'\n"
    yield ex("udp_echo_client", "-c", host, port, msg), f"Received '{msg}'\n"
    yield py("udp_echo_client.py", host, port, msg), f"Received b'{msg}'\n"
    yield py("udp_echo_client2.py", host, port, msg), f"Received b'{msg}'\n"


def test_udp_c_server_serves_c_and_python_clients(server):
    srv = server(*ex("udp_echo_server", "-n", 5, "127.0.0.1", 0))
    host, port = srv.hostport("udp://")
    for cmd, want in udp_clients(host, port, "Hello, world"):
        assert ok(cmd) == want
    # A 5000-byte datagram comes back whole (the tutorial's recvfrom(1024)
    # would cut it).
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(10)
        s.sendto(b"x" * 5000, (host, port))
        assert s.recvfrom(65536)[0] == b"x" * 5000
    out = clean_exit(srv)
    assert "5000 bytes from 127.0.0.1:" in out


def test_udp_c_server_with_sockit_client(server):
    need_sockit("echo")
    srv = server(*ex("udp_echo_server", "127.0.0.1", 0))
    host, port = srv.hostport("udp://")
    assert ok([SOCKIT, "echo", f"udp://{host}:{port}", "halo"]).strip() == "halo"
    clean_exit(srv, signal.SIGTERM)


@pytest.mark.parametrize("peer", ["c", "python", "sockit"])
@pytest.mark.parametrize("connected", [False, True])
def test_udp_c_client_against(server, peer, connected):
    if peer == "sockit":
        need_sockit("serve")
        srv = server(SOCKIT, "serve", "echo", "udp://127.0.0.1:0")
    elif peer == "python":
        srv = server(*py("udp_echo_server.py", "127.0.0.1", 0))
    else:
        srv = server(*ex("udp_echo_server", "127.0.0.1", 0))
    host, port = srv.hostport("udp://")
    flags = ["-c"] if connected else []
    assert ok(ex("udp_echo_client", *flags, host, port, "Hello UDP")) == "Received 'Hello UDP'\n"


def test_udp_client_times_out_on_a_silent_server():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        r = run(ex("udp_echo_client", "-t", 200, *map(str, silent.getsockname())))
        assert silent.recv(100) == b"Isi pesan"        # it did send (the default)
    assert r.returncode == 1
    assert b"no reply before the timeout" in r.stderr


def test_udp_connected_client_hears_port_unreachable():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        host, port = s.getsockname()
    r = run(ex("udp_echo_client", "-c", "-t", 5000, host, port))
    assert r.returncode == 1
    assert b"Connection refused" in r.stderr


# --- greet ----------------------------------------------------------------

def test_greet_c_server_with_c_python_and_sockit_clients(server):
    srv = server(*ex("greet_server", "127.0.0.1", 0))
    host, port = srv.hostport()
    assert ok(ex("greet_client", host, port, "dari C")) == "Thank you for connecting\n"
    assert ok(py("clientku.py", host, port, "dari Python")) == "b'Thank you for connecting'\n"
    replies = ["dari C", "dari Python"]
    if has_sockit("greet"):
        out = ok([SOCKIT, "greet", f"tcp://{host}:{port}", "--reply", "dari sockit"])
        assert "Thank you for connecting" in out
        replies.append("dari sockit")
    out = clean_exit(srv, signal.SIGTERM)
    assert out.count("Got connection from 127.0.0.1:") == len(replies)
    for text in replies:
        assert f"Client says: '{text}'" in out


def test_greet_sockit_client(server):
    need_sockit("greet")
    srv = server(*ex("greet_server", "--once", "127.0.0.1", 0))
    host, port = srv.hostport()
    assert "Thank you for connecting" in ok([SOCKIT, "greet", f"tcp://{host}:{port}",
                                             "--reply", "halo"])
    assert "Client says: 'halo'" in clean_exit(srv)


def test_greet_server_once_exits_after_one_client(server):
    srv = server(*ex("greet_server", "--once", "127.0.0.1", 0))
    host, port = srv.hostport()
    assert ok(ex("greet_client", host, port, "")) == "Thank you for connecting\n"
    assert "Client says: ''" in clean_exit(srv)


def test_greet_c_client_with_serverku(server):
    srv = server(*py("serverku.py", "127.0.0.1", 0))
    host, port = srv.hostport()
    assert ok(ex("greet_client", host, port, "terima kasih")) == "Thank you for connecting\n"


def test_greet_c_client_with_serverku2(server):
    """serverku2 keeps the connection open until it hears the reply: the
    client stops waiting for more greeting after -t ms of silence."""
    srv = server(*py("serverku2.py", "127.0.0.1", 0))
    host, port = srv.hostport()
    assert ok(ex("greet_client", "-t", 200, host, port, "terima kasih")) == \
        "Thank you for connecting\n"
    rc, out, err = finish(srv)
    assert rc == 0, err
    assert "b'terima kasih'" in out


def test_greet_c_client_with_sockit_server(server):
    need_sockit("serve")
    srv = server(SOCKIT, "serve", "greet", "tcp://127.0.0.1:0")
    host, port = srv.hostport()
    assert ok(ex("greet_client", host, port, "halo")) == \
        "Thank you for connecting\n"


# --- Caesar ---------------------------------------------------------------

def raw_exchange(addr, data):
    """Send data, half-close, return everything until the server closes."""
    with socket.create_connection(addr, timeout=10) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        got = b""
        while chunk := s.recv(65536):
            got += chunk
    return got


def test_caesar_c_server_with_c_python_and_sockit_clients(server):
    srv = server(*ex("caesar_server", "127.0.0.1", 0))
    host, port = srv.hostport()
    assert ok(ex("caesar_client", host, port, "e", 10, "isi pesan", "Hello, World")) == \
        "scs zockx\nRovvy, Gybvn\n"
    assert ok(ex("caesar_client", host, port, "d", 36, "scs zockx")) == "isi pesan\n"
    assert ok(py("caesar_client.py", host, port, "e", 10, "isi pesan")) == "scs zockx\n"
    if has_sockit("caesar"):
        assert ok([SOCKIT, "caesar", f"tcp://{host}:{port}", "encrypt", "10",
                   "isi pesan"]).strip() == "scs zockx"
    clean_exit(srv, signal.SIGTERM)


def test_caesar_sockit_client(server):
    need_sockit("caesar")
    srv = server(*ex("caesar_server", "-n", 1, "127.0.0.1", 0))
    host, port = srv.hostport()
    assert ok([SOCKIT, "caesar", f"tcp://{host}:{port}", "encrypt", "10",
               "isi pesan"]).strip() == "scs zockx"
    clean_exit(srv)


def test_caesar_c_server_framing_and_errors(server):
    srv = server(*ex("caesar_server", "127.0.0.1", 0))
    addr = srv.hostport()
    # Pipelined requests in one send, a request split over many sends.
    assert raw_exchange(addr, b"e01abc.d01bcd.e25Zz.") == b"bcd.abc.Yy."
    with socket.create_connection(addr, timeout=10) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for b in b"e13Uryyb":
            s.sendall(bytes([b]))
        s.sendall(b".")
        assert s.recv(100) == b"Hello."
    # Malformed: one error line ending in '.', then the server closes.
    for bad in (b"x10abc.", b"eXYabc.", b"e1.", b"e10" + b"a" * 5000 + b"."):
        reply = raw_exchange(addr, bad + b"e01abc.")
        assert reply.startswith(b"error:") and reply.endswith(b".") and \
            reply.count(b".") == 1, (bad[:10], reply)
    # The server is still serving.
    assert raw_exchange(addr, b"d10scs zockx.") == b"isi pesan."
    clean_exit(srv, signal.SIGTERM)


@pytest.mark.parametrize("peer", ["python", "sockit"])
def test_caesar_c_client_against(server, peer):
    if peer == "sockit":
        need_sockit("serve")
        srv = server(SOCKIT, "serve", "caesar", "tcp://127.0.0.1:0")
    else:
        srv = server(*py("caesar_server.py", "127.0.0.1", 0))
    host, port = srv.hostport()
    assert ok(ex("caesar_client", host, port, "e", 10, "isi pesan", "Zebra 42")) == \
        "scs zockx\nJolbk 42\n"


def test_caesar_client_refuses_a_dot_in_the_message():
    r = run(ex("caesar_client", "127.0.0.1", 1, "e", 10, "a.b"))
    assert r.returncode == 2 and b"'.'" in r.stderr


# --- UNIX domain ----------------------------------------------------------

def test_unix_pair_and_stale_socket(server, tmp_path):
    path = str(tmp_path / "s.sock")
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(path)           # a socket file left behind by a dead server
    stale.close()
    srv = server(*ex("unix_server", "-n", 2, path))
    assert srv.endpoint() == f"unix:{path}"
    assert ok(ex("unix_client", path)) == "Received 'Hello, world'\n"
    assert ok(ex("unix_client", path, "x" * 100000)) == f"Received '{'x' * 100000}'\n"
    clean_exit(srv)
    assert not os.path.exists(path)          # removed on the way out


def test_unix_server_never_removes_a_regular_file(tmp_path):
    path = tmp_path / "not-a-socket"
    path.write_text("keep me")
    r = run(ex("unix_server", str(path)))
    assert r.returncode == 1 and b"unix_server: bind: Address already in use" in r.stderr
    assert path.read_text() == "keep me"


def test_unix_with_sockit(server, tmp_path):
    need_sockit("serve")
    need_sockit("echo")
    path = str(tmp_path / "sk.sock")
    srv = server(SOCKIT, "serve", "echo", f"unix:{path}")
    assert ok(ex("unix_client", path, "halo unix")) == "Received 'halo unix'\n"
    finish(srv, signal.SIGTERM)
    path2 = str(tmp_path / "ex.sock")
    srv = server(*ex("unix_server", "-n", 1, path2))
    assert ok([SOCKIT, "echo", f"unix:{path2}", "halo"]).strip() == "halo"
    clean_exit(srv)


# --- portscan (only inside a private network namespace) -------------------

NETNS_DRIVER = r"""
import json, socket, subprocess, sys
mode, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
cmd = sys.argv[4:]
if mode == "listen":
    # Listeners on the ports named in $OPEN; the scan must find exactly those.
    import os
    socks = []
    for p in map(int, os.environ["OPEN"].split(",")):
        s = socket.socket()
        s.bind(("127.0.0.1", p))
        s.listen(64)
        socks.append(s)
    r = subprocess.run(cmd + ["127.0.0.1", str(first), str(last)],
                       capture_output=True, timeout=60)
    print(json.dumps({"rc": r.returncode, "out": r.stdout.decode(),
                      "err": r.stderr.decode()}))
else:
    # Nothing listens.  Shrink the ephemeral range to the scanned ports so
    # the kernel often picks source port == destination port.
    with open("/proc/sys/net/ipv4/ip_local_port_range", "w") as f:
        f.write("%d %d" % (first, last))
    rounds = selfs = 0
    outs = []
    while rounds < 40 and not (rounds >= 5 and selfs > 0):
        r = subprocess.run(cmd + ["127.0.0.1", str(first), str(last)],
                           capture_output=True, timeout=60)
        rounds += 1
        selfs += r.stderr.decode().count("connected to itself")
        outs.append([r.returncode, r.stdout.decode()])
    print(json.dumps({"rounds": rounds, "selfs": selfs, "runs": outs}))
"""


def in_netns(tmp_path, mode, first, last, cmd, open_ports=()):
    if run(["unshare", "-n", "true"]).returncode != 0:
        pytest.skip("cannot create a network namespace (unshare -n)")
    driver = tmp_path / "netns_driver.py"
    driver.write_text(NETNS_DRIVER)
    env = dict(os.environ, OPEN=",".join(map(str, open_ports)))
    argv = " ".join(f"'{a}'" for a in [PY, driver, mode, first, last, *cmd])
    r = subprocess.run(["unshare", "-n", "sh", "-c", f"ip link set lo up && exec {argv}"],
                       capture_output=True, timeout=120, env=env)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def open_ports(out):
    return sorted(int(m) for m in re.findall(r"^Port (\d+) is open$", out, re.M))


def test_portscan_finds_exactly_the_listeners(tmp_path):
    listeners = [20, 21, 80, 443, 1024]
    res = in_netns(tmp_path, "listen", 20, 1024, ex("portscan"), listeners)
    assert res["rc"] == 0, res["err"]
    assert open_ports(res["out"]) == listeners
    assert "20-1024: 5 open" in res["err"]


def test_portscan_discards_self_connects(tmp_path):
    res = in_netns(tmp_path, "selfconnect", 40000, 40063, ex("portscan"))
    for rc, out in res["runs"]:
        assert rc == 0
        assert open_ports(out) == [], out        # never a false "open"
    # The trap really fired (and was recognised) during these rounds.
    assert res["selfs"] > 0, res


# --- detailsocket, fd_demo, byteorder -------------------------------------

@pytest.mark.parametrize("args", [(), ("localhost", "http"), ("127.0.0.1", "5555"),
                                  ("::1", "80")])
def test_detailsocket_matches_python_getaddrinfo(args):
    want = ok(py("detailsocket.py", *args))
    assert ok(ex("detailsocket", *args)) == want
    assert "Family        : AF_INET" in want


def test_detailsocket_reports_gai_error():
    r = run(ex("detailsocket", "localhost", "no-such-service"))
    assert r.returncode == 1
    assert r.stderr.startswith(b"detailsocket: getaddrinfo localhost no-such-service: ")


def test_fd_demo():
    r = subprocess.run(ex("fd_demo"), stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=20)
    out = r.stdout.decode()
    assert r.returncode == 0, r.stderr
    assert out.splitlines()[:3] == ["fd 0: character device", "fd 1: pipe", "fd 2: pipe"]
    assert "written with write(1, ...)" in out
    assert r.stderr.decode() == "written with write(2, ...)\n"
    assert "socket() returned 3, then 4" in out
    assert "after close(3), socket() returned 3 again" in out


def test_byteorder():
    out = ok(ex("byteorder"))
    assert "number 11111 = 0x2b67" in out
    assert re.search(r"^htons\(\):\s+2b 67$", out, re.M)
    assert re.search(r"^htonl\(\):\s+00 00 2b 67$", out, re.M)
    assert f"this machine is {sys.byteorder}-endian" in out
    assert f"htons(11111) read as a number = {socket.htons(11111)} " in out
    assert f"htonl(11111) read as a number = {socket.htonl(11111)} " in out


# --- valgrind: no memory errors, no leaks, no descriptor left open --------

def leaked_fds(log):
    """Descriptors valgrind saw open at exit that the program opened."""
    lines = log.splitlines()
    return [l for i, l in enumerate(lines) if re.search(r"== Open ", l)
            and not (i + 1 < len(lines) and "<inherited from parent>" in lines[i + 1])]


class Valgrind:
    def __init__(self, tmp_path):
        self.dir, self.logs = tmp_path, []

    def __call__(self, cmd):
        log = self.dir / f"vg{len(self.logs)}.log"
        self.logs.append(log)
        return [*VALGRIND, f"--log-file={log}", *cmd]

    def check(self):
        for log in self.logs:
            text = log.read_text()
            assert "ERROR SUMMARY" not in text or "ERROR SUMMARY: 0" in text, text
            assert "lost" not in text, text
            assert not leaked_fds(text), text


@pytest.fixture
def vg(tmp_path):
    if SANITIZED:
        pytest.skip("ASan/UBSan build: the sanitizers check this run")
    v = Valgrind(tmp_path)
    yield v
    v.check()


def test_valgrind_echo_pair(server, vg):
    srv = server(*vg(ex("echo_server", "-n", 1, "127.0.0.1", 0)), timeout=30)
    host, port = srv.hostport()
    assert ok(vg(ex("echo_client", host, port)), timeout=60) == "Received 'Hello, world'\n"
    clean_exit(srv)


def test_valgrind_echo_server_stopped_by_signal(server, vg):
    srv = server(*vg(ex("echo_server", "127.0.0.1", 0)), timeout=30)
    ok(ex("echo_client", *srv.hostport()))
    clean_exit(srv, signal.SIGTERM)


def test_valgrind_udp_pair(server, vg):
    srv = server(*vg(ex("udp_echo_server", "-n", 2, "127.0.0.1", 0)), timeout=30)
    host, port = srv.hostport("udp://")
    ok(vg(ex("udp_echo_client", "-t", 10000, host, port)), timeout=60)
    ok(vg(ex("udp_echo_client", "-c", "-t", 10000, host, port)), timeout=60)
    clean_exit(srv)


def test_valgrind_greet_pair(server, vg):
    srv = server(*vg(ex("greet_server", "--once", "127.0.0.1", 0)), timeout=30)
    host, port = srv.hostport()
    ok(vg(ex("greet_client", host, port, "halo")), timeout=60)
    assert "Client says: 'halo'" in clean_exit(srv)


def test_valgrind_caesar_pair(server, vg):
    srv = server(*vg(ex("caesar_server", "-n", 2, "127.0.0.1", 0)), timeout=30)
    host, port = srv.hostport()
    assert ok(vg(ex("caesar_client", host, port, "e", 10, "isi pesan", "ab")),
              timeout=60) == "scs zockx\nkl\n"
    assert raw_exchange((host, port), b"q10abc.").startswith(b"error:")
    clean_exit(srv)


def test_valgrind_unix_pair(server, vg, tmp_path):
    path = str(tmp_path / "vg.sock")
    srv = server(*vg(ex("unix_server", "-n", 1, path)), timeout=30)
    ok(vg(ex("unix_client", path)), timeout=60)
    clean_exit(srv)


def test_valgrind_portscan(vg, tmp_path):
    res = in_netns(tmp_path, "listen", 20, 60, vg(ex("portscan")), [22, 53])
    assert res["rc"] == 0, res["err"]
    assert open_ports(res["out"]) == [22, 53]


@pytest.mark.parametrize("cmd", [("detailsocket",), ("fd_demo",), ("byteorder",)])
def test_valgrind_small_programs(vg, cmd):
    r = subprocess.run(vg(ex(*cmd)), stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr


# --- every server stops cleanly on SIGINT and SIGTERM ---------------------

@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
@pytest.mark.parametrize("name", ["echo_server", "udp_echo_server", "greet_server",
                                  "caesar_server", "unix_server"])
def test_server_stops_cleanly_on_signal(server, tmp_path, name, sig):
    where = [str(tmp_path / "s.sock")] if name == "unix_server" else ["127.0.0.1", 0]
    srv = server(*ex(name, *where))
    clean_exit(srv, sig)


# --- defaults of the tutorial, and -h/--help --------------------------------

EXAMPLE_PROGRAMS = sorted(os.path.basename(p)[:-2] for p in os.listdir(os.path.join(ROOT, "examples"))
                          if p.endswith(".c") and p != "frame.c")


@pytest.mark.parametrize("peer", ["c", "sockit"])
def test_caesar_client_without_a_message_does_the_tutorial_round_trip(server, peer):
    """`caesar_client HOST PORT`: "isi pesan" encrypted with shift 10, then
    the reply decrypted, on one connection."""
    if peer == "sockit":
        need_sockit("serve")
        srv = server(SOCKIT, "serve", "caesar", "tcp://127.0.0.1:0")
    else:
        srv = server(*ex("caesar_server", "-n", 1, "127.0.0.1", 0))
    host, port = srv.hostport()
    assert ok(ex("caesar_client", host, port)) == "scs zockx\nisi pesan\n"
    if peer == "c":
        clean_exit(srv)                        # -n 1: both on one connection


def test_caesar_client_with_a_mode_but_no_message_is_usage():
    r = run(ex("caesar_client", "127.0.0.1", 1, "e", 10))
    assert r.returncode == 2 and r.stderr.startswith(b"usage: caesar_client"), r


@pytest.mark.parametrize("connected", [False, True])
def test_udp_echo_client_default_message_is_the_tutorials(server, connected):
    srv = server(*ex("udp_echo_server", "127.0.0.1", 0))
    host, port = srv.hostport("udp://")
    flags = ["-c"] if connected else []
    assert ok(ex("udp_echo_client", *flags, host, port)) == "Received 'Isi pesan'\n"
    clean_exit(srv, signal.SIGTERM)


@pytest.mark.parametrize("flag", ["-h", "--help"])
@pytest.mark.parametrize("name", EXAMPLE_PROGRAMS)
def test_every_example_accepts_help(name, flag):
    r = run(ex(name, flag), timeout=10)
    assert r.returncode == 0, r
    assert r.stdout.startswith(f"usage: {name}".encode()), r
    assert r.stderr == b"", r
