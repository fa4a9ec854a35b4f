/* parse.c — the IRC line splitter and message parser (see parse.h). */
#include <ctype.h>
#include <string.h>

#include "parse.h"

/* The first CR or LF in p[0..n), or NULL. */
static const char *find_eol(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] == '\n' || p[i] == '\r')
			return p + i;
	return NULL;
}

/* Move past k bytes of the input. */
static void consume(const char **p, size_t *left, size_t k)
{
	*p += k;
	*left -= k;
}

/* Past the end-of-line byte at e; a CR may be followed by its LF, which
 * then belongs to the same line ending (even in the next read). */
static void past_eol(struct irc_splitter *sp, const char **p, size_t *left,
                     const char *e)
{
	sp->after_cr = *e == '\r';
	consume(p, left, (size_t)(e - *p) + 1);
}

enum irc_split irc_split_next(struct irc_splitter *sp, const char **data,
                              size_t *n, const char **line, size_t *len)
{
	const char *p = *data;
	size_t left = *n;
	enum irc_split rc = IRC_LINE_NONE;

	while (left > 0 && rc == IRC_LINE_NONE) {
		if (sp->after_cr) {
			sp->after_cr = false;
			if (*p == '\n') {
				consume(&p, &left, 1);
				continue;
			}
		}
		const char *e = find_eol(p, left);
		size_t chunk = e ? (size_t)(e - p) : left;
		if (sp->skipping) {
			if (!e) {
				consume(&p, &left, left);
				break;
			}
			sp->skipping = false;
			past_eol(sp, &p, &left, e);
			continue;
		}
		if (sp->have + chunk > IRC_BODY_MAX) {
			sp->have = 0;
			if (e)
				past_eol(sp, &p, &left, e);
			else {
				sp->skipping = true;
				consume(&p, &left, left);
			}
			rc = IRC_LINE_TOOLONG;
			break;
		}
		if (e && sp->have == 0) {
			/* The whole line is in the caller's bytes: no copy. */
			const char *start = p;
			past_eol(sp, &p, &left, e);
			if (chunk == 0)
				continue;
			*line = start;
			*len = chunk;
			rc = IRC_LINE_OK;
			break;
		}
		memcpy(sp->buf + sp->have, p, chunk);
		sp->have += chunk;
		if (!e) {
			consume(&p, &left, chunk);
			break;
		}
		past_eol(sp, &p, &left, e);
		size_t l = sp->have;
		sp->have = 0;
		if (l == 0)
			continue;
		*line = sp->buf;
		*len = l;
		rc = IRC_LINE_OK;
	}
	*data = p;
	*n = left;
	return rc;
}

static char *skip_spaces(char *p)
{
	while (*p == ' ')
		p++;
	return p;
}

/* Cut the word at p (ending at a space or the end) and return what follows. */
static char *cut_word(char *p)
{
	while (*p && *p != ' ')
		p++;
	if (*p)
		*p++ = '\0';
	return p;
}

/* The command word into m->command, upper-cased; false if too long. */
static bool take_command(const char *w, struct irc_msg *m)
{
	size_t n = strlen(w);

	if (n == 0 || n >= sizeof m->command)
		return false;
	for (size_t i = 0; i < n; i++)
		m->command[i] = (char)toupper((unsigned char)w[i]);
	m->command[n] = '\0';
	return true;
}

enum irc_parse irc_parse(char *line, size_t len, struct irc_msg *m)
{
	memset(m, 0, sizeof *m);
	if (memchr(line, '\0', len))
		return IRC_PARSE_NUL;
	line[len] = '\0';
	char *p = skip_spaces(line);
	if (*p == '@')                       /* IRCv3 tags: not used */
		p = skip_spaces(cut_word(p));
	if (*p == ':') {
		m->prefix = p + 1;
		p = cut_word(p);
		m->prefix_len = strlen(m->prefix);
		p = skip_spaces(p);
	}
	if (*p == '\0')
		return m->prefix ? IRC_PARSE_BAD : IRC_PARSE_EMPTY;
	char *cmd = p;
	p = cut_word(p);
	if (!take_command(cmd, m))
		return IRC_PARSE_BAD;
	for (;;) {
		p = skip_spaces(p);
		if (*p == '\0')
			break;
		if (*p == ':' || m->nparams == IRC_PARAMS_MAX - 1) {
			/* The trailing parameter, or the last one allowed, which
			 * keeps the rest of the line with its spaces. */
			m->trailing = *p == ':';
			m->params[m->nparams++] = p + (*p == ':');
			break;
		}
		m->params[m->nparams++] = p;
		p = cut_word(p);
	}
	return IRC_PARSE_OK;
}
