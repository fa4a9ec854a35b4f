/* svcclient.h — what the clients of the classic services share: connect
 * to an endpoint with a default, fetch a reply over TCP or UDP with
 * retries, read to EOF with a cap, and print JSON strings. */
#ifndef SOCKIT_SVCCLIENT_H
#define SOCKIT_SVCCLIENT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "cli/cli.h"
#include "cli/json.h"
#include "sockit/endpoint.h"

/* Options every one of these clients takes. */
struct client_opts {
	const char *endpoint;   /* as given, or the service's default */
	int timeout_ms;         /* the idle timer, per wait; -t */
	int deadline_ms;        /* the whole run; -w; 0 none */
	int retries;            /* datagram tries after the first; --retries */
	bool json;
	uint64_t deadline_ns;   /* sk_now_ns() when -w passes; 0 none */
	int verbose;            /* -v: connection details on stderr */
	uint64_t start_ns;      /* sk_now_ns() at client_start_deadline */
};

/* The rows every client's option table shares: -t/--timeout,
 * -w/--deadline, -j/--json, -v/--verbose (o is a struct client_opts *).
 * No -q: these clients print only their result (docs/cli.md). */
#define CLIENT_OPTIONS(o)                                                   \
	CLI_DUR('t', "timeout", &(o)->timeout_ms, 1, 3600000),              \
	CLI_DUR('w', "deadline", &(o)->deadline_ms, 1, 86400000),           \
	CLI_FLAG('j', "json", &(o)->json),                                  \
	CLI_COUNT('v', "verbose", &(o)->verbose)

/* The help lines of CLIENT_OPTIONS' -v. */
#define CLIENT_VERBOSE_HELP \
"  -v, --verbose       say on stderr where it connected, from where, and\n" \
"                      how long the exchange took\n"

/* Start the -w clock and the -v timer (call once the options are parsed). */
void client_start_deadline(struct client_opts *o);

/* Wait up to the idle timer for events on fd, never past the deadline:
 * 1 ready; 0 with errno ETIMEDOUT (idle) or ETIME (the deadline passed);
 * -1 with errno.  EINTR is retried. */
int client_wait(const struct client_opts *o, int fd, short events);

/* The words for a wait that ended with errno e: "no reply
 * (-t): timed out after 2s (sockit's deadline)", "overall (-w): timed out
 * after 30s (sockit's deadline)" (SK_DEADLINE_TEXT), or strerror. */
const char *client_wait_error(const struct client_opts *o, int e, char *buf, size_t len);

/* Parse text into ep and connect.  On failure print the one-line error
 * and return -1 with *status EXIT_USAGE (bad endpoint, or a datagram
 * endpoint when stream_only) or EXIT_NETWORK. */
int client_connect(const char *cmd, const struct client_opts *o, struct sk_endpoint *ep,
                   bool stream_only, int *status);

/* With -v: "sockit CMD: connected to PEER from LOCAL in 0.21 ms" for fd
 * on stderr; nothing without. */
void client_say_connected(const char *cmd, int verbose, int fd, uint64_t start_ns);

/* With -v: "sockit CMD: WHAT in 1.52 ms" (since client_start_deadline). */
void client_say_done(const char *cmd, const struct client_opts *o, const char *what);

/* Ask a "reply on connect" service (daytime, time, qotd): over a stream,
 * read until the server closes; over a datagram socket, send one empty
 * datagram and wait for the answer, retrying.  Fills buf (cap bytes) and
 * returns the length; or prints the error and returns -1 with *status. */
ssize_t client_fetch(const char *cmd, const struct client_opts *o,
                     char *buf, size_t cap, int *status);

/* Read until EOF, at most cap bytes: the count, or -1 with errno
 * (EMSGSIZE when more than cap arrive, ETIMEDOUT). */
ssize_t client_read_all(int fd, char *buf, size_t cap, int timeout_ms);

/* The same under o's idle timer and deadline (errno ETIME when the
 * deadline passed). */
ssize_t client_read_all_opts(int fd, char *buf, size_t cap, const struct client_opts *o);

/* Print a one-text answer: the text and a newline, or with --json
 * {"endpoint": ..., "<key>": ...}.  Returns EXIT_OK. */
int client_print_answer(const struct client_opts *o, const char *key,
                        const char *text, size_t len);

#endif
