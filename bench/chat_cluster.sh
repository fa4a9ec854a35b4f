#!/usr/bin/env bash
# chat_cluster.sh [BUILD] — the chat cluster benchmark: three `sockit serve
# chat --cluster` nodes and their own redis-server, 300 clients (100 per
# node) in one channel, 10 senders, every delivery checked for sender and
# order by tests/helpers/chat_load; then the same 300 clients on one
# plain node, in the same run.  Prints deliveries/s, p50/p99 latency, and
# Redis PUBLISH commands per channel message (1 expected: one per line,
# never one per member or per node).
#
# Runs inside a network namespace of its own (unshare -n: a private
# loopback, so the fixed Redis port meets nobody); needs root.
# CLUSTER_BENCH_SECONDS (default 2).  Every process is stopped by PID.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
case "$BUILD" in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
if [ -z "${CLUSTER_BENCH_INNER:-}" ]; then
	exec unshare -n env CLUSTER_BENCH_INNER=1 "$0" "$BUILD"
fi
SOCKIT=$BUILD/sockit
LOAD=$BUILD/tests/helpers/chat_load
SECS=${CLUSTER_BENCH_SECONDS:-2}
RPORT=6399
TMP=$(mktemp -d /tmp/sockit-cluster-bench.XXXXXX)
pids=()

cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$TMP"
}
trap cleanup EXIT
ip link set lo up
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
make -s BUILD="$(realpath --relative-to="$PWD" "$BUILD")" "$(realpath --relative-to="$PWD" "$LOAD")" >/dev/null

redis-server --port $RPORT --bind 127.0.0.1 --save '' --appendonly no \
	--dir "$TMP" >"$TMP/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 200); do
	[ "$(redis-cli -p $RPORT ping 2>/dev/null)" = PONG ] && break
	sleep 0.05
done

# start_node NAME [OPTS...]: echoes the port once listening (and linked).
start_node() {
	local name=$1; shift
	"$SOCKIT" serve --threads 1 --no-flood-limit "$@" chat tcp://127.0.0.1:0 \
		>"$TMP/$name.ready" 2>"$TMP/$name.log" &
	pids+=($!)
	for _ in $(seq 300); do
		port=$(sed -n 's/^listening tcp:\/\/127.0.0.1:\([0-9]*\) chat$/\1/p' "$TMP/$name.ready")
		if [ -n "$port" ] && { [ $# -eq 0 ] || grep -q "redis link up" "$TMP/$name.log"; }; then
			return 0
		fi
		sleep 0.05
	done
	echo "chat_cluster.sh: node $name did not start: $(cat "$TMP/$name.log")" >&2
	exit 1
}

publishes() {
	redis-cli -p $RPORT info commandstats | sed -n 's/^cmdstat_s\{0,1\}publish:calls=\([0-9]*\),.*/\1/p' | tr -d '\r' | awk '{ n += $1 } END { print n + 0 }'
}

# State commands: the scripts (EVAL) the nodes send; the commands a
# script runs inside Redis are counted by commandstats too, so they are
# left out (the bench's clients send no MODE/INVITE, the plain writes).
state_ops() {
	redis-cli -p $RPORT info commandstats | tr -d '\r' |
		sed -n 's/^cmdstat_eval\(sha\)\{0,1\}:calls=\([0-9]*\),.*/\2/p' |
		awk '{ n += $1 } END { print n + 0 }'
}

ports=()
for n in a b c; do
	start_node "$n" --cluster "redis://127.0.0.1:$RPORT" --node-name "$n"
	ports+=("$port")
done
p0=$(publishes)
s0=$(state_ops)
cluster=$("$LOAD" "$(IFS=,; echo "${ports[*]}")" 300 10 "$SECS")
p1=$(publishes)
s1=$(state_ops)
for p in "${pids[@]:1}"; do kill "$p"; wait "$p" 2>/dev/null || true; done
pids=("${pids[0]}")
start_node single
single=$("$LOAD" "$port" 300 10 "$SECS")

python3 - "$cluster" "$single" "$p0" "$p1" "$s0" "$s1" <<'PY'
import json, sys
c, s = json.loads(sys.argv[1]), json.loads(sys.argv[2])
pubs = int(sys.argv[4]) - int(sys.argv[3])
# Each channel line reaches clients-1 members; joins, W/H and QUITs are
# a few hundred publishes more, counted in as well (an upper bound).
lines = (c["deliveries"] + c["lost"]) / (c["clients"] - 1)
print("| setup (300 clients, 10 senders, 1 room) | deliveries/s | p50 us | p99 us | lost | order errors |")
print("|---|---|---|---|---|---|")
print(f"| 3 nodes x 100, one Redis | {c['deliveries_per_s']:.0f} | {c['p50_us']} | {c['p99_us']} | {c['lost']} | {c['order_errors']} |")
print(f"| 1 node, no cluster | {s['deliveries_per_s']:.0f} | {s['p50_us']} | {s['p99_us']} | {s['lost']} | {s['order_errors']} |")
# Each client's JOIN and QUIT is one publish too (its one room).
extra = 2 * c["clients"]
print(f"Redis PUBLISH per channel message: {(pubs - extra) / max(lines, 1):.3f} "
      f"({pubs} publishes: ~{lines:.0f} lines, {extra} JOIN/QUIT, the rest who-is-there)")
# State writes are apart from the publishes: per client a nick claim and
# its user entry, the join script; at its QUIT the part, the user entry's
# and the nick's removal; plus one heartbeat script per node every TTL/3.
state = int(sys.argv[6]) - int(sys.argv[5])
print(f"Redis state scripts (EVAL): {state} = {state / c['clients']:.2f} per client "
      f"(claim, user entry, join; part, user entry, release) + heartbeats; none per channel message")
PY
