/* cmd_caesar.c — `sockit caesar`: the Caesar client.  One request from
 * the command line, or one per stdin line, pipelined: requests go out
 * while replies come back, with a bounded window of unanswered bytes. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "caesar.h"
#include "commands.h"
#include "sockit/buf.h"
#include "sockit/error.h"
#include "sockit/loop.h"
#include "sockit/net.h"
#include "sockit/pump.h"
#include "client/svcclient.h"

#define LINE_MAX_BYTES (1024 * 1024)   /* longest stdin line accepted */
#define WINDOW_BYTES (256 * 1024)      /* unanswered request bytes at most */
#define WINDOW_REQS 4096               /* unanswered requests at most */

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
	bool reported;              /* a hook printed why the run stopped */
	size_t lineno;
	struct sk_pump pump;        /* its queue holds the requests to send */
	struct sk_buf in, lines;
	struct pending q[WINDOW_REQS];
	size_t qhead, qcount, inflight;
	int status;                 /* exit status when run() fails */
	size_t bad_line;            /* a stdin line holding '.', refused */
};

static const char caesar_help[] =
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
"stream endpoint (tcp:// or unix:) is needed, HOST:PORT means tcp.\n"
"encrypt/decrypt may be written e/d.\n"
"\n"
"options:\n"
"  -t, --timeout DUR   the idle timer: wait at most DUR for the server each\n"
"                      time (default 5s)\n"
"  -w, --deadline DUR  give up after DUR in all (default 30s; none with -)\n"
"  -j, --json          print one {\"mode\", \"shift\", \"message\", \"result\"}\n"
"                      object per request (JSON Lines)\n"
CLIENT_VERBOSE_HELP
"  -h, --help          this text\n"
"\n"
CLI_HELP_DUR
"\n"
"examples:\n"
"  sockit caesar encrypt 10 isi pesan\n"
"  sockit caesar tcp://127.0.0.1:5555 decrypt 10 scs zockx\n"
"  printf 'one\\ntwo\\n' | sockit caesar --json 127.0.0.1:5555 e 3 -\n"
"\n"
"Exit status: 0 every request answered; 1 network failure, deadline, or\n"
"the server replied `error: ...` (printed on stderr); 2 bad usage or a\n"
"message containing '.'.\n";

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
 * message starting with '-' needs no quoting.  *pos gets the index of
 * MODE.  CLI_RUN, or the exit status (0 after --help). */
static int parse_options(int argc, char **argv, struct caesar_run *r, int *pos)
{
	const struct cli_option opts[] = { CLIENT_OPTIONS(&r->o), CLI_END };
	const struct cli_command cmd = { "caesar", caesar_help, opts, CLI_IN_ORDER };
	int first;

	r->o = (struct client_opts){ .endpoint = "tcp://127.0.0.1:5555", .timeout_ms = 5000,
	                             .deadline_ms = -1 };
	int rc = cli_parse(&cmd, argc, argv, r, &first);
	if (rc != CLI_RUN)
		return rc;
	if (first < argc && parse_mode(argv[first], &r->mode) < 0) {
		/* argv[first] is the ENDPOINT; options may follow it. */
		r->o.endpoint = argv[first];
		int more;
		rc = cli_parse(&cmd, argc - first, argv + first, r, &more);
		if (rc != CLI_RUN)
			return rc;
		first += more;
	}
	*pos = first;
	return CLI_RUN;
}

/* MODE SHIFT MESSAGE... from argv[i]: returns the index of the first
 * message word, or -1 after a usage error. */
static int parse_positionals(int argc, char **argv, int i, struct caesar_run *r)
{
	char why[SK_ERRLEN];
	long long shift;

	if (i >= argc || parse_mode(argv[i], &r->mode) < 0) {
		if (i < argc)
			cli_usage("caesar", "expected encrypt or decrypt, not '%s'", argv[i]);
		else
			cli_usage("caesar", "expected encrypt or decrypt");
		return -1;
	}
	if (++i >= argc) {
		cli_usage("caesar", "missing SHIFT");
		return -1;
	}
	if (sk_parse_num(argv[i], -1000000000LL, 1000000000LL, &shift, NULL, why,
	                 sizeof why) < 0) {
		cli_bad_value("caesar", "SHIFT", argv[i], why);
		return -1;
	}
	r->nn = (unsigned)(((shift % 26) + 26) % 26);
	if (++i >= argc) {
		cli_usage("caesar", "missing MESSAGE");
		return -1;
	}
	return i;
}

/* Queue one request; a '.' in msg cannot be carried (exit 2). */
static int add_request(struct caesar_run *r, const char *msg, size_t len)
{
	char head[4];

	if (len > 0 && memchr(msg, '.', len)) {
		r->status = EXIT_USAGE;
		return cli_sub_fail(-1, "caesar", "the message contains '.', which "
		           "ends a request in the Caesar protocol; it cannot be "
		           "sent");
	}
	struct pending *p = &r->q[(r->qhead + r->qcount) % WINDOW_REQS];
	p->msg = malloc(len ? len : 1);
	if (!p->msg)
		return cli_error("out of memory");
	if (len > 0)
		memcpy(p->msg, msg, len);
	p->len = len;
	r->qcount++;
	r->inflight += len + 4;
	snprintf(head, sizeof head, "%c%02u", r->mode, r->nn);
	if (sk_pump_send(&r->pump, head, 3) < 0 ||
	    (len > 0 && sk_pump_send(&r->pump, msg, len) < 0) ||
	    sk_pump_send(&r->pump, ".", 1) < 0)
		return cli_error("out of memory");
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
			return cli_sub_fail(-1, "caesar", "stdin line %zu longer than "
			           "%d bytes", r->lineno + 1, LINE_MAX_BYTES);
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

/* sk_pump input hook: stdin bytes become lines, lines requests. */
static int caesar_input(struct sk_pump *p, const char *data, size_t n)
{
	struct caesar_run *r = p->ctx;

	r->reported = true;   /* every failure below says why */
	if (n == 0)
		r->stdin_eof = true;
	else if (sk_buf_append(&r->lines, data, n) < 0)
		return cli_error("out of memory");
	if (take_lines(r) < 0)
		return -1;
	r->reported = false;
	return 0;
}

static bool caesar_want_input(struct sk_pump *p)
{
	return want_stdin(p->ctx);
}

static void print_result(struct caesar_run *r, const struct pending *p,
                         const char *res, size_t len)
{
	if (!r->o.json) {
		fwrite(res, 1, len, stdout);
		putchar('\n');
		return;
	}
	struct json j;
	json_start(&j, stdout);
	json_object(&j);
	json_kv_str(&j, "mode", r->mode == 'e' ? "encrypt" : "decrypt");
	json_kv_uint(&j, "shift", r->nn);
	json_kv_strn(&j, "message", p->msg, p->len);
	json_kv_strn(&j, "result", res, len);
	json_end(&j);
	json_newline(&j);
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
		return cli_error("server replied: %.*s",
		           (int)(len - (size_t)(e - rec)), e);
	return cli_error("%s: unexpected reply of %zu bytes to "
	           "a %zu-byte message", r->o.endpoint, len, r->q[r->qhead].len);
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

/* sk_pump recv hook: match replies; at EOF every request must be
 * answered. */
static int caesar_recv(struct sk_pump *p, const char *data, size_t n)
{
	struct caesar_run *r = p->ctx;

	r->reported = true;   /* every failure below says why */
	if (n > 0 && sk_buf_append(&r->in, data, n) < 0)
		return cli_error("out of memory");
	if (take_replies(r) < 0)
		return -1;
	if (n == 0 && r->qcount > 0)
		return cli_error("%s: server closed the connection with %zu "
		                 "request(s) unanswered", r->o.endpoint, r->qcount);
	if (n == 0 && (sk_buf_len(&p->queue) > 0 || want_stdin(r)))
		return cli_error("%s: server closed the connection", r->o.endpoint);
	r->reported = false;
	return 0;
}

static bool finished(struct sk_pump *p)
{
	const struct caesar_run *r = p->ctx;

	return r->qcount == 0 && sk_buf_len(&p->queue) == 0 &&
	       (!r->from_stdin || (r->stdin_eof && sk_buf_len(&r->lines) == 0));
}

/* The server's timer runs only while it owes us replies: a user typing
 * slowly on stdin is not a dead server. */
static bool caesar_awaiting(struct sk_pump *p)
{
	const struct caesar_run *r = p->ctx;

	return r->qcount > 0 || sk_buf_len(&p->queue) > 0;
}

/* Pipeline the requests through sk_pump; 0 or -1 after printing why. */
static int run(struct caesar_run *r)
{
	static const struct sk_pump_ops ops = {
		.input = caesar_input, .recv = caesar_recv, .want_input = caesar_want_input,
		.done = finished, .awaiting = caesar_awaiting,
	};

	r->pump.in_fd = r->from_stdin ? STDIN_FILENO : -1;
	r->pump.in_eof = !r->from_stdin;
	r->pump.sock = r->fd;
	r->pump.ops = &ops;
	r->pump.ctx = r;
	r->pump.idle_ms = r->o.timeout_ms;
	if (r->o.deadline_ns) {
		uint64_t now = sk_now_ns();
		r->pump.deadline_ms = now >= r->o.deadline_ns ? 0
		                      : (int)((r->o.deadline_ns - now + 999999) / 1000000);
	}
	/* The window is caesar's own (requests and bytes unanswered). */
	r->pump.window = SIZE_MAX;
	if (r->from_stdin && take_lines(r) < 0)
		return -1;
	if (sk_pump_run(&r->pump) < 0) {
		if (r->reported)
			return -1;
		if (errno == ETIMEDOUT) {
			char why[SK_ERRLEN];
			bool overall = strcmp(r->pump.failed, "deadline") == 0;
			sk_seterr_deadline(why, sizeof why,
			                   (uint64_t)(overall ? r->o.deadline_ms : r->o.timeout_ms),
			                   "%s", overall ? "overall (-w)" : "no reply (-t)");
			return cli_error("%s: %s", r->o.endpoint, why);
		}
		if (strcmp(r->pump.failed, "read input") == 0)
			return cli_error("stdin: %s", strerror(errno));
		return cli_error("%s: %s", r->o.endpoint, strerror(errno));
	}
	if (r->bad_line) {
		r->status = EXIT_USAGE;
		return cli_sub_fail(-1, "caesar", "stdin line %zu contains '.', which would end "
		                 "the request early; stopped there", r->bad_line);
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
		cli_fail(EXIT_NETWORK, "out of memory");
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
	sk_pump_free(&r->pump);
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
	sk_pump_init(&r.pump, -1, -1, -1);
	int pos, rc = parse_options(argc, argv, &r, &pos);
	if (rc != CLI_RUN)
		return rc;
	int first = parse_positionals(argc, argv, pos, &r);
	if (first < 0)
		return EXIT_USAGE;
	r.from_stdin = first == argc - 1 && strcmp(argv[first], "-") == 0;
	if (r.o.deadline_ms < 0)   /* the default: 30 s, none for a stdin stream */
		r.o.deadline_ms = r.from_stdin ? 0 : 30000;
	client_start_deadline(&r.o);
	if (!r.from_stdin && add_words(&r, argc, argv, first) < 0) {
		cleanup(&r);
		return EXIT_USAGE;
	}
	r.fd = client_connect("caesar", &r.o, &ep, true, &status);
	r.status = EXIT_NETWORK;
	if (r.fd >= 0)
		status = run(&r) < 0 ? r.status : EXIT_OK;
	if (status == EXIT_OK)
		client_say_done("caesar", &r.o, "every reply back");
	fflush(stdout);
	cleanup(&r);
	return status;
}
