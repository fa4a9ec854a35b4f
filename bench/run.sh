#!/usr/bin/env bash
# bench/run.sh BUILD_DIR — make bench: run sockit's servers and their peers
# side by side under the same `sockit bench` invocations and print one
# table (peer x scenario -> req/s, p99, sockit's ratio), also written to
# docs/benchmarks.md.
#
# Every server is started on port 0 (or a free port found just before)
# pinned to CPU $BENCH_SERVER_CPU, the load generator to $BENCH_CLIENT_CPU;
# readiness is waited on, never slept for, and every process started here
# is stopped by PID on exit.  All traffic is on 127.0.0.1.
#
# The machine may be shared and two cores are few: numbers are noisy.  So
# the pairs the goals compare (sockit and its bare-epoll or libuv
# reference) run $BENCH_ROUNDS times, alternating which goes first, and
# table.py reports each one's median run; every other peer runs once.
#
# Environment: BENCH_DURATION (s, default 1.5), BENCH_WARMUP (s, default
# 0.3), BENCH_ROUNDS (default 2),
# BENCH_ONLY (space-separated scenario ids to run), BENCH_DOC (output
# markdown, default docs/benchmarks.md; "-" for none), BENCH_EXTRAS=0 (skip
# the scanner's, socket viewer's, ping, chat and netcat benchmarks).
set -uo pipefail

build=${1:-build}
cd "$(dirname "$0")/.."
root=$PWD
case "$build" in /*) ;; *) build=$root/$build ;; esac
SOCKIT=$build/sockit
OUT=$build/bench
DUR=${BENCH_DURATION:-1.5}
WARM=${BENCH_WARMUP:-0.3}
ROUNDS=${BENCH_ROUNDS:-2}
SCPU=${BENCH_SERVER_CPU:-0}
CCPU=${BENCH_CLIENT_CPU:-1}
DOC=${BENCH_DOC:-docs/benchmarks.md}
ONLY=${BENCH_ONLY:-}

work=$(mktemp -d /tmp/sockit-bench.XXXXXX)
results=$work/results.jsonl
declare -a pids=()
declare -A tcp_ep=() udp_ep=() pid_of=()

say() { printf 'bench: %s\n' "$*" >&2; }

# Stop every process started here, children of forking servers first.
cleanup() {
	local p c
	for p in "${pids[@]}"; do
		for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do
			kill -TERM "$c" 2>/dev/null
		done
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${pids[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start NAME CPUS LINES CMD...: run CMD pinned to CPUS and wait (at most
# 10 s) until it has printed LINES readiness lines "listening EP SERVICE".
start() {
	local name=$1 cpus=$2 lines=$3 i
	shift 3
	taskset -c "$cpus" "$@" >"$work/$name.out" 2>"$work/$name.err" </dev/null &
	pids+=($!)
	pid_of[$name]=$!
	for i in $(seq 200); do
		[ "$(grep -c '^listening ' "$work/$name.out")" -ge "$lines" ] && break
		kill -0 "${pid_of[$name]}" 2>/dev/null || break
		sleep 0.05
	done
	if [ "$(grep -c '^listening ' "$work/$name.out")" -lt "$lines" ]; then
		say "$name did not start: $(head -c 300 "$work/$name.err")"
		return 1
	fi
	tcp_ep[$name]=$(awk '$2 ~ /^tcp:/ {print $2; exit}' "$work/$name.out")
	udp_ep[$name]=$(awk '$2 ~ /^udp:/ {print $2; exit}' "$work/$name.out")
	return 0
}

# start_port NAME PORT CMD...: for peers with no readiness line: wait
# until PORT on 127.0.0.1 accepts a connection.
start_port() {
	local name=$1 port=$2
	shift 2
	taskset -c "$SCPU" "$@" >"$work/$name.out" 2>"$work/$name.err" </dev/null &
	pids+=($!)
	pid_of[$name]=$!
	if ! /usr/bin/python3 - "$port" <<'PY'
import socket, sys, time
deadline = time.monotonic() + 10
while time.monotonic() < deadline:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
PY
	then
		say "$name did not start: $(head -c 300 "$work/$name.err")"
		return 1
	fi
	tcp_ep[$name]=tcp://127.0.0.1:$port
}

# CPU ticks used by a server and its reaped children (utime+stime+
# cutime+cstime); forking servers' live children are not included.
ticks() {
	awk '{print $14+$15+$16+$17}' "/proc/$1/stat" 2>/dev/null || echo 0
}

# measure ROUND SCENARIO PEER ENDPOINT BENCH-ARGS...: one sockit bench
# run, appended to the results as a JSON line.
measure() {
	local round=$1 scen=$2 peer=$3 ep=$4 pid t0 t1 rc json
	shift 4
	[ -n "$ep" ] || return 0
	pid=${pid_of[${peer%%:*}]}
	t0=$(ticks "$pid")
	json=$(timeout 120 taskset -c "$CCPU" "$SOCKIT" bench "$ep" --json \
	       -d "$DUR" --warmup "$WARM" "$@" 2>"$work/bench.err")
	rc=$?
	sleep 0.1
	t1=$(ticks "$pid")
	[ -n "$json" ] || json='{}'
	printf '{"round":%d,"scenario":"%s","peer":"%s","rc":%d,"ticks":%d,"hz":%d,"args":"%s","r":%s}\n' \
	       "$round" "$scen" "$peer" "$rc" $((t1 - t0)) "$(getconf CLK_TCK)" "$*" "$json" >>"$results"
	printf '  %d %-11s %-18s %s\n' "$round" "$scen" "$peer" \
	       "$(printf '%s' "$json" | /usr/bin/python3 -c 'import json,sys
r=json.load(sys.stdin)
print("%10.0f req/s  p99 %8.1f us  errors %d" % (r["rps"], r["latency_us"]["p99"], r["errors"]["total"]) if r else "failed")' 2>/dev/null) rc=$rc" >&2
	[ "$rc" -eq 0 ] || say "$(tail -n 1 "$work/bench.err")"
}

want() { [ -z "$ONLY" ] || [[ " $ONLY " == *" $1 "* ]]; }

start_servers() {
	local p
	start sockit-1 "$SCPU" 2 "$SOCKIT" serve -q --threads 1 echo tcp://127.0.0.1:0 udp://127.0.0.1:0
	# The io_uring backend, where the kernel has it (no row where not).
	start sockit-1u "$SCPU" 2 "$SOCKIT" serve -q --threads 1 --backend io_uring echo tcp://127.0.0.1:0 udp://127.0.0.1:0 ||
		say "no io_uring here: the sockit-1u rows are skipped"
	start sockit-2 "0,1" 2 "$SOCKIT" serve -q --threads 2 echo tcp://127.0.0.1:0 udp://127.0.0.1:0
	start sockit-caesar "$SCPU" 1 "$SOCKIT" serve -q --threads 1 caesar tcp://127.0.0.1:0 ||
		say "no caesar service in this build: the Caesar scenario is skipped"
	start epoll "$SCPU" 1 "$OUT/epoll_echo"
	start udp-epoll "$SCPU" 1 "$OUT/udp_epoll_echo"
	start io_uring "$SCPU" 1 "$OUT/uring_echo"
	start libuv "$SCPU" 1 "$OUT/uv_echo"
	start libevent "$SCPU" 1 "$OUT/ev_echo"
	start py-thread "$SCPU" 1 /usr/bin/python3 bench/peers/py_threaded_echo.py
	start py-asyncio "$SCPU" 1 /usr/bin/python3 bench/peers/py_asyncio_echo.py
	p=$(free_port)
	start_port socat "$p" socat "TCP-LISTEN:$p,bind=127.0.0.1,reuseaddr,fork,backlog=4096" PIPE
	p=$(free_port)
	start_port ncat "$p" ncat -l 127.0.0.1 "$p" -k --max-conns 5000 --exec /bin/cat
	p=$(free_port)
	sed "s/@PORT@/$p/" bench/xinetd.conf >"$work/xinetd.conf"
	start_port xinetd "$p" xinetd -dontfork -f "$work/xinetd.conf" -pidfile "$work/xinetd.pid"
}

TCP_PEERS="sockit-1 sockit-1u sockit-2 epoll io_uring libuv libevent py-thread py-asyncio socat ncat xinetd"
UDP_PEERS="sockit-1 sockit-1u sockit-2 udp-epoll"

# id|label|bench arguments
SCENARIOS=(
	"tcp64x1|TCP 64 B x 1|-c 1"
	"tcp64x50|TCP 64 B x 50|-c 50"
	"tcp64x1000|TCP 64 B x 1000|-c 1000"
	"tcp16kx1|TCP 16 KiB x 1|-c 1 -s 16384"
	"tcp16kx50|TCP 16 KiB x 50|-c 50 -s 16384"
	"pipe16x50|pipeline 16 x 64 B x 50|-c 50 pipeline 16"
	"connect50|connect rate x 50|-c 50 connect"
)

# The first round runs every peer; the later ones only the goal pairs
# ("scenario|peer peer ..."), in alternating order.
GOAL_PAIRS=(
	"tcp64x50|sockit-1 sockit-1u epoll"
	"tcp64x1000|sockit-1 sockit-1u epoll libuv io_uring"
	"tcp16kx1|sockit-1 epoll"
	"tcp16kx50|sockit-1 sockit-1u epoll"
	"udp64x50|sockit-1 sockit-1u udp-epoll"
	"caesar64x50|sockit-caesar sockit-1:echo"
)

# run_one ROUND SCENARIO PEER: the scenario's bench arguments on PEER.
run_one() {
	local round=$1 id=$2 p=$3 s sid args
	case "$id" in
	udp64x50)
		measure "$round" "$id" "$p" "${udp_ep[$p]:-}" -c 50 ;;
	caesar64x50)
		# Caesar against echo of the same request size (e07 + 64 + ".").
		if [ "$p" = sockit-caesar ]; then
			measure "$round" "$id" "$p" "${tcp_ep[$p]:-}" -c 50 caesar
		else
			measure "$round" "$id" "sockit-1:echo 68 B" "${tcp_ep[sockit-1]:-}" -c 50 -s 68
		fi ;;
	*)
		for s in "${SCENARIOS[@]}"; do
			IFS='|' read -r sid _ args <<<"$s"
			[ "$sid" = "$id" ] && measure "$round" "$id" "$p" "${tcp_ep[$p]:-}" $args
		done ;;
	esac
}

run_all() {
	local s id p peers round
	for s in "${SCENARIOS[@]}"; do
		IFS='|' read -r id _ _ <<<"$s"
		want "$id" || continue
		for p in $TCP_PEERS; do run_one 1 "$id" "$p"; done
	done
	if want udp64x50; then
		for p in $UDP_PEERS; do run_one 1 udp64x50 "$p"; done
	fi
	if want caesar64x50 && [ -n "${tcp_ep[sockit-caesar]:-}" ]; then
		run_one 1 caesar64x50 sockit-caesar
		run_one 1 caesar64x50 sockit-1:echo
	fi
	for round in $(seq 2 "$ROUNDS"); do
		for s in "${GOAL_PAIRS[@]}"; do
			IFS='|' read -r id peers <<<"$s"
			want "$id" || continue
			[ "$id" = caesar64x50 ] && [ -z "${tcp_ep[sockit-caesar]:-}" ] && continue
			[ $((round % 2)) -eq 0 ] && peers=$(printf '%s\n' $peers | tac)
			for p in $peers; do run_one "$round" "$id" "$p"; done
		done
	done
}

# 1000 connections need more than the usual soft limit of 1024 descriptors
# in every server (and the forking ones' parents): raise it for all.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || say "cannot raise the descriptor limit ($(ulimit -n))"

command -v taskset >/dev/null || { say "taskset missing (util-linux)"; exit 1; }
[ -x "$SOCKIT" ] || { say "$SOCKIT missing: build first (make all)"; exit 1; }
# A peer that does not build (libuv-dev or libevent-dev missing) is
# skipped, not fatal: start() reports it and its rows stay empty.
make -s -k -C bench OUT="$OUT" || say "some peers did not build (scripts/install-deps.sh bench installs their libraries)"

started=$(date -u '+%Y-%m-%d %H:%M UTC')
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
t_start=$(date +%s)
say "servers on CPU $SCPU, sockit bench on CPU $CCPU, ${DUR}s + ${WARM}s warmup per run"
start_servers
run_all
elapsed=$(( $(date +%s) - t_start ))
say "done in ${elapsed}s"

/usr/bin/python3 bench/table.py "$results" --date "$started" \
	--duration "$DUR" --warmup "$WARM" --rounds "$ROUNDS" --elapsed "$elapsed" \
	--load "$load_before -> $(cut -d' ' -f1-3 /proc/loadavg)" --server-cpu "$SCPU" --client-cpu "$CCPU" \
	--doc "$DOC"

# The scanner's, the socket viewer's and the chat benchmarks, when present; they
# cd to the repository and take BUILD relative to it.
rel=$(realpath --relative-to="$root" "$build")
helpers=$(for f in tests/helpers/*.c; do printf '%s/tests/helpers/%s ' "$rel" "$(basename "$f" .c)"; done)
# scan.sh needs the test helpers (relay, portsink), which `make all` does not build.
[ -n "$helpers" ] && make -s BUILD="$rel" $helpers >/dev/null
# BENCH_EXTRAS=0: the echo table only.
[ "${BENCH_EXTRAS:-1}" = 0 ] && exit 0
for extra in bench/scan.sh bench/sockets.sh bench/ping.sh bench/chat.sh bench/chat_cluster.sh bench/netcat.sh; do
	if [ -x "$extra" ]; then
		say "running $extra $rel"
		"$extra" "$rel" || say "$extra failed"
	fi
done
