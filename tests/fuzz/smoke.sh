#!/usr/bin/env bash
# smoke.sh — for `make check`: build every libFuzzer target once and run
# each for a few thousand inputs (FUZZ_RUNS, default 2000; at most
# FUZZ_SMOKE_SECONDS, default 2, for a target with slow inputs) from its seeds,
# so a target that no longer builds, or a crash the seeds reach at once,
# fails the check.  Long fuzzing is `make fuzz` (scripts/fuzz.sh).  Prints
# one "fuzz smoke: N passed, N failed" line; exit 0 only if all passed.
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${FUZZ_BUILD:-build-fuzz}
runs=${FUZZ_RUNS:-2000}
secs=${FUZZ_SMOKE_SECONDS:-2}

if ! tests/fuzz/build.sh "$out"; then
	echo "fuzz smoke: build failed"
	exit 1
fi
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# Loopback only, even if a target strays towards the resolver.
isolate=()
unshare -n true 2>/dev/null && isolate=(unshare -n)

passed=0 failed=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for t in tests/fuzz/fuzz_*.c; do
	name=$(basename "$t" .c)
	# A scratch corpus: libFuzzer adds to its first directory, and the
	# seeds in git must stay as they are.
	mkdir -p "$work/$name"
	for d in seeds corpus; do
		[ -d "tests/fuzz/$d/$name" ] && cp "tests/fuzz/$d/$name"/* "$work/$name"/ 2>/dev/null
	done
	if timeout 60 "${isolate[@]}" "$out/$name" -runs="$runs" -max_total_time="$secs" \
	     -timeout=10 -rss_limit_mb=2048 \
	     -seed=1 -artifact_prefix="$work/$name-" "$work/$name" \
	     >"$work/$name.log" 2>&1; then
		passed=$((passed + 1))
	else
		echo "FAILED: fuzz smoke $name"
		grep -E "ERROR|SUMMARY|==[0-9]+==" "$work/$name.log" | head -5
		failed=$((failed + 1))
	fi
done
echo "fuzz smoke: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
