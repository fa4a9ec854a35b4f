/* greet_server.c — the tutorial's serverku.py / serverku2.py, in plain C.
 *
 * usage: greet_server [--once] [-n COUNT] [HOST [PORT]]  (default 127.0.0.1 12345)
 *
 * For each client: print its address, send the banner "Thank you for
 * connecting", print what the client answers, close.  --once serves one
 * client and exits (serverku2.py); -n COUNT serves COUNT.  PORT 0 lets the
 * kernel choose; the first line on stdout names it ("listening
 * tcp://127.0.0.1:40123 greet").  SIGINT or SIGTERM stop the server once
 * the current client is done.
 *
 * Where the tutorial's Python goes wrong:
 *  - it binds socket.gethostname(), an address that depends on the
 *    machine's name (127.0.1.1 on Debian, a LAN address elsewhere), so the
 *    client may not find it.  Name the address explicitly.
 *  - c.send() may send only part of the banner; sendall() would not.
 *  - the banner has no end marker, so a client cannot know it has all of
 *    it.  We half-close after the banner — shutdown(SHUT_WR) sends a FIN,
 *    the client reads to end of file, and we can still read its answer. */
#define _GNU_SOURCE      /* for ppoll() */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BANNER "Thank you for connecting"

static int fail(const char *call)
{
	fprintf(stderr, "greet_server: %s: %s\n", call, strerror(errno));
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

/* Loops for short writes and EINTR; returns 0 or -1 with errno set. */
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

/* Banner, half-close, then read the answer until the client closes, the
 * buffer is full or 2 s pass (SO_RCVTIMEO), so a silent client cannot
 * hold the server forever. */
static void greet(int fd)
{
	struct timeval tv = { .tv_sec = 2 };
	char reply[1024];
	size_t got = 0;
	ssize_t n = 0;
	if (send_all(fd, BANNER, strlen(BANNER)) < 0 || shutdown(fd, SHUT_WR) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0) {
		fail("send banner");
		return;
	}
	while (got < sizeof reply && (n = recv(fd, reply + got, sizeof reply - got, 0)) != 0) {
		if (n < 0 && errno != EINTR)
			break;
		if (n > 0)
			got += (size_t)n;
	}
	if (n < 0 && errno != EAGAIN)
		fail("recv");
	printf("Client says: '%.*s'\n", (int)got, reply);
}

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

/* Returns 0 when done (count reached or a signal), -1 on an error. */
static int serve(int lfd, long count)
{
	int r = 1;
	for (long served = 0; (count == 0 || served < count) && (r = wait_readable(lfd)) > 0;) {
		struct sockaddr_in peer;
		socklen_t plen = sizeof peer;
		char ip[INET_ADDRSTRLEN];
		int conn = accept(lfd, (struct sockaddr *)&peer, &plen);
		if (conn < 0 && (errno == EINTR || errno == ECONNABORTED))
			continue;
		if (conn < 0)
			return fail("accept");
		inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof ip);
		printf("Got connection from %s:%u\n", ip, ntohs(peer.sin_port));
		greet(conn);
		fflush(stdout);
		close(conn);
		served++;
	}
	return r < 0 ? -1 : 0;
}

/* What -h/--help prints on stdout, and a usage error on stderr. */
static const char usage_text[] =
	"usage: greet_server [--once] [-n COUNT] [HOST [PORT]]\n"
	"Default: 127.0.0.1 12345; -n: stop after COUNT clients (--once: 1).\n";

int main(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		printf("%s", usage_text);
		return 0;
	}
	static const struct option longopts[] = { { "once", no_argument, NULL, '1' }, { 0 } };
	struct sockaddr_in addr = { .sin_family = AF_INET };
	long count = 0, port = 12345;
	char *end = "";
	int opt;
	while ((opt = getopt_long(argc, argv, "n:", longopts, NULL)) != -1) {
		if (opt == '1')
			count = 1;
		else if (opt != 'n' || (count = strtol(optarg, &end, 10)) <= 0 || *end)
			goto usage;
	}
	const char *host = optind < argc ? argv[optind] : "127.0.0.1";
	if (optind + 1 < argc)
		port = strtol(argv[optind + 1], &end, 10);
	if (argc - optind > 2 || *end || port < 0 || port > 65535 ||
	    inet_pton(AF_INET, host, &addr.sin_addr) != 1)
		goto usage;
	addr.sin_port = htons((unsigned short)port);

	if (catch_signals() < 0) {
		fail("sigaction");
		return 1;
	}
	int lfd = listen_on(&addr);
	if (lfd < 0)
		return 1;
	printf("listening tcp://%s:%u greet\n", host, ntohs(addr.sin_port));
	fflush(stdout);
	int rc = serve(lfd, count) < 0 ? 1 : 0;
	close(lfd);
	return rc;
usage:
	fprintf(stderr, "%s", usage_text);
	return 2;
}
