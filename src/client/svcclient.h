/* svcclient.h — what the clients of the classic services share: connect
 * to an endpoint with a default, fetch a reply over TCP or UDP with
 * retries, read to EOF with a cap, and print JSON strings. */
#ifndef SOCKIT_SVCCLIENT_H
#define SOCKIT_SVCCLIENT_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "sockit/endpoint.h"

/* Options every one of these clients takes. */
struct client_opts {
	const char *endpoint;   /* as given, or the service's default */
	int timeout_ms;         /* per wait; -t */
	int retries;            /* datagram tries after the first; --retries */
	bool json;
};

/* Parse text into ep and connect.  On failure print the one-line error
 * and return -1 with *status EXIT_USAGE (bad endpoint, or a datagram
 * endpoint when stream_only) or EXIT_NETWORK. */
int client_connect(const char *cmd, const char *text, struct sk_endpoint *ep,
                   bool stream_only, int timeout_ms, int *status);

/* Ask a "reply on connect" service (daytime, time, qotd): over a stream,
 * read until the server closes; over a datagram socket, send one empty
 * datagram and wait for the answer, retrying.  Fills buf (cap bytes) and
 * returns the length; or prints the error and returns -1 with *status. */
ssize_t client_fetch(const char *cmd, const struct client_opts *o,
                     char *buf, size_t cap, int *status);

/* Read until EOF, at most cap bytes: the count, or -1 with errno
 * (EMSGSIZE when more than cap arrive, ETIMEDOUT). */
ssize_t client_read_all(int fd, char *buf, size_t cap, int timeout_ms);

/* Print s (n bytes) as a JSON string with quotes; bytes that are not
 * UTF-8-safe ASCII are written as \u00XX. */
void json_string(FILE *out, const char *s, size_t n);

/* Parse "-t MS" style numbers for the clients: 0 or -1 after printing
 * "sockit: CMD: ..." (exit 2 is the caller's). */
/* Print a one-text answer: the text and a newline, or with --json
 * {"endpoint": ..., "<key>": ...}.  Returns EXIT_OK. */
int client_print_answer(const struct client_opts *o, const char *key,
                        const char *text, size_t len);

int client_parse_int(const char *cmd, const char *what, const char *text,
                     long long min, long long max, int *out);

/* Parse [-t MS] [--retries N] [--json] [ENDPOINT] for cmd argv[0];
 * o->endpoint defaults to defep.  Returns 0, 1 when --help was printed
 * (exit 0), or -1 after printing a usage error (exit 2). */
int client_parse_opts(int argc, char **argv, const char *defep,
                      struct client_opts *o, void (*help)(FILE *));

#endif
