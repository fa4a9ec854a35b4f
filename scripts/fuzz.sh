#!/usr/bin/env bash
# fuzz.sh — `make fuzz`: build every tests/fuzz/fuzz_*.c with libFuzzer,
# ASan and UBSan (tests/fuzz/build.sh), then fuzz each for FUZZ_SECONDS
# (default 20) seconds.  The corpus grows in build-fuzz/corpus/NAME,
# seeded from tests/fuzz/seeds/NAME and tests/fuzz/corpus/NAME
# (inside `unshare -n` where allowed); a crash is saved as
# build-fuzz/crashes/NAME-crash-* and fails the run.  FUZZ_TARGETS="a b"
# picks targets (names without fuzz_), FUZZ_JOBS runs that many at once.
set -uo pipefail
cd "$(dirname "$0")/.."
out=build-fuzz
secs=${FUZZ_SECONDS:-20}
jobs=${FUZZ_JOBS:-1}
case "$secs" in ''|*[!0-9]*) echo "fuzz: FUZZ_SECONDS must be a number" >&2; exit 2 ;; esac
case "$jobs" in ''|*[!0-9]*|0) echo "fuzz: FUZZ_JOBS must be 1 or more" >&2; exit 2 ;; esac

tests/fuzz/build.sh "$out" || exit 1
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

isolate=()
unshare -n true 2>/dev/null && isolate=(unshare -n)

names=()
if [ -n "${FUZZ_TARGETS:-}" ]; then
	for n in $FUZZ_TARGETS; do names+=("fuzz_${n#fuzz_}"); done
else
	for t in tests/fuzz/fuzz_*.c; do names+=("$(basename "$t" .c)"); done
fi

failed=0
for name in "${names[@]}"; do
	bin=$out/$name
	[ -x "$bin" ] || { echo "fuzz: no target $name" >&2; exit 2; }
	corpus=$out/corpus/$name
	mkdir -p "$corpus" "$out/crashes"
	seeds=()
	for d in seeds corpus; do
		[ -d "tests/fuzz/$d/$name" ] && seeds+=("$PWD/tests/fuzz/$d/$name")
	done
	echo "== $name: ${secs}s"
	# -jobs only when asked: libFuzzer then writes fuzz-N.log files in
	# the current directory, so the run happens inside $out.
	par=()
	[ "$jobs" -gt 1 ] && par=(-jobs="$jobs" -workers="$jobs")
	# -timeout: one input taking 10 s is a hang worth a report.
	if ! (cd "$out" && timeout $((secs + 60)) "${isolate[@]}" "./$name" -max_total_time="$secs" \
	     -timeout=10 -rss_limit_mb=2048 "${par[@]}" \
	     -artifact_prefix="crashes/$name-" -print_final_stats=1 \
	     "corpus/$name" "${seeds[@]}") 2>"$out/$name.log"; then
		echo "FAILED: $name (log: $out/$name.log)"
		grep -E "ERROR|SUMMARY|Test unit written" "$out/$name.log" | head -5
		failed=$((failed + 1))
	else
		grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$out/$name.log" |
			tr '\n' ' '; echo
	fi
done
echo "fuzz: ${#names[@]} targets, $failed failed"
[ "$failed" -eq 0 ]
