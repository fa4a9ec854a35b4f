/* buf.c — a growable byte queue with a consumed prefix. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sockit/buf.h"

/* Compact first: a queue that is mostly consumed needs no more memory. */
char *sk_buf_reserve(struct sk_buf *b, size_t n)
{
	size_t len = sk_buf_len(b);

	if (b->cap - b->end >= n)
		return b->data + b->end;
	if (b->start > 0 && b->cap - len >= n) {
		memmove(b->data, b->data + b->start, len);
		b->start = 0;
		b->end = len;
		return b->data + b->end;
	}
	if (n > SIZE_MAX / 2 - len) {
		errno = ENOMEM;
		return NULL;
	}
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < len + n)
		cap *= 2;
	char *data = malloc(cap);
	if (!data)
		return NULL;
	if (len)
		memcpy(data, b->data + b->start, len);
	free(b->data);
	b->data = data;
	b->cap = cap;
	b->start = 0;
	b->end = len;
	return b->data + b->end;
}

void sk_buf_commit(struct sk_buf *b, size_t n)
{
	b->end += n;
}

int sk_buf_append(struct sk_buf *b, const void *data, size_t len)
{
	char *room = sk_buf_reserve(b, len);

	if (!room)
		return -1;
	memcpy(room, data, len);
	b->end += len;
	return 0;
}

void sk_buf_consume(struct sk_buf *b, size_t n)
{
	b->start += n;
	if (b->start == b->end)
		b->start = b->end = 0;
}

void sk_buf_free(struct sk_buf *b)
{
	free(b->data);
	*b = (struct sk_buf)SK_BUF_INIT;
}
