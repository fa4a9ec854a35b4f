/* test_chargen.c — the RFC 864 pattern, flow control through `writable`,
 * and the UDP reply bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "chargen.h"
#include "fake_host.h"

extern const struct service svc_chargen;

/* The pattern by its definition: line i is chars i..i+71 (mod 95). */
static char ref_byte(size_t k)
{
	size_t line = (k / 74) % 95, col = k % 74;
	if (col == 72)
		return '\r';
	if (col == 73)
		return '\n';
	return (char)(' ' + (line + col) % 95);
}

static void test_first_lines(void **st)
{
	(void)st;
	char buf[2 * 74 + 1] = { 0 };
	chargen_fill(buf, 2 * 74, 0);
	assert_memory_equal(buf,
		" !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefg\r\n"
		"!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefgh\r\n",
		2 * 74);
}

/* Two full cycles from every starting offset of the first line, and the
 * returned position continues the pattern exactly. */
static void test_pattern_any_offset(void **st)
{
	(void)st;
	static char buf[2 * CHARGEN_CYCLE + 100];
	for (size_t start = 0; start < 200; start += 7) {
		size_t pos = chargen_fill(buf, 2 * CHARGEN_CYCLE + 3, start);
		for (size_t k = 0; k < 2 * CHARGEN_CYCLE + 3; k++)
			assert_int_equal(buf[k], ref_byte(start + k));
		assert_int_equal(pos, (start + 2 * CHARGEN_CYCLE + 3) % CHARGEN_CYCLE);
	}
	assert_int_equal(CHARGEN_CYCLE, 7030);
	/* Line 95 is line 0 again. */
	chargen_fill(buf, 74, 95 * 74);
	assert_int_equal(buf[0], ' ');
}

/* It sends until the host queues something, then waits for `writable`;
 * consecutive sends continue the pattern. */
static void test_tcp_flow(void **st)
{
	(void)st;
	struct fake f;

	fake_init(&f, &svc_chargen, NULL);
	f.queue_after = 100000;          /* the "socket" takes 100000 bytes */
	fake_open(&f);
	assert_true(f.outlen > 100000);
	assert_true(f.outlen < 100000 + 32768);   /* at most one chunk queued */
	size_t first = f.outlen;
	svc_chargen.bytes(&f.conn, "ignored", 7);
	assert_int_equal(f.outlen, first);      /* still full: nothing more */
	f.queue_after = 300000;
	f.queued = 0;
	svc_chargen.writable(&f.conn);
	assert_true(f.outlen > 300000);
	for (size_t k = 0; k < f.outlen; k++)
		if (f.out[k] != ref_byte(k))
			fail_msg("byte %zu differs", k);
	assert_false(f.ended);
	svc_chargen.eof(&f.conn);
	assert_true(f.ended);
	fake_free(&f);
}

/* A reader that never fills the socket: each call stops at the budget and
 * asks for a timer instead of looping forever. */
static void test_tcp_budget(void **st)
{
	(void)st;
	struct fake f;

	fake_init(&f, &svc_chargen, NULL);
	fake_open(&f);
	assert_true(f.outlen > 0);
	assert_true(f.outlen <= 1024 * 1024);
	assert_int_equal(f.timer_ms, 1);
	size_t first = f.outlen;
	svc_chargen.timer(&f.conn);
	assert_int_equal(f.outlen, 2 * first);
	fake_free(&f);
}

static void test_udp(void **st)
{
	(void)st;
	struct fake f;
	struct svc_options on = { .udp_enabled = true };
	char out[2048], in[1000] = { 0 };

	fake_init(&f, &svc_chargen, NULL);
	assert_int_equal(svc_chargen.datagram(f.conn.instance, "x", 1, out,
	                                      sizeof out), 0);
	fake_free(&f);
	fake_init(&f, &svc_chargen, &on);
	assert_false(svc_chargen.dgram_may_amplify);
	assert_int_equal(svc_chargen.datagram(f.conn.instance, in, 0, out,
	                                      sizeof out), 0);
	assert_int_equal(svc_chargen.datagram(f.conn.instance, in, 10, out,
	                                      sizeof out), 10);
	assert_memory_equal(out, " !\"#$%&'()", 10);
	assert_int_equal(svc_chargen.datagram(f.conn.instance, in, 1000, out,
	                                      sizeof out), CHARGEN_UDP_MAX);
	assert_int_equal(svc_chargen.datagram(f.conn.instance, in, 1000, out,
	                                      100), 100);
	fake_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_lines),
		cmocka_unit_test(test_pattern_any_offset),
		cmocka_unit_test(test_tcp_flow),
		cmocka_unit_test(test_tcp_budget),
		cmocka_unit_test(test_udp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
