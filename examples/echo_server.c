/* echo_server.c — the tutorial's TCP "Echo Server", in plain blocking C.
 *
 * usage: echo_server [-n COUNT] [HOST [PORT]]       (default 127.0.0.1 65432)
 *
 * Serves clients one after another: every byte a client sends comes back
 * until the client closes its side; then we close ours and accept the next.
 * PORT 0 lets the kernel choose; the first line on stdout names the address
 * really bound ("listening tcp://127.0.0.1:40123 echo").  -n COUNT stops
 * after COUNT clients; SIGINT or SIGTERM stop the server once the current
 * client is done.
 *
 * Where the tutorial's Python goes wrong:
 *  - it never calls conn.close().  The socket lives on until the garbage
 *    collector frees it (when `conn` is rebound at the next accept), so a
 *    client waiting for the server to close waits for the next client.
 *  - conn.recv(1024) returns whatever has arrived, 1 byte or 1024, never
 *    "the message".  An echo server gets away with it because it sends back
 *    whatever it got; a program that parses messages must frame them (see
 *    caesar_server.c). */
#define _GNU_SOURCE      /* for ppoll() */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int fail(const char *call)
{
	fprintf(stderr, "echo_server: %s: %s\n", call, strerror(errno));
	return -1;
}

static volatile sig_atomic_t stopping;   /* set by SIGINT/SIGTERM */
static sigset_t wait_mask;               /* the signal mask while we wait */

static void on_signal(int sig) { (void)sig; stopping = 1; }

/* Catch SIGINT and SIGTERM but keep them blocked, except while we wait
 * in ppoll().  Checking `stopping` and then calling accept() would leave
 * a window in which a signal lands after the check and the server sleeps
 * on; ppoll() unblocks the signals and waits in one atomic step. */
static int catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &block, &wait_mask) < 0 ||
	    sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0)
		return -1;
	sigdelset(&wait_mask, SIGINT);
	sigdelset(&wait_mask, SIGTERM);
	return 0;
}

/* Wait until fd is readable.  Returns 1 then, 0 once a signal has asked
 * us to stop, -1 on an error. */
static int wait_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	while (!stopping) {
		if (ppoll(&p, 1, NULL, &wait_mask) >= 0)
			return 1;
		if (errno != EINTR)
			return fail("ppoll");
	}
	return 0;
}

/* send() may take fewer bytes than asked (a short write): loop.
 * MSG_NOSIGNAL: writing to a vanished peer fails with EPIPE instead of
 * killing the process with SIGPIPE. */
static int send_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
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
		if (n < 0 && errno == EINTR)
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
	const char *call = NULL;
	if (fd < 0)
		return fail("socket");
	/* SO_REUSEADDR: a restarted server may bind while old connections to
	 * this port still sit in TIME_WAIT. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
		call = "setsockopt";
	else if (bind(fd, (struct sockaddr *)addr, sizeof *addr) < 0)
		call = "bind";
	else if (listen(fd, SOMAXCONN) < 0)
		call = "listen";
	else if (getsockname(fd, (struct sockaddr *)addr, &len) < 0)   /* which port? */
		call = "getsockname";
	if (call == NULL)
		return fd;
	fail(call);
	close(fd);
	return -1;
}

/* What -h/--help prints on stdout, and a usage error on stderr. */
static const char usage_text[] =
	"usage: echo_server [-n COUNT] [HOST [PORT]]\n"
	"Default: 127.0.0.1 65432; -n: stop after COUNT clients.\n";

int main(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		printf("%s", usage_text);
		return 0;
	}
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

	if (catch_signals() < 0) {
		fail("sigaction");
		return 1;
	}
	int lfd = listen_on(&addr);
	if (lfd < 0)
		return 1;
	printf("listening tcp://%s:%u echo\n", host, ntohs(addr.sin_port));
	fflush(stdout);   /* stdout may be a pipe: push the line out now */

	/* Sleep in ppoll() until a client is waiting or a signal says stop. */
	while ((count == 0 || served < count) && (rc = wait_readable(lfd)) > 0) {
		struct sockaddr_in peer;
		socklen_t plen = sizeof peer;
		int conn = accept(lfd, (struct sockaddr *)&peer, &plen);
		if (conn < 0 && (errno == EINTR || errno == ECONNABORTED))
			continue;
		if (conn < 0) {
			rc = fail("accept");
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
	return rc < 0 ? 1 : 0;
usage:
	fprintf(stderr, "%s", usage_text);
	return 2;
}
