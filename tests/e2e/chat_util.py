"""Helpers for the chat tests: a raw-socket IRC client that waits on
lines (bounded), and starting `sockit serve chat` on port 0."""
import re
import socket
import time

from conftest import SOCKIT


class Irc:
    """One raw IRC (or line-mode) client over a real TCP socket."""

    def __init__(self, port, host="127.0.0.1", rcvbuf=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(20)
        self.sock.connect((host, port))
        self.buf = b""
        self.lines = []          # every line read, in order
        self.closed = False

    def send(self, *lines):
        data = b"".join((l if isinstance(l, bytes) else l.encode()) + b"\r\n"
                        for l in lines)
        self.sock.sendall(data)

    def send_raw(self, data):
        self.sock.sendall(data)

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            return False
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            self.closed = True
            return False
        self.buf += chunk
        return True

    def line(self, timeout=15):
        """The next line (without its ending), or None at EOF/timeout."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            if self.closed or not self._fill(deadline):
                return None
        raw, self.buf = self.buf.split(b"\n", 1)
        text = raw.rstrip(b"\r").decode(errors="replace")
        self.lines.append(text)
        return text

    def expect(self, pattern, timeout=15):
        """Read lines until one matches pattern (a regex); returns the
        match and the lines read before it.  Fails on EOF or timeout."""
        rx = re.compile(pattern)
        seen = []
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            ln = self.line(max(left, 0.01)) if left > 0 else None
            if ln is None:
                raise AssertionError(f"no line matching {pattern!r}; got {seen!r}")
            m = rx.search(ln)
            if m:
                return m, seen
            seen.append(ln)

    def until_eof(self, timeout=15):
        """Every line up to the server's close."""
        out = []
        while True:
            ln = self.line(timeout)
            if ln is None:
                if not self.closed:
                    raise AssertionError(f"no EOF in {timeout}s; got {out!r}")
                return out
            out.append(ln)

    def register(self, nick, user="u", real="Real Name"):
        """What irssi does: CAP LS 302, NICK, USER, CAP END; returns the
        lines up to the end of the MOTD (376 or 422)."""
        self.send("CAP LS 302", f"NICK {nick}", f"USER {user} 0 * :{real}", "CAP END")
        _, seen = self.expect(r" (376|422) ")
        return seen

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def start_chat(server, *opts, count=1):
    """`sockit serve [opts] chat tcp://127.0.0.1:0`; returns (srv, port)."""
    srv = server(SOCKIT, "serve", "--threads", "2", *opts, "chat",
                 "tcp://127.0.0.1:0", count=count)
    return srv, srv.hostport()[1]


def numerics(lines):
    """The numeric codes in a list of server lines, in order."""
    out = []
    for ln in lines:
        parts = ln.split(" ")
        if len(parts) > 1 and parts[1].isdigit():
            out.append(parts[1])
    return out


def free_port():
    """A port nobody listens on right now (for ngircd, which cannot be
    told port 0 and report it)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Ngircd:
    """A real ngircd on its own port with a temporary config, as the
    reference peer; stopped by PID."""

    def __init__(self, tmp_path, flood=True):
        import subprocess
        self.port = free_port()
        conf = tmp_path / "ngircd.conf"
        conf.write_text(
            "[Global]\nName = peer.test\nInfo = reference peer\n"
            f"Listen = 127.0.0.1\nPorts = {self.port}\nMotdPhrase = peer motd\n"
            "[Limits]\nPingTimeout = 120\nPongTimeout = 60\n"
            "[Options]\nPAM = no\nIdent = no\nDNS = no\n"
            + ("" if flood else "DefaultUserModes = F\n"))
        self.log = open(tmp_path / "ngircd.log", "wb")
        self.proc = subprocess.Popen(["ngircd", "-n", "-f", str(conf)],
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("ngircd did not start")
                time.sleep(0.05)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except Exception:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
