"""A test bed for chat clusters: a namespace running its own redis-server
and three "host" namespaces, each joined to it by a veth pair, each
running one `sockit serve chat --cluster` node that listens on a unix
socket (reachable from the test's own namespace through the file
system).  Names start with `cluster-`; everything is stopped by PID and
deleted when the bed closes."""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from chat_util import Irc
from conftest import SOCKIT, Server

HAVE_REDIS = shutil.which("redis-server") is not None
IS_ROOT = os.geteuid() == 0


def ip(*args, check=True):
    return subprocess.run(["ip", *args], check=check, capture_output=True, timeout=20)


class UIrc(Irc):
    """The raw IRC client over a unix socket (a node's endpoint)."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(20)
        self.sock.connect(path)
        self.buf = b""
        self.lines = []
        self.closed = False


class Bed:
    PORT = 6390          # inside the bed's own redis namespace: no one else there
    made = 0             # beds made by this process: unique names

    def __init__(self, nodes=("a", "b", "c"), ttl="1.5s", extra=(), redis_args=()):
        Bed.made += 1
        tag = f"{os.getpid() % 100000}-{Bed.made}"
        self.ns_r = f"cluster-{tag}-r"
        self.ns = {n: f"cluster-{tag}-{n}" for n in nodes}
        self.dir = tempfile.mkdtemp(prefix="cluster-")
        self.redis = None
        self.nodes = {}
        self.addr = {}
        self.ttl = ttl
        self.extra = list(extra)
        self.redis_args = list(redis_args)
        try:
            self._build(nodes)
        except BaseException:
            self.close()
            raise

    def _build(self, nodes):
        ip("netns", "add", self.ns_r)
        ip("-n", self.ns_r, "link", "set", "lo", "up")
        for i, n in enumerate(nodes, 1):
            ns = self.ns[n]
            ip("netns", "add", ns)
            ip("-n", ns, "link", "set", "lo", "up")
            ip("-n", self.ns_r, "link", "add", f"r{n}", "type", "veth",
               "peer", "name", "eth0", "netns", ns)
            ip("-n", self.ns_r, "addr", "add", f"10.77.{i}.1/24", "dev", f"r{n}")
            ip("-n", ns, "addr", "add", f"10.77.{i}.2/24", "dev", "eth0")
            ip("-n", self.ns_r, "link", "set", f"r{n}", "up")
            ip("-n", ns, "link", "set", "eth0", "up")
            self.addr[n] = f"10.77.{i}.1"
        self.start_redis()

    def start_redis(self):
        args = ["ip", "netns", "exec", self.ns_r, "redis-server", "--port",
                str(self.PORT), "--bind", "0.0.0.0", "--protected-mode", "no",
                "--save", "", "--appendonly", "no", "--dir", self.dir, *self.redis_args]
        self.redis_log = open(os.path.join(self.dir, "redis.log"), "ab")
        self.redis = subprocess.Popen(args, stdout=self.redis_log,
                                      stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            r = subprocess.run(["ip", "netns", "exec", self.ns_r, "redis-cli", "-p",
                                str(self.PORT), "ping"], capture_output=True, timeout=10)
            if r.stdout.strip() == b"PONG":
                return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not answer PING")

    def stop_redis(self):
        if self.redis and self.redis.poll() is None:
            self.redis.send_signal(signal.SIGTERM)
            self.redis.wait(10)
        self.redis = None
        if getattr(self, "redis_log", None):
            self.redis_log.close()
            self.redis_log = None

    def commandstats(self):
        """Redis's calls per command ({"publish": N, ...})."""
        out = {}
        for ln in self.redis_cli("INFO", "commandstats").splitlines():
            if ln.startswith("cmdstat_") and "calls=" in ln:
                name, rest = ln[len("cmdstat_"):].split(":", 1)
                out[name] = int(rest.split("calls=")[1].split(",")[0])
        return out

    def redis_cli(self, *args):
        r = subprocess.run(["ip", "netns", "exec", self.ns_r, "redis-cli", "-p",
                            str(self.PORT), *args], capture_output=True, timeout=10)
        return r.stdout.decode()

    def start_node(self, n, *opts, tcp=False):
        """Node n on a unix socket (and, with tcp, on 127.0.0.1:0 inside
        its namespace, for a client run there)."""
        path = os.path.join(self.dir, f"{n}.sock")
        if os.path.exists(path):
            os.unlink(path)
        eps = [f"unix:{path}"] + (["tcp://127.0.0.1:0"] if tcp else [])
        args = ["ip", "netns", "exec", self.ns[n], SOCKIT, "serve", "--threads", "1",
                "--node-name", n.upper(), "--cluster-ttl", self.ttl, "--cluster",
                f"redis://{self.addr[n]}:{self.PORT}", *self.extra, *opts,
                "chat", *eps]
        srv = Server(args, len(eps), timeout=20)
        self.nodes[n] = srv
        # Ready for clients once the link is up (logged by the node).
        deadline = time.monotonic() + 15
        while "redis link up" not in srv.log():
            if time.monotonic() > deadline:
                raise RuntimeError(f"node {n}: no redis link: {srv.log()}")
            time.sleep(0.02)
        return srv

    def client(self, n):
        return UIrc(os.path.join(self.dir, f"{n}.sock"))

    def close(self):
        logs = {}
        for n, srv in self.nodes.items():
            logs[n] = srv.stop()
        self.stop_redis()
        for ns in [self.ns_r, *self.ns.values()]:
            ip("netns", "del", ns, check=False)
        shutil.rmtree(self.dir, ignore_errors=True)
        return logs


def names(c, chan):
    """The nicks NAMES shows for chan (prefixes stripped)."""
    c.send(f"NAMES {chan}")
    got = []
    while True:
        m, _ = c.expect(r" (353|366) ")
        ln = c.lines[-1]
        if m.group(1) == "366":
            return got
        got += [x.lstrip("@+") for x in ln.split(" :", 1)[1].split()]


def wait_names(c, chan, want, timeout=15):
    """Poll NAMES until it holds every nick in want (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        got = names(c, chan)
        if set(want) <= set(got):
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"NAMES {chan}: {got}, want {want}")
        time.sleep(0.05)
