/* test_cli_json.c — the JSON writer: escaping of every byte value, of
 * every two-byte sequence, of invalid UTF-8 (overlong, surrogate, past
 * U+10FFFF, truncated), the buffer form, and containers with commas. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/json.h"

static char *json_of(const char *s, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_string(f, s, n);
	fclose(f);
	return buf;
}

/* What one lone byte must become, written out independently. */
static void expected_byte(unsigned c, char *out)
{
	const char *named = c == '"'    ? "\\\""
	                    : c == '\\' ? "\\\\"
	                    : c == '\n' ? "\\n"
	                    : c == '\r' ? "\\r"
	                    : c == '\t' ? "\\t"
	                    : c == '\b' ? "\\b"
	                    : c == '\f' ? "\\f"
	                                : NULL;
	if (named)
		sprintf(out, "\"%s\"", named);
	else if (c < 0x20 || c >= 0x7f)
		sprintf(out, "\"\\u%04x\"", c);
	else
		sprintf(out, "\"%c\"", c);
}

static void test_every_byte(void **st)
{
	(void)st;
	char want[16];

	for (unsigned c = 0; c < 256; c++) {
		char b = (char)c;
		char *j = json_of(&b, 1);
		expected_byte(c, want);
		assert_string_equal(j, want);
		free(j);
	}
}

/* Every two-byte input: a valid two-byte sequence (C2-DF, 80-BF) stays as
 * it is; anything else is each byte on its own. */
static void test_every_pair(void **st)
{
	(void)st;
	char want[32], a[16], b[16];

	for (unsigned x = 0; x < 256; x++) {
		for (unsigned y = 0; y < 256; y++) {
			char in[2] = {(char)x, (char)y};
			char *j = json_of(in, 2);
			if (x >= 0xc2 && x <= 0xdf && y >= 0x80 && y <= 0xbf) {
				snprintf(want, sizeof want, "\"%c%c\"", x, y);
			} else {
				expected_byte(x, a);
				expected_byte(y, b);
				a[strlen(a) - 1] = '\0';
				snprintf(want, sizeof want, "%s%s", a, b + 1);
			}
			assert_string_equal(j, want);
			free(j);
		}
	}
}

static void test_invalid_utf8(void **st)
{
	(void)st;
	struct {
		const char *in;
		size_t n;
		const char *out;
	} cases[] = {
	    {"caf\xc3\xa9 \xe2\x82\xac", 9, "\"caf\xc3\xa9 \xe2\x82\xac\""},
	    {"\xf0\x9f\x98\x80", 4, "\"\xf0\x9f\x98\x80\""},  /* U+1F600 */
	    {"\xf4\x8f\xbf\xbf", 4, "\"\xf4\x8f\xbf\xbf\""},  /* U+10FFFF */
	    {"\xe0\xa0\x80", 3, "\"\xe0\xa0\x80\""},          /* U+0800 */
	    {"\xc0\xaf", 2, "\"\\u00c0\\u00af\""},            /* overlong '/' */
	    {"\xe0\x9f\xbf", 3, "\"\\u00e0\\u009f\\u00bf\""}, /* overlong */
	    {"\xf0\x8f\xbf\xbf", 4, "\"\\u00f0\\u008f\\u00bf\\u00bf\""}, /* overlong */
	    {"\xed\xa0\x80", 3, "\"\\u00ed\\u00a0\\u0080\""},            /* surrogate */
	    {"\xf4\x90\x80\x80", 4, "\"\\u00f4\\u0090\\u0080\\u0080\""}, /* > U+10FFFF */
	    {"\xf5\x80\x80\x80", 4, "\"\\u00f5\\u0080\\u0080\\u0080\""},
	    {"\xe2\x82", 2, "\"\\u00e2\\u0082\""}, /* truncated */
	    {"a\xe2\x82"
	     "b",
	     4, "\"a\\u00e2\\u0082b\""},
	    {"\x01\xff\xc3", 3, "\"\\u0001\\u00ff\\u00c3\""},
	    {"\0x", 2, "\"\\u0000x\""},
	    {"\x7f", 1, "\"\\u007f\""},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *j = json_of(cases[i].in, cases[i].n);
		assert_string_equal(j, cases[i].out);
		free(j);
	}
}

static void test_escape_buf(void **st)
{
	(void)st;
	char out[8];
	size_t used;

	/* "\n" needs 2, "\u0001" 6: with 8 bytes (7 + NUL) the \u0001 does
	 * not fit whole after "ab\n", so it stops before it. */
	size_t w = json_escape_buf(out, sizeof out, "ab\n\x01", 4, &used);
	assert_string_equal(out, "ab\\n");
	assert_int_equal(w, 4);
	assert_int_equal(used, 3);
	w = json_escape_buf(out, sizeof out, "\xc3\xa9", 2, &used);
	assert_string_equal(out, "\xc3\xa9");
	assert_int_equal(used, 2);
	w = json_escape_buf(out, 1, "abc", 3, &used);
	assert_int_equal(w, 0);
	assert_string_equal(out, "");
}

static void test_writer(void **st)
{
	(void)st;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json j;

	json_start(&j, f);
	json_object(&j);
	json_kv_str(&j, "a", "x\"y");
	json_kv_int(&j, "n", -3);
	json_kv_uint(&j, "u", 18446744073709551615ULL);
	json_kv_double(&j, "d", 1.25, 3);
	json_kv_double(&j, "nan", 0.0 / 0.0, 3);
	json_kv_bool(&j, "b", true);
	json_key(&j, "list");
	json_array(&j);
	json_int(&j, 1);
	json_object(&j);
	json_end(&j);
	json_array(&j);
	json_end(&j);
	json_str(&j, NULL);
	json_end(&j);
	json_end(&j);
	json_newline(&j);
	json_object(&j);
	json_kv_strn(&j, "k", "v\0", 2);
	json_end(&j);
	json_newline(&j);
	fclose(f);
	assert_string_equal(buf,
	                    "{\"a\": \"x\\\"y\", \"n\": -3, \"u\": 18446744073709551615, "
	                    "\"d\": 1.250, \"nan\": null, \"b\": true, "
	                    "\"list\": [1, {}, [], null]}\n{\"k\": \"v\\u0000\"}\n");
	free(buf);
}

/* The compact separators scan's and bench's records are written with. */
static void test_writer_compact(void **st)
{
	(void)st;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json j;

	json_start_compact(&j, f);
	json_object(&j);
	json_kv_str(&j, "type", "port");
	json_kv_uint(&j, "port", 22);
	json_key(&j, "lat");
	json_object(&j);
	json_kv_double(&j, "p50", 1.25, 1);
	json_kv_double(&j, "max", 2, 1);
	json_end(&j);
	json_key(&j, "l");
	json_array(&j);
	json_int(&j, 1);
	json_bool(&j, false);
	json_end(&j);
	json_kv_strn(&j, "banner", "a\xff\r\n", 4);
	json_end(&j);
	json_newline(&j);
	fclose(f);
	assert_string_equal(buf, "{\"type\":\"port\",\"port\":22,\"lat\":{\"p50\":1.2,"
	                         "\"max\":2.0},\"l\":[1,false],"
	                         "\"banner\":\"a\\u00ff\\r\\n\"}\n");
	free(buf);
}

static void test_depth_limit(void **st)
{
	(void)st;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json j;

	json_start(&j, f);
	for (int i = 0; i < JSON_MAX_DEPTH + 5; i++)
		json_array(&j);
	assert_true(j.overflow);
	fclose(f);
	assert_int_equal(strlen(buf), JSON_MAX_DEPTH - 1);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_byte),   cmocka_unit_test(test_every_pair),
	    cmocka_unit_test(test_invalid_utf8), cmocka_unit_test(test_escape_buf),
	    cmocka_unit_test(test_writer), cmocka_unit_test(test_writer_compact),       cmocka_unit_test(test_depth_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
