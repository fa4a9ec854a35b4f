/* qotd.c — the quote-of-the-day service, RFC 865: one quote, then close;
 * each datagram gets one quote.  Quotes come from a file or a short
 * built-in list. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qotd.h"
#include "service.h"

static const char builtin_quotes[] =
	"Be conservative in what you do, be liberal in what you accept from"
	" others.\n  -- Jon Postel, RFC 793\n%\n"
	"We reject kings, presidents and voting. We believe in rough consensus"
	" and running code.\n  -- David Clark, IETF, 1992\n%\n"
	"Simplicity is prerequisite for reliability.\n  -- Edsger W. Dijkstra\n%\n"
	"Premature optimization is the root of all evil.\n  -- Donald Knuth\n%\n"
	"The best way to predict the future is to invent it.\n  -- Alan Kay\n%\n"
	"Any sufficiently advanced technology is indistinguishable from magic.\n"
	"  -- Arthur C. Clarke\n";

/* Line-by-line builder state. */
struct qotd_build {
	struct qotd_list *q;
	size_t cap;          /* of q->text */
	size_t start;        /* where the quote being built starts in text */
	size_t used;         /* bytes of text written */
	size_t first_line;   /* its first line, for errors */
};

static int text_reserve(struct qotd_build *b, size_t n)
{
	if (b->used + n <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap * 2 : 1024;
	while (cap < b->used + n)
		cap *= 2;
	char *t = realloc(b->q->text, cap);
	if (!t)
		return -1;
	b->q->text = t;
	b->cap = cap;
	return 0;
}

/* Close the quote being built: keep it when it has text. */
static int end_quote(struct qotd_build *b)
{
	struct qotd_list *q = b->q;

	if (b->used == b->start)
		return 0;
	if (q->n >= QOTD_MAX_QUOTES)
		return -1;
	size_t *off = realloc(q->off, (q->n + 2) * sizeof *off);
	if (!off)
		return -1;
	q->off = off;
	q->off[q->n] = b->start;
	q->off[++q->n] = b->used;
	b->start = b->used;
	return 0;
}

/* Append one line of a quote with CRLF; the reply must stay < 512. */
static int add_line(struct qotd_build *b, const char *s, size_t n,
                    const char *name, size_t lineno, char *err, size_t errlen)
{
	if (n && s[n - 1] == '\r')
		n--;
	if (b->used == b->start) {
		if (n == 0)
			return 0;   /* blank lines before a quote: skip */
		b->first_line = lineno;
	}
	if (b->used - b->start + n + 2 > QOTD_MAX_REPLY) {
		snprintf(err, errlen, "%s:%zu: quote longer than %d bytes",
		         name, b->first_line, QOTD_MAX_REPLY);
		return -1;
	}
	if (text_reserve(b, n + 2) < 0) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	memcpy(b->q->text + b->used, s, n);
	memcpy(b->q->text + b->used + n, "\r\n", 2);
	b->used += n + 2;
	return 0;
}

static int has_percent_line(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (text[i] == '%' && (i == 0 || text[i - 1] == '\n') &&
		    (i + 1 == len || text[i + 1] == '\n' ||
		     (text[i + 1] == '\r' && (i + 2 == len || text[i + 2] == '\n'))))
			return 1;
	return 0;
}

static int parse_lines(struct qotd_build *b, const char *text, size_t len,
                       const char *name, char *err, size_t errlen)
{
	int fortune = has_percent_line(text, len);
	size_t lineno = 0;

	for (size_t pos = 0; pos < len; ) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		const char *s = text + pos;
		lineno++;
		pos += n + (nl != NULL);
		int sep = fortune ? (n >= 1 && s[0] == '%' &&
		                     (n == 1 || (n == 2 && s[1] == '\r'))) : 1;
		if (fortune && sep) {
			if (end_quote(b) < 0)
				goto toomany;
			continue;
		}
		if (add_line(b, s, n, name, lineno, err, errlen) < 0)
			return -1;
		if (!fortune && end_quote(b) < 0)
			goto toomany;
	}
	if (end_quote(b) < 0)
		goto toomany;
	return 0;
toomany:
	snprintf(err, errlen, "%s:%zu: more than %d quotes (or out of memory)",
	         name, lineno, QOTD_MAX_QUOTES);
	return -1;
}

int qotd_parse(struct qotd_list *q, const char *text, size_t len,
               const char *name, char *err, size_t errlen)
{
	struct qotd_build b = { .q = q };

	memset(q, 0, sizeof *q);
	if (parse_lines(&b, text, len, name, err, errlen) < 0) {
		qotd_free(q);
		return -1;
	}
	if (q->n == 0) {
		snprintf(err, errlen, "%s: no quotes", name);
		qotd_free(q);
		return -1;
	}
	return 0;
}

int qotd_builtin(struct qotd_list *q)
{
	char err[128];
	return qotd_parse(q, builtin_quotes, sizeof builtin_quotes - 1,
	                  "built-in", err, sizeof err);
}

void qotd_free(struct qotd_list *q)
{
	free(q->text);
	free(q->off);
	memset(q, 0, sizeof *q);
}

const char *qotd_next(struct qotd_list *q, size_t *len)
{
	unsigned long i = __atomic_fetch_add(&q->next, 1, __ATOMIC_RELAXED) % q->n;

	*len = q->off[i + 1] - q->off[i];
	return q->text + q->off[i];
}

/* Read the whole file, refusing one larger than QOTD_MAX_FILE. */
static char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	char *buf = malloc(QOTD_MAX_FILE + 1);
	size_t n = buf ? fread(buf, 1, QOTD_MAX_FILE + 1, f) : 0;
	int bad = !buf || ferror(f);
	fclose(f);
	if (bad || n > QOTD_MAX_FILE) {
		snprintf(err, errlen, "%s: %s", path, bad ? "read error"
		         : "larger than 1 MiB");
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

static int qotd_init(const struct svc_options *opt, void **instance,
                     char *err, size_t errlen)
{
	struct qotd_list *q = calloc(1, sizeof *q);
	int rc;

	if (!q) {
		snprintf(err, errlen, "qotd: out of memory");
		return -1;
	}
	if (opt && opt->quotes_file) {
		size_t len;
		char *text = read_file(opt->quotes_file, &len, err, errlen);
		rc = text ? qotd_parse(q, text, len, opt->quotes_file, err, errlen) : -1;
		free(text);
	} else {
		rc = qotd_builtin(q);
		if (rc < 0)
			snprintf(err, errlen, "qotd: built-in quotes: out of memory");
	}
	if (rc < 0) {
		free(q);
		return -1;
	}
	*instance = q;
	return 0;
}

static void qotd_fini(void *instance)
{
	if (!instance)
		return;
	qotd_free(instance);
	free(instance);
}

static void qotd_open(struct svc_conn *c)
{
	size_t n;
	const char *s = qotd_next(c->instance, &n);

	svc_send(c, s, n);
	svc_end(c, "sent quote");
}

/* Whatever the client sends is ignored (RFC 865). */
static void qotd_bytes(struct svc_conn *c, const char *data, size_t len)
{
	(void)c; (void)data; (void)len;
}

static size_t qotd_datagram(void *instance, const char *in, size_t len,
                            char *out, size_t outcap)
{
	size_t n;
	const char *s = qotd_next(instance, &n);

	(void)in; (void)len;
	if (n > outcap)
		n = outcap;
	memcpy(out, s, n);
	return n;
}

static const char *const qotd_defaults[] = {
	"tcp://127.0.0.1:7017", "udp://127.0.0.1:7017", NULL,
};

const struct service svc_qotd = {
	.name = "qotd",
	.defaults = qotd_defaults,
	.init = qotd_init,
	.fini = qotd_fini,
	.open = qotd_open,
	.bytes = qotd_bytes,
	.datagram = qotd_datagram,
	.dgram_may_amplify = true,
};
