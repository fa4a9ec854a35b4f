/* test_chat_state.c — chat state and fan-out with a fake host: RFC 1459
 * case mapping, nick and channel names, masks, a channel message queued
 * once to every other member, SendQ dropping a client that does not read
 * while the others go on, clean-up after a close, and the end-of-wakeup
 * sends in slices of FLUSH_BUDGET receivers, oldest first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "chat/chat.h"
#include "fake_host.h"

extern const struct service svc_chat;

#define N 4

/* N fake clients sharing one chat instance, as the host runs them. */
static struct fake fk[N];

/* n fake clients in v sharing one chat instance, opened. */
static void setup_n(struct fake *v, int n, const struct svc_options *opt)
{
	fake_init(&v[0], &svc_chat, opt);
	for (int i = 1; i < n; i++) {
		struct fake *f = &v[i];
		memset(f, 0, sizeof *f);
		f->svc = &svc_chat;
		if (opt)
			f->opt = *opt;
		f->queue_after = (size_t)-1;
		f->conn.host = v[0].conn.host;
		f->conn.opt = &f->opt;
		f->conn.peer = "127.0.0.1:40001";
		f->conn.state = calloc(1, svc_chat.state_size);
		f->conn.instance = v[0].conn.instance;
	}
	for (int i = 0; i < n; i++)
		fake_open(&v[i]);
}

static void teardown_n(struct fake *v, int n)
{
	void *inst = v[0].conn.instance;

	for (int i = 0; i < n; i++) {
		svc_chat.close(&v[i].conn);
		free(v[i].conn.state);
		free(v[i].out);
	}
	svc_chat.fini(inst);
}

static void setup_all(const struct svc_options *opt)
{
	setup_n(fk, N, opt);
}

static void teardown_all(void)
{
	teardown_n(fk, N);
}

static void say_to(struct fake *f, const char *text)
{
	svc_chat.bytes(&f->conn, text, strlen(text));
}

static void say(int i, const char *text)
{
	say_to(&fk[i], text);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; p && (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* Register the n clients of v as n0, n1, ... and put them in #c. */
static void register_n(struct fake *v, int n)
{
	char line[128];

	for (int i = 0; i < n; i++) {
		snprintf(line, sizeof line, "NICK n%d\r\nUSER u 0 * :R\r\nJOIN #c\r\n", i);
		say_to(&v[i], line);
		assert_non_null(strstr(v[i].out, " 001 "));
		assert_non_null(strstr(v[i].out, " 366 "));
	}
	for (int i = 0; i < n; i++) {
		fake_clear(&v[i]);
		v[i].sends = 0;
	}
}

static void register_all(void)
{
	register_n(fk, N);
}

static void test_case_mapping_and_names(void **st)
{
	(void)st;
	char f[32];

	chat_fold(f, "Nick[A]\\~", sizeof f);
	assert_string_equal(f, "nick{a}|^");
	assert_true(chat_nick_valid("a-b[c]"));
	assert_false(chat_nick_valid("9lives"));
	assert_false(chat_nick_valid("-dash"));
	assert_false(chat_nick_valid("with space"));
	assert_false(chat_nick_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));   /* 31 */
	assert_true(chat_chan_valid("#ok"));
	assert_false(chat_chan_valid("#"));
	assert_false(chat_chan_valid("#a,b"));
	assert_false(chat_chan_valid("&local"));
	assert_true(chat_mask_match("n*!*@*", "Nick!u@h"));
	assert_true(chat_mask_match("*!*@127.0.0.?", "a!b@127.0.0.1"));
	assert_false(chat_mask_match("x*", "nick"));
	assert_true(chat_mask_match("[a]*", "{A}bc"));
	/* A hostile mask stays cheap (no exponential backtracking). */
	assert_false(chat_mask_match("*a*a*a*a*a*a*a*a*a*a*b",
	                             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}

static void test_fanout_once_to_each_other_member(void **st)
{
	(void)st;
	setup_all(NULL);
	register_all();
	say(0, "PRIVMSG #c :hello\r\n");
	assert_int_equal(count(fk[0].out, "PRIVMSG"), 0);
	for (int i = 1; i < N; i++) {
		assert_int_equal(count(fk[i].out, ":n0!~u@127.0.0.1 PRIVMSG #c :hello\r\n"), 1);
		/* One send per receiver for the wakeup, whatever it carried. */
		assert_int_equal(fk[i].sends, 1);
	}
	/* NICK goes once to everyone sharing a channel, and to the client. */
	say(1, "JOIN #d\r\nPRIVMSG #d :x\r\nNICK {NEW}\r\n");
	for (int i = 0; i < N; i++)
		assert_int_equal(count(fk[i].out, ":n1!~u@127.0.0.1 NICK :{NEW}"), 1);
	/* Case mapping: [new] is {NEW}. */
	fake_clear(&fk[2]);
	say(2, "NICK [new]\r\n");
	assert_non_null(strstr(fk[2].out, " 433 n2 [new] "));
	teardown_all();
}

static void test_sendq_drops_the_slow_one_only(void **st)
{
	(void)st;
	struct svc_options opt = { .sendq = 4096, .no_flood_limit = true };
	char line[256];

	setup_all(&opt);
	register_all();
	fk[3].queue_after = 0;       /* n3 reads nothing: all it gets stays queued */
	for (int k = 0; k < 100; k++) {
		snprintf(line, sizeof line, "PRIVMSG #c :%03d %0100d\r\n", k, 0);
		say(0, line);
	}
	assert_true(fk[3].dropped);
	assert_string_equal(fk[3].end_reason, "SendQ exceeded");
	for (int i = 1; i < 3; i++) {
		assert_false(fk[i].ended);
		assert_int_equal(count(fk[i].out, "PRIVMSG #c :"), 100);
		assert_int_equal(count(fk[i].out, ":n3!~u@127.0.0.1 QUIT :SendQ exceeded"), 1);
	}
	/* Its nick is free again at once. */
	say(1, "NICK n3\r\n");
	assert_non_null(strstr(fk[1].out, ":n1!~u@127.0.0.1 NICK :n3"));
	teardown_all();
}

static void test_close_leaves_channels(void **st)
{
	(void)st;
	setup_all(NULL);
	register_all();
	struct chat_server *s = fk[0].conn.instance;
	assert_int_equal(s->nusers, N);
	svc_chat.close(&fk[3].conn);
	*(struct client **)fk[3].conn.state = NULL;
	assert_int_equal(s->nusers, N - 1);
	assert_non_null(strstr(fk[0].out, ":n3!~u@127.0.0.1 QUIT :Connection closed"));
	struct channel *ch = chat_find_chan(s, "#C");
	assert_non_null(ch);
	assert_int_equal(ch->n, N - 1);
	assert_null(chat_find_nick(s, "N3"));
	teardown_all();
}

static void test_flood_control_pauses_and_resumes(void **st)
{
	(void)st;
	char buf[64 * 12];
	size_t n = 0;

	setup_all(NULL);
	register_all();
	for (int i = 0; i < 60; i++)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "PING :%02d\r\n", i);
	say(0, buf);
	assert_true(fk[0].paused);
	assert_null(strstr(fk[0].out, "PONG sockit :59"));
	assert_non_null(strstr(fk[0].out, "PONG sockit :00"));
	assert_true(fk[0].timer_ms > 0);
	teardown_all();
}

/* With the host's end-of-wakeup call, two senders' lines reach a
 * receiver in one write. */
static void test_wakeup_end_batches_across_senders(void **st)
{
	(void)st;
	setup_all(NULL);
	register_all();
	void *inst = fk[0].conn.instance;
	svc_chat.wakeup_end(inst);          /* the host calls it: batch */
	say(0, "PRIVMSG #c :from zero\r\n");
	say(1, "PRIVMSG #c :from one\r\n");
	assert_int_equal(fk[3].sends, 0);
	svc_chat.wakeup_end(inst);
	assert_int_equal(fk[3].sends, 1);
	assert_non_null(strstr(fk[3].out, ":n0!~u@127.0.0.1 PRIVMSG #c :from zero\r\n"
	                                  ":n1!~u@127.0.0.1 PRIVMSG #c :from one\r\n"));
	teardown_all();
}

/* An empty line (a cluster peer may publish one: fuzz_chat_bus found it)
 * queues nothing; it used to do arithmetic on a NULL output buffer (UBSan
 * stops there) and put the client on the list of those with output. */
static void test_empty_line_queues_nothing(void **st)
{
	(void)st;
	setup_all(NULL);
	register_all();
	struct client *cl = *(struct client **)fk[1].conn.state;
	assert_null(cl->obuf);              /* freed once sent (OBUF_KEEP 0) */
	chat_enter(cl->srv);
	chat_send_line(cl, "", 0);
	assert_null(cl->obuf);
	assert_false(cl->dirty);            /* nothing to send: not queued to send */
	chat_send_line(cl, "PING :x\r\n", 9);
	chat_leave(cl->srv);                /* sends what was queued */
	assert_string_equal(fk[1].out, "PING :x\r\n");
	teardown_all();
}

/* A message to a room of 150 goes out FLUSH_BUDGET (64) receivers per
 * end of wakeup, the host told each time that some are left, oldest
 * first: the first slice holds the first receivers, and a message sent
 * meanwhile reaches everyone after the first one, the receivers still
 * waiting getting both in one write. */
#define BIG 150
static struct fake big[BIG];

static void test_wakeup_end_sends_in_slices(void **st)
{
	(void)st;
	setup_n(big, BIG, NULL);
	void *inst = big[0].conn.instance;
	register_n(big, BIG);
	assert_false(svc_chat.wakeup_end(inst));     /* the host calls it: batch */
	say_to(&big[0], "PRIVMSG #c :one\r\n");
	assert_true(svc_chat.wakeup_end(inst));      /* 64 of 149 */
	int sent = 0;
	for (int i = 1; i < BIG; i++)
		sent += big[i].sends;
	assert_int_equal(sent, 64);
	assert_int_equal(big[1].sends, 1);           /* oldest first */
	assert_int_equal(big[BIG - 1].sends, 0);
	say_to(&big[0], "PRIVMSG #c :two\r\n");
	/* Left: n65..n148 (both lines), then n1..n64 again (the second). */
	assert_true(svc_chat.wakeup_end(inst));
	assert_true(svc_chat.wakeup_end(inst));
	assert_false(svc_chat.wakeup_end(inst));     /* 85 + 64 in three slices */
	assert_int_equal(big[1].sends, 2);
	for (int i = 1; i < BIG; i++) {
		assert_non_null(strstr(big[i].out, "PRIVMSG #c :one\r\n"));
		assert_non_null(strstr(big[i].out, "PRIVMSG #c :two\r\n"));
		assert_true(strstr(big[i].out, ":one") < strstr(big[i].out, ":two"));
	}
	assert_int_equal(big[BIG - 1].sends, 1);     /* both lines in one write */
	teardown_n(big, BIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_case_mapping_and_names),
		cmocka_unit_test(test_fanout_once_to_each_other_member),
		cmocka_unit_test(test_sendq_drops_the_slow_one_only),
		cmocka_unit_test(test_close_leaves_channels),
		cmocka_unit_test(test_flood_control_pauses_and_resumes),
		cmocka_unit_test(test_wakeup_end_batches_across_senders),
		cmocka_unit_test(test_wakeup_end_sends_in_slices),
		cmocka_unit_test(test_empty_line_queues_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
