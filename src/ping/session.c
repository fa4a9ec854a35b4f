/* session.c — one ping run: resolve the targets, pace each one on the
 * event loop, match answers to probes, decide when it is over. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ping/session.h"
#include "ping/socket.h"
#include "scan/targets.h"
#include "sockit/endpoint.h"
#include "sockit/error.h"

/* iputils: with nothing in flight a flood sends at once, else every 10 ms. */
#define FLOOD_MIN_NS 10000000u
#define NS_PER_US    1000u

static uint64_t ms_until(uint64_t due_ns, uint64_t now_ns)
{
	return due_ns > now_ns ? (due_ns - now_ns + 999999) / 1000000 : 0;
}

/* ---- targets ---- */

static void target_init(struct ping_session *s, struct ping_target *t, const char *name,
                        const struct sockaddr *sa, socklen_t salen)
{
	memset(t, 0, sizeof *t);
	t->s = s;
	t->fd = -1;
	snprintf(t->name, sizeof t->name, "%s", name);
	memcpy(&t->sa, sa, salen);
	t->salen = salen;
	t->family = sa->sa_family;
	const void *a = t->family == AF_INET6
	                    ? (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr
	                    : (const void *)&((const struct sockaddr_in *)sa)->sin_addr;
	inet_ntop(t->family, a, t->addr, sizeof t->addr);
	t->by_name = strcmp(t->addr, name) != 0;
	t->next_seq = 1;
	t->st.tmin = INT64_MAX;
	for (size_t i = 0; i < PING_RING; i++)
		t->ring[i].fd = -1, t->ring[i].t = t;
}

/* A target found, before the targets (50 KiB each, with their rings) are
 * allocated for exactly as many. */
struct pending {
	char name[256];
	struct sockaddr_storage sa;
	socklen_t salen;
};

static void pending_add(struct pending *p, size_t *n, const char *name,
                        const struct sockaddr *sa, socklen_t salen)
{
	struct pending *e = &p[(*n)++];
	snprintf(e->name, sizeof e->name, "%s", name);
	memcpy(&e->sa, sa, salen);
	e->salen = salen;
}

/* A CIDR block: every address in it, through the scanner's parser. */
static int add_block(struct pending *pend, const char *text, int family, size_t *n)
{
	struct target_list tl = {0};
	char err[SK_ERRLEN];

	if (targets_add(&tl, text, family, err, sizeof err) != TARGET_OK) {
		fprintf(stderr, "sockit ping: %s\n", err);
		targets_free(&tl);
		return -1;
	}
	for (size_t i = 0; i < tl.count; i++) {
		if (*n >= PING_MAX_TARGETS) {
			fprintf(stderr, "sockit ping: more than %d targets\n",
			        PING_MAX_TARGETS);
			targets_free(&tl);
			return -1;
		}
		struct sockaddr_storage ss;
		char name[INET6_ADDRSTRLEN + 16];
		socklen_t len = host_sockaddr(&tl.hosts[i], 0, &ss);
		host_format(&tl.hosts[i], name, sizeof name);
		pending_add(pend, n, name, (struct sockaddr *)&ss, len);
	}
	targets_free(&tl);
	return 0;
}

/* A name or an address: its first address of the wanted family. */
static int add_host(struct pending *pend, const char *text, int family, size_t *n)
{
	struct addrinfo hints = {.ai_family = family, .ai_socktype = SOCK_DGRAM}, *res;
	char host[SK_HOSTLEN];
	size_t len = strlen(text);

	/* [::1] as in endpoints */
	if (len > 2 && len < sizeof host && text[0] == '[' && text[len - 1] == ']')
		snprintf(host, sizeof host, "%.*s", (int)len - 2, text + 1);
	else
		snprintf(host, sizeof host, "%s", text);
	int rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0) {
		fprintf(stderr, "sockit ping: %s: %s\n", text, gai_strerror(rc));
		return -1;
	}
	if (*n >= PING_MAX_TARGETS) {
		freeaddrinfo(res);
		fprintf(stderr, "sockit ping: more than %d targets\n", PING_MAX_TARGETS);
		return -1;
	}
	pending_add(pend, n, host, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

static int resolve_targets(struct ping_session *s)
{
	struct pending *pend = calloc(PING_MAX_TARGETS, sizeof *pend);
	size_t n = 0;
	int rc = 0;

	if (!pend) {
		fprintf(stderr, "sockit: out of memory\n");
		return -1;
	}
	for (int i = 0; i < s->o->nhosts && rc == 0; i++) {
		const char *h = s->o->hosts[i];
		rc = strchr(h, '/') ? add_block(pend, h, s->o->family, &n)
		                    : add_host(pend, h, s->o->family, &n);
	}
	if (rc == 0 && n && !(s->targets = calloc(n, sizeof *s->targets))) {
		fprintf(stderr, "sockit: out of memory\n");
		rc = -1;
	}
	if (rc == 0) {
		for (size_t i = 0; i < n; i++)
			target_init(s, &s->targets[i], pend[i].name,
			            (struct sockaddr *)&pend[i].sa, pend[i].salen);
		s->ntargets = n;
		s->multi = n > 1;
	}
	free(pend);
	return rc;
}

/* As iputils does before it sends: a UDP connect (through -I's device)
 * finds whether a route exists and the source address it would use, with
 * no packet sent.  0, or -1 with the reason printed. */
static int check_route(struct ping_target *t)
{
	struct sockaddr_storage ss = t->sa, src;
	socklen_t slen = sizeof src;
	const char *dev = t->s->o->iface;
	int fd = socket(t->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return 0;
	if (dev && !strchr(dev, '.') && !strchr(dev, ':'))
		setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev,
		           (socklen_t)strlen(dev) + 1);
	((struct sockaddr_in *)&ss)->sin_port = htons(1025);
	int rc = connect(fd, (struct sockaddr *)&ss, t->salen);
	int e = errno;
	if (rc == 0 && getsockname(fd, (struct sockaddr *)&src, &slen) == 0) {
		const void *a =
		    t->family == AF_INET6
		        ? (const void *)&((struct sockaddr_in6 *)&src)->sin6_addr
		        : (const void *)&((struct sockaddr_in *)&src)->sin_addr;
		inet_ntop(t->family, a, t->src, sizeof t->src);
	}
	close(fd);
	if (rc == 0)
		return 0;
	fprintf(stderr, "sockit: connect %s: %s\n", t->addr, strerror(e));
	return -1;
}

struct ping_target *session_find(struct ping_session *s, const struct sockaddr *sa)
{
	for (size_t i = 0; i < s->ntargets; i++) {
		struct ping_target *t = &s->targets[i];
		if (t->family != sa->sa_family)
			continue;
		if (sa->sa_family == AF_INET6
		        ? memcmp(&((const struct sockaddr_in6 *)sa)->sin6_addr,
		                 &((struct sockaddr_in6 *)&t->sa)->sin6_addr, 16) == 0
		        : ((const struct sockaddr_in *)sa)->sin_addr.s_addr ==
		              ((struct sockaddr_in *)&t->sa)->sin_addr.s_addr)
			return t;
	}
	return NULL;
}

struct ping_probe *session_probe(struct ping_target *t, uint16_t seq)
{
	struct ping_probe *p = &t->ring[seq % PING_RING];
	return p->state != PROBE_FREE && p->seq == seq ? p : NULL;
}

/* ---- the end ---- */

static void drop_probe(struct ping_session *s, struct ping_probe *p, bool report)
{
	if (p->state == PROBE_OUT) {
		p->state = PROBE_LOST;
		if (report)
			pout_timeout(s, p->t, p->seq);
	}
	if (s->tr->drop)
		s->tr->drop(p);
}

static void target_finish(struct ping_target *t)
{
	struct ping_session *s = t->s;

	if (t->done)
		return;
	t->done = true;
	sk_timer_stop(s->loop, &t->timer);
	for (size_t i = 0; i < PING_RING; i++)
		drop_probe(s, &t->ring[i], true);
	if (++s->ndone == s->ntargets)
		sk_loop_stop(s->loop);
}

/* iputils' rule: -c replies (or errors) seen ends a target early; with
 * -w, so does an error. */
static void check_done(struct ping_target *t)
{
	const struct ping_opts *o = t->s->o;
	const struct ping_stats *st = &t->st;

	if (o->count && st->received + st->errors >= (uint64_t)o->count)
		target_finish(t);
	else if (o->deadline_us && st->errors)
		target_finish(t);
}

/* Give up probes older than -W (JSON says so; --tcp frees the socket). */
static void expire(struct ping_target *t, uint64_t now)
{
	struct ping_session *s = t->s;
	uint64_t limit = s->o->timeout_us * NS_PER_US;

	for (size_t i = 0; i < PING_RING; i++) {
		struct ping_probe *p = &t->ring[i];
		if (p->state == PROBE_OUT && now - p->sent_mono_ns >= limit)
			drop_probe(s, p, true);
	}
}

/* ---- sending ---- */

static void on_timer(struct sk_loop *loop, struct sk_timer *tm);

static uint64_t outstanding(const struct ping_target *t)
{
	uint64_t answered = t->st.received + t->st.errors;
	return t->st.transmitted > answered ? t->st.transmitted - answered : 0;
}

/* After the last probe: wait two of the longest RTTs (at least one
 * interval) when replies came, else -W, as iputils does. */
static void start_linger(struct ping_target *t, uint64_t now)
{
	struct ping_session *s = t->s;
	uint64_t wait_us = s->o->timeout_us;

	t->sending_done = true;
	if (t->st.received) {
		wait_us = 2 * (uint64_t)t->st.tmax;
		if (wait_us < s->o->interval_us)
			wait_us = s->o->interval_us;
	}
	t->next_send_ns = t->last_send_ns + wait_us * NS_PER_US;
	sk_timer_start(s->loop, &t->timer, ms_until(t->next_send_ns, now), on_timer, t);
}

static bool count_reached(const struct ping_target *t)
{
	const struct ping_opts *o = t->s->o;
	if (!o->count)
		return false;
	/* With -w iputils goes on sending until -c replies came. */
	if (o->deadline_us)
		return t->st.received >= (uint64_t)o->count;
	return t->st.transmitted >= (uint64_t)o->count;
}

static void send_one(struct ping_target *t, uint64_t now)
{
	struct ping_session *s = t->s;
	uint16_t seq = t->next_seq;
	struct ping_probe *p = &t->ring[seq % PING_RING];

	if (s->o->outstanding && t->st.transmitted &&
	    !t->ring[(uint16_t)(seq - 1) % PING_RING].replied)
		pout_outstanding(s, t, (uint16_t)(seq - 1));
	drop_probe(s, p, true); /* the slot's old probe is past hope */
	p->seq = seq;
	p->state = PROBE_OUT;
	p->replied = false;
	p->sent_mono_ns = now;
	p->sent_ns = ping_realtime_ns();
	if (!t->st.transmitted)
		t->first_send_ns = now;
	int rc = s->tr->send(t, p);
	if (rc < 0 && (errno == EAGAIN || errno == ENOBUFS)) {
		p->state = PROBE_FREE; /* not sent: try again shortly */
		return;
	}
	t->next_seq++;
	t->st.transmitted++;
	t->last_send_ns = now;
	if (rc < 0) {
		p->state = PROBE_LOST;
		pout_send_error(s, t, errno);
	} else {
		pout_sent(s);
	}
}

/* Send what is due for t and arm its timer for the next one. */
static void pace(struct ping_target *t, uint64_t now)
{
	struct ping_session *s = t->s;
	uint64_t interval = s->o->interval_us * NS_PER_US;

	if (t->done || s->stopping)
		return;
	if (count_reached(t))
		return start_linger(t, now);
	if (interval == 0) {
		/* flood: at once when nothing is in flight, else after 10 ms */
		if (outstanding(t) && t->st.transmitted &&
		    now - t->last_send_ns < FLOOD_MIN_NS) {
			sk_timer_start(s->loop, &t->timer,
			               ms_until(t->last_send_ns + FLOOD_MIN_NS, now),
			               on_timer, t);
			return;
		}
		send_one(t, now);
		t->next_send_ns = now + FLOOD_MIN_NS;
	} else {
		if (now < t->next_send_ns) {
			sk_timer_start(s->loop, &t->timer, ms_until(t->next_send_ns, now),
			               on_timer, t);
			return;
		}
		send_one(t, now);
		t->next_send_ns = (t->next_send_ns ? t->next_send_ns : now) + interval;
		if (t->next_send_ns < now)
			t->next_send_ns = now; /* fell behind: no burst to catch up */
	}
	if (count_reached(t))
		return start_linger(t, now);
	sk_timer_start(s->loop, &t->timer, ms_until(t->next_send_ns, now), on_timer, t);
}

static void on_timer(struct sk_loop *loop, struct sk_timer *tm)
{
	struct ping_target *t = tm->data;
	uint64_t now = sk_now_ns();

	(void)loop;
	expire(t, now);
	if (t->sending_done) {
		if (now + 1000000 >= t->next_send_ns)
			target_finish(t);
		else
			sk_timer_start(t->s->loop, &t->timer,
			               ms_until(t->next_send_ns, now), on_timer, t);
	} else {
		pace(t, now);
	}
	if (t->s->flood)
		fflush(t->s->out);
}

/* ---- answers ---- */

static void add_rtt(struct ping_stats *st, int64_t us)
{
	st->timed = true;
	st->tsum += us;
	st->tsum2 += (double)us * (double)us;
	if (us < st->tmin)
		st->tmin = us;
	if (us > st->tmax)
		st->tmax = us;
	st->ewma8 = st->ewma8 ? st->ewma8 + (long)us - st->ewma8 / 8 : (long)us * 8;
}

static bool timed(const struct ping_session *s)
{
	/* iputils times replies only when the payload holds its stamp. */
	return s->o->mode != PING_ICMP || s->o->size >= 16;
}

void session_answer(struct ping_probe *p, uint64_t stamp_ns, struct ping_reply *r)
{
	struct ping_target *t = p->t;
	struct ping_session *s = t->s;

	if (t->done)
		return;
	if (!stamp_ns)
		stamp_ns = ping_realtime_ns();
	r->seq = p->seq;
	r->rtt_us = -1;
	if (timed(s)) {
		/* A clock step back makes no negative time. */
		r->rtt_us =
		    stamp_ns > p->sent_ns ? (int64_t)((stamp_ns - p->sent_ns) / 1000) : 0;
		if (!r->bad_checksum)
			add_rtt(&t->st, r->rtt_us);
	}
	r->dup = p->replied;
	r->late = p->state == PROBE_LOST;
	if (r->bad_checksum) {
		t->st.corrupted++;
	} else if (p->replied) {
		t->st.repeats++;
	} else {
		t->st.received++;
		p->replied = true;
		uint16_t diff = (uint16_t)((uint16_t)(t->next_seq - 1) - p->seq);
		if (diff <= 0x7fff && (long)diff + 1 > t->st.pipe)
			t->st.pipe = (long)diff + 1;
		if (p->state == PROBE_OUT)
			p->state = PROBE_ANSWERED;
		if (s->tr->drop)
			s->tr->drop(p);
	}
	pout_reply(s, t, r);
	check_done(t);
	/* A flood sends the next probe as soon as the last one is answered. */
	if (!t->done && s->o->interval_us == 0 && !t->sending_done && outstanding(t) == 0)
		pace(t, sk_now_ns());
}

void session_error(struct ping_probe *p, const char *from, const char *text)
{
	struct ping_target *t = p->t;

	if (t->done || p->replied || p->state == PROBE_FAILED)
		return;
	p->state = PROBE_FAILED;
	t->st.errors++;
	if (t->s->tr->drop)
		t->s->tr->drop(p);
	pout_error(t->s, t, p->seq, from, text);
	check_done(t);
}

/* ---- the run ---- */

static void on_deadline(struct sk_loop *loop, struct sk_timer *tm)
{
	(void)tm;
	sk_loop_stop(loop);
}

static void on_signal(struct sk_loop *loop, int signo, void *data)
{
	struct ping_session *s = data;

	if (signo == SIGQUIT) {
		fflush(s->out);
		pout_status(s);
		return;
	}
	s->stopping = true;
	sk_loop_stop(loop);
}

static int start(struct ping_session *s)
{
	char err[SK_ERRLEN];
	int usable = 0;

	if (s->tr->open(s, err, sizeof err) < 0) {
		fprintf(stderr, "sockit: %s\n", err);
		return -1;
	}
	for (size_t i = 0; i < s->ntargets; i++) {
		struct ping_target *t = &s->targets[i];
		if (check_route(t) < 0) {
			s->setup_error = true;
			t->done = true;
			s->ndone++;
			continue;
		}
		usable++;
	}
	if (!usable)
		return -1;
	for (size_t i = 0; i < s->ntargets; i++)
		if (!s->targets[i].done)
			pout_header(s, &s->targets[i]);
	s->start_ns = sk_now_ns();
	for (size_t i = 0; i < s->ntargets; i++)
		if (!s->targets[i].done)
			pace(&s->targets[i], s->start_ns);
	if (s->o->flood)
		fflush(s->out);
	return 0;
}

static int exit_status(const struct ping_session *s)
{
	uint64_t received = 0;

	for (size_t i = 0; i < s->ntargets; i++)
		received += s->targets[i].st.received;
	if (!received)
		return s->setup_error && !s->multi ? 2 : 1;
	/* iputils: a deadline that came before -c replies is a failure. */
	if (!s->multi && s->o->deadline_us && s->o->count &&
	    s->targets[0].st.received < (uint64_t)s->o->count)
		return 1;
	return 0;
}

static void cleanup(struct ping_session *s)
{
	if (s->targets)
		for (size_t i = 0; i < s->ntargets; i++)
			for (size_t j = 0; j < PING_RING; j++)
				if (s->tr->drop)
					s->tr->drop(&s->targets[i].ring[j]);
	if (s->tr && s->tr->close)
		s->tr->close(s);
	free(s->targets);
	free(s->pkt);
	if (s->loop)
		sk_loop_free(s->loop);
}

int ping_session_run(const struct ping_opts *o)
{
	struct ping_session s = {.o = o,
	                         .out = stdout,
	                         .flood = o->flood,
	                         .sock4 = {.fd = -1},
	                         .sock6 = {.fd = -1}};
	int rc = 2;

	s.tr = o->mode == PING_TCP   ? &ping_tcp_transport
	       : o->mode == PING_UDP ? &ping_udp_transport
	                             : &ping_icmp_transport;
	s.pkt = malloc(PING_PKT_MAX);
	s.loop = sk_loop_new(64);
	if (!s.pkt || !s.loop) {
		fprintf(stderr, "sockit: out of memory\n");
		goto out;
	}
	if (resolve_targets(&s) < 0)
		goto out;
	sk_loop_on_signal(s.loop, SIGINT, on_signal, &s);
	sk_loop_on_signal(s.loop, SIGQUIT, on_signal, &s);
	if (start(&s) < 0)
		goto out;
	if (o->deadline_us)
		sk_timer_start(s.loop, &s.deadline, (o->deadline_us + 999) / 1000,
		               on_deadline, &s);
	if (s.ndone < s.ntargets)
		sk_loop_run(s.loop);
	for (size_t i = 0; i < s.ntargets; i++)
		if (s.targets[i].st.transmitted)
			for (size_t j = 0; j < PING_RING; j++)
				drop_probe(&s, &s.targets[i].ring[j], !s.targets[i].done);
	pout_summary(&s);
	rc = exit_status(&s);
out:
	cleanup(&s);
	return rc;
}
