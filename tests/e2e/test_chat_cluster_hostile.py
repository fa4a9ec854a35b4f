"""sockit serve chat --cluster against a hostile Redis: a fake server on
loopback (this file's FakeRedis) that answers a node's commands like
Redis would, then sends what a corrupt or malicious one could.  hiredis
0.14 callocs an array of whatever length a `*N` header says and fills it
as elements arrive (~72 bytes of memory per 4-byte `:1` element); sockit
refuses a reply of more than 2^20 array elements in all
(src/serve/redis_reply.c): the connection is dropped with one log line
and reconnects, memory stays bounded and clients keep being served."""
import os
import selectors
import socket
import threading
import time

import pytest

from chat_util import Irc, start_chat

CAP = 1 << 20
BOUND_KIB = 32 * 1024      # what the node may grow by while refusing


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))


def bulk(b):
    return b"$%d\r\n%s\r\n" % (len(b), b)


class FakeRedis:
    """Just enough of Redis for one chat node to register clients:
    classic pub/sub (the probe answers [nil]), nick claims always won.
    attack() sends bytes on the current subscriber connection (the one
    that sent COMMAND INFO) or command connection (the one that sent
    PING), from the server's own thread."""

    def __init__(self):
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(16)
        self.port = self.lsock.getsockname()[1]
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.lsock, selectors.EVENT_READ)
        self.bufs = {}
        self.sub = None
        self.cmd = None
        self.next_reply = None      # sent instead of the next command reply
        self.subscribers = 0        # subscriber connections seen
        self.pending = []           # attacks to send
        self.sent = []              # per attack: bytes sent before the close
        self.lock = threading.Lock()
        self.stopping = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def url(self):
        return f"redis://127.0.0.1:{self.port}"

    def attack(self, payload, on="sub"):
        """on: "sub", "cmd", or "reply" (instead of the command
        connection's next reply)."""
        with self.lock:
            if on == "reply":
                self.next_reply = payload
            else:
                self.pending.append((payload, on))

    def close(self):
        self.stopping = True
        self.thread.join(10)
        for s in list(self.bufs):
            s.close()
        self.lsock.close()

    def _run(self):
        while not self.stopping:
            for key, _ in self.sel.select(0.05):
                if key.fileobj is self.lsock:
                    c, _ = self.lsock.accept()
                    self.sel.register(c, selectors.EVENT_READ)
                    self.bufs[c] = b""
                else:
                    self._read(key.fileobj)
            with self.lock:
                todo, self.pending = self.pending, []
            for payload, on in todo:
                self._send_attack(payload, self.sub if on == "sub" else self.cmd)

    def _send_attack(self, payload, s):
        sent = 0
        s.setblocking(True)
        s.settimeout(20)
        try:
            view = memoryview(payload)
            while sent < len(payload):
                sent += s.send(view[sent:sent + 65536])
        except OSError:
            pass                    # sockit dropped the connection: good
        self.sent.append(sent)

    def _drop(self, s):
        self.sel.unregister(s)
        del self.bufs[s]
        s.close()

    def _read(self, s):
        try:
            data = s.recv(65536)
        except OSError:
            data = b""
        if not data:
            self._drop(s)
            return
        self.bufs[s] += data
        while True:
            cmd, rest = self._parse(self.bufs[s])
            if cmd is None:
                break
            self.bufs[s] = rest
            reply = self._reply(s, cmd)
            with self.lock:
                if s is self.cmd and self.next_reply is not None:
                    reply, self.next_reply = self.next_reply, None
            if reply is not None and len(reply) > 65536:
                self._send_attack(reply, s)
                return
            try:
                s.sendall(reply)
            except OSError:
                self._drop(s)
                return

    @staticmethod
    def _parse(buf):
        """One command (a list of bytes) from buf, and the rest."""
        if not buf.startswith(b"*") or b"\r\n" not in buf:
            return None, buf
        head, rest = buf.split(b"\r\n", 1)
        args = []
        for _ in range(int(head[1:])):
            if b"\r\n" not in rest:
                return None, buf
            n, rest = rest.split(b"\r\n", 1)
            n = int(n[1:])
            if len(rest) < n + 2:
                return None, buf
            args.append(rest[:n])
            rest = rest[n + 2:]
        return args, rest

    def _reply(self, s, cmd):
        verb = cmd[0].upper()
        if verb == b"COMMAND":
            self.sub = s
            self.subscribers += 1
            return b"*1\r\n*-1\r\n"
        if verb == b"PING":
            self.cmd = s
            return b"+PONG\r\n"
        if verb in (b"SUBSCRIBE", b"UNSUBSCRIBE"):
            return b"".join(b"*3\r\n" + bulk(verb.lower()) + bulk(ch) + b":1\r\n"
                            for ch in cmd[1:])
        if verb == b"EVAL":
            return b"*2\r\n:1\r\n$0\r\n\r\n"
        if verb == b"HGETALL":
            return b"*0\r\n"
        if verb in (b"EXISTS", b"PUBLISH", b"HSET", b"HDEL", b"SADD"):
            return b":1\r\n"
        return b"+OK\r\n"


@pytest.fixture
def fake():
    f = FakeRedis()
    yield f
    f.close()


def wait_for(cond, what, timeout=20):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


# A 2^31-1 element array, then 2 M elements to fill it: ~150 MB of
# replies inside sockit without the cap.  Nested: an allowed outer array
# whose first element would pass the budget.
HUGE = b"*2147483647\r\n" + b":1\r\n" * (2 << 20)
NESTED = b"*4\r\n*%d\r\n" % CAP + b":1\r\n" * (2 << 20)


# hiredis 0.14's async API asserts (aborts the node) on a reply that no
# command waits for: the command connection refuses it first.
UNASKED = b":1\r\n" * (2 << 20)


@pytest.mark.parametrize("payload,on,why", [
    (HUGE, "sub", "reply refused: an array of 2147483647 elements"),
    (NESTED, "sub", "reply refused: an array of 1048576 elements"),
    (HUGE, "reply", "reply refused: an array of 2147483647 elements"),
    (UNASKED, "cmd", "reply refused: a reply to no command"),
], ids=["huge", "nested", "huge-reply", "unasked"])
def test_hostile_reply_is_refused_and_the_node_reconnects(server, fake, payload, on, why):
    # A heartbeat every 0.5 s: the "reply" attack answers the next one.
    srv, port = start_chat(server, "--threads", "1", "--node-name", "A",
                           "--cluster-ttl", "1.5s", "--cluster", fake.url())
    wait_for(lambda: "redis link up" in srv.log(), "the link")
    c = Irc(port)
    c.register("alice")
    before = rss_kib(srv.proc.pid)
    subs = fake.subscribers

    fake.attack(payload, on)
    wait_for(lambda: fake.sent, "the attack to end")
    # The link comes back, or the memory the reply takes passes the bound.
    grown = lambda: rss_kib(srv.proc.pid) - before
    wait_for(lambda: srv.proc.poll() is not None or srv.log().count("redis link up") >= 2
             or grown() > BOUND_KIB, "the link again")
    assert srv.proc.poll() is None, f"the node died: {srv.log()}"
    assert grown() < BOUND_KIB, f"RSS grew by {grown()} KiB"
    log = srv.log()
    assert log.count("reply refused") == 1, log
    assert f"cluster: redis link lost: {why}" in log, log
    assert fake.subscribers > subs
    # sockit closed the connection long before the payload was all sent:
    # what it held is bounded.
    assert fake.sent[0] < len(payload)
    # Still serving: the client that was there, and a new one.
    c.send("PING :still")
    c.expect(r"PONG .*still")
    d = Irc(port)
    d.register("bob")
    d.send("WHOIS alice")
    d.expect(r" 311 bob alice ")
    c.close()
    d.close()
    assert srv.proc.poll() is None
    log = srv.stop()
    assert "AddressSanitizer" not in log and "runtime error" not in log, log
