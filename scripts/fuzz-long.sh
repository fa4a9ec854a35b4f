#!/usr/bin/env bash
# fuzz-long.sh — `make fuzz-long`: fuzz every tests/fuzz/fuzz_*.c target
# to depth, one after the other, each until FUZZ_EXECS inputs (default
# 10000000) or FUZZ_SECONDS seconds (default 0: no time limit), whichever
# comes first, then print one table row per target: inputs executed,
# exec/s, coverage (libFuzzer's cov: edges and ft: features), corpus size
# and crashes.  The corpus grows in build-fuzz/corpus/NAME, seeded from
# tests/fuzz/seeds/NAME and tests/fuzz/corpus/NAME.  FUZZ_MINIMISE=1 then
# replaces tests/fuzz/corpus/NAME with the minimised (-merge=1, edges
# only) union of it and the run's corpus, less what the seeds cover, for
# committing (inputs up to FUZZ_MAX_LEN bytes, default 4096).  FUZZ_TARGETS="a b"
# picks targets (names without fuzz_).
# Every target runs inside `unshare -n` where allowed (loopback only).
# Exit 0 only if no target crashed, leaked or timed out.  The build, the
# settings and the run are scripts/fuzz-common.sh's.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
execs=${FUZZ_EXECS:-10000000}
secs=${FUZZ_SECONDS:-0}
case "$execs$secs" in *[!0-9]*) echo "fuzz-long: FUZZ_EXECS and FUZZ_SECONDS must be numbers" >&2; exit 2 ;; esac
. scripts/fuzz-common.sh
out=$fuzz_out

# The last "cov: N ft: N corp: N/..." libFuzzer printed: "N N N".
coverage() {
	grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$1" | tail -1 |
		awk '{ print $2, $4, $6 }'
}
stat_of() { grep -E "^stat::$2:" "$1" | tail -1 | awk '{ print $2 }'; }

# minimise NAME: tests/fuzz/corpus/NAME made anew, minimised (-merge=1),
# from itself and this run's corpus, inputs at most FUZZ_MAX_LEN bytes
# (default 4096).  Minimised to the edges (-use_counters=0): every edge
# any run reached, not every hit-count bucket, a quarter of the files
# (build-fuzz/corpus keeps the rest for the next run here).  The seeds
# go in first and come out after, so the corpus keeps only what they do
# not already cover (every run and the smoke load both).
minimise() {
	local name=$1 new=$out/min/$1 seeds=tests/fuzz/seeds/$1 f
	local dst=tests/fuzz/corpus/$1
	rm -rf "$new"
	mkdir -p "$new" "$dst"
	[ -d "$seeds" ] && cp "$seeds"/* "$new"/ 2>/dev/null
	"${fuzz_isolate[@]}" "$out/$name" -merge=1 -use_counters=0 \
		-max_len="${FUZZ_MAX_LEN:-4096}" -rss_limit_mb=2048 "$new" "$dst" "$out/corpus/$name" \
		>"$out/$name.merge.log" 2>&1 || return 1
	if [ -d "$seeds" ]; then
		for f in "$seeds"/*; do rm -f "$new/${f##*/}"; done
	fi
	rm -rf "$dst"
	if [ -n "$(ls -A "$new")" ]; then mv "$new" "$dst"; fi
}

rows=() failed=0
start=$(date +%s)
for name in "${fuzz_names[@]}"; do
	log=$out/$name.long.log
	bound="up to $execs inputs"
	[ "$secs" -gt 0 ] && bound="$bound or ${secs}s"
	echo "== $name: $bound" >&2
	t0=$(date +%s)
	# A whole run is bounded too: at most FUZZ_SECONDS + 60 s, or six
	# hours when only the input count bounds it.
	fuzz_run "$name" $((secs > 0 ? secs + 60 : 21600)) -runs="$execs" \
		-max_total_time="$secs" >"$log" 2>&1
	rc=$?
	t1=$(date +%s)
	crashes=$(find "$out/crashes" -name "$name-*" -newermt "@$t0" | wc -l)
	read -r cov ft corp <<<"$(coverage "$log")"
	n=$(stat_of "$log" number_of_executed_units)
	rate=$(stat_of "$log" average_exec_per_sec)
	status=ok
	if [ "$rc" -ne 0 ]; then
		status="FAILED (log $log)"
		failed=$((failed + 1))
	fi
	rows+=("$(printf '%-20s %12s %9s %6s %7s %6s %7s %5s  %s' "$name" "${n:-?}" \
	          "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$crashes" \
	          "$((t1 - t0))" "$status")")
	if [ "${FUZZ_MINIMISE:-0}" = 1 ] && [ "$rc" -eq 0 ]; then
		minimise "$name" ||
			echo "fuzz-long: merging $name's corpus failed (see $out/$name.merge.log)" >&2
	fi
done
printf '%-20s %12s %9s %6s %7s %6s %7s %5s  %s\n' target execs exec/s cov ft corpus \
	crashes secs status
printf '%s\n' "${rows[@]}"
echo "fuzz-long: ${#fuzz_names[@]} targets in $(( $(date +%s) - start )) s, $failed failed"
[ "$failed" -eq 0 ]
