/* output_extra.c — what ss's -o, -m and -i add to a socket line: timers,
 * socket memory and TCP internals, as ss writes them and as JSON. */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <linux/tcp.h>
#include <linux/packet_diag.h>

#include "cli/json.h"
#include "sockit/escape.h"
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
	if (!e->timer || !sock_is_inet(e))
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

/* ss's sprint_bw: bits per second, plain with -n, else scaled. */
static void add_bw(struct sbuf *b, double bw, bool numeric)
{
	if (numeric)
		add(b, "%.0f", bw);
	else if (bw >= 1e12)
		add(b, "%.3gT", bw / 1e12);
	else if (bw >= 1e9)
		add(b, "%.3gG", bw / 1e9);
	else if (bw >= 1e6)
		add(b, "%.3gM", bw / 1e6);
	else if (bw >= 1e3)
		add(b, "%.3gk", bw / 1e3);
	else
		add(b, "%g", bw);
	add(b, "bps");
}

/* The options ss shows only with -o (or -e), then the congestion control
 * and the window scales. */
static void info_flags(struct sbuf *b, const struct tcp_info *t, const char *cong,
                       bool options)
{
	static const struct {
		unsigned bit;
		const char *name;
	} opt[] = {
	    {TCPI_OPT_TIMESTAMPS, "ts"}, {TCPI_OPT_SACK, "sack"},
	    {TCPI_OPT_ECN, "ecn"},       {TCPI_OPT_ECN_SEEN, "ecnseen"},
	    {TCPI_OPT_SYN_DATA, "fastopen"},
	};

	for (size_t i = 0; options && i < sizeof opt / sizeof opt[0]; i++)
		if (t->tcpi_options & opt[i].bit)
			add(b, " %s", opt[i].name);
	if (cong[0])
		add(b, " %s", cong);
	if (t->tcpi_options & TCPI_OPT_WSCALE)
		add(b, " wscale:%u,%u", t->tcpi_snd_wscale, t->tcpi_rcv_wscale);
}

/* Each only when not zero, as ss prints them (rto: not its 3 s default). */
static void info_times(struct sbuf *b, const struct tcp_info *t)
{
	const struct {
		const char *name;
		uint32_t v;
	} sizes[] = {
	    {"mss", t->tcpi_snd_mss},  {"pmtu", t->tcpi_pmtu}, {"rcvmss", t->tcpi_rcv_mss},
	    {"advmss", t->tcpi_advmss}, {"cwnd", t->tcpi_snd_cwnd},
	    {"ssthresh", t->tcpi_snd_ssthresh < 0xFFFF ? t->tcpi_snd_ssthresh : 0},
	};

	if (t->tcpi_rto && t->tcpi_rto != 3000000)
		add(b, " rto:%g", t->tcpi_rto / 1000.0);
	if (t->tcpi_backoff)
		add(b, " backoff:%u", t->tcpi_backoff);
	if (t->tcpi_rtt)
		add(b, " rtt:%g/%g", t->tcpi_rtt / 1000.0, t->tcpi_rttvar / 1000.0);
	if (t->tcpi_ato)
		add(b, " ato:%g", t->tcpi_ato / 1000.0);
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
		if (sizes[i].v)
			add(b, " %s:%u", sizes[i].name, sizes[i].v);
}

/* Counters ss prints only when they are not zero. */
static void info_counts(struct sbuf *b, const struct tcp_info *t)
{
	const struct {
		const char *name;
		uint64_t v;
	} c[] = {
	    {"bytes_sent", t->tcpi_bytes_sent},       {"bytes_retrans", t->tcpi_bytes_retrans},
	    {"bytes_acked", t->tcpi_bytes_acked},     {"bytes_received", t->tcpi_bytes_received},
	    {"segs_out", t->tcpi_segs_out},           {"segs_in", t->tcpi_segs_in},
	    {"data_segs_out", t->tcpi_data_segs_out}, {"data_segs_in", t->tcpi_data_segs_in},
	};

	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
		if (c[i].v)
			add(b, " %s:%" PRIu64, c[i].name, c[i].v);
}

static void info_dctcp(struct sbuf *b, const struct sock_extra *x)
{
	if (!x->has_dctcp)
		return;
	if (x->dctcp_enabled)
		add(b, " dctcp:(ce_state:%u,alpha:%u,ab_ecn:%u,ab_tot:%u)", x->dctcp_ce_state,
		    x->dctcp_alpha, x->dctcp_ab_ecn, x->dctcp_ab_tot);
	else
		add(b, " dctcp:fallback_mode");
}

static void info_bbr(struct sbuf *b, const struct sock_extra *x, bool numeric)
{
	if (!x->has_bbr)
		return;
	add(b, " bbr:(bw:");
	add_bw(b, (double)x->bbr_bw * 8.0, numeric);
	add(b, ",mrtt:%g", x->bbr_min_rtt_us / 1000.0);
	if (x->bbr_pacing_gain)
		add(b, ",pacing_gain:%g", x->bbr_pacing_gain / 256.0);
	if (x->bbr_cwnd_gain)
		add(b, ",cwnd_gain:%g", x->bbr_cwnd_gain / 256.0);
	add(b, ")");
}

static bool rate_known(uint64_t r)
{
	return r && r != UINT64_MAX;
}

/* send (over Vegas's rtt when it has one, as ss), last*, pacing and
 * delivery rates. */
static void info_rates(struct sbuf *b, const struct tcp_info *t, uint32_t vegas_rtt,
                       bool numeric)
{
	uint32_t rtt = vegas_rtt ? vegas_rtt : t->tcpi_rtt;

	if (rtt && t->tcpi_snd_mss && t->tcpi_snd_cwnd) {
		add(b, " send ");
		add_bw(b, (double)t->tcpi_snd_cwnd * t->tcpi_snd_mss * 8000000. / rtt, numeric);
	}
	if (t->tcpi_last_data_sent)
		add(b, " lastsnd:%u", t->tcpi_last_data_sent);
	if (t->tcpi_last_data_recv)
		add(b, " lastrcv:%u", t->tcpi_last_data_recv);
	if (t->tcpi_last_ack_recv)
		add(b, " lastack:%u", t->tcpi_last_ack_recv);
	if (rate_known(t->tcpi_pacing_rate)) {
		add(b, " pacing_rate ");
		add_bw(b, (double)t->tcpi_pacing_rate * 8., numeric);
		if (rate_known(t->tcpi_max_pacing_rate)) {
			add(b, "/");
			add_bw(b, (double)t->tcpi_max_pacing_rate * 8., numeric);
		}
	}
	if (t->tcpi_delivery_rate) {
		add(b, " delivery_rate ");
		add_bw(b, (double)t->tcpi_delivery_rate * 8., numeric);
	}
	if (t->tcpi_delivered)
		add(b, " delivered:%u", t->tcpi_delivered);
	if (t->tcpi_delivered_ce)
		add(b, " delivered_ce:%u", t->tcpi_delivered_ce);
	if (t->tcpi_delivery_rate_app_limited)
		add(b, " app_limited");
}

static void info_busy(struct sbuf *b, const struct tcp_info *t)
{
	uint64_t busy = t->tcpi_busy_time;

	if (!busy)
		return;
	add(b, " busy:%" PRIu64 "ms", busy / 1000);
	if (t->tcpi_rwnd_limited)
		add(b, " rwnd_limited:%" PRIu64 "ms(%.1f%%)", (uint64_t)t->tcpi_rwnd_limited / 1000,
		    100.0 * (double)t->tcpi_rwnd_limited / (double)busy);
	if (t->tcpi_sndbuf_limited)
		add(b, " sndbuf_limited:%" PRIu64 "ms(%.1f%%)",
		    (uint64_t)t->tcpi_sndbuf_limited / 1000,
		    100.0 * (double)t->tcpi_sndbuf_limited / (double)busy);
}

/* The tail of ss's tcp_stats_print, each when not zero (reordering when
 * not the default 3; sacked not for listeners, whose field is the backlog). */
static void info_tail(struct sbuf *b, const struct tcp_info *t, unsigned state)
{
	if (t->tcpi_unacked)
		add(b, " unacked:%u", t->tcpi_unacked);
	if (t->tcpi_retrans || t->tcpi_total_retrans)
		add(b, " retrans:%u/%u", t->tcpi_retrans, t->tcpi_total_retrans);
	if (t->tcpi_lost)
		add(b, " lost:%u", t->tcpi_lost);
	if (t->tcpi_sacked && state != ST_LISTEN)
		add(b, " sacked:%u", t->tcpi_sacked);
	if (t->tcpi_dsack_dups)
		add(b, " dsack_dups:%u", t->tcpi_dsack_dups);
	if (t->tcpi_fackets)
		add(b, " fackets:%u", t->tcpi_fackets);
	if (t->tcpi_reordering != 3)
		add(b, " reordering:%d", (int)t->tcpi_reordering);
	if (t->tcpi_reord_seen)
		add(b, " reord_seen:%d", (int)t->tcpi_reord_seen);
	if (t->tcpi_rcv_rtt)
		add(b, " rcv_rtt:%g", t->tcpi_rcv_rtt / 1000.0);
	if (t->tcpi_rcv_space)
		add(b, " rcv_space:%d", (int)t->tcpi_rcv_space);
	if (t->tcpi_rcv_ssthresh)
		add(b, " rcv_ssthresh:%u", t->tcpi_rcv_ssthresh);
	if (t->tcpi_notsent_bytes)
		add(b, " notsent:%u", t->tcpi_notsent_bytes);
	if (t->tcpi_min_rtt && t->tcpi_min_rtt != UINT32_MAX)
		add(b, " minrtt:%g", t->tcpi_min_rtt / 1000.0);
	if (t->tcpi_rcv_ooopack)
		add(b, " rcv_ooopack:%u", t->tcpi_rcv_ooopack);
	if (t->tcpi_snd_wnd)
		add(b, " snd_wnd:%u", t->tcpi_snd_wnd);
}

static void text_info(struct sbuf *b, const struct sock_entry *e, const struct out_opts *o)
{
	const struct sock_extra *x = e->extra;
	struct tcp_info t;

	_Static_assert(sizeof t <= sizeof x->info, "sock_extra.info holds a tcp_info");
	memcpy(&t, x->info, sizeof t);
	info_flags(b, &t, x->cong, o->timers);
	info_times(b, &t);
	info_counts(b, &t);
	info_dctcp(b, x);
	info_bbr(b, x, o->numeric);
	info_rates(b, &t, x->vegas_rtt_us, o->numeric);
	info_busy(b, &t);
	info_tail(b, &t, e->state);
}

/* ss's cookie_sk_get: the two halves of the socket cookie as one number. */
static uint64_t cookie64(const struct sock_entry *e)
{
	return (uint64_t)e->cookie[1] << 32 | e->cookie[0];
}

/* ss's "<->": '<' while the socket still receives, '>' while it sends;
 * the same three characters in the table and in JSON. */
static const char *shutdown_arrows(const struct sock_entry *e, char out[4])
{
	out[0] = e->shutdown & 1 ? '-' : '<';
	out[1] = '-';
	out[2] = e->shutdown & 2 ? '-' : '>';
	out[3] = '\0';
	return out;
}

static void text_shutdown(struct sbuf *b, const struct sock_entry *e)
{
	char sd[4];

	if (e->has_shutdown)
		add(b, " %s", shutdown_arrows(e, sd));
}

/* UNIX_DIAG_VFS's device is the kernel's internal dev_t (major << 20 |
 * minor); ss splits it with the C library's major()/minor(), made for
 * the user-space encoding, so 254:0 prints as 0/65024.  Same numbers as ss. */
static unsigned vfs_major(uint32_t dev)
{
	return major(dev);
}

static unsigned vfs_minor(uint32_t dev)
{
	return minor(dev);
}

static void text_unix_details(struct sbuf *b, const struct sock_entry *e)
{
	text_shutdown(b, e);
	if (e->has_vfs)
		add(b, " ino:%u dev:%u/%u", e->vfs_ino, vfs_major(e->vfs_dev),
		    vfs_minor(e->vfs_dev));
	if (e->has_icons) {
		add(b, " peers:");
		for (uint32_t i = 0; i < e->n_icons; i++)
			add(b, " %u", e->icons[i]);
	}
}

/* ss's sock_details_print: uid only when not root's, fwmark and cgroup
 * only when set. */
static void text_sock_details(struct sbuf *b, const struct sock_entry *e)
{
	char path[4 * 256 + 1];
	const char *cg;

	if (e->has_uid && e->uid)
		add(b, " uid:%u", e->uid);
	add(b, " ino:%u sk:%" PRIx64, e->inode, cookie64(e));
	if (e->mark)
		add(b, " fwmark:0x%x", e->mark);
	if (e->cgroup_id) {
		/* A directory name is anyone's choice: no escapes in the table. */
		cg = cgroup_path(e->cgroup_id);
		sk_escape(path, sizeof path, cg, strlen(cg), SK_ESCAPE_BACKSLASH, NULL);
		add(b, " cgroup:%s", path);
	}
}

/* ss -e's second line of a packet socket: version, copy threshold, flags. */
static void text_packet_info(struct sbuf *b, const struct sock_entry *e, bool oneline)
{
	static const struct {
		unsigned bit;
		const char *name;
	} flags[] = {
	    {PDI_RUNNING, "running"}, {PDI_AUXDATA, " auxdata"}, {PDI_ORIGDEV, " origdev"},
	    {PDI_VNETHDR, " vnethdr"}, {PDI_LOSS, " loss"},
	};

	if (!e->has_pkinfo)
		return;
	add(b, "%sver:%u cpy_thresh:%u flags( ", oneline ? " " : "\n\t", e->pk_version,
	    e->pk_copy_thresh);
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
		if (e->pk_flags & flags[i].bit)
			add(b, "%s", flags[i].name);
	add(b, "%s )", e->pk_flags ? "" : "0");
}

size_t output_details_text(char *buf, size_t cap, const struct sock_entry *e,
                           bool oneline)
{
	struct sbuf b = {buf, 0, cap};

	if (cap)
		buf[0] = '\0';
	/* Read from /proc/net/udp or raw (no raw_diag module, --proc): ss -e
	 * has nothing to add there either. */
	if (e->from_proc && e->netid != NETID_TCP)
		return 0;
	if (e->family == AF_UNIX) {
		text_unix_details(&b, e);
	} else if (sock_is_inet(e)) {
		text_sock_details(&b, e);
		if (e->has_v6only)
			add(&b, " v6only:%u", e->v6only ? 1u : 0u);
		text_shutdown(&b, e);
	} else if (e->family == AF_PACKET) {
		text_sock_details(&b, e);
		text_packet_info(&b, e, oneline);
	} else if (e->family == AF_NETLINK) {
		/* netlink_diag has no kernel address nor callback to show: ss
		 * prints them as 0 too. */
		add(&b, " sk=0 cb=0 groups=0x%08x", e->nl_groups);
	}
	return b.n;
}

void output_details_json(FILE *out, const struct sock_entry *e)
{
	char sd[4];

	if (e->has_shutdown)
		fprintf(out, ",\"shutdown\":\"%s\"", shutdown_arrows(e, sd));
	if (e->family == AF_UNIX) {
		if (e->has_vfs)
			fprintf(out, ",\"vfs_inode\":%u,\"vfs_dev\":\"%u/%u\"", e->vfs_ino,
			        vfs_major(e->vfs_dev), vfs_minor(e->vfs_dev));
		if (e->has_icons) {
			fputs(",\"peers\":[", out);
			for (uint32_t i = 0; i < e->n_icons; i++)
				fprintf(out, "%s%u", i ? "," : "", e->icons[i]);
			fputc(']', out);
		}
		return;
	}
	if (e->family == AF_NETLINK) {
		fprintf(out, ",\"groups\":%u", e->nl_groups);
		return;
	}
	if (!sock_is_inet(e) && e->family != AF_PACKET)
		return;
	if (e->has_pkinfo)
		fprintf(out, ",\"ver\":%u,\"cpy_thresh\":%u,\"pdi_flags\":%u", e->pk_version,
		        e->pk_copy_thresh, e->pk_flags);
	fprintf(out, ",\"sk\":\"%" PRIx64 "\",\"fwmark\":%u", cookie64(e), e->mark);
	if (e->cgroup_id) {
		const char *cg = cgroup_path(e->cgroup_id);

		fputs(",\"cgroup\":", out);
		json_string(out, cg, strlen(cg));
	}
	if (e->has_v6only)
		fprintf(out, ",\"v6only\":%s", e->v6only ? "true" : "false");
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
	/* Like ss: for an inet socket, -m and -i (not for UDP) open a second,
	 * tab-indented line, even when the kernel sent nothing for it (a
	 * TIME-WAIT socket), unless -O asked for one line per socket; UNIX,
	 * packet and netlink sockets' memory stays on their line.  What came
	 * from /proc/net has neither, and no second line in ss. */
	if (sock_is_inet(e) && !o->oneline && !e->from_proc &&
	    (o->memory || (o->info && e->netid != NETID_UDP)))
		add(&b, "\n\t");
	if (mem)
		text_skmem(&b, x);
	if (info)
		text_info(&b, e, o);
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
	if (x->has_dctcp)
		fprintf(out,
		        ",\"dctcp\":{\"enabled\":%s,\"ce_state\":%u,\"alpha\":%u,"
		        "\"ab_ecn\":%u,\"ab_tot\":%u}",
		        x->dctcp_enabled ? "true" : "false", x->dctcp_ce_state, x->dctcp_alpha,
		        x->dctcp_ab_ecn, x->dctcp_ab_tot);
	fputc('}', out);
}

void output_extra_json(FILE *out, const struct sock_entry *e, const struct out_opts *o)
{
	const struct sock_extra *x = e->extra;

	if (o->timers && sock_is_inet(e))
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
