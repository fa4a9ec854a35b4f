/* test_endpoint.c — endpoint parsing and formatting, a table of good and
 * bad forms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "sockit/endpoint.h"
#include "sockit/error.h"

struct good {
	const char *text;
	enum sk_transport t;
	const char *host, *port, *path;
	bool wildcard;
	const char *canon;
};

static const struct good goods[] = {
	{ "tcp://127.0.0.1:65432", SK_TCP, "127.0.0.1", "65432", "", false, "tcp://127.0.0.1:65432" },
	{ "127.0.0.1:80", SK_TCP, "127.0.0.1", "80", "", false, "tcp://127.0.0.1:80" },
	{ "localhost:http", SK_TCP, "localhost", "http", "", false, "tcp://localhost:http" },
	{ "udp://[::1]:0", SK_UDP, "::1", "0", "", false, "udp://[::1]:0" },
	{ "tcp://*:7", SK_TCP, "", "7", "", true, "tcp://*:7" },
	{ "udp://*:domain", SK_UDP, "", "domain", "", true, "udp://*:domain" },
	{ "tcp://[fe80::1%lo]:22", SK_TCP, "fe80::1%lo", "22", "", false, "tcp://[fe80::1%lo]:22" },
	{ "unix:/tmp/sock", SK_UNIX, "", "", "/tmp/sock", false, "unix:/tmp/sock" },
	{ "unix:@abstract", SK_UNIX, "", "", "@abstract", false, "unix:@abstract" },
	{ "unixgram:rel/path", SK_UNIXGRAM, "", "", "rel/path", false, "unixgram:rel/path" },
	{ "my-host.example_1:65535", SK_TCP, "my-host.example_1", "65535", "", false, "tcp://my-host.example_1:65535" },
};

struct bad {
	const char *text;
	const char *names;   /* the error must mention this */
};

static const struct bad bads[] = {
	{ "", "expected HOST:PORT" },
	{ "localhost", "expected HOST:PORT" },
	{ "tcp://127.0.0.1:", "missing port" },
	{ "tcp://127.0.0.1:65536", "65536" },
	{ "tcp://127.0.0.1:-1", "'-1'" },
	{ "tcp://127.0.0.1:nosuchservice", "nosuchservice" },
	{ "tcp://::1:80", "brackets" },
	{ "tcp://[::1]80", "[IPv6]:PORT" },
	{ "tcp://[::zz]:80", "::zz" },
	{ "tcp://[::1:80", "[IPv6]:PORT" },
	{ "sctp://1.2.3.4:5", "unknown scheme" },
	{ "tcp://bad host:80", "bad host" },
	{ "tcp://:80", "bad host" },
	{ "unix:", "missing path" },
	{ "unix:@", "missing path" },
	{ "unixgram:/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "path longer" },
	{ "tcp://1.2.3.4:99999999999999999999", "out of range" },
	{ "tcp://1.2.3.4:8x", "unknown tcp service '8x'" },
};

static void test_good_forms(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof goods / sizeof goods[0]; i++) {
		struct sk_endpoint ep;
		char err[SK_ERRLEN] = "", buf[SK_ADDRSTRLEN];
		int rc = sk_endpoint_parse(&ep, goods[i].text, err, sizeof err);
		if (rc != 0)
			fail_msg("%s: %s", goods[i].text, err);
		assert_int_equal(ep.transport, goods[i].t);
		assert_string_equal(ep.host, goods[i].host);
		assert_string_equal(ep.port, goods[i].port);
		assert_string_equal(ep.path, goods[i].path);
		assert_int_equal(ep.wildcard, goods[i].wildcard);
		assert_string_equal(sk_endpoint_format(&ep, buf, sizeof buf), goods[i].canon);
	}
}

static void test_bad_forms_name_the_bad_part(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
		struct sk_endpoint ep;
		char err[SK_ERRLEN] = "";
		if (sk_endpoint_parse(&ep, bads[i].text, err, sizeof err) == 0)
			fail_msg("'%s' parsed but should not", bads[i].text);
		if (!strstr(err, bads[i].names))
			fail_msg("'%s': error '%s' does not name '%s'", bads[i].text, err,
			         bads[i].names);
		assert_null(strchr(err, '\n'));
	}
}

static void test_abstract_unix_address_length(void **state)
{
	struct sk_endpoint ep;
	struct sockaddr_un sun;
	(void)state;

	assert_int_equal(sk_endpoint_parse(&ep, "unix:@x", NULL, 0), 0);
	socklen_t len = sk_endpoint_unix_addr(&ep, &sun);
	assert_int_equal(len, offsetof(struct sockaddr_un, sun_path) + 2);
	assert_int_equal(sun.sun_path[0], '\0');
	assert_int_equal(sun.sun_path[1], 'x');
	char buf[SK_ADDRSTRLEN];
	assert_string_equal(sk_addr_format((struct sockaddr *)&sun, len, buf, sizeof buf), "@x");
}

static void test_parse_num_bounds(void **state)
{
	long long v;
	char err[SK_ERRLEN];
	(void)state;

	assert_int_equal(sk_parse_num("0", 0, 10, &v, "n", err, sizeof err), 0);
	assert_int_equal(v, 0);
	assert_int_equal(sk_parse_num("10", 0, 10, &v, "n", err, sizeof err), 0);
	assert_int_equal(sk_parse_num("11", 0, 10, &v, "n", err, sizeof err), -1);
	assert_string_equal(err, "n '11' out of range 0-10");
	assert_int_equal(sk_parse_num("", 0, 10, &v, "n", err, sizeof err), -1);
	assert_int_equal(sk_parse_num("1e3", 0, 10000, &v, "n", err, sizeof err), -1);
	assert_int_equal(sk_parse_num(" 1", 0, 10, &v, "n", err, sizeof err), -1);
	assert_int_equal(sk_parse_port("http", "tcp"), 80);
	assert_int_equal(sk_parse_port("65535", "tcp"), 65535);
	assert_int_equal(sk_parse_port("65536", "tcp"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_forms),
		cmocka_unit_test(test_bad_forms_name_the_bad_part),
		cmocka_unit_test(test_abstract_unix_address_length),
		cmocka_unit_test(test_parse_num_bounds),
	};
	return cmocka_run_group_tests_name("endpoint", tests, NULL, NULL);
}
