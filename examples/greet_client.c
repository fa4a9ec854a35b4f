/* greet_client.c — the tutorial's clientku.py, in plain C.
 *
 * usage: greet_client [-t MS] [HOST [PORT [REPLY]]]
 *        (default 127.0.0.1 12345 "Hello from the client", wait 1000 ms)
 *
 * Reads the server's greeting, prints it, sends REPLY (an empty REPLY
 * sends nothing), and closes.
 *
 * Where the tutorial's Python goes wrong: print(s.recv(1024)) takes
 * whatever the first recv() returns as the whole greeting; on a slow or
 * busy network that can be half of it.  The greeting protocol has no end
 * marker, so we read until the server half-closes (greet_server.c does)
 * or closes, or ends a line (sockit's greet server does), or until it has
 * been silent for MS milliseconds — the best a client can do when the
 * protocol itself does not say where a message ends.  (It also connects
 * to socket.gethostname(); we use an address.) */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int fail(const char *call)
{
	if (errno == EAGAIN || errno == EWOULDBLOCK)   /* SO_RCVTIMEO ran out */
		fprintf(stderr, "greet_client: %s: no greeting before the timeout\n", call);
	else
		fprintf(stderr, "greet_client: %s: %s\n", call, strerror(errno));
	return 1;
}

/* Read the greeting until EOF, the end of a line, a full buffer, or
 * silence (SO_RCVTIMEO makes recv() fail with EAGAIN).  Returns its
 * length without a final newline, or -1. */
static ssize_t read_greeting(int fd, char *buf, size_t cap)
{
	size_t got = 0;
	while (got < cap && memchr(buf, '\n', got) == NULL) {
		ssize_t n = recv(fd, buf + got, cap - got, 0);
		if (n == 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && got > 0))
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		got += (size_t)n;
	}
	while (got > 0 && (buf[got - 1] == '\n' || buf[got - 1] == '\r'))
		got--;
	return (ssize_t)got;
}

/* Send the reply, then shutdown(SHUT_WR): "that is all I will send". */
static int send_reply(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n, len -= (size_t)n;
	}
	return shutdown(fd, SHUT_WR);
}

static int talk(int fd, const struct sockaddr_in *srv, const char *reply)
{
	char greeting[1024];
	ssize_t n;
	if (connect(fd, (const struct sockaddr *)srv, sizeof *srv) < 0)
		return fail("connect");
	if ((n = read_greeting(fd, greeting, sizeof greeting)) < 0)
		return fail("recv");
	printf("%.*s\n", (int)n, greeting);
	if (send_reply(fd, reply, strlen(reply)) == 0)
		return 0;
	/* A server that hung up without waiting for us (serverku.py) makes
	 * send() or shutdown() fail: EPIPE, ECONNRESET or ENOTCONN.  The
	 * greeting still arrived, so say so and succeed. */
	if (errno != EPIPE && errno != ECONNRESET && errno != ENOTCONN)
		return fail("send");
	fprintf(stderr, "greet_client: the server closed without reading the reply\n");
	return 0;
}

/* What -h/--help prints on stdout, and a usage error on stderr. */
static const char usage_text[] =
	"usage: greet_client [-t MS] [HOST [PORT [REPLY]]]\n"
	"Default: 127.0.0.1 12345 \"Hello from the client\", wait 1000 ms.\n";

int main(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		printf("%s", usage_text);
		return 0;
	}
	struct sockaddr_in srv = { .sin_family = AF_INET };
	long port = 12345, ms = 1000;
	char *end = "";
	int opt;
	while ((opt = getopt(argc, argv, "t:")) != -1)
		if (opt != 't' || (ms = strtol(optarg, &end, 10)) <= 0 || *end)
			goto usage;
	const char *host = optind < argc ? argv[optind] : "127.0.0.1";
	const char *reply = optind + 2 < argc ? argv[optind + 2] : "Hello from the client";
	if (optind + 1 < argc)
		port = strtol(argv[optind + 1], &end, 10);
	if (argc - optind > 3 || *end || port < 1 || port > 65535 ||
	    inet_pton(AF_INET, host, &srv.sin_addr) != 1)
		goto usage;
	srv.sin_port = htons((unsigned short)port);

	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return fail("socket");
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = ms % 1000 * 1000 };
	int rc = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0
	         ? fail("setsockopt") : talk(fd, &srv, reply);
	close(fd);
	return rc;
usage:
	fprintf(stderr, "%s", usage_text);
	return 2;
}
