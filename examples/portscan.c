/* portscan.c — the tutorial's "Simple Port Scanner", in plain C.
 *
 * usage: portscan [-t MS] [HOST [FIRST [LAST]]]
 *        (default 127.0.0.1, ports 20..1024, timeout 10 ms per port)
 *
 * Tries a TCP connect to each port in turn and prints "Port N is open"
 * for those that accept.  Scan only machines you are allowed to scan.
 *
 * The tutorial's settimeout(0.01) becomes a non-blocking connect(): it
 * returns at once with EINPROGRESS, poll() waits until the socket is
 * writable or the timeout passes, and SO_ERROR says how the connect ended
 * (0 = connected, ECONNREFUSED = closed; no answer in time = filtered or
 * slow — 10 ms is only enough on a local network).
 *
 * Where the tutorial's Python goes wrong: on localhost, connect_ex() can
 * return 0 for a port where nothing listens.  When the port lies in the
 * ephemeral range (32768-60999 on Linux), the kernel may pick that same
 * port as our source port; the SYN then arrives at our own socket, TCP's
 * "simultaneous open" completes, and the socket is connected to itself.
 * Such a socket has local address == peer address; we check and discard
 * it.  The tutorial reports those ports as open. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Whether the connected socket fd is connected to itself. */
static int self_connected(int fd)
{
	struct sockaddr_in me, peer;
	socklen_t mlen = sizeof me, plen = sizeof peer;
	if (getsockname(fd, (struct sockaddr *)&me, &mlen) < 0 ||
	    getpeername(fd, (struct sockaddr *)&peer, &plen) < 0)
		return 0;
	return me.sin_addr.s_addr == peer.sin_addr.s_addr && me.sin_port == peer.sin_port;
}

/* Wait up to ms for a connect in progress; returns its result as an
 * errno value (0 = connected, ETIMEDOUT if no answer came in time). */
static int finish_connect(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int r, err = 0;
	socklen_t len = sizeof err;
	while ((r = poll(&p, 1, ms)) < 0 && errno == EINTR)
		;
	if (r < 0)
		return errno;
	if (r == 0)
		return ETIMEDOUT;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return errno;
	return err;
}

/* 1 if the port is open, 0 if not, -1 if we cannot even make a socket. */
static int probe(struct sockaddr_in *target, unsigned port, int ms)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), err = 0, open;
	if (fd < 0) {
		fprintf(stderr, "portscan: socket: %s\n", strerror(errno));
		return -1;
	}
	target->sin_port = htons((unsigned short)port);
	if (connect(fd, (struct sockaddr *)target, sizeof *target) < 0)
		err = errno == EINPROGRESS ? finish_connect(fd, ms) : errno;
	open = err == 0 && !self_connected(fd);
	if (err == 0 && !open)
		fprintf(stderr, "portscan: port %u: connected to itself, not open\n", port);
	else if (err != 0 && err != ECONNREFUSED && err != ETIMEDOUT)
		fprintf(stderr, "portscan: connect port %u: %s\n", port, strerror(err));
	close(fd);
	return open;
}

/* What -h/--help prints on stdout, and a usage error on stderr. */
static const char usage_text[] =
	"usage: portscan [-t MS] [HOST [FIRST [LAST]]]\n"
	"Default: 127.0.0.1, ports 20..1024, 10 ms per port.\n";

int main(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		printf("%s", usage_text);
		return 0;
	}
	struct sockaddr_in target = { .sin_family = AF_INET };
	long first = 20, last = 1024, ms = 10;
	char *end = "";
	int opt, found = 0;
	while ((opt = getopt(argc, argv, "t:")) != -1)
		if (opt != 't' || (ms = strtol(optarg, &end, 10)) <= 0 || ms > 60000 || *end)
			goto usage;
	const char *host = optind < argc ? argv[optind] : "127.0.0.1";
	if (optind + 1 < argc)
		first = last = strtol(argv[optind + 1], &end, 10);
	if (*end == '\0' && optind + 2 < argc)
		last = strtol(argv[optind + 2], &end, 10);
	if (argc - optind > 3 || *end || first < 1 || last > 65535 || first > last ||
	    inet_pton(AF_INET, host, &target.sin_addr) != 1)
		goto usage;

	for (long port = first; port <= last; port++) {
		int r = probe(&target, (unsigned)port, (int)ms);
		if (r < 0)
			return 1;
		if (r > 0) {
			found++;
			printf("Port %ld is open\n", port);
		}
	}
	fprintf(stderr, "portscan: %s ports %ld-%ld: %d open\n", host, first, last, found);
	return 0;
usage:
	fprintf(stderr, "%s", usage_text);
	return 2;
}
