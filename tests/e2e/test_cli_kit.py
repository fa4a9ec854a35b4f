"""End-to-end tests of the command-line kit (issue 10 items 3-6, issue 14
items 2-4): one message for every usage error, --version and help, the
client positional rule, echo's Ctrl-C summary and byte-for-byte check,
the overall deadline -w, bounded numbers."""
import json
import os
import re
import select
import signal
import subprocess
import time

import pytest

from cli_util import HostileServer
from conftest import ROOT, SOCKIT, run, sockit
from scan_util import ns  # noqa: F401  (the fixture)

SUBCOMMANDS = ["serve", "echo", "greet", "caesar", "daytime", "time", "qotd", "resolve", "scan", "sockets", "bench"]


@pytest.fixture
def hostile():
    made = []

    def make(*args, **kw):
        s = HostileServer(*args, **kw)
        made.append(s)
        return s

    yield make
    for s in made:
        s.close()


# ------------------------------------------------------------ usage errors

@pytest.mark.parametrize("sub", SUBCOMMANDS)
def test_unknown_long_option_one_style(sub):
    r = sockit(sub, "--no-such-option")
    assert r.returncode == 2
    assert r.stdout == b""
    assert r.stderr.decode() == (f"sockit {sub}: unknown option '--no-such-option' "
                                 f"(see 'sockit {sub} --help')\n")


@pytest.mark.parametrize("sub", SUBCOMMANDS)
def test_unknown_short_option_one_style(sub):
    r = sockit(sub, "-%")
    assert r.returncode == 2
    assert r.stderr.decode() == f"sockit {sub}: unknown option '-%' (see 'sockit {sub} --help')\n"


@pytest.mark.parametrize("args,msg", [
    (["scan", "-sT", "127.0.0.1"], "sockit scan: unknown option '-s' (see 'sockit scan --help')"),
    (["scan", "127.0.0.1", "-p"], "sockit scan: option '-p' needs a value"),
    (["scan", "--timeout", "1x", "127.0.0.1"], "sockit scan: bad value for '--timeout': '1x' "
                                                "(is not a duration (a number of seconds, or "
                                                "with a unit: 250ms, 1.5s, 2m, 1h))"),
    (["echo", "-zq"], "sockit echo: unknown option '-z' (see 'sockit echo --help')"),
    (["echo", "-qz"], "sockit echo: unknown option '-z' (see 'sockit echo --help')"),
    (["echo", "x", "--count"], "sockit echo: option '--count' needs a value"),
    (["echo", "--json=yes", "x"], "sockit echo: option '--json' takes no value "
                                  "(see 'sockit echo --help')"),
    (["echo", "-c", "x", "hi"], "sockit echo: bad value for '-c': 'x' (is not a number)"),
    (["echo", "-t", "-1", "hi"], "sockit echo: bad value for '-t': '-1' (is not a duration "
                                 "(a number of seconds, or with a unit: 250ms, 1.5s, 2m, 1h))"),
    (["echo", "--interval", "2h", "hi"], "sockit echo: bad value for '--interval': '2h' "
                                         "(out of range 0s-1h)"),
])
def test_usage_error_messages(args, msg):
    r = sockit(*args)
    assert r.returncode == 2, r
    assert r.stderr.decode() == msg + "\n"


@pytest.mark.parametrize("sub", SUBCOMMANDS)
def test_help_ends_with_examples_and_exit_codes(sub):
    r = sockit(sub, "--help")
    assert r.returncode == 0 and r.stderr == b""
    text = r.stdout.decode()
    tail = text[text.lower().rindex("examples:"):]
    examples = [l for l in tail.splitlines()[1:] if l.startswith("  sockit ")]
    assert 2 <= len(examples) <= 3, tail
    assert re.search(r"(?i)exit status", tail), tail
    assert sockit("help", sub).stdout == r.stdout


def test_version_from_the_version_file():
    want = open(os.path.join(ROOT, "VERSION")).read().strip()
    r = sockit("--version")
    assert r.returncode == 0 and r.stdout.decode() == f"sockit {want}\n"
    assert sockit("help").returncode == 0
    r = sockit("help", "nosuch")
    assert r.returncode == 2 and b"nosuch" in r.stderr


# ----------------------------------------------------------- positionals

def test_one_argument_is_the_message_unless_it_has_a_scheme(ns, server):
    """`sockit echo 12:30` and `sockit echo a:1` send a message to the
    default endpoint (no DNS look-up of "a"); inside a private namespace
    where that endpoint is a sockit echo server."""
    server(*ns.cmd(SOCKIT, "serve", "echo", "tcp://127.0.0.1:65432"))
    for msg in ("12:30", "a:1", "localhost:7"):
        r = ns.run(SOCKIT, "echo", msg, timeout=20)
        assert (r.returncode, r.stdout) == (0, msg.encode()), r
    r = ns.run(SOCKIT, "echo", "127.0.0.1:65432", "two args", timeout=20)
    assert (r.returncode, r.stdout) == (0, b"two args"), r
    r = run(ns.cmd(SOCKIT, "echo", "tcp://127.0.0.1:65432"), input=b"", timeout=20)
    assert r.returncode == 0 and r.stdout == b""   # stdin (empty) was the message


# ------------------------------------------------------- echo --count / ^C

def test_ctrl_c_during_count_prints_summary_and_exits_0(server):
    s = server(SOCKIT, "serve", "echo", "tcp://127.0.0.1:0")
    p = subprocess.Popen([SOCKIT, "echo", "--count", "100000", "-i", "20ms",
                          s.endpoint(), "ping"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        ready, _, _ = select.select([p.stdout], [], [], 20)
        assert ready, "no reply line"
        first = p.stdout.readline()
        assert b"seq=1 " in first
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=20)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, err
    lines = (first + out).decode().splitlines()
    assert lines[-2].startswith("--- ") and "echo statistics" in lines[-2]
    m = re.match(r"(\d+) sent, (\d+) received, 0 wrong", lines[-1])
    assert m and int(m.group(2)) >= 1 and m.group(1) == m.group(2), lines[-1]
    # every line before the summary is a whole reply line
    assert all(re.match(r"\d+ bytes from .* seq=\d+ time=", l) for l in lines[:-2])


def test_count_json_lines(server):
    s = server(SOCKIT, "serve", "echo", "udp://127.0.0.1:0")
    r = sockit("echo", "-j", "-c", "3", "-i", "1ms", s.endpoint(), "ping")
    assert r.returncode == 0, r
    recs = [json.loads(l) for l in r.stdout.splitlines()]
    assert [x["seq"] for x in recs[:3]] == [1, 2, 3] and all(x["ok"] for x in recs[:3])
    assert recs[3]["sent"] == 3 and recs[3]["received"] == 3


# ------------------------------------------------ byte-for-byte (14.2)

@pytest.mark.parametrize("udp", [False, True])
@pytest.mark.parametrize("reply,word", [
    (lambda d: d[::-1], b"byte 0 differs"),
    (lambda d: d + b"junk", b"long echo"),
    (lambda d: d[:2], b"short echo"),
    (lambda d: b"", b"short echo"),
])
def test_wrong_echo_is_exit_1_saying_which(hostile, udp, reply, word):
    s = hostile(reply, udp=udp)
    r = sockit("echo", "-t", "500ms", "-r", "0", s.endpoint, "hello")
    assert r.returncode == 1, r
    assert word in r.stderr and r.stderr.count(b"\n") == 1, r.stderr


def test_wrong_echo_of_stdin_stream(hostile):
    s = hostile(lambda d: d.upper())
    r = sockit("echo", s.endpoint, input=b"abc" * 1000)
    assert r.returncode == 1 and b"byte 0 differs" in r.stderr, r


def test_udp_huge_reply_to_small_message(hostile):
    s = hostile(lambda d: b"x" * 65507, udp=True)
    r = sockit("echo", "-r", "0", s.endpoint, "hello")
    assert r.returncode == 1 and b"differs" in r.stderr


def test_right_echo_still_exit_0(hostile):
    s = hostile(lambda d: d)
    assert sockit("echo", s.endpoint, "hello").stdout == b"hello"
    r = sockit("echo", "-q", s.endpoint, "hello")
    assert (r.returncode, r.stdout) == (0, b"")


# ------------------------------------------------- deadline -w (14.3)

def test_echo_deadline_against_a_trickling_server(hostile):
    """One byte back every 0.3 s keeps the idle timer (-t 2s) happy
    forever; the overall deadline -w stops it."""
    s = hostile(trickle=0.3)
    t0 = time.monotonic()
    r = sockit("echo", "-t", "2s", "-w", "1s", s.endpoint, "x" * 200, timeout=30)
    assert r.returncode == 1 and b"deadline" in r.stderr, r
    assert time.monotonic() - t0 < 20
    r = sockit("echo", "-t", "2", "-w", "1", s.endpoint, input=b"y" * 200, timeout=30)
    assert r.returncode == 1 and b"deadline" in r.stderr, r


@pytest.mark.parametrize("args", [
    ["greet"], ["caesar", "e", "3", "x" * 200], ["daytime"], ["qotd"],
])
def test_client_deadline_against_a_trickling_server(hostile, args):
    """A server sending one byte every 0.3 s resets any idle timer; -w
    bounds the whole run (issue 14 item 3)."""
    s = hostile(trickle=0.3, drip=b"Hello, this greeting never ends... " * 40)
    t0 = time.monotonic()
    r = sockit(args[0], "-t", "2s", "-w", "1s", s.endpoint, *args[1:], timeout=30)
    assert r.returncode == 1 and b"deadline" in r.stderr, r
    assert r.stderr.count(b"\n") == 1
    assert time.monotonic() - t0 < 20


def test_greet_and_caesar_have_a_default_deadline():
    for sub in ("greet", "caesar", "daytime"):
        assert b"default 30s" in sockit(sub, "--help").stdout


# --------------------------------------------- bounded numbers (14.4)

@pytest.mark.parametrize("args,part", [
    (["localhost", "99999"], "SERVICE"), (["localhost", "65536"], "SERVICE"),
    (["localhost", "4294967297"], "SERVICE"), (["--", "localhost", "-1"], "SERVICE"),
    (["-r", "127.0.0.1", "99999"], "PORT"), (["-r", "127.0.0.1", "65536"], "PORT"),
])
def test_resolve_out_of_range_port_is_exit_2(args, part):
    r = sockit("resolve", *args)
    assert r.returncode == 2 and r.stdout == b"", r
    assert r.stderr.decode() == (f"sockit resolve: bad value for '{part}': "
                                 f"'{args[-1]}' (out of range 0-65535)\n")


# ------------------------------------------- bench measured nothing (item 6)

def test_bench_against_a_server_that_never_replies(server):
    s = server(SOCKIT, "serve", "-q", "--threads", "1", "discard", "tcp://127.0.0.1:0")
    r = sockit("bench", "-q", "-c", "2", "-d", "300ms", s.endpoint(), timeout=60)
    assert r.returncode == 1, r
    err = r.stderr.decode()
    assert "measured nothing" in err and "never replied" in err, err
    r = sockit("bench", "-q", "--json", "-c", "2", "-d", "300ms", s.endpoint(), timeout=60)
    assert r.returncode == 1 and json.loads(r.stdout)["requests"] == 0


def test_bench_still_exit_0_when_it_measured(server):
    s = server(SOCKIT, "serve", "-q", "--threads", "1", "echo", "tcp://127.0.0.1:0")
    r = sockit("bench", "-q", "-c", "2", "-n", "200", "-s", "1K", s.endpoint(), timeout=60)
    assert r.returncode == 0, r
    assert r.stderr == b""   # -q: no progress lines
