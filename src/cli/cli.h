/* cli.h — the command-line kit every sockit subcommand uses: an option
 * table parsed over getopt_long with one message style, typed values
 * (numbers, sizes, durations) checked by libsockit's one bounded parser,
 * and one error path that reports a line and returns the exit status.
 *
 * Usage, for a subcommand `sockit frob`:
 *
 *     struct frob_args { bool json; int verbose; long long count;
 *                        int timeout_ms; const char *file; };
 *     static const char frob_help[] = "usage: sockit frob ...\n...";
 *
 *     int cmd_frob(int argc, char **argv)
 *     {
 *         struct frob_args a = { .count = 1, .timeout_ms = 5000 };
 *         const struct cli_option opts[] = {
 *             CLI_NUM('c', "count", &a.count, 1, 1000000),
 *             CLI_DUR('t', "timeout", &a.timeout_ms, 1, 3600000),  // ms
 *             CLI_STR('f', "file", &a.file),
 *             CLI_FLAG('j', "json", &a.json),
 *             CLI_COUNT('v', "verbose", &a.verbose),
 *             CLI_CALL(CLI_LONG(1), "mode", set_mode),   // long-only
 *             CLI_END,
 *         };
 *         const struct cli_command cmd = { "frob", frob_help, opts, 0 };
 *         int first, rc = cli_parse(&cmd, argc, argv, &a, &first);
 *         if (rc != CLI_RUN)
 *             return rc;               // 0 after --help, 2 after an error
 *         argc -= first, argv += first;  // the positional arguments
 *         if (argc > 1)
 *             return cli_usage("frob", "too many arguments");
 *         ...
 *         if (connect fails)
 *             return cli_fail(EXIT_NETWORK, "%s", err);  // "connect X: why"
 *     }
 *
 * -h/--help come for free (help text on stdout, exit 0); a table that uses
 * 'h' for something else keeps --help.  Errors, all exit 2, on stderr:
 *     sockit frob: unknown option '-x' (see 'sockit frob --help')
 *     sockit frob: option '--count' needs a value
 *     sockit frob: option '--json' takes no value
 *     sockit frob: bad value for '-c': 'x' (not a number)
 * (the option is named as the user wrote it: '-c' or '--count'; inside a
 * short cluster like -zq the offending letter alone).
 *
 * Value kinds (dst's type is checked at compile time through _Generic;
 * integers of any width; a value that does not fit dst is out of range):
 *   CLI_FLAG   bool *, set true          CLI_COUNT  int *, +1 each time
 *   CLI_STR    const char **             CLI_NUM    integer in [min,max]
 *   CLI_SIZE   integer, K/M/G suffixes   CLI_DUR    duration, see below
 *   CLI_CALL   fn(ctx, key, arg, why, whylen): 0, or -1 with why filled
 *   CLI_CALL_FLAG  the same without an argument (arg is NULL)
 * CLI_DUR takes units (250ms, 1.5s, 2m, 1h; a bare number is seconds);
 * min and max are milliseconds; an integer dst receives milliseconds
 * (rounded up, so a nonzero duration is never 0), a double dst seconds,
 * and CLI_DUR_NS stores nanoseconds into a uint64_t.
 *
 * Options are parsed GNU style: they may follow positionals, `--` ends
 * them.  CLI_IN_ORDER in flags stops at the first positional instead (for
 * commands whose positionals may start with '-'); cli_parse may then be
 * called again on (argc - i, argv + i) to read options after positional
 * i, since argv[0] of each call is skipped as the command name.
 */
#ifndef SOCKIT_CLI_H
#define SOCKIT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit statuses of every subcommand (DESIGN.md). */
enum { EXIT_OK = 0, EXIT_NETWORK = 1, EXIT_USAGE = 2 };

/* The --help sentence of every subcommand that takes a DUR (the one
 * duration syntax, parsed by sk_parse_duration). */
#define CLI_HELP_DUR "DUR is a number of seconds or has a unit: 250ms, 1.5s, 2m.\n"

/* cli_parse's answer when the command should go on and run. */
#define CLI_RUN (-1)

/* Key of the Nth long-only option (no short letter); N from 0 to 255. */
#define CLI_LONG(n) (256 + (n))

enum cli_kind {
	CLI_K_END, CLI_K_FLAG, CLI_K_COUNT, CLI_K_STR, CLI_K_NUM, CLI_K_SIZE,
	CLI_K_DUR, CLI_K_DUR_NS, CLI_K_CALL, CLI_K_CALL_FLAG,
};

/* The C type behind an option's dst, found by _Generic. */
enum cli_width {
	CLI_W_NONE, CLI_W_INT, CLI_W_UINT, CLI_W_LONG, CLI_W_ULONG, CLI_W_LLONG,
	CLI_W_ULLONG, CLI_W_DOUBLE,
};

#define CLI__W(p) _Generic((p), int *: CLI_W_INT, unsigned *: CLI_W_UINT,      \
	long *: CLI_W_LONG, unsigned long *: CLI_W_ULONG,                        \
	long long *: CLI_W_LLONG, unsigned long long *: CLI_W_ULLONG,            \
	double *: CLI_W_DOUBLE)

typedef int cli_call_fn(void *ctx, int key, const char *arg, char *why,
                        size_t whylen);

struct cli_option {
	int key;               /* short letter, or CLI_LONG(n) */
	const char *name;      /* long name without "--", or NULL */
	enum cli_kind kind;
	void *dst;
	enum cli_width width;
	long long min, max;    /* CLI_NUM/CLI_SIZE bounds; CLI_DUR in ms */
	cli_call_fn *call;
};

#define CLI_FLAG(k, n, p) { (k), (n), CLI_K_FLAG, _Generic((p), bool *: (p)), CLI_W_NONE, 0, 0, NULL }
#define CLI_COUNT(k, n, p) { (k), (n), CLI_K_COUNT, _Generic((p), int *: (p)), CLI_W_NONE, 0, 0, NULL }
#define CLI_STR(k, n, p) { (k), (n), CLI_K_STR, _Generic((p), const char **: (p)), CLI_W_NONE, 0, 0, NULL }
#define CLI_NUM(k, n, p, lo, hi) { (k), (n), CLI_K_NUM, (p), CLI__W(p), (lo), (hi), NULL }
#define CLI_SIZE(k, n, p, lo, hi) { (k), (n), CLI_K_SIZE, (p), CLI__W(p), (lo), (hi), NULL }
#define CLI_DUR(k, n, p, lo_ms, hi_ms) { (k), (n), CLI_K_DUR, (p), CLI__W(p), (lo_ms), (hi_ms), NULL }
#define CLI_DUR_NS(k, n, p, lo_ms, hi_ms) { (k), (n), CLI_K_DUR_NS, _Generic((p), uint64_t *: (p)), CLI_W_NONE, (lo_ms), (hi_ms), NULL }
#define CLI_CALL(k, n, fn) { (k), (n), CLI_K_CALL, NULL, CLI_W_NONE, 0, 0, (fn) }
#define CLI_CALL_FLAG(k, n, fn) { (k), (n), CLI_K_CALL_FLAG, NULL, CLI_W_NONE, 0, 0, (fn) }
#define CLI_END { 0, NULL, CLI_K_END, NULL, CLI_W_NONE, 0, 0, NULL }

/* A subcommand's name, its --help text and its options. */
struct cli_command {
	const char *name;
	const char *help;
	const struct cli_option *opts;   /* ends with CLI_END; at most 64 */
	unsigned flags;                  /* CLI_IN_ORDER */
};

enum { CLI_IN_ORDER = 1 };

/* Parse argv[1..argc) against cmd's table, filling the destinations (ctx
 * goes to CLI_CALL functions).  Returns CLI_RUN with *first the index in
 * argv of the first positional argument (getopt moves them to the end);
 * or, the command being over: EXIT_OK after printing --help, EXIT_USAGE
 * after printing the one-line error. */
int cli_parse(const struct cli_command *cmd, int argc, char **argv, void *ctx,
              int *first);

/* Print "sockit: " and the message on stderr (one line) and return status,
 * so `return cli_fail(EXIT_NETWORK, "%s: %s", endpoint, why);` reads as
 * what it does.  For run-time failures (exit 1): the message names what
 * failed ("connect 127.0.0.1:1: ...", the endpoint, "short echo: ..."),
 * never the subcommand; an exit-2 error goes through cli_sub_fail. */
int cli_fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The same for helpers that fail with -1 and leave the exit status to
 * their caller (git's error()): prints, returns -1. */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print "sockit SUB: MESSAGE" (DESIGN.md's form) and return status. */
int cli_sub_fail(int status, const char *sub, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A usage error of subcommand sub: prints "sockit SUB: MESSAGE (see
 * 'sockit SUB --help')" and returns EXIT_USAGE. */
int cli_usage(const char *sub, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A value that does not parse (an option's or a positional's): prints
 * "sockit SUB: bad value for 'WHAT': 'TEXT' (WHY)" (without the
 * parenthesis when why is NULL or empty) and returns EXIT_USAGE. */
int cli_bad_value(const char *sub, const char *what, const char *text,
                  const char *why);

/* Whether text is an endpoint written with a scheme: tcp://, udp://,
 * unix:, unixgram:. */
bool cli_has_scheme(const char *text);

/* The client positional rule (DESIGN.md) for argv[0..argc): none leaves
 * *endpoint and *message as they are (the defaults); one is the message,
 * unless written with a scheme (then it is the endpoint: "12:30" and
 * "a:1" are messages); two are ENDPOINT MESSAGE, where HOST:PORT is
 * allowed.  Returns CLI_RUN, or EXIT_USAGE after "too many arguments". */
int cli_endpoint_message(const char *sub, int argc, char **argv,
                         const char **endpoint, const char **message);

/* Whether arg asks for help (-h, --help). */
bool cli_is_help(const char *arg);

/* The version, from the VERSION file through the Makefile. */
const char *cli_version(void);

#endif
