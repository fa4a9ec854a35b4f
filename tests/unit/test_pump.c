/* test_pump.c — sk_pump against a real peer process over a socketpair:
 * megabytes through an echo peer without deadlock, half-close, a peer
 * that closes early, the idle timeout, and the hooks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sockit/io.h"
#include "sockit/pump.h"

#define BIG (4 * 1024 * 1024)

enum peer { PEER_ECHO, PEER_SILENT, PEER_CLOSE, PEER_SIGNAL };

/* A child on the other end of a socketpair: echoes until EOF and then
 * closes (PEER_ECHO), reads and never answers (PEER_SILENT), or closes
 * at once (PEER_CLOSE).  Returns our end; *pid the child. */
static int start_peer(enum peer kind, pid_t *pid)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	*pid = fork();
	assert_true(*pid >= 0);
	if (*pid == 0) {
		char buf[65536];
		ssize_t n;
		close(sv[0]);
		if (kind == PEER_CLOSE)
			_exit(0);
		while ((n = read(sv[1], buf, sizeof buf)) > 0) {
			/* Interrupt the parent while it waits for this echo. */
			if (kind == PEER_SIGNAL)
				kill(getppid(), SIGUSR1);
			if (kind != PEER_SILENT &&
			    sk_send_all(sv[1], buf, (size_t)n, -1) < 0)
				_exit(1);
		}
		if (kind == PEER_SILENT)
			pause();
		_exit(0);
	}
	close(sv[1]);
	return sv[0];
}

static void stop_peer(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* A writer child feeding n bytes of a pattern into a pipe; the read end. */
static int feed(size_t n, pid_t *pid)
{
	int fds[2];

	assert_int_equal(pipe(fds), 0);
	*pid = fork();
	if (*pid == 0) {
		char *b = malloc(n);
		for (size_t i = 0; i < n; i++)
			b[i] = (char)(i * 7 + i / 251);
		close(fds[0]);
		_exit(sk_send_all(fds[1], b, n, -1) < 0);
	}
	close(fds[1]);
	return fds[0];
}

static void test_big_echo_with_half_close(void **st)
{
	(void)st;
	pid_t peer, writer;
	int sock = start_peer(PEER_ECHO, &peer);
	int in = feed(BIG, &writer);
	FILE *out = tmpfile();
	struct sk_pump p;

	sk_pump_init(&p, in, sock, fileno(out));
	p.half_close = true; /* so the echo peer sees EOF and closes */
	p.idle_ms = 60000;
	assert_int_equal(sk_pump_run(&p), 0);
	assert_true(p.sent == BIG && p.received == BIG && p.shut && p.sock_eof);
	assert_int_equal(lseek(fileno(out), 0, SEEK_END), BIG);
	char *b = malloc(BIG);
	assert_int_equal(pread(fileno(out), b, BIG, 0), BIG);
	for (size_t i = 0; i < BIG; i++)
		if (b[i] != (char)(i * 7 + i / 251))
			fail_msg("byte %zu differs", i);
	free(b);
	fclose(out);
	sk_pump_free(&p);
	close(in);
	close(sock);
	waitpid(writer, NULL, 0);
	stop_peer(peer);
}

static void test_peer_closes_early(void **st)
{
	(void)st;
	pid_t peer, writer;
	int sock = start_peer(PEER_CLOSE, &peer);
	int in = feed(BIG, &writer);
	struct sk_pump p;

	waitpid(peer, NULL, 0);
	sk_pump_init(&p, in, sock, -1);
	p.idle_ms = 60000;
	/* The default done: the socket's EOF ends the run, without error. */
	assert_int_equal(sk_pump_run(&p), 0);
	assert_true(p.sock_eof);
	sk_pump_free(&p);
	close(in);
	close(sock);
	kill(writer, SIGKILL);
	waitpid(writer, NULL, 0);
}

static void test_idle_timeout(void **st)
{
	(void)st;
	pid_t peer;
	int sock = start_peer(PEER_SILENT, &peer);
	struct sk_pump p;

	sk_pump_init(&p, -1, sock, -1);
	p.idle_ms = 50;
	assert_int_equal(sk_pump_send(&p, "hello", 5), 0);
	assert_int_equal(sk_pump_run(&p), -1);
	assert_int_equal(errno, ETIMEDOUT);
	assert_string_equal(p.failed, "wait");
	assert_int_equal(p.sent, 5);
	sk_pump_free(&p);
	close(sock);
	stop_peer(peer);
}

/* Hooks: the input is sent upper-cased; the run is done when as many
 * bytes came back as went out, without waiting for the peer to close. */
struct upper {
	char got[64];
	size_t n;
};

static int upper_input(struct sk_pump *p, const char *d, size_t n)
{
	char b[64];
	for (size_t i = 0; i < n && i < sizeof b; i++)
		b[i] = (char)toupper((unsigned char)d[i]);
	return n ? sk_pump_send(p, b, n < sizeof b ? n : sizeof b) : 0;
}

static int upper_recv(struct sk_pump *p, const char *d, size_t n)
{
	struct upper *u = p->ctx;
	if (n == 0) {
		errno = EPIPE;
		return -1;
	}
	memcpy(u->got + u->n, d, n);
	u->n += n;
	return 0;
}

static bool upper_done(struct sk_pump *p)
{
	return p->in_eof && sk_buf_len(&p->queue) == 0 && p->received >= p->sent;
}

static void test_hooks(void **st)
{
	(void)st;
	static const struct sk_pump_ops ops = {
	    .input = upper_input, .recv = upper_recv, .done = upper_done};
	pid_t peer;
	int sock = start_peer(PEER_ECHO, &peer);
	int fds[2];
	struct upper u = {.n = 0};
	struct sk_pump p;

	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], "hello", 5), 5);
	close(fds[1]);
	sk_pump_init(&p, fds[0], sock, -1);
	p.ops = &ops;
	p.ctx = &u;
	p.idle_ms = 60000;
	assert_int_equal(sk_pump_run(&p), 0);
	assert_int_equal(u.n, 5);
	assert_memory_equal(u.got, "HELLO", 5);
	assert_false(p.shut);
	sk_pump_free(&p);
	close(fds[0]);
	close(sock);
	stop_peer(peer);
}

static void on_usr1(int sig)
{
	(void)sig;
}

/* A signal handled while the pump waits (poll fails with EINTR) is not an
 * error: the run goes on (the bug cmd_caesar.c's comma idiom hid). */
static void test_eintr_is_retried(void **st)
{
	(void)st;
	struct sigaction sa = {.sa_handler = on_usr1}; /* no SA_RESTART */
	pid_t peer;
	int fds[2];
	struct sk_pump p;

	sigaction(SIGUSR1, &sa, NULL);
	int sock = start_peer(PEER_SIGNAL, &peer);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], "ping", 4), 4);
	close(fds[1]);
	sk_pump_init(&p, fds[0], sock, -1);
	p.half_close = true;
	p.idle_ms = 60000;
	assert_int_equal(sk_pump_run(&p), 0);
	assert_int_equal(p.received, 4);
	sk_pump_free(&p);
	close(fds[0]);
	close(sock);
	stop_peer(peer);
	signal(SIGUSR1, SIG_DFL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_big_echo_with_half_close),
	    cmocka_unit_test(test_peer_closes_early),
	    cmocka_unit_test(test_idle_timeout),
	    cmocka_unit_test(test_hooks),
	    cmocka_unit_test(test_eintr_is_retried),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
