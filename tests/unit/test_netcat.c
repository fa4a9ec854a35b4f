/* test_netcat.c — the netcat modules that need no network: the option
 * parser, --allow/--deny matching, the -C and --telnet filters, and the
 * pump moving bytes (splice and buffer) through pipes and a socketpair,
 * from a TLS source too (its budget, and the bytes OpenSSL holds). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "netcat/netcat.h"

static struct nc_opts o;

/* Parse a NULL-terminated argument list for cmd; nc_parse's result. */
static int parse(const char *cmd, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;

	argv[argc++] = (char *)cmd;
	va_start(ap, cmd);
	for (char *a; (a = va_arg(ap, char *)) && argc < 31;)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	return nc_parse(&o, cmd, argc, argv);
}

static void test_options(void **state)
{
	(void)state;
	assert_int_equal(parse("connect", "-w", "1.5s", "-q", "250ms", "127.0.0.1", "80", NULL), 0);
	assert_int_equal(o.wait_ms, 1500);
	assert_int_equal(o.quit_ms, 250);
	assert_string_equal(o.ep.port, "80");
	assert_int_equal(o.ep.transport, SK_TCP);
	/* UDP connect quits at stdin EOF by default; TCP waits for the peer. */
	assert_int_equal(parse("connect", "-u", "127.0.0.1:53", NULL), 0);
	assert_int_equal(o.ep.transport, SK_UDP);
	assert_int_equal(o.quit_ms, 0);
	assert_int_equal(parse("connect", "127.0.0.1:53", NULL), 0);
	assert_int_equal(o.quit_ms, -1);
	/* listen PORT is every address; -l on connect is listen. */
	assert_int_equal(parse("listen", "8080", NULL), 0);
	assert_true(o.ep.wildcard);
	assert_int_equal(parse("connect", "-l", "-k", "::1", "0", NULL), 0);
	assert_int_equal(o.mode, NC_LISTEN);
	assert_string_equal(o.ep.host, "::1");
	/* -z port lists. */
	assert_int_equal(parse("connect", "-z", "127.0.0.1", "20-22,80", "443", NULL), 0);
	assert_int_equal(o.nports, 5);
	assert_int_equal(o.ports[4], 443);
	assert_int_equal(parse("connect", "-U", "-u", "/tmp/x", NULL), 0);
	assert_int_equal(o.ep.transport, SK_UNIXGRAM);
	assert_int_equal(parse("relay", "-", "tcp://127.0.0.1:1", NULL), 0);
	assert_true(o.in_stdio);
}

static void test_bad_options(void **state)
{
	(void)state;
	fclose(stderr);         /* the one-line messages are e2e-tested */
	assert_int_equal(parse("connect", "-k", "127.0.0.1:1", NULL), -1);
	assert_int_equal(parse("connect", "--recv-only", "--send-only", "127.0.0.1:1", NULL), -1);
	assert_int_equal(parse("connect", "-z", "127.0.0.1", "9-1", NULL), -1);
	assert_int_equal(parse("listen", "--allow", "10.0.0.0/33", "1", NULL), -1);
	assert_int_equal(parse("connect", "--cert", "x", "127.0.0.1:1", NULL), -1);
	assert_int_equal(parse("relay", "udp://127.0.0.1:1", "tcp://127.0.0.1:2", NULL), -1);
	assert_int_equal(parse("relay", "-", "-", NULL), -1);
	assert_int_equal(parse("connect", "a", "b", "c", NULL), -1);
}

static void test_acl(void **state)
{
	struct sockaddr_in in = { .sin_family = AF_INET };
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6 };
	char why[64];

	(void)state;
	memset(&o, 0, sizeof o);
	assert_int_equal(nc_parse_cidr("10.1.0.0/16", &o.allow[o.nallow++]), 0);
	assert_int_equal(nc_parse_cidr("10.1.2.3", &o.deny[o.ndeny++]), 0);
	assert_int_equal(nc_parse_cidr("2001:db8::/32", &o.allow[o.nallow++]), 0);
	assert_int_equal(nc_parse_cidr("x/8", &o.deny[9]), -1);
	inet_pton(AF_INET, "10.1.200.1", &in.sin_addr);
	assert_true(nc_peer_allowed(&o, (struct sockaddr *)&in, why, sizeof why));
	inet_pton(AF_INET, "10.1.2.3", &in.sin_addr);
	assert_false(nc_peer_allowed(&o, (struct sockaddr *)&in, why, sizeof why));
	assert_string_equal(why, "--deny 10.1.2.3/32");
	inet_pton(AF_INET, "10.2.0.1", &in.sin_addr);
	assert_false(nc_peer_allowed(&o, (struct sockaddr *)&in, why, sizeof why));
	/* An IPv4-mapped peer on a dual-stack socket matches IPv4 rules. */
	inet_pton(AF_INET6, "::ffff:10.1.9.9", &in6.sin6_addr);
	assert_true(nc_peer_allowed(&o, (struct sockaddr *)&in6, why, sizeof why));
	inet_pton(AF_INET6, "2001:db8:1::5", &in6.sin6_addr);
	assert_true(nc_peer_allowed(&o, (struct sockaddr *)&in6, why, sizeof why));
}

static void test_crlf(void **state)
{
	char out[32];
	size_t n = nc_crlf_filter(NULL, "a\nb\r\nc", 6, out);

	(void)state;
	assert_int_equal(n, 7);
	assert_memory_equal(out, "a\r\nb\r\nc", 7);
	/* A CR ending one read and the LF starting the next are one CRLF. */
	char last = '\0';
	n = nc_crlf_filter(&last, "x\r", 2, out);
	n += nc_crlf_filter(&last, "\ny\n", 3, out + n);
	assert_int_equal(n, 6);
	assert_memory_equal(out, "x\r\ny\r\n", 6);
}

static void test_telnet(void **state)
{
	char out[64];
	const unsigned char *q;
	const unsigned char in[] = { 'h', 255, 253, 1, 'i', 255, 250, 24, 1, 255, 240,
	                             255, 255, 255, 251 };
	const unsigned char tail[] = { 3, '!' };
	const unsigned char want[] = { 255, 252, 1, 255, 254, 3 };

	(void)state;
	struct nc_telnet *t = nc_telnet_new();
	size_t n = nc_telnet_filter(t, (const char *)in, sizeof in, out);
	assert_int_equal(nc_telnet_pending(t, &q), 3);
	assert_true(nc_telnet_full(t));
	/* A command split across two reads still parses. */
	n += nc_telnet_filter(t, (const char *)tail, sizeof tail, out + n);
	assert_int_equal(n, 4);
	assert_memory_equal(out, "hi\xff!", 4);
	/* The refusals wait in the queue, in order, until consumed. */
	assert_int_equal(nc_telnet_pending(t, &q), sizeof want);
	assert_memory_equal(q, want, sizeof want);
	nc_telnet_consume(t, 4);
	assert_int_equal(nc_telnet_pending(t, &q), 2);
	assert_memory_equal(q, want + 4, 2);
	nc_telnet_consume(t, 2);
	assert_false(nc_telnet_full(t));
	nc_telnet_free(t);
}

/* Push 3 MiB from a pipe through a pump into a socketpair and back out:
 * every byte arrives, in order, and EOF becomes a shutdown. */
static void pump_through(bool splice_ok)
{
	int in[2], sv[2];
	size_t total = 3 << 20, sent = 0, got = 0;
	char *data = malloc(total), *back = malloc(total);
	struct nc_pump p;

	for (size_t i = 0; i < total; i++)
		data[i] = (char)(i * 7 + i / 4096);
	assert_int_equal(pipe2(in, O_NONBLOCK), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	struct nc_end src = { in[0], -1, false, false, NULL };
	struct nc_end dst = { sv[0], sv[0], true, false, NULL };
	nc_pump_init(&p, &src, &dst, splice_ok);
	for (int guard = 0; guard < 100000 && !p.done; guard++) {
		if (sent < total) {
			ssize_t w = write(in[1], data + sent, total - sent);
			if (w > 0)
				sent += (size_t)w;
			if (sent == total)
				close(in[1]);
		}
		assert_int_equal(nc_pump_run(&p, 1 << 20), 0);
		ssize_t r = read(sv[1], back + got, total - got);
		if (r > 0)
			got += (size_t)r;
	}
	assert_true(p.done);
	for (int guard = 0; guard < 100000 && got < total; guard++) {
		ssize_t r = read(sv[1], back + got, total - got);
		if (r > 0)
			got += (size_t)r;
	}
	assert_int_equal(got, total);
	assert_memory_equal(back, data, total);
	assert_int_equal(read(sv[1], back, 1), 0);      /* the FIN */
	nc_pump_free(&p);
	close(in[0]);
	close(sv[0]);
	close(sv[1]);
	free(data);
	free(back);
}

static void test_pump_splice(void **state)
{
	(void)state;
	pump_through(true);
}

static void test_pump_buffer(void **state)
{
	(void)state;
	pump_through(false);
}

/* A TLS client on one end of a socketpair, the server on the other. */
static void tls_pair(int sv[2], struct nc_tls **srv, struct nc_tls **cli)
{
	char err[256];
	short want;

	assert_int_equal(parse("relay", "--tls-in", "--tls-out", "--insecure",
	                       "tcp://127.0.0.1:0", "tcp://127.0.0.1:9", NULL), 0);
	assert_int_equal(nc_tls_setup(&o, true, true, err, sizeof err), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	*srv = nc_tls_server_async(&o, sv[0], err, sizeof err);
	*cli = nc_tls_client_async(&o, sv[1], "localhost", err, sizeof err);
	assert_non_null(*srv);
	assert_non_null(*cli);
	int a = 0, b = 0;
	for (int guard = 0; guard < 10000 && (a < 1 || b < 1); guard++) {
		if (a < 1)
			assert_true((a = nc_tls_handshake_step(*srv, &want)) >= 0);
		if (b < 1)
			assert_true((b = nc_tls_handshake_step(*cli, &want)) >= 0);
	}
	assert_true(a == 1 && b == 1);
}

/* Whether an event loop would run pump p now: it asked to go on at once
 * (again), or the fd it waits on is ready. */
static bool loop_would_run(const struct nc_pump *p)
{
	struct pollfd pfd = { p->wait_fd, p->wait_events, 0 };

	return p->again || poll(&pfd, 1, 0) == 1;
}

/* A TLS source keeps to the pump's budget like any other, and a pump
 * stopped there never waits on a socket poll shows empty while OpenSSL
 * holds the next bytes.  The sender sends a burst, then waits until all
 * of it has come out (a request awaiting its answer); the pump runs only
 * when an event loop would run it.  Bursts of 16 to 144 KiB, in records
 * of 512 bytes to 16 KiB, through a 64 KiB budget: OpenSSL reads 64 KiB
 * of records per recv and hands out one per SSL_read, so some runs stop
 * at the budget with whole records left in OpenSSL and the socket empty
 * (a pump that then waited for POLLIN would wait forever). */
static void test_pump_tls_budget(void **state)
{
	enum { TOTAL = 4 << 20, BUDGET = 64 << 10, RECORD = 16 << 10 };
	char *data = malloc(TOTAL), *back = malloc(TOTAL);
	size_t sent = 0, got = 0, burst_end = 0;
	int sv[2], out[2], held = 0, bursts = 0, big = 4 << 20;
	struct nc_tls *srv, *cli;
	struct nc_pump p;
	short want;

	(void)state;
	for (size_t i = 0; i < TOTAL; i++)
		data[i] = (char)(i * 13 + i / 8192);
	tls_pair(sv, &srv, &cli);
	/* Room for a whole burst of small records (root may pass wmem_max). */
	if (setsockopt(sv[1], SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big) < 0)
		(void)setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
	assert_int_equal(pipe2(out, O_NONBLOCK), 0);
	assert_true(fcntl(out[1], F_SETPIPE_SZ, 1 << 20) >= (1 << 20));
	struct nc_end src = { sv[0], sv[0], true, false, srv };
	struct nc_end dst = { out[1], out[1], false, false, NULL };
	nc_pump_init(&p, &src, &dst, false);
	for (int guard = 0; guard < 200000 && got < TOTAL; guard++) {
		if (got == burst_end) {         /* answered: the next burst */
			size_t n = (size_t)(bursts++ % 9 + 1) * RECORD - 100;
			burst_end = sent + n < TOTAL ? sent + n : TOTAL;
		}
		size_t rec = (size_t[]){ 512, 1500, 4096, RECORD }[bursts % 4];
		while (sent < burst_end) {
			size_t n = burst_end - sent < rec ? burst_end - sent : rec;
			ssize_t w = nc_tls_write(cli, data + sent, n, &want);
			if (w <= 0)
				break;
			sent += (size_t)w;
		}
		if (loop_would_run(&p)) {
			uint64_t before = p.bytes;
			assert_int_equal(nc_pump_run(&p, BUDGET), 0);
			/* One read past the budget at most. */
			assert_true(p.bytes - before <= BUDGET + RECORD);
			struct pollfd pfd = { sv[0], POLLIN, 0 };
			if (p.bytes - before >= BUDGET && p.len == p.off && p.bytes < sent &&
			    sent == burst_end && poll(&pfd, 1, 0) == 0)
				held++;         /* only OpenSSL has the next bytes */
		}
		ssize_t r = read(out[0], back + got, TOTAL - got);
		if (r > 0)
			got += (size_t)r;
		/* Everything sent and nothing to run the pump for: a stall. */
		if (r <= 0 && sent == burst_end && got < sent && !loop_would_run(&p))
			fail_msg("stalled at %zu of %zu bytes sent", got, sent);
	}
	assert_int_equal(got, TOTAL);
	assert_memory_equal(back, data, TOTAL);
	assert_true(held > 0);      /* the case this test is for did happen */
	nc_pump_free(&p);
	nc_tls_free(srv);
	nc_tls_free(cli);
	nc_tls_cleanup();
	close(sv[0]);
	close(sv[1]);
	close(out[0]);
	close(out[1]);
	free(data);
	free(back);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_acl),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_telnet),
		cmocka_unit_test(test_pump_splice),
		cmocka_unit_test(test_pump_buffer),
		cmocka_unit_test(test_pump_tls_budget),
		cmocka_unit_test(test_bad_options),
	};
	return cmocka_run_group_tests_name("netcat", tests, NULL, NULL);
}
