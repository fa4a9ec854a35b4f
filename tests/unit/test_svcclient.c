/* test_svcclient.c — the service clients' shared helpers: JSON strings
 * (escapes, UTF-8 kept, stray bytes as \u00XX) and read-to-EOF with a
 * cap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/svcclient.h"

static char *json_of(const char *s, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_string(f, s, n);
	fclose(f);
	return buf;
}

static void test_json_string(void **st)
{
	(void)st;
	char *j = json_of("a\"b\\c\n\r\t", 8);
	assert_string_equal(j, "\"a\\\"b\\\\c\\n\\r\\t\"");
	free(j);
	j = json_of("caf\xc3\xa9 \xe2\x82\xac", 9);     /* UTF-8 kept */
	assert_string_equal(j, "\"caf\xc3\xa9 \xe2\x82\xac\"");
	free(j);
	j = json_of("\x01\xff\xc3", 3);                  /* stray bytes */
	assert_string_equal(j, "\"\\u0001\\u00ff\\u00c3\"");
	free(j);
	j = json_of("\0x", 2);
	assert_string_equal(j, "\"\\u0000x\"");
	free(j);
}

static void test_read_all(void **st)
{
	(void)st;
	int sv[2];
	char buf[8];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[0], "hello", 5), 5);
	shutdown(sv[0], SHUT_WR);
	assert_int_equal(client_read_all(sv[1], buf, sizeof buf, 1000), 5);
	assert_memory_equal(buf, "hello", 5);
	close(sv[0]);
	close(sv[1]);

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[0], "0123456789", 10), 10);
	shutdown(sv[0], SHUT_WR);
	assert_int_equal(client_read_all(sv[1], buf, sizeof buf, 1000), -1);
	assert_int_equal(errno, EMSGSIZE);
	close(sv[0]);
	close(sv[1]);

	/* Exactly cap bytes then EOF is fine. */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[0], "01234567", 8), 8);
	shutdown(sv[0], SHUT_WR);
	assert_int_equal(client_read_all(sv[1], buf, sizeof buf, 1000), 8);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_string),
		cmocka_unit_test(test_read_all),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
