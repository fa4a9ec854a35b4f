/* pattern.c — request payloads and the replies expected for them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"

/* Caesar messages may not contain '.', the request terminator; letters
 * make the cipher do real work, digits and spaces pass through. */
static const char caesar_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 ";
#define CAESAR_SHIFT 7

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static char caesar_char(char c, int shift)
{
	if (c >= 'a' && c <= 'z')
		return (char)('a' + (c - 'a' + shift) % 26);
	if (c >= 'A' && c <= 'Z')
		return (char)('A' + (c - 'A' + shift) % 26);
	return c;
}

static void fill(struct pattern *p, enum bench_mode mode, size_t n)
{
	uint64_t s = 0x9e3779b97f4a7c15ull;

	for (size_t i = 0; i < n; i++) {
		uint64_t r = xorshift(&s);
		if (mode == MODE_CAESAR) {
			p->body[i] = caesar_alphabet[r % (sizeof caesar_alphabet - 1)];
			p->reply_body[i] = caesar_char(p->body[i], CAESAR_SHIFT);
		} else {
			p->body[i] = (char)(r >> 24);
		}
	}
}

int pattern_init(struct pattern *p, enum bench_mode mode, size_t size)
{
	size_t n = size + PATTERN_SPREAD;

	memset(p, 0, sizeof *p);
	p->size = size;
	p->body = malloc(n);
	p->reply_body = mode == MODE_CAESAR ? malloc(n) : p->body;
	if (!p->body || !p->reply_body) {
		pattern_free(p);
		errno = ENOMEM;
		return -1;
	}
	fill(p, mode, n);
	p->prefix = p->suffix = p->reply_suffix = "";
	if (mode == MODE_CAESAR) {
		p->prefix = "e07";      /* encrypt, shift CAESAR_SHIFT */
		p->suffix = p->reply_suffix = ".";
	}
	p->prefix_len = strlen(p->prefix);
	p->suffix_len = strlen(p->suffix);
	p->reply_suffix_len = strlen(p->reply_suffix);
	p->req_len = p->prefix_len + size + p->suffix_len;
	p->reply_len = size + p->reply_suffix_len;
	return 0;
}

void pattern_free(struct pattern *p)
{
	if (p->reply_body != p->body)
		free(p->reply_body);
	free(p->body);
	p->body = p->reply_body = NULL;
}
