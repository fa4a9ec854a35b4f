"""End-to-end tests of `sockit serve --backend`: io_uring really carries
the connections where the kernel has it, auto falls back to epoll with
one log line when io_uring is off (SOCKIT_NO_URING=1), an explicit
io_uring that cannot be had is exit 1, a bad name exit 2.

The serve, services, echo, chat, harden and soak suites run a second time under
SOCKIT_BACKEND=auto from scripts/run-tests.sh."""
import json
import os
import signal
import socket
import time

import pytest

from conftest import SANITIZED, SOCKIT, Server, run


def env(**kw):
    e = {k: v for k, v in os.environ.items()
         if k not in ("SOCKIT_BACKEND", "SOCKIT_NO_URING")}
    e.update(kw)
    return e


def ring_fds(pid):
    """How many io_uring instances process pid holds open."""
    n = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            n += os.readlink(f"/proc/{pid}/fd/{fd}") == "anon_inode:[io_uring]"
        except OSError:
            pass
    return n


def echo_round_trip(srv, payload=b"ping over the ring\n" * 100):
    host, port = srv.hostport()
    with socket.create_connection((host, port), timeout=10) as s:
        s.sendall(payload)
        s.shutdown(socket.SHUT_WR)
        got = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    assert got == payload


def start(*args, **kw):
    return Server([SOCKIT, "serve", *args, "echo", "tcp://127.0.0.1:0"], 1, **kw)


def uring_or_skip(*args, **envkw):
    """A one-worker server on io_uring, or a skip naming why there is none."""
    try:
        srv = start("--backend", "io_uring", "--threads", "1", *args, env=env(**envkw))
    except RuntimeError as e:
        if "--backend io_uring:" in str(e):
            pytest.skip(f"no io_uring here: {e}")
        raise
    return srv


def test_io_uring_carries_the_connections():
    srv = uring_or_skip()
    try:
        echo_round_trip(srv)
        # One ring per worker thread: one worker here.
        assert ring_fds(srv.proc.pid) == 1
    finally:
        assert "closed: client closed" in srv.stop()


def test_epoll_has_no_ring():
    srv = start("--backend", "epoll", "--threads", "2", env=env())
    try:
        echo_round_trip(srv)
        assert ring_fds(srv.proc.pid) == 0
    finally:
        srv.stop()


def test_auto_falls_back_with_one_log_line():
    srv = start("--backend", "auto", env=env(SOCKIT_NO_URING="1"))
    try:
        echo_round_trip(srv)
        assert ring_fds(srv.proc.pid) == 0
    finally:
        log = srv.stop()
    lines = [l for l in log.splitlines() if "io_uring" in l]
    assert len(lines) == 1
    assert lines[0].endswith(
        "serve: io_uring unavailable (disabled by SOCKIT_NO_URING), using epoll")


def test_environment_chooses_the_default():
    srv = start(env=env(SOCKIT_BACKEND="auto", SOCKIT_NO_URING="1"))
    try:
        echo_round_trip(srv)
    finally:
        assert "using epoll" in srv.stop()


def test_explicit_io_uring_that_is_off_is_exit_1():
    r = run([SOCKIT, "serve", "--backend", "io_uring", "echo",
             "tcp://127.0.0.1:0"], env=env(SOCKIT_NO_URING="1"))
    assert r.returncode == 1
    assert r.stdout == b""
    assert r.stderr.decode().strip() == (
        "sockit: serve: --backend io_uring: disabled by SOCKIT_NO_URING")


@pytest.mark.parametrize("args,envkw,msg", [
    (["--backend", "uring"], {},
     "sockit serve: bad value for '--backend': 'uring' (want auto, epoll or io_uring)"),
    ([], {"SOCKIT_BACKEND": "kqueue"},
     "sockit: serve: SOCKIT_BACKEND='kqueue' is not auto, epoll or io_uring"),
])
def test_bad_backend_is_usage_error(args, envkw, msg):
    r = run([SOCKIT, "serve", *args, "echo", "tcp://127.0.0.1:0"], env=env(**envkw))
    assert r.returncode == 2
    assert r.stderr.decode().strip() == msg


@pytest.mark.parametrize("mode", [[], ["pipeline", "8"], ["-s", "20000"]])
def test_bench_on_io_uring_verifies_every_reply(mode):
    srv = uring_or_skip()
    try:
        host, port = srv.hostport()
        r = run([SOCKIT, "bench", "--backend", "io_uring", "-c", "20", "-n", "3000",
                 "-q", "--json", f"tcp://{host}:{port}", *mode], env=env(), timeout=60)
        assert r.returncode == 0, r.stderr
        res = json.loads(r.stdout)
        assert res["errors"]["total"] == 0
        assert res["replies_total"] >= 3000
    finally:
        srv.stop()


def test_bench_backend_errors():
    r = run([SOCKIT, "bench", "--backend", "io_uring", "-n", "1", "tcp://127.0.0.1:9"],
            env=env(SOCKIT_NO_URING="1"))
    assert r.returncode == 1
    assert r.stderr.decode().strip() == \
        "sockit: bench: --backend io_uring: disabled by SOCKIT_NO_URING"
    r = run([SOCKIT, "bench", "--backend", "kqueue", "tcp://127.0.0.1:9"], env=env())
    assert r.returncode == 2
    assert r.stderr.decode().strip() == \
        "sockit bench: bad value for '--backend': 'kqueue' (want auto, epoll or io_uring)"


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))


def flood_until_refused(socks, seconds=5):
    """Send to every socket until none takes more: each has been refused
    (would block) 20 rounds in a row, or the time is up.  A slow machine
    can only stop this early, which loosens the bound, never breaks it.
    Returns the bytes pushed."""
    chunk = b"x" * 65536
    pushed, refused = 0, {s: 0 for s in socks}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and min(refused.values()) < 20:
        for s in socks:
            try:
                pushed += s.send(chunk)
                refused[s] = 0
            except BlockingIOError:
                refused[s] += 1
        time.sleep(0.01)
    return pushed


MAX_QUEUE = 64 * 1024
NEVER = 16


@pytest.mark.skipif(SANITIZED, reason="ASan's quarantine owns the RSS")
@pytest.mark.parametrize("backend,envkw", [
    ("epoll", {}), ("io_uring", {}), ("io_uring", {"SOCKIT_URING_ONESHOT": "1"}),
], ids=["epoll", "io_uring-multishot", "io_uring-oneshot"])
def test_never_reading_clients_bounded_as_on_epoll(backend, envkw):
    """Clients that flood and never read cost the server at most what
    epoll lets them (soak.py's NEVER_READ_BOUND: the queue limit plus one
    64 KiB read each): io_uring's multishot receive is capped and
    cancelled at the watermark, so it cannot go on draining them."""
    args = ("--max-queue", str(MAX_QUEUE))
    srv = uring_or_skip(*args, **envkw) if backend == "io_uring" else \
        start("--backend", "epoll", "--threads", "1", *args, env=env())
    hogs = []
    try:
        # The ring's buffers become resident as the kernel cycles through
        # them: 40 MiB of 64 KiB echoes touch all 16 MiB before counting.
        host, port = srv.hostport()
        r = run([SOCKIT, "bench", "-c", "1", "-s", "65536", "-n", "640", "-q",
                 f"tcp://{host}:{port}"], env=env(), timeout=60)
        assert r.returncode == 0, r.stderr
        before = rss_kib(srv.proc.pid)
        for _ in range(NEVER):
            s = socket.create_connection(srv.hostport(), timeout=10)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.setblocking(False)
            hogs.append(s)
        # While the server is stopped the hogs' bytes pile up in its
        # sockets, so its first receive after each SIGCONT finds a
        # backlog: an unbounded receive would take it all into memory.
        pushed = 0
        for _ in range(4):
            srv.proc.send_signal(signal.SIGSTOP)
            try:
                pushed += flood_until_refused(hogs, seconds=1)
            finally:
                srv.proc.send_signal(signal.SIGCONT)
            pushed += flood_until_refused(hogs)
        growth = rss_kib(srv.proc.pid) - before
        assert pushed > NEVER * MAX_QUEUE      # they did fill the server's queue
        assert growth < NEVER * (MAX_QUEUE + 64 * 1024) // 1024 + 3 * 1024, \
            (growth, pushed)
        echo_round_trip(srv)            # and everybody else is still served
    finally:
        for s in hogs:
            s.close()
        srv.stop()
