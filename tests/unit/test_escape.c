/* test_escape.c — sk_escape, the one \xNN escaper behind sk_log, greet's
 * reply line, scan's banners and sockets' UNIX paths: each form, output
 * that is cut only between whole escapes, and never a byte past cap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sockit/escape.h"

static void test_plain_form(void **st)
{
	(void)st;
	char out[64];
	size_t used;

	/* sk_log's form: only bytes outside 0x20-0x7e change. */
	assert_int_equal(sk_escape(out, sizeof out, "a\\\"b\n\x1b[2J\xff~ ", 12, 0, &used), 21);
	assert_string_equal(out, "a\\\"b\\x0a\\x1b[2J\\xff~ ");
	assert_int_equal(used, 12);
	assert_int_equal(sk_escape(out, sizeof out, "x\0y", 3, 0, NULL), 6);
	assert_string_equal(out, "x\\x00y");
}

static void test_backslash_form(void **st)
{
	(void)st;
	char out[64];

	/* sockets' UNIX paths: '\' too, so "\x41" in a name stays readable. */
	sk_escape(out, sizeof out, "@a\\x41\t", 7, SK_ESCAPE_BACKSLASH, NULL);
	assert_string_equal(out, "@a\\x5cx41\\x09");
}

static void test_c_form(void **st)
{
	(void)st;
	char out[64];
	size_t used;
	const char in[] = "SSH-2.0\r\n\t\"q\"\\\x01\xff";

	/* scan's banners and greet's replies, shown in quotes. */
	sk_escape(out, sizeof out, in, sizeof in - 1, SK_ESCAPE_C, NULL);
	assert_string_equal(out, "SSH-2.0\\r\\n\\t\\\"q\\\"\\\\\\x01\\xff");
	assert_int_equal(sk_escape(out, sizeof out, "a\tb\\", 4, SK_ESCAPE_C, &used), 6);
	assert_string_equal(out, "a\\tb\\\\");
	assert_int_equal(used, 4);
}

static void test_cut_between_whole_escapes(void **st)
{
	(void)st;
	char out[16];
	size_t used;

	/* "\x01" needs 4 bytes and the NUL 1: with 6, only "abcd" fits. */
	assert_int_equal(sk_escape(out, 6, "abcd\x01", 5, SK_ESCAPE_C, &used), 4);
	assert_string_equal(out, "abcd");
	assert_int_equal(used, 4);
	assert_int_equal(sk_escape(out, 6, "ab\x01z", 4, 0, &used), 2);
	assert_string_equal(out, "ab");
	assert_int_equal(used, 2);
	assert_int_equal(sk_escape(out, 1, "abc", 3, 0, &used), 0);
	assert_string_equal(out, "");
	assert_int_equal(used, 0);
	/* cap 0: nothing written, not even the NUL. */
	out[0] = 'Z';
	assert_int_equal(sk_escape(out, 0, "abc", 3, 0, &used), 0);
	assert_int_equal(out[0], 'Z');
	assert_int_equal(used, 0);
}

/* Read an escaped string back; -1 on anything an escaper should not
 * have written. */
static int unescape(const char *s, unsigned char *out, size_t *n)
{
	static const char hex[] = "0123456789abcdef";

	*n = 0;
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return -1;
		if (*s != '\\') {
			out[(*n)++] = (unsigned char)*s;
			continue;
		}
		s++;
		const char *named = strchr("nrt\\\"", *s), *h1, *h2;
		if (*s && named) {
			out[(*n)++] = (unsigned char)"\n\r\t\\\""[named - "nrt\\\""];
		} else if (*s == 'x' && s[1] && s[2] && (h1 = strchr(hex, s[1])) &&
		           (h2 = strchr(hex, s[2]))) {
			out[(*n)++] = (unsigned char)(((h1 - hex) << 4) | (h2 - hex));
			s += 2;
		} else {
			return -1;
		}
	}
	return 0;
}

/* Every byte value, in both reversible forms, reads back exactly and
 * prints as printable ASCII only. */
static void test_every_byte_reads_back(void **st)
{
	(void)st;
	unsigned char in[256], back[256];
	char out[256 * 4 + 1];
	const unsigned forms[] = { SK_ESCAPE_BACKSLASH, SK_ESCAPE_C, SK_ESCAPE_C | SK_ESCAPE_BACKSLASH };
	size_t n;

	for (int i = 0; i < 256; i++)
		in[i] = (unsigned char)i;
	for (size_t f = 0; f < sizeof forms / sizeof forms[0]; f++) {
		size_t len = sk_escape(out, sizeof out, in, sizeof in, forms[f], &n);
		assert_int_equal(n, sizeof in);
		assert_int_equal(len, strlen(out));
		assert_int_equal(unescape(out, back, &n), 0);
		assert_int_equal(n, sizeof in);
		assert_memory_equal(back, in, sizeof in);
	}
}

/* The output ends against a guard page: every cap from 0 to 64 on bytes
 * that all escape, so a write past cap would fault. */
static void test_never_past_cap(void **st)
{
	(void)st;
	long page = sysconf(_SC_PAGESIZE);
	char *map = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE,
	                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	const char in[] = "\x01\n\\q\xfe\x7f\"z\x80\x01\x02\x03\x04\x05\x06\x07";

	assert_true(map != MAP_FAILED);
	assert_int_equal(mprotect(map + page, (size_t)page, PROT_NONE), 0);
	for (size_t cap = 0; cap <= 64; cap++)
		for (unsigned f = 0; f < 4; f++) {
			char *out = map + page - cap;
			size_t used, len = sk_escape(out, cap, in, sizeof in - 1, f, &used);
			assert_true(cap == 0 ? len == 0 : len < cap && out[len] == '\0');
			assert_true(used <= sizeof in - 1);
		}
	munmap(map, (size_t)page * 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_form),
		cmocka_unit_test(test_backslash_form),
		cmocka_unit_test(test_c_form),
		cmocka_unit_test(test_cut_between_whole_escapes),
		cmocka_unit_test(test_every_byte_reads_back),
		cmocka_unit_test(test_never_past_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
