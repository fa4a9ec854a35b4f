/* cmd_oper.c — operators: OPER (names and crypt(3) hashes from
 * --oper-file), KILL, WALLOPS. */
#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat.h"

/* One NAME:HASH line into s->opers; -1 when malformed. */
static int add_oper(struct chat_server *s, char *line)
{
	char *colon = strchr(line, ':');

	if (!colon || colon == line || !colon[1] || colon[1] != '$')
		return -1;
	*colon = '\0';
	struct oper *v = realloc(s->opers, (s->nopers + 1) * sizeof *v);
	if (!v)
		return -1;
	s->opers = v;
	v[s->nopers].name = strdup(line);
	v[s->nopers].hash = strdup(colon + 1);
	if (!v[s->nopers].name || !v[s->nopers].hash) {
		free(v[s->nopers].name);
		free(v[s->nopers].hash);
		return -1;
	}
	s->nopers++;
	return 0;
}

int chat_load_opers(struct chat_server *s, const char *file, char *err,
                    size_t errlen)
{
	FILE *f = fopen(file, "r");
	char line[1024];
	int lineno = 0;

	if (!f) {
		snprintf(err, errlen, "oper-file '%s': %s", file, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f)) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		char *p = line + strspn(line, " \t");
		if (!*p || *p == '#')
			continue;
		if (add_oper(s, p) < 0) {
			snprintf(err, errlen, "oper-file %s:%d: expected NAME:HASH "
			         "(HASH as 'openssl passwd -6' prints it)", file, lineno);
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

/* Whether pass is name's password: crypt(3) with the stored hash as salt,
 * compared in constant time. */
static bool oper_ok(const struct chat_server *s, const char *name, const char *pass)
{
	struct crypt_data cd;

	for (size_t i = 0; i < s->nopers; i++) {
		if (strcmp(s->opers[i].name, name) != 0)
			continue;
		memset(&cd, 0, sizeof cd);
		const char *h = crypt_r(pass, s->opers[i].hash, &cd);
		size_t n = strlen(s->opers[i].hash);
		if (!h || strlen(h) != n)
			return false;
		unsigned diff = 0;
		for (size_t k = 0; k < n; k++)
			diff |= (unsigned char)(h[k] ^ s->opers[i].hash[k]);
		return diff == 0;
	}
	return false;
}

static bool oper_known(const struct chat_server *s, const char *name)
{
	for (size_t i = 0; i < s->nopers; i++)
		if (strcmp(s->opers[i].name, name) == 0)
			return true;
	return false;
}

static void cmd_oper(struct client *cl, struct irc_msg *m)
{
	struct chat_server *s = cl->srv;

	if (!oper_known(s, m->params[0])) {
		chat_num(cl, 491, ":No O-lines for your host");
		return;
	}
	if (!oper_ok(s, m->params[0], m->params[1])) {
		chat_num(cl, 464, ":Password incorrect");
		svc_log(cl->conn, "OPER %s refused: bad password", m->params[0]);
		return;
	}
	if (!(cl->modes & UMODE_O)) {
		cl->modes |= UMODE_O;
		s->nopered++;
	}
	chat_num(cl, 381, ":You are now an IRC operator");
	chat_to(cl, ":%s MODE %s :+o", cl->nick, cl->nick);
	svc_log(cl->conn, "OPER %s as %s", m->params[0], cl->nick);
}

static bool need_oper(struct client *cl)
{
	if (cl->modes & UMODE_O)
		return true;
	chat_num(cl, 481, ":Permission Denied- You're not an IRC operator");
	return false;
}

static void cmd_kill(struct client *cl, struct irc_msg *m)
{
	char why[KICKLEN + 1];

	if (!need_oper(cl))
		return;
	struct client *who = chat_find_nick(cl->srv, m->params[0]);
	if (!who || !who->registered) {
		chat_num(cl, 401, "%s :No such nick/channel", m->params[0]);
		return;
	}
	snprintf(why, sizeof why, "Killed (%s (%s))", cl->nick,
	         m->nparams > 1 ? m->params[1] : "no reason");
	chat_to(who, ":%s!%s@%s KILL %s :%s", cl->nick, cl->user, cl->host,
	        who->nick, why);
	svc_log(cl->conn, "KILL %s by %s", who->nick, cl->nick);
	chat_drop(who, why, false);
}

static void cmd_wallops(struct client *cl, struct irc_msg *m)
{
	struct chat_server *s = cl->srv;
	char line[IRC_LINE_MAX + 1];

	if (!need_oper(cl))
		return;
	int n = snprintf(line, sizeof line - 2, ":%s!%s@%s WALLOPS :%s", cl->nick,
	                 cl->user, cl->host, m->params[0]);
	size_t len = n < 0 ? 0 : (size_t)n > IRC_BODY_MAX ? IRC_BODY_MAX : (size_t)n;
	memcpy(line + len, "\r\n", 3);
	for (size_t i = 0; i < s->nicks.nb; i++)
		for (struct hent *e = s->nicks.b[i]; e; e = e->next) {
			struct client *to = (struct client *)((char *)e - offsetof(struct client, h));
			if (to->registered && (to->modes & UMODE_W))
				s->bus->to_client(s, to, line, len + 2);
		}
}

const struct chat_cmd chat_cmds_oper[] = {
	{ "OPER", cmd_oper, 2, false },
	{ "KILL", cmd_kill, 1, false },
	{ "WALLOPS", cmd_wallops, 1, false },
	{ NULL, NULL, 0, false },
};
