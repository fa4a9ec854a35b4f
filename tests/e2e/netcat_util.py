"""Helpers for the connect/listen/relay tests: small python peers written
for each case, sockit processes that announce their bound address on
stderr ("listening tcp://127.0.0.1:40123"), and bounded waits."""
import os
import re
import resource
import select
import socket
import subprocess
import threading
import time

from conftest import SOCKIT

LISTENING = re.compile(rb"^listening (\S+)", re.M)


class Proc:
    """A sockit (or peer) process whose stderr is read in the background."""

    def __init__(self, args, stdin=subprocess.PIPE, stdout=subprocess.PIPE):
        self.p = subprocess.Popen(args, stdin=stdin, stdout=stdout,
                                  stderr=subprocess.PIPE)
        self.err = b""
        self.lock = threading.Lock()
        self.t = threading.Thread(target=self._drain, daemon=True)
        self.t.start()

    def _drain(self):
        for chunk in iter(lambda: self.p.stderr.read1(4096), b""):
            with self.lock:
                self.err += chunk

    def wait_err(self, pattern, timeout=10):
        """Wait until stderr matches pattern (bytes regex); the match."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                m = re.search(pattern, self.err, re.M)
            if m:
                return m
            if self.p.poll() is not None:
                time.sleep(0.05)
                with self.lock:
                    m = re.search(pattern, self.err, re.M)
                if m:
                    return m
                raise AssertionError(f"exited {self.p.returncode}: {self.err!r}")
            time.sleep(0.01)
        raise AssertionError(f"no {pattern!r} in {self.err!r}")

    def endpoint(self):
        return self.wait_err(rb"^listening (\S+)").group(1).decode()

    def finish(self, timeout=20):
        """Wait for exit; (rc, stdout bytes, stderr bytes)."""
        out = self.p.stdout.read() if self.p.stdout else b""
        rc = self.p.wait(timeout=timeout)
        self.t.join(timeout=5)
        return rc, out, self.err

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


def sockit_bg(*args, **kw):
    return Proc([SOCKIT, *args], **kw)


def host_port(ep):
    """('127.0.0.1', 40123) from tcp://127.0.0.1:40123."""
    rest = ep.split("://", 1)[1]
    host, port = rest.rsplit(":", 1)
    return host.strip("[]"), int(port)


class TcpServer:
    """A one-connection-at-a-time python server running handler(conn) in a
    thread for each client; listens on 127.0.0.1 port 0."""

    def __init__(self, handler, clients=1, family=socket.AF_INET, host="127.0.0.1"):
        self.s = socket.socket(family, socket.SOCK_STREAM)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.s.bind((host, 0))
        self.s.listen(64)
        self.s.settimeout(20)
        self.port = self.s.getsockname()[1]
        self.handler = handler
        self.results = []
        self.errors = []
        self.t = threading.Thread(target=self._run, args=(clients,), daemon=True)
        self.t.start()

    def _run(self, clients):
        try:
            for _ in range(clients):
                c, _ = self.s.accept()
                c.settimeout(20)
                with c:
                    self.results.append(self.handler(c))
        except Exception as e:  # reported by join()
            self.errors.append(e)
        finally:
            self.s.close()

    def join(self, timeout=20):
        self.t.join(timeout)
        assert not self.t.is_alive(), "server thread still running"
        assert not self.errors, self.errors
        return self.results


def recv_all(c):
    data = b""
    while True:
        b = c.recv(1 << 16)
        if not b:
            return data
        data += b


def closed_port():
    """A loopback TCP port nobody listens on (bound, then closed)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def closed_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def read_until(f, want, timeout=10):
    """Read from a pipe until want (bytes) appears; everything read."""
    data = b""
    deadline = time.monotonic() + timeout
    fd = f.fileno()
    while want not in data:
        left = deadline - time.monotonic()
        assert left > 0, f"no {want!r} in {data!r}"
        r, _, _ = select.select([fd], [], [], left)
        if r:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            data += chunk
    return data
