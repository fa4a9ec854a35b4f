#!/usr/bin/env bash
# bench/backends.sh BUILD [BASE_BUILD] — the io_uring goals, per server
# CPU-second: sockit serve on both backends (and, given BASE_BUILD, the
# same from another build: a before/after in one run) beside
# bench/peers/uring_echo and epoll_echo (udp_epoll_echo for UDP), each
# pinned to CPU $BENCH_SERVER_CPU (0), sockit bench to $BENCH_CLIENT_CPU (1).
# Rounds are interleaved, alternating the order; prints the median of
# req/s and of requests per server CPU-second (the run time of all the
# server's threads around the run, warmup included, from
# /proc/PID/task/*/schedstat: nanoseconds, not 10 ms ticks) for each
# server and scenario.
# On a shared machine req/s moves with the other load; CPU per request
# much less.  Every server is started on port 0 and stopped by PID.
#
# Environment: BENCH_ROUNDS (5), BENCH_DURATION (1.5 s), BENCH_WARMUP
# (0.3 s), BENCH_ONLY (default "tcp64x50 tcp64x1000 tcp16kx50 udp64x50").
set -uo pipefail
cd "$(dirname "$0")/.."
abs() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
NEW=$(abs "${1:-build}")
BASE=${2:+$(abs "$2")}
ROUNDS=${BENCH_ROUNDS:-5}
DUR=${BENCH_DURATION:-1.5}
WARM=${BENCH_WARMUP:-0.3}
SCPU=${BENCH_SERVER_CPU:-0}
CCPU=${BENCH_CLIENT_CPU:-1}
ONLY=${BENCH_ONLY:-"tcp64x50 tcp64x1000 tcp16kx50 udp64x50"}
work=$(mktemp -d /tmp/sockit-backends.XXXXXX)
declare -A pid_of=() tcp=() udp=()
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ulimit -n "$(ulimit -Hn)" 2>/dev/null

# start NAME CMD...: pinned, waiting (10 s at most) for its readiness line.
start() {
	local name=$1 i
	shift
	taskset -c "$SCPU" "$@" >"$work/$name.out" 2>"$work/$name.err" </dev/null &
	pids+=($!)
	pid_of[$name]=$!
	for i in $(seq 200); do
		grep -q '^listening ' "$work/$name.out" 2>/dev/null && break
		kill -0 "${pid_of[$name]}" 2>/dev/null || break
		sleep 0.05
	done
	tcp[$name]=$(awk '$2 ~ /^tcp:/ {print $2; exit}' "$work/$name.out")
	udp[$name]=$(awk '$2 ~ /^udp:/ {print $2; exit}' "$work/$name.out")
	[ -n "${tcp[$name]}${udp[$name]}" ] || echo "backends: $name did not start: $(head -c 200 "$work/$name.err")" >&2
}

make -s -k -C bench OUT="$NEW/bench" >/dev/null 2>&1
servers="sockit-u sockit-e"
start sockit-u "$NEW/sockit" serve -q --threads 1 --backend io_uring echo tcp://127.0.0.1:0 udp://127.0.0.1:0
start sockit-e "$NEW/sockit" serve -q --threads 1 --backend epoll echo tcp://127.0.0.1:0 udp://127.0.0.1:0
if [ -n "$BASE" ]; then
	servers="$servers base-u base-e"
	start base-u "$BASE/sockit" serve -q --threads 1 --backend io_uring echo tcp://127.0.0.1:0 udp://127.0.0.1:0
	start base-e "$BASE/sockit" serve -q --threads 1 --backend epoll echo tcp://127.0.0.1:0 udp://127.0.0.1:0
fi
start uring_echo "$NEW/bench/uring_echo"
start epoll_echo "$NEW/bench/epoll_echo"
start udp_epoll "$NEW/bench/udp_epoll_echo"

# CPU time of all of a process's threads, in microseconds.
ticks() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%d\n", s / 1000}'; }
args_of() {
	case $1 in
	tcp64x50|udp64x50) echo "-c 50" ;;
	tcp64x1000) echo "-c 1000" ;;
	tcp16kx50) echo "-c 50 -s 16384" ;;
	tcp64x1) echo "-c 1" ;;
	tcp16kx1) echo "-c 1 -s 16384" ;;
	esac
}
res=$work/results.jsonl
for round in $(seq "$ROUNDS"); do
	for sc in $ONLY; do
		list="$servers uring_echo epoll_echo"
		[ "$sc" = udp64x50 ] && list="$servers udp_epoll"
		[ $((round % 2)) -eq 0 ] && list=$(printf '%s\n' $list | tac)
		for s in $list; do
			if [ "$sc" = udp64x50 ]; then ep=${udp[$s]:-}; else ep=${tcp[$s]:-}; fi
			[ -n "$ep" ] || continue
			t0=$(ticks "${pid_of[$s]}")
			j=$(timeout 120 taskset -c "$CCPU" "$NEW/sockit" bench "$ep" --json -d "$DUR" \
			    --warmup "$WARM" $(args_of "$sc") 2>/dev/null)
			sleep 0.1
			t1=$(ticks "${pid_of[$s]}")
			printf '{"round":%d,"sc":"%s","srv":"%s","ticks":%d,"hz":%d,"r":%s}\n' "$round" "$sc" "$s" \
			       $((t1 - t0)) 1000000 "${j:-{\}}" >>"$res"
		done
	done
done
echo "servers on CPU $SCPU, sockit bench on CPU $CCPU, $ROUNDS rounds of ${DUR}s + ${WARM}s; load $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 - "$res" <<'PY'
import collections, json, statistics, sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    d = json.loads(line)
    r = d["r"]
    if not r or d["ticks"] <= 0:
        continue
    runs[(d["sc"], d["srv"])].append((r["rps"], r["replies_total"] / (d["ticks"] / d["hz"]),
                                      r["errors"]["total"]))
print(f"{'scenario':12} {'server':11} {'req/s':>9} {'k req/CPU-s':>12}  errors  (per-CPU runs)")
for (sc, srv), v in runs.items():
    print(f"{sc:12} {srv:11} {statistics.median(x[0] for x in v):9.0f} "
          f"{statistics.median(x[1] for x in v) / 1000:12.1f}  {sum(x[2] for x in v):6d}  "
          f"{sorted(round(x[1] / 1000) for x in v)}")
# Ratios inside each round (the two runs seconds apart, under the same
# load), then their median: steadier than a ratio of medians.
per = collections.defaultdict(dict)
for line in open(sys.argv[1]):
    d = json.loads(line)
    if d["r"] and d["ticks"] > 0:
        per[(d["sc"], d["round"])][d["srv"]] = (d["r"]["rps"],
            d["r"]["replies_total"] / (d["ticks"] / d["hz"]))
pairs = [("sockit-u", p) for p in ("uring_echo", "epoll_echo", "udp_epoll", "sockit-e")]
pairs += [("sockit-e", "epoll_echo"), ("sockit-u", "base-u"), ("sockit-e", "base-e")]
print(f"{'scenario':12} {'ratio':24} {'per CPU-s':>9} {'req/s':>7}  (rounds)")
for sc in dict.fromkeys(k[0] for k in per):
    for a, b in pairs:
        rs = [r for (s2, _), r in per.items() if s2 == sc and a in r and b in r]
        if rs:
            cpu = statistics.median(r[a][1] / r[b][1] for r in rs)
            rps = statistics.median(r[a][0] / r[b][0] for r in rs)
            print(f"{sc:12} {a + ' / ' + b:24} {cpu:9.2f} {rps:7.2f}  ({len(rs)})")
PY
