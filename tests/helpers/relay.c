/* relay.c — a user-space Ethernet bridge between two interfaces that
 * delays and drops frames: the test bed's stand-in for `tc netem` on
 * kernels without sch_netem.
 *
 *   relay [--delay MS] [--loss PCT] [--seed N] [--ttl SEC] [--pidfile F]
 *         IF_A IF_B
 *
 * One AF_PACKET socket per interface; every frame read on one side is held
 * for the delay and written to the other, unless the loss draw drops it
 * (each direction independently, so a round trip sees the delay twice and
 * the loss about twice).  Frames leave in arrival order.  With --pidfile
 * the relay goes to the background once both sockets are bound, so the
 * caller needs no wait.  It exits on SIGTERM/SIGINT or after --ttl
 * seconds (default 600), printing counts on stderr. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FRAME_MAX 1600
#define QUEUE_SLOTS 16384u
#define BURST 256

struct frame {
	uint64_t due_ns;
	uint16_t len;
	unsigned char data[FRAME_MAX];
};

/* Frames read from one side, waiting to be written to the other. */
struct lane {
	int in, out;
	struct frame *q;
	uint32_t head, count;
	uint64_t seen, dropped, overflow, sent;
};

static volatile sig_atomic_t stop;
static uint64_t rng_state = 88172645463325252ull;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* xorshift64: cheap, reproducible with --seed. */
static double draw(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (double)(rng_state >> 11) / (double)(1ull << 53);
}

static int open_if(const char *name)
{
	unsigned idx = if_nametoindex(name);
	if (!idx) {
		fprintf(stderr, "relay: interface %s: %s\n", name, strerror(errno));
		return -1;
	}
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
	                           .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = (int)idx };
	int one = 1, big = 32 << 20;
	if (fd < 0 || bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one) < 0) {
		fprintf(stderr, "relay: packet socket on %s: %s\n", name, strerror(errno));
		return -1;
	}
	/* A scan bursts thousands of SYNs: room for them in the kernel too. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big);
	return fd;
}

/* Read what waits on the lane's input (at most BURST frames). */
static void lane_read(struct lane *l, uint64_t delay_ns, double loss)
{
	for (int i = 0; i < BURST; i++) {
		struct frame *f = &l->q[(l->head + l->count) % QUEUE_SLOTS];
		unsigned char scratch[FRAME_MAX];
		bool room = l->count < QUEUE_SLOTS;
		ssize_t n = recv(l->in, room ? f->data : scratch, FRAME_MAX, MSG_TRUNC);
		if (n < 0)
			return;
		l->seen++;
		if (!room || n > FRAME_MAX) {
			l->overflow++;
			continue;
		}
		if (loss > 0 && draw() < loss) {
			l->dropped++;
			continue;
		}
		f->len = (uint16_t)n;
		f->due_ns = now_ns() + delay_ns;
		l->count++;
	}
}

/* Write every frame whose time has come; returns ns until the next one
 * (or -1 when the lane is empty). */
static int64_t lane_write(struct lane *l)
{
	uint64_t now = now_ns();
	while (l->count) {
		struct frame *f = &l->q[l->head];
		if (f->due_ns > now)
			return (int64_t)(f->due_ns - now);
		if (send(l->out, f->data, f->len, 0) < 0 && errno == EAGAIN)
			return 100000;         /* kernel queue full: try again soon */
		l->sent++;
		l->head = (l->head + 1) % QUEUE_SLOTS;
		l->count--;
	}
	return -1;
}

static int64_t soonest(int64_t a, int64_t b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

static void run(struct lane *l, uint64_t delay_ns, double loss, uint64_t end_ns)
{
	struct pollfd pfd[2] = { { .fd = l[0].in, .events = POLLIN },
	                         { .fd = l[1].in, .events = POLLIN } };
	while (!stop && now_ns() < end_ns) {
		int64_t wait = soonest(lane_write(&l[0]), lane_write(&l[1]));
		if (wait < 0 || wait > 100000000)
			wait = 100000000;      /* wake at least every 100 ms */
		struct timespec ts = { wait / 1000000000, wait % 1000000000 };
		if (ppoll(pfd, 2, &ts, NULL) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++)
			if (pfd[i].revents & POLLIN)
				lane_read(&l[i], delay_ns, loss);
	}
}

/* Background: the parent reports the child's pid and leaves. */
static int daemonize(const char *pidfile)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0) {
		FILE *f = fopen(pidfile, "w");
		if (!f)
			return -1;
		fprintf(f, "%d\n", (int)pid);
		fclose(f);
		_exit(0);
	}
	setsid();
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: relay [--delay MS] [--loss PCT] [--seed N] "
	        "[--ttl SEC] [--pidfile F] IF_A IF_B\n");
	return 2;
}

int main(int argc, char **argv)
{
	double delay_ms = 0, loss_pct = 0, ttl = 600;
	const char *pidfile = NULL;
	int i = 1;
	for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		if (!strcmp(argv[i], "--delay")) delay_ms = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--loss")) loss_pct = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--seed")) rng_state ^= strtoull(argv[i + 1], NULL, 10) * 2654435761ull;
		else if (!strcmp(argv[i], "--ttl")) ttl = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--pidfile")) pidfile = argv[i + 1];
		else return usage();
	}
	if (argc - i != 2 || delay_ms < 0 || delay_ms > 10000 || loss_pct < 0 ||
	    loss_pct > 100 || ttl <= 0 || ttl > 86400)
		return usage();
	struct lane l[2] = { 0 };
	int a = open_if(argv[i]), b = open_if(argv[i + 1]);
	l[0].q = calloc(QUEUE_SLOTS, sizeof(struct frame));
	l[1].q = calloc(QUEUE_SLOTS, sizeof(struct frame));
	if (a < 0 || b < 0 || !l[0].q || !l[1].q)
		return 1;
	l[0].in = l[1].out = a;
	l[0].out = l[1].in = b;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	if (pidfile && daemonize(pidfile) < 0)
		return 1;
	run(l, (uint64_t)(delay_ms * 1e6), loss_pct / 100.0, now_ns() + (uint64_t)(ttl * 1e9));
	for (int k = 0; k < 2; k++)
		fprintf(stderr, "relay: %s->%s seen %llu sent %llu dropped %llu overflow %llu\n",
		        argv[i + k], argv[i + 1 - k], (unsigned long long)l[k].seen,
		        (unsigned long long)l[k].sent, (unsigned long long)l[k].dropped,
		        (unsigned long long)l[k].overflow);
	free(l[0].q);
	free(l[1].q);
	return 0;
}
