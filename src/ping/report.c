/* report.c — `sockit ping`'s output: iputils' text, flood, per-host
 * summaries, JSON Lines. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "cli/json.h"
#include "ping/report.h"

static const char *mode_seq(const struct ping_session *s)
{
	return s->o->mode == PING_TCP   ? "tcp_seq"
	       : s->o->mode == PING_UDP ? "udp_seq"
	                                : "icmp_seq";
}

static void stamp(struct ping_session *s)
{
	struct timeval tv;
	if (!s->o->timestamps)
		return;
	gettimeofday(&tv, NULL);
	fprintf(s->out, "[%lu.%06lu] ", (unsigned long)tv.tv_sec,
	        (unsigned long)tv.tv_usec);
}

static void flush(struct ping_session *s)
{
	/* A flood flushes once per wakeup (session.c), everyone else per line. */
	if (!s->flood)
		fflush(s->out);
}

/* Text output is for people; JSON and --alive say nothing per event. */
static bool text_lines(const struct ping_session *s)
{
	return !s->o->json && !s->o->alive && !s->o->quiet;
}

const char *pout_from(struct ping_session *s, struct ping_target *t,
                      const struct sockaddr *sa, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";
	const void *p = sa->sa_family == AF_INET6
	                    ? (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr
	                    : (const void *)&((const struct sockaddr_in *)sa)->sin_addr;
	inet_ntop(sa->sa_family, p, a, sizeof a);
	if (t->by_name && !s->o->numeric && strcmp(a, t->addr) == 0)
		snprintf(buf, len, "%s (%s)", t->name, a);
	else
		snprintf(buf, len, "%s", a);
	return buf;
}

/* Begin a JSON Lines record {"type": TYPE, "host": ..., "addr": ...}. */
static void json_begin(struct json *j, struct ping_session *s, const char *type,
                       const struct ping_target *t)
{
	json_start(j, s->out);
	json_object(j);
	json_kv_str(j, "type", type);
	json_kv_str(j, "host", t->name);
	json_kv_str(j, "addr", t->addr);
}

static void json_finish(struct json *j)
{
	json_end(j);
	json_newline(j);
	fflush(j->out);
}

void pout_header(struct ping_session *s, struct ping_target *t)
{
	const struct ping_opts *o = s->o;
	bool v6 = t->family == AF_INET6;

	if (o->json || o->alive)
		return;
	if (o->mode == PING_TCP) {
		fprintf(s->out, "PING %s (%s) port %u/tcp.\n", t->name, t->addr, o->port);
	} else if (o->mode == PING_UDP) {
		fprintf(s->out, "PING %s (%s) port %u/udp: %ld data bytes\n", t->name,
		        t->addr, o->port, o->size);
	} else {
		fprintf(s->out, v6 ? "PING %s(%s) " : "PING %s (%s) ", t->name, t->addr);
		if (o->iface) {
			bool addr = strchr(o->iface, '.') || strchr(o->iface, ':');
			fprintf(s->out, "from %s %s: ", addr ? o->iface : t->src,
			        addr ? "" : o->iface);
		}
		if (v6)
			fprintf(s->out, "%ld data bytes\n", o->size);
		else
			fprintf(s->out, "%ld(%ld) bytes of data.\n", o->size,
			        o->size + 28);
	}
	flush(s);
}

/* iputils' precision: three decimals below 1 ms, fewer as times grow. */
static void print_time(FILE *f, int64_t t)
{
	if (t >= 100000 - 50)
		fprintf(f, " time=%lld ms", (long long)(t + 500) / 1000);
	else if (t >= 10000 - 5)
		fprintf(f, " time=%lld.%01lld ms", (long long)(t + 50) / 1000,
		        (long long)((t + 50) % 1000) / 100);
	else if (t >= 1000)
		fprintf(f, " time=%lld.%02lld ms", (long long)(t + 5) / 1000,
		        (long long)((t + 5) % 1000) / 10);
	else
		fprintf(f, " time=%lld.%03lld ms", (long long)t / 1000,
		        (long long)t % 1000);
}

static void reply_json(struct ping_session *s, struct ping_target *t,
                       const struct ping_reply *r)
{
	struct json j;

	json_begin(&j, s, "reply", t);
	json_kv_str(&j, "from", r->from);
	json_kv_uint(&j, "seq", r->seq);
	json_kv_uint(&j, "bytes", r->bytes);
	if (r->ttl >= 0)
		json_kv_int(&j, "ttl", r->ttl);
	if (r->rtt_us >= 0)
		json_kv_double(&j, "time_ms", (double)r->rtt_us / 1000.0, 3);
	if (r->state)
		json_kv_str(&j, "state", r->state);
	json_kv_bool(&j, "dup", r->dup);
	json_kv_bool(&j, "late", r->late);
	json_kv_bool(&j, "bad_checksum", r->bad_checksum);
	json_finish(&j);
}

void pout_reply(struct ping_session *s, struct ping_target *t, const struct ping_reply *r)
{
	if (s->o->json)
		return reply_json(s, t, r);
	if (!text_lines(s))
		return;
	if (s->flood) {
		fputs(r->bad_checksum ? "\bC" : "\b \b", s->out);
		return;
	}
	stamp(s);
	if (r->state)
		fprintf(s->out, "%s port %u %s: %s=%u", r->from, s->o->port, r->state,
		        mode_seq(s), r->seq);
	else
		fprintf(s->out, "%zu bytes from %s: %s=%u", r->bytes, r->from,
		        mode_seq(s), r->seq);
	if (r->ttl >= 0)
		fprintf(s->out, " ttl=%d", r->ttl);
	if (r->truncated) {
		fputs(" (truncated)\n", s->out);
		return flush(s);
	}
	if (r->rtt_us >= 0)
		print_time(s->out, r->rtt_us);
	if (r->dup)
		fputs(" (DUP!)", s->out);
	if (r->bad_checksum)
		fputs(" (BAD CHECKSUM!)", s->out);
	if (r->late && s->o->verbose)
		fputs(" (late)", s->out);
	if (s->o->audible)
		fputc('\a', s->out);
	fputc('\n', s->out);
	flush(s);
}

void pout_error(struct ping_session *s, struct ping_target *t, uint16_t seq,
                const char *from, const char *text)
{
	if (s->o->json) {
		struct json j;
		json_begin(&j, s, "error", t);
		json_kv_uint(&j, "seq", seq);
		json_kv_str(&j, "from", from);
		json_kv_str(&j, "error", text);
		json_finish(&j);
		return;
	}
	if (!text_lines(s))
		return;
	if (s->flood) {
		fputs("\bE", s->out);
		return;
	}
	stamp(s);
	fprintf(s->out, "From %s %s=%u %s\n", from, mode_seq(s), seq, text);
	flush(s);
}

void pout_send_error(struct ping_session *s, struct ping_target *t, int err)
{
	if (s->o->quiet || s->o->alive)
		return;
	if (s->flood) {
		fputc('E', s->out);
		return;
	}
	fflush(s->out);
	fprintf(stderr, "sockit: sendmsg %s: %s\n", t->addr, strerror(err));
}

void pout_sent(struct ping_session *s)
{
	if (s->flood && text_lines(s))
		fputc('.', s->out);
}

void pout_outstanding(struct ping_session *s, struct ping_target *t, uint16_t seq)
{
	(void)t;
	if (!text_lines(s) || s->flood)
		return;
	stamp(s);
	fprintf(s->out, "no answer yet for %s=%u\n", mode_seq(s), seq);
	flush(s);
}

void pout_timeout(struct ping_session *s, struct ping_target *t, uint16_t seq)
{
	struct json j;

	if (!s->o->json)
		return;
	json_begin(&j, s, "timeout", t);
	json_kv_uint(&j, "seq", seq);
	json_finish(&j);
}

/* ---- statistics ---- */

static long long isqrt(long long a)
{
	long long x = a, y;

	if (a <= 0)
		return 0;
	/* Newton's method from above: decreases until it settles. */
	for (;;) {
		y = (x + a / x) / 2;
		if (y >= x)
			return x;
		x = y;
	}
}

struct rtt {
	long long min, avg, max, mdev;
};

/* iputils' arithmetic in microseconds, so the digits agree. */
static struct rtt rtt_of(const struct ping_stats *st)
{
	struct rtt r = {st->tmin, 0, st->tmax, 0};
	long long total = (long long)(st->received + st->repeats);

	if (total <= 0)
		return r;
	r.avg = st->tsum / total;
	long long var;
	if (st->tsum < 2147483647)
		var = (long long)((st->tsum2 - (double)((st->tsum * st->tsum) / total)) /
		                  (double)total);
	else
		var = (long long)(st->tsum2 / (double)total) - r.avg * r.avg;
	r.mdev = isqrt(var);
	return r;
}

static uint64_t elapsed_ms(const struct ping_session *s, const struct ping_target *t)
{
	uint64_t end = t->last_send_ns > s->start_ns ? t->last_send_ns : s->start_ns;
	return (end - s->start_ns + 500000) / 1000000;
}

static double loss_pct(const struct ping_stats *st)
{
	if (!st->transmitted)
		return 0;
	/* float, as iputils prints it: 33.3333% */
	return (float)(((double)(int64_t)(st->transmitted - st->received) * 100.0) /
	               (double)st->transmitted);
}

static void summary_iputils(struct ping_session *s, struct ping_target *t)
{
	const struct ping_stats *st = &t->st;
	FILE *f = s->out;
	const char *comma = "";

	fprintf(f, "\n--- %s ping statistics ---\n", t->name);
	fprintf(f, "%llu packets transmitted, %llu received",
	        (unsigned long long)st->transmitted, (unsigned long long)st->received);
	if (st->repeats)
		fprintf(f, ", +%llu duplicates", (unsigned long long)st->repeats);
	if (st->corrupted)
		fprintf(f, ", +%llu corrupted", (unsigned long long)st->corrupted);
	if (st->errors)
		fprintf(f, ", +%llu errors", (unsigned long long)st->errors);
	if (st->transmitted)
		fprintf(f, ", %g%% packet loss, time %llums", loss_pct(st),
		        (unsigned long long)elapsed_ms(s, t));
	fputc('\n', f);
	if (st->received && st->timed) {
		struct rtt r = rtt_of(st);
		fprintf(f,
		        "rtt min/avg/max/mdev = "
		        "%lld.%03lld/%lld.%03lld/%lld.%03lld/%lld.%03lld ms",
		        r.min / 1000, r.min % 1000, r.avg / 1000, r.avg % 1000,
		        r.max / 1000, r.max % 1000, r.mdev / 1000, r.mdev % 1000);
		comma = ", ";
	}
	if (st->pipe > 1) {
		fprintf(f, "%spipe %ld", comma, st->pipe);
		comma = ", ";
	}
	if (st->received && (s->flood || s->o->interval_us == 0) && st->transmitted > 1) {
		uint64_t us = (t->last_send_ns - s->start_ns) / 1000;
		long ipg = (long)(us / (st->transmitted - 1));
		fprintf(f, "%sipg/ewma %ld.%03ld/%ld.%03ld ms", comma, ipg / 1000,
		        ipg % 1000, st->ewma8 / 8000, (st->ewma8 / 8) % 1000);
	}
	fputc('\n', f);
}

static void summary_line(struct ping_session *s, struct ping_target *t)
{
	const struct ping_stats *st = &t->st;
	unsigned loss =
	    st->transmitted
	        ? (unsigned)((st->transmitted - st->received) * 100 / st->transmitted)
	        : 0;

	fprintf(s->out, "%s : xmt/rcv/%%loss = %llu/%llu/%u%%", t->name,
	        (unsigned long long)st->transmitted, (unsigned long long)st->received,
	        loss);
	if (st->received && st->timed) {
		struct rtt r = rtt_of(st);
		fprintf(s->out, ", min/avg/max = %lld.%03lld/%lld.%03lld/%lld.%03lld",
		        r.min / 1000, r.min % 1000, r.avg / 1000, r.avg % 1000,
		        r.max / 1000, r.max % 1000);
	}
	fputc('\n', s->out);
}

static void summary_json(struct ping_session *s, struct ping_target *t)
{
	const struct ping_stats *st = &t->st;
	struct json j;

	json_begin(&j, s, "summary", t);
	json_kv_uint(&j, "transmitted", st->transmitted);
	json_kv_uint(&j, "received", st->received);
	json_kv_uint(&j, "duplicates", st->repeats);
	json_kv_uint(&j, "corrupted", st->corrupted);
	json_kv_uint(&j, "errors", st->errors);
	json_kv_double(&j, "loss_pct", loss_pct(st), 2);
	json_kv_uint(&j, "time_ms", elapsed_ms(s, t));
	if (st->received && st->timed) {
		struct rtt r = rtt_of(st);
		json_kv_double(&j, "rtt_min_ms", r.min / 1e3, 3);
		json_kv_double(&j, "rtt_avg_ms", r.avg / 1e3, 3);
		json_kv_double(&j, "rtt_max_ms", r.max / 1e3, 3);
		json_kv_double(&j, "rtt_mdev_ms", r.mdev / 1e3, 3);
	}
	json_finish(&j);
}

void pout_summary(struct ping_session *s)
{
	if (s->flood)
		fflush(s->out);
	if (s->o->alive) {
		for (size_t i = 0; i < s->ntargets; i++)
			if (s->targets[i].st.received)
				fprintf(s->out, "%s\n", s->targets[i].name);
	} else if (s->o->json) {
		for (size_t i = 0; i < s->ntargets; i++)
			summary_json(s, &s->targets[i]);
	} else if (!s->multi) {
		summary_iputils(s, &s->targets[0]);
	} else {
		fputc('\n', s->out);
		for (size_t i = 0; i < s->ntargets; i++)
			summary_line(s, &s->targets[i]);
	}
	fflush(s->out);
}

void pout_status(struct ping_session *s)
{
	for (size_t i = 0; i < s->ntargets; i++) {
		const struct ping_stats *st = &s->targets[i].st;
		unsigned loss = st->transmitted
		                    ? (unsigned)((st->transmitted - st->received) * 100 /
		                                 st->transmitted)
		                    : 0;
		fputc('\r', stderr);
		if (s->multi)
			fprintf(stderr, "%s: ", s->targets[i].name);
		fprintf(stderr, "%llu/%llu packets, %u%% loss",
		        (unsigned long long)st->received,
		        (unsigned long long)st->transmitted, loss);
		if (st->received && st->timed) {
			long long avg =
			    st->tsum / (long long)(st->received + st->repeats);
			fprintf(stderr,
			        ", min/avg/ewma/max = "
			        "%lld.%03lld/%lld.%03lld/%ld.%03ld/%lld.%03lld ms",
			        (long long)st->tmin / 1000, (long long)st->tmin % 1000,
			        avg / 1000, avg % 1000, st->ewma8 / 8000,
			        (st->ewma8 / 8) % 1000, (long long)st->tmax / 1000,
			        (long long)st->tmax % 1000);
		}
		fputc('\n', stderr);
	}
}
