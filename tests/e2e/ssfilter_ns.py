"""Inside a private network namespace (`unshare -n`), build a known set of
sockets and run `ss` and `sockit sockets` side by side, printing one JSON
document of what each saw.  tests/e2e/test_sockets_filter.py drives it:

    unshare -n python3 ssfilter_ns.py MODE SOCKIT [ARGS...]

MODE compare FLAGS EXPRFILE: for each expression (one per line) the
    normalized lines of `ss -H FLAGS EXPR`, `sockit sockets -H FLAGS EXPR`
    and the same with --no-kernel-filter, and each exit status.
MODE kill: kill the connection to port 22 with -K; report what each end
    and an unrelated connection saw.
MODE events: start -E, wait for its readiness line, abort one TCP
    connection and close one UDP socket; report what -E printed.
MODE details: -o -m -i in text and JSON for a keepalive connection.

Every socket is on the namespace's own loopback; ports are fixed because
nothing else lives there.
"""
import json
import os
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


OTHER_NETIDS = ("nl ", "p_raw ", "p_dgr ", "raw ", "icmp6 ", "mptcp ", "sctp ", "v_str ",
                "v_dgr ", "xdp ", "tipc ")


def norm(out):
    """The lines as sorted lists of fields: spacing may differ, content not.
    Kinds sockit does not list (netlink, packet, raw, ...) are left out."""
    lines = (" ".join(line.split()) for line in out.splitlines() if line.strip())
    return sorted(l for l in lines if not l.startswith(OTHER_NETIDS))


def compare(sockit, flags, exprfile):
    exprs = [l.rstrip("\n") for l in open(exprfile)
             if l.strip() and not l.startswith("#")]
    res = []
    for e in exprs:
        words = e.split()
        row = {"expr": e}
        for name, cmd in (("ss", ["ss", "-H"]),
                          ("sockit", [sockit, "sockets", "-H"]),
                          ("user", [sockit, "sockets", "-H", "--no-kernel-filter"])):
            r = subprocess.run(cmd + flags.split() + words, capture_output=True,
                               text=True, timeout=30)
            row[name] = {"lines": norm(r.stdout), "rc": r.returncode,
                         "err": r.stderr.strip()}
        res.append(row)
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
    return out


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
            res = compare(sockit, sys.argv[3], sys.argv[4])
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
