/* cmd_reg.c — registration and connection commands: CAP, PASS, NICK,
 * USER, PING, PONG, QUIT. */
#include <stdio.h>
#include <string.h>

#include "chat.h"

/* Registration ends once NICK and USER are in and CAP negotiation (if a
 * client started one) is over: PASS checked, then 001-005, LUSERS, MOTD. */
void chat_try_register(struct client *cl)
{
	struct chat_server *s = cl->srv;

	if (cl->registered || !cl->has_nick || !cl->has_user || cl->cap_wait)
		return;
	if (s->password && !cl->pass_ok) {
		chat_num(cl, 464, ":Password incorrect");
		chat_drop(cl, "Bad password", false);
		return;
	}
	/* In a cluster the nick must be won first; the claim's answer comes
	 * back here (or with 433). */
	if (s->cluster && !cl->claimed && chat_cluster_claim(cl, cl->nick))
		return;
	cl->registered = true;
	s->nusers++;
	if (s->nusers > s->max_users)
		s->max_users = s->nusers;
	chat_welcome(cl);
	if (s->cluster)
		chat_cluster_registered(cl);
}

/* No capability is offered: LS and LIST are empty, every REQ is refused.
 * LS (any version) or REQ holds registration until CAP END. */
static void cmd_cap(struct client *cl, struct irc_msg *m)
{
	const char *sub = m->params[0];
	const char *me = chat_target(cl);

	if (strcasecmp(sub, "LS") == 0) {
		if (!cl->registered)
			cl->cap_wait = true;
		chat_to(cl, ":%s CAP %s LS :", cl->srv->name, me);
	} else if (strcasecmp(sub, "LIST") == 0) {
		chat_to(cl, ":%s CAP %s LIST :", cl->srv->name, me);
	} else if (strcasecmp(sub, "REQ") == 0) {
		if (!cl->registered)
			cl->cap_wait = true;
		chat_to(cl, ":%s CAP %s NAK :%s", cl->srv->name, me,
		        m->nparams > 1 ? m->params[1] : "");
	} else if (strcasecmp(sub, "END") == 0) {
		cl->cap_wait = false;
		chat_try_register(cl);
	} else {
		chat_num(cl, 410, "%s :Invalid CAP command", sub);
	}
}

static void cmd_pass(struct client *cl, struct irc_msg *m)
{
	if (cl->registered) {
		chat_num(cl, 462, ":You may not reregister");
		return;
	}
	cl->pass_ok = !cl->srv->password || strcmp(m->params[0], cl->srv->password) == 0;
}

/* The nick change everyone sharing a channel sees (and the client). */
void chat_do_nick(struct client *cl, const char *nick)
{
	struct chat_server *s = cl->srv;

	if (!chat_nick_valid(nick)) {
		chat_num(cl, 432, "%s :Erroneous nickname", nick);
		return;
	}
	struct client *other = chat_find_nick(s, nick);
	if (other && other != cl) {
		chat_num(cl, 433, "%s :Nickname is already in use", nick);
		return;
	}
	if (cl->registered && strcmp(cl->nick, nick) == 0)
		return;
	if (cl->registered && s->cluster && chat_cluster_claim(cl, nick))
		return;             /* applied when the claim is won */
	chat_apply_nick(cl, nick);
}

/* Take nick now (checked, and won in a cluster). */
void chat_apply_nick(struct client *cl, const char *nick)
{
	struct chat_server *s = cl->srv;
	char old[NICKLEN + USERLEN + HOSTLEN + 4];

	if (chat_find_nick(s, nick) && chat_find_nick(s, nick) != cl) {
		chat_num(cl, 433, "%s :Nickname is already in use", nick);
		return;
	}
	chat_prefix(cl, old, sizeof old);
	if (cl->registered)
		chat_whowas_add(s, cl);
	char was[NICKLEN + 1];
	snprintf(was, sizeof was, "%s", cl->nick);
	chat_set_nick(s, cl, nick);
	if (cl->registered && s->cluster)
		chat_cluster_renamed(cl, was);
	if (cl->registered)
		chat_to_peers(cl, true, ":%s NICK :%s", old, nick);
	else
		chat_try_register(cl);
}

static void cmd_nick(struct client *cl, struct irc_msg *m)
{
	if (m->nparams < 1 || !m->params[0][0]) {
		chat_num(cl, 431, ":No nickname given");
		return;
	}
	chat_do_nick(cl, m->params[0]);
}

/* USER name mode unused :realname; the name gets '~' (no ident lookup). */
static void cmd_user(struct client *cl, struct irc_msg *m)
{
	char name[USERLEN + 1];
	size_t j = 0;

	if (cl->registered || cl->has_user) {
		chat_num(cl, 462, ":You may not reregister");
		return;
	}
	name[j++] = '~';
	for (const char *p = m->params[0]; *p && j < USERLEN; p++)
		if (*p != '@' && *p != '!' && (unsigned char)*p > ' ')
			name[j++] = *p;
	name[j] = '\0';
	snprintf(cl->user, sizeof cl->user, "%s", j > 1 ? name : "~user");
	snprintf(cl->real, sizeof cl->real, "%s", m->params[3]);
	cl->has_user = true;
	chat_try_register(cl);
}

static void cmd_ping(struct client *cl, struct irc_msg *m)
{
	if (m->nparams < 1 || !m->params[0][0]) {
		chat_num(cl, 409, ":No origin specified");
		return;
	}
	chat_to(cl, ":%s PONG %s :%s", cl->srv->name, cl->srv->name, m->params[0]);
}

/* Any input clears the PING (chat_bytes); PONG itself has nothing to do. */
static void cmd_pong(struct client *cl, struct irc_msg *m)
{
	(void)cl; (void)m;
}

static void cmd_quit(struct client *cl, struct irc_msg *m)
{
	char why[KICKLEN + 1];

	snprintf(why, sizeof why, "%s%s", m->nparams > 0 ? "Quit: " : "Quit",
	         m->nparams > 0 ? m->params[0] : "");
	snprintf(cl->quit, sizeof cl->quit, "%s", why);
	chat_drop(cl, why, false);
}

const struct chat_cmd chat_cmds_reg[] = {
	{ "CAP", cmd_cap, 1, true },
	{ "PASS", cmd_pass, 1, true },
	{ "NICK", cmd_nick, 0, true },
	{ "USER", cmd_user, 4, true },
	{ "PING", cmd_ping, 0, true },
	{ "PONG", cmd_pong, 0, true },
	{ "QUIT", cmd_quit, 0, true },
	{ NULL, NULL, 0, false },
};
