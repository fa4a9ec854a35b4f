#!/usr/bin/env bash
# bench/sockets.sh [BUILD_DIR] — time `sockit sockets` against ss and netstat
# in the same run, with ~60k loopback TCP sockets held open by
# tests/helpers/hold_sockets (spread over child processes, 15000 fds each).
#
# Environment: SOCKETS (default 60000), RUNS per command (default 7).
# ss and sockit run in turn (ss, sockit, ss, ...) for each pair of rows.
# Prints min / median / max wall time per command and the goals (issue 18):
# `sockit sockets -tan 'dport = :X'` (filtered in the kernel) <= 0.5x ss's,
# `-tanp` <= 0.25x `ss -tanp`, `-tani` <= `ss -tani`; and -tan <= ss -tan.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
sockets=${SOCKETS:-60000}
runs=${RUNS:-7}

make -s BUILD="$build" "$build/sockit" "$build/tests/helpers/hold_sockets" >/dev/null
sockit="$build/sockit"

coproc HOLD { exec "$build/tests/helpers/hold_sockets" "$sockets"; }
hold_pid=$HOLD_PID
stop_holder() { exec {HOLD[1]}>&- 2>/dev/null || true; wait "$hold_pid" 2>/dev/null || true; }
trap stop_holder EXIT
read -r -t 120 word held <&"${HOLD[0]}"
[ "$word" = ready ] || { echo "bench/sockets.sh: holder not ready" >&2; exit 1; }

# Wall time of one run in microseconds, from bash's own clock
# ($EPOCHREALTIME): the fork and exec of the command and its exit are in
# it, as for any command a shell runs; no `date` process is (forking and
# loading one at each end added about 2 ms to every run of both tools).
# Into the variable `took`, without a subshell.
one_run() {
	local t0 t1
	t0=${EPOCHREALTIME/./}
	"$@" >/dev/null 2>&1
	t1=${EPOCHREALTIME/./}
	took=$((t1 - t0))
}

# "min median max" of the microsecond times given.
summary() {
	printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[1], a[int((NR+1)/2)], a[NR]}'
}

declare -A med
print_row() {
	local label=$1 mn=$2 md=$3 mx=$4
	med[$label]=$md
	awk -v l="$label" -v a="$mn" -v b="$md" -v c="$mx" \
		'BEGIN { printf "%-26s %8.4f %8.4f %8.4f\n", l, a / 1e6, b / 1e6, c / 1e6 }'
}

# pair LABEL_A LABEL_B CMD_A... -- CMD_B...: $runs runs of each, taken in
# turn (A, B, A, B, ...), so a change in the machine's load falls on both
# tools alike; one row for each.
pair() {
	local la=$1 lb=$2 i a=() b=() ta=() tb=()
	shift 2
	while [ "$1" != "--" ]; do a+=("$1"); shift; done
	shift
	b=("$@")
	for ((i = 0; i < runs; i++)); do
		one_run "${a[@]}"; ta+=("$took")
		one_run "${b[@]}"; tb+=("$took")
	done
	print_row "$la" $(summary "${ta[@]}")
	print_row "$lb" $(summary "${tb[@]}")
}

row() {
	local label=$1 i t=(); shift
	for ((i = 0; i < runs; i++)); do one_run "$@"; t+=("$took"); done
	print_row "$label" $(summary "${t[@]}")
}

total=$("$sockit" sockets -tan -H | wc -l)
echo "== sockit sockets vs ss and netstat: $held loopback TCP sockets held" \
     "($total TCP sockets on the machine), $runs runs each, $(nproc) cores"
printf '%-26s %8s %8s %8s\n' "command" "min s" "median s" "max s"
# X: the peer port most connections have, one holder child's listener.
port=$("$sockit" sockets -Htn | awk '{ n = split($5, a, ":"); c[a[n]]++ }
	END { for (p in c) if (c[p] > best) { best = c[p]; bp = p }; print bp }')
pair "ss -tan" "sockit sockets -tan" ss -tan -- "$sockit" sockets -tan
pair "ss -tan dport=X" "sockit -tan dport=X" ss -tan "dport = :$port" -- \
	"$sockit" sockets -tan "dport = :$port"
pair "ss -tani" "sockit sockets -tani" ss -tani -- "$sockit" sockets -tani
pair "ss -tanp" "sockit sockets -tanp" ss -tanp -- "$sockit" sockets -tanp
if command -v netstat >/dev/null; then row "netstat -tanp" netstat -tanp; fi

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
echo "sockit -tan / ss -tan (median):   $(ratio "${med[sockit sockets -tan]}" "${med[ss -tan]}")  (goal <= 1.00)"
echo "sockit / ss, 'dport = :$port' (median): $(ratio "${med[sockit -tan dport=X]}" "${med[ss -tan dport=X]}")  (goal <= 0.50)"
echo "sockit / ss, -tani (median):      $(ratio "${med[sockit sockets -tani]}" "${med[ss -tani]}")  (goal <= 1.00)"
echo "sockit / ss, -tanp (median):      $(ratio "${med[sockit sockets -tanp]}" "${med[ss -tanp]}")  (goal <= 0.25)"
echo "sockit -tanp median:              $(ratio "${med[sockit sockets -tanp]}" 1000000) s  (goal <= 0.25 s)"
echo "ss -tanp / sockit -tanp (median): $(ratio "${med[ss -tanp]}" "${med[sockit sockets -tanp]}")x faster"
