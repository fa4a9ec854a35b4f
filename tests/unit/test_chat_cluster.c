/* test_chat_cluster.c — chat across two nodes over the in-memory bus
 * (fake_bus.h): channel lines, NAMES/WHOIS of remote users, private
 * messages to the owning node, NICK/TOPIC/KICK/QUIT mirrored, one publish
 * per channel message, a nick raced on two nodes won once, a lost node's
 * users QUIT with "node lost", Redis down and back, split collisions,
 * private lines to users sharing no room; the room and user state in the
 * broker: a room built from it on join, bans checked there, versioned
 * topics, a lost node's members removed, the state published again after
 * a reconnect, WHOIS/ISON/INVITE of users sharing no room, LIST of the
 * network's rooms (the local list when the broker does not answer). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "chat/chat.h"
#include "fake_host.h"
#include "fake_bus.h"

extern const struct service svc_chat;

#define PER 2

struct node {
	struct fbus bus;
	struct fake fk[PER];
};

static struct node A, B;

static void node_init(struct node *n, const char *name)
{
	fake_init(&n->fk[0], &svc_chat, NULL);
	for (int i = 1; i < PER; i++) {
		struct fake *f = &n->fk[i];
		memset(f, 0, sizeof *f);
		f->svc = &svc_chat;
		f->queue_after = (size_t)-1;
		f->conn.host = n->fk[0].conn.host;
		f->conn.opt = &f->opt;
		f->conn.peer = "127.0.0.2:40001";
		f->conn.state = calloc(1, svc_chat.state_size);
		f->conn.instance = n->fk[0].conn.instance;
	}
	fake_bus_init(&n->bus, name);
	assert_int_equal(svc_chat.bus_attach(n->fk[0].conn.instance, &n->bus.b), 0);
	n->bus.b.sink.link(n->bus.b.sink.svc, true, NULL);
	for (int i = 0; i < PER; i++)
		fake_open(&n->fk[i]);
}

static void node_free(struct node *n)
{
	void *inst = n->fk[0].conn.instance;

	for (int i = 0; i < PER; i++) {
		svc_chat.close(&n->fk[i].conn);
		free(n->fk[i].conn.state);
		free(n->fk[i].out);
	}
	fake_bus_run();
	svc_chat.fini(inst);
	memset(&n->bus.b.sink, 0, sizeof n->bus.b.sink);  /* off the broker */
	n->bus.nsubs = 0;
}

static int setup(void **st)
{
	(void)st;
	fake_bus_reset();
	node_init(&A, "a");
	node_init(&B, "b");
	fake_bus_run();
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	node_free(&A);
	node_free(&B);
	fake_bus_run();
	fake_bus_reset();
	return 0;
}

static void say(struct fake *f, const char *text)
{
	svc_chat.bytes(&f->conn, text, strlen(text));
	fake_bus_run();
}

static const char *out(struct fake *f)
{
	return f->out ? f->out : "";
}

/* alice on A, bob on B, both in #test. */
static void two_in_test(void)
{
	say(&A.fk[0], "NICK alice\r\nUSER a 0 * :Alice A\r\nJOIN #test\r\n");
	say(&B.fk[0], "NICK bob\r\nUSER b 0 * :Bob B\r\nJOIN #test\r\n");
	assert_non_null(strstr(out(&A.fk[0]), " 001 alice "));
	assert_non_null(strstr(out(&B.fk[0]), " 001 bob "));
	assert_non_null(strstr(out(&A.fk[0]), ":bob!~b@127.0.0.1 JOIN :#test"));
	fake_clear(&A.fk[0]);
	fake_clear(&B.fk[0]);
}

static void test_lines_cross_nodes(void **st)
{
	(void)st;
	two_in_test();
	say(&B.fk[0], "NAMES #test\r\nWHOIS alice\r\n");
	const char *names = strstr(out(&B.fk[0]), " 353 bob = #test :");
	assert_non_null(names);
	assert_true(strstr(names, "alice") && strstr(names, "alice") < strstr(names, " 366 "));
	assert_non_null(strstr(out(&B.fk[0]), " 311 bob alice ~a 127.0.0.1 * :Alice A"));
	assert_non_null(strstr(out(&B.fk[0]), " 312 bob alice sockit :sockit chat, node a"));
	int before = A.bus.publishes;
	say(&A.fk[0], "PRIVMSG #test :hello world\r\n");
	assert_int_equal(A.bus.publishes - before, 1);
	assert_non_null(strstr(out(&B.fk[0]), ":alice!~a@127.0.0.1 PRIVMSG #test :hello world"));
	say(&B.fk[0], "PRIVMSG alice :psst\r\nNOTICE #test :note\r\n");
	assert_non_null(strstr(out(&A.fk[0]), ":bob!~b@127.0.0.1 PRIVMSG alice :psst"));
	assert_non_null(strstr(out(&A.fk[0]), ":bob!~b@127.0.0.1 NOTICE #test :note"));
	say(&A.fk[0], "TOPIC #test :the topic\r\n");
	assert_non_null(strstr(out(&B.fk[0]), " TOPIC #test :the topic"));
	fake_clear(&B.fk[0]);
	say(&B.fk[0], "TOPIC #test\r\n");
	assert_non_null(strstr(out(&B.fk[0]), " 332 bob #test :the topic"));
	say(&A.fk[0], "NICK alicia\r\n");
	assert_non_null(strstr(out(&B.fk[0]), ":alice!~a@127.0.0.1 NICK :alicia"));
	assert_non_null(strstr(out(&A.fk[0]), ":alice!~a@127.0.0.1 NICK :alicia"));
	say(&B.fk[0], "PRIVMSG alicia :renamed?\r\n");
	assert_non_null(strstr(out(&A.fk[0]), "PRIVMSG alicia :renamed?"));
	say(&A.fk[0], "KICK #test bob :out\r\n");
	assert_non_null(strstr(out(&B.fk[0]), ":alicia!~a@127.0.0.1 KICK #test bob :out"));
	fake_clear(&B.fk[0]);
	/* B follows #test no more (no local member): it knows no such room. */
	say(&B.fk[0], "PRIVMSG #test :still here?\r\n");
	assert_non_null(strstr(out(&B.fk[0]), " 403 bob #test "));
	say(&B.fk[0], "JOIN #test\r\n");
	fake_clear(&A.fk[0]);
	say(&B.fk[0], "QUIT :bye\r\n");
	assert_non_null(strstr(out(&A.fk[0]), ":bob!~b@127.0.0.1 QUIT :Quit: bye"));
}

static void test_nick_race_one_winner(void **st)
{
	(void)st;
	/* Both registrations reach the broker before either answer. */
	svc_chat.bytes(&A.fk[1].conn, "NICK carol\r\nUSER c 0 * :C\r\n", 27);
	svc_chat.bytes(&B.fk[1].conn, "NICK carol\r\nUSER c 0 * :C\r\n", 27);
	fake_bus_run();
	bool a = strstr(out(&A.fk[1]), " 001 carol ") != NULL;
	bool b = strstr(out(&B.fk[1]), " 001 carol ") != NULL;
	assert_true(a != b);
	assert_non_null(strstr(out(a ? &B.fk[1] : &A.fk[1]), " 433 "));
	/* The loser picks another nick and gets in. */
	say(a ? &B.fk[1] : &A.fk[1], "NICK carol2\r\n");
	assert_non_null(strstr(out(a ? &B.fk[1] : &A.fk[1]), " 001 carol2 "));
	/* A nick freed by QUIT can be taken on the other node. */
	say(a ? &A.fk[1] : &B.fk[1], "QUIT\r\n");
	say(a ? &B.fk[1] : &A.fk[1], "NICK carol\r\n");
	assert_non_null(strstr(out(a ? &B.fk[1] : &A.fk[1]), "NICK :carol"));
}

static void test_lost_node_users_quit(void **st)
{
	(void)st;
	two_in_test();
	B.bus.alive = false;           /* B's liveness key expired */
	for (int i = 0; i < 5; i++) {
		A.bus.b.sink.tick(A.bus.b.sink.svc);
		fake_bus_run();
	}
	assert_non_null(strstr(out(&A.fk[0]), ":bob!~b@127.0.0.1 QUIT :node lost"));
	say(&A.fk[0], "NAMES #test\r\n");
	assert_null(strstr(strstr(out(&A.fk[0]), " 353 "), "bob"));
	/* bob's nick is free for a live node now. */
	say(&A.fk[1], "NICK bob\r\nUSER x 0 * :X\r\n");
	assert_non_null(strstr(out(&A.fk[1]), " 001 bob "));
}

static void test_link_down_keeps_local_rooms(void **st)
{
	(void)st;
	two_in_test();
	A.bus.b.up = false;
	A.bus.b.sink.link(A.bus.b.sink.svc, false, "test");
	fake_bus_run();
	assert_non_null(strstr(out(&A.fk[0]), "cluster link lost"));
	say(&A.fk[1], "NICK dave\r\nUSER d 0 * :D\r\nJOIN #test\r\n");
	assert_non_null(strstr(out(&A.fk[1]), " 001 dave "));
	fake_clear(&A.fk[1]);
	say(&A.fk[0], "PRIVMSG #test :local still works\r\n");
	assert_non_null(strstr(out(&A.fk[1]), "PRIVMSG #test :local still works"));
	A.bus.b.up = true;
	A.bus.b.sink.link(A.bus.b.sink.svc, true, NULL);
	fake_bus_run();
	assert_non_null(strstr(out(&A.fk[0]), "cluster link restored"));
	/* dave was re-published: B cannot take the nick. */
	say(&B.fk[1], "NICK dave\r\nUSER d 0 * :D\r\n");
	assert_non_null(strstr(out(&B.fk[1]), " 433 "));
}

/* A private line to a user of another node sharing no room with anyone
 * here: the nick's node is looked up, the line goes to that node only. */
static void test_private_line_without_shared_room(void **st)
{
	(void)st;
	say(&A.fk[0], "NICK dave\r\nUSER d 0 * :D\r\n");
	say(&B.fk[0], "NICK erin\r\nUSER e 0 * :E\r\n");
	int before = B.bus.publishes;
	say(&A.fk[0], "PRIVMSG erin :hi, no room shared\r\n");
	assert_non_null(strstr(out(&B.fk[0]), ":dave!~d@127.0.0.1 PRIVMSG erin :hi, no room shared"));
	assert_int_equal(B.bus.publishes, before);
	say(&B.fk[0], "PRIVMSG dave :hi back\r\n");
	assert_non_null(strstr(out(&A.fk[0]), ":erin!~e@127.0.0.1 PRIVMSG dave :hi back"));
	say(&A.fk[0], "PRIVMSG nobody :hello?\r\n");
	assert_non_null(strstr(out(&A.fk[0]), " 401 dave nobody :No such nick/channel"));
}

static void link_set(struct node *n, bool up)
{
	n->bus.b.up = up;
	n->bus.b.sink.link(n->bus.b.sink.svc, up, up ? NULL : "test");
	fake_bus_run();
}

/* The same nick registered on both sides of a split: the later
 * registration is renamed (436 + NICK) whichever node reconnects first. */
static void test_split_collision_later_renamed(void **st)
{
	(void)st;
	link_set(&A, false);
	link_set(&B, false);
	say(&A.fk[0], "NICK carol\r\nUSER a 0 * :A\r\n");
	assert_non_null(strstr(out(&A.fk[0]), " 001 carol "));
	say(&B.fk[0], "NICK carol\r\nUSER b 0 * :B\r\n");  /* later */
	assert_non_null(strstr(out(&B.fk[0]), " 001 carol "));
	link_set(&B, true);           /* the later one takes the key first */
	link_set(&A, true);
	for (int i = 0; i < 6; i++) {
		A.bus.b.sink.tick(A.bus.b.sink.svc);
		B.bus.b.sink.tick(B.bus.b.sink.svc);
		fake_bus_run();
	}
	assert_non_null(strstr(out(&B.fk[0]), " 436 carol carol :Nickname collision"));
	assert_non_null(strstr(out(&B.fk[0]), ":carol!~b@127.0.0.1 NICK :carol-"));
	assert_null(strstr(out(&A.fk[0]), " 436 "));
	/* A holds carol in the cluster now: a third client cannot take it. */
	say(&B.fk[1], "NICK carol\r\nUSER c 0 * :C\r\n");
	assert_non_null(strstr(out(&B.fk[1]), " 433 * carol "));
}

/* A room followed only by A: B builds it from the broker on JOIN (topic,
 * key, NAMES at once), and the broker's key check refuses a wrong key. */
static void test_join_builds_room_from_broker(void **st)
{
	(void)st;
	say(&A.fk[0], "NICK alice\r\nUSER a 0 * :A\r\nJOIN #x\r\nTOPIC #x :from A\r\n"
	    "MODE #x +k sesame\r\n");
	say(&B.fk[0], "NICK bob\r\nUSER b 0 * :B\r\nJOIN #x\r\n");
	assert_non_null(strstr(out(&B.fk[0]), " 475 bob #x :Cannot join channel (+k)"));
	fake_clear(&B.fk[0]);
	say(&B.fk[0], "JOIN #x sesame\r\n");
	const char *o = out(&B.fk[0]);
	assert_non_null(strstr(o, " 332 bob #x :from A"));
	assert_non_null(strstr(o, " 333 bob #x alice "));
	assert_non_null(strstr(o, " 353 bob = #x :"));
	assert_non_null(strstr(strstr(o, " 353 bob = #x :"), "@alice"));
	assert_null(strstr(o, "@bob"));          /* not the op of a room A made */
	fake_clear(&B.fk[0]);
	say(&B.fk[0], "MODE #x\r\n");
	assert_non_null(strstr(out(&B.fk[0]), " 324 bob #x +ntk sesame"));
}

static void test_ban_on_a_refuses_join_on_b(void **st)
{
	(void)st;
	say(&A.fk[0], "NICK alice\r\nUSER a 0 * :A\r\nJOIN #b\r\nMODE #b +b bob!*@*\r\n");
	say(&B.fk[0], "NICK bob\r\nUSER b 0 * :B\r\nJOIN #b\r\n");
	assert_non_null(strstr(out(&B.fk[0]), " 474 bob #b :Cannot join channel (+b)"));
	say(&B.fk[1], "NICK carol\r\nUSER c 0 * :C\r\nJOIN #b\r\n");
	assert_non_null(strstr(out(&B.fk[1]), " 366 carol #b "));
	/* The ban lives on B now too: the list is the broker's. */
	fake_clear(&B.fk[1]);
	say(&B.fk[1], "MODE #b b\r\n");
	assert_non_null(strstr(out(&B.fk[1]), " 367 carol #b bob!*@* alice "));
}

static const char *last_topic(struct fake *f)
{
	const char *p = out(f), *last = NULL;

	while ((p = strstr(p, " TOPIC #t :")))
		last = p++;
	return last;
}

/* Two TOPICs at once on two nodes: both nodes end with the one the
 * broker ordered last, and its members saw that one last. */
static void test_concurrent_topics_end_the_same(void **st)
{
	(void)st;
	say(&A.fk[0], "NICK alice\r\nUSER a 0 * :A\r\nJOIN #t\r\nMODE #t -t\r\n");
	say(&B.fk[0], "NICK bob\r\nUSER b 0 * :B\r\nJOIN #t\r\n");
	int before = fb.ops;
	svc_chat.bytes(&A.fk[0].conn, "TOPIC #t :one\r\n", 15);
	svc_chat.bytes(&B.fk[0].conn, "TOPIC #t :two\r\n", 15);
	fake_bus_run();
	assert_int_equal(fb.ops - before, 2);     /* one broker write per TOPIC */
	assert_non_null(last_topic(&A.fk[0]));
	assert_non_null(last_topic(&B.fk[0]));
	assert_int_equal(strncmp(last_topic(&A.fk[0]), " TOPIC #t :two\r\n", 16), 0);
	assert_int_equal(strncmp(last_topic(&B.fk[0]), " TOPIC #t :two\r\n", 16), 0);
	fake_clear(&A.fk[0]);
	fake_clear(&B.fk[0]);
	say(&A.fk[0], "TOPIC #t\r\n");
	say(&B.fk[0], "TOPIC #t\r\n");
	assert_non_null(strstr(out(&A.fk[0]), " 332 alice #t :two"));
	assert_non_null(strstr(out(&B.fk[0]), " 332 bob #t :two"));
}

static bool fb_member(const char *room, const char *nick)
{
	struct fb_room *r = fb_room(room, false);

	for (int i = 0; r && i < r->nm; i++)
		if (strcmp(r->m[i].nick, nick) == 0)
			return true;
	return false;
}

/* A lost node's members and users leave the broker (at A's heartbeat);
 * a room only it had is gone. */
static void test_lost_node_leaves_the_broker(void **st)
{
	(void)st;
	two_in_test();
	say(&B.fk[1], "NICK carol\r\nUSER c 0 * :C\r\nJOIN #only\r\n");
	assert_true(fb_member("#test", "bob") && fb_member("#only", "carol"));
	assert_non_null(fb_user("bob", false));
	B.bus.alive = false;
	A.bus.b.sink.tick(A.bus.b.sink.svc);
	fake_bus_run();
	assert_false(fb_member("#test", "bob"));
	assert_true(fb_member("#test", "alice"));
	assert_null(fb_room("#only", false));
	assert_null(fb_user("bob", false));
	assert_non_null(fb_user("alice", false));
}

/* A restarted broker (empty): the link coming back publishes every room
 * with local members and every local user again, once. */
static void test_reconnect_republishes_rooms_and_users(void **st)
{
	(void)st;
	two_in_test();
	say(&A.fk[0], "TOPIC #test :kept\r\nMODE #test +b evil!*@*\r\n");
	link_set(&A, false);
	link_set(&B, false);
	memset(fb.rooms, 0, sizeof fb.rooms);
	memset(fb.users, 0, sizeof fb.users);
	say(&A.fk[1], "NICK dave\r\nUSER d 0 * :D\r\nJOIN #test\r\n");   /* during the split */
	link_set(&A, true);
	link_set(&B, true);
	struct fb_room *r = fb_room("#test", false);
	assert_non_null(r);
	assert_int_equal(r->nm, 3);
	assert_true(fb_member("#test", "alice") && fb_member("#test", "bob") &&
	            fb_member("#test", "dave"));
	assert_string_equal(r->topic, "kept");
	assert_int_equal(r->nk, 1);
	assert_non_null(fb_user("dave", false));
	assert_non_null(fb_user("bob", false));
	link_set(&A, false);                       /* and again: still once each */
	link_set(&A, true);
	assert_int_equal(fb_room("#test", false)->nm, 3);
}

/* WHOIS, ISON, INVITE and PRIVMSG of a user of another node who shares no
 * room with anyone here: answered from the broker's user entry. */
static void test_queries_about_users_sharing_no_room(void **st)
{
	(void)st;
	say(&A.fk[0], "NICK alice\r\nUSER a 0 * :Alice A\r\nJOIN #inv\r\nMODE #inv +i\r\n");
	say(&B.fk[0], "NICK erin\r\nUSER e 0 * :Erin E\r\nAWAY :lunch\r\n");
	fake_clear(&A.fk[0]);
	say(&A.fk[0], "WHOIS erin\r\n");
	const char *o = out(&A.fk[0]);
	assert_non_null(strstr(o, " 311 alice erin ~e 127.0.0.1 * :Erin E"));
	assert_non_null(strstr(o, " 312 alice erin sockit :sockit chat, node b"));
	assert_non_null(strstr(o, " 301 alice erin :lunch"));
	assert_non_null(strstr(o, " 318 alice erin :End of /WHOIS list"));
	say(&A.fk[0], "ISON erin nobody alice\r\nWHOIS nobody\r\n");
	assert_non_null(strstr(out(&A.fk[0]), " 303 alice :alice erin"));
	assert_non_null(strstr(out(&A.fk[0]), " 401 alice nobody :No such nick"));
	say(&B.fk[0], "JOIN #inv\r\n");
	assert_non_null(strstr(out(&B.fk[0]), " 473 erin #inv "));
	say(&A.fk[0], "INVITE erin #inv\r\n");
	assert_non_null(strstr(out(&A.fk[0]), " 341 alice erin #inv"));
	assert_non_null(strstr(out(&B.fk[0]), ":alice!~a@127.0.0.1 INVITE erin :#inv"));
	fake_clear(&B.fk[0]);
	say(&B.fk[0], "JOIN #inv\r\n");
	assert_non_null(strstr(out(&B.fk[0]), " 366 erin #inv "));
}

/* LIST on A shows a room only B follows (count, topic from the broker),
 * hides a +s room of B's, and answers before the input that follows it;
 * with the broker not answering, the local list. */
static void test_list_shows_rooms_of_other_nodes(void **st)
{
	(void)st;
	say(&B.fk[0], "NICK bob\r\nUSER b 0 * :Bob B\r\nJOIN #far\r\nTOPIC #far :far away\r\n"
	              "JOIN #hidden\r\nMODE #hidden +s\r\n");
	say(&B.fk[1], "NICK carol\r\nUSER c 0 * :Carol\r\nJOIN #far\r\n");
	say(&A.fk[0], "NICK alice\r\nUSER a 0 * :Alice A\r\nJOIN #near\r\n");
	fake_clear(&A.fk[0]);
	say(&A.fk[0], "LIST\r\nPING :after\r\n");
	const char *o = out(&A.fk[0]);
	assert_non_null(strstr(o, " 321 alice Channel :Users  Name"));
	assert_non_null(strstr(o, " 322 alice #far 2 :far away"));
	assert_non_null(strstr(o, " 322 alice #near 1 :"));
	assert_null(strstr(o, "#hidden"));
	const char *end = strstr(o, " 323 alice :End of /LIST");
	assert_non_null(end);
	assert_true(strstr(o, "PONG") > end);
	fake_clear(&A.fk[0]);
	say(&A.fk[0], "LIST #FAR,#hidden,#none\r\n");
	o = out(&A.fk[0]);
	assert_non_null(strstr(o, " 322 alice #far 2 :far away"));
	assert_null(strstr(o, "#hidden"));
	assert_null(strstr(o, "#near"));
	assert_non_null(strstr(o, " 323 alice "));
	/* A member of the +s room sees it. */
	fake_clear(&B.fk[0]);
	say(&B.fk[0], "LIST\r\n");
	assert_non_null(strstr(out(&B.fk[0]), " 322 bob #hidden 1 :"));
	assert_non_null(strstr(out(&B.fk[0]), " 322 bob #near 1 :"));
	/* The broker does not answer: what this node follows. */
	fb.fail_lists = true;
	fake_clear(&A.fk[0]);
	say(&A.fk[0], "LIST\r\nPING :after\r\n");
	o = out(&A.fk[0]);
	assert_non_null(strstr(o, " 322 alice #near 1 :"));
	assert_null(strstr(o, "#far"));
	end = strstr(o, " 323 alice :End of /LIST");
	assert_non_null(end);
	assert_true(strstr(o, "PONG") > end);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lines_cross_nodes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nick_race_one_winner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lost_node_users_quit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_down_keeps_local_rooms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_split_collision_later_renamed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_private_line_without_shared_room, setup, teardown),
		cmocka_unit_test_setup_teardown(test_join_builds_room_from_broker, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ban_on_a_refuses_join_on_b, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_topics_end_the_same, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lost_node_leaves_the_broker, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reconnect_republishes_rooms_and_users, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queries_about_users_sharing_no_room, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_shows_rooms_of_other_nodes, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
