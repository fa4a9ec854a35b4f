"""Shared helpers for the end-to-end suite: real processes on port 0.

Every server is started with port 0 and the test reads the address it
really bound from its readiness line (`listening tcp://127.0.0.1:40123
echo`), so there are no fixed ports and no sleeps.  Every process a test
starts is stopped by PID when the test ends.
"""
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("SOCKIT_BUILD", os.path.join(ROOT, "build"))
SOCKIT = os.path.join(BUILD, "sockit")
EXAMPLES = os.path.join(BUILD, "examples")
HELPERS = os.path.join(BUILD, "tests", "helpers")
SANITIZED = os.environ.get("SOCKIT_SAN") == "1"

READY = re.compile(r"^listening (\S+) (\S+)")


def run(args, input=None, timeout=20, **kw):
    """Run a command to completion; returns CompletedProcess (bytes)."""
    return subprocess.run(args, input=input, capture_output=True,
                          timeout=timeout, **kw)


def sockit(*args, input=None, timeout=20):
    return run([SOCKIT, *args], input=input, timeout=timeout)


class Server:
    """A server process and the endpoints it announced."""

    def __init__(self, args, count, timeout=10, env=None, stderr=None, preexec_fn=None):
        # stderr goes to a file, never a pipe: a server logging one line per
        # connection would block once an unread pipe filled up.
        self.errfile = tempfile.TemporaryFile()
        self.stopped = None
        # Its own process group, so that a stop can kill everything it
        # left behind (stop_process).
        self.proc = subprocess.Popen(
            args, stdout=subprocess.PIPE,
            stderr=stderr if stderr is not None else self.errfile,
            stdin=subprocess.DEVNULL, env=env, start_new_session=True,
            preexec_fn=preexec_fn)
        self.endpoints = []      # [(endpoint, service)]
        self.extra = b""
        deadline = time.monotonic() + timeout
        buf = b""
        while len(self.endpoints) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                self.stop()
                raise RuntimeError(f"{args}: no readiness line in {timeout}s")
            ready, _, _ = select.select([self.proc.stdout], [], [], left)
            if not ready:
                continue
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                err = self.stop()
                raise RuntimeError(f"{args}: exited before ready: {err!r}")
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                m = READY.match(line.decode(errors="replace"))
                if m:
                    self.endpoints.append((m.group(1), m.group(2)))
        self.extra = buf

    def endpoint(self, prefix=""):
        """The first announced endpoint starting with prefix."""
        for ep, _ in self.endpoints:
            if ep.startswith(prefix):
                return ep
        raise KeyError(prefix)

    def hostport(self, prefix="tcp://"):
        ep = self.endpoint(prefix)
        rest = ep.split("://", 1)[1]
        host, port = rest.rsplit(":", 1)
        return host.strip("[]"), int(port)

    def log(self):
        """What the server has written to stderr so far."""
        self.errfile.seek(0)
        return self.errfile.read().decode(errors="replace")

    def stop(self, sig=signal.SIGTERM, timeout=10):
        """Stop the process by PID (once); returns its stderr text."""
        if self.stopped is not None:
            return self.stopped
        self.status = stop_process(self.proc, sig, timeout)
        self.stopped = self.log()
        self.errfile.close()
        self.proc.stdout.close()
        return self.stopped


def stop_process(proc, sig=signal.SIGTERM, timeout=10):
    """Stop proc: send sig to its PID, wait up to timeout seconds, then
    SIGKILL its process group when it leads one (start_new_session: an
    ASan build's LeakSanitizer tracer is a task of its own in that group)
    or else the PID, and always reap it, the wait bounded too.  Returns
    the exit status, or None when it had to be killed (a stop that needs
    SIGKILL is a bug worth seeing, so it is reported on stderr)."""
    if proc.poll() is not None:
        return proc.returncode
    try:
        proc.send_signal(sig)
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        pass
    print(f"conftest: pid {proc.pid} still running {timeout}s after "
          f"signal {int(sig)}: killed", file=sys.stderr)
    try:
        if os.getpgid(proc.pid) == proc.pid:
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        print(f"conftest: pid {proc.pid} not reaped 10s after SIGKILL",
              file=sys.stderr)
    return None


@pytest.fixture
def server():
    """Factory fixture: server(args..., count=N) starts and tracks servers."""
    started = []

    def start(*args, count=1, **kw):
        s = Server(list(args), count, **kw)
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()


def free_unix_path(tmp_path, name="s.sock"):
    return str(tmp_path / name)
