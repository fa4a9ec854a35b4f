/* json.c — the JSON writer: escaping and the container state. */
#include <math.h>
#include <string.h>

#include "cli/json.h"

size_t json_utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	unsigned lo = 0x80, hi = 0xbf; /* allowed range of the second byte */

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
	else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/* Escape what starts at s into out (room for 6 bytes): the bytes of out
 * written go to *outlen; returns the input bytes consumed (>= 1). */
static size_t escape_step(const unsigned char *s, size_t n, char *out, size_t *outlen)
{
	static const char hex[] = "0123456789abcdef";
	unsigned c = s[0];
	size_t len = json_utf8_len(s, n);

	if (len > 1 || (len == 1 && c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)) {
		memcpy(out, s, len);
		*outlen = len;
		return len;
	}
	const char *named = c == '"'    ? "\\\""
	                    : c == '\\' ? "\\\\"
	                    : c == '\n' ? "\\n"
	                    : c == '\r' ? "\\r"
	                    : c == '\t' ? "\\t"
	                    : c == '\b' ? "\\b"
	                    : c == '\f' ? "\\f"
	                                : NULL;
	if (named) {
		memcpy(out, named, 2);
		*outlen = 2;
	} else {
		memcpy(out, "\\u00", 4);
		out[4] = hex[c >> 4];
		out[5] = hex[c & 15];
		*outlen = 6;
	}
	return 1;
}

void json_string(FILE *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	char esc[8];
	size_t i = 0, run = 0, elen;

	putc('"', out);
	while (i < n) {
		/* Plain ASCII goes out in runs; everything else one step at a time. */
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\') {
			i++, run++;
			continue;
		}
		fwrite(p + i - run, 1, run, out);
		run = 0;
		i += escape_step(p + i, n - i, esc, &elen);
		fwrite(esc, 1, elen, out);
	}
	fwrite(p + i - run, 1, run, out);
	putc('"', out);
}

size_t json_escape_buf(char *dst, size_t cap, const char *s, size_t n, size_t *used)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, w = 0, elen;
	char esc[8];

	while (i < n && cap > 0) {
		size_t took = escape_step(p + i, n - i, esc, &elen);
		if (w + elen >= cap)
			break;
		memcpy(dst + w, esc, elen);
		w += elen;
		i += took;
	}
	if (cap > 0)
		dst[w] = '\0';
	if (used)
		*used = i;
	return w;
}

void json_start(struct json *j, FILE *out)
{
	*j = (struct json){.out = out};
}

void json_start_compact(struct json *j, FILE *out)
{
	*j = (struct json){.out = out, .compact = true};
}

/* Before any value or key: the comma when the container has one already. */
static bool before_item(struct json *j)
{
	if (j->overflow)
		return false;
	if (j->after_key) {
		j->after_key = false;
		return true;
	}
	uint64_t bit = 1ULL << j->depth;
	if (j->depth > 0 && (j->started & bit))
		fputs(j->compact ? "," : ", ", j->out);
	j->started |= bit;
	return true;
}

static void open_container(struct json *j, char c, bool array)
{
	if (!before_item(j))
		return;
	if (j->depth + 1 >= JSON_MAX_DEPTH) {
		j->overflow = true;
		return;
	}
	putc(c, j->out);
	j->depth++;
	j->started &= ~(1ULL << j->depth);
	if (array)
		j->is_array |= 1ULL << j->depth;
	else
		j->is_array &= ~(1ULL << j->depth);
}

void json_object(struct json *j)
{
	open_container(j, '{', false);
}
void json_array(struct json *j)
{
	open_container(j, '[', true);
}

void json_end(struct json *j)
{
	if (j->overflow || j->depth == 0)
		return;
	putc(j->is_array & (1ULL << j->depth) ? ']' : '}', j->out);
	j->depth--;
}

void json_key(struct json *j, const char *key)
{
	if (!before_item(j))
		return;
	json_string(j->out, key, strlen(key));
	fputs(j->compact ? ":" : ": ", j->out);
	j->after_key = true;
}

void json_strn(struct json *j, const char *s, size_t n)
{
	if (before_item(j))
		json_string(j->out, s, n);
}

void json_str(struct json *j, const char *s)
{
	if (!s)
		json_null(j);
	else
		json_strn(j, s, strlen(s));
}

void json_int(struct json *j, long long v)
{
	if (before_item(j))
		fprintf(j->out, "%lld", v);
}

void json_uint(struct json *j, unsigned long long v)
{
	if (before_item(j))
		fprintf(j->out, "%llu", v);
}

void json_double(struct json *j, double v, int decimals)
{
	if (!isfinite(v))
		json_null(j);
	else if (before_item(j))
		fprintf(j->out, "%.*f", decimals, v);
}

void json_bool(struct json *j, bool v)
{
	if (before_item(j))
		fputs(v ? "true" : "false", j->out);
}

void json_null(struct json *j)
{
	if (before_item(j))
		fputs("null", j->out);
}

void json_kv_str(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	json_str(j, s);
}
void json_kv_strn(struct json *j, const char *key, const char *s, size_t n)
{
	json_key(j, key);
	json_strn(j, s, n);
}
void json_kv_int(struct json *j, const char *key, long long v)
{
	json_key(j, key);
	json_int(j, v);
}
void json_kv_uint(struct json *j, const char *key, unsigned long long v)
{
	json_key(j, key);
	json_uint(j, v);
}
void json_kv_double(struct json *j, const char *key, double v, int decimals)
{
	json_key(j, key);
	json_double(j, v, decimals);
}
void json_kv_bool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	json_bool(j, v);
}

void json_newline(struct json *j)
{
	putc('\n', j->out);
	j->started = 0;
}
