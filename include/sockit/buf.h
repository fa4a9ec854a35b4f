/* buf.h — a growable byte queue: append at the end, consume at the front. */
#ifndef SOCKIT_BUF_H
#define SOCKIT_BUF_H

#include <stddef.h>

struct sk_buf {
	char *data;
	size_t start;   /* first live byte */
	size_t end;     /* one past the last live byte */
	size_t cap;
};

#define SK_BUF_INIT { NULL, 0, 0, 0 }

/* Live bytes and where they start. */
static inline size_t sk_buf_len(const struct sk_buf *b) { return b->end - b->start; }
static inline char *sk_buf_head(const struct sk_buf *b) { return b->data + b->start; }

/* Make room for at least n more bytes at the end; returns a pointer to
 * that room, or NULL (ENOMEM).  Compacts before it grows. */
char *sk_buf_reserve(struct sk_buf *b, size_t n);

/* Mark n bytes written at the pointer sk_buf_reserve returned. */
void sk_buf_commit(struct sk_buf *b, size_t n);

/* Append len bytes; 0 or -1 (ENOMEM). */
int sk_buf_append(struct sk_buf *b, const void *data, size_t len);

/* Drop n bytes from the front (n <= length).  An empty buffer rewinds. */
void sk_buf_consume(struct sk_buf *b, size_t n);

/* Release the memory; the buffer is empty and reusable. */
void sk_buf_free(struct sk_buf *b);

#endif
