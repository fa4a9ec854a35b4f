"""Helpers for the scanner's end-to-end tests: private network namespaces
and the three-namespace test bed (tests/netns/testbed.sh).

Every scan runs inside a namespace the test made itself, so it knocks on
no port of any other process on this machine.
"""
import itertools
import json
import os
import signal
import subprocess
import xml.etree.ElementTree as ET

import pytest

from conftest import HELPERS, ROOT, SOCKIT, run

TESTBED = os.path.join(ROOT, "tests", "netns", "testbed.sh")
BED_HOST = "198.18.0.2"
_ids = itertools.count()


def unique_id(prefix):
    return f"{prefix}{os.getpid() % 100000}{next(_ids)}"


class Netns:
    """A network namespace with loopback up; deleted (and everything in it
    stopped) by close()."""

    def __init__(self):
        self.name = "sk-e2e-" + unique_id("")
        r = run(["ip", "netns", "add", self.name], timeout=10)
        if r.returncode != 0:
            raise OSError(r.stderr.decode(errors="replace").strip())
        run(["ip", "-n", self.name, "link", "set", "lo", "up"], timeout=10)

    def cmd(self, *args):
        return ["ip", "netns", "exec", self.name, *map(str, args)]

    def run(self, *args, timeout=60):
        return run(self.cmd(*args), timeout=timeout)

    def close(self):
        pids = run(["ip", "netns", "pids", self.name], timeout=10).stdout.split()
        for pid in pids:
            try:
                os.kill(int(pid), signal.SIGTERM)
            except (ProcessLookupError, ValueError):
                pass
        run(["ip", "netns", "del", self.name], timeout=10)


@pytest.fixture
def ns():
    """A private network namespace (loopback up) for one test, deleted
    after it; the test is skipped where namespaces cannot be made."""
    try:
        n = Netns()
    except OSError as e:
        pytest.skip(f"cannot create a network namespace here: {e}")
    yield n
    n.close()


class Bed:
    """tests/netns/testbed.sh up ... / down, with the build's helpers."""

    def __init__(self, **opts):
        self.id = unique_id("e")
        args = [TESTBED, "up", self.id, "--build", os.path.dirname(SOCKIT)]
        for k, v in opts.items():
            args += [f"--{k}", str(v)]
        r = run(args, timeout=60)
        self.skip = r.returncode == 77
        if r.returncode not in (0, 77):
            self.down()
            raise RuntimeError(f"testbed up failed: {r.stderr!r}")
        self.message = r.stderr.decode(errors="replace").strip()

    def scan(self, *args, timeout=120):
        return run([TESTBED, "exec", self.id, SOCKIT, "scan", *map(str, args)],
                   timeout=timeout)

    def exec(self, *args, timeout=120):
        return run([TESTBED, "exec", self.id, *map(str, args)], timeout=timeout)

    def down(self):
        run([TESTBED, "down", self.id], timeout=60)


def json_lines(stdout):
    """Parse --json output: (results, summary); every line must parse."""
    results, summary = [], None
    for line in stdout.decode().splitlines():
        obj = json.loads(line)
        if obj["type"] == "summary":
            assert summary is None, "two summaries"
            summary = obj
        else:
            assert obj["type"] == "port", obj
            results.append(obj)
    assert summary is not None, "no summary line"
    return results, summary


def states(results):
    """{(host, port): state}; a port reported twice is an error."""
    out = {}
    for r in results:
        key = (r["host"], r["port"])
        assert key not in out, f"{key} reported twice"
        out[key] = r["state"]
    return out


def portsink_cmd(addr, *ports, banner=None):
    args = [os.path.join(HELPERS, "portsink")]
    if banner is not None:
        args += ["--banner", banner]
    return args + [addr, *map(str, ports)]


def nmap_states(ns_cmd, target, ports, extra=()):
    """Run nmap -sT in the namespace; {port: state} for every port, from
    its XML (listed ports, and the ranges of the summarised states)."""
    r = run(ns_cmd("nmap", "-sT", "-n", "-Pn", "-p", ports, *extra,
                   "-oX", "-", target), timeout=120)
    assert r.returncode == 0, r.stderr
    root = ET.fromstring(r.stdout.decode())
    got = {}
    for ex in root.iter("extraports"):
        for reason in ex.iter("extrareasons"):
            for part in filter(None, reason.get("ports", "").split(",")):
                lo, _, hi = part.partition("-")
                for port in range(int(lo), int(hi or lo) + 1):
                    got[port] = ex.get("state")
    for port in root.iter("port"):
        got[int(port.get("portid"))] = port.find("state").get("state")
    return got
