"""The short soak (issue 14): 2,000 hostile clients in two processes for
20 s against `sockit serve` — idle, slowloris, never-reading, resets,
garbage, UDP from many sources — while a probe checks echo and Caesar.
Everything tests/e2e/soak.py checks except latency, which belongs to the
long soak (`make soak`): zero probe failures, RSS within the stated
per-client bound (not under ASan, whose quarantine owns the RSS),
descriptors back to the baseline, every log line well-formed and one
connection line per connection."""
import os

from conftest import SANITIZED, SOCKIT
from soak import soak


def test_short_soak(tmp_path):
    r = soak(SOCKIT, clients=2000, procs=2, seconds=20, threads=2, udp_rate=400,
             p99_ms=None, workdir=str(tmp_path), say=lambda m: None,
             rss_check=not SANITIZED)
    assert r["established"] >= 2000, r
    assert r["probe"]["probes"] > 0 and r["probe"]["caesar_ok"] > 0, r
    assert r["udp_replies"] > 0, r
    assert not r["problems"], r["problems"]
