/* portsink.c — TCP listeners on chosen ports for scanner tests: accept,
 * optionally send a banner, close.
 *
 *   portsink [--banner TEXT] [--ttl SEC] [--pidfile F] ADDR PORT...
 *
 * PORT 0 picks a free port; A-B listens on a whole range.  Once every
 * listener is bound it prints one readiness line per port
 * ("listening tcp://127.0.0.1:40123 portsink").  With --pidfile it then
 * goes to the background.  Exits on SIGTERM/SIGINT or after --ttl seconds
 * (default 600). */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_LISTENERS 4096

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int listen_on(const char *addr, unsigned port, char *bound, size_t len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
	                          .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV }, *res;
	char ps[8];
	snprintf(ps, sizeof ps, "%u", port);
	if (getaddrinfo(addr, ps, &hints, &res) != 0)
		return -1;
	int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 1024) < 0) {
		fprintf(stderr, "portsink: listen %s port %u: %s\n", addr, port, strerror(errno));
		freeaddrinfo(res);
		return -1;
	}
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	char host[64];
	getnameinfo((struct sockaddr *)&ss, sl, host, sizeof host, ps, sizeof ps,
	            NI_NUMERICHOST | NI_NUMERICSERV);
	snprintf(bound, len, res->ai_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, ps);
	freeaddrinfo(res);
	return fd;
}

static void serve(struct pollfd *pfd, int n, const char *banner, double ttl)
{
	time_t end = time(NULL) + (time_t)ttl;
	while (!stop && time(NULL) < end) {
		if (poll(pfd, (nfds_t)n, 200) <= 0)
			continue;
		for (int i = 0; i < n; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			for (int k = 0; k < 64; k++) {
				int c = accept4(pfd[i].fd, NULL, NULL, SOCK_CLOEXEC);
				if (c < 0)
					break;
				if (banner && write(c, banner, strlen(banner)) < 0)
					perror("portsink: write");
				close(c);
			}
		}
	}
}

int main(int argc, char **argv)
{
	const char *banner = NULL, *pidfile = NULL;
	double ttl = 600;
	int i = 1;
	for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		if (!strcmp(argv[i], "--banner")) banner = argv[i + 1];
		else if (!strcmp(argv[i], "--ttl")) ttl = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--pidfile")) pidfile = argv[i + 1];
		else break;
	}
	if (argc - i < 2 || ttl <= 0) {
		fprintf(stderr, "usage: portsink [--banner TEXT] [--ttl SEC] [--pidfile F] ADDR PORT...\n");
		return 2;
	}
	static struct pollfd pfd[MAX_LISTENERS];
	int n = 0;
	const char *addr = argv[i++];
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (; i < argc; i++) {
		unsigned lo = 0, hi = 0;
		if (sscanf(argv[i], "%u-%u", &lo, &hi) != 2)
			hi = lo = (unsigned)atoi(argv[i]);
		for (unsigned p = lo; p <= hi && p < 65536; p++) {
			char bound[96];
			if (n == MAX_LISTENERS)
				return 2;
			int fd = listen_on(addr, p, bound, sizeof bound);
			if (fd < 0)
				return 1;
			pfd[n++] = (struct pollfd){ .fd = fd, .events = POLLIN };
			printf("listening tcp://%s portsink\n", bound);
		}
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	if (pidfile) {
		pid_t pid = fork();
		if (pid < 0)
			return 1;
		if (pid > 0) {
			FILE *f = fopen(pidfile, "w");
			if (f)
				fprintf(f, "%d\n", (int)pid), fclose(f);
			_exit(0);
		}
		setsid();
		freopen("/dev/null", "w", stdout);
	}
	serve(pfd, n, banner, ttl);
	return 0;
}
