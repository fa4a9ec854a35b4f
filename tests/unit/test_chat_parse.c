/* test_chat_parse.c — the IRC line splitter and message parser: endings
 * (CR, LF, CRLF, split between reads), the 512-byte limit, NUL bytes,
 * prefixes, trailing parameters, the 15-parameter fold; each input also
 * fed one byte at a time, against a guard-free exact-size copy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "chat/parse.h"

/* Split all of in (fed in pieces of step bytes) into lines joined by '|',
 * with "<TOOLONG>" for an over-long one. */
static char *split_all(const char *in, size_t n, size_t step)
{
	static char out[8192];
	struct irc_splitter *sp = calloc(1, sizeof *sp);
	size_t o = 0;

	out[0] = '\0';
	for (size_t off = 0; off < n; off += step) {
		size_t k = n - off < step ? n - off : step;
		char *piece = malloc(k);
		memcpy(piece, in + off, k);
		const char *d = piece, *line;
		size_t left = k, len;
		enum irc_split r;
		while ((r = irc_split_next(sp, &d, &left, &line, &len)) != IRC_LINE_NONE) {
			const char *w = r == IRC_LINE_OK ? line : "<TOOLONG>";
			size_t wl = r == IRC_LINE_OK ? len : 9;
			if (o + wl + 2 < sizeof out) {
				memcpy(out + o, w, wl);
				o += wl;
				out[o++] = '|';
			}
		}
		free(piece);
	}
	out[o] = '\0';
	free(sp);
	return out;
}

static void check_split(const char *in, size_t n, const char *want)
{
	for (size_t step = 1; step <= n; step++)
		assert_string_equal(split_all(in, n, step), want);
}

static void test_endings(void **st)
{
	(void)st;
	const char in[] = "A\r\nB\nC\rD\r\n\r\n\nE\n";
	check_split(in, sizeof in - 1, "A|B|C|D|E|");
	/* A CR at the end of one read and its LF in the next is one ending. */
	const char cr[] = "X\r\nY\r";
	check_split(cr, sizeof cr - 1, "X|Y|");
	/* No ending yet: nothing. */
	check_split("partial", 7, "");
}

static void test_line_limit(void **st)
{
	(void)st;
	char in[2000];
	size_t n = 0;

	memset(in, 'a', IRC_BODY_MAX);                 /* exactly 510: fine */
	n = IRC_BODY_MAX;
	memcpy(in + n, "\r\n", 2);
	n += 2;
	memset(in + n, 'b', 600);                      /* 600: too long */
	n += 600;
	memcpy(in + n, "\r\nok\r\n", 6);
	n += 6;
	char want[IRC_BODY_MAX + 32];
	memset(want, 'a', IRC_BODY_MAX);
	strcpy(want + IRC_BODY_MAX, "|<TOOLONG>|ok|");
	check_split(in, n, want);
}

static void test_parse_full(void **st)
{
	(void)st;
	char line[] = ":nick!u@h privmsg #chan :hello there ";
	struct irc_msg m;

	assert_int_equal(irc_parse(line, strlen(line), &m), IRC_PARSE_OK);
	assert_non_null(m.prefix);
	assert_int_equal(m.prefix_len, 8);
	assert_memory_equal(m.prefix, "nick!u@h", 8);
	assert_string_equal(m.command, "PRIVMSG");
	assert_int_equal(m.nparams, 2);
	assert_string_equal(m.params[0], "#chan");
	assert_string_equal(m.params[1], "hello there ");
	assert_true(m.trailing);
}

static void test_parse_edge_cases(void **st)
{
	(void)st;
	struct irc_msg m;
	char empty[] = "   ", tags[] = "@a=b;c :p CMD x", only_prefix[] = ":pfx ";
	char nul[] = "PRIVMSG x :a\0b", longcmd[] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	char colon[] = "JOIN :", spaces[] = "NICK    bob   ";

	assert_int_equal(irc_parse(empty, 3, &m), IRC_PARSE_EMPTY);
	assert_int_equal(irc_parse(tags, strlen(tags), &m), IRC_PARSE_OK);
	assert_string_equal(m.command, "CMD");
	assert_int_equal(irc_parse(only_prefix, strlen(only_prefix), &m), IRC_PARSE_BAD);
	assert_int_equal(irc_parse(nul, sizeof nul - 1, &m), IRC_PARSE_NUL);
	assert_int_equal(irc_parse(longcmd, strlen(longcmd), &m), IRC_PARSE_BAD);
	/* irssi's bogus JOIN: one empty trailing parameter. */
	assert_int_equal(irc_parse(colon, strlen(colon), &m), IRC_PARSE_OK);
	assert_int_equal(m.nparams, 1);
	assert_string_equal(m.params[0], "");
	assert_int_equal(irc_parse(spaces, strlen(spaces), &m), IRC_PARSE_OK);
	assert_int_equal(m.nparams, 1);
	assert_string_equal(m.params[0], "bob");
}

static void test_parse_fifteen_params(void **st)
{
	(void)st;
	char line[] = "CMD 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17";
	struct irc_msg m;

	assert_int_equal(irc_parse(line, strlen(line), &m), IRC_PARSE_OK);
	assert_int_equal(m.nparams, IRC_PARAMS_MAX);
	assert_string_equal(m.params[13], "14");
	assert_string_equal(m.params[14], "15 16 17");
	assert_false(m.trailing);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_endings),
		cmocka_unit_test(test_line_limit),
		cmocka_unit_test(test_parse_full),
		cmocka_unit_test(test_parse_edge_cases),
		cmocka_unit_test(test_parse_fifteen_params),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
