"""sockit serve under systemd, without systemd as init: socket activation
through systemd-socket-activate (it binds, waits for the first client,
then execs sockit with LISTEN_FDS the way systemd does), and sd_notify
readiness to a NOTIFY_SOCKET listener the test owns."""
import os
import shutil
import signal
import socket
import subprocess

import pytest

from conftest import SOCKIT, run
from systemd_util import NotifyListener, Watched

ACTIVATE = shutil.which("systemd-socket-activate")
needs_activate = pytest.mark.skipif(not ACTIVATE, reason="systemd-socket-activate not installed")


def activate(*args):
    return Watched([ACTIVATE, *args])


@needs_activate
def test_unix_socket_named_after_a_service_replaces_its_defaults(tmp_path):
    path = str(tmp_path / "echo.sock")
    notify = NotifyListener(str(tmp_path / "notify"))
    # systemd-socket-activate passes its children only the variables
    # named with -E.
    p = activate("-l", path, "--fdname=echo", f"-ENOTIFY_SOCKET={notify.address}",
                 SOCKIT, "serve", "echo")
    try:
        p.wait_for("err", r"^Listening on .* as 3\.$")
        # The first client connects before sockit runs: the kernel queues
        # it on the socket systemd holds, and sockit must serve it.
        c = socket.socket(socket.AF_UNIX)
        c.connect(path)
        assert notify.next() == "READY=1"
        c.sendall(b"first client\n")
        assert c.recv(100) == b"first client\n"
        c.close()
        assert p.stop() == 0
        assert notify.next() == "STOPPING=1"
        # One readiness line, the inherited socket's (echo's defaults are
        # not bound); read once the process is gone and its output is all in.
        assert p.text["out"] == f"listening unix:{path} echo\n"
        # The socket file is systemd's: sockit leaves it in place.
        assert os.path.exists(path)
    finally:
        p.stop()
        notify.close()


def in_netns(pid, *args):
    return run(["nsenter", "-t", str(pid), "-n", *args], timeout=20)


def netns_activate(*args):
    """systemd-socket-activate inside a fresh network namespace: fixed ports
    on a private loopback nobody else uses."""
    return Watched(["unshare", "-n", "sh", "-c",
                    'ip link set lo up && exec "$@"', "sh", ACTIVATE, *args])


@needs_activate
def test_tcp_sockets_matched_by_address_with_two_threads():
    p = netns_activate("-l", "127.0.0.1:7", "-l", "[::1]:7", "--fdname=a:b",
                       SOCKIT, "serve", "--threads", "2", "echo",
                       "tcp://127.0.0.1:7", "tcp://[::1]:7")
    try:
        p.wait_for("err", r"^Listening on .* as [34]\.$", count=2)
        # Binding these addresses again would fail (EADDRINUSE): serving
        # them proves the inherited sockets are used, on every address.
        r = in_netns(p.proc.pid, SOCKIT, "echo", "tcp://127.0.0.1:7", "over v4")
        assert r.returncode == 0 and r.stdout == b"over v4", r.stderr
        p.wait_for("out", r"^listening tcp://", count=2)
        r = in_netns(p.proc.pid, SOCKIT, "echo", "tcp://[::1]:7", "over v6")
        assert r.returncode == 0 and r.stdout == b"over v6", r.stderr
        assert sorted(p.text["out"].splitlines()) == [
            "listening tcp://127.0.0.1:7 echo", "listening tcp://[::1]:7 echo"]
        assert p.stop() == 0
    finally:
        p.stop()


ONE_DATAGRAM = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(15)
s.sendto(b"datagram", ("127.0.0.1", 7))
sys.stdout.write(s.recv(100).decode())
"""


@needs_activate
def test_udp_socket_named_after_a_service():
    p = netns_activate("-d", "-l", "127.0.0.1:7", "--fdname=echo", SOCKIT, "serve", "echo")
    try:
        p.wait_for("err", r"^Listening on .* as 3\.$")
        # One datagram, never resent: only the inherited socket holds it
        # (a socket sockit bound itself would never see it).
        r = in_netns(p.proc.pid, "python3", "-c", ONE_DATAGRAM)
        assert r.returncode == 0 and r.stdout == b"datagram", r.stderr
        assert p.stop() == 0
        assert p.text["out"] == "listening udp://127.0.0.1:7 echo\n"
    finally:
        p.stop()


@needs_activate
def test_socket_matching_nothing_is_refused(tmp_path):
    path = str(tmp_path / "x.sock")
    p = activate("-l", path, "--fdname=nosuch", SOCKIT, "serve", "echo",
                 f"unix:{tmp_path}/other.sock")
    try:
        p.wait_for("err", r"^Listening on")
        c = socket.socket(socket.AF_UNIX)
        c.connect(path)
        p.wait_for("err", r"sockit serve: inherited socket 3 \(unix:.*x\.sock, "
                          r"name 'nosuch'\) matches no endpoint or service")
        assert p.wait() == 2
        c.close()
    finally:
        p.stop()


def test_listen_fds_for_another_process_are_ignored(server):
    env = dict(os.environ, LISTEN_PID="1", LISTEN_FDS="1", LISTEN_FDNAMES="echo")
    s = server(SOCKIT, "serve", "echo", "tcp://127.0.0.1:0", env=env)
    assert s.endpoint().startswith("tcp://127.0.0.1:")


def test_notify_ready_reloading_stopping(tmp_path):
    conf = tmp_path / "sockit.conf"
    conf.write_text("service echo\nlisten tcp://127.0.0.1:0\n")
    notify = NotifyListener("@sockit-test-notify-%d" % os.getpid())
    env = dict(os.environ, NOTIFY_SOCKET=notify.address)
    p = Watched([SOCKIT, "serve", "--threads", "1", "-c", str(conf)], env=env)
    try:
        assert notify.next() == "READY=1"
        p.wait_for("out", r"^listening tcp://127\.0\.0\.1:\d+ echo$")
        conf.write_text("service echo\nlisten tcp://127.0.0.1:0\n"
                        "service discard\nlisten tcp://127.0.0.1:0\n")
        p.proc.send_signal(signal.SIGHUP)
        msg = notify.next().split("\n")
        assert msg[0] == "RELOADING=1" and msg[1].startswith("MONOTONIC_USEC=")
        assert int(msg[1].split("=")[1]) > 0
        assert notify.next() == "READY=1"
        p.wait_for("out", r"^listening tcp://127\.0\.0\.1:\d+ discard$")
        p.proc.send_signal(signal.SIGTERM)
        assert notify.next() == "STOPPING=1"
        assert p.stop() == 0
    finally:
        p.stop()
        notify.close()


ANALYZE = shutil.which("systemd-analyze")
UNITS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "debian")


@pytest.mark.skipif(not ANALYZE, reason="systemd-analyze not installed")
def test_shipped_service_rates_ok_or_better():
    r = run([ANALYZE, "security", "--offline=true", "--no-pager",
             os.path.join(UNITS, "sockit.service")], timeout=60)
    last = r.stdout.decode().strip().splitlines()[-1]
    assert "Overall exposure level for sockit.service" in last, r.stdout
    assert last.split()[-2] in ("OK", "SAFE", "PERFECT"), last


def test_shipped_units_use_the_sandbox_the_issue_asks_for():
    unit = open(os.path.join(UNITS, "sockit.service")).read()
    for line in ("Type=notify", "DynamicUser=yes", "ProtectSystem=strict",
                 "NoNewPrivileges=yes", "SystemCallFilter=@system-service",
                 "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
                 "ExecStart=/usr/bin/sockit serve -c /etc/sockit/sockit.conf"):
        assert f"\n{line}\n" in unit, line
    sock = open(os.path.join(UNITS, "sockit.socket")).read()
    assert "\nFileDescriptorName=echo\n" in sock


@needs_activate
def test_shipped_socket_with_the_example_config():
    """sockit.socket's stream socket handed to the shipped ExecStart (with
    the example config that is installed as /etc/sockit/sockit.conf)."""
    conf = os.path.join(os.path.dirname(UNITS), "docs", "examples", "sockit.conf")
    p = netns_activate("-l", "127.0.0.1:65432", "--fdname=echo",
                       SOCKIT, "serve", "-c", conf)
    try:
        p.wait_for("err", r"^Listening on .* as 3\.$")
        r = in_netns(p.proc.pid, SOCKIT, "echo", "tcp://127.0.0.1:65432", "activated")
        assert r.returncode == 0 and r.stdout == b"activated", r.stderr
        lines = p.wait_for("out", r"^listening \S+ \S+$", count=10)
        assert "listening tcp://127.0.0.1:65432 echo" in lines
        assert "listening udp://127.0.0.1:65432 echo" in lines
        assert p.stop() == 0
    finally:
        p.stop()
