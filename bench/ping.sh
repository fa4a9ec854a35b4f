#!/usr/bin/env bash
# bench/ping.sh [BUILD_DIR] — `sockit ping` against iputils' ping in the
# same run, inside a network namespace of its own (`unshare -n`, loopback
# only), alternating which goes first:
#   flood:  ping -f -c 20000 127.0.0.1   vs  sockit ping -f -c 20000 127.0.0.1
#           (goal: sockit's wall time <= iputils')
#   many:   sockit ping -q -c 5 -i 0.2 over 100 loopback addresses vs the
#           same over one (goal: <= 1.2x: the targets run at once)
# Needs root (flood, -i 0.2 and the namespace).  Environment: RUNS per
# command (default 3), COUNT (default 20000).  Prints min / median / max
# wall times in ms and the ratios of the medians.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
runs=${RUNS:-3}
count=${COUNT:-20000}
sockit=$(realpath "$build/sockit")

if [ "$(id -u)" != 0 ]; then
	echo "bench/ping.sh: needs root (flood ping and a network namespace); skipped" >&2
	exit 0
fi
if [ -z "${PING_BENCH_INNER:-}" ]; then
	exec unshare -n env PING_BENCH_INNER=1 RUNS="$runs" COUNT="$count" "$0" "$build"
fi
ip link set lo up

# Wall time of one run in milliseconds; the run must succeed.
one_run() {
	local t0 t1
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1 || { echo "bench/ping.sh: failed: $*" >&2; exit 1; }
	t1=$(date +%s%N)
	echo $(( (t1 - t0) / 1000000 ))
}

# "min median max" of the numbers on stdin.
stats() { sort -n | awk '{a[NR]=$1} END {print a[1], a[int((NR+1)/2)], a[NR]}'; }

# pair NAME_A NAME_B -- CMD_A... -- CMD_B...: interleaved runs, A first on
# even rounds, B first on odd ones.
pair() {
	local na=$1 nb=$2 i; shift 2
	local -a a=() b=()
	shift
	while [ "$1" != "--" ]; do a+=("$1"); shift; done
	shift
	b=("$@")
	: >"$tmp/a"; : >"$tmp/b"
	for ((i = 0; i < runs; i++)); do
		if ((i % 2 == 0)); then
			one_run "${a[@]}" >>"$tmp/a"; one_run "${b[@]}" >>"$tmp/b"
		else
			one_run "${b[@]}" >>"$tmp/b"; one_run "${a[@]}" >>"$tmp/a"
		fi
	done
	read -r amin amed amax < <(stats <"$tmp/a")
	read -r bmin bmed bmax < <(stats <"$tmp/b")
	printf '  %-44s min %5s  median %5s  max %5s ms\n' "$na" "$amin" "$amed" "$amax"
	printf '  %-44s min %5s  median %5s  max %5s ms\n' "$nb" "$bmin" "$bmed" "$bmax"
	ratio=$(awk -v a="$amed" -v b="$bmed" 'BEGIN { printf "%.2f", b ? a / b : 0 }')
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== ping: flood, $count echoes on loopback ($runs runs each, interleaved)"
pair "sockit ping -f -c $count 127.0.0.1" "ping -f -c $count 127.0.0.1 (iputils)" \
	-- "$sockit" ping -f -c "$count" 127.0.0.1 -- ping -f -c "$count" 127.0.0.1
echo "  sockit / iputils = $ratio (goal <= 1.00)"

hosts=$(for i in $(seq 1 100); do printf '127.0.1.%d ' "$i"; done)
echo "== ping: 100 targets x 5 probes vs 1 target x 5 probes (-i 0.2)"
# shellcheck disable=SC2086  # one argument per host
pair "sockit ping -q -c 5 -i 0.2 (100 hosts)" "sockit ping -q -c 5 -i 0.2 127.0.1.1" \
	-- "$sockit" ping -q -c 5 -i 0.2 $hosts -- "$sockit" ping -q -c 5 -i 0.2 127.0.1.1
echo "  100 hosts / 1 host = $ratio (goal <= 1.20)"
