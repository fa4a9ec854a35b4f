#!/usr/bin/env bash
# bench/netcat.sh BUILD_DIR — bulk TCP throughput of sockit connect/listen
# against OpenBSD nc, socat -b 131072 and ncat; sockit relay against socat
# TCP-LISTEN,fork; TLS against ncat --ssl.  Same input file for every
# tool, both ends the same tool, output to /dev/null, runs interleaved
# (tool A, tool B, tool A, ...) so a busy shared machine hurts all alike;
# each cell is the best of NETCAT_BENCH_ROUNDS runs.  Then the half-close
# table (bench/netcat_halfclose.py).  Loopback only; every process started
# here is stopped by PID.
#
# Environment: NETCAT_BENCH_MB (input size, default 2048), NETCAT_BENCH_ROUNDS
# (default 3), NETCAT_BENCH_ONLY (bulk relay tls halfclose).
set -uo pipefail
build=${1:-build}
cd "$(dirname "$0")/.."
case "$build" in /*) ;; *) build=$PWD/$build ;; esac
S=$build/sockit
MB=${NETCAT_BENCH_MB:-2048}
ROUNDS=${NETCAT_BENCH_ROUNDS:-3}
ONLY=${NETCAT_BENCH_ONLY:-bulk relay tls halfclose}
work=$(mktemp -d /tmp/sockit-ncbench.XXXXXX)
declare -a pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT
say() { printf 'netcat bench: %s\n' "$*" >&2; }

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
# Wait (bounded) until something listens on 127.0.0.1:$1.
wait_listen() {
	for _ in $(seq 500); do
		ss -Hltn "sport = :$1" 2>/dev/null | grep -q . && return 0
		sleep 0.01
	done
	return 1
}
now() { date +%s.%N; }

# run_pair NAME "LISTENER CMD" "CLIENT CMD": PORT in both is replaced; the
# listener writes to /dev/null, the client reads the input file.  Prints
# MB/s from the client's start to the listener's exit.
run_pair() {
	local port lcmd ccmd t0 t1 lp
	port=${4:-$(free_port)}
	lcmd=${2//PORT/$port}
	ccmd=${3//PORT/$port}
	bash -c "exec $lcmd" </dev/null >/dev/null 2>"$work/l.err" &
	lp=$!
	pids+=("$lp")
	wait_listen "$port" || { say "$1: listener did not start"; kill "$lp"; echo 0; return; }
	t0=$(now)
	timeout 120 bash -c "exec $ccmd" <"$work/input" >/dev/null 2>"$work/c.err"
	timeout 60 tail --pid="$lp" -f /dev/null
	t1=$(now)
	kill "$lp" 2>/dev/null
	wait "$lp" 2>/dev/null
	python3 -c "print(round($MB / ($t1 - $t0)))"
}

declare -A best=()
record() {   # record KEY VALUE: keep the best
	local k=$1 v=$2
	if [ -z "${best[$k]:-}" ] || [ "$v" -gt "${best[$k]}" ]; then best[$k]=$v; fi
}

say "input: $MB MiB of random bytes, $ROUNDS rounds, interleaved"
head -c "$((MB << 20))" /dev/urandom >"$work/input"

bulk_tools=(sockit nc socat ncat)
declare -A bulk_l=(
	[sockit]="$S listen 127.0.0.1 PORT"
	[nc]="nc.openbsd -d -l 127.0.0.1 PORT"
	[socat]="socat -b 131072 -u TCP-LISTEN:PORT,bind=127.0.0.1,reuseaddr OPEN:/dev/null"
	[ncat]="ncat --recv-only -l 127.0.0.1 PORT"
)
declare -A bulk_c=(
	[sockit]="$S connect 127.0.0.1 PORT"
	[nc]="nc.openbsd -N 127.0.0.1 PORT"
	[socat]="socat -b 131072 -u STDIN TCP:127.0.0.1:PORT"
	[ncat]="ncat --send-only 127.0.0.1 PORT"
)
relay_tools=(sockit socat)
declare -A relay_cmd=(
	[sockit]="$S relay tcp://127.0.0.1:RPORT tcp://127.0.0.1:PORT"
	[socat]="socat TCP-LISTEN:RPORT,bind=127.0.0.1,reuseaddr,fork TCP:127.0.0.1:PORT"
)

for round in $(seq "$ROUNDS"); do
	if [[ " $ONLY " == *" bulk "* ]]; then
		for t in "${bulk_tools[@]}"; do
			v=$(run_pair "$t" "${bulk_l[$t]}" "${bulk_c[$t]}")
			say "round $round bulk $t: $v MB/s"
			record "bulk $t" "$v"
		done
	fi
	if [[ " $ONLY " == *" relay "* ]]; then
		for t in "${relay_tools[@]}"; do
			# client -> relay (:rport) -> sink (sockit listen on :sink)
			rport=$(free_port)
			sink=$(free_port)
			cmd=${relay_cmd[$t]//RPORT/$rport}
			cmd=${cmd//PORT/$sink}
			bash -c "exec $cmd" >/dev/null 2>&1 </dev/null &
			rp=$!
			pids+=("$rp")
			wait_listen "$rport"
			v=$(run_pair "relay $t" "$S listen 127.0.0.1 PORT" "$S connect 127.0.0.1 $rport" "$sink")
			kill "$rp"; wait "$rp" 2>/dev/null
			say "round $round relay $t: $v MB/s"
			record "relay $t" "$v"
		done
	fi
	if [[ " $ONLY " == *" tls "* ]]; then
		v=$(run_pair "tls sockit" "$S listen --tls 127.0.0.1 PORT" \
			"$S connect --tls --insecure 127.0.0.1 PORT")
		say "round $round tls sockit: $v MB/s"
		record "tls sockit" "$v"
		v=$(run_pair "tls ncat" "ncat --ssl --recv-only -l 127.0.0.1 PORT" \
			"ncat --ssl --send-only 127.0.0.1 PORT")
		say "round $round tls ncat: $v MB/s"
		record "tls ncat" "$v"
	fi
done

ratio() { python3 -c "a,b=$1,$2; print('%.2fx' % (a/b) if b else '-')"; }
echo
echo "## sockit connect/listen/relay: bulk TCP on loopback ($MB MiB, best of $ROUNDS, $(date -u +%Y-%m-%dT%H:%MZ))"
echo
echo "| scenario | tool | MB/s | sockit / tool |"
echo "|---|---|---|---|"
if [[ " $ONLY " == *" bulk "* ]]; then
	for t in "${bulk_tools[@]}"; do
		echo "| connect -> listen | $t | ${best[bulk $t]} | $(ratio "${best[bulk sockit]}" "${best[bulk $t]}") |"
	done
fi
if [[ " $ONLY " == *" relay "* ]]; then
	for t in "${relay_tools[@]}"; do
		echo "| client -> relay -> sink | $t | ${best[relay $t]} | $(ratio "${best[relay sockit]}" "${best[relay $t]}") |"
	done
fi
if [[ " $ONLY " == *" tls "* ]]; then
	for t in sockit ncat; do
		echo "| TLS connect -> listen | $t | ${best[tls $t]} | $(ratio "${best[tls sockit]}" "${best[tls $t]}") |"
	done
fi
if [[ " $ONLY " == *" halfclose "* ]]; then
	echo
	echo "## half-close: printf hello | TOOL 127.0.0.1 PORT, server replies after EOF"
	echo
	python3 bench/netcat_halfclose.py "$S"
fi
