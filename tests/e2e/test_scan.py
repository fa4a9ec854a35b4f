"""End-to-end tests of `sockit scan`.

Every scan runs inside a network namespace of the test's own (a private
loopback, or the three-namespace bed of tests/netns/testbed.sh), so it
touches no port of anything else on this machine.  Listeners are
tests/helpers/portsink on port 0; the scan must find exactly them.
"""
import os
import random

import pytest

from conftest import SANITIZED, SOCKIT, run
from scan_util import (BED_HOST, Bed, json_lines, nmap_states,  # noqa: F401 (ns: a fixture)
                       ns, portsink_cmd, states)


def listeners(server, ns, addr, count, **kw):
    s = server(*ns.cmd(*portsink_cmd(addr, *[0] * count, **kw)), count=count)
    return sorted(int(ep.rsplit(":", 1)[1]) for ep, _ in s.endpoints)


def scan_json(ns, *args, timeout=60):
    r = ns.run(SOCKIT, "scan", "--json", *args, timeout=timeout)
    assert r.returncode == 0, r.stderr
    return json_lines(r.stdout)


def test_loopback_v4_and_v6_listeners_found_exactly(server, ns):
    v4 = listeners(server, ns, "127.0.0.1", 12)
    v6 = listeners(server, ns, "::1", 8)
    for target, want in (("127.0.0.1", v4), ("::1", v6)):
        results, summary = scan_json(ns, target, "-p", "-")
        assert sorted(r["port"] for r in results) == want
        assert all(r["state"] == "open" and r["host"] == target for r in results)
        assert summary["scanned"] == 65535
        assert summary["open"] == len(want)
        assert summary["closed"] == 65535 - len(want)
        assert summary["filtered"] == 0


def test_closed_ports_reported_closed(server, ns):
    (port,) = listeners(server, ns, "127.0.0.1", 1)
    lo, hi = max(1, port - 20), min(65535, port + 20)
    results, summary = scan_json(ns, "127.0.0.1", "-p", f"{lo}-{hi}", "--all")
    got = states(results)
    assert len(got) == hi - lo + 1
    for p in range(lo, hi + 1):
        assert got[("127.0.0.1", p)] == ("open" if p == port else "closed"), p
    assert all(r["reason"] == "conn-refused" for r in results if r["port"] != port)
    assert summary["closed"] == hi - lo


def test_text_output_names_services(server, ns):
    server(*ns.cmd(*portsink_cmd("127.0.0.1", 22)), count=1)
    r = ns.run(SOCKIT, "scan", "127.0.0.1", "-p", "20-23,ssh", "--no-progress")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.decode().splitlines()
    assert lines[0] == "22/tcp open ssh"
    assert lines[-1].startswith("1 host, 4 ports scanned in ")
    assert lines[-1].endswith(": 1 open, 3 closed, 0 filtered")
    assert len(lines) == 2


def test_self_connect_trap_never_reports_open(ns):
    # A narrow ephemeral range inside the namespace makes the kernel pick
    # source port == target port often: a naive scanner reports those open.
    ns.run("sysctl", "-qw", "net.ipv4.ip_local_port_range=40000 40999")
    runs = 12 if SANITIZED else 20
    self_connects = 0
    for _ in range(runs):
        results, summary = scan_json(ns, "127.0.0.1", "-p", "40000-40999")
        assert results == [], f"false open: {results}"
        assert summary["closed"] == 1000
        self_connects += summary["self_connects"]
    # The trap was really sprung (about once per run here), and caught.
    assert self_connects > 0


def test_banner_is_read_and_escaped(server, ns):
    (port,) = listeners(server, ns, "127.0.0.1", 1, banner="SSH-2.0-fake\r\n\x01")
    r = ns.run(SOCKIT, "scan", "127.0.0.1", "-p", port, "--banner")
    assert r.returncode == 0, r.stderr
    assert f'{port}/tcp open unknown "SSH-2.0-fake\\r\\n\\x01"' in r.stdout.decode()
    results, _ = scan_json(ns, "127.0.0.1", "-p", port, "--banner")
    assert results[0]["banner"] == "SSH-2.0-fake\r\n\x01"


def test_shards_are_disjoint_and_cover_the_scan(server, ns):
    want = set(listeners(server, ns, "127.0.0.1", 5))
    spec = "1-300," + ",".join(map(str, sorted(want)))
    seen, opened = {}, set()
    for i in (1, 2, 3):
        results, summary = scan_json(ns, "127.0.0.1", "::1", "-p", spec, "--all",
                                     "--shard", f"{i}/3")
        for key, state in states(results).items():
            assert key not in seen, f"{key} in two shards"
            seen[key] = state
        opened |= {r["port"] for r in results
                   if r["state"] == "open" and r["host"] == "127.0.0.1"}
        assert summary["shard"] == f"{i}/3"
    assert len(seen) == 2 * (300 + len(want))
    assert opened == want


def test_agrees_with_nmap_connect_scan(server, ns):
    want = listeners(server, ns, "127.0.0.1", 6)
    rules = ("table inet scantest {\n chain input {\n"
             "  type filter hook input priority 0; policy accept;\n"
             "  tcp dport 100-103 drop\n }\n}\n")
    r = run(ns.cmd("nft", "-f", "-"), input=rules.encode(), timeout=10)
    assert r.returncode == 0, r.stderr
    spec = "1-1000," + ",".join(map(str, want))
    theirs = nmap_states(ns.cmd, "127.0.0.1", spec)
    results, _ = scan_json(ns, "127.0.0.1", "-p", spec, "--all")
    ours = {port: st for (_, port), st in states(results).items()}
    assert len(theirs) == len(ours) == 1000 + len(want)
    assert ours == theirs
    assert {p for p, st in ours.items() if st == "filtered"} == {100, 101, 102, 103}
    assert sorted(p for p, st in ours.items() if st == "open") == want


def test_netns_bed_filtered_and_delayed_ports(tmp_path):
    rnd = random.Random(os.getpid())
    opened = sorted(rnd.sample(range(1, 100), 6) + rnd.sample(range(200, 300), 6))
    bed = Bed(delay=5, loss=0.5, open=",".join(map(str, opened)),
              drop="100-149", icmp="150-159", reset="160-169")
    try:
        if bed.skip:
            pytest.skip(bed.message)
        r = bed.scan(BED_HOST, "-p", "1-300", "--all", "--json")
        assert r.returncode == 0, r.stderr
        results, summary = json_lines(r.stdout)
        got = {port: st for (_, port), st in states(results).items()}
        for port in range(1, 301):
            want = ("open" if port in opened else
                    "filtered" if 100 <= port <= 159 else "closed")
            assert got[port] == want, (port, got[port], want)
        assert summary["open"] == len(opened)
        assert summary["filtered"] == 60
        # Delay shows in the round trips: about 2 x 5 ms.
        rtts = [r["rtt_ms"] for r in results if r["state"] == "closed"]
        assert min(rtts) >= 9.0
    finally:
        bed.down()


@pytest.mark.parametrize("args, words", [
    (["127.0.0.1", "-p", "0"], "out of range"),
    (["127.0.0.1", "-p", "1-70000"], "out of range"),
    (["127.0.0.1", "-p", "100-50"], "reversed"),
    (["127.0.0.1", "-p", ""], "empty list"),
    (["127.0.0.1", "-p", "22,,80"], "empty item"),
    (["127.0.0.1", "-p", "nosuchservice"], "unknown service"),
    (["10.0.0.0/8"], "more than 65536"),
    (["10.0.0.0/33"], "not an address/prefix"),
    (["::/200"], "not an address/prefix"),
    (["1.2.3.4.5"], "not a host name"),
    ([], "no target"),
    (["127.0.0.1", "--shard", "4/3"], "shard"),
    (["127.0.0.1", "--retries", "99"], "retries"),
    (["127.0.0.1", "--rate", "0"], "rate"),
    (["127.0.0.1", "--bogus"], "unknown option '--bogus'"),
    (["127.0.0.1", "--concurrency", "999999"], "open-file limit"),
])
def test_bad_input_exits_2_with_one_line(ns, args, words):
    r = ns.run(SOCKIT, "scan", *args)
    assert r.returncode == 2
    assert r.stdout == b""
    err = r.stderr.decode()
    # Usage errors read "sockit scan: ..." (DESIGN.md).
    assert err.count("\n") == 1 and err.startswith("sockit scan: "), err
    assert words in err


def test_help_describes_default_ports():
    r = run([SOCKIT, "scan", "--help"])
    assert r.returncode == 0
    text = r.stdout.decode()
    assert "1-1024 plus every TCP port named in" in text
    assert "/etc/services" in text and "--shard I/N" in text


def test_interrupt_prints_summary_and_exits_1(ns):
    import select
    import signal
    import subprocess
    import time
    proc = subprocess.Popen(ns.cmd(SOCKIT, "scan", "127.0.0.1", "-p", "1-5000",
                                   "--rate", "500", "--progress", "--json"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        seen = b""
        while b"scan:" not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stderr], [], [], 1)
            if ready:
                seen += os.read(proc.stderr.fileno(), 4096)
        assert b"scan:" in seen, "no progress line"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 1, err
    _, summary = json_lines(out)
    assert summary["interrupted"] is True
    assert 0 < summary["scanned"] < 5000
