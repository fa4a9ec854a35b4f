#!/usr/bin/env bash
# testbed.sh — a scanner test bed in three network namespaces of our own:
#
#   scanner (198.18.0.1) --veth-- middle (relay: delay, loss) --veth-- host (198.18.0.2)
#
# The host namespace runs listeners and an nftables firewall; the middle
# one relays frames between its two veths in user space (tests/helpers/
# relay.c), because this kernel has no sch_netem.  198.18.0.0/15 is the
# benchmarking range (RFC 2544); nothing leaves the namespaces.
#
#   testbed.sh up ID [--delay MS] [--loss PCT] [--open PORTS] [--drop A-B]
#                    [--icmp A-B] [--reset A-B] [--build DIR]
#   testbed.sh exec ID CMD...      run CMD in the scanner namespace
#   testbed.sh hostexec ID CMD...  run CMD in the host namespace
#   testbed.sh down ID             stop everything, delete the namespaces
#
# --open takes portsink's list (numbers and A-B ranges, space or comma
# separated); --drop ports get no answer (filtered), --icmp ports an ICMP
# admin-prohibited (filtered), --reset ports a TCP reset (closed) — the
# kernel answers every other port with a reset too.  `up` either finishes
# with everything running or tears down what it made and fails; `down` is
# idempotent.  Exit 77 (skip) when namespaces cannot be created here.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SCANNER_ADDR=198.18.0.1
HOST_ADDR=198.18.0.2

names() {
	id=$1
	case "$id" in *[!A-Za-z0-9]*|"") echo "testbed.sh: bad id '$id'" >&2; exit 2 ;; esac
	[ ${#id} -le 10 ] || { echo "testbed.sh: id '$id' longer than 10" >&2; exit 2; }
	NS_S=sks-$id NS_M=skm-$id NS_H=skh-$id
	STATE=${TMPDIR:-/tmp}/sockit-testbed-$id
}

down() {
	names "$1"
	for f in "$STATE"/*.pid; do
		[ -f "$f" ] || continue
		pid=$(cat "$f")
		case "$pid" in ''|*[!0-9]*) continue ;; esac
		kill "$pid" 2>/dev/null || true
	done
	# Anything else still running inside our namespaces is ours too.
	for ns in "$NS_S" "$NS_M" "$NS_H"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill "$pid" 2>/dev/null || true
		done
		ip netns del "$ns" 2>/dev/null || true
	done
	rm -rf "$STATE"
}

offloads_off() {  # ns dev: relayed frames need real checksums
	ip netns exec "$1" ethtool -K "$2" tx off tso off gso off gro off >/dev/null 2>&1 || true
}

make_links() {
	local id=$1
	ip link add "sa$id" netns "$NS_S" type veth peer name "ma$id" netns "$NS_M"
	ip link add "mb$id" netns "$NS_M" type veth peer name "hb$id" netns "$NS_H"
	for pair in "$NS_S sa$id" "$NS_M ma$id" "$NS_M mb$id" "$NS_H hb$id"; do
		set -- $pair
		offloads_off "$1" "$2"
		ip -n "$1" link set "$2" up
	done
	for ns in "$NS_S" "$NS_M" "$NS_H"; do ip -n "$ns" link set lo up; done
	ip -n "$NS_S" addr add "$SCANNER_ADDR/24" dev "sa$id"
	ip -n "$NS_H" addr add "$HOST_ADDR/24" dev "hb$id"
}

firewall() {  # drop icmp reset
	local rules=""
	[ -n "$1" ] && rules+="tcp dport $1 drop; "
	[ -n "$2" ] && rules+="tcp dport $2 reject with icmpx type admin-prohibited; "
	[ -n "$3" ] && rules+="tcp dport $3 reject with tcp reset; "
	[ -z "$rules" ] && return 0
	ip netns exec "$NS_H" nft -f - <<-NFT
	table inet sockit_bed {
		chain input {
			type filter hook input priority 0; policy accept;
			$rules
		}
	}
	NFT
}

up() {
	local id=$1; shift
	local delay=0 loss=0 open="" drop="" icmp="" reset="" build="$ROOT/build"
	while [ $# -gt 0 ]; do
		case "$1" in
		--delay) delay=$2 ;; --loss) loss=$2 ;; --open) open=$2 ;;
		--drop) drop=$2 ;; --icmp) icmp=$2 ;; --reset) reset=$2 ;;
		--build) build=$2 ;;
		*) echo "testbed.sh: unknown option '$1'" >&2; exit 2 ;;
		esac
		shift 2
	done
	names "$id"
	if ! ip netns add "$NS_S" 2>/dev/null; then
		echo "testbed.sh: cannot create network namespaces here (need root and CONFIG_NET_NS)" >&2
		exit 77
	fi
	trap 'down "$id"; exit 1' ERR INT TERM
	mkdir -p "$STATE"
	ip netns add "$NS_M"
	ip netns add "$NS_H"
	make_links "$id"
	firewall "$drop" "$icmp" "$reset"
	ip netns exec "$NS_M" "$build/tests/helpers/relay" --delay "$delay" \
		--loss "$loss" --seed "$$" --ttl 900 --pidfile "$STATE/relay.pid" \
		"ma$id" "mb$id" </dev/null >"$STATE/relay.log" 2>&1
	if [ -n "$open" ]; then
		ip netns exec "$NS_H" "$build/tests/helpers/portsink" --ttl 900 \
			--pidfile "$STATE/portsink.pid" "$HOST_ADDR" ${open//,/ } \
			</dev/null >"$STATE/listening" 2>"$STATE/portsink.log"
	fi
	trap - ERR INT TERM
	echo "testbed $id up: scan $HOST_ADDR from namespace $NS_S"
}

cmd=${1:-}; [ $# -ge 2 ] || { sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
shift
case "$cmd" in
up) up "$@" ;;
down) down "$1" ;;
exec) names "$1"; shift; exec ip netns exec "$NS_S" "$@" ;;
hostexec) names "$1"; shift; exec ip netns exec "$NS_H" "$@" ;;
*) echo "testbed.sh: unknown command '$cmd'" >&2; exit 2 ;;
esac
