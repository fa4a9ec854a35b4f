"""Inside a private network namespace (`unshare -n`), build a known set of
sockets and run `ss` and `sockit sockets` side by side, printing one JSON
document of what each saw.  tests/e2e/test_sockets_filter.py drives it:

    unshare -n python3 ssfilter_ns.py MODE SOCKIT [ARGS...]

MODE compare FLAGS EXPRFILE: for each expression (one per line) the
    normalized lines of `ss -H FLAGS EXPR`, `sockit sockets -H FLAGS EXPR`,
    the same with --no-kernel-filter and replayed from one --record-dump of
    the set, and each exit status.
MODE kill: kill the connection to port 22 with -K; report what each end
    and an unrelated connection saw; then ss -K and sockit -K on a
    TIME-WAIT entry and on UNIX sockets each.
MODE events: start -E, wait for its readiness line, abort one TCP
    connection and close one UDP socket; report what -E printed.
MODE details: -o -m -i in text and JSON for a keepalive connection.

Every socket is on the namespace's own loopback; ports are fixed because
nothing else lives there.
"""
import json
import os
import re
import select
import socket
import struct
import subprocess
import sys
import tempfile
import time

KEEP = []


def up():
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    subprocess.run(["ip", "addr", "add", "127.0.0.2/8", "dev", "lo"], check=False,
                   stderr=subprocess.DEVNULL)


def pair(family, host, port=0, to=None, source=None):
    """Listener on host:port, a client (from source) to it, the accepted end."""
    lst = socket.socket(family, socket.SOCK_STREAM)
    lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lst.bind((host, port))
    lst.listen(8)
    cli = socket.create_connection((to or host, lst.getsockname()[1]),
                                   source_address=source)
    srv, _ = lst.accept()
    KEEP.extend([lst, cli, srv])
    return lst, cli, srv


def time_wait(port):
    """The client end of a connection closed client first stays in TIME-WAIT."""
    lst = socket.socket()
    lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lst.bind(("127.0.0.1", port))
    lst.listen(1)
    cli = socket.create_connection(("127.0.0.1", port))
    srv, _ = lst.accept()
    cli.close()
    srv.recv(1)
    srv.close()
    KEEP.append(lst)


def known_set(tmpdir):
    # iproute2's own ssfilter test set: a listener on 0.0.0.0:22, a local
    # connection to it, and one from 127.0.0.2:50312 (their 10.0.0.2).
    lst, _, _ = pair(socket.AF_INET, "0.0.0.0", 22, to="127.0.0.1")
    far = socket.create_connection(("127.0.0.1", 22), source_address=("127.0.0.2", 50312))
    KEEP.extend([far, lst.accept()[0]])
    pair(socket.AF_INET, "127.0.0.2", 8080)
    pair(socket.AF_INET6, "::1", 443)
    pair(socket.AF_INET6, "::1", 0)
    time_wait(5000)
    for fam, host, port in ((socket.AF_INET, "127.0.0.1", 53),
                            (socket.AF_INET6, "::1", 5353)):
        u = socket.socket(fam, socket.SOCK_DGRAM)
        u.bind((host, port))
        KEEP.append(u)
    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    c.connect(("127.0.0.1", 53))
    KEEP.append(c)
    path = os.path.join(tmpdir, "ssfilter.sock")
    ul = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ul.bind(path)
    ul.listen(2)
    uc = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    uc.connect(path)
    us, _ = ul.accept()
    KEEP.extend([ul, uc, us])
    d = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    d.bind(b"\0ssfilter-abstract")
    KEEP.append(d)
    # Binding the empty name autobinds: the kernel picks "\0" + 5 hex digits.
    a = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    a.bind("")
    KEEP.append(a)


OTHER_NETIDS = ("nl ", "p_raw ", "p_dgr ", "raw ", "icmp6 ", "mptcp ", "sctp ", "v_str ",
                "v_dgr ", "xdp ", "tipc ")


def norm(out):
    """The lines as sorted lists of fields: spacing may differ, content not.
    Kinds sockit does not list (netlink, packet, raw, ...) are left out."""
    lines = (" ".join(line.split()) for line in out.splitlines() if line.strip())
    return sorted(l for l in lines if not l.startswith(OTHER_NETIDS))


def compare(sockit, flags, exprfile, tmpdir):
    exprs = [l.rstrip("\n") for l in open(exprfile)
             if l.strip() and not l.startswith("#")]
    # One recording of the set, replayed for every expression.
    dump = os.path.join(tmpdir, "known.dump")
    subprocess.run([sockit, "sockets", "--record-dump", dump, "-a"], check=True,
                   stdout=subprocess.DEVNULL, timeout=30)
    res = []
    for e in exprs:
        words = e.split()
        row = {"expr": e}
        for name, cmd in (("ss", ["ss", "-H"]),
                          ("sockit", [sockit, "sockets", "-H"]),
                          ("user", [sockit, "sockets", "-H", "--no-kernel-filter"]),
                          ("dump", [sockit, "sockets", "-H", "--from-dump", dump])):
            r = subprocess.run(cmd + flags.split() + words, capture_output=True,
                               text=True, timeout=30)
            row[name] = {"lines": norm(r.stdout), "rc": r.returncode,
                         "err": r.stderr.strip()}
        res.append(row)
    return res


# -w, -0, --netlink: one of each kind of socket ss lists beyond TCP/UDP/UNIX.
# (ss -A packet_raw / packet_dgram list every packet socket; sockit only
# that type: checked apart, against ss -0's p_raw and p_dgr lines.)
KIND_FLAGS = ("-wan", "-wln", "-wn", "-0an", "-0ln", "-A netlink -an", "--netlink -an",
              "-A raw,packet,netlink -an", "-A inet -an", "-A all -an", "-an", "-4an",
              "-6an", "-wanp", "-0anp", "-0anm", "-wanO -m",
              "-an sport = :1", "-wan sport = :58", "-an not sport = :1",
              "-A packet -an sport = :0", "-tuwan", "-0an autobound",
              "--netlink -an autobound", "-an not autobound")
USERS = re.compile(r'users:\(\("([^"]*)",pid=(\d+),fd=\d+\)(?:,\([^)]*\))*\)')


def other_kinds():
    """A raw ICMP socket per family, a packet socket of each type, a bound
    netlink socket, plus a TCP listener and a UDP socket beside them."""
    KEEP.append(socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP))
    KEEP.append(socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6))
    KEEP.append(socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3)))
    p = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800))
    p.bind(("lo", 0x0800))
    KEEP.append(p)
    KEEP.append(socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x86dd)))
    # No protocol, no device: what ss's `autobound` means for a packet socket.
    KEEP.append(socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0))
    n = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
    n.bind((0, 0))
    KEEP.append(n)
    c = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, 0)
    c.connect((0, 0))
    KEEP.append(c)
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.bind(("127.0.0.1", 0))
    t.listen(1)
    u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    u.bind(("::", 0))
    KEEP.extend([t, u])


def norm_kinds(out, owners):
    """Sorted lines of fields, without the sock_diag netlink sockets (each
    tool's own request socket is among them, and their queues move).  With
    -p, ss's users:(("NAME",pid=N,fd=F)) is written as sockit's N/NAME and
    sockit's "-" (no owner) dropped."""
    keep = []
    for line in out.splitlines():
        line = USERS.sub(lambda m: m.group(2) + "/" + m.group(1), line)
        f = line.split()
        if owners and f and f[-1] == "-":
            f.pop()
        if f and not any(x.startswith("4:") for x in f[:5]):
            keep.append(" ".join(f))
    return sorted(keep)


def kinds(sockit):
    other_kinds()
    res = []
    for flags in KIND_FLAGS:
        row = {"flags": flags}
        for name, cmd in (("ss", ["ss", "-H"]), ("sockit", [sockit, "sockets", "-H"])):
            words = flags.split()
            if name == "ss" and words[0] == "--netlink":  # this ss has only -A netlink
                words[:1] = ["-A", "netlink"]
            r = subprocess.run(cmd + words, capture_output=True, text=True, timeout=30)
            row[name] = {"lines": norm_kinds(r.stdout, "p" in flags), "rc": r.returncode,
                         "err": r.stderr.strip()}
        res.append(row)
    # TCP of both families comes from one kernel walk: the order must still
    # be ss's (IPv4, then IPv6), not just the set.
    for i in range(6):
        pair(socket.AF_INET6 if i % 2 else socket.AF_INET, "::1" if i % 2 else "127.0.0.1")
    order = {}
    for name, cmd in (("ss", ["ss"]), ("sockit", [sockit, "sockets"])):
        r = subprocess.run(cmd + ["-Htan"], capture_output=True, text=True, timeout=30)
        order[name] = [" ".join(l.split()[:5]) for l in r.stdout.splitlines()]
    res.append({"order": order})
    ss0 = subprocess.run(["ss", "-H0an"], capture_output=True, text=True, timeout=30).stdout
    for netid, query in (("p_raw", "packet_raw"), ("p_dgr", "packet_dgram")):
        r = subprocess.run([sockit, "sockets", "-Han", "-A", query], capture_output=True,
                           text=True, timeout=30)
        want = [l.split(None, 1)[1] for l in ss0.splitlines() if l.startswith(netid + " ")]
        res.append({"flags": "-an -A " + query, "ss": {"lines": norm_kinds("\n".join(want), 0),
                    "rc": 0, "err": ""}, "sockit": {"lines": norm_kinds(r.stdout, 0),
                    "rc": r.returncode, "err": r.stderr.strip()}})
    for flags in ("-wan", "-0an", "--netlink -an"):
        r = subprocess.run([sockit, "sockets", "-j"] + flags.split(), capture_output=True,
                           text=True, timeout=30)
        res.append({"json": flags, "rc": r.returncode, "out": r.stdout, "err": r.stderr})
    return res


def kill(sockit):
    _, c22, s22 = pair(socket.AF_INET, "127.0.0.1", 22)
    _, c80, s80 = pair(socket.AF_INET, "127.0.0.1", 8080)
    r = subprocess.run([sockit, "sockets", "-HtK", "dport = :22"], capture_output=True,
                       text=True, timeout=30)
    out = {"rc": r.returncode, "stdout": norm(r.stdout), "stderr": r.stderr.strip()}
    s22.settimeout(10)
    try:
        got = s22.recv(10)
        out["peer"] = "eof" if got == b"" else "data"
    except ConnectionResetError:
        out["peer"] = "reset"
    try:
        c22.send(b"x")
        out["owner"] = "alive"
    except OSError as e:
        out["owner"] = e.__class__.__name__
    c80.sendall(b"ping")
    s80.settimeout(10)
    out["other"] = s80.recv(10).decode()
    out["parity"] = kill_parity(sockit)
    return out


def kill_parity(sockit):
    """What ss -K and sockit -K each do to a TIME-WAIT entry (destroyed,
    and listed) and to UNIX sockets (untouched, and listed): a fresh
    TIME-WAIT for each tool, the listings before, with -K and after."""
    u = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    u.bind(b"\0ssfilter-kill")
    KEEP.append(u)
    res = {}
    for name, tool, port in (("ss", ["ss"], 5001), ("sockit", [sockit, "sockets"], 5002)):
        time_wait(port)
        row = {}
        for step, args in (("tw_before", ["-Htan", "state", "time-wait"]),
                           ("tw_kill", ["-HKtan", "state", "time-wait"]),
                           ("tw_after", ["-Htan", "state", "time-wait"]),
                           ("unix_kill", ["-HKxa"]), ("unix_after", ["-Hxa"])):
            r = subprocess.run(tool + args, capture_output=True, text=True, timeout=30)
            row[step] = {"lines": norm(r.stdout), "rc": r.returncode,
                         "err": r.stderr.strip()}
        res[name] = row
    return res


def wait_line(stream, timeout):
    """One line from a pipe, or '' when nothing came within timeout."""
    end = time.monotonic() + timeout
    buf = b""
    while time.monotonic() < end and not buf.endswith(b"\n"):
        r, _, _ = select.select([stream], [], [], max(0, end - time.monotonic()))
        if not r:
            break
        ch = os.read(stream.fileno(), 1)
        if not ch:
            break
        buf += ch
    return buf.decode(errors="replace")


def events(sockit):
    _, cli, srv = pair(socket.AF_INET, "127.0.0.1", 7070)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 6060))
    p = subprocess.Popen([sockit, "sockets", "-E", "--json", "--count", "2"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    ready = wait_line(p.stderr, 20)
    # An abortive close (linger 0) frees the TCP socket at once: no TIME-WAIT.
    cli.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    cli.close()
    u.close()
    try:
        out, err = p.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    lines = [json.loads(l) for l in out.decode().splitlines() if l.strip()]
    return {"ready": ready, "rc": p.returncode, "events": lines,
            "stderr": err.decode()}


def details(sockit):
    _, cli, srv = pair(socket.AF_INET, "127.0.0.1", 9090)
    cli.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    cli.sendall(b"x" * 1000)
    srv.recv(100)
    out = {}
    for name, cmd in (("ss", ["ss", "-Htnomi", "sport = :9090 or dport = :9090"]),
                      ("text", [sockit, "sockets", "-Htnomi", "sport = :9090 or dport = :9090"]),
                      ("oneline", [sockit, "sockets", "-HtnomiO", "dport = :9090"]),
                      ("json", [sockit, "sockets", "-tnomi", "--json", "dport = :9090"])):
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        out[name] = {"rc": r.returncode, "out": r.stdout, "err": r.stderr}
    return out


def main():
    mode, sockit = sys.argv[1], sys.argv[2]
    up()
    with tempfile.TemporaryDirectory() as d:
        if mode == "compare":
            known_set(d)
            res = compare(sockit, sys.argv[3], sys.argv[4], d)
        elif mode == "kinds":
            res = kinds(sockit)
        elif mode == "kill":
            res = kill(sockit)
        elif mode == "events":
            res = events(sockit)
        else:
            res = details(sockit)
        json.dump(res, sys.stdout)
        for s in KEEP:
            s.close()


if __name__ == "__main__":
    main()
