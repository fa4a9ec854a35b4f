/* echo_server.c — the tutorial's TCP "Echo Server", in plain blocking C.
 *
 * usage: echo_server [-n COUNT] [HOST [PORT]]       (default 127.0.0.1 65432)
 *
 * Serves clients one after another: every byte a client sends comes back
 * until the client closes its side; then we close ours and accept the next.
 * PORT 0 lets the kernel choose; the first line on stdout names the address
 * really bound ("listening tcp://127.0.0.1:40123 echo").  -n COUNT stops
 * after COUNT clients; SIGINT or SIGTERM stop the server at any time.
 *
 * Where the tutorial's Python goes wrong:
 *  - it never calls conn.close().  The socket lives on until the garbage
 *    collector frees it (when `conn` is rebound at the next accept), so the
 *    client never sees the server finish.
 *  - conn.recv(1024) returns whatever has arrived, 1 byte or 1024, never
 *    "the message".  An echo server gets away with it because it sends back
 *    whatever it got; a program that parses messages must frame them (see
 *    caesar_server.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static volatile sig_atomic_t stopping;   /* set by SIGINT/SIGTERM */

static void on_signal(int sig) { (void)sig; stopping = 1; }

static int fail(const char *call)
{
	fprintf(stderr, "echo_server: %s: %s\n", call, strerror(errno));
	return -1;
}

/* send() may take fewer bytes than asked (a short write): loop.
 * MSG_NOSIGNAL: writing to a vanished peer fails with EPIPE instead of
 * killing the process with SIGPIPE. */
static int send_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR && !stopping)
			continue;
		if (n < 0)
			return -1;
		p += n, len -= (size_t)n;
	}
	return 0;
}

/* Echo until the client closes its side: recv() returning 0 means EOF. */
static void serve_client(int fd)
{
	char buf[4096];
	ssize_t n;
	while ((n = recv(fd, buf, sizeof buf, 0)) != 0) {
		if (n < 0 && errno == EINTR && !stopping)
			continue;
		if (n < 0 || send_all(fd, buf, (size_t)n) < 0) {
			fail(n < 0 ? "recv" : "send");
			return;
		}
	}
}

/* socket + bind + listen; port 0 asks the kernel for a free port. */
static int listen_on(struct sockaddr_in *addr)
{
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
	socklen_t len = sizeof *addr;
	if (fd < 0)
		return fail("socket");
	/* SO_REUSEADDR: a restarted server may bind while old connections to
	 * this port still sit in TIME_WAIT. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(fd, (struct sockaddr *)addr, sizeof *addr) < 0 ||
	    listen(fd, SOMAXCONN) < 0 ||
	    getsockname(fd, (struct sockaddr *)addr, &len) < 0) {
		fail("socket setup");
		close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	long count = 0, served = 0, port = 65432;
	char *end = "", ip[INET_ADDRSTRLEN];
	int opt, rc = 0;
	while ((opt = getopt(argc, argv, "n:")) != -1)
		if (opt != 'n' || (count = strtol(optarg, &end, 10)) <= 0 || *end)
			goto usage;
	const char *host = optind < argc ? argv[optind] : "127.0.0.1";
	if (optind + 1 < argc)
		port = strtol(argv[optind + 1], &end, 10);
	if (argc - optind > 2 || *end || port < 0 || port > 65535 ||
	    inet_pton(AF_INET, host, &addr.sin_addr) != 1)
		goto usage;
	addr.sin_port = htons((unsigned short)port);   /* network byte order */

	/* No SA_RESTART: a signal makes a blocked accept() or recv() fail with
	 * EINTR, so the loops notice `stopping` and close everything. */
	struct sigaction sa = { .sa_handler = on_signal };
	if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0) {
		fail("sigaction");
		return 1;
	}
	int lfd = listen_on(&addr);
	if (lfd < 0)
		return 1;
	printf("listening tcp://%s:%u echo\n", host, ntohs(addr.sin_port));
	fflush(stdout);   /* stdout may be a pipe: push the line out now */

	while (!stopping && (count == 0 || served < count)) {
		struct sockaddr_in peer;
		socklen_t plen = sizeof peer;
		int conn = accept(lfd, (struct sockaddr *)&peer, &plen);
		if (conn < 0 && (errno == EINTR || errno == ECONNABORTED))
			continue;
		if (conn < 0) {
			fail("accept");
			rc = 1;
			break;
		}
		inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof ip);
		printf("Connected by %s:%u\n", ip, ntohs(peer.sin_port));
		fflush(stdout);
		serve_client(conn);
		close(conn);      /* the step the tutorial forgets */
		served++;
	}
	close(lfd);
	return rc;
usage:
	fprintf(stderr, "usage: echo_server [-n COUNT] [HOST [PORT]]\n");
	return 2;
}
