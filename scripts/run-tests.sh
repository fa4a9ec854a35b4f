#!/usr/bin/env bash
# run-tests.sh BUILD_DIR — run every unit test binary and the end-to-end
# suite against the binaries in BUILD_DIR, and print one closing line
# "N passed, N failed".
set -uo pipefail
build=${1:-build}
cd "$(dirname "$0")/.."
export SOCKIT_BUILD=$PWD/$build
case "$build" in *asan*) export SOCKIT_SAN=1 ;; esac
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

passed=0 failed=0
echo "== unit tests ($build)"
for t in "$build"/tests/test_*; do
	[ -x "$t" ] || continue
	if timeout 120 "$t"; then
		passed=$((passed + 1))
	else
		echo "FAILED: $t"; failed=$((failed + 1))
	fi
done

# The fuzz targets build their own sanitized binaries: smoke-run them once,
# with the normal build's pass.
if [ -z "${SOCKIT_SAN:-}" ]; then
	echo "== fuzz smoke (every target, a few thousand inputs)"
	if tests/fuzz/smoke.sh; then
		passed=$((passed + 1))
	else
		echo "FAILED: tests/fuzz/smoke.sh"; failed=$((failed + 1))
	fi
fi

echo "== end-to-end tests ($build)"
log=$(mktemp)
timeout 1200 /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/e2e 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
# Counts come from pytest's closing summary line only ("2 failed, 1026
# passed, 1 error in 301.2s"): a test's own output may say "1502 errors".
count_e2e() {
	local summary
	summary=$(grep -E '(^|= )[0-9]+ (passed|failed|errors?)(, [0-9]+ [a-z]+)* in [0-9.]+s' "$log" | tail -1)
	e2e_passed=$(grep -Eo '[0-9]+ passed' <<<"$summary" | grep -Eo '[0-9]+' || echo 0)
	e2e_failed=$(grep -Eo '[0-9]+ (failed|errors?)' <<<"$summary" | awk '{s+=$1} END {print s+0}')
	passed=$((passed + e2e_passed))
	failed=$((failed + e2e_failed))
	[ "$rc" -ne 0 ] && [ "$e2e_failed" -eq 0 ] && failed=$((failed + 1))
}
count_e2e

# The server's suites once more on the other backend: io_uring where the
# kernel has it (auto falls back to epoll with a log line where not).
# Chat is there for its many clients per turn, its SendQ limit and its
# fan-out (~50 s).
echo "== end-to-end tests ($build, SOCKIT_BACKEND=auto: serve, services, echo, chat, harden, soak)"
SOCKIT_BACKEND=auto timeout 600 /usr/bin/python3 -m pytest -q -p no:cacheprovider \
	tests/e2e/test_serve.py tests/e2e/test_services.py tests/e2e/test_echo.py \
	tests/e2e/test_chat.py tests/e2e/test_harden.py tests/e2e/test_soak.py \
	2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
count_e2e
rm -f "$log"
echo "$build: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
