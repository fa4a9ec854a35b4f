/* exec.c — -e/--exec/--sh-exec: a child whose stdin and stdout are one
 * end of a socketpair; the session pumps the other end to the network,
 * so the peer's half-close reaches the child as EOF on its stdin and
 * everything it writes afterwards still reaches the peer. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netcat/netcat.h"
#include "sockit/net.h"

#define MAX_ARGS 64

/* Split CMD on blanks into argv (no quoting: --sh-exec is for that). */
static int split_words(char *cmd, char **argv, int max)
{
	int n = 0;

	for (char *save, *w = strtok_r(cmd, " \t", &save); w && n < max - 1;
	     w = strtok_r(NULL, " \t", &save))
		argv[n++] = w;
	argv[n] = NULL;
	return n;
}

/* In the child: the socket becomes stdin and stdout, then exec. */
static void child(const struct nc_opts *o, int fd)
{
	char *argv[MAX_ARGS];
	char *cmd = strdup(o->exec_cmd);

	signal(SIGPIPE, SIG_DFL);
	if (dup2(fd, 0) < 0 || dup2(fd, 1) < 0)
		_exit(127);
	if (fd > 1)
		close(fd);
	if (o->sh_exec) {
		execl("/bin/sh", "sh", "-c", o->exec_cmd, (char *)NULL);
	} else if (cmd && split_words(cmd, argv, MAX_ARGS) > 0) {
		execvp(argv[0], argv);
	}
	fprintf(stderr, "sockit %s: exec %s: %s\n", o->cmd, o->exec_cmd, strerror(errno));
	_exit(127);
}

int nc_exec_start(const struct nc_opts *o, int *pid)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	fflush(NULL);
	*pid = fork();
	if (*pid < 0) {
		int saved = errno;
		close(sv[0]);
		close(sv[1]);
		errno = saved;
		return -1;
	}
	if (*pid == 0) {
		close(sv[0]);
		child(o, sv[1]);
	}
	close(sv[1]);
	sk_set_nonblock(sv[0], true);
	return sv[0];
}

int nc_exec_wait(int pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
