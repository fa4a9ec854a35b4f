"""The short soak (issue 14): 2,000 hostile clients in two processes for
20 s against `sockit serve` — idle, slowloris, never-reading, resets,
garbage, UDP from many sources, and on the chat service members of a
busy room, members that never read, flooders, JOIN/PART/NICK storms and
garbage IRC (tests/e2e/soak_chat.py) — while a probe checks echo and
Caesar and a chat probe checks that its lines cross the busy room, all
of them in order.  Everything tests/e2e/soak.py checks except latency,
which belongs to the long soak (`make soak`): zero probe failures, flood
control holding every flooder to its budget, RSS within the stated
per-client bound (not under ASan, whose quarantine owns the RSS),
descriptors back to the baseline, every log line well-formed and one
connection line per connection.  It runs inside a network namespace of
its own: tens of thousands of closed connections would otherwise leave
TIME-WAIT sockets on the shared loopback for other tests to trip on."""
import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import SANITIZED, SOCKIT

HERE = os.path.dirname(os.path.abspath(__file__))


def test_short_soak(tmp_path):
    if shutil.which("unshare") is None or \
            subprocess.run(["unshare", "-n", "true"]).returncode != 0:
        pytest.skip("needs unshare -n (a loopback of its own)")
    cmd = [sys.executable, os.path.join(HERE, "soak.py"), "--sockit", SOCKIT,
           "--clients", "2000", "--procs", "2", "--seconds", "20", "--threads", "2",
           "--udp-rate", "400", "--p99-ms", "0", "--workdir", str(tmp_path), "--quiet"]
    if SANITIZED:
        cmd.append("--no-rss-check")
    p = subprocess.run(["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"',
                        "sh", *cmd], capture_output=True, timeout=300)
    r = json.loads(p.stdout)
    assert r["established"] >= 2000, r
    assert r["probe"]["probes"] > 0 and r["probe"]["caesar_ok"] > 0, r
    assert r["udp_replies"] > 0, r
    c = r["chat_probe"]
    assert c["chat_probes"] > 0 and c["chat_probes"] == c["sent"], c
    assert c["flooders_seen"] > 0 and r["log_flood_holds"] > 0, r
    assert r["by_kind"]["chat_garbage"]["established"] > 0, r["by_kind"]
    assert not r["problems"], r["problems"]
    assert p.returncode == 0, p.stderr.decode()[-2000:]
