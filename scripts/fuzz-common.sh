# fuzz-common.sh — what `make fuzz` (scripts/fuzz.sh) and `make fuzz-long`
# (scripts/fuzz-long.sh) share, sourced by both from the repository root:
# build every target (tests/fuzz/build.sh) into $fuzz_out, the sanitizer
# settings, the loopback-only namespace, the target list and one libFuzzer
# run of a target.  Sets fuzz_out, fuzz_isolate and fuzz_names; exits 1
# when the build fails, 2 for a target that does not exist.
# shellcheck shell=bash

fuzz_out=build-fuzz
tests/fuzz/build.sh "$fuzz_out" || exit 1
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# Loopback only, even if a target strays towards the resolver.
fuzz_isolate=()
unshare -n true 2>/dev/null && fuzz_isolate=(unshare -n)

# FUZZ_TARGETS="a b" picks targets (names with or without fuzz_).
fuzz_names=()
if [ -n "${FUZZ_TARGETS:-}" ]; then
	for n in $FUZZ_TARGETS; do fuzz_names+=("fuzz_${n#fuzz_}"); done
else
	for t in tests/fuzz/fuzz_*.c; do fuzz_names+=("$(basename "$t" .c)"); done
fi
for n in "${fuzz_names[@]}"; do
	[ -x "$fuzz_out/$n" ] || { echo "fuzz: no target $n" >&2; exit 2; }
done

# fuzz_run NAME LIMIT_SECONDS [LIBFUZZER_ARGS...]: fuzz NAME inside
# $fuzz_out, growing corpus/NAME (seeded from tests/fuzz/seeds/NAME and
# tests/fuzz/corpus/NAME, which stay as they are), a crash saved as
# crashes/NAME-*; the whole run killed after LIMIT_SECONDS.  One input
# taking 10 s is a hang worth a report.  Returns libFuzzer's status.
fuzz_run() {
	local name=$1 limit=$2 d
	shift 2
	local dirs=()
	for d in seeds corpus; do
		[ -d "tests/fuzz/$d/$name" ] && dirs+=("$PWD/tests/fuzz/$d/$name")
	done
	mkdir -p "$fuzz_out/corpus/$name" "$fuzz_out/crashes"
	(cd "$fuzz_out" && timeout "$limit" "${fuzz_isolate[@]}" "./$name" "$@" \
	     -timeout=10 -rss_limit_mb=2048 -artifact_prefix="crashes/$name-" \
	     -print_final_stats=1 "corpus/$name" "${dirs[@]}")
}
