/* hold_sockets.c — hold many loopback TCP connections open for benchmarks
 * of `sockit sockets`, ss and netstat.
 *
 * usage: hold_sockets SOCKETS [PROCESSES]
 * Spreads SOCKETS/2 connections (both ends are ours, so SOCKETS sockets)
 * over PROCESSES children (default: enough for 15000 fds each, the
 * open-file limit being 20000 here), each with its own listener on
 * 127.0.0.1:0.  Prints "ready N" once all are open, then holds them until
 * stdin closes or SIGTERM, and stops its children by PID.  Connections are
 * reset on close (SO_LINGER 0) so no TIME-WAIT is left behind. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_CHILDREN  64
#define FDS_PER_CHILD 15000

static int listener(struct sockaddr_in *sin)
{
	socklen_t len = sizeof *sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(sin, 0, sizeof *sin);
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)sin, sizeof *sin) < 0 ||
	    listen(fd, 128) < 0 || getsockname(fd, (struct sockaddr *)sin, &len) < 0)
		return -1;
	return fd;
}

/* One connection: connect (completes at once on loopback), then accept. */
static int one_pair(int lfd, const struct sockaddr_in *sin)
{
	struct linger lg = {1, 0};
	int c = socket(AF_INET, SOCK_STREAM, 0), a;

	if (c < 0)
		return -1;
	setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	if (connect(c, (const struct sockaddr *)sin, sizeof *sin) < 0)
		return -1;
	while ((a = accept(lfd, NULL, NULL)) < 0 && errno == EINTR)
		;
	return a < 0 ? -1 : 0;
}

static void child(int conns, int ready_fd)
{
	struct rlimit rl;
	struct sockaddr_in sin;
	int lfd, made = 0;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if ((lfd = listener(&sin)) >= 0)
		while (made < conns && one_pair(lfd, &sin) == 0)
			made++;
	if (made < conns)
		fprintf(stderr, "hold_sockets: child %d: %d of %d connections: %s\n",
		        (int)getpid(), made, conns, strerror(errno));
	if (write(ready_fd, &made, sizeof made) != sizeof made)
		_exit(1);
	close(ready_fd);
	for (;;)
		pause();
}

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	long sockets = argc > 1 ? strtol(argv[1], NULL, 10) : 60000;
	int procs = argc > 2 ? atoi(argv[2])
	                     : (int)((sockets + FDS_PER_CHILD - 1) / FDS_PER_CHILD);
	pid_t pids[MAX_CHILDREN];
	int fds[2], total = 0, made;
	char c;

	if (sockets < 2 || sockets > 2000000 || procs < 1 || procs > MAX_CHILDREN) {
		fprintf(stderr,
		        "usage: hold_sockets SOCKETS(2-2000000) [PROCESSES(1-%d)]\n",
		        MAX_CHILDREN);
		return 2;
	}
	if (pipe(fds) < 0)
		return perror("hold_sockets: pipe"), 1;
	for (int i = 0; i < procs; i++) {
		int conns = (int)(sockets / 2 / procs + (i < sockets / 2 % procs));

		if ((pids[i] = fork()) == 0)
			child(conns, fds[1]);
	}
	close(fds[1]);
	for (int i = 0; i < procs && read(fds[0], &made, sizeof made) == sizeof made; i++)
		total += made;
	/* SIGTERM interrupts the read (no SA_RESTART) so children are stopped too. */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	printf("ready %d\n", total * 2);
	fflush(stdout);
	while (!stop && read(STDIN_FILENO, &c, 1) > 0)
		;
	for (int i = 0; i < procs; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
	for (int i = 0; i < procs; i++)
		if (pids[i] > 0)
			waitpid(pids[i], NULL, 0);
	return 0;
}
