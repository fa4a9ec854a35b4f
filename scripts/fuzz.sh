#!/usr/bin/env bash
# fuzz.sh — `make fuzz`: build every tests/fuzz/fuzz_*.c with libFuzzer,
# ASan and UBSan (tests/fuzz/build.sh), then fuzz each for FUZZ_SECONDS
# (default 20) seconds.  The corpus grows in build-fuzz/corpus/NAME,
# seeded from tests/fuzz/seeds/NAME and tests/fuzz/corpus/NAME
# (inside `unshare -n` where allowed); a crash is saved as
# build-fuzz/crashes/NAME-crash-* and fails the run.  FUZZ_TARGETS="a b"
# picks targets (names without fuzz_), FUZZ_JOBS runs that many at once.
# The build, the settings and the run are scripts/fuzz-common.sh's.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
secs=${FUZZ_SECONDS:-20}
jobs=${FUZZ_JOBS:-1}
case "$secs" in ''|*[!0-9]*) echo "fuzz: FUZZ_SECONDS must be a number" >&2; exit 2 ;; esac
case "$jobs" in ''|*[!0-9]*|0) echo "fuzz: FUZZ_JOBS must be 1 or more" >&2; exit 2 ;; esac
. scripts/fuzz-common.sh

failed=0
for name in "${fuzz_names[@]}"; do
	log=$fuzz_out/$name.log
	echo "== $name: ${secs}s"
	# -jobs only when asked: libFuzzer then writes fuzz-N.log files in
	# the current directory, which fuzz_run makes $fuzz_out.
	par=()
	[ "$jobs" -gt 1 ] && par=(-jobs="$jobs" -workers="$jobs")
	if ! fuzz_run "$name" $((secs + 60)) -max_total_time="$secs" "${par[@]}" 2>"$log"; then
		echo "FAILED: $name (log: $log)"
		grep -E "ERROR|SUMMARY|Test unit written" "$log" | head -5
		failed=$((failed + 1))
	else
		grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$log" |
			tr '\n' ' '; echo
	fi
done
echo "fuzz: ${#fuzz_names[@]} targets, $failed failed"
[ "$failed" -eq 0 ]
