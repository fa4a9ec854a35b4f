/* cmd_caesar.c — `sockit caesar`: the Caesar client.  One request from
 * the command line, or one per stdin line, pipelined: requests go out
 * while replies come back, with a bounded window of unanswered bytes. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "caesar.h"
#include "commands.h"
#include "sockit/buf.h"
#include "sockit/net.h"
#include "client/svcclient.h"

#define LINE_MAX_BYTES (1024 * 1024)   /* longest stdin line accepted */
#define WINDOW_BYTES (256 * 1024)      /* unanswered request bytes at most */
#define WINDOW_REQS 4096               /* unanswered requests at most */
#define READ_CHUNK 65536

struct pending {
	char *msg;
	size_t len;
};

struct caesar_run {
	struct client_opts o;
	char mode;                  /* 'e' or 'd' */
	unsigned nn;                /* shift sent, 0-25 */
	int fd;
	bool from_stdin, stdin_eof;
	size_t lineno;
	struct sk_buf out, in, lines;
	struct pending q[WINDOW_REQS];
	size_t qhead, qcount, inflight;
	int status;                 /* exit status when run() fails */
	size_t bad_line;            /* a stdin line holding '.', refused */
};

static void caesar_help(FILE *out)
{
	fprintf(out,
"usage: sockit caesar [OPTIONS] [ENDPOINT] encrypt|decrypt SHIFT MESSAGE...\n"
"       sockit caesar [OPTIONS] [ENDPOINT] encrypt|decrypt SHIFT -\n"
"\n"
"Speak the Caesar protocol: send `eNN<message>.` (encrypt) or\n"
"`dNN<message>.` (decrypt) and print the reply without its final '.'.\n"
"Letters shift by SHIFT places keeping their case; every other byte is\n"
"unchanged.  SHIFT is any whole number, taken mod 26.  The MESSAGE words\n"
"are joined with single spaces.  With `-`, each line of stdin is one\n"
"request (line ends are not sent) and the requests are pipelined on one\n"
"connection; results print one per line, in order.\n"
"\n"
"A message cannot contain '.': the protocol ends a request at the first\n"
"'.', so such a message is refused here (exit 2) rather than cut short;\n"
"with `-`, reading stops at such a line, after the lines before it are\n"
"answered.\n"
"\n"
"ENDPOINT defaults to tcp://127.0.0.1:5555 (sockit serve's caesar); a\n"
"stream endpoint (tcp:// or unix:) is needed.  encrypt/decrypt may be\n"
"written e/d.\n"
"\n"
"options:\n"
"  -t, --timeout MS   wait at most MS for the server each time (default 5000)\n"
"  -j, --json         print one {\"mode\", \"shift\", \"message\", \"result\"}\n"
"                     object per request\n"
"  -h, --help         this text\n"
"\n"
"Exit status: 0 every request answered; 1 network failure, or the server\n"
"replied `error: ...` (printed on stderr); 2 bad usage or a message\n"
"containing '.'.\n");
}

static int parse_mode(const char *s, char *mode)
{
	if (!strcmp(s, "encrypt") || !strcmp(s, "e"))
		*mode = 'e';
	else if (!strcmp(s, "decrypt") || !strcmp(s, "d"))
		*mode = 'd';
	else
		return -1;
	return 0;
}

/* Options may come before and after the ENDPOINT, but not after MODE:
 * from there on every word is SHIFT or MESSAGE, so a negative SHIFT or a
 * message starting with '-' needs no quoting. */
static int parse_options(int argc, char **argv, struct caesar_run *r)
{
	static const struct option longopts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool have_endpoint = false;
	int c;

	r->o = (struct client_opts){ "tcp://127.0.0.1:5555", 5000, 0, false };
	optind = 1;
	opterr = 0;
	for (;;) {
		c = getopt_long(argc, argv, "+:t:jh", longopts, NULL);
		if (c == -1) {
			if (have_endpoint || optind >= argc || parse_mode(argv[optind], &r->mode) == 0)
				return 0;
			r->o.endpoint = argv[optind++];
			have_endpoint = true;
		} else if (c == 't') {
			if (client_parse_int("caesar", "timeout", optarg, 1, 3600000,
			                     &r->o.timeout_ms) < 0)
				return -1;
		} else if (c == 'j') {
			r->o.json = true;
		} else if (c == 'h') {
			return caesar_help(stdout), 1;
		} else {
			return bad_option("caesar", c, argv), -1;
		}
	}
}

/* MODE SHIFT MESSAGE...: returns the index of the first message word, or
 * -1 after a usage error. */
static int parse_positionals(int argc, char **argv, struct caesar_run *r)
{
	int i = optind;
	int shift;

	if (i >= argc || parse_mode(argv[i], &r->mode) < 0)
		return die(EXIT_USAGE, "caesar: expected encrypt or decrypt%s%s%s "
		           "(try --help)", i < argc ? ", not '" : "",
		           i < argc ? argv[i] : "", i < argc ? "'" : ""), -1;
	if (++i >= argc)
		return die(EXIT_USAGE, "caesar: missing SHIFT (try --help)"), -1;
	if (client_parse_int("caesar", "shift", argv[i], -1000000000LL,
	                     1000000000LL, &shift) < 0)
		return -1;
	r->nn = (unsigned)(((shift % 26) + 26) % 26);
	if (++i >= argc)
		return die(EXIT_USAGE, "caesar: missing MESSAGE (try --help)"), -1;
	return i;
}

/* Queue one request; a '.' in msg cannot be carried (exit 2). */
static int add_request(struct caesar_run *r, const char *msg, size_t len)
{
	char head[4];

	if (len > 0 && memchr(msg, '.', len)) {
		r->status = EXIT_USAGE;
		return die(EXIT_USAGE, "caesar: the message contains '.', which "
		           "ends a request in the Caesar protocol; it cannot be "
		           "sent"), -1;
	}
	struct pending *p = &r->q[(r->qhead + r->qcount) % WINDOW_REQS];
	p->msg = malloc(len ? len : 1);
	if (!p->msg)
		return die(EXIT_NETWORK, "caesar: out of memory"), -1;
	if (len > 0)
		memcpy(p->msg, msg, len);
	p->len = len;
	r->qcount++;
	r->inflight += len + 4;
	snprintf(head, sizeof head, "%c%02u", r->mode, r->nn);
	if (sk_buf_append(&r->out, head, 3) < 0 ||
	    (len > 0 && sk_buf_append(&r->out, msg, len) < 0) ||
	    sk_buf_append(&r->out, ".", 1) < 0)
		return die(EXIT_NETWORK, "caesar: out of memory"), -1;
	return 0;
}

/* Take every complete line buffered from stdin while the window allows;
 * at EOF, a last line without a newline counts too. */
static int take_lines(struct caesar_run *r)
{
	while (r->qcount < WINDOW_REQS && (r->qcount == 0 || r->inflight < WINDOW_BYTES)) {
		size_t avail = sk_buf_len(&r->lines);
		char *s = avail ? sk_buf_head(&r->lines) : NULL;
		char *nl = avail ? memchr(s, '\n', avail) : NULL;
		if (!nl && !(r->stdin_eof && avail > 0)) {
			if (avail <= LINE_MAX_BYTES)
				return 0;
			r->status = EXIT_USAGE;
			return die(EXIT_USAGE, "caesar: stdin line %zu longer than "
			           "%d bytes", r->lineno + 1, LINE_MAX_BYTES), -1;
		}
		size_t used = nl ? (size_t)(nl - s) + 1 : avail;
		size_t len = nl ? (size_t)(nl - s) : avail;
		if (len > 0 && s[len - 1] == '\r')
			len--;
		r->lineno++;
		if (len > 0 && memchr(s, '.', len)) {
			/* Stop reading here; the lines before still get their
			 * answers, then run() reports this one. */
			r->bad_line = r->lineno;
			r->stdin_eof = true;
			sk_buf_consume(&r->lines, sk_buf_len(&r->lines));
			return 0;
		}
		if (add_request(r, s, len) < 0)
			return -1;
		sk_buf_consume(&r->lines, used);
	}
	return 0;
}

static bool want_stdin(const struct caesar_run *r)
{
	return r->from_stdin && !r->stdin_eof && r->qcount < WINDOW_REQS &&
	       (r->qcount == 0 || r->inflight < WINDOW_BYTES);
}

static int read_stdin(struct caesar_run *r)
{
	char *p = sk_buf_reserve(&r->lines, READ_CHUNK);
	if (!p)
		return die(EXIT_NETWORK, "caesar: out of memory"), -1;
	ssize_t n = read(STDIN_FILENO, p, READ_CHUNK);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n < 0)
		return die(EXIT_NETWORK, "caesar: stdin: %s", strerror(errno)), -1;
	if (n == 0)
		r->stdin_eof = true;
	sk_buf_commit(&r->lines, (size_t)n);
	return take_lines(r);
}

static void print_result(struct caesar_run *r, const struct pending *p,
                         const char *res, size_t len)
{
	if (!r->o.json) {
		fwrite(res, 1, len, stdout);
		putchar('\n');
		return;
	}
	printf("{\"mode\": \"%s\", \"shift\": %u, \"message\": ",
	       r->mode == 'e' ? "encrypt" : "decrypt", r->nn);
	json_string(stdout, p->msg, p->len);
	printf(", \"result\": ");
	json_string(stdout, res, len);
	printf("}\n");
}

/* A reply is good when it is as long as the message (plus '.') and is
 * not an error line -- unless the message itself shifts to "error:". */
static bool reply_ok(const struct caesar_run *r, const struct pending *p,
                     const char *rec, size_t len)
{
	char head[6];

	if (len != p->len + 1)
		return false;
	if (len < 7 || memcmp(rec, "error:", 6) != 0)
		return true;
	caesar_shift(head, p->msg, 6, caesar_forward(r->mode, r->nn));
	return memcmp(head, "error:", 6) == 0;
}

static int reply_error(struct caesar_run *r, const char *rec, size_t len)
{
	const char *e = memmem(rec, len, "error:", 6);

	if (e)
		return die(EXIT_NETWORK, "caesar: server replied: %.*s",
		           (int)(len - (size_t)(e - rec)), e), -1;
	return die(EXIT_NETWORK, "caesar %s: unexpected reply of %zu bytes to "
	           "a %zu-byte message", r->o.endpoint, len, r->q[r->qhead].len), -1;
}

/* Match every complete reply buffered to its request, in order. */
static int take_replies(struct caesar_run *r)
{
	while (r->qcount > 0) {
		struct pending *p = &r->q[r->qhead];
		size_t avail = sk_buf_len(&r->in);
		const char *rec = avail ? sk_buf_head(&r->in) : NULL;
		const char *dot = avail ? memchr(rec, '.', avail) : NULL;
		if (!dot) {
			if (avail > p->len + 1024)
				return reply_error(r, rec, avail);
			return 0;
		}
		size_t len = (size_t)(dot - rec) + 1;
		if (!reply_ok(r, p, rec, len))
			return reply_error(r, rec, len);
		print_result(r, p, rec, len - 1);
		sk_buf_consume(&r->in, len);
		r->inflight -= p->len + 4;
		free(p->msg);
		r->qhead = (r->qhead + 1) % WINDOW_REQS;
		r->qcount--;
	}
	fflush(stdout);
	return 0;
}

/* Read what the server sent; at EOF every request must be answered. */
static int read_socket(struct caesar_run *r)
{
	char *p = sk_buf_reserve(&r->in, READ_CHUNK);
	if (!p)
		return die(EXIT_NETWORK, "caesar: out of memory"), -1;
	ssize_t n = recv(r->fd, p, READ_CHUNK, 0);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n < 0)
		return die(EXIT_NETWORK, "caesar %s: %s", r->o.endpoint,
		           strerror(errno)), -1;
	sk_buf_commit(&r->in, (size_t)n);
	if (take_replies(r) < 0)
		return -1;
	if (n == 0 && r->qcount > 0)
		return die(EXIT_NETWORK, "caesar %s: server closed the connection "
		           "with %zu request(s) unanswered", r->o.endpoint, r->qcount), -1;
	if (n == 0 && (sk_buf_len(&r->out) > 0 || want_stdin(r)))
		return die(EXIT_NETWORK, "caesar %s: server closed the connection",
		           r->o.endpoint), -1;
	return 0;
}

/* Send what the socket takes now.  A peer that reset the connection may
 * still have sent its reason (an error reply): keep reading for it. */
static int write_socket(struct caesar_run *r)
{
	ssize_t n = send(r->fd, sk_buf_head(&r->out), sk_buf_len(&r->out),
	                 MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n >= 0) {
		sk_buf_consume(&r->out, (size_t)n);
		return 0;
	}
	if (errno == EINTR || errno == EAGAIN)
		return 0;
	if (errno == EPIPE || errno == ECONNRESET) {
		sk_buf_consume(&r->out, sk_buf_len(&r->out));
		return 0;
	}
	return die(EXIT_NETWORK, "caesar %s: %s", r->o.endpoint, strerror(errno)), -1;
}

static bool finished(const struct caesar_run *r)
{
	return r->qcount == 0 && sk_buf_len(&r->out) == 0 &&
	       (!r->from_stdin || (r->stdin_eof && sk_buf_len(&r->lines) == 0));
}

/* One poll round: socket both ways, stdin while the window has room. */
static int step(struct caesar_run *r)
{
	struct pollfd pf[2] = {
		{ .fd = r->fd, .events = POLLIN },
		{ .fd = STDIN_FILENO, .events = POLLIN },
	};
	bool waiting = r->qcount > 0 || sk_buf_len(&r->out) > 0;

	if (sk_buf_len(&r->out) > 0)
		pf[0].events |= POLLOUT;
	int n = poll(pf, want_stdin(r) ? 2 : 1, waiting ? r->o.timeout_ms : -1);
	if (n < 0)
		return errno == EINTR ? 0 : die(EXIT_NETWORK, "caesar: poll: %s",
		                                strerror(errno)), -1;
	if (n == 0)
		return die(EXIT_NETWORK, "caesar %s: no reply within %d ms",
		           r->o.endpoint, r->o.timeout_ms), -1;
	if (pf[1].revents && want_stdin(r) && read_stdin(r) < 0)
		return -1;
	if ((pf[0].revents & POLLOUT) && write_socket(r) < 0)
		return -1;
	if ((pf[0].revents & (POLLIN | POLLHUP | POLLERR)) && read_socket(r) < 0)
		return -1;
	return 0;
}

static int run(struct caesar_run *r)
{
	while (!finished(r)) {
		if (r->from_stdin && take_lines(r) < 0)
			return -1;
		if (finished(r))
			break;
		if (step(r) < 0)
			return -1;
	}
	if (r->bad_line) {
		r->status = EXIT_USAGE;
		return die(EXIT_USAGE, "caesar: stdin line %zu contains '.', which "
		           "would end the request early; stopped there", r->bad_line), -1;
	}
	return 0;
}

/* The MESSAGE words joined with spaces. */
static int add_words(struct caesar_run *r, int argc, char **argv, int first)
{
	struct sk_buf msg = SK_BUF_INIT;
	int rc = 0;

	for (int i = first; i < argc && rc == 0; i++)
		if ((i > first && sk_buf_append(&msg, " ", 1) < 0) ||
		    (argv[i][0] && sk_buf_append(&msg, argv[i], strlen(argv[i])) < 0))
			rc = -1;
	if (rc < 0)
		die(EXIT_NETWORK, "caesar: out of memory");
	else
		rc = add_request(r, sk_buf_len(&msg) ? sk_buf_head(&msg) : "",
		                 sk_buf_len(&msg));
	sk_buf_free(&msg);
	return rc;
}

static void cleanup(struct caesar_run *r)
{
	while (r->qcount > 0) {
		free(r->q[r->qhead].msg);
		r->qhead = (r->qhead + 1) % WINDOW_REQS;
		r->qcount--;
	}
	sk_buf_free(&r->out);
	sk_buf_free(&r->in);
	sk_buf_free(&r->lines);
	if (r->fd >= 0)
		close(r->fd);
}

int cmd_caesar(int argc, char **argv)
{
	static struct caesar_run r;   /* the request ring is large */
	struct sk_endpoint ep;
	int status = EXIT_USAGE;

	memset(&r, 0, sizeof r);
	r.fd = -1;
	int rc = parse_options(argc, argv, &r);
	if (rc != 0)
		return rc > 0 ? EXIT_OK : EXIT_USAGE;
	int first = parse_positionals(argc, argv, &r);
	if (first < 0)
		return EXIT_USAGE;
	r.from_stdin = first == argc - 1 && strcmp(argv[first], "-") == 0;
	if (!r.from_stdin && add_words(&r, argc, argv, first) < 0) {
		cleanup(&r);
		return EXIT_USAGE;
	}
	r.fd = client_connect("caesar", r.o.endpoint, &ep, true, r.o.timeout_ms, &status);
	r.status = EXIT_NETWORK;
	if (r.fd >= 0)
		status = run(&r) < 0 ? r.status : EXIT_OK;
	fflush(stdout);
	cleanup(&r);
	return status;
}
