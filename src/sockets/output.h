/* output.h — printing sockets: ss-style columns, JSON, the summary. */
#ifndef SOCKIT_SOCKETS_OUTPUT_H
#define SOCKIT_SOCKETS_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include "sockets/sockets.h"

struct out_opts {
	bool process;  /* -p: owner column / fields */
	bool extended; /* -e: uid, inode, TCP info */
	bool header;   /* column titles (off with -H) */
};

/* "127.0.0.1:80", "[::1]:80", "0.0.0.0:*" (port 0 shows as *), or for UNIX
 * ss's "PATH INODE" / "* PEER_INODE".  Non-printable bytes of a UNIX path
 * are written as \xNN.  Returns buf. */
char *format_local(const struct sock_entry *e, char *buf, size_t len);
char *format_peer(const struct sock_entry *e, char *buf, size_t len);

/* The table: Netid State Recv-Q Send-Q Local Peer [Process] [Details],
 * address columns as wide as the longest address. */
void output_text(FILE *out, const struct sock_list *l, const struct out_opts *o);

/* One line, and the titles, with the given address column widths. */
void output_text_line(FILE *out, const struct sock_entry *e, const struct out_opts *o,
                      int lw, int pw);
void output_text_header(FILE *out, const struct out_opts *o, int lw, int pw);
/* The address column widths the table uses for l. */
void output_widths(const struct sock_list *l, int *lw, int *pw);

/* A JSON array of objects, one per socket, then a newline. */
void output_json(FILE *out, const struct sock_list *l, const struct out_opts *o);

/* Counts by netid and state (-s), as text or JSON. */
void output_summary(FILE *out, const struct sock_list *l, bool json);

#endif
