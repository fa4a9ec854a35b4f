/* fuzz_json.c — libFuzzer target for the JSON writer's strings: for any
 * bytes, json_string's output is one valid JSON string, valid UTF-8 with
 * no raw control byte, and decodes (U+0000-U+00FF escapes taken as bytes)
 * back to exactly the input; json_escape_buf with any capacity writes a
 * prefix of the same text, cut only between escapes.
 *
 *   tests/fuzz/build.sh builds it (see fuzz-sources below).
 *
 * fuzz-sources: src/cli/json.c */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An independent check of one UTF-8 sequence at s: its length or 0. */
static size_t utf8_ok(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		len = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	static const uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
	if (cp < least[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decode the body of a JSON string (no quotes) into out; -1 if invalid. */
static long decode(const unsigned char *s, size_t n, unsigned char *out)
{
	size_t i = 0, o = 0;

	while (i < n) {
		if (s[i] == '"' || s[i] < 0x20 || s[i] == 0x7f)
			return -1;
		if (s[i] != '\\') {
			size_t k = utf8_ok(s + i, n - i);
			if (k == 0)
				return -1;
			memcpy(out + o, s + i, k);
			i += k, o += k;
			continue;
		}
		if (i + 1 >= n)
			return -1;
		const char *from = "\"\\nrtbf", *to = "\"\\\n\r\t\b\f";
		const char *p = strchr(from, s[i + 1]);
		if (p && s[i + 1]) {
			out[o++] = (unsigned char)to[p - from];
			i += 2;
			continue;
		}
		if (s[i + 1] != 'u' || i + 6 > n || s[i + 2] != '0' || s[i + 3] != '0' ||
		    hexval(s[i + 4]) < 0 || hexval(s[i + 5]) < 0)
			return -1;
		out[o++] = (unsigned char)(hexval(s[i + 4]) << 4 | hexval(s[i + 5]));
		i += 6;
	}
	return (long)o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return 0;
	json_string(f, (const char *)data, size);
	fclose(f);
	if (len < 2 || text[0] != '"' || text[len - 1] != '"')
		abort();
	unsigned char *back = malloc(size + 1);
	long n = decode((const unsigned char *)text + 1, len - 2, back);
	if (n != (long)size || memcmp(back, data, size) != 0)
		abort();
	free(back);

	size_t cap = size ? data[0] : 0;
	char *buf = malloc(cap + 1);
	size_t used;
	size_t w = json_escape_buf(buf, cap, (const char *)data, size, &used);
	if (cap > 0 && (w >= cap || strlen(buf) != w || memcmp(buf, text + 1, w) != 0))
		abort();
	if (used > size || (used == size && w != len - 2))
		abort();
	free(buf);
	free(text);
	return 0;
}
