/* serve/dgram.c — datagram services: drain the socket in batches with
 * recvmmsg, answer with one sendmmsg, never reply larger than the request
 * unless the service may amplify, and then within a per-source budget. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "serve/peer_table.h"
#include "serve/server_int.h"
#include "sockit/log.h"

#define BATCH 32               /* datagrams per recvmmsg */
#define BATCHES_PER_WAKEUP 8   /* then let other fds run */
#define DGRAM_MAX 65536

/* Replies a source may get per second from an amplifying service, with a
 * burst; sources hash into a fixed table (a collision only shares a
 * budget, it never lets anyone exceed the rate). */
#define RATE_PER_SEC 20
#define RATE_BURST 40
#define RATE_SLOTS 4096

struct dgram_batch {
	struct mmsghdr in[BATCH], out[BATCH];
	struct iovec iov_in[BATCH], iov_out[BATCH];
	struct sockaddr_storage from[BATCH];
	char data_in[BATCH][DGRAM_MAX];
	char data_out[BATCH][DGRAM_MAX];
};

struct rate_slot {
	unsigned char key[16];
	size_t keylen;
	double tokens;
	uint64_t last_ms;
};

struct rate_table {
	struct rate_slot slot[RATE_SLOTS];
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
	free(w->rates);
	w->batch = NULL;
	w->rates = NULL;
}

/* Whether src may get one more amplified reply now (token bucket). */
static bool rate_allow(struct worker *w, const struct sockaddr *src, uint64_t now)
{
	unsigned char key[16];
	size_t n = peer_key(src, key);

	if (n == 0)
		return true;    /* UNIX: local, cannot be spoofed */
	if (!w->rates && !(w->rates = calloc(1, sizeof *w->rates)))
		return false;
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ key[i]) * 16777619u;
	struct rate_slot *s = &w->rates->slot[h % RATE_SLOTS];
	if (s->keylen != n || memcmp(s->key, key, n) != 0) {
		memcpy(s->key, key, n);
		s->keylen = n;
		s->tokens = RATE_BURST;
		s->last_ms = now;
	}
	s->tokens += (double)(now - s->last_ms) * RATE_PER_SEC / 1000.0;
	if (s->tokens > RATE_BURST)
		s->tokens = RATE_BURST;
	s->last_ms = now;
	if (s->tokens < 1)
		return false;
	s->tokens -= 1;
	return true;
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
	if (n == 0)
		return;
	if (svc->dgram_may_amplify && n > len &&
	    !rate_allow(l->w, (struct sockaddr *)&b->from[i], sk_loop_now(l->w->loop)))
		return;
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
	(void)loop, (void)events;

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
