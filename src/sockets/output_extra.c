/* output_extra.c — what ss's -o, -m and -i add to a socket line: timers,
 * socket memory and TCP internals, as ss writes them and as JSON. */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/tcp.h>

#include "sockets/output.h"

/* A bounded appender: never writes past cap, keeps a NUL at the end. */
struct sbuf {
	char *p;
	size_t n, cap;
};

static void add(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (b->n + 1 >= b->cap)
		return;
	va_start(ap, fmt);
	w = vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
	va_end(ap);
	if (w > 0)
		b->n = b->n + (size_t)w < b->cap ? b->n + (size_t)w : b->cap - 1;
}

static const char *timer_name(unsigned t)
{
	static const char *const names[] = {"off", "on", "keepalive", "timewait", "persist"};

	return t < 5 ? names[t] : "unknown";
}

/* ss's print_ms_timer: "119min", "59sec", "1.234ms" style. */
static void ms_timer(struct sbuf *b, uint32_t ms)
{
	unsigned secs = ms / 1000, mins = secs / 60, msecs = ms % 1000;

	secs %= 60;
	if (mins) {
		msecs = 0;
		add(b, "%umin", mins);
		if (mins > 9)
			secs = 0;
	}
	if (secs) {
		if (secs > 9)
			msecs = 0;
		add(b, "%u%s", secs, msecs ? "." : "sec");
	}
	if (msecs)
		add(b, "%03ums", msecs);
}

static void text_timer(struct sbuf *b, const struct sock_entry *e)
{
	if (!e->timer || e->family == AF_UNIX)
		return;
	add(b, " timer:(%s,", timer_name(e->timer));
	ms_timer(b, e->expires);
	add(b, ",%u)", e->retrans);
}

static void text_skmem(struct sbuf *b, const struct sock_extra *x)
{
	const uint32_t *m = x->skmem;

	add(b, " skmem:(r%u,rb%u,t%u,tb%u,f%u,w%u,o%u,bl%u,d%u)", m[0], m[1], m[2], m[3],
	    m[4], m[5], m[6], m[7], m[8]);
}

static void info_flags(struct sbuf *b, const struct tcp_info *t, const char *cong)
{
	if (t->tcpi_options & TCPI_OPT_TIMESTAMPS)
		add(b, " ts");
	if (t->tcpi_options & TCPI_OPT_SACK)
		add(b, " sack");
	if (t->tcpi_options & TCPI_OPT_ECN)
		add(b, " ecn");
	if (cong[0])
		add(b, " %s", cong);
	if (t->tcpi_options & TCPI_OPT_WSCALE)
		add(b, " wscale:%u,%u", t->tcpi_snd_wscale, t->tcpi_rcv_wscale);
}

static void info_times(struct sbuf *b, const struct tcp_info *t)
{
	if (t->tcpi_rto && t->tcpi_rto != 3000000)
		add(b, " rto:%g", t->tcpi_rto / 1000.0);
	if (t->tcpi_backoff)
		add(b, " backoff:%u", t->tcpi_backoff);
	if (t->tcpi_rtt)
		add(b, " rtt:%g/%g", t->tcpi_rtt / 1000.0, t->tcpi_rttvar / 1000.0);
	if (t->tcpi_ato)
		add(b, " ato:%g", t->tcpi_ato / 1000.0);
	add(b, " mss:%u pmtu:%u rcvmss:%u advmss:%u cwnd:%u", t->tcpi_snd_mss, t->tcpi_pmtu,
	    t->tcpi_rcv_mss, t->tcpi_advmss, t->tcpi_snd_cwnd);
	if (t->tcpi_snd_ssthresh < 0xFFFF)
		add(b, " ssthresh:%u", t->tcpi_snd_ssthresh);
}

/* Counters ss prints only when they are not zero. */
static void info_counts(struct sbuf *b, const struct tcp_info *t)
{
	const struct {
		const char *name;
		uint64_t v;
	} c[] = {
	    {"bytes_sent", t->tcpi_bytes_sent},       {"bytes_retrans", (uint64_t)t->tcpi_bytes_retrans},
	    {"bytes_acked", (uint64_t)t->tcpi_bytes_acked},     {"bytes_received", (uint64_t)t->tcpi_bytes_received},
	    {"segs_out", t->tcpi_segs_out},           {"segs_in", t->tcpi_segs_in},
	    {"data_segs_out", t->tcpi_data_segs_out}, {"data_segs_in", t->tcpi_data_segs_in},
	};

	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
		if (c[i].v)
			add(b, " %s:%" PRIu64, c[i].name, c[i].v);
}

static void info_bbr(struct sbuf *b, const struct sock_extra *x)
{
	if (!x->has_bbr)
		return;
	add(b, " bbr:(bw:%" PRIu64 "bps,mrtt:%g", x->bbr_bw * 8, x->bbr_min_rtt_us / 1000.0);
	if (x->bbr_pacing_gain)
		add(b, ",pacing_gain:%g", x->bbr_pacing_gain / 256.0);
	if (x->bbr_cwnd_gain)
		add(b, ",cwnd_gain:%g", x->bbr_cwnd_gain / 256.0);
	add(b, ")");
}

static void info_rates(struct sbuf *b, const struct tcp_info *t)
{
	if (t->tcpi_rtt && t->tcpi_snd_cwnd)
		add(b, " send %.0fbps",
		    (double)t->tcpi_snd_cwnd * t->tcpi_snd_mss * 8 * 1e6 / t->tcpi_rtt);
	add(b, " lastsnd:%u lastrcv:%u lastack:%u", t->tcpi_last_data_sent,
	    t->tcpi_last_data_recv, t->tcpi_last_ack_recv);
	if (t->tcpi_pacing_rate && t->tcpi_pacing_rate != UINT64_MAX)
		add(b, " pacing_rate %" PRIu64 "bps", (uint64_t)t->tcpi_pacing_rate * 8);
	if ((uint64_t)t->tcpi_delivery_rate)
		add(b, " delivery_rate %" PRIu64 "bps", (uint64_t)t->tcpi_delivery_rate * 8);
	if (t->tcpi_delivered)
		add(b, " delivered:%u", t->tcpi_delivered);
	if ((uint64_t)t->tcpi_delivery_rate_app_limited)
		add(b, " app_limited");
	if ((uint64_t)t->tcpi_busy_time)
		add(b, " busy:%" PRIu64 "ms", (uint64_t)t->tcpi_busy_time / 1000);
	if (t->tcpi_retransmits || t->tcpi_total_retrans)
		add(b, " retrans:%u/%u", t->tcpi_retransmits, t->tcpi_total_retrans);
	if (t->tcpi_lost)
		add(b, " lost:%u", t->tcpi_lost);
	if (t->tcpi_rcv_rtt)
		add(b, " rcv_rtt:%g", t->tcpi_rcv_rtt / 1000.0);
	if (t->tcpi_rcv_space)
		add(b, " rcv_space:%u", t->tcpi_rcv_space);
	if (t->tcpi_rcv_ssthresh)
		add(b, " rcv_ssthresh:%u", t->tcpi_rcv_ssthresh);
	if (t->tcpi_min_rtt && t->tcpi_min_rtt != UINT32_MAX)
		add(b, " minrtt:%g", t->tcpi_min_rtt / 1000.0);
	if (t->tcpi_snd_wnd)
		add(b, " snd_wnd:%u", t->tcpi_snd_wnd);
}

static void text_info(struct sbuf *b, const struct sock_extra *x)
{
	struct tcp_info t;

	memcpy(&t, x->info, sizeof t);
	info_flags(b, &t, x->cong);
	info_times(b, &t);
	info_counts(b, &t);
	info_bbr(b, x);
	info_rates(b, &t);
}

size_t output_timer_text(char *buf, size_t cap, const struct sock_entry *e)
{
	struct sbuf b = {buf, 0, cap};

	if (cap)
		buf[0] = '\0';
	text_timer(&b, e);
	return b.n;
}

size_t output_meminfo_text(char *buf, size_t cap, const struct sock_entry *e,
                           const struct out_opts *o)
{
	struct sbuf b = {buf, 0, cap};
	const struct sock_extra *x = e->extra;
	bool mem = o->memory && x && x->has_skmem, info = o->info && x && x->has_info;

	if (cap)
		buf[0] = '\0';
	/* Like ss: memory and TCP internals go on a second, tab-indented line
	 * unless -O asked for one line per socket. */
	if ((mem || info) && !o->oneline)
		add(&b, "\n\t");
	if (mem)
		text_skmem(&b, x);
	if (info)
		text_info(&b, x);
	return b.n;
}

static void json_info(FILE *out, const struct sock_extra *x)
{
	struct tcp_info t;

	memcpy(&t, x->info, sizeof t);
	fprintf(out,
	        ",\"info\":{\"cong\":\"%s\",\"rto_ms\":%g,\"rtt_ms\":%g,\"rttvar_ms\":%g,"
	        "\"ato_ms\":%g,\"mss\":%u,\"pmtu\":%u,\"rcvmss\":%u,\"advmss\":%u,"
	        "\"cwnd\":%u,\"ssthresh\":%u,\"bytes_sent\":%" PRIu64
	        ",\"bytes_retrans\":%" PRIu64 ",\"bytes_acked\":%" PRIu64
	        ",\"bytes_received\":%" PRIu64 ",\"segs_out\":%u,\"segs_in\":%u,"
	        "\"pacing_rate_bps\":%" PRIu64 ",\"delivery_rate_bps\":%" PRIu64
	        ",\"retrans\":%u,\"total_retrans\":%u,\"lost\":%u,\"min_rtt_ms\":%g,"
	        "\"snd_wnd\":%u,\"rcv_space\":%u",
	        x->cong, t.tcpi_rto / 1000.0, t.tcpi_rtt / 1000.0, t.tcpi_rttvar / 1000.0,
	        t.tcpi_ato / 1000.0, t.tcpi_snd_mss, t.tcpi_pmtu, t.tcpi_rcv_mss,
	        t.tcpi_advmss, t.tcpi_snd_cwnd, t.tcpi_snd_ssthresh, (uint64_t)t.tcpi_bytes_sent,
	        (uint64_t)t.tcpi_bytes_retrans, (uint64_t)t.tcpi_bytes_acked, (uint64_t)t.tcpi_bytes_received,
	        t.tcpi_segs_out, t.tcpi_segs_in,
	        t.tcpi_pacing_rate == UINT64_MAX ? 0 : (uint64_t)t.tcpi_pacing_rate * 8,
	        (uint64_t)t.tcpi_delivery_rate * 8, t.tcpi_retransmits, t.tcpi_total_retrans,
	        t.tcpi_lost, t.tcpi_min_rtt == UINT32_MAX ? 0 : t.tcpi_min_rtt / 1000.0,
	        t.tcpi_snd_wnd, t.tcpi_rcv_space);
	if (x->has_bbr)
		fprintf(out,
		        ",\"bbr\":{\"bw_bps\":%" PRIu64 ",\"min_rtt_ms\":%g,"
		        "\"pacing_gain\":%g,\"cwnd_gain\":%g}",
		        x->bbr_bw * 8, x->bbr_min_rtt_us / 1000.0,
		        x->bbr_pacing_gain / 256.0, x->bbr_cwnd_gain / 256.0);
	fputc('}', out);
}

void output_extra_json(FILE *out, const struct sock_entry *e, const struct out_opts *o)
{
	const struct sock_extra *x = e->extra;

	if (o->timers && e->family != AF_UNIX)
		fprintf(out, ",\"timer\":{\"name\":\"%s\",\"expires_ms\":%u,\"retrans\":%u}",
		        timer_name(e->timer), e->expires, e->retrans);
	if (o->memory && x && x->has_skmem)
		fprintf(out,
		        ",\"skmem\":{\"r\":%u,\"rb\":%u,\"t\":%u,\"tb\":%u,\"f\":%u,\"w\":%u,"
		        "\"o\":%u,\"bl\":%u,\"d\":%u}",
		        x->skmem[0], x->skmem[1], x->skmem[2], x->skmem[3], x->skmem[4],
		        x->skmem[5], x->skmem[6], x->skmem[7], x->skmem[8]);
	if (o->info && x && x->has_info)
		json_info(out, x);
}
