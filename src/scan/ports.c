/* ports.c — port-list parsing for the scanner, and the /etc/services table. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scan/ports.h"
#include "sockit/error.h"

#define NPORTS 65536

/* Read at most SVC_FILE_MAX bytes of path into a NUL-terminated buffer. */
static char *read_small_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	char *buf = malloc(SVC_FILE_MAX + 1);
	size_t len = 0;
	while (buf && len < SVC_FILE_MAX) {
		ssize_t n = read(fd, buf + len, SVC_FILE_MAX - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (buf)
		buf[len] = '\0';
	return buf;
}

/* Whole-string decimal number in [min, max]; no sign, no spaces. */
static bool parse_uint(const char *s, size_t len, unsigned min, unsigned max,
                       unsigned *out)
{
	unsigned long v = 0;

	if (len == 0 || len > 10)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v < min || v > max)
		return false;
	*out = (unsigned)v;
	return true;
}

static void svc_add(struct svc_table *t, const char *name, unsigned port)
{
	if (t->count < SVC_NAMES_MAX)
		t->entries[t->count++] = (struct svc_entry){ name, (uint16_t)port };
}

/* One line: "name port/proto [aliases...] [# comment]". */
static void svc_line(struct svc_table *t, char *line)
{
	char *hash = strchr(line, '#'), *save = NULL;
	if (hash)
		*hash = '\0';
	char *name = strtok_r(line, " \t\r", &save);
	char *pp = strtok_r(NULL, " \t\r", &save);
	if (!name || !pp)
		return;
	char *slash = strchr(pp, '/');
	unsigned port;
	if (!slash || strcmp(slash + 1, "tcp") != 0 ||
	    !parse_uint(pp, (size_t)(slash - pp), 1, 65535, &port))
		return;
	if (!t->primary[port])
		t->primary[port] = name;
	svc_add(t, name, port);
	for (char *alias; (alias = strtok_r(NULL, " \t\r", &save)); )
		svc_add(t, alias, port);
}

int svc_load(struct svc_table *t, const char *path)
{
	memset(t, 0, sizeof *t);
	t->primary = calloc(NPORTS, sizeof *t->primary);
	t->entries = calloc(SVC_NAMES_MAX, sizeof *t->entries);
	if (!t->primary || !t->entries)
		return -1;
	t->text = read_small_file(path);
	if (!t->text)
		return -1;
	char *save = NULL;
	for (char *line = strtok_r(t->text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		svc_line(t, line);
	return 0;
}

void svc_free(struct svc_table *t)
{
	free(t->text);
	free(t->primary);
	free(t->entries);
	memset(t, 0, sizeof *t);
}

const char *svc_name(const struct svc_table *t, unsigned port)
{
	return t && t->primary && port < NPORTS ? t->primary[port] : NULL;
}

int svc_port(const struct svc_table *t, const char *name)
{
	for (size_t i = 0; t && i < t->count; i++)
		if (strcasecmp(t->entries[i].name, name) == 0)
			return t->entries[i].port;
	return -1;
}

/* Eight bytes of the bitmap as one word, port order in bit order. */
static uint64_t bits_word(const uint8_t *bits, size_t i)
{
	uint64_t v;
	memcpy(&v, bits + i * 8, sizeof v);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

/* Turn a bitmap of ports into the sorted list, a 64-bit word at a time
 * (popcount to size it, lowest set bit to fill it): 1024 steps, where
 * testing each of 65535 bits cost more than the whole parse. */
static int list_from_bits(struct port_list *pl, uint8_t *bits)
{
	size_t n = 0;

	bits[0] &= (uint8_t)~1u;          /* port 0 is never scanned */
	for (size_t i = 0; i < NPORTS / 64; i++)
		n += (size_t)__builtin_popcountll(bits_word(bits, i));
	pl->ports = malloc((n ? n : 1) * sizeof *pl->ports);
	if (!pl->ports)
		return -1;
	pl->count = 0;
	for (size_t i = 0; i < NPORTS / 64; i++)
		for (uint64_t v = bits_word(bits, i); v; v &= v - 1)
			pl->ports[pl->count++] = (uint16_t)(i * 64 + (size_t)__builtin_ctzll(v));
	return 0;
}

/* Set ports lo..hi: the partial bytes at the ends bit by bit, the whole
 * bytes between with one memset. */
static void set_range(uint8_t *bits, unsigned lo, unsigned hi)
{
	while (lo <= hi && (lo & 7)) {
		bits[lo >> 3] |= (uint8_t)(1u << (lo & 7));
		lo++;
	}
	if (lo + 8 <= hi + 1) {
		size_t whole = (hi + 1 - lo) / 8;
		memset(bits + (lo >> 3), 0xff, whole);
		lo += (unsigned)whole * 8;
	}
	for (; lo <= hi; lo++)
		bits[lo >> 3] |= (uint8_t)(1u << (lo & 7));
}

/* One bound of a range: empty means the open end (dflt). */
static int range_bound(const char *s, size_t len, unsigned dflt, unsigned *out,
                       const char *spec, char *err, size_t errlen)
{
	if (len == 0) {
		*out = dflt;
		return 0;
	}
	if (parse_uint(s, len, 1, 65535, out))
		return 0;
	if (strspn(s, "0123456789") >= len)
		sk_seterr(err, errlen, "ports '%s': port '%.*s' out of range 1-65535",
		          spec, (int)len, s);
	else
		sk_seterr(err, errlen, "ports '%s': bad port '%.*s'", spec, (int)len, s);
	return -1;
}

/* One item of the list: N, A-B, -B, A-, -, or a service name. */
static int parse_item(uint8_t *bits, const char *item, size_t len,
                      const struct svc_table *svc, const char *spec,
                      char *err, size_t errlen)
{
	if (len == 0) {
		sk_seterr(err, errlen, "ports '%s': empty item", spec);
		return -1;
	}
	if (isalpha((unsigned char)item[0])) {
		char name[64];
		int port = -1;
		if (len < sizeof name) {
			memcpy(name, item, len);
			name[len] = '\0';
			port = svc_port(svc, name);
		}
		if (port < 1) {
			sk_seterr(err, errlen, "ports '%s': unknown service '%.*s'",
			          spec, (int)len, item);
			return -1;
		}
		set_range(bits, (unsigned)port, (unsigned)port);
		return 0;
	}
	const char *dash = memchr(item, '-', len);
	unsigned lo, hi;
	if (!dash) {
		if (range_bound(item, len, 0, &lo, spec, err, errlen) < 0)
			return -1;
		set_range(bits, lo, lo);
		return 0;
	}
	size_t llen = (size_t)(dash - item), rlen = len - llen - 1;
	if (range_bound(item, llen, 1, &lo, spec, err, errlen) < 0 ||
	    range_bound(dash + 1, rlen, 65535, &hi, spec, err, errlen) < 0)
		return -1;
	if (lo > hi) {
		sk_seterr(err, errlen, "ports '%s': range '%.*s' is reversed",
		          spec, (int)len, item);
		return -1;
	}
	set_range(bits, lo, hi);
	return 0;
}

int ports_parse(struct port_list *pl, const char *spec,
                const struct svc_table *svc, char *err, size_t errlen)
{
	memset(pl, 0, sizeof *pl);
	if (!*spec) {
		sk_seterr(err, errlen, "ports '': empty list");
		return -1;
	}
	uint8_t *bits = calloc(NPORTS / 8, 1);
	if (!bits) {
		sk_seterr(err, errlen, "ports: out of memory");
		return -1;
	}
	int rc = 0;
	for (const char *p = spec; rc == 0; ) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		rc = parse_item(bits, p, len, svc, spec, err, errlen);
		if (!comma)
			break;
		p = comma + 1;
	}
	if (rc == 0 && (rc = list_from_bits(pl, bits)) < 0)
		sk_seterr(err, errlen, "ports: out of memory");
	free(bits);
	return rc;
}

int ports_default(struct port_list *pl, const struct svc_table *svc)
{
	uint8_t *bits = calloc(NPORTS / 8, 1);
	if (!bits)
		return -1;
	set_range(bits, 1, 1024);
	for (size_t i = 0; svc && i < svc->count; i++)
		set_range(bits, svc->entries[i].port, svc->entries[i].port);
	int rc = list_from_bits(pl, bits);
	free(bits);
	return rc;
}

void ports_free(struct port_list *pl)
{
	free(pl->ports);
	pl->ports = NULL;
	pl->count = 0;
}
