#!/usr/bin/env bash
# chat.sh [BUILD] — the chat fan-out benchmark: sockit serve chat against
# ngircd, side by side in the same run, flood control off on both
# (--no-flood-limit; ngircd's DefaultUserModes = F).  100 clients in one
# channel, 75-byte lines; 1 sender (99 receivers) and 10 senders; every
# delivery checked for sender and order by `sockit bench chat`.  Rounds
# alternate which server goes first.  Prints one table.
#
# Then 5,000 idle registered clients (CHAT_BENCH_IDLE): the servers'
# RSS growth per client (tests/helpers/chat_load's idle mode).
#
# CHAT_BENCH_SECONDS (default 2) per run, CHAT_BENCH_ROUNDS (default 2),
# BENCH_SERVER_CPU / BENCH_CLIENT_CPU (default 0 / 1).  Loopback only;
# every server is stopped by PID.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
case "$BUILD" in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
SOCKIT=$BUILD/sockit
LOAD=$BUILD/tests/helpers/chat_load
SECS=${CHAT_BENCH_SECONDS:-2}
ROUNDS=${CHAT_BENCH_ROUNDS:-2}
SCPU=${BENCH_SERVER_CPU:-0}
CCPU=${BENCH_CLIENT_CPU:-1}
TMP=$(mktemp -d /tmp/sockit-chat-bench.XXXXXX)
pid=""

cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

make -s BUILD="$(realpath -m --relative-to="$PWD" "$BUILD")" all >/dev/null
make -s BUILD="$(realpath -m --relative-to="$PWD" "$BUILD")" "$(realpath -m --relative-to="$PWD" "$LOAD")" >/dev/null
command -v ngircd >/dev/null || { echo "chat.sh: ngircd missing (install-deps.sh bench)" >&2; exit 1; }
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Wait (bounded) until something listens on port $1.
wait_port() {
	for _ in $(seq 300); do
		python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),1)" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "chat.sh: nothing listens on $1" >&2
	return 1
}

start_sockit() {
	taskset -c "$SCPU" "$SOCKIT" serve -q --threads 1 --no-flood-limit chat \
		tcp://127.0.0.1:0 > "$TMP/ready" 2>"$TMP/sockit.log" &
	pid=$!
	for _ in $(seq 300); do
		port=$(sed -n 's/^listening tcp:\/\/127.0.0.1:\([0-9]*\) chat$/\1/p' "$TMP/ready")
		[ -n "$port" ] && return 0
		sleep 0.05
	done
	echo "chat.sh: sockit did not start" >&2
	return 1
}

start_ngircd() {
	port=$(free_port)
	cat > "$TMP/ngircd.conf" <<CONF
[Global]
Name = peer.bench
Info = bench peer
Listen = 127.0.0.1
Ports = $port
MotdPhrase = bench
[Limits]
PingTimeout = 120
MaxConnectionsIP = 0
MaxJoins = 0
[Options]
PAM = no
Ident = no
DNS = no
DefaultUserModes = F
CONF
	taskset -c "$SCPU" ngircd -n -f "$TMP/ngircd.conf" > "$TMP/ngircd.log" 2>&1 &
	pid=$!
	wait_port "$port"
}

stop_server() {
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	pid=""
}

# run SERVER SENDERS: one measurement, its JSON line tagged.
run() {
	"start_$1"
	local out
	out=$(taskset -c "$CCPU" "$SOCKIT" bench -q --json -c 100 --senders "$2" -s 75 \
		-d "$SECS" --timeout 30s "tcp://127.0.0.1:$port" chat) || out="{\"failed\":true}"
	stop_server
	echo "{\"server\":\"$1\",${out#\{}" >> "$TMP/results.jsonl"
}

echo "chat bench: 100 clients, 75-byte lines, ${SECS}s per run, $ROUNDS rounds," \
	"servers on CPU $SCPU, load on CPU $CCPU" >&2
for r in $(seq "$ROUNDS"); do
	for senders in 1 10; do
		if [ $((r % 2)) = 1 ]; then run sockit "$senders"; run ngircd "$senders"
		else run ngircd "$senders"; run sockit "$senders"; fi
	done
done

# idle SERVER: RSS growth per registered idle client (CHAT_BENCH_IDLE of them).
IDLE=${CHAT_BENCH_IDLE:-5000}
rss_kb() { awk '/^VmRSS/ {print $2}' /proc/"$1"/status; }
idle() {
	"start_$1"
	local before after
	before=$(rss_kb "$pid")
	taskset -c "$CCPU" "$LOAD" "$port" "$IDLE" 0 300 > "$TMP/idle.out" &
	local lp=$!
	for _ in $(seq 3600); do
		grep -q ready "$TMP/idle.out" 2>/dev/null && break
		kill -0 "$lp" 2>/dev/null || break
		sleep 0.05
	done
	after=$(rss_kb "$pid")
	kill "$lp" 2>/dev/null || true
	wait "$lp" 2>/dev/null || true
	stop_server
	if grep -q ready "$TMP/idle.out"; then
		echo "{\"server\":\"$1\",\"idle\":$IDLE,\"rss_before_kb\":$before,\"rss_after_kb\":$after}" >> "$TMP/results.jsonl"
	fi
}
idle sockit
idle ngircd

python3 - "$TMP/results.jsonl" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def med(server, senders, key):
    v = [r[key] for r in rows if r.get("server") == server and r.get("senders") == senders and key in r]
    return statistics.median(v) if v else None
print("| scenario | sockit deliveries/s | ngircd deliveries/s | ratio | sockit p99 | ngircd p99 | errors |")
print("|---|---:|---:|---:|---:|---:|---:|")
for s in (1, 10):
    a, b = med("sockit", s, "deliveries_per_s"), med("ngircd", s, "deliveries_per_s")
    for r in rows:
        if "latency_us" in r:
            r["p99_us"] = r["latency_us"]["p99"]
    pa, pb = med("sockit", s, "p99_us"), med("ngircd", s, "p99_us")
    errs = sum(r.get("errors", {}).get("total", 0) + (1 if r.get("failed") else 0)
               for r in rows if r.get("senders") == s or r.get("failed"))
    ratio = f"{a / b:.2f}x" if a and b else "-"
    fmt = lambda x: f"{x / 1e6:.2f} M" if x else "-"
    ms = lambda x: f"{x / 1000:.0f} ms" if x else "-"
    print(f"| {s} sender{'s' if s > 1 else ''}, {100 - s if s == 1 else 100} receivers | {fmt(a)} | {fmt(b)} | {ratio} | {ms(pa)} | {ms(pb)} | {errs} |")
idle = {r["server"]: r for r in rows if "idle" in r}
if idle:
    per = {k: (v["rss_after_kb"] - v["rss_before_kb"]) * 1024 / v["idle"] for k, v in idle.items()}
    n = next(iter(idle.values()))["idle"]
    print(f"\nmemory per idle registered client ({n} clients, server RSS growth): " +
          ", ".join(f"{k} {v:.0f} bytes" for k, v in per.items()))
PY
