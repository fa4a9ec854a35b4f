#!/usr/bin/env python3
"""netcat_halfclose.py SOCKIT — the half-close table of issue 11, by
running each netcat: `printf hello | TOOL 127.0.0.1 PORT` against a
python server that reads to EOF and replies at once or 1.5 s later, and
each tool's exec mode with a child that answers after its stdin closes.
Prints a markdown table.  Loopback only; every process is bounded by a
timeout and stopped by PID."""
import shutil
import socket
import subprocess
import sys
import threading
import time

SOCKIT = sys.argv[1] if len(sys.argv) > 1 else "build/sockit"
TIMEOUT = 5.0


def server(delay):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    s.settimeout(TIMEOUT + 2)

    def run():
        try:
            c, _ = s.accept()
        except OSError:
            return
        c.settimeout(TIMEOUT + 2)
        data = b""
        try:
            while True:
                b = c.recv(4096)
                if not b:
                    break
                data += b
            time.sleep(delay)
            c.sendall(b"reply:" + data)
        except OSError:
            pass
        c.close()
        s.close()
    threading.Thread(target=run, daemon=True).start()
    return s.getsockname()[1]


def client_case(argv, delay):
    port = server(delay)
    args = [a.replace("PORT", str(port)) for a in argv]
    try:
        r = subprocess.run(args, input=b"hello", capture_output=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired as e:
        return "reply, then hangs" if e.stdout and b"reply:hello" in e.stdout else "hangs"
    return "reply, exit %d" % r.returncode if b"reply:hello" in r.stdout else "reply lost"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def exec_case(argv):
    port = free_port()
    args = [a.replace("PORT", str(port)) for a in argv]
    p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    try:
        for _ in range(500):
            try:
                c = socket.create_connection(("127.0.0.1", port), timeout=1)
                break
            except OSError:
                time.sleep(0.01)
        else:
            return "did not listen"
        c.settimeout(TIMEOUT)
        c.sendall(b"12345")
        c.shutdown(socket.SHUT_WR)
        data = b""
        try:
            while True:
                b = c.recv(4096)
                if not b:
                    break
                data += b
        except OSError as e:
            return "error (%s)" % e.__class__.__name__
        return "child output kept" if b"late" in data else "child output lost"
    finally:
        p.kill()
        p.wait()


CHILD = "cat >/dev/null; echo late"
TOOLS = [
    ("sockit connect", [SOCKIT, "connect", "127.0.0.1", "PORT"],
     [SOCKIT, "listen", "--sh-exec", CHILD, "127.0.0.1", "PORT"]),
    ("OpenBSD nc", ["nc.openbsd", "127.0.0.1", "PORT"], None),
    ("OpenBSD nc -N", ["nc.openbsd", "-N", "127.0.0.1", "PORT"], None),
    ("traditional nc -q 0", ["nc.traditional", "-q", "0", "127.0.0.1", "PORT"],
     ["nc.traditional", "-l", "-p", "PORT", "-c", CHILD]),
    ("socat", ["socat", "-", "TCP:127.0.0.1:PORT"],
     ["socat", "TCP-LISTEN:PORT,bind=127.0.0.1,reuseaddr", "SYSTEM:" + CHILD]),
    ("ncat", ["ncat", "127.0.0.1", "PORT"],
     ["ncat", "-l", "127.0.0.1", "PORT", "--sh-exec", CHILD]),
]


def main():
    print("| tool | reply at once after EOF | reply 1.5 s after EOF | exec child answers after EOF |")
    print("|---|---|---|---|")
    for name, cli, ex in TOOLS:
        if not shutil.which(cli[0]):
            continue
        row = [client_case(cli, 0), client_case(cli, 1.5),
               exec_case(ex) if ex and shutil.which(ex[0]) else "no exec mode"]
        print("| %s | %s |" % (name, " | ".join(row)), flush=True)


if __name__ == "__main__":
    main()
