/* watch.h — `sockets --watch`: redraw the table every interval, marking
 * sockets that appeared (+) or vanished (-) since the previous frame. */
#ifndef SOCKIT_SOCKETS_WATCH_H
#define SOCKIT_SOCKETS_WATCH_H

#include <stdbool.h>
#include <stdio.h>

#include "sockets/output.h"
#include "sockets/sockets.h"

/* Fills a fresh, filtered, sorted list for one frame; returns 0 or -1
 * with err. */
typedef int watch_gather_fn(void *ctx, struct sock_list *out, char *err, size_t errlen);

struct watch_opts {
	double interval;   /* seconds between frames */
	long frames;       /* stop after this many; 0: until SIGINT/SIGTERM */
	bool tty;          /* clear the screen and colour the marks */
	const char *title; /* shown on each frame's first line */
};

/* Run the loop; returns an exit status (1 when gathering failed). */
int watch_run(FILE *out, const struct watch_opts *w, const struct out_opts *o,
              watch_gather_fn *gather, void *ctx);

/* A 64-bit identity of a socket (netid, addresses, ports, inode, path):
 * what "the same socket" means between frames. */
unsigned long long watch_key(const struct sock_entry *e);

#endif
