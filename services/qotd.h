/* qotd.h — the quote-of-the-day service's quote list (RFC 865). */
#ifndef SOCKIT_QOTD_H
#define SOCKIT_QOTD_H

#include <stddef.h>

#define QOTD_MAX_REPLY 511            /* RFC 865: "less than 512 characters" */
#define QOTD_MAX_FILE (1024 * 1024)   /* a quotes file larger than this is refused */
#define QOTD_MAX_QUOTES 65536

/* A list of ready-to-send replies, each ending in CRLF, packed in one
 * block of memory. */
struct qotd_list {
	char *text;        /* the replies, back to back */
	size_t *off;       /* n + 1 offsets into text */
	size_t n;
	unsigned long next; /* the next quote to hand out (atomic) */
};

/* Parse a quotes file held in memory: a line holding only "%" separates
 * quotes (the fortune format); a text without any such line has one
 * quote per line.  Blank quotes are skipped; each line ends in CRLF on
 * the wire.  Returns 0, or -1 with err naming the line
 * ("quotes.txt:12: quote longer than 511 bytes"). */
int qotd_parse(struct qotd_list *q, const char *text, size_t len,
               const char *name, char *err, size_t errlen);

/* The built-in list, used when no quotes file is configured. */
int qotd_builtin(struct qotd_list *q);

/* Free what qotd_parse or qotd_builtin allocated. */
void qotd_free(struct qotd_list *q);

/* The next reply (round robin, safe across threads); its length in *len. */
const char *qotd_next(struct qotd_list *q, size_t *len);

#endif
