"""End-to-end tests of `sockit serve` as a small inetd: the default set,
config files, limits, signals, --user, usage errors.

The default endpoints are fixed ports (65432, 12345, 5555, 7009...) that
may be busy on a shared machine, so tests that need them run the server
in a private network namespace (`unshare -n`, loopback only) and drive
clients inside it with `nsenter --net=/proc/PID/ns/net`.  Everything else
uses port 0 and the readiness lines.
"""
import json
import os
import re
import pwd
import signal
import socket
import subprocess
import sys

import pytest

from conftest import SOCKIT, run, sockit

IS_ROOT = os.geteuid() == 0


def can_unshare():
    if not IS_ROOT:
        return False
    try:
        return run(["unshare", "-n", "true"], timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


NETNS = can_unshare()
needs_netns = pytest.mark.skipif(not NETNS, reason="needs root and unshare -n")

# Every service and its default endpoints (DESIGN.md), as announced.
DEFAULTS = {
    ("tcp://127.0.0.1:65432", "echo"), ("udp://127.0.0.1:65432", "echo"),
    ("tcp://127.0.0.1:12345", "greet"), ("tcp://127.0.0.1:5555", "caesar"),
    ("tcp://127.0.0.1:7009", "discard"), ("udp://127.0.0.1:7009", "discard"),
    ("tcp://127.0.0.1:7013", "daytime"), ("udp://127.0.0.1:7013", "daytime"),
    ("tcp://127.0.0.1:7017", "qotd"), ("udp://127.0.0.1:7017", "qotd"),
    ("tcp://127.0.0.1:7019", "chargen"),
    ("tcp://127.0.0.1:7037", "time"), ("udp://127.0.0.1:7037", "time"),
}


def start(server, tmp_path, *args, count=1, netns=False):
    """`sockit serve ARGS`, in a private network namespace if netns; the
    log goes to a file (read with log())."""
    cmd = [SOCKIT, "serve", *args]
    if netns:
        cmd = ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$0" "$@"',
               *cmd]
    logf = open(tmp_path / "server.log", "wb")
    srv = server(*cmd, count=count, stderr=logf)
    logf.close()
    srv.logpath = tmp_path / "server.log"
    return srv


def log(srv):
    return srv.logpath.read_text(errors="replace")


def in_ns(srv, *args, input=None):
    """Run a command inside the server's network namespace."""
    return run(["nsenter", f"--net=/proc/{srv.proc.pid}/ns/net", *args],
               input=input, timeout=20)


def addr(ep):
    rest = ep.split("://", 1)[1]
    host, port = rest.rsplit(":", 1)
    host = host.strip("[]")
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    return fam, (host, int(port))


def tcp(ep, source=None):
    fam, a = addr(ep)
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(10)
    if source:
        s.bind((source, 0))
    s.connect(a)
    return s


def echoes(s, data=b"ping"):
    """Whether s (an echo connection) echoes data back."""
    s.sendall(data)
    got = b""
    try:
        while len(got) < len(data):
            chunk = s.recv(len(data) - len(got))
            if not chunk:
                return False
            got += chunk
    except OSError:
        return False
    return got == data


def refused(s):
    """Whether the server closed s at once without serving it."""
    try:
        s.sendall(b"x")
        return s.recv(16) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True


def stop(srv, sig=signal.SIGTERM):
    """Stop by signal; returns the exit status."""
    srv.proc.send_signal(sig)
    return srv.proc.wait(timeout=15)


# A tutorial-style probe of every default endpoint, run inside the
# namespace; prints a JSON object {service: reply-ok}.
PROBE = r"""
import json, socket, struct, time
def conn(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    return s
def until_eof(s, cap=4096):
    data = b""
    while len(data) < cap:
        c = s.recv(cap - len(data))
        if not c: break
        data += c
    return data
def udp(port, payload):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(5)
    u.sendto(payload, ("127.0.0.1", port)); return u.recvfrom(65536)[0]
r = {}
s = conn(65432); s.sendall(b"hello"); r["echo"] = s.recv(5) == b"hello"; s.close()
r["echo_udp"] = udp(65432, b"hi") == b"hi"
s = conn(12345); r["greet"] = s.recv(100).startswith(b"Thank you for connecting"); s.close()
s = conn(5555); s.sendall(b"e10isi pesan."); r["caesar"] = s.recv(100) == b"scs zockx."; s.close()
s = conn(7009); s.sendall(b"x" * 100); s.shutdown(socket.SHUT_WR); r["discard"] = until_eof(s) == b""
s = conn(7013); r["daytime"] = until_eof(s).endswith(b"\r\n")
r["daytime_udp"] = udp(7013, b"x").endswith(b"\r\n")
s = conn(7017); r["qotd"] = 0 < len(until_eof(s)) < 512
r["qotd_udp"] = 0 < len(udp(7017, b"x")) < 512
s = conn(7019); d = s.recv(74); r["chargen"] = len(d) > 0; s.close()
s = conn(7037); t = until_eof(s)
r["time"] = len(t) == 4 and abs(struct.unpack("!I", t)[0] - 2208988800 - time.time()) < 600
r["time_udp"] = len(udp(7037, b"")) == 4
print(json.dumps(r))
"""


@needs_netns
def test_no_arguments_serves_every_default_then_stops_on_sigterm(server, tmp_path):
    srv = start(server, tmp_path, count=len(DEFAULTS), netns=True)
    assert set(srv.endpoints) == DEFAULTS
    r = in_ns(srv, sys.executable, "-c", PROBE)
    assert r.returncode == 0, r.stderr
    results = json.loads(r.stdout)
    assert results and all(results.values()), results
    # sockit's own clients against the defaults, with no endpoint given.
    r = in_ns(srv, SOCKIT, "caesar", "encrypt", "10", "isi pesan")
    assert r.returncode == 0 and r.stdout.strip() == b"scs zockx"
    assert stop(srv) == 0
    text = log(srv)
    assert "signal 15: shutting down" in text
    assert " error " not in text


@needs_netns
def test_udp_flag_adds_chargen_udp_default(server, tmp_path):
    srv = start(server, tmp_path, "--udp", "chargen", count=2, netns=True)
    assert set(srv.endpoints) == {("tcp://127.0.0.1:7019", "chargen"),
                                  ("udp://127.0.0.1:7019", "chargen")}
    r = in_ns(srv, sys.executable, "-c",
              "import socket; u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);"
              "u.settimeout(5); u.sendto(b'x' * 80, ('127.0.0.1', 7019));"
              "print(len(u.recvfrom(65536)[0]))")
    assert r.returncode == 0 and int(r.stdout) == 80      # never larger
    assert stop(srv) == 0


@pytest.mark.parametrize("args", [
    ["chargen", "udp://127.0.0.1:0"],
    ["chargen", "tcp://127.0.0.1:0", "udp://[::1]:0"],
    ["caesar", "udp://127.0.0.1:0"],
    ["greet", "udp://127.0.0.1:0"],
])
def test_datagram_endpoint_refused_when_off_or_stream_only(args):
    r = sockit("serve", *args, timeout=10)
    assert r.returncode == 2
    assert r.stdout == b""                         # nothing was announced
    err = r.stderr.decode()
    assert err.count("\n") == 1 and err.startswith("sockit serve: ")
    assert ("add --udp" in err) if args[0] == "chargen" else ("no datagram side" in err)


def test_config_udp_chargen_needs_udp_yes(tmp_path):
    conf = tmp_path / "c.conf"
    conf.write_text("service echo\nlisten tcp://127.0.0.1:0\n\n"
                    "service chargen\nlisten udp://127.0.0.1:0\n")
    r = sockit("serve", "-c", str(conf))
    assert r.returncode == 2
    assert r.stderr.decode() == (f"sockit serve: {conf}:4: chargen: udp://127.0.0.1:0: "
                                 "chargen over UDP is off unless asked (add 'udp yes' "
                                 "to the block)\n")


def test_config_several_services_on_port_0(server, tmp_path):
    conf = tmp_path / "sockit.conf"
    conf.write_text(
        "# several services, ephemeral ports\nthreads 2\nidle-timeout 30\n\n"
        "service echo\nlisten tcp://127.0.0.1:0 udp://127.0.0.1:0\n\n"
        "service greet\nlisten tcp://127.0.0.1:0\nbanner Hello from the config\n\n"
        "service caesar\nlisten tcp://127.0.0.1:0\nmax-request 8\n\n"
        "service chargen\nlisten udp://127.0.0.1:0\nudp yes\n\n"
        "service time\nlisten tcp://127.0.0.1:0\n")
    srv = start(server, tmp_path, "-c", str(conf), count=6)
    eps = dict((s, e) for e, s in srv.endpoints if e.startswith("tcp://"))
    assert [s for _, s in srv.endpoints] == ["echo", "echo", "greet", "caesar",
                                             "chargen", "time"]
    r = sockit("echo", eps["echo"], "over tcp")
    assert r.returncode == 0 and r.stdout.strip() == b"over tcp"
    r = sockit("echo", srv.endpoint("udp://127.0.0.1"), "over udp")
    assert r.returncode == 0 and b"over udp" in r.stdout
    r = sockit("greet", eps["greet"], "--reply", "thanks")
    assert r.returncode == 0 and b"Hello from the config" in r.stdout
    r = sockit("caesar", eps["caesar"], "encrypt", "1", "abc")
    assert r.returncode == 0 and r.stdout.strip() == b"bcd"
    r = sockit("caesar", eps["caesar"], "encrypt", "1", "far too long")   # max-request 8
    assert r.returncode == 1 and b"error:" in r.stderr
    r = sockit("time", eps["time"])
    assert r.returncode == 0
    assert stop(srv) == 0


def test_bad_config_exits_2_naming_line_and_binds_nothing(tmp_path):
    # The port in the file's first block is held by this test: had the
    # server tried to bind before checking the whole file, it would fail
    # with "Address already in use" (status 1) instead.
    held = socket.socket()
    held.bind(("127.0.0.1", 0))
    held.listen()
    port = held.getsockname()[1]
    sock = tmp_path / "never.sock"
    conf = tmp_path / "bad.conf"
    conf.write_text(f"service echo\nlisten tcp://127.0.0.1:{port} unix:{sock}\n"
                    "\nservice greet\nbanner hi\nbannr typo\n")
    try:
        r = sockit("serve", "-c", str(conf))
    finally:
        held.close()
    assert r.returncode == 2
    assert r.stdout == b""
    assert r.stderr.decode() == f"sockit serve: {conf}:6: unknown setting 'bannr'\n"
    assert not sock.exists()


@pytest.mark.parametrize("text,line,what", [
    ("service ecko\n", 1, "unknown service 'ecko'"),
    ("service echo\nlisten tcp://127.0.0.1:70000\n", 2, "70000"),
    ("max-conn many\nservice echo\n", 1, "max-conn 'many'"),
    ("service echo\nper-ip 3\n", 2, "'per-ip' is a global setting"),
    ("threads 2\n", 1, "no service blocks"),
    ("service greet\nbanner " + "x" * 5000 + "\n", 2, "line longer than 4096 bytes"),
], ids=["service", "endpoint", "number", "misplaced", "no-blocks", "long-line"])
def test_bad_config_errors(tmp_path, text, line, what):
    conf = tmp_path / "bad.conf"
    conf.write_text(text)
    r = sockit("serve", "-c", str(conf))
    err = r.stderr.decode()
    assert r.returncode == 2 and r.stdout == b""
    assert err.startswith(f"sockit serve: {conf}:{line}: ") and what in err
    assert err.count("\n") == 1


def test_max_conn_refuses_excess_and_keeps_serving(server, tmp_path):
    srv = start(server, tmp_path, "--threads", "1", "--max-conn", "2",
                "echo", "tcp://127.0.0.1:0")
    ep = srv.endpoint()
    a, b = tcp(ep), tcp(ep)
    assert echoes(a) and echoes(b)
    c = tcp(ep)
    assert refused(c)
    assert echoes(a, b"still here") and echoes(b, b"me too")
    # Once one closes, a new client is served again.  a's FIN reaches the
    # server before b's bytes, so by b's echo the server has seen it.
    a.close()
    assert echoes(b, b"after close")
    d = tcp(ep)
    assert echoes(d)
    for s in (b, c, d):
        s.close()
    assert stop(srv) == 0
    text = log(srv)
    assert text.count("refused: too many connections (--max-conn)") == 1


def test_per_ip_limit_counts_each_address(server, tmp_path):
    srv = start(server, tmp_path, "--per-ip", "1", "echo", "tcp://127.0.0.1:0")
    ep = srv.endpoint()
    a = tcp(ep, source="127.0.0.1")
    assert echoes(a)
    b = tcp(ep, source="127.0.0.1")
    assert refused(b)
    c = tcp(ep, source="127.0.0.2")          # another address: its own budget
    assert echoes(c)
    assert echoes(a, b"a still served")
    for s in (a, b, c):
        s.close()
    assert stop(srv) == 0
    text = log(srv)
    assert "peer=127.0.0.1" in text
    assert text.count("refused: too many connections from this address (--per-ip)") == 1


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_stops_cleanly_closing_connections(server, tmp_path, sig):
    srv = start(server, tmp_path, "--threads", "2", "echo", "tcp://127.0.0.1:0",
                "unix:" + str(tmp_path / "e.sock"), count=2)
    a = tcp(srv.endpoint("tcp://"))
    assert echoes(a)
    assert stop(srv, sig) == 0
    assert a.recv(16) == b""                 # the server closed it
    a.close()
    text = log(srv)
    assert f"signal {int(sig)}: shutting down" in text
    assert "closed: server shutting down" in text
    assert not (tmp_path / "e.sock").exists()  # its socket file removed


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_signal_right_after_readiness_is_handled(server, tmp_path, sig):
    # Readiness means the signals are already handled: none is fatal.
    srv = start(server, tmp_path, "--threads", "2", "echo", "tcp://127.0.0.1:0")
    srv.proc.send_signal(sig)
    if sig == signal.SIGHUP:
        a = tcp(srv.endpoint())
        assert echoes(a)
        a.close()
    assert stop(srv) == 0


def test_sighup_does_not_kill_or_drop_connections(server, tmp_path):
    srv = start(server, tmp_path, "echo", "tcp://127.0.0.1:0")
    a = tcp(srv.endpoint())
    assert echoes(a)
    srv.proc.send_signal(signal.SIGHUP)
    # The signal is handled on the loop; an echo round trip after it has
    # been sent shows the server alive, and the established client kept.
    assert echoes(a, b"after hup")
    b = tcp(srv.endpoint())
    assert echoes(b)
    assert srv.proc.poll() is None
    a.close()
    b.close()
    assert stop(srv) == 0
    assert "SIGHUP: ignored" in log(srv)


def proc_ids(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return [int(x) for x in line.split()[1:]]
    raise KeyError(field)


@pytest.mark.skipif(not IS_ROOT, reason="dropping privileges needs root")
def test_user_drops_privileges_and_still_serves(server, tmp_path):
    nobody = pwd.getpwnam("nobody")
    srv = start(server, tmp_path, "--user", "nobody", "--threads", "2",
                "echo", "tcp://127.0.0.1:0")
    pid = srv.proc.pid
    assert proc_ids(pid, "Uid") == [nobody.pw_uid] * 4
    assert proc_ids(pid, "Gid") == [nobody.pw_gid] * 4
    with open(f"/proc/{pid}/status") as f:
        groups = [line for line in f if line.startswith("Groups:")][0]
    assert groups.split() == ["Groups:"]
    a = tcp(srv.endpoint())
    assert echoes(a, b"served as nobody")
    a.close()
    assert stop(srv) == 0


def test_unknown_user_is_usage_error():
    r = sockit("serve", "--user", "no-such-user-xq", "echo", "tcp://127.0.0.1:0")
    assert r.returncode == 2 and r.stdout == b""
    assert r.stderr == b"sockit serve: user 'no-such-user-xq': no such user\n"


@pytest.mark.parametrize("args,names", [
    (["nosuch"], "unknown service 'nosuch'"),
    (["--frobnicate"], "unknown option '--frobnicate'"),
    (["--max-conn"], "needs a value"),
    (["--threads", "0", "echo"], "threads"),
    (["--idle-timeout", "nan", "echo"], "idle-timeout 'nan'"),
    (["echo", "tcp://127.0.0.1:99999"], "99999"),
    (["-c", "/nonexistent/sockit.conf"], "/nonexistent/sockit.conf: No such file"),
    (["-c", "/dev/null", "echo"], "-c FILE takes no SERVICE arguments"),
])
def test_usage_errors_exit_2_one_line(args, names):
    r = sockit("serve", *args, timeout=10)
    err = r.stderr.decode()
    assert r.returncode == 2 and r.stdout == b""
    # "sockit serve: ..." or, for option errors (DESIGN.md), "sockit serve: ...".
    assert re.match(r"sockit serve: ", err) and err.count("\n") == 1 and names in err


def test_help_names_every_config_key():
    r = sockit("serve", "--help")
    assert r.returncode == 0 and r.stderr == b""
    text = r.stdout.decode()
    for key in ("threads", "max-conn", "per-ip", "idle-timeout", "max-queue",
                "user", "service NAME", "listen EP", "banner", "quotes",
                "max-request", "read-timeout", "udp", "SIGHUP",
                "docs/serve-config.md"):
        assert key in text, key
    assert "%%" not in text           # printed with fputs, not printf


# ---------------------------------------------------------------- SIGHUP reload

def more_ready(srv, count, timeout=15):
    """Read count more readiness lines from a running server's stdout."""
    import re
    import select
    import time
    pat = re.compile(r"^listening (\S+) (\S+)")
    found, buf = [], srv.extra
    deadline = time.monotonic() + timeout
    while True:
        while b"\n" in buf and len(found) < count:
            line, buf = buf.split(b"\n", 1)
            m = pat.match(line.decode(errors="replace"))
            if m:
                found.append((m.group(1), m.group(2)))
        if len(found) == count:
            srv.extra = buf
            return found
        left = deadline - time.monotonic()
        assert left > 0, f"no readiness line after reload: {log(srv)}"
        ready, _, _ = select.select([srv.proc.stdout], [], [], left)
        if ready:
            chunk = os.read(srv.proc.stdout.fileno(), 4096)
            assert chunk, f"server exited: {log(srv)}"
            buf += chunk


def wait_log(srv, text, timeout=15):
    """Wait (bounded) until the server's log has text: the only sign a
    failed reload gives."""
    import time
    deadline = time.monotonic() + timeout
    while text not in log(srv):
        assert time.monotonic() < deadline, f"no {text!r} in log: {log(srv)}"
        time.sleep(0.01)


def recv_all(s):
    data = b""
    while True:
        c = s.recv(4096)
        if not c:
            return data
        data += c


def test_sighup_reloads_config_keeping_connections(server, tmp_path):
    conf = tmp_path / "sockit.conf"
    usock = tmp_path / "echo.sock"
    conf.write_text(
        "threads 2\n"
        f"service echo\nlisten tcp://127.0.0.1:0 unix:{usock}\n"
        "service greet\nlisten tcp://127.0.0.1:0\nbanner first banner\n"
        "service discard\nlisten tcp://127.0.0.1:0\n")
    srv = start(server, tmp_path, "-c", str(conf), count=4)
    eps = {}
    for ep, svc in srv.endpoints:
        eps.setdefault(svc, ep)
    held = tcp(eps["echo"])                    # established before the reload
    uheld = socket.socket(socket.AF_UNIX)
    uheld.settimeout(10)
    uheld.connect(str(usock))
    assert echoes(held) and echoes(uheld)
    g = tcp(eps["greet"])                      # greeted under the old banner
    assert g.recv(100).startswith(b"first banner")

    # echo keeps its TCP endpoint (port 0: same text) and drops the UNIX
    # one; greet changes its banner; discard goes; daytime comes.
    conf.write_text(
        "threads 2\n"
        "service echo\nlisten tcp://127.0.0.1:0\n"
        "service greet\nlisten tcp://127.0.0.1:0\nbanner second banner\n"
        "service daytime\nlisten tcp://127.0.0.1:0\n")
    srv.proc.send_signal(signal.SIGHUP)
    (added, svc), = more_ready(srv, 1)
    assert svc == "daytime"

    assert echoes(held, b"still echoing") and echoes(uheld, b"unix too")
    fresh = tcp(eps["echo"])                   # same port, still listening
    assert echoes(fresh)
    g2 = tcp(eps["greet"])
    assert g2.recv(100).startswith(b"second banner")
    g.close()
    g2.close()
    d = tcp(added)
    assert recv_all(d).endswith(b"\r\n")
    d.close()
    with pytest.raises(OSError):               # discard no longer listens
        tcp(eps["discard"])
    assert not usock.exists()                  # the removed UNIX listener
    for s in (held, uheld, fresh):
        s.close()

    # A bad file is logged and changes nothing; a later good one applies
    # (its readiness line shows both signals have been handled).
    conf.write_text("service echo\nlisten tcp://127.0.0.1:0\nbannr x\n")
    srv.proc.send_signal(signal.SIGHUP)
    wait_log(srv, "SIGHUP: reload failed")
    conf.write_text("threads 2\nservice echo\nlisten tcp://127.0.0.1:0\n"
                    "service time\nlisten tcp://127.0.0.1:0\n")
    srv.proc.send_signal(signal.SIGHUP)
    (tep, svc), = more_ready(srv, 1)
    assert svc == "time"
    assert echoes(tcp(eps["echo"]))
    assert stop(srv) == 0
    text = log(srv)
    assert "SIGHUP: reloaded: 2 endpoints kept, 1 added, 2 closed" in text
    assert f"SIGHUP: reload failed, running set kept: {conf}:3: unknown setting 'bannr'" in text
    assert "SIGHUP: reloaded: 1 endpoints kept, 1 added, 2 closed" in text


def test_sighup_reload_that_cannot_bind_keeps_running_set(server, tmp_path):
    held = socket.socket()
    held.bind(("127.0.0.1", 0))
    held.listen()
    busy = held.getsockname()[1]
    conf = tmp_path / "sockit.conf"
    conf.write_text("threads 2\nservice echo\nlisten tcp://127.0.0.1:0\n")
    srv = start(server, tmp_path, "-c", str(conf))
    ep = srv.endpoint()
    # A new free endpoint and a busy one: all or nothing, so neither.
    conf.write_text("threads 2\nservice echo\nlisten tcp://127.0.0.1:0\n"
                    "service daytime\nlisten tcp://127.0.0.1:0\n"
                    f"service time\nlisten tcp://127.0.0.1:{busy}\n")
    srv.proc.send_signal(signal.SIGHUP)
    wait_log(srv, "SIGHUP: reload failed")
    conf.write_text("threads 2\nservice echo\nlisten tcp://127.0.0.1:0\n"
                    "service qotd\nlisten tcp://127.0.0.1:0\n")
    srv.proc.send_signal(signal.SIGHUP)
    (_, svc), = more_ready(srv, 1)             # only the good reload's line
    assert svc == "qotd"
    held.close()
    assert echoes(tcp(ep))
    assert stop(srv) == 0
    text = log(srv)
    assert "SIGHUP: reload failed, running set kept:" in text
    assert "Address already in use" in text


def test_cli_limits_apply_over_config(server, tmp_path):
    conf = tmp_path / "sockit.conf"
    conf.write_text("max-conn 100\nservice echo\nlisten tcp://127.0.0.1:0\n")
    srv = start(server, tmp_path, "--max-conn", "1", "--threads", "1", "-c", str(conf))
    a = tcp(srv.endpoint())
    assert echoes(a)
    assert refused(tcp(srv.endpoint()))
    a.close()
    assert stop(srv) == 0


def test_sighup_same_file_keeps_everything(server, tmp_path):
    conf = tmp_path / "sockit.conf"
    conf.write_text("threads 2\nservice echo\nlisten tcp://127.0.0.1:0 udp://127.0.0.1:0\n")
    srv = start(server, tmp_path, "-c", str(conf), count=2)
    a = tcp(srv.endpoint("tcp://"))
    assert echoes(a)
    srv.proc.send_signal(signal.SIGHUP)
    wait_log(srv, "SIGHUP: reloaded: 2 endpoints kept, 0 added, 0 closed")
    assert echoes(a, b"unchanged")
    r = sockit("echo", srv.endpoint("udp://"), "dgram")
    assert r.returncode == 0 and b"dgram" in r.stdout
    a.close()
    assert stop(srv) == 0
