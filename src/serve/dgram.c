/* serve/dgram.c — datagram services: drain the socket in batches with
 * recvmmsg, answer with one sendmmsg, never reply larger than the request
 * unless the service may amplify, and then within the budgets of
 * rate_limit.h (per source across workers, and per service). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "serve/rate_limit.h"
#include "serve/server_int.h"
#include "sockit/log.h"

#define BATCH 32               /* datagrams per recvmmsg */
#define BATCHES_PER_WAKEUP 8   /* then let other fds run */
#define DGRAM_MAX 65536

struct dgram_batch {
	struct mmsghdr in[BATCH], out[BATCH];
	struct iovec iov_in[BATCH], iov_out[BATCH];
	struct sockaddr_storage from[BATCH];
	char data_in[BATCH][DGRAM_MAX];
	char data_out[BATCH][DGRAM_MAX];
};

static struct dgram_batch *get_batch(struct worker *w)
{
	if (!w->batch)
		w->batch = calloc(1, sizeof *w->batch);
	return w->batch;
}

void dgram_free(struct worker *w)
{
	free(w->batch);
	w->batch = NULL;
}

static void prepare_recv(struct dgram_batch *b)
{
	for (int i = 0; i < BATCH; i++) {
		b->iov_in[i] = (struct iovec){ b->data_in[i], DGRAM_MAX };
		b->in[i].msg_hdr = (struct msghdr){
			.msg_name = &b->from[i], .msg_namelen = sizeof b->from[i],
			.msg_iov = &b->iov_in[i], .msg_iovlen = 1,
		};
	}
}

/* With -v (debug level): one line per datagram, as TCP logs one per
 * connection — UDP has no connection to log otherwise. */
static void log_datagram(const struct listener *l, const struct sockaddr *from,
                         socklen_t fromlen, size_t in, size_t out, const char *what)
{
	char peer[SK_ADDRSTRLEN];

	if (!sk_log_enabled(SK_LOG_DEBUG))
		return;
	sk_log(SK_LOG_DEBUG, "%s %s peer=%s datagram in=%zu out=%zu%s", l->name,
	       l->entry->svc->name, sk_addr_format(from, fromlen, peer, sizeof peer),
	       in, out, what);
}

/* Build the reply for datagram i into out slot *nout; skips sources that
 * cannot receive (unnamed UNIX) and replies over budget. */
static void answer(struct listener *l, struct dgram_batch *b, int i, int *nout)
{
	const struct service *svc = l->entry->svc;
	size_t len = b->in[i].msg_len;
	size_t cap = svc->dgram_may_amplify ? DGRAM_MAX - 1 : len;
	socklen_t namelen = b->in[i].msg_hdr.msg_namelen;

	if (namelen <= sizeof(sa_family_t))
		return;     /* an unnamed unixgram sender has no address to answer */
	if ((b->in[i].msg_hdr.msg_flags & MSG_TRUNC) && !svc->dgram_may_amplify)
		len = cap = DGRAM_MAX;
	size_t n = svc->datagram(l->instance, b->data_in[i], len, b->data_out[*nout], cap);
	struct sockaddr *from = (struct sockaddr *)&b->from[i];
	if (n == 0) {
		log_datagram(l, from, namelen, len, 0, "");
		return;
	}
	if (svc->dgram_may_amplify && n > len &&
	    !rate_allow(l->w->srv->rates, svc, from, sk_loop_now(l->w->loop))) {
		log_datagram(l, from, namelen, len, 0, " (over the per-source budget)");
		return;
	}
	log_datagram(l, from, namelen, len, n > cap ? cap : n, "");
	int o = (*nout)++;
	b->iov_out[o] = (struct iovec){ b->data_out[o], n > cap ? cap : n };
	b->out[o].msg_hdr = (struct msghdr){
		.msg_name = &b->from[i], .msg_namelen = namelen,
		.msg_iov = &b->iov_out[o], .msg_iovlen = 1,
	};
}

/* Send the replies; a reply the socket cannot take now is dropped, as UDP
 * allows, rather than stalling every other client. */
static void send_replies(int fd, struct dgram_batch *b, int nout)
{
	int sent = 0;

	while (sent < nout) {
		int n = sendmmsg(fd, b->out + sent, (unsigned)(nout - sent), MSG_DONTWAIT);
		if (n > 0)
			sent += n;
		else if (n < 0 && errno == EINTR)
			continue;
		else
			sent++;     /* skip the one that failed (e.g. unreachable) */
	}
}

void dgram_on_readable(struct sk_loop *loop, int fd, int events, void *data)
{
	struct listener *l = data;
	struct dgram_batch *b = get_batch(l->w);
	(void)loop; (void)events;

	if (!b) {
		sk_log(SK_LOG_ERROR, "%s: out of memory for datagram buffers", l->name);
		return;
	}
	for (int round = 0; round < BATCHES_PER_WAKEUP; round++) {
		prepare_recv(b);
		int n = recvmmsg(fd, b->in, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;    /* EAGAIN: drained; other errors: try next wakeup */
		int nout = 0;
		for (int i = 0; i < n; i++)
			answer(l, b, i, &nout);
		send_replies(fd, b, nout);
		if (n < BATCH)
			return;
	}
}
