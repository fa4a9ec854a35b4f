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
    r = sockit("echo", "-t", "500ms", "--retries", "0", s.endpoint, "hello")
    assert r.returncode == 1, r
    assert word in r.stderr and r.stderr.count(b"\n") == 1, r.stderr


def test_wrong_echo_of_stdin_stream(hostile):
    s = hostile(lambda d: d.upper())
    r = sockit("echo", s.endpoint, input=b"abc" * 1000)
    assert r.returncode == 1 and b"byte 0 differs" in r.stderr, r


def test_udp_huge_reply_to_small_message(hostile):
    s = hostile(lambda d: b"x" * 65507, udp=True)
    r = sockit("echo", "--retries", "0", s.endpoint, "hello")
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
    assert b"(-w): timed out after 1s (sockit's deadline)\n" in r.stderr, r


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
    # harden's one wording for a deadline of sockit's own (SK_DEADLINE_TEXT)
    assert b"(-w): timed out after 1s (sockit's deadline)\n" in r.stderr, r


@pytest.mark.parametrize("args", [
    ["echo", "hello"], ["greet"], ["caesar", "e", "3", "abc"], ["daytime"], ["qotd"],
])
def test_client_idle_timer_has_the_one_deadline_wording(hostile, args):
    """A server that goes quiet: the idle timer -t ends the run, worded
    as every deadline of sockit's own is (harden's SK_DEADLINE_TEXT)."""
    s = hostile(trickle=20, drip=b"H")
    r = sockit(args[0], "-t", "300ms", "-w", "30s", s.endpoint, *args[1:], timeout=30)
    assert r.returncode == 1 and r.stderr.count(b"\n") == 1, r
    assert r.stderr.startswith(b"sockit: "), r
    assert re.search(rb"\(-t[,)].*: timed out after 300ms \(sockit's deadline\)\n$", r.stderr), r


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


# ------------------------------- one letter, one meaning (round 2, item 1)

@pytest.mark.parametrize("args,letter", [
    (["bench", "-w", "1", "-n", "1"], "-w"),           # --warmup only: -w is a deadline
    (["scan", "-c", "10", "127.0.0.1"], "-c"),          # --concurrency only: -c is a count
    (["echo", "-r", "1", "udp://127.0.0.1:9", "x"], "-r"),   # --retries only
    (["daytime", "-r", "1", "udp://127.0.0.1:9"], "-r"),
])
def test_letters_without_a_peer_mean_one_thing(args, letter):
    """A letter the peer tool has not got means one thing everywhere:
    bench's warmup, scan's concurrency and the clients' retries keep only
    their long names (docs/cli.md, the letter audit)."""
    r = sockit(*args)
    assert r.returncode == 2, r
    assert r.stderr.decode() == (f"sockit {args[0]}: unknown option '{letter}' "
                                 f"(see 'sockit {args[0]} --help')\n")


def test_the_long_names_still_work(server):
    s = server(SOCKIT, "serve", "-q", "--threads", "1", "echo", "tcp://127.0.0.1:0")
    r = sockit("bench", "-q", "--json", "--warmup", "100ms", "-n", "50", "-c", "1",
               s.endpoint(), timeout=60)
    assert r.returncode == 0 and json.loads(r.stdout)["requests"] == 50, r
    import socket
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as quiet:   # never answers
        quiet.bind(("127.0.0.1", 0))
        ep = f"udp://127.0.0.1:{quiet.getsockname()[1]}"
        r = sockit("echo", "--retries", "1", "-t", "200ms", ep, "x")
    assert r.returncode == 1 and b"no reply after 2 tries" in r.stderr, r


def test_ping_has_j_like_every_json_subcommand():
    """-j for all or for none: ping's --json takes -j too (iputils has no -j)."""
    assert b"-j, --json" in sockit("ping", "--help").stdout
    r = sockit("ping", "-j", "--alive", "127.0.0.1")
    assert r.stderr.decode() == ("sockit ping: --json and --alive do not go together "
                                 "(see 'sockit ping --help')\n")


# ------------------------------------- one error prefix (round 2, item 3)

def _close_at_once(data):
    raise OSError("close the connection")


@pytest.mark.parametrize("args,reply,prefix", [
    (["echo", "EP", "hi"], lambda d: b"X" * len(d), "sockit: wrong echo: byte 0 differs"),
    (["echo", "EP", "hi"], _close_at_once, "sockit: server closed after 0 of 2 bytes"),
    (["caesar", "EP", "e", "3", "abc"], _close_at_once, "sockit: EP: server closed the connection"),
    (["greet", "-t", "300ms", "EP"], None, "sockit: EP: no reply (-t): timed out after 300ms"),
    (["daytime", "-t", "300ms", "EP"], None, "sockit: EP: no reply (-t): timed out after 300ms"),
])
def test_run_time_errors_name_what_failed_not_the_subcommand(hostile, args, reply, prefix):
    """Run-time failures read `sockit: WHAT: why` (DESIGN.md's
    `sockit: connect 127.0.0.1:1: Connection refused`), exit 1."""
    s = hostile(reply=reply or (lambda d: b""))
    argv = [s.endpoint if a == "EP" else a for a in args]
    r = sockit(*argv, timeout=30)
    err = r.stderr.decode()
    assert r.returncode == 1 and err.count("\n") == 1, r
    assert err.startswith(prefix.replace("EP", s.endpoint)), err


@pytest.mark.parametrize("sub", ["echo", "greet", "caesar", "daytime", "time", "qotd", "bench"])
def test_connect_refused_reads_as_in_design(sub):
    opts = ["-q", "-n", "1"] if sub == "bench" else []
    words = {"echo": ["hi"], "caesar": ["e", "3", "abc"]}.get(sub, [])
    r = sockit(sub, *opts, "tcp://127.0.0.1:1", *words)
    assert (r.returncode, r.stderr) == (1, b"sockit: connect 127.0.0.1:1: Connection refused\n"), r


@pytest.mark.parametrize("args,msg", [
    (["caesar", "tcp://127.0.0.1:1", "e", "3", "a.b"], "sockit caesar: the message contains '.'"),
    (["bench", "-n", "1", "unixgram:/nonexistent"], "sockit bench: unixgram endpoints are not supported"),
    (["serve", "-c", "/nonexistent/x.conf"], "sockit serve: /nonexistent/x.conf: "),
])
def test_usage_errors_found_while_running_read_sockit_sub(args, msg):
    r = sockit(*args)
    assert r.returncode == 2 and r.stderr.decode().startswith(msg), r


# ------------------------------------------------ -v and -q (round 2, item 2)

@pytest.fixture
def classic(server, tmp_path):
    conf = tmp_path / "v.conf"
    conf.write_text("service daytime\nlisten tcp://127.0.0.1:0\nlisten udp://127.0.0.1:0\n\n"
                    "service greet\nlisten tcp://127.0.0.1:0\n\n"
                    "service caesar\nlisten tcp://127.0.0.1:0\n")
    return server(SOCKIT, "serve", "-q", "--threads", "1", "-c", str(conf), count=4)


VERBOSE_LINE = re.compile(r"^sockit (\w+): connected to 127\.0\.0\.1:\d+ from 127\.0\.0\.1:\d+ "
                          r"in \d+\.\d\d ms$")


@pytest.mark.parametrize("args", [
    ["daytime", "tcp"], ["daytime", "udp"], ["greet", "tcp", "thanks"],
    ["caesar", "tcp", "e", "3", "abc"], ["echo", "tcp", "hi"],
])
def test_clients_v_says_who_from_where_and_how_long(classic, server, args):
    """-v adds the connection details on stderr; stdout keeps only the
    result, byte for byte what it is without -v."""
    if args[0] == "echo":
        srv = server(SOCKIT, "serve", "-q", "--threads", "1", "echo", "tcp://127.0.0.1:0")
        ep = srv.endpoint()
    else:
        ep = [e for e, svc in classic.endpoints if svc == args[0] and e.startswith(args[1])][0]
    quiet = sockit(args[0], ep, *args[2:])
    loud = sockit(args[0], "-v", ep, *args[2:])
    assert quiet.returncode == loud.returncode == 0, (quiet, loud)
    assert quiet.stderr == b"", quiet
    if args[0] != "daytime":          # the date may tick between the two runs
        assert loud.stdout == quiet.stdout
    lines = loud.stderr.decode().splitlines()
    assert VERBOSE_LINE.match(lines[0]) and lines[0].startswith(f"sockit {args[0]}: "), lines
    if args[0] != "echo":
        assert re.match(rf"^sockit {args[0]}: .* in \d+\.\d\d ms$", lines[-1]), lines


def test_resolve_v_names_the_call():
    r = sockit("resolve", "-v", "127.0.0.1", "80")
    assert r.returncode == 0 and b"127.0.0.1:80" in r.stdout
    assert re.match(rb"^sockit resolve: getaddrinfo\(127\.0\.0\.1, 80\) in \d+\.\d\d ms\n$",
                    r.stderr), r


def test_resolve_q_drops_the_header_only():
    full = sockit("resolve", "127.0.0.1", "80").stdout.decode().splitlines()
    r = sockit("resolve", "-q", "127.0.0.1", "80")
    assert r.returncode == 0 and full[0].split()[0] == "FAMILY"
    assert r.stdout.decode().splitlines() == full[1:] and full[1:], r


def test_serve_v_logs_each_datagram(server):
    """UDP has no connection line; serve -v logs one line per datagram."""
    s = server(SOCKIT, "serve", "-v", "--threads", "1", "echo", "udp://127.0.0.1:0")
    assert sockit("echo", s.endpoint(), "hello").stdout == b"hello"
    deadline = time.monotonic() + 10
    while "datagram in=5 out=5" not in s.log() and time.monotonic() < deadline:
        select.select([], [], [], 0.05)   # bounded wait for the log line
    assert re.search(r" debug udp://127\.0\.0\.1:\d+ echo peer=127\.0\.0\.1:\d+ "
                     r"datagram in=5 out=5\n", s.log()), s.log()
    q = server(SOCKIT, "serve", "--threads", "1", "echo", "udp://127.0.0.1:0")
    assert sockit("echo", q.endpoint(), "hello").stdout == b"hello"
    assert "datagram" not in q.stop()


def test_sockets_keeps_ss_letters_no_v():
    """ss's -v is its version: sockets has no -v (docs/cli.md)."""
    r = sockit("sockets", "-v")
    assert r.returncode == 2 and b"unknown option '-v'" in r.stderr
