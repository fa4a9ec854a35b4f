"""Helpers for the systemd tests: a process whose stdout and stderr are
read by threads (so neither pipe can fill) and waited on line by line, and
a NOTIFY_SOCKET listener that receives sd_notify datagrams."""
import os
import re
import signal
import socket
import subprocess
import threading
import time


class Watched:
    """A process with both output streams collected as they come."""

    def __init__(self, args, env=None):
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=env)
        self.text = {"out": "", "err": ""}
        self.cond = threading.Condition()
        self.threads = [threading.Thread(target=self._read, args=(k, f), daemon=True)
                        for k, f in (("out", self.proc.stdout), ("err", self.proc.stderr))]
        for t in self.threads:
            t.start()

    def _read(self, key, f):
        for line in iter(f.readline, b""):
            with self.cond:
                self.text[key] += line.decode(errors="replace")
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_for(self, key, pattern, count=1, timeout=20):
        """Wait until pattern has matched count lines of stdout ("out") or
        stderr ("err"); returns the matches.  Fails on timeout or exit."""
        rx = re.compile(pattern, re.M)
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                found = rx.findall(self.text[key])
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None
                                 and not any(t.is_alive() for t in self.threads)):
                    raise AssertionError(f"no {pattern!r} in {key}: {self.text}")
                self.cond.wait(min(left, 0.5))

    def wait(self, timeout=20):
        """Wait for the process to exit by itself; returns its status."""
        return self.proc.wait(timeout)

    def stop(self, sig=signal.SIGTERM, timeout=10):
        """Signal the process by PID and wait; returns its exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for t in self.threads:
            t.join(5)
        return self.proc.returncode


class NotifyListener:
    """The service manager's end of sd_notify: a datagram socket at a path
    (or an abstract @name) whose messages are read with a timeout."""

    def __init__(self, address):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("\0" + address[1:] if address.startswith("@") else address)
        self.address = address

    def next(self, timeout=20):
        self.sock.settimeout(timeout)
        return self.sock.recv(4096).decode()

    def close(self):
        self.sock.close()
