/* udp_echo_client.c — the tutorial's "Echo Client UDP" (and, with -c,
 * "Echo Client UDP 2"), in plain C.
 *
 * usage: udp_echo_client [-c] [-t MS] [HOST [PORT [MESSAGE]]]
 *        (default 127.0.0.1 5555 "Isi pesan" as in the tutorial, timeout 2000 ms)
 *
 * Sends MESSAGE as one datagram and prints the reply.
 *
 * Without -c the socket is unconnected: sendto() names the server each
 * time, and recvfrom() accepts a datagram from anyone, so we check that
 * the reply really came from the server and ignore anything else.
 * With -c we connect() the socket first: no packets are exchanged, the
 * kernel just remembers the server's address, lets us use send()/recv(),
 * drops datagrams from anyone else, and reports an ICMP "port
 * unreachable" as ECONNREFUSED — an unconnected socket never hears of it.
 *
 * Where the tutorial's Python goes wrong: it waits for the reply with no
 * timeout.  UDP does not retransmit; if the request or the reply is lost,
 * or nobody listens, the tutorial's client hangs forever.  SO_RCVTIMEO
 * makes recv give up with EAGAIN after -t milliseconds. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int fail(const char *call)
{
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		fprintf(stderr, "udp_echo_client: %s: no reply before the timeout\n", call);
	else
		fprintf(stderr, "udp_echo_client: %s: %s\n", call, strerror(errno));
	return 1;
}

/* Wait for the reply; returns its length or -1.  On an unconnected socket
 * datagrams from strangers are skipped. */
static ssize_t recv_reply(int fd, const struct sockaddr_in *srv, char *buf, size_t cap)
{
	for (;;) {
		struct sockaddr_in from;
		socklen_t flen = sizeof from;
		ssize_t n = recvfrom(fd, buf, cap, 0, (struct sockaddr *)&from, &flen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || srv == NULL)
			return n;
		if (from.sin_addr.s_addr == srv->sin_addr.s_addr && from.sin_port == srv->sin_port)
			return n;
	}
}

static int talk(int fd, const struct sockaddr_in *srv, int connected, const char *msg)
{
	static char buf[65536];
	ssize_t n;
	if (connected && connect(fd, (const struct sockaddr *)srv, sizeof *srv) < 0)
		return fail("connect");
	/* One datagram, sent whole or not at all. */
	n = connected ? send(fd, msg, strlen(msg), 0)
	              : sendto(fd, msg, strlen(msg), 0, (const struct sockaddr *)srv, sizeof *srv);
	if (n < 0)
		return fail(connected ? "send" : "sendto");
	n = recv_reply(fd, connected ? NULL : srv, buf, sizeof buf);
	if (n < 0)
		return fail("recv");
	printf("Received '%.*s'\n", (int)n, buf);
	return 0;
}

/* What -h/--help prints on stdout, and a usage error on stderr. */
static const char usage_text[] =
	"usage: udp_echo_client [-c] [-t MS] [HOST [PORT [MESSAGE]]]\n"
	"Default: 127.0.0.1 5555 \"Isi pesan\", wait 2000 ms; -c: connect() the socket.\n";

int main(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		printf("%s", usage_text);
		return 0;
	}
	struct sockaddr_in srv = { .sin_family = AF_INET };
	long port = 5555, ms = 2000;
	char *end = "";
	int opt, connected = 0;
	while ((opt = getopt(argc, argv, "ct:")) != -1) {
		if (opt == 'c')
			connected = 1;
		else if (opt != 't' || (ms = strtol(optarg, &end, 10)) <= 0 || *end)
			goto usage;
	}
	const char *host = optind < argc ? argv[optind] : "127.0.0.1";
	const char *msg = optind + 2 < argc ? argv[optind + 2] : "Isi pesan";
	if (optind + 1 < argc)
		port = strtol(argv[optind + 1], &end, 10);
	if (argc - optind > 3 || *end || port < 1 || port > 65535 ||
	    inet_pton(AF_INET, host, &srv.sin_addr) != 1)
		goto usage;
	srv.sin_port = htons((unsigned short)port);

	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return fail("socket");
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = ms % 1000 * 1000 };
	int rc = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0
	         ? fail("setsockopt") : talk(fd, &srv, connected, msg);
	close(fd);
	return rc;
usage:
	fprintf(stderr, "%s", usage_text);
	return 2;
}
