#!/bin/sh
# install-deps.sh PROFILE — install the Debian packages a make target needs,
# only those missing, with one `apt-get update` first.  PROFILE is check,
# demo or bench.
set -eu

# libhiredis-dev: sockit links hiredis (chat --cluster); redis-server: the
# cluster tests, demo and bench start their own instance.
base="gcc make libc6-dev liburing-dev libmnl-dev libcrypt-dev libssl-dev openssl scdoc libhiredis-dev"
case "${1:-check}" in
demo)  pkgs="$base python3 redis-server iproute2" ;;
check) pkgs="$base libcmocka-dev python3 python3-pytest socat netcat-openbsd
             ncat nmap iproute2 nftables ethtool tmux valgrind util-linux
             procps net-tools clang irssi ngircd redis-server systemd pkg-config
             binutils groff-base bash-completion zsh debhelper dpkg-dev lintian
             iputils-ping" ;;
bench) pkgs="$base python3 socat ncat nmap xinetd libuv1-dev libevent-dev
             netcat-openbsd netcat-traditional
             iproute2 nftables ethtool util-linux net-tools ngircd redis-server
             iputils-ping" ;;
*) echo "install-deps.sh: unknown profile '$1'" >&2; exit 2 ;;
esac

missing=""
for p in $pkgs; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$status" in *" installed") ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "install-deps.sh: missing packages:$missing (run as root, or install them)" >&2
	exit 1
fi
echo "install-deps.sh: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# xinetd's postinst starts the daemon; the bench runs its own instance.
apt-get install -y -q --no-install-recommends $missing
