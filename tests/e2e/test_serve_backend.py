"""End-to-end tests of `sockit serve --backend`: io_uring really carries
the connections where the kernel has it, auto falls back to epoll with
one log line when io_uring is off (SOCKIT_NO_URING=1), an explicit
io_uring that cannot be had is exit 1, a bad name exit 2.

The serve, services, echo, harden and soak suites run a second time under
SOCKIT_BACKEND=auto from scripts/run-tests.sh."""
import json
import os
import socket

import pytest

from conftest import SOCKIT, Server, run


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


def uring_or_skip():
    """A one-worker server on io_uring, or a skip naming why there is none."""
    try:
        srv = start("--backend", "io_uring", "--threads", "1", env=env())
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
