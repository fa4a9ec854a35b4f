/* dump.c — write and replay recorded sock_diag replies (see dump.h). */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netlink.h>

#include "sockets/dump.h"
#include "sockit/parse.h"

static const char *const kind_names[DIAG_KINDS] = {"tcp", "udp",    "unix",
                                                   "raw", "packet", "netlink"};

/* The longest line: "nl unix " + two hex digits per message byte. */
#define LINE_MAX_LEN (16 + 2 * DUMP_MSG_MAX)

static void put_hex(FILE *f, const void *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++) {
		putc(digits[p[i] >> 4], f);
		putc(digits[p[i] & 15], f);
	}
}

void dump_write_header(FILE *f, unsigned lo, unsigned hi)
{
	fprintf(f,
	        "# sockit sockets dump 1: raw sock_diag replies, then socket owners\n"
	        "ports %u %u\n", lo, hi);
}

void dump_write_auto(FILE *f, const uint64_t *cookies, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "auto %" PRIx64 "\n", cookies[i]);
}

void dump_write_msg(FILE *f, enum diag_kind kind, const struct nlmsghdr *nlh)
{
	if (nlh->nlmsg_len > DUMP_MSG_MAX)
		return;
	fprintf(f, "nl %s ", kind_names[kind]);
	put_hex(f, nlh, nlh->nlmsg_len);
	putc('\n', f);
}

void dump_write_owners(FILE *f, const struct procmap *m, const struct sock_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct proc_owner *o = procmap_find(m, l->v[i].inode);

		if (!o)
			continue;
		fprintf(f, "fd %d %u ", o->pid, o->inode);
		put_hex(f, o->comm, strlen(o->comm));
		putc('\n', f);
	}
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode hex text into out (at most cap bytes); returns the length or -1. */
static ssize_t unhex(const char *text, unsigned char *out, size_t cap)
{
	size_t len = strlen(text);

	if (len % 2 || len / 2 > cap)
		return -1;
	for (size_t i = 0; i < len / 2; i++) {
		int hi = hexval(text[2 * i]), lo = hexval(text[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return (ssize_t)(len / 2);
}

static int kind_of(const char *name)
{
	for (int k = 0; k < DIAG_KINDS; k++)
		if (strcmp(name, kind_names[k]) == 0)
			return k;
	return -1;
}

static int read_msg(char *rest, struct sock_list *out)
{
	/* The buffer is aligned for nlmsghdr and sized to the message. */
	static uint32_t msg[DUMP_MSG_MAX / 4];
	char *hex = strchr(rest, ' ');
	ssize_t len;
	int kind;

	if (!hex)
		return -1;
	*hex++ = '\0';
	if ((kind = kind_of(rest)) < 0 ||
	    (len = unhex(hex, (unsigned char *)msg, sizeof msg)) < 0)
		return -1;
	if ((size_t)len < sizeof(struct nlmsghdr) ||
	    ((struct nlmsghdr *)msg)->nlmsg_len != (size_t)len)
		return -1;
	return diag_parse((struct nlmsghdr *)msg, (enum diag_kind)kind, out) < 0 ? -2 : 0;
}

static int read_owner(const char *rest, struct procmap *m)
{
	char pidw[12], inodew[12], hex[40], comm[17];
	long long pid, inode;
	ssize_t len;

	/* Words first, numbers through the one bounded parser: sscanf's %d
	 * is undefined on overflow, and a dump file is input. */
	if (sscanf(rest, "%11s %11s %39s", pidw, inodew, hex) != 3 ||
	    sk_parse_num(pidw, 1, INT_MAX, &pid, NULL, NULL, 0) < 0 ||
	    sk_parse_num(inodew, 0, UINT32_MAX, &inode, NULL, NULL, 0) < 0)
		return -1;
	if ((len = unhex(hex, (unsigned char *)comm, 16)) < 0)
		return -1;
	comm[len] = '\0';
	return procmap_add(m, (unsigned)inode, (int)pid, comm) < 0 ? -2 : 0;
}

/* What a dump says beside the messages and owners. */
struct dump_state {
	struct dump_ports ports;
	uint64_t *cookies; /* the auto lines */
	size_t n, cap;
};

static int read_ports(const char *rest, struct dump_state *st)
{
	char low[8], highw[8];
	long long lo, hi;

	if (sscanf(rest, "%7s %7s", low, highw) != 2 ||
	    sk_parse_num(low, 0, 65535, &lo, NULL, NULL, 0) < 0 ||
	    sk_parse_num(highw, 0, 65535, &hi, NULL, NULL, 0) < 0 || lo > hi)
		return -1;
	st->ports = (struct dump_ports){true, (uint16_t)lo, (uint16_t)hi};
	return 0;
}

static int read_auto(const char *rest, struct dump_state *st)
{
	unsigned char raw[8];
	uint64_t c = 0;
	size_t len = strlen(rest);
	char hex[17] = "0000000000000000";

	/* Hex digits, 1 to 16 of them, right-aligned into 8 bytes. */
	if (len == 0 || len > 16)
		return -1;
	memcpy(hex + 16 - len, rest, len);
	if (unhex(hex, raw, sizeof raw) != 8)
		return -1;
	for (int i = 0; i < 8; i++)
		c = c << 8 | raw[i];
	if (st->n == st->cap) {
		size_t cap = st->cap ? 2 * st->cap : 64;
		uint64_t *v = realloc(st->cookies, cap * sizeof *v);

		if (!v)
			return -2;
		st->cookies = v;
		st->cap = cap;
	}
	st->cookies[st->n++] = c;
	return 0;
}

static int read_line(char *line, struct sock_list *out, struct procmap *m,
                     struct dump_state *st)
{
	line[strcspn(line, "\r\n")] = '\0';
	if (line[0] == '#' || line[0] == '\0')
		return 0;
	if (strncmp(line, "nl ", 3) == 0)
		return read_msg(line + 3, out);
	if (strncmp(line, "fd ", 3) == 0)
		return read_owner(line + 3, m);
	if (strncmp(line, "ports ", 6) == 0)
		return read_ports(line + 6, st);
	if (strncmp(line, "auto ", 5) == 0)
		return read_auto(line + 5, st);
	return -1;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

int dump_read(const char *path, struct sock_list *out, struct procmap *m,
              struct dump_ports *ports, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	struct dump_state st = {{false, 0, 0}, NULL, 0, 0};
	size_t first = out->n;
	char *line;
	unsigned lineno = 0;
	int rc = 0;

	if (!f) {
		snprintf(err, errlen, "dump %s: %s", path, strerror(errno));
		return -1;
	}
	if (!(line = malloc(LINE_MAX_LEN + 2))) {
		fclose(f);
		snprintf(err, errlen, "dump %s: %s", path, strerror(ENOMEM));
		return -1;
	}
	while (rc == 0 && fgets(line, LINE_MAX_LEN + 2, f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f))
			rc = -1;
		else
			rc = read_line(line, out, m, &st);
	}
	if (rc < 0)
		snprintf(err, errlen, "dump %s:%u: %s", path, lineno,
		         rc == -2 ? strerror(ENOMEM) : "malformed line");
	/* The recorder asked the kernel about every inet socket it wrote. */
	if (rc == 0 && st.ports.known) {
		if (st.n)
			qsort(st.cookies, st.n, sizeof *st.cookies, cmp_u64);
		collect_mark_auto(out, first, st.cookies, st.n);
	}
	if (ports)
		*ports = st.ports;
	free(st.cookies);
	free(line);
	fclose(f);
	return rc < 0 ? -1 : 0;
}
