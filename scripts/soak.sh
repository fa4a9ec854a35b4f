#!/usr/bin/env bash
# soak.sh — `make soak`: SOAK_CLIENTS hostile clients (default 10000) over
# SOAK_PROCS client processes (default 5) against `sockit serve` (echo,
# greet, caesar, chargen, daytime, qotd, chat) for SOAK_SECONDS (default
# 600), with a probe measuring echo latency and Caesar correctness, a chat
# probe measuring delivery through a busy room, and the server sampled
# each second; fails unless both probes' p99 < SOAK_P99_MS (default 10)
# with at least half the clients connected at once at the peak (a latency
# pass under a starved attack counts for nothing), no probe failed, flood control held every flooder, RSS stayed within its
# per-client bound, descriptors came back to the baseline and every log
# line is well-formed (tests/e2e/soak.py says how each is checked).
# SOAK_ATTACKERS (default idle) is the client processes' CPU priority:
# idle (they stand in for remote machines: a scheduling group of their
# own at nice 19, SCHED_IDLE), nice (nice 10 beside the probes), same.
# The server runs with SOCKIT_TURN_STATS=1: the report's "turns" holds
# each worker's turn lengths (wall and CPU time, lib/turn_stats.c).
# Prints a JSON report on stdout and a summary on stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
# Inside a network namespace of its own where allowed: a loopback nobody
# else uses, and no TIME-WAIT sockets left on the shared one.
ns=()
if unshare -n true 2>/dev/null; then
	ns=(unshare -n sh -c 'ip link set lo up && exec "$@"' sh)
fi
exec "${ns[@]}" python3 tests/e2e/soak.py --sockit "$build/sockit" \
	--clients "${SOAK_CLIENTS:-10000}" --procs "${SOAK_PROCS:-5}" \
	--seconds "${SOAK_SECONDS:-600}" --threads "${SOAK_THREADS:-2}" \
	--udp-rate "${SOAK_UDP_RATE:-2000}" --p99-ms "${SOAK_P99_MS:-10}" \
	--attackers "${SOAK_ATTACKERS:-idle}"
