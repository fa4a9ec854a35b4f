#!/usr/bin/env bash
# demo.sh BUILD_DIR — start `sockit serve` with its default services on
# loopback, run every client against them, show the server's log, stop.
#
# The default ports (65432, 12345, 5555, 70xx) may already be taken on a
# shared machine, so as root the demo runs in a network namespace of its
# own (a private loopback); elsewhere it uses the host's loopback.
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
sockit=$build/sockit

if [ "${SOCKIT_DEMO_NS:-}" != 1 ] && [ "$(id -u)" = 0 ] &&
   unshare -n true 2>/dev/null; then
	exec env SOCKIT_DEMO_NS=1 unshare -n bash -c \
		'ip link set lo up && exec "$0" "$@"' "$0" "$@"
fi

tmp=$(mktemp -d)
server_pids=()
cleanup() {
	for pid in "${server_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${server_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT

# Start a server; wait (bounded) until it has printed $1 readiness lines.
start_server() {
	local want=$1 out=$tmp/ready.$RANDOM; shift
	"$sockit" serve "$@" >"$out" 2>>"$tmp/server.log" &
	server_pids+=($!)
	for _ in $(seq 100); do
		[ "$(grep -c '^listening ' "$out" 2>/dev/null || true)" -ge "$want" ] && break
		kill -0 "${server_pids[-1]}" 2>/dev/null || { cat "$tmp/server.log"; exit 1; }
		sleep 0.05
	done
	cat "$out"
}

# Print a client's command line the way a user types it, then run it.
show() {
	printf '\n$ sockit'
	printf ' %q' "$@"
	printf '\n'
	"$sockit" "$@"
}

echo "== sockit serve (every default service, loopback only)"
start_server 13
start_server 2 echo "unix:$tmp/echo.sock" "unixgram:$tmp/echo.dgram"

echo
echo "== the clients"
show echo "Hello, world"; echo
show echo udp://127.0.0.1:65432 "Hello over UDP"; echo
show echo "unix:$tmp/echo.sock" "Hello over a UNIX socket"; echo
show echo "unixgram:$tmp/echo.dgram" "Hello over a UNIX datagram socket"; echo
show echo --count 3 tcp://127.0.0.1:65432 ping
show greet --reply "Thanks, server"
show caesar encrypt 10 "isi pesan"
show caesar decrypt 10 "scs zockx"
show daytime
show time
show qotd

for pid in "${server_pids[@]}"; do kill "$pid"; done
for pid in "${server_pids[@]}"; do wait "$pid"; done
server_pids=()
echo
echo "== the server's log (one line per connection)"
cat "$tmp/server.log"

# ping needs a raw or ping socket: as root, in a namespace of its own (so
# no sysctl of this machine changes); otherwise only when ping sockets are
# allowed here.
if [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null; then
	echo
	echo "== sockit ping (in a private network namespace)"
	printf '\n$ sockit ping -c 3 -i 0.2 127.0.0.1\n'
	unshare -n sh -c 'ip link set lo up; exec "$0" ping -c 3 -i 0.2 127.0.0.1' "$sockit"
fi
echo
echo "demo: every client got its answer; servers stopped cleanly"
