/* chat_load.c — the chat fan-out load generator for bench/chat.sh: N
 * clients register on an IRC server and join one channel; S of them send
 * 75-byte PRIVMSG lines as fast as a window allows; every delivery is
 * checked (right sender, in order per sender) and its latency measured.
 *
 *   chat_load EP[,EP...] CLIENTS SENDERS SECONDS [WINDOW]
 *
 * EP is a port on 127.0.0.1 or unix:PATH.  Several (the nodes of a chat
 * cluster): client i connects to endpoint i mod their number, so senders
 * and receivers spread over them.
 *
 * SENDERS 0 is the idle mode: CLIENTS register (and join nothing), one
 * line {"clients":N,"ready":true} is printed, and they stay SECONDS
 * (for measuring a server's memory per idle client).
 *
 * Prints one JSON line: deliveries, deliveries/s, p50/p99 latency (us),
 * order errors, lost.  Works against any IRC server (sockit, ngircd);
 * flood protection must be off there.  Loopback (127.0.0.1) or unix
 * sockets only. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAXC 12000
#define MAXS 64
#define RBUF (256 * 1024)

struct cl {
	int fd;
	char *buf;
	size_t len;
	long long next[MAXS];      /* next seq expected from each sender */
};

static struct cl cls[MAXC];
static int nclients, nsenders;
static long long sent[MAXS], seen0[MAXS];
static unsigned long long deliveries, order_errors;
static unsigned long long hist[64];

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void die(const char *what)
{
	fprintf(stderr, "chat_load: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void send_all(int fd, const char *d, size_t n)
{
	while (n) {
		ssize_t k = send(fd, d, n, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == EAGAIN) {
			struct timespec t = { 0, 100000 };
			nanosleep(&t, NULL);
			continue;
		}
		if (k <= 0)
			die("send");
		d += k;
		n -= (size_t)k;
	}
}

/* Blocking read until needle shows up (registration, join). */
static void wait_for(struct cl *c, const char *needle)
{
	uint64_t until = now_us() + 60000000;
	for (;;) {
		c->buf[c->len] = '\0';
		char *hit = strstr(c->buf, needle);
		if (hit) {
			char *nl = strchr(hit, '\n');
			size_t used = nl ? (size_t)(nl + 1 - c->buf) : c->len;
			memmove(c->buf, c->buf + used, c->len - used);
			c->len -= used;
			return;
		}
		if (c->len > RBUF / 2) {       /* keep the tail only */
			memmove(c->buf, c->buf + c->len - 1024, 1024);
			c->len = 1024;
		}
		ssize_t k = recv(c->fd, c->buf + c->len, RBUF - 1 - c->len, 0);
		if (k < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (now_us() > until) {
				fprintf(stderr, "chat_load: timeout waiting for %s\n", needle);
				exit(1);
			}
			struct timespec t = { 0, 1000000 };
			nanosleep(&t, NULL);
			continue;
		}
		if (k <= 0)
			die("recv during setup");
		c->len += (size_t)k;
	}
}

/* A connected socket to ep: a port on 127.0.0.1, or unix:PATH. */
static int dial(const char *ep)
{
	int one = 1, fd;

	if (strncmp(ep, "unix:", 5) == 0) {
		struct sockaddr_un su = { .sun_family = AF_UNIX };
		if (strlen(ep + 5) >= sizeof su.sun_path)
			die("unix path too long");
		strcpy(su.sun_path, ep + 5);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&su, sizeof su) < 0)
			die("connect");
		return fd;
	}
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(ep)) };
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		die("connect");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}

static void setup(const char *ep, int i, bool join)
{
	char line[256];
	struct cl *c = &cls[i];

	c->fd = dial(ep);
	struct timeval tv = { 0, 200000 };
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	c->buf = malloc(RBUF);
	int n = snprintf(line, sizeof line, "NICK c%d\r\nUSER c%d 0 * :load\r\n", i, i);
	send_all(c->fd, line, (size_t)n);
	wait_for(c, " 001 ");
	if (!join) {
		free(c->buf);
		c->buf = NULL;
		return;
	}
	n = snprintf(line, sizeof line, "JOIN #bench\r\n");
	send_all(c->fd, line, (size_t)n);
	wait_for(c, " 366 ");
}

/* One delivered line: ":cS!... PRIVMSG #bench :S SEQ T pad". */
static void on_line(struct cl *c, int ci, const char *l, const char *end)
{
	const char *p = memmem(l, (size_t)(end - l), "PRIVMSG #bench :", 16);
	if (!p)
		return;
	p += 16;
	char *e;
	long s = strtol(p, &e, 10);
	long long seq = strtoll(e, &e, 10);
	unsigned long long t = strtoull(e, &e, 10);
	if (s < 0 || s >= nsenders)
		return;
	deliveries++;
	if (seq != c->next[s])
		order_errors++;
	c->next[s] = seq + 1;
	if (ci == nsenders)
		seen0[s] = seq + 1;
	uint64_t lat = now_us() - t;
	int b = 0;
	while (b < 63 && (1ULL << b) < lat)
		b++;
	hist[b]++;
}

static void drain(int ci)
{
	struct cl *c = &cls[ci];
	for (int rounds = 0; rounds < 4; rounds++) {
		ssize_t k = recv(c->fd, c->buf + c->len, RBUF - c->len, MSG_DONTWAIT);
		if (k <= 0) {
			if (k == 0 || (errno != EAGAIN && errno != EINTR))
				die("recv");
			return;
		}
		c->len += (size_t)k;
		char *s = c->buf, *end = c->buf + c->len, *nl;
		while ((nl = memchr(s, '\n', (size_t)(end - s)))) {
			on_line(c, ci, s, nl);
			s = nl + 1;
		}
		c->len = (size_t)(end - s);
		memmove(c->buf, s, c->len);
	}
}

/* Each sender keeps at most window lines ahead of the first receiver. */
static void send_some(int s, long long window)
{
	char batch[16 * 100];
	size_t n = 0;
	while (n + 100 < sizeof batch && sent[s] - seen0[s] < window) {
		/* 75 bytes with CRLF: "PRIVMSG #bench :S SEQ TIME pad\r\n". */
		int k = snprintf(batch + n, sizeof batch - n, "PRIVMSG #bench :%d %lld %llu ",
		                 s, sent[s], (unsigned long long)now_us());
		while (k < 73)
			batch[n + (size_t)k++] = 'x';
		batch[n + (size_t)k++] = '\r';
		batch[n + (size_t)k++] = '\n';
		n += (size_t)k;
		sent[s]++;
	}
	if (n)
		send_all(cls[s].fd, batch, n);
}

static unsigned long long pct(double q)
{
	unsigned long long total = 0, acc = 0;
	for (int b = 0; b < 64; b++)
		total += hist[b];
	for (int b = 0; b < 64; b++) {
		acc += hist[b];
		if (acc >= q * total)
			return 1ULL << b;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: chat_load EP[,EP...] CLIENTS SENDERS SECONDS [WINDOW]\n");
		return 2;
	}
	char *ports[16];
	int nports = 0;
	for (char *p = strtok(argv[1], ","); p && nports < 16; p = strtok(NULL, ","))
		ports[nports++] = p;
	nclients = atoi(argv[2]);
	nsenders = atoi(argv[3]);
	double secs = atof(argv[4]);
	long long window = argc > 5 ? atoll(argv[5]) : 500;
	if (nports == 0 || nclients < 2 || nclients > MAXC || nsenders < 0 || nsenders >= nclients ||
	    nsenders > MAXS || secs <= 0 || secs > 600)
		return 2;
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	for (int i = 0; i < nclients; i++)
		setup(ports[i % nports], i, nsenders > 0);
	if (nsenders == 0) {
		printf("{\"clients\":%d,\"ready\":true}\n", nclients);
		fflush(stdout);
		struct timespec t = { (time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9) };
		nanosleep(&t, NULL);
		return 0;
	}
	/* Drain the JOIN lines of later clients before measuring. */
	for (int r = 0; r < 20; r++)
		for (int i = 0; i < nclients; i++)
			drain(i);
	int ep = epoll_create1(0);
	for (int i = 0; i < nclients; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
		epoll_ctl(ep, EPOLL_CTL_ADD, cls[i].fd, &ev);
	}
	deliveries = 0;
	memset(hist, 0, sizeof hist);
	uint64_t t0 = now_us(), stop = t0 + (uint64_t)(secs * 1e6);
	struct epoll_event evs[256];
	while (now_us() < stop) {
		for (int s = 0; s < nsenders; s++)
			send_some(s, window);
		int n = epoll_wait(ep, evs, 256, 10);
		for (int i = 0; i < n; i++)
			drain((int)evs[i].data.u32);
	}
	uint64_t t1 = now_us();
	unsigned long long in_time = deliveries;
	/* Let what was sent arrive, then count what is missing. */
	uint64_t until = now_us() + 60000000;
	for (;;) {
		long long missing = 0;
		for (int i = nsenders; i < nclients; i++)
			for (int s = 0; s < nsenders; s++)
				missing += sent[s] - cls[i].next[s];
		for (int i = 0; i < nsenders; i++)
			for (int s = 0; s < nsenders; s++)
				if (s != i)
					missing += sent[s] - cls[i].next[s];
		if (missing == 0 || now_us() > until) {
			double el = (double)(t1 - t0) / 1e6;
			printf("{\"clients\":%d,\"senders\":%d,\"seconds\":%.3f,\"deliveries\":%llu,"
			       "\"deliveries_per_s\":%.0f,\"p50_us\":%llu,\"p99_us\":%llu,"
			       "\"order_errors\":%llu,\"lost\":%lld}\n",
			       nclients, nsenders, el, in_time, (double)in_time / el, pct(0.5),
			       pct(0.99), order_errors, missing);
			return missing || order_errors ? 1 : 0;
		}
		int n = epoll_wait(ep, evs, 256, 10);
		for (int i = 0; i < n; i++)
			drain((int)evs[i].data.u32);
	}
}
