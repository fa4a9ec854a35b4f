/* broker.c — listen -k --broker (ncat's broker/chat mode): every client's
 * lines go to all the other clients, on the event loop. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>

#include "commands.h"
#include "netcat/netcat.h"
#include "sockit/buf.h"
#include "sockit/conn.h"
#include "sockit/loop.h"
#include "sockit/net.h"

#define LINE_MAX_BYTES (64u << 10)   /* a longer "line" is passed on as is */
#define SLOW_LIMIT (4u << 20)        /* a client this far behind is dropped */

struct bclient {
	struct broker *b;
	struct sk_conn *c;
	LIST_ENTRY(bclient) link;
	struct sk_buf line;
	char name[SK_ADDRSTRLEN];
};

struct broker {
	const struct nc_opts *o;
	struct sk_loop *loop;
	LIST_HEAD(, bclient) clients;
	long n;
};

/* Queue bytes to every client but the sender; drop one that cannot keep
 * up (closing k unlinks and frees it: its successor is read first). */
static void fan_out(struct bclient *from, const char *p, size_t n)
{
	struct bclient *next;

	for (struct bclient *k = LIST_FIRST(&from->b->clients); k; k = next) {
		next = LIST_NEXT(k, link);
		if (k == from)
			continue;
		if (sk_conn_queued(k->c) > SLOW_LIMIT)
			sk_conn_close(k->c, "too slow");
		else
			sk_conn_write(k->c, p, n);
	}
}

/* Pass on every complete line (or a full buffer); keep the rest. */
static void flush_lines(struct bclient *k, bool all)
{
	char *h = sk_buf_head(&k->line), *nl;
	size_t len = sk_buf_len(&k->line), done = 0;

	while ((nl = memchr(h + done, '\n', len - done))) {
		size_t l = (size_t)(nl - (h + done)) + 1;
		fan_out(k, h + done, l);
		done += l;
	}
	if ((all || len - done >= LINE_MAX_BYTES) && len > done) {
		fan_out(k, h + done, len - done);
		done = len;
	}
	sk_buf_consume(&k->line, done);
}

static void on_data(struct sk_conn *c, const char *data, size_t len)
{
	struct bclient *k = c->data;

	if (sk_buf_append(&k->line, data, len) < 0)
		return sk_conn_close(c, "out of memory");
	flush_lines(k, false);
}

static void on_eof(struct sk_conn *c)
{
	struct bclient *k = c->data;

	flush_lines(k, true);
	sk_conn_end(c, "client closed");
}

static void on_close(struct sk_conn *c, const char *reason)
{
	struct bclient *k = c->data;
	struct broker *b = k->b;

	nc_verbose(b->o, "%s: closed (%s)", k->name, reason);
	LIST_REMOVE(k, link);
	b->n--;
	sk_buf_free(&k->line);
	free(k);
}

static const struct sk_conn_ops broker_ops = {
	.on_data = on_data, .on_eof = on_eof, .on_close = on_close,
};

static void add_client(struct broker *b, int fd, struct sockaddr_storage *ss,
                       socklen_t len)
{
	struct bclient *k = calloc(1, sizeof *k);

	if (!k) {
		close(fd);
		return;
	}
	k->b = b;
	sk_addr_format((struct sockaddr *)ss, len, k->name, sizeof k->name);
	k->c = sk_conn_new(b->loop, fd, (struct sockaddr *)ss, len, &broker_ops, k, NULL);
	if (!k->c) {
		close(fd);
		free(k);
		return;
	}
	LIST_INSERT_HEAD(&b->clients, k, link);
	b->n++;
	nc_verbose(b->o, "connection from %s", k->name);
}

static void on_accept(struct sk_loop *loop, int lfd, int events, void *data)
{
	struct broker *b = data;
	struct sockaddr_storage ss;
	socklen_t len;

	(void)loop; (void)events;
	for (int i = 0; i < 64; i++) {
		int fd = nc_accept_admitted(b->o, lfd, b->n, &ss, &len);
		if (fd == -1)
			return;
		if (fd >= 0)
			add_client(b, fd, &ss, len);
	}
}

static void on_stop(struct sk_loop *loop, int signo, void *data)
{
	(void)signo; (void)data;
	sk_loop_stop(loop);
}

int nc_broker_run(const struct nc_opts *o, int lfd)
{
	struct broker b = { 0 };
	int rc = EXIT_OK;

	b.o = o;
	LIST_INIT(&b.clients);
	b.loop = sk_loop_new(1024);
	if (!b.loop)
		return nc_die(o, EXIT_NETWORK, "event loop: %s", strerror(errno));
	sk_raise_fd_limit();
	sk_loop_on_signal(b.loop, SIGINT, on_stop, &b);
	sk_loop_on_signal(b.loop, SIGTERM, on_stop, &b);
	sk_loop_add(b.loop, lfd, SK_READ, on_accept, &b);
	if (sk_loop_run(b.loop) < 0)
		rc = nc_die(o, EXIT_NETWORK, "event loop: %s", strerror(errno));
	while (!LIST_EMPTY(&b.clients))
		sk_conn_close(LIST_FIRST(&b.clients)->c, "shutting down");
	sk_loop_del(b.loop, lfd);
	sk_loop_free(b.loop);
	return rc;
}
