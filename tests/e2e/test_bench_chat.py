"""sockit bench chat: N IRC clients in one channel, S senders, every
delivery checked; against sockit serve chat, a real ngircd, and a fake
IRC server that swallows one message."""
import json
import shutil
import socket
import subprocess
import threading

import pytest

from chat_util import Ngircd, start_chat
from conftest import SOCKIT


def bench(port, *args, timeout=120):
    return subprocess.run([SOCKIT, "bench", "-q", *args, f"tcp://127.0.0.1:{port}",
                           "chat"], capture_output=True, text=True, timeout=timeout)


def test_against_sockit_text_and_json(server):
    srv = server(SOCKIT, "serve", "--no-flood-limit", "chat", "tcp://127.0.0.1:0")
    port = srv.hostport()[1]
    r = bench(port, "-c", "20", "--senders", "3", "-d", "0.5", "-s", "75")
    assert r.returncode == 0, r.stderr
    assert "20 clients, 3 senders, 75-byte lines" in r.stdout
    assert "/s (" in r.stdout and "latency      p50" in r.stdout and "p99 " in r.stdout
    assert "errors       0" in r.stdout
    r = bench(port, "--json", "-c", "10", "--senders", "2", "-d", "0.3",
              "--channel", "#other", "--nick-prefix", "q")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 1
    doc = json.loads(lines[0])
    assert doc["mode"] == "chat" and doc["channel"] == "#other"
    assert doc["clients"] == 10 and doc["senders"] == 2
    assert doc["deliveries"] > 0 and doc["deliveries_per_s"] > 0
    assert doc["errors"]["total"] == 0
    # Every message reached every other member: 2 senders, 9 receivers each.
    assert set(doc["latency_us"]) >= {"p50", "p90", "p99", "p99_9", "max"}
    assert doc["messages"] > 0


@pytest.mark.skipif(not shutil.which("ngircd"), reason="ngircd is installed by install-deps.sh check")
def test_against_ngircd(tmp_path):
    ng = Ngircd(tmp_path, flood=False)
    try:
        # ngircd allows 5 connections per IP by default; bench's probe
        # connection may not be gone yet, so 4 clients.  ngircd drops a
        # client whose pending output passes 32 KiB ("Write buffer space
        # exhausted"), so the senders stay 100 lines (2 x 8 KiB) ahead, not
        # the default 500: a member that reads late on a loaded machine
        # must not be disconnected by the peer under test.
        r = bench(ng.port, "--json", "-c", "4", "--senders", "2", "-d", "0.5",
                  "--window", "100")
    finally:
        ng.stop()
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["deliveries"] > 0 and doc["errors"]["total"] == 0


class SwallowingIrc:
    """A tiny IRC server: registers, joins, relays channel PRIVMSGs to the
    other members, but drops the PRIVMSG number `drop` (counting from 0)."""

    def __init__(self, drop):
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(64)
        self.port = self.lsock.getsockname()[1]
        self.drop, self.count = drop, 0
        self.lock = threading.Lock()
        self.members = []
        self.stopped = False
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while not self.stopped:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            threading.Thread(target=self.client, args=(c,), daemon=True).start()

    def client(self, c):
        buf, nick = b"", "?"
        c.settimeout(60)
        try:
            while True:
                data = c.recv(65536)
                if not data:
                    return
                buf += data
                while b"\r\n" in buf:
                    line, buf = buf.split(b"\r\n", 1)
                    words = line.split(b" ")
                    if words[0] == b"NICK":
                        nick = words[1].decode()
                    elif words[0] == b"USER":
                        c.sendall(f":fake 001 {nick} :hi\r\n".encode())
                    elif words[0] == b"JOIN":
                        with self.lock:
                            self.members.append(c)
                        c.sendall(f":fake 366 {nick} #bench :End\r\n".encode())
                    elif words[0] == b"PRIVMSG":
                        self.relay(c, f":{nick}!u@h ".encode() + line + b"\r\n")
        except OSError:
            return

    def relay(self, sender, out):
        with self.lock:
            n, self.count = self.count, self.count + 1
            if n == self.drop:
                return
            for m in self.members:
                if m is not sender:
                    m.sendall(out)

    def close(self):
        self.stopped = True
        self.lsock.close()


@pytest.mark.parametrize("drop", [5, 0])
def test_a_server_that_loses_a_message_fails_the_run(drop):
    fake = SwallowingIrc(drop)
    try:
        r = bench(fake.port, "-c", "3", "-d", "0.3", "--window", "20", "--timeout", "1s")
    finally:
        fake.close()
    assert r.returncode == 1, r.stdout + r.stderr
    assert "sockit bench: chat:" in r.stderr and "lost" in r.stderr
    if drop:
        # A gap: message 5 missing between 4 and 6, seen by each receiver.
        assert "got message 6 of b0, expected 5: 1 lost" in r.stderr
    else:
        assert "expected 0: 1 lost" in r.stderr
    assert "lost=" in r.stdout


def test_bad_usage_exits_2():
    for args, msg in [(["--senders", "5", "-c", "5"], "more clients"),
                      (["--channel", "nohash"], "bad channel"),
                      (["--channel", "#a b"], "bad channel"),
                      (["--nick-prefix", "9x"], "bad nick prefix"),
                      (["-s", "10"], "lines (-s)"),
                      (["-n", "10"], "no -n"),
                      (["-t", "2"], "one thread"),
                      (["--senders", "x"], "senders")]:
        r = subprocess.run([SOCKIT, "bench", *args, "tcp://127.0.0.1:1", "chat"],
                           capture_output=True, text=True, timeout=20)
        assert r.returncode == 2 and msg in r.stderr, (args, r.stderr)


def test_refused_exits_1():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    r = bench(port, "-c", "2")
    assert r.returncode == 1 and "Connection refused" in r.stderr


def test_interrupt_reports_what_was_measured(server):
    import signal
    srv = server(SOCKIT, "serve", "--no-flood-limit", "chat", "tcp://127.0.0.1:0")
    port = srv.hostport()[1]
    p = subprocess.Popen([SOCKIT, "bench", "-c", "5", "-d", "10m", f"127.0.0.1:{port}",
                          "chat"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = p.stderr.readline()          # the first progress line: running
        assert "deliveries/s" in line, line
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, err
    assert "5 clients, 1 sender" in out and "errors       0" in out
