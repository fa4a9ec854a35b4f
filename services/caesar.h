/* caesar.h — the Caesar protocol without I/O: the letter shift, and an
 * incremental parser for requests `(e|d)NN<message>.`.
 *
 * The parser is resumable at any byte (picohttpparser style): a request
 * may arrive one byte per segment or many requests in one segment.  It
 * never copies the message: it hands back runs of message bytes as they
 * arrive, so the service can transform and send them at once and holds
 * no per-request buffer. */
#ifndef SOCKIT_CAESAR_H
#define SOCKIT_CAESAR_H

#include <stdbool.h>
#include <stddef.h>

/* Default longest message, in bytes (excluding the mode, shift and '.'). */
#define CAESAR_MAX_DEFAULT (64 * 1024)

/* Shift the n bytes of in into out (which may equal in): letters move
 * shift places forward (0-25) keeping their case; other bytes pass. */
void caesar_shift(char *out, const char *in, size_t n, unsigned shift);

/* The forward shift that request mode ('e' or 'd') and NN ask for. */
unsigned caesar_forward(char mode, unsigned nn);

enum caesar_state {
	CAESAR_MODE, CAESAR_DIGIT1, CAESAR_DIGIT2, CAESAR_BODY, CAESAR_FAILED,
};

struct caesar_parser {
	enum caesar_state state;
	size_t max;       /* longest message accepted */
	size_t seen;      /* message bytes of the current request so far */
	unsigned nn;      /* the two digits as read */
	unsigned shift;   /* forward shift of the current request */
	char mode;        /* 'e' or 'd' */
	char why[64];     /* the error reply once failed */
};

/* What one caesar_step() found. */
enum caesar_event {
	CAESAR_MORE,      /* consumed everything; the request continues */
	CAESAR_DATA,      /* message bytes to shift by p->shift: data, len
	                   * (maybe 0); end: the '.' came too, reply with it */
	CAESAR_ERROR,     /* malformed: reply with why, then close */
};

struct caesar_out {
	enum caesar_event event;
	const char *data; /* CAESAR_DATA: points into the input */
	size_t len;
	bool end;         /* CAESAR_DATA: the request is complete */
	const char *why;  /* CAESAR_ERROR: "error: ...." (ends with '.') */
};

/* Start a parser accepting messages of up to max bytes (0: default). */
void caesar_parser_init(struct caesar_parser *p, size_t max);

/* Consume input up to the next event and describe it in out: a whole
 * request present in the input is one event.  Returns the bytes consumed
 * (0 only when len is 0 or after an error).  Call again with the rest
 * until it is used up.  After CAESAR_ERROR the
 * parser stays in error: the connection should close. */
size_t caesar_step(struct caesar_parser *p, const char *in, size_t len,
                   struct caesar_out *out);

#endif
