"""Every README command and every `--help` example, run for real.

Data-driven: the README's fenced blocks are read for `$ sockit ...` lines
(the lines after one, up to the next `$`, are its documented output), and
each subcommand's `--help` for the indented lines after "examples:".  A
section or example added later is picked up without touching this file.

Each runs inside a private network namespace where `sockit serve` (every
service on its default endpoints) is already listening, so the README's
default endpoints answer and scans touch nothing outside.  An example that
itself runs `sockit serve` gets a namespace of its own, and is stopped
once it has printed its readiness lines.  A command fails the test when it
exits non-zero or when a line of its output has a shape no documented
line has (shape: runs of letters/digits are one word, numbers and names
may differ, punctuation and layout may not).
"""
import os
import re
import select
import shlex
import signal
import subprocess
import time

import pytest

from conftest import BUILD, ROOT, SOCKIT, run
from scan_util import Netns

SUBCOMMANDS = ["serve", "echo", "greet", "caesar", "daytime", "time", "qotd",
               "scan", "sockets", "resolve", "bench", "ping", "chat",
               "connect", "listen", "relay"]

# Commands whose output cannot keep a shape: (prefix, reason).  Only exit
# status and a non-empty output are checked for them.
LOOSE = [
    ("sockit qotd", "the quote is picked at random; its words vary"),
    ("sockit bench", "latencies change unit and precision from run to run (229 us, 3.44 ms)"),
]


def readme_examples():
    """[(command, [documented output lines])] from README.md's code blocks."""
    text = open(os.path.join(ROOT, "README.md")).read()
    out = []
    for block in re.findall(r"```[a-z]*\n(.*?)```", text, re.S):
        cur = None
        for line in block.splitlines():
            if line.startswith("$ "):
                cur = (line[2:].strip(), [])
                out.append(cur)
            elif cur is not None:
                cur[1].append(line)
    return [(c, o) for c, o in out if re.search(r"(^|\| *)sockit ", c)]


def help_examples():
    """[(subcommand, command)] from every --help's "examples:" section."""
    out = []
    for sub in SUBCOMMANDS:
        text = run([SOCKIT, sub, "--help"]).stdout.decode()
        m = re.search(r"^examples:\n((?:  .*\n)+)", text, re.M)
        assert m, f"sockit {sub} --help has no examples section"
        out += [(sub, l.strip()) for l in m.group(1).splitlines()]
    return out


def shape(line):
    """What must stay the same: punctuation and layout, not the values."""
    s = re.sub(r"[A-Za-z0-9_]+", "w", line.strip())
    s = re.sub(r"w(?:[ \t]+w)+", "w", s)
    return re.sub(r"\s+", " ", s)


def env():
    e = dict(os.environ)
    e["PATH"] = BUILD + os.pathsep + e.get("PATH", "")
    return e


@pytest.fixture(scope="module")
def served():
    """A namespace with `sockit serve` on every default endpoint."""
    try:
        ns = Netns()
    except OSError as e:
        pytest.skip(f"cannot create a network namespace here: {e}")
    p = subprocess.Popen(ns.cmd(SOCKIT, "serve", "-q"), stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        wait_ready(p, 14)
        yield ns
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        ns.close()


def wait_ready(p, count, timeout=20):
    """Read readiness lines until count came; returns them."""
    lines, buf, deadline = [], b"", time.monotonic() + timeout
    while len(lines) < count:
        left = deadline - time.monotonic()
        assert left > 0, f"only {len(lines)} of {count} readiness lines: {lines}"
        ready, _, _ = select.select([p.stdout], [], [], left)
        if not ready:
            continue
        chunk = os.read(p.stdout.fileno(), 4096)
        assert chunk, f"exited before ready ({lines})"
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            if line.startswith(b"listening "):
                lines.append(line.decode())
    return lines


def check_shape(cmd, got, documented):
    if not documented:
        return
    for prefix, _ in LOOSE:
        if cmd.startswith(prefix):
            assert got.strip(), cmd
            return
    shapes = {shape(l) for l in documented if l.strip()}
    lines = [l for l in got.splitlines() if l.strip()]
    assert lines, f"{cmd}: no output, documented {documented}"
    for l in lines:
        assert shape(l) in shapes, f"{cmd}: line {l!r} has a shape the docs do not show"


def run_in(ns, cmd, timeout=120):
    return run(ns.cmd("sh", "-c", cmd), timeout=timeout, env=env(), cwd=ROOT)


def run_server_example(cmd, documented):
    """`sockit serve ...`: in a namespace of its own, until it is ready."""
    try:
        ns = Netns()
    except OSError as e:
        pytest.skip(f"cannot create a network namespace here: {e}")
    argv = shlex.split(cmd)
    argv[0] = SOCKIT
    want = sum(l.startswith("listening ") for l in documented) or 1
    p = subprocess.Popen(ns.cmd(*argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL, cwd=ROOT)
    try:
        lines = wait_ready(p, want)
        check_shape(cmd, "\n".join(lines), [l for l in documented if l.startswith("listening ")])
        p.send_signal(signal.SIGTERM)
        assert p.wait(20) == 0, p.stderr.read()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        for path in re.findall(r"unix:(/\S+)", cmd):
            if os.path.exists(path):
                os.unlink(path)
        ns.close()


def is_netcat_server(cmd):
    """`sockit listen ...` and `sockit relay EP ...` (not `relay -`) serve
    until stopped."""
    argv = shlex.split(cmd)
    if argv[:2] == ["sockit", "listen"]:
        return True
    if argv[:2] == ["sockit", "relay"]:
        pos = [a for a in argv[2:] if not a.startswith("-") or a == "-"]
        return bool(pos) and pos[0] != "-"
    return False


def listening_in(pid):
    """Whether process pid holds a listening TCP socket (state 0A) or a
    bound UDP one, in its own network namespace."""
    for table, state in (("tcp", "0A"), ("tcp6", "0A"), ("udp", "07"), ("udp6", "07")):
        try:
            rows = open(f"/proc/{pid}/net/{table}").read().splitlines()[1:]
        except OSError:
            return False
        if any(r.split()[3] == state for r in rows):
            return True
    return False


def run_netcat_server_example(cmd, tmp_path):
    """listen/relay examples: in a namespace of their own, in a scratch
    directory (they may redirect to a file), until they listen; SIGTERM
    then ends them (relay exits 0; listen dies of it, as nc does)."""
    try:
        ns = Netns()
    except OSError as e:
        pytest.skip(f"cannot create a network namespace here: {e}")
    line = cmd.replace("sockit", shlex.quote(SOCKIT), 1)
    p = subprocess.Popen(ns.cmd("sh", "-c", "exec " + line), stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 20
        while not listening_in(p.pid):
            assert p.poll() is None, (cmd, p.stderr.read().decode(errors="replace"))
            assert time.monotonic() < deadline, f"{cmd}: never listened"
            time.sleep(0.05)
        p.send_signal(signal.SIGTERM)
        assert p.wait(20) in (0, -signal.SIGTERM), (cmd, p.stderr.read().decode(errors="replace"))
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        ns.close()


README = readme_examples()
HELP = help_examples()


def test_readme_has_examples():
    assert len(README) >= 10
    assert {c.split()[1] for c, _ in README if c.startswith("sockit ")} >= {
        "serve", "echo", "greet", "caesar", "daytime", "time", "qotd", "scan",
        "sockets", "resolve"}


@pytest.mark.parametrize("cmd,documented", README, ids=[c for c, _ in README])
def test_readme_command(served, cmd, documented):
    if cmd.startswith("sockit serve"):
        return run_server_example(cmd, documented)
    r = run_in(served, cmd)
    assert r.returncode == 0, (cmd, r.stderr.decode(errors="replace"))
    check_shape(cmd, r.stdout.decode(errors="replace"), documented)


@pytest.mark.parametrize("sub,cmd", HELP, ids=[c for _, c in HELP])
def test_help_example(served, sub, cmd, tmp_path):
    if cmd.startswith("sockit serve"):
        return run_server_example(cmd, [])
    if is_netcat_server(cmd):
        return run_netcat_server_example(cmd, tmp_path)
    r = run_in(served, cmd)
    assert r.returncode == 0, (cmd, r.stderr.decode(errors="replace"))
    assert r.stdout.strip() or sub == "sockets", cmd
