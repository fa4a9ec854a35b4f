/* json.h — the one JSON writer: RFC 8259 strings, objects, arrays,
 * numbers, for JSON Lines (one value per line) and whole documents.
 *
 * Strings: '"', '\\' and the control bytes 0x00-0x1f are escaped (\n, \r,
 * \t, \b, \f by name, the others as \u00XX), and so is DEL (0x7f, as
 * \u007f, so that output is safe on a terminal).  Valid UTF-8 (shortest
 * form, no surrogates, at most U+10FFFF) is copied as it is.  Every byte
 * that is not part of a valid UTF-8 sequence is written as \u00XX, XX its
 * value: the output is always valid JSON and valid UTF-8, and a reader
 * that maps U+0000-U+00FF back to bytes recovers binary input exactly
 * (the one documented choice for invalid UTF-8; docs/cli.md).
 *
 *     struct json j;
 *     json_start(&j, stdout);
 *     json_object(&j);
 *     json_kv_str(&j, "endpoint", "tcp://127.0.0.1:7");
 *     json_kv_int(&j, "sent", 3);
 *     json_key(&j, "rtt_ms"); json_object(&j); ... json_end(&j);
 *     json_end(&j);
 *     json_newline(&j);          // one JSON Lines record
 *
 * Separators are ", " and ": " (as Python's json.dumps writes them), or
 * "," and ":" after json_start_compact (scan's and bench's records, kept
 * byte for byte as they were).  Nesting deeper than JSON_MAX_DEPTH is
 * refused (nothing written, j.overflow set). */
#ifndef SOCKIT_CLI_JSON_H
#define SOCKIT_CLI_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 64

struct json {
	FILE *out;
	unsigned depth;
	uint64_t started;   /* bit d: the container at depth d has a member */
	uint64_t is_array;  /* bit d: the container at depth d is an array */
	bool after_key;     /* a key was written; its value comes next */
	bool compact;       /* separators "," and ":" instead of ", " and ": " */
	bool overflow;
};

/* Begin writing values to out. */
void json_start(struct json *j, FILE *out);

/* The same, with the compact separators "," and ":". */
void json_start_compact(struct json *j, FILE *out);

/* Open an object or array (as a value: after a key, in an array, or at
 * the top); json_end closes the innermost one. */
void json_object(struct json *j);
void json_array(struct json *j);
void json_end(struct json *j);

/* An object member's key; the next value call writes its value. */
void json_key(struct json *j, const char *key);

/* Values. */
void json_str(struct json *j, const char *s);            /* NULL: null */
void json_strn(struct json *j, const char *s, size_t n);
void json_int(struct json *j, long long v);
void json_uint(struct json *j, unsigned long long v);
void json_double(struct json *j, double v, int decimals); /* not finite: null */
void json_bool(struct json *j, bool v);
void json_null(struct json *j);

/* Key and value at once. */
void json_kv_str(struct json *j, const char *key, const char *s);
void json_kv_strn(struct json *j, const char *key, const char *s, size_t n);
void json_kv_int(struct json *j, const char *key, long long v);
void json_kv_uint(struct json *j, const char *key, unsigned long long v);
void json_kv_double(struct json *j, const char *key, double v, int decimals);
void json_kv_bool(struct json *j, const char *key, bool v);

/* End a JSON Lines record: a newline (at the top level). */
void json_newline(struct json *j);

/* Write s (n bytes) as a quoted JSON string to out, escaped as above. */
void json_string(FILE *out, const char *s, size_t n);

/* The same escaping, without quotes, into dst (cap bytes, NUL-ended):
 * stops before an escape that would not fit whole.  Returns the bytes
 * written (excluding the NUL); *used (if non-NULL) gets the input bytes
 * consumed, n when everything fitted. */
size_t json_escape_buf(char *dst, size_t cap, const char *s, size_t n, size_t *used);

/* Length of the valid UTF-8 sequence at s (n bytes available): 1-4, or 0
 * when s does not start one.  s[0] < 0x80 is always 1. */
size_t json_utf8_len(const unsigned char *s, size_t n);

#endif
