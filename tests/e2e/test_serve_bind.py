"""`sockit serve` on an address another socket already holds: it must
fail with "Address already in use", exit 1 and announce nothing, whatever
the --threads count and whatever options the holder set (a second sockit,
a socket with SO_REUSEPORT or SO_REUSEADDR in another process of the same
user), while sockit's own workers still share each listener."""
import socket
import subprocess

import pytest

from conftest import SOCKIT, run, sockit

THREADS = ["1", "2", "4"]


def holder(kind, opts):
    """A socket of kind ("tcp"/"udp") on 127.0.0.1:0 in another process
    (a python3 child, so the kernel sees another process of this user),
    with the socket options opts set before bind.  Returns (proc, port)."""
    code = (
        "import socket, sys\n"
        f"s = socket.socket(socket.AF_INET, socket.SOCK_{'STREAM' if kind == 'tcp' else 'DGRAM'})\n"
        f"for o in {opts!r}: s.setsockopt(socket.SOL_SOCKET, getattr(socket, o), 1)\n"
        "s.bind(('127.0.0.1', 0))\n"
        f"{'s.listen()' if kind == 'tcp' else 'pass'}\n"
        "print(s.getsockname()[1], flush=True)\n"
        "sys.stdin.read()\n")
    p = subprocess.Popen(["/usr/bin/python3", "-c", code], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE)
    port = int(p.stdout.readline())
    return p, port


def release(p):
    p.stdin.close()
    p.wait(timeout=10)


def assert_refused(r, port):
    assert r.returncode == 1, r
    assert r.stdout == b""                     # nothing announced
    err = r.stderr.decode()
    assert err.count("\n") == 1 and err.startswith("sockit: "), err
    assert f"127.0.0.1:{port}: Address already in use" in err, err


@pytest.mark.parametrize("threads", THREADS)
@pytest.mark.parametrize("kind,opts", [
    ("tcp", []), ("tcp", ["SO_REUSEADDR"]), ("tcp", ["SO_REUSEPORT"]),
    ("tcp", ["SO_REUSEADDR", "SO_REUSEPORT"]),
    ("udp", []), ("udp", ["SO_REUSEADDR"]), ("udp", ["SO_REUSEPORT"]),
    ("udp", ["SO_REUSEADDR", "SO_REUSEPORT"]),
])
def test_foreign_holder_is_reported(kind, opts, threads):
    p, port = holder(kind, opts)
    try:
        r = sockit("serve", "--threads", threads, "echo", f"{kind}://127.0.0.1:{port}")
    finally:
        release(p)
    assert_refused(r, port)


def listeners(port):
    """How many TCP sockets listen on 127.0.0.1:port (from ss)."""
    r = run(["ss", "-Hltn", "src", f"127.0.0.1:{port}"])
    assert r.returncode == 0, r
    return len([l for l in r.stdout.decode().splitlines() if l.strip()])


@pytest.mark.parametrize("threads", THREADS)
def test_second_sockit_is_refused_first_keeps_its_workers(server, threads):
    first = server(SOCKIT, "serve", "--threads", "4", "echo", "tcp://127.0.0.1:0",
                   "udp://127.0.0.1:0")
    tep = next(ep for ep, _ in first.endpoints if ep.startswith("tcp://"))
    uep = next(ep for ep, _ in first.endpoints if ep.startswith("udp://"))
    tport, uport = int(tep.rsplit(":", 1)[1]), int(uep.rsplit(":", 1)[1])
    assert listeners(tport) == 4               # one SO_REUSEPORT socket per worker
    for ep, port in ((tep, tport), (uep, uport)):
        r = sockit("serve", "--threads", threads, "echo", ep)
        assert_refused(r, port)
    assert listeners(tport) == 4
    for ep in (tep, uep):
        r = sockit("echo", ep, "still mine")
        assert r.returncode == 0 and r.stdout == b"still mine", r


@pytest.mark.parametrize("threads", THREADS)
def test_busy_endpoint_after_a_free_one_binds_nothing(threads):
    p, port = holder("tcp", ["SO_REUSEPORT"])
    try:
        r = sockit("serve", "--threads", threads, "echo", "tcp://127.0.0.1:0",
                   "udp://127.0.0.1:0", f"tcp://127.0.0.1:{port}")
    finally:
        release(p)
    assert_refused(r, port)


def test_port_0_servers_never_share(server):
    a = server(SOCKIT, "serve", "--threads", "4", "echo", "tcp://127.0.0.1:0")
    b = server(SOCKIT, "serve", "--threads", "4", "echo", "tcp://127.0.0.1:0")
    pa, pb = (int(s.endpoint().rsplit(":", 1)[1]) for s in (a, b))
    assert pa != pb
    assert listeners(pa) == 4 and listeners(pb) == 4


@pytest.mark.parametrize("threads", THREADS)
def test_reload_moving_a_port_to_another_service_is_in_use(server, tmp_path, threads):
    """docs/serve-config.md: new endpoints are bound before old ones close,
    so moving a port to another service fails as "in use" and the running
    set stays — with every thread count (with several it used to join our
    own listeners silently)."""
    import signal
    import time
    conf = tmp_path / "sockit.conf"
    conf.write_text(f"threads {threads}\nservice echo\nlisten tcp://127.0.0.1:0\n")
    srv = server(SOCKIT, "serve", "-c", str(conf))
    ep = srv.endpoint()
    conf.write_text(f"threads {threads}\nservice daytime\nlisten {ep}\n")
    srv.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 15
    while "SIGHUP: reload" not in srv.log():
        assert time.monotonic() < deadline, srv.log()
        time.sleep(0.01)
    assert "SIGHUP: reload failed, running set kept:" in srv.log()
    assert "Address already in use" in srv.log()
    r = sockit("echo", ep, "still echo")
    assert r.returncode == 0 and r.stdout == b"still echo", r
    assert listeners(int(ep.rsplit(":", 1)[1])) == int(threads)


@pytest.mark.parametrize("threads", THREADS)
@pytest.mark.parametrize("kind", ["tcp", "udp"])
def test_wildcard_over_a_held_loopback_port_is_refused(kind, threads):
    """`*` is one dual-stack socket: it conflicts with a holder of
    127.0.0.1:PORT, SO_REUSEPORT or not."""
    p, port = holder(kind, ["SO_REUSEADDR", "SO_REUSEPORT"])
    try:
        r = sockit("serve", "--threads", threads, "echo", f"{kind}://*:{port}")
    finally:
        release(p)
    assert r.returncode == 1 and r.stdout == b"", r
    assert r.stderr.decode().endswith(f":{port}: Address already in use\n"), r
