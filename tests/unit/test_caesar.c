/* test_caesar.c — the Caesar transform, the request parser and the
 * service, with every request fed whole, one byte at a time, and split in
 * two at every byte boundary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "caesar.h"
#include "fake_host.h"

extern const struct service svc_caesar;

/* A letter-by-letter reference to check caesar_shift against. */
static char ref_shift(char ch, unsigned s)
{
	if (ch >= 'a' && ch <= 'z')
		return (char)('a' + (ch - 'a' + (int)s) % 26);
	if (ch >= 'A' && ch <= 'Z')
		return (char)('A' + (ch - 'A' + (int)s) % 26);
	return ch;
}

static void test_shift_all_bytes(void **st)
{
	(void)st;
	char in[256], out[256], back[256];
	for (int i = 0; i < 256; i++)
		in[i] = (char)i;
	for (unsigned s = 0; s < 60; s++) {
		caesar_shift(out, in, sizeof in, s);
		for (int i = 0; i < 256; i++)
			assert_int_equal((unsigned char)out[i],
			                 (unsigned char)ref_shift(in[i], s % 26));
		caesar_shift(back, out, sizeof out, caesar_forward('d', s % 100));
		if (s < 100)
			assert_memory_equal(back, in, sizeof in);
	}
}

static void test_shift_in_place(void **st)
{
	(void)st;
	char s[] = "isi pesan";
	caesar_shift(s, s, strlen(s), caesar_forward('e', 10));
	assert_string_equal(s, "scs zockx");
	assert_int_equal(caesar_forward('e', 27), 1);
	assert_int_equal(caesar_forward('d', 1), 25);
	assert_int_equal(caesar_forward('d', 26), 0);
	assert_int_equal(caesar_forward('d', 0), 0);
}

struct case_ {
	const char *in;
	size_t inlen;          /* 0: strlen */
	const char *out;
	size_t outlen;         /* 0: strlen */
	bool ends;             /* the service must end the connection */
	size_t max;            /* max_request, 0 default */
};

#define S(x) x, sizeof(x) - 1

static const struct case_ cases[] = {
	{ S("e10isi pesan."), S("scs zockx."), false, 0 },
	{ S("d10scs zockx."), S("isi pesan."), false, 0 },
	{ S("e03Hello, World!."), S("Khoor, Zruog!."), false, 0 },
	{ S("e26abc."), S("abc."), false, 0 },
	{ S("e99abc."), S("vwx."), false, 0 },
	{ S("d01abcXYZ."), S("zabWXY."), false, 0 },
	{ S("e00."), S("."), false, 0 },
	{ S("e01a.d01b.e13Nowhere."), S("b.a.Abjurer."), false, 0 },
	{ S("e05\xff\x00z 9~."), S("\xff\x00" "e 9~."), false, 0 },
	{ S("\r\ne01a.\ne01a."), S("b.b."), false, 0 },
	{ S("e01abc"), S(""), false, 0 },             /* unfinished */
	{ S("e01abcd."), S("bcde."), false, 4 },      /* at the limit */
	{ S("x01abc."), S("error: request must start with e or d."), true, 0 },
	{ S(".e01a."), S("error: request must start with e or d."), true, 0 },
	{ S("E01abc."), S("error: request must start with e or d."), true, 0 },
	{ S("e1xabc."), S("error: shift must be two digits."), true, 0 },
	{ S("ex1abc."), S("error: shift must be two digits."), true, 0 },
	{ S("e1.abc."), S("error: shift must be two digits."), true, 0 },
	{ S("e01ab.d02zz.q"), S("bc.xx.error: request must start with e or d."),
	  true, 0 },
	{ S("e01ab.x01ab.e01ab."), S("bc.error: request must start with e or d."),
	  true, 0 },
	/* Over the limit: the error line alone, however the bytes came. */
	{ S("e01abcde."), S("error: message longer than 4 bytes."), true, 4 },
	{ S("e01ab.e01abcdefgh.e01a."),
	  S("bc.error: message longer than 4 bytes."), true, 4 },
	{ S("e01ab.e01abcdefgh"), S("bc.error: message longer than 4 bytes."), true, 4 },
};

/* Feed in as the given pieces: a piece boundary at every cut[]. */
static void feed(struct fake *f, const char *in, size_t len, size_t piece,
                 size_t cut)
{
	size_t pos = 0;
	while (pos < len && !f->ended) {
		size_t n = len - pos;
		if (piece && n > piece)
			n = piece;
		if (cut && pos < cut && pos + n > cut)
			n = cut - pos;
		svc_caesar.bytes(&f->conn, in + pos, n);
		pos += n;
	}
}

/* The output is exactly the expected reply, however the input was split
 * (no streamed part of an over-long message before its error). */
static void check(const struct case_ *k, struct fake *f, const char *how)
{
	if (f->outlen != k->outlen || (k->outlen && memcmp(f->out, k->out, k->outlen)))
		fail_msg("%s: input '%s': got '%.*s', want '%s'", how, k->in,
		         (int)f->outlen, f->out ? f->out : "", k->out);
	assert_int_equal(f->ended, k->ends);
}

static void run_case(const struct case_ *k, size_t piece, size_t cut,
                     const char *how)
{
	struct fake f;
	struct svc_options opt = { .max_request = k->max };

	fake_init(&f, &svc_caesar, &opt);
	fake_open(&f);
	feed(&f, k->in, k->inlen, piece, cut);
	check(k, &f, how);
	fake_free(&f);
}

static void test_table_whole(void **st)
{
	(void)st;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		run_case(&cases[i], 0, 0, "whole");
}

static void test_table_bytewise(void **st)
{
	(void)st;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		run_case(&cases[i], 1, 0, "one byte per call");
}

static void test_table_every_split(void **st)
{
	(void)st;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		for (size_t cut = 1; cut < cases[i].inlen; cut++)
			run_case(&cases[i], 0, cut, "split");
}

/* Many requests in one segment, and the exact byte count of replies. */
static void test_pipelined_100(void **st)
{
	(void)st;
	char in[100 * 16], want[100 * 16];
	size_t il = 0, wl = 0;
	struct fake f;

	for (int i = 0; i < 100; i++) {
		il += (size_t)sprintf(in + il, "e%02dmsg%03d.", i, i);
		char m[8];
		int n = sprintf(m, "msg%03d", i);
		caesar_shift(want + wl, m, (size_t)n, (unsigned)i % 26);
		wl += (size_t)n;
		want[wl++] = '.';
	}
	fake_init(&f, &svc_caesar, NULL);
	fake_open(&f);
	svc_caesar.bytes(&f.conn, in, il);
	assert_int_equal(f.outlen, wl);
	assert_memory_equal(f.out, want, wl);
	assert_false(f.ended);
	fake_free(&f);
}

/* A message at the default limit passes; one byte more fails. */
static void test_default_limit(void **st)
{
	(void)st;
	size_t n = CAESAR_MAX_DEFAULT;
	char *in = malloc(n + 5);
	struct fake f;

	memcpy(in, "e01", 3);
	memset(in + 3, 'a', n);
	in[3 + n] = '.';
	fake_init(&f, &svc_caesar, NULL);
	fake_open(&f);
	svc_caesar.bytes(&f.conn, in, n + 4);
	assert_int_equal(f.outlen, n + 1);
	assert_int_equal(f.out[0], 'b');
	assert_false(f.ended);
	memcpy(in, "e01", 3);
	memset(in + 3, 'a', n + 1);
	in[4 + n] = '.';
	svc_caesar.bytes(&f.conn, in, n + 5);
	assert_true(f.ended);
	assert_non_null(strstr(f.out, "error: message longer than 65536 bytes."));
	fake_free(&f);
	free(in);
}

/* The parser on its own: events and consumed counts. */
static void test_parser_events(void **st)
{
	(void)st;
	struct caesar_parser p;
	struct caesar_out o;

	caesar_parser_init(&p, 0);
	assert_int_equal(caesar_step(&p, "e1", 2, &o), 2);
	assert_int_equal(o.event, CAESAR_MORE);
	/* The header's end and the message in one call, stopping at the
	 * '.', which is consumed with it. */
	assert_int_equal(caesar_step(&p, "2ab.c", 5, &o), 4);
	assert_int_equal(o.event, CAESAR_DATA);
	assert_int_equal(p.shift, 12);
	assert_int_equal(o.len, 2);
	assert_memory_equal(o.data, "ab", 2);
	assert_true(o.end);
	/* A message split: data without end, then an empty run with end. */
	assert_int_equal(caesar_step(&p, "d00xy", 5, &o), 5);
	assert_int_equal(o.event, CAESAR_DATA);
	assert_false(o.end);
	assert_int_equal(caesar_step(&p, ".", 1, &o), 1);
	assert_int_equal(o.event, CAESAR_DATA);
	assert_int_equal(o.len, 0);
	assert_true(o.end);
	assert_int_equal(caesar_step(&p, "c", 1, &o), 0);
	assert_int_equal(o.event, CAESAR_ERROR);
	assert_string_equal(o.why, "error: request must start with e or d.");
	assert_int_equal(caesar_step(&p, "e01a.", 5, &o), 0);
	assert_int_equal(o.event, CAESAR_ERROR);
}

/* EOF mid-request ends the connection without a reply. */
static void test_eof(void **st)
{
	(void)st;
	struct fake f;

	fake_init(&f, &svc_caesar, NULL);
	fake_open(&f);
	svc_caesar.bytes(&f.conn, "e01ab", 5);
	svc_caesar.eof(&f.conn);
	assert_true(f.ended);
	assert_int_equal(f.outlen, 0);
	fake_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shift_all_bytes),
		cmocka_unit_test(test_shift_in_place),
		cmocka_unit_test(test_table_whole),
		cmocka_unit_test(test_table_bytewise),
		cmocka_unit_test(test_table_every_split),
		cmocka_unit_test(test_pipelined_100),
		cmocka_unit_test(test_default_limit),
		cmocka_unit_test(test_parser_events),
		cmocka_unit_test(test_eof),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
