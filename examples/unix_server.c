/* unix_server.c — the tutorial's AF_UNIX stream server, in plain C.
 *
 * usage: unix_server [-n COUNT] [PATH]                  (default /tmp/sock)
 *
 * A UNIX-domain socket is addressed by a file name instead of an IP
 * address and port, and never leaves the machine.  Everything else is the
 * TCP echo server again: socket, bind, listen, accept, recv/send, close.
 * The first line on stdout is "listening unix:PATH echo".  -n COUNT stops
 * after COUNT clients; SIGINT or SIGTERM stop the server once the current
 * client is done; it then removes its socket file.
 *
 * Where the tutorial's Python goes wrong: bind() fails with "Address
 * already in use" if the socket file of an earlier run is still there, and
 * the tutorial never removes it.  We remove a stale socket file before
 * bind() — only if it is a socket, never some other file — and remove ours
 * on the way out. */
#define _GNU_SOURCE      /* for ppoll() */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int fail(const char *call)
{
	fprintf(stderr, "unix_server: %s: %s\n", call, strerror(errno));
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

/* Echo until the client closes its side. */
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

static int listen_on(const struct sockaddr_un *addr)
{
	struct stat st;
	if (lstat(addr->sun_path, &st) == 0 && S_ISSOCK(st.st_mode) && unlink(addr->sun_path) < 0)
		return fail("unlink");
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	const char *call = NULL;
	if (fd < 0)
		return fail("socket");
	if (bind(fd, (const struct sockaddr *)addr, sizeof *addr) < 0)
		call = "bind";          /* creates the socket file */
	else if (listen(fd, SOMAXCONN) < 0)
		call = "listen";
	if (call == NULL)
		return fd;
	fail(call);
	close(fd);
	return -1;
}

/* What -h/--help prints on stdout, and a usage error on stderr. */
static const char usage_text[] =
	"usage: unix_server [-n COUNT] [PATH]\n"
	"Default: /tmp/sock; -n: stop after COUNT clients.\n";

int main(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		printf("%s", usage_text);
		return 0;
	}
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	long count = 0, served = 0;
	char *end;
	int opt, rc = 0;
	while ((opt = getopt(argc, argv, "n:")) != -1)
		if (opt != 'n' || (count = strtol(optarg, &end, 10)) <= 0 || *end)
			goto usage;
	const char *path = optind < argc ? argv[optind] : "/tmp/sock";
	/* sun_path is a fixed array (108 bytes on Linux): longer paths do not fit. */
	if (argc - optind > 1 || strlen(path) >= sizeof addr.sun_path)
		goto usage;
	strcpy(addr.sun_path, path);

	if (catch_signals() < 0) {
		fail("sigaction");
		return 1;
	}
	int lfd = listen_on(&addr);
	if (lfd < 0)
		return 1;
	printf("listening unix:%s echo\n", path);
	fflush(stdout);
	/* Sleep in ppoll() until a client is waiting or a signal says stop. */
	while ((count == 0 || served < count) && (rc = wait_readable(lfd)) > 0) {
		int conn = accept(lfd, NULL, NULL);   /* UNIX peers have no address worth printing */
		if (conn < 0 && (errno == EINTR || errno == ECONNABORTED))
			continue;
		if (conn < 0) {
			rc = fail("accept");
			break;
		}
		serve_client(conn);
		close(conn);
		served++;
	}
	close(lfd);
	if (unlink(path) < 0)
		rc = fail("unlink");
	return rc < 0 ? 1 : 0;
usage:
	fprintf(stderr, "%s", usage_text);
	return 2;
}
