/* expr_lex.c — splitting an ss filter expression (arguments or an -F file)
 * into tokens, remembering where each one starts. */
#include <string.h>

#include "sockets/expr.h"

/* Append s to the joined text (a space before every piece but the first). */
static int join(struct expr_lex *lx, size_t *len, const char *s, size_t n, char *err,
                size_t errlen)
{
	size_t need = n + (*len ? 1 : 0);

	if (*len + need > EXPR_MAX_TEXT) {
		snprintf(err, errlen, "filter: longer than %d bytes", EXPR_MAX_TEXT);
		return -1;
	}
	if (*len)
		lx->text[(*len)++] = ' ';
	memcpy(lx->text + *len, s, n);
	*len += n;
	lx->text[*len] = '\0';
	return 0;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Cut lx->text into tokens.  The pool can hold every token: each is at most
 * as long as its text plus a NUL, and there are fewer tokens than bytes. */
static int split(struct expr_lex *lx, char *err, size_t errlen)
{
	const char *p = lx->text;
	char *out = lx->pool;

	lx->n = 0;
	for (;;) {
		while (blank(*p))
			p++;
		if (!*p)
			return 0;
		if (lx->n == EXPR_MAX_TOKENS) {
			snprintf(err, errlen, "filter: more than %d words", EXPR_MAX_TOKENS);
			return -1;
		}
		lx->tok[lx->n].s = out;
		lx->tok[lx->n].col = (unsigned)(p - lx->text) + 1;
		lx->n++;
		while (*p && !blank(*p)) {
			/* As in ss: a backslash takes the next character literally. */
			if (*p == '\\' && p[1])
				p++;
			*out++ = *p++;
		}
		*out++ = '\0';
	}
}

int expr_lex_args(struct expr_lex *lx, int argc, char *const *argv, char *err,
                  size_t errlen)
{
	size_t len = 0;

	lx->text[0] = '\0';
	for (int i = 0; i < argc; i++)
		if (join(lx, &len, argv[i], strlen(argv[i]), err, errlen) < 0)
			return -1;
	return split(lx, err, errlen);
}

int expr_lex_file(struct expr_lex *lx, FILE *f, char *err, size_t errlen)
{
	char line[1024];
	size_t len = 0;

	lx->text[0] = '\0';
	while (fgets(line, sizeof line, f)) {
		size_t n = strlen(line);

		if (n == sizeof line - 1 && line[n - 1] != '\n') {
			snprintf(err, errlen, "filter file: a line longer than %zu bytes",
			         sizeof line - 2);
			return -1;
		}
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (line[0] == '#' || n == 0)
			continue;
		if (join(lx, &len, line, n, err, errlen) < 0)
			return -1;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "filter file: read error");
		return -1;
	}
	return split(lx, err, errlen);
}
