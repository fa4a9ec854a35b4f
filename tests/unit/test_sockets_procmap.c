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
	assert_int_equal(dump_read(path, &l, &m, err, sizeof err), 0);
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
	};
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct sock_list l = {NULL, 0, 0};
		struct procmap m = {NULL, 0, 0};
		const char *path = write_temp(bad[i]);

		assert_int_equal(dump_read(path, &l, &m, err, sizeof err), -1);
		assert_non_null(strstr(err, ":1: malformed line"));
		unlink(path);
		sock_list_free(&l);
		procmap_free(&m);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_add_find_grow),
	    cmocka_unit_test(test_lowest_pid_owns),
	    cmocka_unit_test(test_build_finds_own_socket),
	    cmocka_unit_test(test_dump_replay),
	    cmocka_unit_test(test_dump_rejects_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
