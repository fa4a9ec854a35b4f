/* parse.h — the IRC line splitter and message parser: pure (no I/O, no
 * allocation), resumable across reads, with explicit limits.
 *
 * Lines end at CR, LF or CRLF (an empty line between is skipped).  A line
 * longer than IRC_BODY_MAX bytes (512 with its CRLF, RFC 1459; IRCv3 tags
 * count too, since no capability that allows longer ones is offered) is
 * reported once as IRC_LINE_TOOLONG and its rest skipped up to the next
 * end of line.
 * A complete line inside the caller's buffer is returned in place (no
 * copy); only a line split across reads is gathered in the splitter. */
#ifndef SOCKIT_CHAT_PARSE_H
#define SOCKIT_CHAT_PARSE_H

#include <stdbool.h>
#include <stddef.h>

/* Longest line with its CRLF (RFC 1459 2.3), and without. */
#define IRC_LINE_MAX 512
#define IRC_BODY_MAX (IRC_LINE_MAX - 2)
/* Parameters a message may carry (RFC 2812 2.3). */
#define IRC_PARAMS_MAX 15

struct irc_splitter {
	size_t have;              /* bytes gathered in buf */
	bool skipping;            /* inside an over-long line */
	bool after_cr;            /* last byte seen was CR: a LF next is its pair */
	char buf[IRC_BODY_MAX];
};

enum irc_split {
	IRC_LINE_NONE,            /* every byte consumed, no complete line */
	IRC_LINE_OK,              /* *line, *len: one line without its ending */
	IRC_LINE_TOOLONG,         /* an over-long line started; it is skipped */
};

/* Take the next line from *data, *n (advanced past what was used).  *line
 * points into the caller's bytes or into sp->buf and is valid until the
 * next call.  Returns IRC_LINE_NONE when *n reached 0 without a line. */
enum irc_split irc_split_next(struct irc_splitter *sp, const char **data,
                              size_t *n, const char **line, size_t *len);

struct irc_msg {
	const char *prefix;       /* without ':', or NULL */
	size_t prefix_len;
	char command[32];         /* upper-cased; a numeric stays as digits */
	int nparams;
	char *params[IRC_PARAMS_MAX];  /* NUL-terminated, inside the line copy */
	bool trailing;            /* the last parameter came after " :" */
};

enum irc_parse {
	IRC_PARSE_OK,
	IRC_PARSE_EMPTY,          /* only spaces (or only tags): ignore */
	IRC_PARSE_NUL,            /* a NUL byte in the line: refused */
	IRC_PARSE_BAD,            /* no command, or a command too long */
};

/* Parse line (len bytes, modified in place: the caller passes a writable
 * copy of at least len + 1 bytes) into m.  Tags are skipped.  Parameters
 * past IRC_PARAMS_MAX are folded into the last one, as RFC 2812 says. */
enum irc_parse irc_parse(char *line, size_t len, struct irc_msg *m);

#endif
