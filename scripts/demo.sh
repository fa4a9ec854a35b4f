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
start_server 14
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

# Two users talk in #lobby: bob on a plain TCP line (what nc or telnet
# gives: line mode), ann with `sockit chat` (IRC).  Every wait is bounded.
bob_until() {   # read bob's lines (shown) until one matches $1
	local line
	for _ in $(seq 200); do
		IFS= read -r -t 10 line <&3 || { echo "demo: bob saw no '$1'" >&2; exit 1; }
		printf 'bob| %s\n' "${line%$'\r'}"
		case "$line" in *"$1"*) return 0 ;; esac
	done
	exit 1
}
echo
echo "== chat: bob types on a plain TCP connection, ann runs sockit chat"
exec 3<>/dev/tcp/127.0.0.1/6667
printf 'hello\nbob\n' >&3
bob_until "in #lobby"
mkfifo "$tmp/ann.in"
"$sockit" chat --nick ann <"$tmp/ann.in" >"$tmp/ann.out" &
ann=$!
exec 4>"$tmp/ann.in"
bob_until "ann has joined"
printf 'hi ann, I am on a plain line\n' >&3
for _ in $(seq 200); do grep -q '<bob>' "$tmp/ann.out" && break; sleep 0.05; done
printf 'hello bob, this is sockit chat\n' >&4
bob_until "<ann>"
exec 4>&-
bob_until "ann has quit"
wait "$ann"
printf '/quit\n' >&3
exec 3<&-
sed 's/^/ann| /' "$tmp/ann.out"
echo
echo "== netcat: connect, listen, relay (half-close: stdin EOF sends FIN, the reply still comes)"
printf '\n$ echo "hello echo server" | sockit connect 127.0.0.1 65432\n'
printf '%s\n' "hello echo server" | "$sockit" connect 127.0.0.1 65432
# Wait (bounded) for a background sockit's "listening EP" line on stderr.
announced() {
	for _ in $(seq 100); do
		grep -q '^listening ' "$1" 2>/dev/null && break
		sleep 0.05
	done
	sed -n 's/^listening //p' "$1" | head -1
}
printf '%s\n' "answer from listen" | "$sockit" listen 127.0.0.1 0 2>"$tmp/listen.err" &
server_pids+=($!)
ep=$(announced "$tmp/listen.err")
printf '\n$ echo "answer from listen" | sockit listen 127.0.0.1 0   # prints: listening %s\n' "$ep"
printf '$ echo "question from connect" | sockit connect %s\n' "$ep"
printf '%s\n' "question from connect" | "$sockit" connect "$ep"
wait "${server_pids[-1]}"
unset 'server_pids[-1]'
"$sockit" relay tcp://127.0.0.1:0 tcp://127.0.0.1:65432 2>"$tmp/relay.err" &
server_pids+=($!)
ep=$(announced "$tmp/relay.err")
printf '\n$ sockit relay tcp://127.0.0.1:0 tcp://127.0.0.1:65432 &   # prints: listening %s\n' "$ep"
printf '$ echo "through the relay" | sockit connect -v %s\n' "$ep"
printf '%s\n' "through the relay" | "$sockit" connect -v "$ep"

# A chat cluster: two nodes sharing one Redis (on a UNIX socket: no port to
# collide with); ann on node 1, bob on node 2, one line crosses.
start_node() {   # start_node NAME: a clustered chat node; sets $port
	"$sockit" serve --threads 1 --cluster "redis+unix:$tmp/redis.sock" \
		--node-name "$1" chat tcp://127.0.0.1:0 >"$tmp/$1.ready" 2>>"$tmp/cluster.log" &
	server_pids+=($!)
	for _ in $(seq 200); do
		port=$(sed -n 's/^listening tcp:\/\/127.0.0.1:\([0-9]*\) chat$/\1/p' "$tmp/$1.ready")
		[ -n "$port" ] && grep -q "link up, node $1" "$tmp/cluster.log" && break
		sleep 0.05
	done
	[ -n "$port" ] || { cat "$tmp/cluster.log"; exit 1; }
	printf 'node %s: listening tcp://127.0.0.1:%s chat\n' "$1" "$port"
}
if command -v redis-server >/dev/null; then
	echo
	echo "== chat cluster: two nodes, one Redis; bob on node n2 talks to ann on n1"
	redis-server --port 0 --unixsocket "$tmp/redis.sock" --save '' --appendonly no \
		>"$tmp/redis.log" 2>&1 &
	server_pids+=($!)
	for _ in $(seq 200); do
		[ "$(redis-cli -s "$tmp/redis.sock" ping 2>/dev/null)" = PONG ] && break
		sleep 0.05
	done
	start_node n1; p1=$port
	start_node n2; p2=$port
	mkfifo "$tmp/ann2.in"
	"$sockit" chat "tcp://127.0.0.1:$p1" --nick ann --channel '#demo' \
		<"$tmp/ann2.in" >"$tmp/ann2.out" &
	ann=$!
	exec 5>"$tmp/ann2.in"
	for _ in $(seq 200); do grep -q 'ann joined' "$tmp/ann2.out" && break; sleep 0.05; done
	printf "\n\$ echo 'hello from node n2' | sockit chat tcp://127.0.0.1:%s --nick bob --channel '#demo'\n" "$p2"
	echo 'hello from node n2' | "$sockit" chat "tcp://127.0.0.1:$p2" --nick bob --channel '#demo'
	for _ in $(seq 200); do grep -q '<bob> hello from node n2' "$tmp/ann2.out" && break; sleep 0.05; done
	exec 5>&-
	wait "$ann"
	echo "ann on n1 saw:"
	sed 's/^/ann| /' "$tmp/ann2.out"
	grep -q '<bob> hello from node n2' "$tmp/ann2.out" ||
		{ echo "demo: the line did not cross"; cat "$tmp/cluster.log"; exit 1; }
fi

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
