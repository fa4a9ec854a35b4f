"""Helpers for the hardening tests: UDP floods from many loopback sources
and the rate limiter's hash, so a test can pick colliding addresses."""
import selectors
import socket
import time

# src/serve/rate_limit.h: keep in step.
SRC_PER_SEC, SRC_BURST = 20, 40
SVC_PER_SEC, SVC_BURST = 500, 1000
RATE_SETS = 4096


def fnv1a(data, mod=None):
    h = 2166136261
    for b in data:
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h if mod is None else h % mod


def rate_set(addr):
    """The set src/serve/rate_limit.c's rate_set_of puts an IPv4 address in."""
    h = fnv1a(socket.inet_aton(addr))
    h ^= h >> 15
    h = (h * 0x2C1B3C6D) & 0xFFFFFFFF
    h ^= h >> 12
    return h % RATE_SETS


def same_set_as(addr, count, prefix="127.3"):
    """count addresses under prefix (a /16 of loopback) in addr's set."""
    want, out = rate_set(addr), []
    for i in range(1 << 16):
        a = f"{prefix}.{i >> 8}.{i & 255}"
        if a != addr and rate_set(a) == want:
            out.append(a)
            if len(out) == count:
                return out
    raise AssertionError("not enough colliding addresses")


def udp_socket(src="127.0.0.1"):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 21)
    s.bind((src, 0))
    s.setblocking(False)
    return s


def flood(dest, plan, quiet=0.5, limit=30.0):
    """Send one datagram per (socket) in plan, in order, to dest; count the
    replies each socket gets, until none came for `quiet` seconds (at most
    `limit` seconds in all).  Returns (replies per socket, elapsed), where
    elapsed runs from the first send to the last wait: no budget can refill
    for longer than that."""
    sel = selectors.DefaultSelector()
    socks = list(dict.fromkeys(plan))
    got = {s: 0 for s in socks}
    for s in socks:
        sel.register(s, selectors.EVENT_READ)

    def drain(timeout):
        n = 0
        for key, _ in sel.select(timeout):
            while True:
                try:
                    key.fileobj.recv(65536)
                except BlockingIOError:
                    break
                got[key.fileobj] += 1
                n += 1
        return n

    start = time.monotonic()
    for i, s in enumerate(plan):
        while True:
            try:
                s.sendto(b"x", dest)
                break
            except BlockingIOError:
                drain(0.01)
        if i % 16 == 15:
            drain(0)
    end = time.monotonic() + quiet
    while time.monotonic() < end and time.monotonic() - start < limit:
        if drain(0.05):
            end = time.monotonic() + quiet
    elapsed = time.monotonic() - start
    sel.close()
    return got, elapsed
