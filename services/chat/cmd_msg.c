/* cmd_msg.c — messaging: PRIVMSG and NOTICE to channels and nicks.  A
 * NOTICE never causes an error reply (RFC 2812 3.3.2). */
#include <stdio.h>
#include <string.h>

#include "chat.h"

/* Whether cl may speak in ch: +n keeps outsiders out, +m needs voice,
 * a ban (without an exception) mutes all but ops and voiced members. */
static bool may_speak(struct client *cl, struct channel *ch)
{
	struct member *mb = chat_member(cl, ch);

	if (mb && (mb->flags & (MEMB_OP | MEMB_VOICE)))
		return true;
	if (!mb && (ch->modes & CMODE_N))
		return false;
	if (ch->modes & CMODE_M)
		return false;
	return !(chat_client_matches(cl, &ch->bans) && !chat_client_matches(cl, &ch->excepts));
}

static void to_one(struct client *cl, const char *cmd, const char *target,
                   const char *text, bool notice)
{
	struct chat_server *s = cl->srv;

	if (target[0] == '#') {
		struct channel *ch = chat_find_chan(s, target);
		if (!ch) {
			if (!notice)
				chat_num(cl, 403, "%s :No such channel", target);
		} else if (!may_speak(cl, ch)) {
			if (!notice)
				chat_num(cl, 404, "%s :Cannot send to channel", ch->name);
		} else {
			chat_to_channel(ch, cl, ":%s!%s@%s %s %s :%s", cl->nick, cl->user,
			                cl->host, cmd, ch->name, text);
		}
		return;
	}
	struct client *to = chat_find_nick(s, target);
	if (!to && s->cluster && chat_cluster_forward(cl, cmd, target, text, notice))
		return;             /* a user of another node: looked up there */
	if (!to || !to->registered) {
		if (!notice)
			chat_num(cl, 401, "%s :No such nick/channel", target);
		return;
	}
	chat_to(to, ":%s!%s@%s %s %s :%s", cl->nick, cl->user, cl->host, cmd,
	        to->nick, text);
	if (!notice && to->away)
		chat_num(cl, 301, "%s :%s", to->nick, to->away);
}

/* target may list several, comma-separated (at most MAXTARGETS). */
void chat_do_privmsg(struct client *cl, const char *cmd, const char *target,
                     const char *text)
{
	bool notice = strcmp(cmd, "NOTICE") == 0;
	char copy[IRC_LINE_MAX], *save = NULL;
	int n = 0;

	if (!target || !target[0]) {
		if (!notice)
			chat_num(cl, 411, ":No recipient given (%s)", cmd);
		return;
	}
	if (!text || !text[0]) {
		if (!notice)
			chat_num(cl, 412, ":No text to send");
		return;
	}
	snprintf(copy, sizeof copy, "%s", target);
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (++n > MAXTARGETS) {
			if (!notice)
				chat_num(cl, 407, "%s :Too many recipients", t);
			return;
		}
		to_one(cl, cmd, t, text, notice);
	}
}

static void cmd_privmsg(struct client *cl, struct irc_msg *m)
{
	chat_do_privmsg(cl, m->command, m->nparams > 0 ? m->params[0] : NULL,
	                m->nparams > 1 ? m->params[1] : NULL);
}

const struct chat_cmd chat_cmds_msg[] = {
	{ "PRIVMSG", cmd_privmsg, 0, false },
	{ "NOTICE", cmd_privmsg, 0, false },
	{ NULL, NULL, 0, false },
};
