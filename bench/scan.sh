#!/usr/bin/env bash
# scan.sh [BUILD] — benchmark `sockit scan` against nmap, side by side.
#
# 1. loopback, ports 1-65535, 55 listeners, in a network namespace of our
#    own: sockit 10 times (every run checked port by port), nmap -sT, -sS.
# 2. the test bed (tests/netns/testbed.sh): host ports 1-10000, 1000 ports
#    dropped + 100 rejected with ICMP admin-prohibited (1100 filtered),
#    50 listeners, 20 ms each way and 1% loss each way on the link:
#    sockit, nmap -sT, nmap -sS, each checked port by port.
#
# SCAN_BENCH_RUNS (default 10) sets the loopback repetitions;
# SCAN_BENCH_NMAP=0 skips nmap on the slow bed (about 2.5 minutes).
# Prints a table: scenario, tool, seconds, wrong results.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
SOCKIT=$PWD/$BUILD/sockit
HELPERS=$PWD/$BUILD/tests/helpers
CHECK="python3 $PWD/bench/scan_check.py"
RUNS=${SCAN_BENCH_RUNS:-10}
ID=b$$
NS=skb-$$
TMP=$(mktemp -d)

cleanup() {
	[ -f "$TMP/sink.pid" ] && kill "$(cat "$TMP/sink.pid")" 2>/dev/null || true
	ip netns del "$NS" 2>/dev/null || true
	tests/netns/testbed.sh down "$ID" >/dev/null 2>&1 || true
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

for tool in nmap nft ethtool; do
	command -v $tool >/dev/null || { echo "scan.sh: $tool missing (make bench installs it)" >&2; exit 1; }
done
[ -x "$SOCKIT" ] && [ -x "$HELPERS/relay" ] || { echo "scan.sh: build first (make all tests)" >&2; exit 1; }

now() { date +%s.%N; }
row() { printf '%-44s %-10s %9s %7s\n' "$@"; }
# timed OUT_FILE CMD... : run, output to file, print elapsed seconds
timed() {
	local out=$1; shift
	local t0; t0=$(now)
	"$@" >"$out" 2>"$out.err" || { echo "scan.sh: $* failed: $(head -c 300 "$out.err")" >&2; return 1; }
	awk -v a="$(now)" -v b="$t0" 'BEGIN { printf "%.3f", a - b }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }

echo "== sockit scan vs nmap ($(nproc) CPUs, $(uname -r))"
row scenario tool seconds wrong

# --- 1. loopback, full range -------------------------------------------
ip netns add "$NS"
ip -n "$NS" link set lo up
ip netns exec "$NS" "$HELPERS/portsink" --ttl 900 --pidfile "$TMP/sink.pid" \
	127.0.0.1 $(printf '0 %.0s' $(seq 55)) </dev/null >"$TMP/listening" 2>/dev/null
OPEN=$(sed -n 's/^listening tcp:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$TMP/listening" | paste -sd,)
LB="loopback 1-65535, 55 open"
times=()
wrong_total=0
for i in $(seq "$RUNS"); do
	t=$(timed "$TMP/s.json" ip netns exec "$NS" "$SOCKIT" scan 127.0.0.1 -p - --json --no-progress)
	w=$($CHECK sockit "$TMP/s.json" --ports 1-65535 --open "$OPEN" | cut -d' ' -f1)
	times+=("$t"); wrong_total=$((wrong_total + w))
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
median=$(echo "$sorted" | sed -n "$(( (RUNS + 1) / 2 ))p")
row "$LB" "sockit" "$median" "$wrong_total"
echo "    sockit, $RUNS runs: min $(echo "$sorted" | head -1) median $median max $(echo "$sorted" | tail -1); wrong summed over all runs"
for mode in -sT -sS; do
	t=$(timed "$TMP/n.txt" ip netns exec "$NS" nmap $mode -n -Pn -p- -T4 -oX - 127.0.0.1)
	w=$($CHECK nmap "$TMP/n.txt" --ports 1-65535 --open "$OPEN" | cut -d' ' -f1)
	row "" "nmap $mode" "$t" "$w"
	eval "lb_nmap${mode#-}=$t"
done
kill "$(cat "$TMP/sink.pid")" 2>/dev/null || true
rm -f "$TMP/sink.pid"

# --- 2. namespace host with delay and loss --------------------------------
BED_OPEN=$(python3 -c "import random; r=random.Random(7); print(','.join(map(str, sorted(r.sample([p for p in range(1, 10001) if not 5001 <= p <= 6200], 50)))))")
if ! tests/netns/testbed.sh up "$ID" --build "$BUILD" --delay 20 --loss 1 \
	--open "$BED_OPEN" --drop 5001-6000 --icmp 6001-6100 --reset 6101-6200 >/dev/null; then
	echo "scan.sh: no test bed here; loopback figures only" >&2
	exit 0
fi
BED="netns 1-10000, 1100 filtered, 20ms+1% loss"
t=$(timed "$TMP/b.json" tests/netns/testbed.sh exec "$ID" "$SOCKIT" scan 198.18.0.2 -p 1-10000 --all --json --no-progress)
w=$($CHECK sockit "$TMP/b.json" --ports 1-10000 --open "$BED_OPEN" --filtered 5001-6100)
row "$BED" "sockit" "$t" "${w%% *}"
bed_sockit=$t
if [ "${SCAN_BENCH_NMAP:-1}" != 0 ]; then
	# -sT is the goal's peer; -sS on the bed adds another ~70 s, so it runs
	# only when asked (SCAN_BENCH_BED_MODES="-sT -sS").
	bed_nmapsS=
	for mode in ${SCAN_BENCH_BED_MODES:--sT}; do
		t=$(timed "$TMP/n.txt" tests/netns/testbed.sh exec "$ID" nmap $mode -n -Pn -p1-10000 -oX - 198.18.0.2)
		w=$($CHECK nmap "$TMP/n.txt" --ports 1-10000 --open "$BED_OPEN" --filtered 5001-6100)
		row "" "nmap $mode" "$t" "${w%% *}"
		eval "bed_nmap${mode#-}=$t"
	done
	echo "ratio netns: nmap -sT / sockit = $(ratio "$bed_nmapsT" "$bed_sockit")x" \
	     "${bed_nmapsS:+, nmap -sS / sockit = $(ratio "$bed_nmapsS" "$bed_sockit")x}"
fi
echo "ratio loopback: nmap -sT / sockit = $(ratio "$lb_nmapsT" "$median")x," \
     "nmap -sS / sockit = $(ratio "$lb_nmapsS" "$median")x"
