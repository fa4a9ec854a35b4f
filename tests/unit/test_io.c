/* test_io.c — send_all, recv_exact and recv_until over socketpairs with
 * tiny buffers, against a peer that writes one byte at a time and closes
 * mid-message. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "sockit/io.h"
#include "sockit/net.h"

struct trickle {
	int fd;
	const char *data;
	size_t len;
	size_t chunk;    /* bytes per write */
};

/* The peer: writes data in chunk-sized writes, then closes its end. */
static void *trickle_main(void *arg)
{
	struct trickle *t = arg;

	for (size_t off = 0; off < t->len; off += t->chunk) {
		size_t n = t->len - off < t->chunk ? t->len - off : t->chunk;
		if (sk_send_all(t->fd, t->data + off, n, 5000) != (ssize_t)n)
			break;
	}
	close(t->fd);
	return NULL;
}

static void tiny_pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	sk_set_bufsizes(sv[0], 1024, 1024);
	sk_set_bufsizes(sv[1], 1024, 1024);
}

static void test_send_all_and_recv_exact_large(void **state)
{
	int sv[2], status;
	size_t len = 1 << 20;
	char *data = malloc(len), *got = malloc(len);
	(void)state;

	for (size_t i = 0; i < len; i++)
		data[i] = (char)(i * 7 + 3);
	tiny_pair(sv);
	sk_set_nonblock(sv[0], true);   /* send_all must poll on EAGAIN */
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[1]);
		ssize_t n = sk_send_all(sv[0], data, len, 5000);
		_exit(n == (ssize_t)len ? 0 : 1);
	}
	close(sv[0]);
	assert_int_equal(sk_recv_exact(sv[1], got, len, 5000), (ssize_t)len);
	assert_memory_equal(got, data, len);
	waitpid(pid, &status, 0);
	assert_int_equal(status, 0);
	close(sv[1]);
	free(data);
	free(got);
}

static void test_recv_exact_eof_mid_message(void **state)
{
	int sv[2];
	char buf[100];
	pthread_t th;
	(void)state;

	tiny_pair(sv);
	struct trickle t = { sv[1], "0123456789", 10, 1 };
	pthread_create(&th, NULL, trickle_main, &t);
	/* 10 bytes arrive one at a time, then EOF: the short count says so. */
	assert_int_equal(sk_recv_exact(sv[0], buf, sizeof buf, 5000), 10);
	assert_memory_equal(buf, "0123456789", 10);
	/* At EOF before anything: 0. */
	assert_int_equal(sk_recv_exact(sv[0], buf, 5, 5000), 0);
	pthread_join(th, NULL);
	close(sv[0]);
}

static void test_recv_until_trickled_records(void **state)
{
	static const char input[] = "e10isi pesan.d10scs zockx.\r\nline two\r\ntail";
	int sv[2];
	struct sk_reader r;
	const char *rec;
	pthread_t th;
	(void)state;

	tiny_pair(sv);
	struct trickle t = { sv[1], input, sizeof input - 1, 1 };
	pthread_create(&th, NULL, trickle_main, &t);
	sk_reader_init(&r, sv[0]);
	assert_int_equal(sk_recv_until(&r, ".", 1, 1024, &rec, 5000), 13);
	assert_memory_equal(rec, "e10isi pesan.", 13);
	assert_int_equal(sk_recv_until(&r, ".", 1, 1024, &rec, 5000), 13);
	assert_memory_equal(rec, "d10scs zockx.", 13);
	/* A two-byte delimiter split across segments. */
	assert_int_equal(sk_recv_until(&r, "\r\n", 2, 1024, &rec, 5000), 2);
	assert_int_equal(sk_recv_until(&r, "\r\n", 2, 1024, &rec, 5000), 10);
	assert_memory_equal(rec, "line two\r\n", 10);
	/* EOF with a partial record: EPROTO, and the bytes are still there. */
	assert_int_equal(sk_recv_until(&r, "\r\n", 2, 1024, &rec, 5000), -1);
	assert_int_equal(errno, EPROTO);
	const char *pending;
	assert_int_equal(sk_reader_pending(&r, &pending), 4);
	assert_memory_equal(pending, "tail", 4);
	pthread_join(th, NULL);
	sk_reader_free(&r);
	close(sv[0]);
}

static void test_recv_until_length_cap(void **state)
{
	int sv[2];
	struct sk_reader r;
	const char *rec;
	char big[5000];
	(void)state;

	memset(big, 'a', sizeof big);
	tiny_pair(sv);
	pthread_t th;
	struct trickle t = { sv[1], big, sizeof big, 700 };
	pthread_create(&th, NULL, trickle_main, &t);
	sk_reader_init(&r, sv[0]);
	assert_int_equal(sk_recv_until(&r, "\n", 1, 1000, &rec, 5000), -1);
	assert_int_equal(errno, EMSGSIZE);
	/* Drain so the writer can finish. */
	char sink[8192];
	while (sk_recv_exact(sv[0], sink, sizeof sink, 5000) > 0)
		;
	pthread_join(th, NULL);
	sk_reader_free(&r);
	close(sv[0]);
}

static void test_recv_until_clean_eof_and_timeout(void **state)
{
	int sv[2];
	struct sk_reader r;
	const char *rec;
	(void)state;

	tiny_pair(sv);
	sk_reader_init(&r, sv[0]);
	assert_int_equal(sk_recv_until(&r, "\n", 1, 100, &rec, 50), -1);
	assert_int_equal(errno, ETIMEDOUT);
	close(sv[1]);
	assert_int_equal(sk_recv_until(&r, "\n", 1, 100, &rec, 1000), 0);
	sk_reader_free(&r);
	close(sv[0]);
}

static void test_send_all_to_closed_peer_is_epipe(void **state)
{
	int sv[2];
	char buf[4096] = { 0 };
	(void)state;

	tiny_pair(sv);
	close(sv[1]);
	assert_int_equal(sk_send_all(sv[0], buf, sizeof buf, 1000), -1);
	assert_int_equal(errno, EPIPE);
	close(sv[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_send_all_and_recv_exact_large),
		cmocka_unit_test(test_recv_exact_eof_mid_message),
		cmocka_unit_test(test_recv_until_trickled_records),
		cmocka_unit_test(test_recv_until_length_cap),
		cmocka_unit_test(test_recv_until_clean_eof_and_timeout),
		cmocka_unit_test(test_send_all_to_closed_peer_is_epipe),
	};
	return cmocka_run_group_tests_name("io", tests, NULL, NULL);
}
