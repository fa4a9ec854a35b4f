#!/usr/bin/env bash
# build.sh [OUT] — build every tests/fuzz/fuzz_*.c as a libFuzzer binary in
# OUT (default build-fuzz) with clang -fsanitize=fuzzer,address,undefined.
# Each target names the sources it needs on a "fuzz-sources:" line in its
# header comment (globs allowed).  Objects are shared between targets and
# rebuilt only when their source or any header is newer, two at a time.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-build-fuzz}
CC=${FUZZ_CC:-clang}
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
CFLAGS="-g -O1 -std=gnu17 -fno-omit-frame-pointer -D_GNU_SOURCE \
 -Iinclude -Ilib -Iservices -Isrc -Itests/unit"
LIBS="-lssl -lcrypto -lhiredis -lmnl -luring -lcrypt -lpthread -lm"

if ! command -v "$CC" >/dev/null; then
	echo "fuzz: $CC not found (scripts/install-deps.sh check installs clang)" >&2
	exit 1
fi

# The sources a target lists, globs expanded, one per line: the words
# after "fuzz-sources:" up to the end of its comment (it may wrap onto
# lines starting with " *").  A target without the line links everything
# but src/main.c — slower to build, never wrong.
sources_of() {
	local words
	words=$(awk '/fuzz-sources:/ { on = 1; sub(/.*fuzz-sources:/, "") }
		on { line = $0; done = sub(/\*\/.*/, "", line); sub(/^ *\* ?/, "", line)
		     printf "%s ", line; if (done) exit }' "$1")
	if [ -z "${words// }" ]; then
		words="lib/*.c $(find services src -maxdepth 2 -name '*.c' ! -path src/main.c | sort | tr '\n' ' ')"
	fi
	# shellcheck disable=SC2086  # the globs are meant to expand
	printf '%s\n' $words
}

obj_of() { echo "$out/obj/${1%.c}.o"; }

newest_header=$(find include lib services src tests/unit -name '*.h' \
	-printf '%T@\n' | sort -n | tail -1)

stale() {   # stale SRC OBJ: whether OBJ must be (re)built
	[ -f "$2" ] || return 0
	[ "$1" -nt "$2" ] && return 0
	local t
	t=$(stat -c %Y "$2")
	[ "${newest_header%.*}" -ge "$t" ]
}

targets=(tests/fuzz/fuzz_*.c)
declare -A want=()
for t in "${targets[@]}"; do
	for s in $(sources_of "$t") "$t"; do want[$s]=1; done
done

todo=()
for s in "${!want[@]}"; do
	o=$(obj_of "$s")
	if stale "$s" "$o"; then todo+=("$s"); fi
done
if [ ${#todo[@]} -gt 0 ]; then
	export CC CFLAGS SAN out
	printf '%s\n' "${todo[@]}" | xargs -P 2 -I{} sh -c '
		o="$out/obj/$(echo {} | sed "s/\.c$//").o"
		mkdir -p "$(dirname "$o")"
		case {} in tests/fuzz/*) f=-fsanitize=fuzzer ;; *) f=-fsanitize=fuzzer-no-link ;; esac
		$CC $CFLAGS $SAN $f -c {} -o "$o"'
fi

for t in "${targets[@]}"; do
	name=$(basename "$t" .c)
	objs=("$(obj_of "$t")")
	for s in $(sources_of "$t"); do objs+=("$(obj_of "$s")"); done
	bin="$out/$name"
	newer=0
	for o in "${objs[@]}"; do [ "$o" -nt "$bin" ] && newer=1; done
	if [ ! -x "$bin" ] || [ $newer = 1 ]; then
		# shellcheck disable=SC2086
		$CC $SAN -fsanitize=fuzzer "${objs[@]}" -o "$bin" $LIBS
	fi
done
