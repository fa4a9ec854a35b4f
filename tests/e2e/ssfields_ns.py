"""Inside a private network namespace (`unshare -n`), build a known set of
sockets and run `ss` and `sockit sockets` with the same flags, printing one
JSON document: for each flag set, each tool's exit status and output.
tests/e2e/test_sockets_ss_fields.py drives it and compares the fields:

    unshare -n python3 ssfields_ns.py SOCKIT FLAGS...

Each FLAGS argument is one run of both tools (split on spaces); "A|B"
gives ss A and sockit B.  The set:
TCP over IPv4 and IPv6 with data sent and one direction shut down (ss's
"<--" and "-->"), a v6-only and a dual-stack IPv6 listener (v6only:1 and
:0), a socket with a fwmark, a listener owned by uid 65534 (uid:N), a
TIME-WAIT entry, UDP bound and connected, a UNIX listener on a path with
a connection not yet accepted (ino:/dev:/peers:), a UNIX pair with one
side shut down, an abstract datagram socket, a packet socket and a
netlink socket in two multicast groups, and a raw ICMP socket.
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

# The filter tests' recipe (its listener kept open in that module's KEEP).
from ssfilter_ns import time_wait  # noqa: E402  (run as a script: its folder is on sys.path)

KEEP = []


def keep(s):
    KEEP.append(s)
    return s


def tcp_pair(family, host, port, v6only=None):
    lst = keep(socket.socket(family, socket.SOCK_STREAM))
    if v6only is not None:
        lst.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, v6only)
    lst.bind((host, port))
    lst.listen(8)
    cli = keep(socket.create_connection((host if host not in ("::", "0.0.0.0") else
                                         ("::1" if family == socket.AF_INET6 else "127.0.0.1"),
                                         port)))
    srv = keep(lst.accept()[0])
    return lst, cli, srv


def known_set(tmpdir):
    _, cli, srv = tcp_pair(socket.AF_INET, "127.0.0.1", 40000)
    cli.sendall(b"x" * 1000)
    srv.sendall(b"y" * 300)
    cli.shutdown(socket.SHUT_WR)  # ss -e: "-->" on this end, "<--" on the other
    tcp_pair(socket.AF_INET6, "::1", 40001, v6only=1)
    # A connection under cubic beside bbr's: no bbr:(...) in its -i.
    _, cub, _ = tcp_pair(socket.AF_INET, "127.0.0.1", 40004)
    try:
        cub.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, b"cubic")
    except OSError:
        pass  # no cubic in this kernel: one more connection like the rest
    cub.sendall(b"z" * 5000)
    _, cli6, _ = tcp_pair(socket.AF_INET6, "::", 40002, v6only=0)
    cli6.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, 0x2a)
    # A listener created as another user: its uid shows in -e.
    os.seteuid(65534)
    try:
        other = keep(socket.socket())
    finally:
        os.seteuid(0)
    other.bind(("127.0.0.1", 40006))
    other.listen(1)
    time_wait(40003)
    u = keep(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    u.bind(("127.0.0.1", 40053))
    u6 = keep(socket.socket(socket.AF_INET6, socket.SOCK_DGRAM))
    u6.connect(("::1", 40053))
    path = os.path.join(tmpdir, "ssfields.sock")
    ux = keep(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM))
    ux.bind(path)
    ux.listen(4)
    keep(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)).connect(path)
    a, b = socket.socketpair()
    keep(a)
    keep(b)
    a.shutdown(socket.SHUT_RD)
    d = keep(socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM))
    d.bind(b"\0ssfields-abstract")
    # A packet socket (ss -e's "ver:" line) and a netlink socket in two
    # multicast groups (RTMGRP_LINK | RTMGRP_IPV4_IFADDR: groups=0x11).
    keep(socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003)))
    # Raw IP: over raw_diag, or from /proc/net/raw where the kernel lacks
    # that module (ss -e then adds nothing, nor -m/-i a second line).
    keep(socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP))
    keep(socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)).bind((0, 0x11))
    time.sleep(0.2)  # let delayed ACKs settle: -i's counters stay put


def run(argv):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    return {"rc": r.returncode, "out": r.stdout, "err": r.stderr}


def main():
    sockit, flag_sets = sys.argv[1], sys.argv[2:]
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    with tempfile.TemporaryDirectory() as d:
        known_set(d)
        out = []
        for flags in flag_sets:
            ss_args, _, ours = flags.partition("|")
            # A socket closed by the run before is freed a little later
            # (RCU): without a pause -s's "Total" can count it once more.
            time.sleep(0.1)
            r_ss = run(["ss", *ss_args.split()])
            time.sleep(0.1)
            r_ours = run([sockit, "sockets", *(ours or ss_args).split()])
            out.append({"flags": flags, "ss": r_ss, "sockit": r_ours})
        print(json.dumps(out))


if __name__ == "__main__":
    main()
