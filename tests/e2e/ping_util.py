"""Helpers for `sockit ping`'s end-to-end tests: network namespaces of the
test's own (loopback only, or a client and a router joined by a veth), and
parsers for iputils' output, so sockit's and iputils' runs in the same
namespace can be compared line by line.

Nothing here touches the host's namespace: ping_group_range is opened
only inside a namespace the test made, and every namespace is deleted
(with whatever still runs in it) by close().
"""
import itertools
import os
import re
import signal

from conftest import SOCKIT, run

_ids = itertools.count()

REPLY = re.compile(r"^(\d+) bytes from (\S+)(?: \(\S+\))?: icmp_seq=(\d+) ttl=(\d+)"
                   r"(?: time=(\d+(?:\.\d+)?) ms)?( \(DUP!\))?$")
HEADER4 = re.compile(r"^PING (\S+) \((\S+)\) (\d+)\((\d+)\) bytes of data\.$")
HEADER6 = re.compile(r"^PING (\S+)\((\S+)\) (\d+) data bytes$")
STATS = re.compile(r"^(\d+) packets transmitted, (\d+) received(?:, \+(\d+) duplicates)?"
                   r"(?:, \+(\d+) errors)?, ([\d.]+)% packet loss, time (\d+)ms$")
RTT = re.compile(r"^rtt min/avg/max/mdev = ([\d.]+)/([\d.]+)/([\d.]+)/([\d.]+) ms"
                 r"(?:, pipe \d+)?(, ipg/ewma [\d.]+/[\d.]+ ms)?$")
ERROR = re.compile(r"^From (\S+) (icmp|udp|tcp)_seq=(\d+) (.+)$")
MULTI = re.compile(r"^(\S+) : xmt/rcv/%loss = (\d+)/(\d+)/(\d+)%"
                   r"(?:, min/avg/max = ([\d.]+)/([\d.]+)/([\d.]+))?$")


class Netns:
    """A namespace named ping-N with loopback up; open_ping_sockets() opens
    net.ipv4.ping_group_range inside it only."""

    def __init__(self, tag="n"):
        self.name = f"ping-{tag}{os.getpid() % 100000}-{next(_ids)}"
        r = run(["ip", "netns", "add", self.name], timeout=10)
        if r.returncode != 0:
            raise OSError(r.stderr.decode(errors="replace").strip())
        self.sh("ip link set lo up")

    def cmd(self, *args):
        return ["ip", "netns", "exec", self.name, *map(str, args)]

    def run(self, *args, timeout=60, input=None):
        return run(self.cmd(*args), timeout=timeout, input=input)

    def sh(self, script, timeout=30):
        r = self.run("sh", "-ec", script, timeout=timeout)
        assert r.returncode == 0, (script, r.stderr)
        return r

    def ping(self, *args, timeout=60):
        return self.run(SOCKIT, "ping", *args, timeout=timeout)

    def iputils(self, *args, timeout=60):
        return self.run("ping", *args, timeout=timeout)

    def open_ping_sockets(self):
        self.sh("sysctl -qw net.ipv4.ping_group_range='0 2147483647'")

    def close(self):
        pids = run(["ip", "netns", "pids", self.name], timeout=10).stdout.split()
        for pid in pids:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        run(["ip", "netns", "del", self.name], timeout=10)


class RouterBed:
    """client (198.18.1.1) --veth-- router (198.18.1.2, 198.18.2.1) --veth-- host (198.18.2.2)

    and the same in IPv6: fd00:1::1, fd00:1::2 / fd00:2::1, fd00:2::2, with
    fd00:9::/64 rejected (no route).

    The host drops echo requests (a silent host: no answer, no error);
    the router rejects 198.18.9.0/24 with ICMP host unreachable (an nft
    rule: an `unreachable` route's errors are rate-limited by a host-wide
    token bucket) and sends ICMP errors without rate limit; -t 1 towards
    the host meets "Time to live exceeded" at the router.
    """
    ROUTER = "198.18.1.2"
    SILENT = "198.18.2.2"
    UNREACHABLE = "198.18.9.1"
    ROUTER6, SILENT6, UNREACHABLE6 = "fd00:1::2", "fd00:2::2", "fd00:9::1"

    def __init__(self):
        self.client = Netns("c")
        self.router = Netns("r")
        self.host = Netns("h")
        try:
            self._links()
        except Exception:
            self.close()
            raise

    @staticmethod
    def _veth(ns1, ns2):
        n = next(_ids)
        a, b = f"pa{os.getpid() % 10000}{n}", f"pb{os.getpid() % 10000}{n}"
        r = run(["ip", "link", "add", a, "netns", ns1.name, "type", "veth",
                 "peer", "name", b, "netns", ns2.name], timeout=10)
        assert r.returncode == 0, r.stderr
        return a, b

    def _links(self):
        ca, rb = self._veth(self.client, self.router)
        ra, hb = self._veth(self.router, self.host)
        self.client.sh(f"ip link set {ca} up; ip addr add 198.18.1.1/24 dev {ca};"
                       f" ip route add default via {self.ROUTER};"
                       f" ip addr add fd00:1::1/64 dev {ca} nodad;"
                       f" ip route add default via {self.ROUTER6}")
        self.router.sh(f"ip link set {rb} up; ip addr add {self.ROUTER}/24 dev {rb};"
                       f" ip link set {ra} up; ip addr add 198.18.2.1/24 dev {ra};"
                       " ip route add 198.18.9.0/24 via 198.18.2.2;"
                       " nft add table inet pr;"
                       " nft add chain inet pr fw '{ type filter hook forward priority 0; }';"
                       " nft add rule inet pr fw ip daddr 198.18.9.0/24"
                       " reject with icmp type host-unreachable;"
                       " sysctl -qw net.ipv4.ip_forward=1;"
                       " sysctl -qw net.ipv4.icmp_ratelimit=0;"
                       f" ip addr add {self.ROUTER6}/64 dev {rb} nodad;"
                       f" ip addr add fd00:2::1/64 dev {ra} nodad;"
                       " ip route add fd00:9::/64 via fd00:2::2;"
                       " nft add rule inet pr fw ip6 daddr fd00:9::/64"
                       " reject with icmpv6 type no-route;"
                       " sysctl -qw net.ipv6.conf.all.forwarding=1;"
                       " sysctl -qw net.ipv6.icmp.ratelimit=0")
        self.host.sh(f"ip link set {hb} up; ip addr add {self.SILENT}/24 dev {hb};"
                     " ip route add default via 198.18.2.1;"
                     f" ip addr add {self.SILENT6}/64 dev {hb} nodad;"
                     " ip route add default via fd00:2::1;"
                     " nft add table inet pt;"
                     " nft add chain inet pt in '{ type filter hook input priority 0; }';"
                     " nft add rule inet pt in icmp type echo-request drop;"
                     " nft add rule inet pt in icmpv6 type echo-request drop")

    def close(self):
        self.client.close()
        self.router.close()
        self.host.close()


def lines(r):
    return r.stdout.decode(errors="replace").splitlines()


def parse_single(r):
    """(header, replies, stats, rtt, errors) of one iputils-style run;
    every line must be one iputils could print."""
    out = lines(r)
    header = HEADER4.match(out[0]) or HEADER6.match(out[0])
    assert header, out[0]
    replies, errors, stats, rtt = [], [], None, None
    for line in out[1:]:
        if m := REPLY.match(line):
            replies.append(m)
        elif m := ERROR.match(line):
            errors.append(m)
        elif m := STATS.match(line):
            stats = m
        elif m := RTT.match(line):
            rtt = m
        else:
            assert line == "" or line.startswith("--- ") or line.startswith("no answer yet"), \
                f"unexpected line {line!r}"
    assert stats, out
    return header, replies, stats, rtt, errors
