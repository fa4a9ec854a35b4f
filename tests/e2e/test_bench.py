"""End-to-end tests for `sockit bench`: it measures real servers, verifies
every reply, and reports (and exits 1 on) corrupted, truncated or lost
replies from a deliberately faulty server (tests/helpers/corrupt_echo.c).

Runs are short (--requests), so nothing here depends on timing."""
import json
import os
import re
import signal
import socket
import subprocess

import pytest

from conftest import HELPERS, SOCKIT, sockit

CORRUPT = os.path.join(HELPERS, "corrupt_echo")


def bench(*args, timeout=60):
    r = sockit("bench", *args, timeout=timeout)
    # Exit status 1 is also what a sanitizer report gives: rule that out.
    assert b"Sanitizer" not in r.stderr, r.stderr.decode(errors="replace")
    return r


def bench_json(*args, timeout=60):
    r = bench("--json", *args, timeout=timeout)
    assert r.stdout, r.stderr
    return r, json.loads(r.stdout)


@pytest.fixture
def echo(server):
    """A sockit echo server on TCP and UDP ports chosen by the kernel."""
    return server(SOCKIT, "serve", "-q", "--threads", "1", "echo",
                  "tcp://127.0.0.1:0", "udp://127.0.0.1:0", count=2)


def corrupt(server, *args):
    return server(CORRUPT, *args)


def assert_clean(r, res, n):
    assert r.returncode == 0, r.stderr
    assert res["requests"] == n
    assert res["failed"] == 0
    assert res["errors"]["total"] == 0
    lat = res["latency_us"]
    assert 0 < lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["p99_9"] <= lat["max"]
    assert res["rps"] > 0


def test_tcp_pingpong_verifies_every_reply(echo):
    r, res = bench_json(echo.endpoint("tcp://"), "-c", "4", "-n", "3000")
    assert_clean(r, res, 3000)
    assert res["mode"] == "pingpong" and res["connections"] == 4
    assert res["mbps"] > 0


def test_text_report_and_progress(echo):
    r = bench(echo.endpoint("tcp://"), "-c", "2", "--duration", "1.2")
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    for word in ("req/s", "MB/s", "p50", "p90", "p99", "p99.9", "max", "errors       0"):
        assert word in out, out
    assert re.search(rb"^bench: +1s +\d+ req/s", r.stderr, re.M), r.stderr


def test_interrupt_still_reports(echo):
    p = subprocess.Popen([SOCKIT, "bench", echo.endpoint("tcp://"), "-c", "2",
                          "--duration", "60", "--json"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = p.stderr.readline()          # the first progress line: running
        assert line.startswith(b"bench:"), line
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=20)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, err
    res = json.loads(out)
    assert res["requests"] > 0 and res["errors"]["total"] == 0
    assert 0 < res["seconds"] < 30


def test_pipeline_large_messages(echo):
    r, res = bench_json(echo.endpoint("tcp://"), "pipeline", "8", "-c", "3",
                        "-s", "20000", "-n", "600")
    assert_clean(r, res, 600)
    assert res["depth"] == 8
    assert res["mbps"] > 0


def test_udp_pingpong(echo):
    r, res = bench_json(echo.endpoint("udp://"), "-c", "8", "-n", "2000")
    assert_clean(r, res, 2000)
    assert res["mode"] == "udp"


def test_connect_mode_opens_a_connection_per_request(echo):
    r, res = bench_json(echo.endpoint("tcp://"), "connect", "-c", "5", "-n", "300")
    assert_clean(r, res, 300)
    assert res["connects"] >= 300


def test_threads_and_a_thousand_connections(echo):
    # 1000, not more: the server under test keeps the usual soft limit of
    # 1024 descriptors (the load generator raises its own).
    r, res = bench_json(echo.endpoint("tcp://"), "-c", "1000", "-t", "2",
                        "-n", "5000", timeout=120)
    assert_clean(r, res, 5000)
    assert res["connects"] >= 1000


def test_warmup_requests_are_not_measured(echo):
    r, res = bench_json(echo.endpoint("tcp://"), "-c", "2", "--warmup", "0.3", "-n", "500")
    assert_clean(r, res, 500)
    assert res["replies_total"] > 500


def test_flipped_byte_is_a_mismatch(server):
    s = corrupt(server, "tcp", "flip", "5000")
    r, res = bench_json(s.endpoint("tcp://"), "-c", "2", "-n", "1000", "-s", "100")
    assert r.returncode == 1
    assert res["errors"]["mismatch"] > 0
    assert res["failed"] > 0
    assert "differs at byte" in res["first_error"]
    # Every reply that was not hit is still verified and counted.
    assert 0 < res["requests"] < 1000


def test_early_close_is_reported(server):
    s = corrupt(server, "tcp", "close", "1000")
    r = bench(s.endpoint("tcp://"), "-c", "2", "-n", "200", "-s", "64")
    assert r.returncode == 1
    out = r.stdout.decode()
    assert re.search(r"errors\s+[1-9]\d* .*eof=", out), out
    assert "server closed the connection" in out


def test_truncated_udp_reply_is_a_mismatch(server):
    s = corrupt(server, "udp", "flip", "7")
    r, res = bench_json(s.endpoint("udp://"), "-c", "2", "-n", "300")
    assert r.returncode == 1
    assert res["errors"]["mismatch"] > 0


def test_lost_datagrams_are_counted(server):
    s = corrupt(server, "udp", "drop", "10")
    r, res = bench_json(s.endpoint("udp://"), "-c", "4", "-n", "200",
                        "--timeout", "100ms")
    assert r.returncode == 1
    assert res["errors"]["timeout"] >= 10
    assert "lost" in res["first_error"]
    assert res["requests"] + res["failed"] >= 200


def test_caesar_mode_checks_the_ciphertext(echo):
    # An echo server answers a Caesar request with the plaintext: wrong.
    r, res = bench_json(echo.endpoint("tcp://"), "caesar", "-c", "1", "-n", "5")
    assert r.returncode == 1
    assert res["errors"]["mismatch"] >= 1


def test_caesar_mode_against_sockit_caesar(server):
    try:
        s = server(SOCKIT, "serve", "-q", "--threads", "1", "caesar",
                   "tcp://127.0.0.1:0")
    except RuntimeError as e:
        pytest.skip(f"no caesar service in this build: {e}")
    r, res = bench_json(s.endpoint("tcp://"), "caesar", "-c", "4", "-n", "2000")
    assert_clean(r, res, 2000)


def test_descriptor_limit_raised_or_reported(echo):
    import resource

    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard != resource.RLIM_INFINITY and hard < 400:
        pytest.skip(f"hard descriptor limit {hard} too low for this test")

    def low_soft():
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, hard))

    def low_hard():
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 128))

    ep = echo.endpoint("tcp://")
    # Soft limit 64, hard unchanged: raised to the hard limit, the run works.
    r = subprocess.run([SOCKIT, "bench", ep, "-c", "300", "-n", "900", "--json"],
                       capture_output=True, timeout=60, preexec_fn=low_soft)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["requests"] == 900
    # Hard limit 128: it says so instead of failing connections.
    r = subprocess.run([SOCKIT, "bench", ep, "-c", "300", "-n", "900"],
                       capture_output=True, timeout=60, preexec_fn=low_hard)
    assert r.returncode == 1
    assert b"300 connections need" in r.stderr and b"hard limit is 128" in r.stderr


def test_refused_is_a_network_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]        # bound, not listening: refuses
        r = bench(f"tcp://127.0.0.1:{port}", "-n", "10")
    assert r.returncode == 1
    assert re.match(rb"sockit: connect .*Connection refused", r.stderr), r.stderr


@pytest.mark.parametrize("args", [
    ["--connections", "0", "127.0.0.1:1"],
    ["--size", "abc", "127.0.0.1:1"],
    ["127.0.0.1:1", "pipeline"],
    ["127.0.0.1:1", "pipeline", "0"],
    ["127.0.0.1:1", "127.0.0.1:2"],
    ["udp://127.0.0.1:1", "pingpong"],
    ["udp://127.0.0.1:1", "-s", "70000"],
    ["--duration", "-1", "127.0.0.1:1"],
    ["--bogus"],
    ["tcp://127.0.0.1:99999"],
])
def test_bad_usage_exits_2(args):
    r = bench(*args)
    assert r.returncode == 2, (args, r.stderr)
    # "sockit: ..." or, for usage errors (DESIGN.md), "sockit bench: ...".
    assert re.match(rb"sockit( bench)?: ", r.stderr), r.stderr
    assert r.stdout == b""


def test_help():
    r = bench("--help")
    assert r.returncode == 0
    for word in (b"pingpong", b"pipeline K", b"udp", b"connect", b"caesar",
                 b"--connections", b"--json", b"--warmup"):
        assert word in r.stdout
