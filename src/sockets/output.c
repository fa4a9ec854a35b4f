/* output.c — ss-style table, JSON and summary of a socket list. */
#include <arpa/inet.h>
#include <stddef.h>
#include <inttypes.h>
#include <netdb.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cli/json.h"
#include "sockit/endpoint.h"
#include "sockit/escape.h"
#include "sockets/output.h"

static bool resolve_names;

void output_set_resolve(bool on)
{
	resolve_names = on;
}

/* -r, as ss -r prints: an IPv4 address by its name when it has one (not
 * 0.0.0.0), IPv6 addresses as numbers, the port by its /etc/services name.
 * buf holds the numeric "ADDR:PORT" and is rewritten in place. */
static void resolve_in_place(const struct sock_entry *e, const struct sockaddr *sa,
                             socklen_t sl, uint16_t port, char *buf, size_t len)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
	char *colon = strrchr(buf, ':');
	char addr[NI_MAXHOST], serv[64];
	struct servent *se;

	if (!colon)
		return;
	snprintf(addr, sizeof addr, "%.*s", (int)(colon - buf), buf);
	snprintf(serv, sizeof serv, "%s", colon + 1);
	if (e->family == AF_INET && sin->sin_addr.s_addr != 0)
		getnameinfo(sa, sl, addr, sizeof addr, NULL, 0, NI_NAMEREQD);
	if (port && (se = getservbyport(htons(port), e->netid == NETID_UDP ? "udp" : "tcp")))
		snprintf(serv, sizeof serv, "%s", se->s_name);
	snprintf(buf, len, "%s:%s", addr, serv);
}

static bool unspecified6(const uint8_t *a)
{
	static const uint8_t zero[16];

	return memcmp(a, zero, 16) == 0;
}

static unsigned dec_len(unsigned v)
{
	return v >= 10000 ? 5 : v >= 1000 ? 4 : v >= 100 ? 3 : v >= 10 ? 2 : 1;
}

/* Decimal digits of v (< 100000) at p; returns the end.  Written from the
 * last digit back to their known places: no reversal loop (formatting was
 * the largest user-space cost of a filtered listing). */
static char *put_dec(char *p, unsigned v)
{
	unsigned n = dec_len(v);

	for (unsigned i = n; i-- > 0; v /= 10)
		p[i] = (char)('0' + v % 10);
	return p + n;
}

/* "A.B.C.D:PORT" (or ":*" for port 0) without printf: a listing formats
 * two of these per socket, and printf's parsing was a tenth of -tan's
 * time.  len must hold 22 bytes. */
static char *format_v4(const uint8_t *a, uint16_t port, char *buf)
{
	char *p = buf;

	for (int i = 0; i < 4; i++) {
		p = put_dec(p, a[i]);
		*p++ = i < 3 ? '.' : ':';
	}
	if (port)
		p = put_dec(p, port);
	else
		*p++ = '*';
	*p = '\0';
	return buf;
}

/* Build the sockaddr and let the library format it; port 0 means "any"
 * (a listener's peer), which ss and netstat print as *. */
static char *format_endpoint(const struct sock_entry *e, bool local, char *buf,
                             size_t len)
{
	const uint8_t *addr = local ? e->laddr : e->raddr;
	uint16_t port = local ? e->lport : e->rport;
	struct sockaddr_storage ss;
	socklen_t sl;
	size_t n;

	if (e->family == AF_INET && !resolve_names && len >= 22)
		return format_v4(addr, port, buf);
	memset(&ss, 0, sizeof ss);
	if (e->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, addr, 4);
		sl = sizeof *sin;
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, addr, 16);
		sl = sizeof *s6;
	}
	/* ss: an IPv6 socket bound to :: that also takes IPv4 (not V6ONLY)
	 * shows its unspecified addresses as "*". */
	if (e->family == AF_INET6 && !e->v6only && unspecified6(e->laddr) &&
	    unspecified6(addr))
		snprintf(buf, len, "*:%u", port);
	else
		sk_addr_format((struct sockaddr *)&ss, sl, buf, len);
	n = strlen(buf);
	if (port == 0 && n >= 2 && strcmp(buf + n - 2, ":0") == 0)
		buf[n - 1] = '*';
	if (resolve_names)
		resolve_in_place(e, (struct sockaddr *)&ss, sl, port, buf, len);
	return buf;
}

/* A packet socket as ss -n shows it: PROTOCOL:DEVICE, "*" for every
 * protocol (ETH_P_ALL) and for no device, else "[ethertype]" and the name. */
static char *format_packet(const struct sock_entry *e, char *buf, size_t len)
{
	char proto[16], dev[IF_NAMESIZE + 1];

	if (e->lport == 3 /* ETH_P_ALL */)
		snprintf(proto, sizeof proto, "*");
	else
		snprintf(proto, sizeof proto, "[%u]", e->lport);
	if (!e->ifindex)
		snprintf(dev, sizeof dev, "*");
	else if (!if_indextoname(e->ifindex, dev))
		snprintf(dev, sizeof dev, "%u", e->ifindex);
	snprintf(buf, len, "%s:%s", proto, dev);
	return buf;
}

char *format_local(const struct sock_entry *e, char *buf, size_t len)
{
	char path[4 * 108 + 1];

	if (sock_is_inet(e))
		return format_endpoint(e, true, buf, len);
	if (e->family == AF_PACKET)
		return format_packet(e, buf, len);
	/* Netlink: PROTOCOL:PORTID, which ss prints signed. */
	if (e->family == AF_NETLINK) {
		snprintf(buf, len, "%u:%d", e->nl_proto, (int)e->nl_portid);
		return buf;
	}
	/* Bytes outside printable ASCII (and '\\') as \xNN, so a hostile
	 * name cannot inject escapes or newlines into the table. */
	if (e->path)
		sk_escape(path, sizeof path, e->path, strlen(e->path), SK_ESCAPE_BACKSLASH, NULL);
	snprintf(buf, len, "%s %u", e->path ? path : "*", e->inode);
	return buf;
}

char *format_peer(const struct sock_entry *e, char *buf, size_t len)
{
	if (sock_is_inet(e))
		return format_endpoint(e, false, buf, len);
	/* A connected netlink socket: GROUP:PORTID of its peer, as in ss. */
	if (e->family == AF_NETLINK && e->nl_state == 1) {
		snprintf(buf, len, "%u:%d", e->nl_dst_group, (int)e->nl_dst_portid);
		return buf;
	}
	if (e->family == AF_PACKET || e->family == AF_NETLINK) {
		snprintf(buf, len, "*");
		return buf;
	}
	snprintf(buf, len, "* %u", e->peer_inode);
	return buf;
}

/* A comm is 15 bytes the process chose itself: keep it printable. */
static void clean_comm(const char *comm, char out[16])
{
	size_t i;

	for (i = 0; i < 15 && comm[i]; i++)
		out[i] = (comm[i] > 0x20 && comm[i] < 0x7f) ? comm[i] : '?';
	out[i] = '\0';
}

void output_text_header(FILE *out, const struct out_opts *o, int lw, int pw)
{
	if (!o->no_netid)
		fprintf(out, "%-5s ", "Netid");
	if (!o->no_state)
		fprintf(out, "%-10s ", "State");
	fprintf(out, "%6s %6s %-*s %-*s", "Recv-Q", "Send-Q", lw, "Local Address:Port", pw,
	        "Peer Address:Port");
	/* -e's details follow without a title of their own, as in ss. */
	if (o->process)
		fprintf(out, " %s", "Process");
	fputc('\n', out);
}

/* One table line is built in a buffer and written at once: at 60k
 * sockets, printf's per-field parsing was a third of the run time. */
#define LINE_CAP 4096

struct line {
	char *buf; /* LINE_CAP bytes */
	size_t n;
};

/* s (len bytes), then spaces up to width, then one separating space. */
static void put_pad(struct line *l, const char *s, size_t len, int width)
{
	size_t pad = width > (int)len ? (size_t)width - len : 0;

	if (l->n + len + pad + 1 >= LINE_CAP)
		return;
	memcpy(l->buf + l->n, s, len);
	memset(l->buf + l->n + len, ' ', pad + 1);
	l->n += len + pad + 1;
}

static void put_pad0(struct line *l, const char *s, int width)
{
	put_pad(l, s, strlen(s), width);
}

/* v right-aligned in width, then one space. */
static void put_num(struct line *l, unsigned v, int width)
{
	char digits[16];
	int n = 0;

	do
		digits[sizeof digits - 1 - n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < 15);
	for (int i = n; i < width; i++)
		l->buf[l->n++] = ' ';
	memcpy(l->buf + l->n, digits + sizeof digits - n, (size_t)n);
	l->n += (size_t)n;
	l->buf[l->n++] = ' ';
}

static void put_extended(struct line *l, const struct sock_entry *e, bool oneline)
{
	l->n += output_details_text(l->buf + l->n, LINE_CAP - 1 - l->n, e, oneline);
}

/* The text of one address column and its length. */
struct col {
	const char *s;
	size_t len;
};

/* One line, newline included, into l (empty, LINE_CAP bytes). */
static void render_row(struct line *l, const struct sock_entry *e, const struct out_opts *o,
                       struct col local, struct col peer, int lw, int pw)
{
	char comm[16];

	if (!o->no_netid)
		put_pad0(l, netid_name(e->netid), 5);
	if (!o->no_state)
		put_pad0(l, state_name(e->state, e->netid), 10);
	put_num(l, e->rq, 6);
	put_num(l, e->wq, 6);
	put_pad(l, local.s, local.len, lw);
	put_pad(l, peer.s, peer.len, pw);
	l->n--; /* no space after the last column */
	if (o->process) {
		clean_comm(e->comm, comm);
		if (e->pid > 0)
			l->n += (size_t)snprintf(l->buf + l->n, 40, " %d/%s", e->pid, comm);
		else
			l->n += (size_t)snprintf(l->buf + l->n, 40, " -");
	}
	if (o->timers)
		l->n += output_timer_text(l->buf + l->n, LINE_CAP - 1 - l->n, e);
	if (o->extended)
		put_extended(l, e, o->oneline);
	if (o->memory || o->info)
		l->n += output_meminfo_text(l->buf + l->n, LINE_CAP - 1 - l->n, e, o);
	l->buf[l->n++] = '\n';
}

static struct col col_of(const char *s)
{
	return (struct col){s, strlen(s)};
}

void output_text_line(FILE *out, const struct sock_entry *e, const struct out_opts *o,
                      int lw, int pw)
{
	char local[SK_ADDRSTRLEN * 3], peer[SK_ADDRSTRLEN], buf[LINE_CAP];
	struct line l = {buf, 0};

	render_row(&l, e, o, col_of(format_local(e, local, sizeof local)),
	           col_of(format_peer(e, peer, sizeof peer)), lw, pw);
	fwrite(l.buf, 1, l.n, out);
}

/* Column widths: the longest address, at least the title. */
void output_widths(const struct sock_list *l, int *lw, int *pw)
{
	char buf[SK_ADDRSTRLEN * 3];

	*lw = 18;
	*pw = 17;
	for (size_t i = 0; i < l->n; i++) {
		int a = (int)strlen(format_local(&l->v[i], buf, sizeof buf));
		int b = (int)strlen(format_peer(&l->v[i], buf, sizeof buf));

		*lw = a > *lw ? a : *lw;
		*pw = b > *pw ? b : *pw;
	}
}

/* IPv4 addresses without names are formatted without a library call: a
 * table only measures them (digits) before it knows its widths, and
 * formats them once, into the line.  Every other address is formatted
 * once and kept (-r may ask DNS for it). */
static bool quick_v4(const struct sock_entry *e)
{
	return e->family == AF_INET && !resolve_names;
}

/* strlen(format_v4(a, port, ...)). */
static int v4_len(const uint8_t *a, uint16_t port)
{
	return (int)(dec_len(a[0]) + dec_len(a[1]) + dec_len(a[2]) + dec_len(a[3]) + 4 +
	             (port ? dec_len(port) : 1));
}

/* The kept texts (local, peer, NUL-terminated) of the entries that are
 * not quick_v4, back to back in entry order; the lines read them in the
 * same order from `next`. */
struct addr_texts {
	char *text;
	size_t len, cap, next;
};

static int add_text(struct addr_texts *t, const char *s)
{
	size_t n = strlen(s) + 1;

	if (t->len + n > t->cap) {
		size_t cap = (t->cap ? t->cap * 2 : 65536) + n;
		char *text = realloc(t->text, cap);

		if (!text)
			return -1;
		t->text = text;
		t->cap = cap;
	}
	memcpy(t->text + t->len, s, n);
	t->len += n;
	return (int)n - 1;
}

/* Keep e's texts in t and give their lengths; -1 when out of memory. */
static int keep_texts(const struct sock_entry *e, struct addr_texts *t, int *a, int *b)
{
	char buf[SK_ADDRSTRLEN * 3];

	if ((*a = add_text(t, format_local(e, buf, sizeof buf))) < 0 ||
	    (*b = add_text(t, format_peer(e, buf, sizeof buf))) < 0)
		return -1;
	return 0;
}

static int format_all(const struct sock_list *l, struct addr_texts *t, int *lw, int *pw)
{
	memset(t, 0, sizeof *t);
	*lw = 18;
	*pw = 17;
	for (size_t i = 0; i < l->n; i++) {
		const struct sock_entry *e = &l->v[i];
		int a, b;

		if (quick_v4(e)) {
			a = v4_len(e->laddr, e->lport);
			b = v4_len(e->raddr, e->rport);
		} else if (keep_texts(e, t, &a, &b) < 0)
			return -1;
		*lw = a > *lw ? a : *lw;
		*pw = b > *pw ? b : *pw;
	}
	return 0;
}

/* The next entry's address columns: formatted into the buffers, or the
 * next kept pair of t. */
static void texts_of(const struct sock_entry *e, struct addr_texts *t, char lbuf[22],
                     char pbuf[22], struct col *local, struct col *peer)
{
	if (quick_v4(e)) {
		*local = col_of(format_v4(e->laddr, e->lport, lbuf));
		*peer = col_of(format_v4(e->raddr, e->rport, pbuf));
		return;
	}
	*local = col_of(t->text + t->next);
	t->next += local->len + 1;
	*peer = col_of(t->text + t->next);
	t->next += peer->len + 1;
}

/* Lines are built straight into a block of this size, written when the
 * next one might not fit: one fwrite per block, not per line. */
#define BLOCK_CAP (64 * 1024)

static void write_rows(FILE *out, const struct sock_list *l, struct addr_texts *t,
                       const struct out_opts *o, int lw, int pw)
{
	char *block = malloc(BLOCK_CAP), lbuf[22], pbuf[22], one[LINE_CAP];
	size_t used = 0;

	for (size_t i = 0; i < l->n; i++) {
		struct line line = {block ? block + used : one, 0};
		struct col local, peer;

		texts_of(&l->v[i], t, lbuf, pbuf, &local, &peer);
		render_row(&line, &l->v[i], o, local, peer, lw, pw);
		used += line.n;
		if (!block || used > BLOCK_CAP - LINE_CAP) {
			fwrite(block ? block : one, 1, block ? used : line.n, out);
			used = 0;
		}
	}
	if (used)
		fwrite(block, 1, used, out);
	free(block);
}

void output_text(FILE *out, const struct sock_list *l, const struct out_opts *o)
{
	struct addr_texts t;
	int lw, pw;

	if (format_all(l, &t, &lw, &pw) < 0) {
		/* Out of memory for the texts: format each line twice instead. */
		output_widths(l, &lw, &pw);
		if (o->header)
			output_text_header(out, o, lw, pw);
		for (size_t i = 0; i < l->n; i++)
			output_text_line(out, &l->v[i], o, lw, pw);
	} else {
		if (o->header)
			output_text_header(out, o, lw, pw);
		write_rows(out, l, &t, o, lw, pw);
	}
	free(t.text);
}

/* A JSON string through the kit's one escaper (cli/json.h): paths are
 * bytes, not always UTF-8; invalid bytes come out as \u00XX. */
static void json_str0(FILE *out, const char *s)
{
	json_string(out, s, strlen(s));
}

static void json_addr(FILE *out, const char *key, const struct sock_entry *e, bool local)
{
	char host[INET6_ADDRSTRLEN];

	inet_ntop(e->family, local ? e->laddr : e->raddr, host, sizeof host);
	fprintf(out, ",\"%s_address\":", key);
	json_str0(out, host);
	fprintf(out, ",\"%s_port\":%u", key, local ? e->lport : e->rport);
}

static void json_tcpinfo(FILE *out, const struct sock_tcpinfo *t)
{
	fprintf(out,
	        ",\"tcp_info\":{\"rtt_us\":%u,\"rttvar_us\":%u,\"cwnd\":%u,"
	        "\"retransmits\":%u,\"total_retrans\":%u,\"bytes_sent\":%" PRIu64
	        ",\"bytes_acked\":%" PRIu64 ",\"bytes_received\":%" PRIu64 "}",
	        t->rtt_us, t->rttvar_us, t->snd_cwnd, t->retransmits, t->total_retrans,
	        t->bytes_sent, t->bytes_acked, t->bytes_received);
}

void output_json_object(FILE *out, const struct sock_entry *e, const struct out_opts *o)
{
	char buf[SK_ADDRSTRLEN * 3];

	fprintf(
	    out,
	    "{\"netid\":\"%s\",\"state\":\"%s\",\"recv_q\":%u,\"send_q\":%u,\"local\":",
	    netid_name(e->netid), state_name(e->state, e->netid), e->rq, e->wq);
	json_str0(out, format_local(e, buf, sizeof buf));
	fputs(",\"peer\":", out);
	json_str0(out, format_peer(e, buf, sizeof buf));
	if (e->family == AF_UNIX) {
		fputs(",\"family\":\"unix\",\"path\":", out);
		if (e->path)
			json_str0(out, e->path);
		else
			fputs("null", out);
		fprintf(out, ",\"peer_inode\":%u", e->peer_inode);
	} else if (e->family == AF_PACKET) {
		fprintf(out, ",\"family\":\"packet\",\"protocol\":%u,\"ifindex\":%u",
		        e->lport, e->ifindex);
	} else if (e->family == AF_NETLINK) {
		fprintf(out,
		        ",\"family\":\"netlink\",\"protocol\":%u,\"portid\":%u,"
		        "\"connected\":%s,\"dst_portid\":%u,\"dst_group\":%u",
		        e->nl_proto, e->nl_portid, e->nl_state == 1 ? "true" : "false",
		        e->nl_dst_portid, e->nl_dst_group);
	} else {
		fprintf(out, ",\"family\":\"%s\"",
		        e->family == AF_INET ? "inet" : "inet6");
		json_addr(out, "local", e, true);
		json_addr(out, "peer", e, false);
	}
	fprintf(out, ",\"inode\":%u", e->inode);
	if (e->has_uid)
		fprintf(out, ",\"uid\":%u", e->uid);
	if (o->process && e->pid > 0) {
		fprintf(out, ",\"pid\":%d,\"process\":", e->pid);
		json_str0(out, e->comm);
	} else if (o->process) {
		fputs(",\"pid\":null,\"process\":null", out);
	}
	if (o->extended) {
		output_details_json(out, e);
		if (e->has_tcpinfo)
			json_tcpinfo(out, &e->ti);
	}
	output_extra_json(out, e, o);
	fputc('}', out);
}

void output_json(FILE *out, const struct sock_list *l, const struct out_opts *o)
{
	fputc('[', out);
	for (size_t i = 0; i < l->n; i++) {
		fputs(i ? ",\n " : "\n ", out);
		output_json_object(out, &l->v[i], o);
	}
	fputs(l->n ? "\n]\n" : "]\n", out);
}

static void count_states(const struct sock_list *l, size_t counts[NETID_COUNT][ST_MAX])
{
	memset(counts, 0, sizeof(size_t) * NETID_COUNT * ST_MAX);
	for (size_t i = 0; i < l->n; i++) {
		unsigned st =
		    l->v[i].state == ST_NEW_SYN_RECV ? ST_SYN_RECV : l->v[i].state;

		if (l->v[i].netid < NETID_COUNT && st < ST_MAX)
			counts[l->v[i].netid][st]++;
	}
}

static size_t row_total(const size_t row[ST_MAX])
{
	size_t t = 0;

	for (unsigned s = 0; s < ST_MAX; s++)
		t += row[s];
	return t;
}

/* One netid's counts as JSON: "tcp":{"total":N,"states":{"ESTAB":N,...}}. */
static void summary_row(FILE *out, unsigned id, const size_t row[ST_MAX])
{
	bool first = true;

	fprintf(out, "\"%s\":{\"total\":%zu,\"states\":{", netid_name(id), row_total(row));
	for (unsigned s = 0; s < ST_MAX; s++) {
		if (!row[s])
			continue;
		fprintf(out, "%s\"%s\":%zu", first ? "" : ",", state_name(s, id), row[s]);
		first = false;
	}
	fputs("}}", out);
}

/* ss's get_sockstat: "sockets: used N", "TCP: inuse N orphan N tw N
 * alloc N mem N", "UDP: inuse N", "RAW: inuse N", "FRAG: inuse N memory N"
 * and their IPv6 lines. */
struct sockstat_raw {
	long socks, tcp4, tcp6, orphans, tws, alloc, udp4, udp6, raw4, raw6, frag4, frag6;
};

static void sockstat_line(const char *line, struct sockstat_raw *r)
{
	static const struct {
		const char *id;
		size_t off;
	} one[] = {
	    {"sockets: used %ld", offsetof(struct sockstat_raw, socks)},
	    {"UDP: inuse %ld", offsetof(struct sockstat_raw, udp4)},
	    {"UDP6: inuse %ld", offsetof(struct sockstat_raw, udp6)},
	    {"RAW: inuse %ld", offsetof(struct sockstat_raw, raw4)},
	    {"RAW6: inuse %ld", offsetof(struct sockstat_raw, raw6)},
	    {"TCP6: inuse %ld", offsetof(struct sockstat_raw, tcp6)},
	    {"FRAG: inuse %ld", offsetof(struct sockstat_raw, frag4)},
	    {"FRAG6: inuse %ld", offsetof(struct sockstat_raw, frag6)},
	};

	for (size_t i = 0; i < sizeof one / sizeof one[0]; i++)
		if (sscanf(line, one[i].id, (long *)((char *)r + one[i].off)) == 1)
			return;
	sscanf(line, "TCP: inuse %ld orphan %ld tw %ld alloc %ld", &r->tcp4, &r->orphans,
	       &r->tws, &r->alloc);
}

static int read_sockstat(const char *path, struct sockstat_raw *r)
{
	FILE *f = fopen(path, "r");
	char line[256];

	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		sockstat_line(line, r);
	fclose(f);
	return 0;
}

/* ss's get_snmp_int("Tcp:", "CurrEstab"): the value under the name in
 * the second of the two "Tcp:" lines. */
static long snmp_tcp_estab(void)
{
	FILE *f = fopen("/proc/net/snmp", "r");
	char names[1024], values[1024];
	long v = 0;

	if (!f)
		return 0;
	while (fgets(names, sizeof names, f)) {
		char *sn, *sv, *n, *val;

		if (strncmp(names, "Tcp:", 4) != 0 || !fgets(values, sizeof values, f))
			continue;
		n = strtok_r(names, " \n", &sn);
		val = strtok_r(values, " \n", &sv);
		while (n && val && strcmp(n, "CurrEstab") != 0) {
			n = strtok_r(NULL, " \n", &sn);
			val = strtok_r(NULL, " \n", &sv);
		}
		if (n && val)
			v = strtol(val, NULL, 10);
		break;
	}
	fclose(f);
	return v;
}

int summary_from_proc(struct ss_summary *s)
{
	struct sockstat_raw r;

	memset(&r, 0, sizeof r);
	memset(s, 0, sizeof *s);
	if (read_sockstat("/proc/net/sockstat", &r) < 0)
		return -1;
	read_sockstat("/proc/net/sockstat6", &r); /* absent without IPv6 */
	s->socks = r.socks;
	/* ss's arithmetic, kept as it is so the lines agree. */
	s->tcp_all = r.alloc + r.tws;
	s->tcp_estab = snmp_tcp_estab();
	s->tcp_closed = r.alloc - (r.tcp4 + r.tcp6 - r.tws);
	s->tcp_orphaned = r.orphans;
	s->tcp_tw = r.tws;
	s->raw[0] = r.raw4, s->raw[1] = r.raw6;
	s->udp[0] = r.udp4, s->udp[1] = r.udp6;
	s->tcp[0] = r.tcp4, s->tcp[1] = r.tcp6;
	s->frag[0] = r.frag4, s->frag[1] = r.frag6;
	return 0;
}

void summary_from_list(struct ss_summary *s, const struct sock_list *l)
{
	memset(s, 0, sizeof *s);
	s->socks = (long)l->n;
	for (size_t i = 0; i < l->n; i++) {
		const struct sock_entry *e = &l->v[i];
		int v6 = e->family == AF_INET6;

		if (!sock_is_inet(e))
			continue;
		if (e->netid == NETID_RAW)
			s->raw[v6]++;
		else if (e->netid == NETID_UDP)
			s->udp[v6]++;
		if (e->netid != NETID_TCP)
			continue;
		s->tcp_all++;
		/* CurrEstab counts ESTABLISHED and CLOSE-WAIT. */
		s->tcp_estab += e->state == ST_ESTABLISHED || e->state == ST_CLOSE_WAIT;
		s->tcp_closed += e->state == ST_CLOSE;
		if (e->state == ST_TIME_WAIT)
			s->tcp_tw++;
		else
			s->tcp[v6]++;
	}
}

static void summary_text(FILE *out, const struct ss_summary *s)
{
	const struct {
		const char *name;
		long v4, v6;
	} rows[] = {
	    {"RAW", s->raw[0], s->raw[1]},
	    {"UDP", s->udp[0], s->udp[1]},
	    {"TCP", s->tcp[0], s->tcp[1]},
	    {"INET", s->raw[0] + s->udp[0] + s->tcp[0], s->raw[1] + s->udp[1] + s->tcp[1]},
	    {"FRAG", s->frag[0], s->frag[1]},
	};

	fprintf(out, "Total: %ld\n", s->socks);
	fprintf(out, "TCP:   %ld (estab %ld, closed %ld, orphaned %ld, timewait %ld)\n\n",
	        s->tcp_all, s->tcp_estab, s->tcp_closed, s->tcp_orphaned, s->tcp_tw);
	fputs("Transport Total     IP        IPv6\n", out);
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		fprintf(out, "%s\t  %-9ld %-9ld %-9ld\n", rows[i].name, rows[i].v4 + rows[i].v6,
		        rows[i].v4, rows[i].v6);
	fputc('\n', out);
}

static void summary_json(FILE *out, const struct ss_summary *s)
{
	const struct {
		const char *name;
		long v4, v6;
	} rows[] = {
	    {"raw", s->raw[0], s->raw[1]},
	    {"udp", s->udp[0], s->udp[1]},
	    {"tcp", s->tcp[0], s->tcp[1]},
	    {"inet", s->raw[0] + s->udp[0] + s->tcp[0], s->raw[1] + s->udp[1] + s->tcp[1]},
	    {"frag", s->frag[0], s->frag[1]},
	};

	fprintf(out,
	        "\"sockstat\":{\"total\":%ld,\"tcp\":{\"total\":%ld,\"estab\":%ld,"
	        "\"closed\":%ld,\"orphaned\":%ld,\"timewait\":%ld},\"transport\":{",
	        s->socks, s->tcp_all, s->tcp_estab, s->tcp_closed, s->tcp_orphaned, s->tcp_tw);
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		fprintf(out, "%s\"%s\":{\"total\":%ld,\"ip\":%ld,\"ipv6\":%ld}", i ? "," : "",
		        rows[i].name, rows[i].v4 + rows[i].v6, rows[i].v4, rows[i].v6);
	fputs("}}", out);
}

void output_summary(FILE *out, const struct ss_summary *s, const struct sock_list *l,
                    bool json)
{
	size_t counts[NETID_COUNT][ST_MAX];
	bool first = true;

	if (!json) {
		summary_text(out, s);
		return;
	}
	count_states(l, counts);
	fprintf(out, "{\"total\":%zu,\"netids\":{", l->n);
	for (unsigned id = 0; id < NETID_COUNT; id++) {
		if (!row_total(counts[id]))
			continue;
		if (!first)
			fputc(',', out);
		summary_row(out, id, counts[id]);
		first = false;
	}
	fputs("},", out);
	summary_json(out, s);
	fputs("}\n", out);
}
