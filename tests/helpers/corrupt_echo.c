/* corrupt_echo.c — a deliberately faulty echo server for the load
 * generator's tests: it must make `sockit bench` report errors.
 *
 * usage: corrupt_echo tcp|udp flip|close|drop N
 *   tcp flip N   echo, but flip one bit in every Nth byte of each stream
 *   tcp close N  echo the first N bytes of each connection, then close
 *   udp flip N   echo, but flip a bit in every Nth datagram
 *   udp drop N   echo, but drop every Nth datagram
 * Binds 127.0.0.1 port 0 and prints "listening tcp://127.0.0.1:PORT
 * corrupt_echo" (or udp://) once ready.  Single-threaded, poll(2); exits
 * on SIGTERM. */
#include <errno.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CLIENTS 256

struct client {
	int fd;
	unsigned long long seen;   /* bytes of this stream so far */
};

static int bind_any(int type)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
	                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 512) < 0) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		perror("corrupt_echo: bind");
		exit(1);
	}
	printf("listening %s://127.0.0.1:%d corrupt_echo\n",
	       type == SOCK_STREAM ? "tcp" : "udp", ntohs(sa.sin_port));
	fflush(stdout);
	return fd;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Echo one read's worth; returns -1 when the client is done with. */
static int serve_client(struct client *c, bool flip, unsigned long long n)
{
	char buf[65536];
	ssize_t r = read(c->fd, buf, sizeof buf);

	if (r <= 0)
		return r < 0 && errno == EINTR ? 0 : -1;
	size_t len = (size_t)r;
	if (!flip && c->seen + len >= n)
		len = (size_t)(n - c->seen);      /* close after exactly n bytes */
	for (size_t i = 0; flip && i < len; i++)
		if ((c->seen + i + 1) % n == 0)
			buf[i] ^= 0x20;
	c->seen += len;
	if (write_all(c->fd, buf, len) < 0)
		return -1;
	return !flip && c->seen >= n ? -1 : 0;
}

static void run_tcp(int lfd, bool flip, unsigned long long n)
{
	struct pollfd pfd[MAX_CLIENTS + 1];
	struct client cl[MAX_CLIENTS];
	int nc = 0;

	for (;;) {
		pfd[0] = (struct pollfd){ .fd = lfd, .events = nc < MAX_CLIENTS ? POLLIN : 0 };
		for (int i = 0; i < nc; i++)
			pfd[i + 1] = (struct pollfd){ .fd = cl[i].fd, .events = POLLIN };
		if (poll(pfd, (nfds_t)nc + 1, -1) < 0)
			continue;
		for (int i = nc - 1; i >= 0; i--) {
			if (!pfd[i + 1].revents || serve_client(&cl[i], flip, n) == 0)
				continue;
			close(cl[i].fd);
			cl[i] = cl[--nc];
		}
		if (pfd[0].revents & POLLIN) {
			int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0)
				cl[nc++] = (struct client){ .fd = fd };
		}
	}
}

static void run_udp(int fd, bool flip, unsigned long long n)
{
	char buf[65536];
	unsigned long long count = 0;

	for (;;) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof peer;
		ssize_t r = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&peer, &plen);
		if (r < 0)
			continue;
		if (++count % n == 0) {
			if (!flip)
				continue;                  /* drop */
			if (r > 0)
				buf[r / 2] ^= 0x20;
		}
		sendto(fd, buf, (size_t)r, 0, (struct sockaddr *)&peer, plen);
	}
}

int main(int argc, char **argv)
{
	if (argc != 4 || (strcmp(argv[1], "tcp") && strcmp(argv[1], "udp")) ||
	    (strcmp(argv[2], "flip") && strcmp(argv[2], "close") && strcmp(argv[2], "drop"))) {
		fprintf(stderr, "usage: corrupt_echo tcp|udp flip|close|drop N\n");
		return 2;
	}
	unsigned long long n = strtoull(argv[3], NULL, 10);
	bool flip = strcmp(argv[2], "flip") == 0;
	if (n == 0) {
		fprintf(stderr, "corrupt_echo: N must be > 0\n");
		return 2;
	}
	if (strcmp(argv[1], "tcp") == 0)
		run_tcp(bind_any(SOCK_STREAM), flip, n);
	else
		run_udp(bind_any(SOCK_DGRAM), flip, n);
	return 0;
}
