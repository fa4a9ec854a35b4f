/* hexdump.c — -x FILE / --hexdump: both directions as offset, hex and
 * ASCII, one line per 16 bytes, marked '>' (sent) and '<' (received). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netcat/netcat.h"

struct nc_hexdump {
	FILE *f;
	bool owned;
	unsigned long long off_in, off_out;
};

struct nc_hexdump *nc_hexdump_open(const char *path)
{
	struct nc_hexdump *h = calloc(1, sizeof *h);

	if (!h)
		return NULL;
	if (strcmp(path, "-") == 0) {
		h->f = stderr;
	} else {
		h->f = fopen(path, "we");
		h->owned = true;
	}
	if (!h->f) {
		int saved = errno;
		free(h);
		errno = saved;
		return NULL;
	}
	return h;
}

void nc_hexdump_close(struct nc_hexdump *h)
{
	if (!h)
		return;
	if (h->owned)
		fclose(h->f);
	else
		fflush(h->f);
	free(h);
}

/* One line: "> 00000010  68 65 6c 6c 6f 0a  hello." */
static void line(FILE *f, char dir, unsigned long long off, const unsigned char *p,
                 size_t n)
{
	char hex[16 * 3 + 1], asc[17];

	for (size_t i = 0; i < 16; i++) {
		if (i < n)
			snprintf(hex + 3 * i, 4, "%02x ", p[i]);
		else
			memcpy(hex + 3 * i, "   ", 4);
		asc[i] = i < n ? (isprint(p[i]) ? (char)p[i] : '.') : '\0';
	}
	asc[16] = '\0';
	fprintf(f, "%c %08llx  %s %s\n", dir, off, hex, asc);
}

void nc_hexdump_write(struct nc_hexdump *h, char dir, const char *data, size_t n)
{
	unsigned long long *off = dir == '>' ? &h->off_out : &h->off_in;

	for (size_t i = 0; i < n; i += 16) {
		size_t k = n - i < 16 ? n - i : 16;
		line(h->f, dir, *off, (const unsigned char *)data + i, k);
		*off += k;
	}
	fflush(h->f);
}
