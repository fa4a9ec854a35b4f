/* chat.c — sockit bench's chat mode: N IRC clients register and join one
 * channel, S of them send PRIVMSG lines as fast as a window allows, and
 * every delivery is checked (right sender, in order per sender) and timed.
 *
 * One epoll loop in one thread, level-triggered, like client.c: the load
 * generator must cost less per delivery than the server it measures.
 * Works against any IRC server (sockit serve chat, ngircd) whose flood
 * control is off. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "bench/bench.h"
#include "cli/cli.h"
#include "cli/json.h"

#define RBUF        (64 * 1024)      /* per client; IRC lines are <= 512 */
#define OBUF        (16 * 1024)      /* per sender */
#define SETUP_NS    (60 * 1000000000ull)
#define NICK_MAX    32

enum chat_state { CS_REG, CS_JOIN, CS_READY, CS_DEAD };

enum chat_err { CE_LOST, CE_ORDER, CE_SENDER, CE_PROTOCOL, CE_IO, CE_KINDS };

static const char *const cerr_names[CE_KINDS] = {
	"lost", "order", "sender", "protocol", "io",
};

struct chat_client {
	int fd;
	enum chat_state state;
	bool want_out;               /* EPOLLOUT armed */
	char *rbuf;
	size_t rlen;
	char *obuf;                  /* senders only */
	size_t olen, ooff;
	uint64_t *next;              /* next seq expected from each sender */
	char nick[NICK_MAX];         /* formatted once: checked per delivery */
	size_t nick_len;
};

struct chat_run {
	const struct bench_config *cfg;
	const struct chat_opts *o;
	struct chat_client *cl;
	int epfd;
	uint64_t t0;                 /* timestamps in lines are ns since t0 */
	uint64_t measure_ns;         /* deliveries count from here */
	bool measuring;
	uint64_t *sent;              /* per sender */
	uint64_t deliveries, delivered_total;
	uint64_t errors[CE_KINDS];
	char first_error[400];
	struct histogram hist;
	size_t chan_len;
};

/* Count one error; the first one's text is kept for the report. */
static void chat_error(struct chat_run *r, enum chat_err kind, uint64_t n,
                       const char *fmt, ...)
{
	va_list ap;

	r->errors[kind] += n;
	if (r->first_error[0])
		return;
	va_start(ap, fmt);
	vsnprintf(r->first_error, sizeof r->first_error, fmt, ap);
	va_end(ap);
}

static void nick_of(const struct chat_run *r, unsigned i, char *buf, size_t len)
{
	snprintf(buf, len, "%s", r->cl[i].nick);
}

/* Write all of d (setup lines are short; blocking is fine there). */
static int write_all(int fd, const char *d, size_t n)
{
	while (n) {
		ssize_t k = send(fd, d, n, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == EAGAIN) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };
			poll(&p, 1, 100);
			continue;
		}
		if (k <= 0)
			return -1;
		d += k;
		n -= (size_t)k;
	}
	return 0;
}

static void client_dead(struct chat_run *r, unsigned i, const char *why, int err)
{
	struct chat_client *c = &r->cl[i];
	char nick[NICK_MAX];

	if (c->state == CS_DEAD)
		return;
	nick_of(r, i, nick, sizeof nick);
	if (err)
		chat_error(r, CE_IO, 1, "%s: %s: %s", nick, why, strerror(err));
	else
		chat_error(r, CE_IO, 1, "%s: %s", nick, why);
	close(c->fd);
	c->fd = -1;
	c->state = CS_DEAD;
}

/* The word after the prefix of an IRC line (the command or numeric). */
static const char *command_of(const char *l, size_t *len)
{
	if (*l == ':') {
		l = strchr(l, ' ');
		if (!l)
			return NULL;
		l++;
	}
	const char *e = strchr(l, ' ');
	*len = e ? (size_t)(e - l) : strlen(l);
	return l;
}

/* A setup line: 001 ends registration, 366 the JOIN; an error numeric
 * or ERROR ends the client (and the run). */
static void setup_line(struct chat_run *r, unsigned i, const char *l, size_t cl,
                       const char *cmd)
{
	struct chat_client *c = &r->cl[i];
	char line[128];

	if (cl == 3 && memcmp(cmd, "001", 3) == 0 && c->state == CS_REG) {
		int n = snprintf(line, sizeof line, "JOIN %s\r\n", r->o->channel);
		if (write_all(c->fd, line, (size_t)n) < 0)
			client_dead(r, i, "send JOIN", errno);
		else
			c->state = CS_JOIN;
	} else if (cl == 3 && memcmp(cmd, "366", 3) == 0 && c->state == CS_JOIN) {
		c->state = CS_READY;
	} else if ((cl == 3 && (cmd[0] == '4' || cmd[0] == '5') &&
	            memcmp(cmd, "422", 3) != 0) ||      /* 422: no MOTD, fine */
	           (cl == 5 && memcmp(cmd, "ERROR", 5) == 0)) {
		char why[160];
		snprintf(why, sizeof why, "server said '%.120s'", l);
		client_dead(r, i, why, 0);
	}
}

/* A delivery: ":nick!u@h PRIVMSG #c :S SEQ T pad".  Checks that nick is
 * sender S and that SEQ is the next one expected from S. */
static void delivery(struct chat_run *r, unsigned i, const char *l, const char *text)
{
	struct chat_client *c = &r->cl[i];
	char *e;
	const char *me = c->nick;
	unsigned long s = strtoul(text, &e, 10);
	unsigned long long seq = strtoull(e, &e, 10);
	unsigned long long ts = strtoull(e, &e, 10);

	if (s >= r->o->senders || *e != ' ' || s == i) {
		chat_error(r, CE_PROTOCOL, 1, "%s got a line not sent by bench: '%.100s'", me, l);
		return;
	}
	const char *nick = r->cl[s].nick;
	size_t nl = r->cl[s].nick_len;
	if (strncmp(l + 1, nick, nl) != 0 || (l[1 + nl] != '!' && l[1 + nl] != ' '))
		chat_error(r, CE_SENDER, 1, "%s got %s's message %llu from '%.40s'",
		           me, nick, seq, l);
	if (seq > c->next[s])
		chat_error(r, CE_LOST, seq - c->next[s], "%s got message %llu of %s, "
		           "expected %llu: %llu lost", me, seq, nick,
		           (unsigned long long)c->next[s], seq - c->next[s]);
	else if (seq < c->next[s])
		chat_error(r, CE_ORDER, 1, "%s got message %llu of %s again or out of "
		           "order (expected %llu)", me, seq, nick,
		           (unsigned long long)c->next[s]);
	if (seq >= c->next[s])
		c->next[s] = seq + 1;
	r->delivered_total++;
	if (!r->measuring)
		return;
	uint64_t now = (bench_now() - r->t0) / 1000;
	r->deliveries++;
	hist_record(&r->hist, now > ts ? (now - ts) * 1000 : 0);
}

/* One whole line (without CR LF) read by client i. */
static void on_line(struct chat_run *r, unsigned i, char *l)
{
	struct chat_client *c = &r->cl[i];
	size_t cl;
	const char *cmd = command_of(l, &cl);

	if (!cmd)
		return;
	if (cl == 4 && memcmp(cmd, "PING", 4) == 0) {
		char pong[600];
		int n = snprintf(pong, sizeof pong, "PONG%s\r\n", cmd + 4);
		if (write_all(c->fd, pong, (size_t)n) < 0)
			client_dead(r, i, "send PONG", errno);
		return;
	}
	if (c->state != CS_READY) {
		setup_line(r, i, l, cl, cmd);
		return;
	}
	if (cl == 7 && memcmp(cmd, "PRIVMSG", 7) == 0) {
		const char *ch = cmd + 8;
		if (strncmp(ch, r->o->channel, r->chan_len) == 0 &&
		    strncmp(ch + r->chan_len, " :", 2) == 0)
			delivery(r, i, l, ch + r->chan_len + 2);
	} else if (cl == 5 && memcmp(cmd, "ERROR", 5) == 0) {
		char why[160];
		snprintf(why, sizeof why, "server said '%.120s'", l);
		client_dead(r, i, why, 0);
	}
}

/* Read what client i has (a few rounds at most, so one busy client cannot
 * starve the others) and handle each whole line. */
static void client_read(struct chat_run *r, unsigned i)
{
	struct chat_client *c = &r->cl[i];

	for (int round = 0; round < 4 && c->state != CS_DEAD; round++) {
		ssize_t k = recv(c->fd, c->rbuf + c->rlen, RBUF - 1 - c->rlen, MSG_DONTWAIT);
		if (k < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (k <= 0) {
			client_dead(r, i, k == 0 ? "the server closed the connection" : "recv",
			            k == 0 ? 0 : errno);
			return;
		}
		c->rlen += (size_t)k;
		char *s = c->rbuf, *end = c->rbuf + c->rlen, *nl;
		while (c->state != CS_DEAD && (nl = memchr(s, '\n', (size_t)(end - s)))) {
			*nl = '\0';
			if (nl > s && nl[-1] == '\r')
				nl[-1] = '\0';
			on_line(r, i, s);
			s = nl + 1;
		}
		if (c->state == CS_DEAD)
			return;
		c->rlen = (size_t)(end - s);
		memmove(c->rbuf, s, c->rlen);
		if (c->rlen >= RBUF - 1) {
			client_dead(r, i, "a line longer than 64 KiB", 0);
			return;
		}
	}
}

static void watch_out(struct chat_run *r, unsigned i, bool on)
{
	struct chat_client *c = &r->cl[i];
	struct epoll_event ev = { .events = EPOLLIN | (on ? EPOLLOUT : 0), .data.u32 = i };

	if (c->want_out == on || c->state == CS_DEAD)
		return;
	c->want_out = on;
	epoll_ctl(r->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Sender s: append lines while its window allows (the first receiver,
 * client S, has seen all but window of them), then write what it can. */
static void sender_push(struct chat_run *r, unsigned s, bool fill)
{
	struct chat_client *c = &r->cl[s];
	const struct chat_client *first = &r->cl[r->o->senders];
	size_t size = r->cfg->size;

	if (c->state == CS_DEAD)
		return;
	if (c->ooff == c->olen)
		c->ooff = c->olen = 0;
	while (fill && c->olen + size <= OBUF &&
	       r->sent[s] - first->next[s] < r->o->window) {
		char *p = c->obuf + c->olen;
		int k = snprintf(p, OBUF - c->olen, "PRIVMSG %s :%u %llu %llu ",
		                 r->o->channel, s, (unsigned long long)r->sent[s],
		                 (unsigned long long)((bench_now() - r->t0) / 1000));
		if (k < 0 || (size_t)k + 2 > size)
			break;               /* size was checked; cannot happen */
		memset(p + k, 'x', size - 2 - (size_t)k);
		p[size - 2] = '\r';
		p[size - 1] = '\n';
		c->olen += size;
		r->sent[s]++;
	}
	while (c->ooff < c->olen) {
		ssize_t k = send(c->fd, c->obuf + c->ooff, c->olen - c->ooff,
		                 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == EAGAIN)
			break;
		if (k <= 0) {
			client_dead(r, s, "send", errno);
			return;
		}
		c->ooff += (size_t)k;
	}
	watch_out(r, s, c->ooff < c->olen);
}

/* Messages sent but not (yet) delivered to a live member. */
static uint64_t missing(const struct chat_run *r)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < r->cfg->connections; i++) {
		if (r->cl[i].state == CS_DEAD)
			continue;
		for (unsigned s = 0; s < r->o->senders; s++)
			if (s != i)
				n += r->sent[s] - r->cl[i].next[s];
	}
	return n;
}

static bool any_dead(const struct chat_run *r)
{
	return r->errors[CE_IO] > 0;
}

/* One turn of the loop: wait up to ms, read and write what is ready. */
static void loop_once(struct chat_run *r, int ms, bool send)
{
	struct epoll_event evs[256];
	int n = epoll_wait(r->epfd, evs, 256, ms);

	for (int k = 0; k < n; k++) {
		unsigned i = evs[k].data.u32;
		if (r->cl[i].state == CS_DEAD)
			continue;
		if (evs[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			client_read(r, i);
		if ((evs[k].events & EPOLLOUT) && i < r->o->senders)
			sender_push(r, i, false);
	}
	if (send)
		for (unsigned s = 0; s < r->o->senders; s++)
			sender_push(r, s, true);
}

/* Connect every client, send NICK/USER, and run the loop until all of
 * them joined the channel. */
static int setup(struct chat_run *r)
{
	unsigned n = r->cfg->connections;
	char line[160], nick[NICK_MAX];
	int one = 1;

	for (unsigned i = 0; i < n; i++) {
		struct chat_client *c = &r->cl[i];
		c->fd = socket(r->cfg->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c->fd < 0 || connect(c->fd, (const struct sockaddr *)&r->cfg->addr,
		                         r->cfg->addrlen) < 0) {
			snprintf(r->first_error, sizeof r->first_error,
			         "connect %s (client %u): %s", r->cfg->target, i + 1, strerror(errno));
			return -1;
		}
		if (r->cfg->addr.ss_family != AF_UNIX)
			setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };
		epoll_ctl(r->epfd, EPOLL_CTL_ADD, c->fd, &ev);
		nick_of(r, i, nick, sizeof nick);
		int k = snprintf(line, sizeof line, "NICK %s\r\nUSER %s 0 * :sockit bench\r\n",
		                 nick, nick);
		if (write_all(c->fd, line, (size_t)k) < 0) {
			snprintf(r->first_error, sizeof r->first_error, "%s: send: %s", nick,
			         strerror(errno));
			return -1;
		}
		loop_once(r, 0, false);      /* answer early 001s as they come */
	}
	uint64_t until = bench_now() + SETUP_NS;
	for (;;) {
		unsigned ready = 0;
		for (unsigned i = 0; i < n; i++)
			ready += r->cl[i].state == CS_READY;
		if (ready == n)
			return 0;
		if (any_dead(r))
			return -1;
		if (bench_now() > until || atomic_load(r->cfg->interrupted)) {
			snprintf(r->first_error, sizeof r->first_error, "%u of %u clients "
			         "registered and joined %s within 60 s", ready, n, r->o->channel);
			return -1;
		}
		loop_once(r, 10, false);
	}
}

/* Send for the duration (after the warmup), then wait up to --timeout for
 * every delivery of what was sent.  Returns the measured seconds. */
static double measure(struct chat_run *r)
{
	const struct bench_config *cfg = r->cfg;
	uint64_t start = bench_now(), next_report = start + 1000000000ull, last = 0;
	r->measure_ns = start + (uint64_t)(cfg->warmup_s * 1e9);
	uint64_t stop = r->measure_ns + (uint64_t)(cfg->duration_s * 1e9), now;
	unsigned sec = 0;

	while ((now = bench_now()) < stop && !atomic_load(cfg->interrupted) && !any_dead(r)) {
		if (!r->measuring && now >= r->measure_ns)
			r->measuring = true;
		loop_once(r, 10, true);
		if (!cfg->quiet && now >= next_report) {
			fprintf(stderr, "bench: %3us %10llu deliveries/s %8llu errors%s\n", ++sec,
			        (unsigned long long)(r->delivered_total - last),
			        (unsigned long long)(r->errors[CE_LOST] + r->errors[CE_ORDER] +
			        r->errors[CE_SENDER] + r->errors[CE_PROTOCOL] + r->errors[CE_IO]),
			        now < r->measure_ns ? " (warmup)" : "");
			last = r->delivered_total;
			next_report += 1000000000ull;
		}
	}
	double secs = now > r->measure_ns ? (double)(now - r->measure_ns) / 1e9 : 0;
	r->measuring = false;        /* late deliveries are checked, not counted */
	uint64_t until = bench_now() + cfg->timeout_ms * 1000000ull;
	/* An interrupted run is drained too (bounded): what was sent is checked. */
	while (missing(r) && bench_now() < until)
		loop_once(r, 10, false);
	uint64_t m = missing(r);
	if (m)
		chat_error(r, CE_LOST, m, "%llu deliveries missing %llu ms after the run "
		           "(the server lost them or is that far behind)",
		           (unsigned long long)m, (unsigned long long)cfg->timeout_ms);
	return secs;
}

static uint64_t chat_errors(const struct chat_run *r)
{
	uint64_t n = 0;

	for (int k = 0; k < CE_KINDS; k++)
		n += r->errors[k];
	return n;
}

static uint64_t messages_sent(const struct chat_run *r)
{
	uint64_t n = 0;

	for (unsigned s = 0; s < r->o->senders; s++)
		n += r->sent[s];
	return n;
}

static void report_json(const struct chat_run *r, double secs)
{
	struct json j;

	json_start_compact(&j, stdout);
	json_object(&j);
	json_kv_str(&j, "endpoint", r->cfg->target);
	json_kv_str(&j, "mode", "chat");
	json_kv_strn(&j, "channel", r->o->channel, r->chan_len);
	json_kv_uint(&j, "clients", r->cfg->connections);
	json_kv_uint(&j, "senders", r->o->senders);
	json_kv_uint(&j, "size", r->cfg->size);
	json_kv_uint(&j, "window", r->o->window);
	json_kv_double(&j, "seconds", secs, 3);
	json_kv_uint(&j, "messages", messages_sent(r));
	json_kv_uint(&j, "deliveries", r->deliveries);
	json_kv_double(&j, "deliveries_per_s", secs > 0 ? (double)r->deliveries / secs : 0, 1);
	bench_json_latency(&j, &r->hist);
	json_key(&j, "errors");
	json_object(&j);
	json_kv_uint(&j, "total", chat_errors(r));
	for (int k = 0; k < CE_KINDS; k++)
		json_kv_uint(&j, cerr_names[k], r->errors[k]);
	json_end(&j);
	json_kv_str(&j, "first_error", r->first_error);
	json_end(&j);
	json_newline(&j);
}

static void report_text(const struct chat_run *r, double secs)
{
	printf("%s chat %s: %u clients, %u sender%s, %zu-byte lines, window %u, %.2f s\n",
	       r->cfg->target, r->o->channel, r->cfg->connections, r->o->senders,
	       r->o->senders == 1 ? "" : "s", r->cfg->size, r->o->window, secs);
	printf("deliveries   %llu checked, %.0f/s (%llu messages sent)\n",
	       (unsigned long long)r->deliveries,
	       secs > 0 ? (double)r->deliveries / secs : 0,
	       (unsigned long long)messages_sent(r));
	bench_print_latency(&r->hist);
	printf("errors       %llu", (unsigned long long)chat_errors(r));
	for (int k = 0; k < CE_KINDS; k++)
		if (r->errors[k])
			printf(" %s=%llu", cerr_names[k], (unsigned long long)r->errors[k]);
	printf("\n");
	if (r->first_error[0])
		printf("first error  %s\n", r->first_error);
}

static int alloc_run(struct chat_run *r)
{
	unsigned n = r->cfg->connections, s = r->o->senders;

	r->cl = calloc(n, sizeof *r->cl);
	r->sent = calloc(s, sizeof *r->sent);
	if (!r->cl || !r->sent)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		r->cl[i].fd = -1;
		snprintf(r->cl[i].nick, NICK_MAX, "%s%u", r->o->nick_prefix, i);
		r->cl[i].nick_len = strlen(r->cl[i].nick);
		r->cl[i].rbuf = malloc(RBUF);
		r->cl[i].next = calloc(s, sizeof *r->cl[i].next);
		if (!r->cl[i].rbuf || !r->cl[i].next)
			return -1;
		if (i < s && !(r->cl[i].obuf = malloc(OBUF)))
			return -1;
	}
	return 0;
}

static void free_run(struct chat_run *r)
{
	for (unsigned i = 0; r->cl && i < r->cfg->connections; i++) {
		if (r->cl[i].fd >= 0)
			close(r->cl[i].fd);
		free(r->cl[i].rbuf);
		free(r->cl[i].obuf);
		free(r->cl[i].next);
	}
	free(r->cl);
	free(r->sent);
	if (r->epfd >= 0)
		close(r->epfd);
}

/* A name of letters, digits and -_[]\\`^{}| only (no space, comma or
 * control byte that would change the IRC line). */
static bool irc_word(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return false;
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
		            "-_[]\\`^{}|", *s))
			return false;
	return true;
}

int bench_chat_check(const struct bench_config *cfg, const struct chat_opts *o)
{
	if (cfg->threads != 1)
		return cli_usage("bench", "chat mode runs in one thread (no -t)");
	if (cfg->requests)
		return cli_usage("bench", "chat mode measures a duration (no -n)");
	if (o->senders >= cfg->connections)
		return cli_usage("bench", "chat mode needs more clients (-c %u) than "
		                 "senders (--senders %u)", cfg->connections, o->senders);
	if ((o->channel[0] != '#' && o->channel[0] != '&') || !irc_word(o->channel + 1, 49))
		return cli_usage("bench", "bad channel '%s' (#name, at most 50 "
		                 "characters, no spaces or commas)", o->channel);
	if (!irc_word(o->nick_prefix, 16) || strchr("0123456789-", o->nick_prefix[0]))
		return cli_usage("bench", "bad nick prefix '%s' (1-16 letters, digits "
		                 "or -_[]\\`^{}|, not starting with a digit or -)",
		                 o->nick_prefix);
	if (cfg->size < bench_chat_min_size(o) || cfg->size > 400)
		return cli_usage("bench", "chat mode lines (-s) are %zu to 400 bytes "
		                 "with %s", bench_chat_min_size(o), o->channel);
	return 0;
}

size_t bench_chat_min_size(const struct chat_opts *o)
{
	/* "PRIVMSG " chan " :" S " " SEQ " " T " " CRLF with S < 1000, SEQ
	 * under 10^12 and T (us since the start) under 10^11 (a day). */
	return 8 + strlen(o->channel) + 2 + 4 + 13 + 12 + 2;
}

int bench_chat(const struct bench_config *cfg, const struct chat_opts *o)
{
	struct chat_run r = { .cfg = cfg, .o = o, .epfd = -1, .chan_len = strlen(o->channel) };
	int rc = 1;

	hist_init(&r.hist);
	r.t0 = bench_now();
	if (alloc_run(&r) < 0 || (r.epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		cli_sub_fail(EXIT_NETWORK, "bench", "out of memory");
		free_run(&r);
		return rc;
	}
	if (setup(&r) < 0) {
		cli_sub_fail(EXIT_NETWORK, "bench", "chat: %s", r.first_error);
		free_run(&r);
		return rc;
	}
	double secs = measure(&r);
	if (cfg->json)
		report_json(&r, secs);
	else
		report_text(&r, secs);
	fflush(stdout);
	if (chat_errors(&r))
		cli_sub_fail(EXIT_NETWORK, "bench", "chat: %llu error%s: %s",
		        (unsigned long long)chat_errors(&r), chat_errors(&r) == 1 ? "" : "s",
		        r.first_error);
	else if (r.deliveries == 0)
		cli_sub_fail(EXIT_NETWORK, "bench", "chat: measured nothing: no delivery "
		             "in %.2f s", secs);
	else
		rc = 0;
	free_run(&r);
	return rc;
}
