/* fd_demo.c — file descriptors, as on the tutorial's slides.
 *
 * usage: fd_demo < some-input
 *
 * A file descriptor is a small number that indexes the process's table of
 * open files.  Every process starts with three: 0 (standard input), 1
 * (standard output) and 2 (standard error).  A socket is one more open
 * file: socket() returns the lowest number not in use, and read(),
 * write() and close() work on it as on any file.  This program shows what
 * 0, 1 and 2 are connected to, writes through 1 and 2 directly, and opens
 * and closes sockets to show how numbers are handed out and reused. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* What kind of file the descriptor refers to. */
static const char *kind(int fd)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return strerror(errno);          /* e.g. "Bad file descriptor" if closed */
	if (S_ISCHR(st.st_mode))
		return isatty(fd) ? "terminal" : "character device";
	if (S_ISFIFO(st.st_mode))
		return "pipe";
	if (S_ISSOCK(st.st_mode))
		return "socket";
	return S_ISREG(st.st_mode) ? "regular file" : "other";
}

/* write() directly to a descriptor; it too may write less than asked. */
static int write_all(int fd, const char *s)
{
	size_t len = strlen(s);
	while (len > 0) {
		ssize_t n = write(fd, s, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		s += n, len -= (size_t)n;
	}
	return 0;
}

/* What -h/--help prints on stdout, and a usage error on stderr. */
static const char usage_text[] =
	"usage: fd_demo < some-input\n"
	"Shows what descriptors 0, 1 and 2 are, and how socket() numbers are handed out.\n";

int main(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		printf("%s", usage_text);
		return 0;
	}
	if (argc > 1) {
		fprintf(stderr, "%s", usage_text);
		return 2;
	}
	for (int fd = 0; fd <= 2; fd++)
		printf("fd %d: %s\n", fd, kind(fd));
	fflush(stdout);      /* printf buffers; write() does not: keep the order */
	if (write_all(1, "written with write(1, ...)\n") < 0 ||
	    write_all(2, "written with write(2, ...)\n") < 0)
		return 1;

	int a = socket(AF_INET, SOCK_STREAM, 0), b = socket(AF_INET, SOCK_DGRAM, 0);
	if (a < 0 || b < 0) {
		perror("fd_demo: socket");
		return 1;
	}
	printf("socket() returned %d, then %d: the lowest numbers free\n", a, b);
	printf("fd %d: %s\n", a, kind(a));
	close(a);
	int c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0) {
		perror("fd_demo: socket");
		close(b);
		return 1;
	}
	printf("after close(%d), socket() returned %d again\n", a, c);
	close(b);
	close(c);
	return 0;
}
