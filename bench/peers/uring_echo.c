/* uring_echo.c — an io_uring TCP echo server for make bench: what the
 * kernel can do with batched submission.  Multishot accept, multishot
 * recv into a provided-buffer ring, one send per received buffer, one
 * io_uring_enter per loop turn (no per-request system call).  At most one
 * send per connection is in flight, later buffers wait their turn, so the
 * byte order of every stream is kept.
 *
 * usage: uring_echo [PORT]   (binds 127.0.0.1; prints
 * "listening tcp://127.0.0.1:PORT echo") */
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define ENTRIES   4096
#define NBUFS     4096                 /* power of two */
#define BUFSZ     16384
#define BGID      1
#define MAXFD     65536
#define QLEN      64                   /* received buffers waiting per connection */

enum { OP_ACCEPT, OP_RECV, OP_SEND };

struct conn {
	unsigned short q[QLEN];            /* buffer ids waiting to be sent */
	unsigned qlen[QLEN];
	unsigned head, count;
	unsigned sent;                     /* bytes of q[head] already sent */
	int sending, receiving, dead;      /* a send / the multishot recv in flight */
};

static struct io_uring ring;
static struct io_uring_buf_ring *br;
static char *bufs;
static struct conn *conns;

static unsigned long long ud(int op, int fd) { return (unsigned long long)op << 32 | (unsigned)fd; }

static struct io_uring_sqe *sqe_get(void)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

	if (!sqe) {
		io_uring_submit(&ring);
		sqe = io_uring_get_sqe(&ring);
	}
	return sqe;
}

static void buf_return(unsigned short bid)
{
	io_uring_buf_ring_add(br, bufs + (size_t)bid * BUFSZ, BUFSZ, bid,
	                      io_uring_buf_ring_mask(NBUFS), 0);
	io_uring_buf_ring_advance(br, 1);
}

static void arm_recv(int fd)
{
	struct io_uring_sqe *sqe = sqe_get();

	io_uring_prep_recv_multishot(sqe, fd, NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = BGID;
	io_uring_sqe_set_data64(sqe, ud(OP_RECV, fd));
	conns[fd].receiving = 1;
}

static void send_head(int fd)
{
	struct conn *c = &conns[fd];
	unsigned short bid = c->q[c->head];
	struct io_uring_sqe *sqe = sqe_get();

	io_uring_prep_send(sqe, fd, bufs + (size_t)bid * BUFSZ + c->sent,
	                   c->qlen[c->head] - c->sent, MSG_NOSIGNAL);
	io_uring_sqe_set_data64(sqe, ud(OP_SEND, fd));
	c->sending = 1;
}

/* End a connection: buffers back, shutdown so the multishot recv ends;
 * the fd is closed once nothing is in flight on it (close_if_idle). */
static void drop(int fd)
{
	struct conn *c = &conns[fd];

	if (c->dead)
		return;
	c->dead = 1;
	for (; c->count; c->count--, c->head = (c->head + 1) % QLEN)
		buf_return(c->q[c->head]);
	c->sent = 0;
	shutdown(fd, SHUT_RDWR);
}

static void close_if_idle(int fd)
{
	struct conn *c = &conns[fd];

	if (c->dead && !c->sending && !c->receiving)
		close(fd);
}

static void on_recv(int fd, struct io_uring_cqe *cqe)
{
	struct conn *c = &conns[fd];

	if (!(cqe->flags & IORING_CQE_F_MORE))
		c->receiving = 0;
	if (cqe->res <= 0 || c->dead) {
		if (cqe->res > 0)
			buf_return((unsigned short)(cqe->flags >> IORING_CQE_BUFFER_SHIFT));
		if (cqe->res == -ENOBUFS && !c->dead)
			arm_recv(fd);              /* all buffers busy: re-arm */
		else
			drop(fd);
		return;
	}
	unsigned short bid = (unsigned short)(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
	if (c->count == QLEN) {            /* a client pipelining very deep */
		buf_return(bid);
		drop(fd);
		return;
	}
	unsigned tail = (c->head + c->count) % QLEN;
	c->q[tail] = bid;
	c->qlen[tail] = (unsigned)cqe->res;
	c->count++;
	if (!c->sending)
		send_head(fd);
	if (!c->receiving)
		arm_recv(fd);
}

static void on_send(int fd, struct io_uring_cqe *cqe)
{
	struct conn *c = &conns[fd];

	c->sending = 0;
	if (c->dead)
		return;
	if (cqe->res < 0) {
		drop(fd);
		return;
	}
	c->sent += (unsigned)cqe->res;
	if (c->sent == c->qlen[c->head]) {
		buf_return(c->q[c->head]);
		c->head = (c->head + 1) % QLEN;
		c->count--;
		c->sent = 0;
	}
	if (c->count)
		send_head(fd);
}

static void on_accept(int lfd, struct io_uring_cqe *cqe)
{
	int one = 1, fd = cqe->res;

	if (fd >= 0 && fd < MAXFD) {
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		memset(&conns[fd], 0, sizeof conns[fd]);
		arm_recv(fd);
	} else if (fd >= 0) {
		close(fd);
	}
	if (!(cqe->flags & IORING_CQE_F_MORE)) {
		struct io_uring_sqe *sqe = sqe_get();
		io_uring_prep_multishot_accept(sqe, lfd, NULL, NULL, 0);
		io_uring_sqe_set_data64(sqe, ud(OP_ACCEPT, lfd));
	}
}

static int listen_on(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
	                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof sa;
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 4096) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		perror("uring_echo: listen");
		exit(1);
	}
	return fd;
}

static void setup_buffers(void)
{
	struct io_uring_buf_reg reg = { 0 };
	size_t rsz = NBUFS * sizeof(struct io_uring_buf);

	br = mmap(NULL, rsz, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	bufs = malloc((size_t)NBUFS * BUFSZ);
	conns = calloc(MAXFD, sizeof *conns);
	if (br == MAP_FAILED || !bufs || !conns) {
		perror("uring_echo: memory");
		exit(1);
	}
	io_uring_buf_ring_init(br);
	reg.ring_addr = (unsigned long)br;
	reg.ring_entries = NBUFS;
	reg.bgid = BGID;
	int e = io_uring_register_buf_ring(&ring, &reg, 0);
	if (e < 0) {
		fprintf(stderr, "uring_echo: buffer ring: %s\n", strerror(-e));
		exit(1);
	}
	for (unsigned i = 0; i < NBUFS; i++)
		io_uring_buf_ring_add(br, bufs + (size_t)i * BUFSZ, BUFSZ, (unsigned short)i,
		                      io_uring_buf_ring_mask(NBUFS), (int)i);
	io_uring_buf_ring_advance(br, NBUFS);
}

int main(int argc, char **argv)
{
	struct io_uring_params p = { .flags = IORING_SETUP_SINGLE_ISSUER |
	                                      IORING_SETUP_DEFER_TASKRUN };
	int lfd = listen_on(argc > 1 ? atoi(argv[1]) : 0);
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	int e = io_uring_queue_init_params(ENTRIES, &ring, &p);

	if (e < 0) {
		fprintf(stderr, "uring_echo: io_uring: %s\n", strerror(-e));
		return 1;
	}
	setup_buffers();
	struct io_uring_sqe *sqe = sqe_get();
	io_uring_prep_multishot_accept(sqe, lfd, NULL, NULL, 0);
	io_uring_sqe_set_data64(sqe, ud(OP_ACCEPT, lfd));
	getsockname(lfd, (struct sockaddr *)&sa, &len);
	printf("listening tcp://127.0.0.1:%d echo\n", ntohs(sa.sin_port));
	fflush(stdout);
	for (;;) {
		struct io_uring_cqe *cqe;
		unsigned head, n = 0;
		io_uring_submit_and_wait(&ring, 1);
		io_uring_for_each_cqe(&ring, head, cqe) {
			unsigned long long d = io_uring_cqe_get_data64(cqe);
			int op = (int)(d >> 32), fd = (int)(d & 0xffffffffu);
			if (op == OP_ACCEPT)
				on_accept(fd, cqe);
			else if (op == OP_RECV)
				on_recv(fd, cqe);
			else
				on_send(fd, cqe);
			if (op != OP_ACCEPT)
				close_if_idle(fd);
			n++;
		}
		io_uring_cq_advance(&ring, n);
	}
}
