/* test_sockets_procmap.c — the inode -> owner map, the owner walk of /proc
 * (on this very process), and dump replay through diag_parse. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include "sockets/dump.h"
#include "sockets/procmap.h"

static void test_add_find_grow(void **state)
{
	struct procmap m = {NULL, 0, 0};

	(void)state;
	for (uint32_t ino = 1; ino <= 20000; ino++)
		assert_int_equal(procmap_add(&m, ino * 7, (int)(ino % 50) + 2, "proc"),
		                 0);
	assert_int_equal(m.n, 20000);
	assert_true(m.n * 2 <= m.cap);
	for (uint32_t ino = 1; ino <= 20000; ino++) {
		const struct proc_owner *o = procmap_find(&m, ino * 7);

		assert_non_null(o);
		assert_int_equal(o->pid, (int)(ino % 50) + 2);
	}
	assert_null(procmap_find(&m, 3));
	assert_null(procmap_find(&m, 0));
	procmap_free(&m);
}

static void test_lowest_pid_owns(void **state)
{
	struct procmap m = {NULL, 0, 0};

	(void)state;
	procmap_add(&m, 99, 300, "later");
	procmap_add(&m, 99, 200, "parent");
	procmap_add(&m, 99, 250, "child");
	assert_int_equal(m.n, 1);
	assert_int_equal(procmap_find(&m, 99)->pid, 200);
	assert_string_equal(procmap_find(&m, 99)->comm, "parent");
	procmap_add(&m, 100, 5, "a-very-long-process-name");
	assert_int_equal(strlen(procmap_find(&m, 100)->comm), 15);
	procmap_free(&m);
}

static void test_build_finds_own_socket(void **state)
{
	struct procmap m = {NULL, 0, 0};
	struct stat st;
	char err[256];
	int fds[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	assert_int_equal(fstat(fds[1], &st), 0);
	assert_int_equal(procmap_build(&m, getpid(), err, sizeof err), 0);
	assert_non_null(procmap_find(&m, (uint32_t)st.st_ino));
	assert_int_equal(procmap_find(&m, (uint32_t)st.st_ino)->pid, getpid());
	procmap_free(&m);
	assert_int_equal(procmap_build(&m, 0, err, sizeof err), 0); /* every process */
	assert_int_equal(procmap_find(&m, (uint32_t)st.st_ino)->pid, getpid());
	procmap_free(&m);
	close(fds[0]);
	close(fds[1]);
}

static const char *write_temp(const char *text)
{
	static char path[] = "/tmp/sockit-dump-XXXXXX";
	int fd;

	strcpy(path, "/tmp/sockit-dump-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

/* One unix_diag reply: a listening stream socket named "/s" (inode 7,
 * rqlen 0/5), and its owner. */
static const char unix_dump[] =
    "# test\n"
    "nl unix 34000000140002000000000000000000" /* nlmsghdr, len 52 */
    "01010a00070000000000000000000000"         /* family, type, state, ino 7, cookie */
    "06000000"
    "2f730000" /* UNIX_DIAG_NAME (type 0) "/s" */
    "0c000400"
    "0000000005000000\n"    /* UNIX_DIAG_RQLEN 0, 5 */
    "fd 4242 7 6e6f6465\n"; /* pid 4242 "node" */

static void test_dump_replay(void **state)
{
	struct sock_list l = {NULL, 0, 0};
	struct procmap m = {NULL, 0, 0};
	const char *path = write_temp(unix_dump);
	char err[256];

	(void)state;
	assert_int_equal(dump_read(path, &l, &m, NULL, err, sizeof err), 0);
	unlink(path);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].netid, NETID_U_STR);
	assert_int_equal(l.v[0].state, ST_LISTEN);
	assert_int_equal(l.v[0].inode, 7);
	assert_int_equal(l.v[0].wq, 5);
	assert_non_null(l.v[0].path);
	assert_string_equal(l.v[0].path, "/s");
	procmap_fill(&m, &l);
	assert_int_equal(l.v[0].pid, 4242);
	assert_string_equal(l.v[0].comm, "node");
	sock_list_free(&l);
	procmap_free(&m);
}

static void test_dump_rejects_garbage(void **state)
{
	static const char *const bad[] = {
	    "nl tcp 1\n",
	    "nl tcp zz\n",
	    "nl sctp 10000000140002000000000000000000\n",
	    "nl tcp 20000000140002000000000000000000\n", /* length says 32, 16 given */
	    "fd x 7 00\n",
	    "fd 1 7 0g\n",
	    "what\n",
	    "ports 5 4\n",
	    "ports 1 65536\n",
	    "ports 1\n",
	    "auto\n",
	    "auto xyz\n",
	    "auto 12345678901234567\n",
	};
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct sock_list l = {NULL, 0, 0};
		struct procmap m = {NULL, 0, 0};
		const char *path = write_temp(bad[i]);

		assert_int_equal(dump_read(path, &l, &m, NULL, err, sizeof err), -1);
		assert_non_null(strstr(err, ":1: malformed line"));
		unlink(path);
		sock_list_free(&l);
		procmap_free(&m);
	}
}

/* "nl tcp HEX" for one inet_diag reply: an IPv4 TCP socket on lport with
 * the given cookie. */
static void put_tcp_line(char *out, size_t len, uint16_t lport, uint32_t cookie0,
                         uint32_t cookie1)
{
	struct {
		struct nlmsghdr h;
		struct inet_diag_msg m;
	} msg;
	const unsigned char *p = (const unsigned char *)&msg;
	size_t n;

	memset(&msg, 0, sizeof msg);
	msg.h.nlmsg_len = sizeof msg;
	msg.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	msg.m.idiag_family = AF_INET;
	msg.m.idiag_state = 1;
	msg.m.id.idiag_sport = htons(lport);
	msg.m.id.idiag_cookie[0] = cookie0;
	msg.m.id.idiag_cookie[1] = cookie1;
	n = (size_t)snprintf(out, len, "nl tcp ");
	for (size_t i = 0; i < sizeof msg && n + 3 < len; i++)
		n += (size_t)snprintf(out + n, len - n, "%02x", p[i]);
	snprintf(out + n, len - n, "\n");
}

/* A dump keeps the recording host's ephemeral range and the kernel's
 * autobound answer (auto lines: the sockets' cookies). */
static void test_dump_autobound(void **state)
{
	struct sock_list l = {NULL, 0, 0};
	struct procmap m = {NULL, 0, 0};
	struct dump_ports ports;
	char text[1024], a[300], b[300], err[256];
	const char *path;

	(void)state;
	put_tcp_line(a, sizeof a, 40000, 2, 1);
	put_tcp_line(b, sizeof b, 22, 3, 0);
	snprintf(text, sizeof text, "ports 40000 50000\n%s%sauto 100000002\n", a, b);
	path = write_temp(text);
	assert_int_equal(dump_read(path, &l, &m, &ports, err, sizeof err), 0);
	unlink(path);
	assert_true(ports.known);
	assert_int_equal(ports.lo, 40000);
	assert_int_equal(ports.hi, 50000);
	assert_int_equal(l.n, 2);
	assert_true(l.v[0].auto_known && l.v[0].auto_bound);
	assert_true(l.v[1].auto_known && !l.v[1].auto_bound);
	sock_list_free(&l);
	/* No ports line: an older dump, nothing known. */
	path = write_temp(a);
	assert_int_equal(dump_read(path, &l, &m, &ports, err, sizeof err), 0);
	unlink(path);
	assert_false(ports.known);
	assert_int_equal(l.n, 1);
	assert_false(l.v[0].auto_known);
	sock_list_free(&l);
	procmap_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_add_find_grow),
	    cmocka_unit_test(test_lowest_pid_owns),
	    cmocka_unit_test(test_build_finds_own_socket),
	    cmocka_unit_test(test_dump_replay),
	    cmocka_unit_test(test_dump_rejects_garbage),
	    cmocka_unit_test(test_dump_autobound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
