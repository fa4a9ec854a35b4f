/* cmd_query.c — queries: WHO, WHOIS, WHOWAS, ISON, USERHOST, AWAY, LUSERS,
 * MOTD, VERSION, TIME, INFO, ADMIN, LINKS, HELP. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat.h"

/* Whether a and b share a channel (who may see an invisible user). */
static bool share_channel(const struct client *a, const struct client *b)
{
	for (size_t i = 0; i < a->nchans; i++)
		if (chat_member(b, a->chans[i]->ch))
			return true;
	return false;
}

static void who_line(struct client *cl, const char *chan, const struct client *w,
                     unsigned flags)
{
	chat_num(cl, 352, "%s %s %s %s %s %c%s%s :0 %s", chan, w->user, w->host,
	         cl->srv->name, w->nick, w->away ? 'G' : 'H',
	         (w->modes & UMODE_O) ? "*" : "",
	         (flags & MEMB_OP) ? "@" : (flags & MEMB_VOICE) ? "+" : "", w->real);
}

/* WHO #c (members), WHO mask (visible users whose nick!user@host or
 * nick matches), WHO (nothing: 315 only). */
static void cmd_who(struct client *cl, struct irc_msg *m)
{
	struct chat_server *s = cl->srv;
	const char *mask = m->nparams > 0 ? m->params[0] : "*";

	if (mask[0] == '#') {
		struct channel *ch = chat_find_chan(s, mask);
		if (ch && (!(ch->modes & (CMODE_S | CMODE_P)) || chat_member(cl, ch)))
			for (size_t i = 0; i < ch->n; i++)
				who_line(cl, ch->name, ch->members[i]->cl, ch->members[i]->flags);
		chat_num(cl, 315, "%s :End of WHO list", ch ? ch->name : mask);
		return;
	}
	int shown = 0;
	for (size_t i = 0; i < s->nicks.nb && shown < 200; i++)
		for (struct hent *e = s->nicks.b[i]; e && shown < 200; e = e->next) {
			struct client *w = (struct client *)((char *)e - offsetof(struct client, h));
			char full[NICKLEN + USERLEN + HOSTLEN + 4];
			chat_prefix(w, full, sizeof full);
			if (!w->registered || ((w->modes & UMODE_I) && w != cl && !share_channel(cl, w)))
				continue;
			if (!chat_mask_match(mask, w->nick) && !chat_mask_match(mask, full) &&
			    !chat_mask_match(mask, w->host))
				continue;
			who_line(cl, "*", w, 0);
			shown++;
		}
	chat_num(cl, 315, "%s :End of WHO list", mask);
}

static void whois_channels(struct client *cl, const struct client *w)
{
	char buf[IRC_LINE_MAX];
	size_t len = 0;

	for (size_t i = 0; i < w->nchans; i++) {
		struct member *mb = w->chans[i];
		if ((mb->ch->modes & (CMODE_S | CMODE_P)) && !chat_member(cl, mb->ch))
			continue;
		if (len + strlen(mb->ch->name) + 3 > 400) {
			chat_num(cl, 319, "%s :%s", w->nick, buf);
			len = 0;
		}
		len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s%s",
		                        len ? " " : "", (mb->flags & MEMB_OP) ? "@" :
		                        (mb->flags & MEMB_VOICE) ? "+" : "", mb->ch->name);
	}
	if (len)
		chat_num(cl, 319, "%s :%s", w->nick, buf);
}

static void cmd_whois(struct client *cl, struct irc_msg *m)
{
	const char *nick = m->params[m->nparams > 1 ? 1 : 0];
	struct client *w = chat_find_nick(cl->srv, nick);

	if (!w || !w->registered) {
		if (!w && cl->srv->cluster && chat_cluster_whois(cl, nick))
			return;            /* a user of another node: asked there */
		chat_num(cl, 401, "%s :No such nick/channel", nick);
		chat_num(cl, 318, "%s :End of /WHOIS list", nick);
		return;
	}
	chat_num(cl, 311, "%s %s %s * :%s", w->nick, w->user, w->host, w->real);
	whois_channels(cl, w);
	if (w->node)             /* a user of another cluster node */
		chat_num(cl, 312, "%s %s :sockit chat, node %s", w->nick, cl->srv->name,
		         chat_cluster_node_name(cl->srv, w));
	else
		chat_num(cl, 312, "%s %s :sockit chat", w->nick, cl->srv->name);
	if (w->away)
		chat_num(cl, 301, "%s :%s", w->nick, w->away);
	if (w->modes & UMODE_O)
		chat_num(cl, 313, "%s :is an IRC operator", w->nick);
	chat_num(cl, 317, "%s %llu %lld :seconds idle, signon time", w->nick,
	         (unsigned long long)((chat_now_ms() - w->last_in_ms) / 1000),
	         (long long)w->signon);
	chat_num(cl, 318, "%s :End of /WHOIS list", w->nick);
}

static void cmd_whowas(struct client *cl, struct irc_msg *m)
{
	struct chat_server *s = cl->srv;
	char want[NICKLEN + 2], f[NICKLEN + 2];
	int found = 0;

	chat_fold(want, m->params[0], sizeof want);
	for (size_t k = 0; k < WHOWAS_KEEP && found < 10; k++) {
		const struct whowas *w = &s->whowas[(s->whowas_next + WHOWAS_KEEP - 1 - k) % WHOWAS_KEEP];
		if (!w->nick[0])
			continue;
		chat_fold(f, w->nick, sizeof f);
		if (strcmp(f, want) != 0)
			continue;
		char when[64];
		struct tm tm;
		gmtime_r(&w->at, &tm);
		strftime(when, sizeof when, "%a %b %d %H:%M:%S %Y", &tm);
		chat_num(cl, 314, "%s %s %s * :%s", w->nick, w->user, w->host, w->real);
		chat_num(cl, 312, "%s %s :%s", w->nick, s->name, when);
		found++;
	}
	if (!found)
		chat_num(cl, 406, "%s :There was no such nickname", m->params[0]);
	chat_num(cl, 369, "%s :End of WHOWAS", m->params[0]);
}

/* ISON: the nicks given (in any parameters) that are online. */
static void cmd_ison(struct client *cl, struct irc_msg *m)
{
	char out[IRC_LINE_MAX], copy[IRC_LINE_MAX], *save = NULL;
	char *unknown[64];
	size_t len = 0, nunknown = 0;

	out[0] = '\0';
	for (int i = 0; i < m->nparams; i++) {
		snprintf(copy, sizeof copy, "%s", m->params[i]);
		for (char *n = strtok_r(copy, " ", &save); n; n = strtok_r(NULL, " ", &save)) {
			struct client *w = chat_find_nick(cl->srv, n);
			if (w && w->registered && len + strlen(w->nick) + 2 < 400)
				len += (size_t)snprintf(out + len, sizeof out - len, "%s%s",
				                        len ? " " : "", w->nick);
			else if (!w && cl->srv->cluster && chat_nick_valid(n) && nunknown < 64 &&
			         (unknown[nunknown] = strdup(n)))
				nunknown++;
		}
	}
	/* Nicks of other nodes' users this node has no ghost of: asked there,
	 * the answer sent once every one is known. */
	bool later = nunknown && chat_cluster_ison(cl, out, unknown, nunknown);
	for (size_t i = 0; i < nunknown; i++)
		free(unknown[i]);
	if (!later)
		chat_num(cl, 303, ":%s", out);
}

static void cmd_userhost(struct client *cl, struct irc_msg *m)
{
	char out[IRC_LINE_MAX];
	size_t len = 0;

	out[0] = '\0';
	for (int i = 0; i < m->nparams && i < 5; i++) {
		struct client *w = chat_find_nick(cl->srv, m->params[i]);
		if (w && w->registered)
			len += (size_t)snprintf(out + len, sizeof out - len, "%s%s%s=%c%s@%s",
			                        len ? " " : "", w->nick,
			                        (w->modes & UMODE_O) ? "*" : "",
			                        w->away ? '-' : '+', w->user, w->host);
	}
	chat_num(cl, 302, ":%s", out);
}

static void cmd_away(struct client *cl, struct irc_msg *m)
{
	free(cl->away);
	cl->away = NULL;
	if (m->nparams > 0 && m->params[0][0]) {
		cl->away = strndup(m->params[0], AWAYLEN);
		chat_num(cl, 306, ":You have been marked as being away");
	} else {
		chat_num(cl, 305, ":You are no longer marked as being away");
	}
	if (cl->srv->cluster)
		chat_cluster_away(cl);
}

static void cmd_lusers(struct client *cl, struct irc_msg *m)
{
	(void)m;
	chat_lusers(cl);
}

static void cmd_motd(struct client *cl, struct irc_msg *m)
{
	(void)m;
	chat_motd(cl);
}

static void cmd_version(struct client *cl, struct irc_msg *m)
{
	(void)m;
	chat_num(cl, 351, "%s. %s :sockit chat (IRC client protocol subset)",
	         CHAT_VERSION, cl->srv->name);
}

static void cmd_time(struct client *cl, struct irc_msg *m)
{
	char when[64];
	time_t now = time(NULL);
	struct tm tm;
	(void)m;

	gmtime_r(&now, &tm);
	strftime(when, sizeof when, "%A %B %d %Y -- %H:%M:%S UTC", &tm);
	chat_num(cl, 391, "%s :%s", cl->srv->name, when);
}

static void cmd_info(struct client *cl, struct irc_msg *m)
{
	(void)m;
	chat_num(cl, 371, ":%s: the chat server of sockit, a socket toolkit in C", CHAT_VERSION);
	chat_num(cl, 371, ":IRC client protocol subset (docs/chat.md) and a line mode");
	chat_num(cl, 374, ":End of INFO list");
}

static void cmd_admin(struct client *cl, struct irc_msg *m)
{
	(void)m;
	chat_num(cl, 256, "%s :Administrative info", cl->srv->name);
	chat_num(cl, 257, ":sockit chat server");
	chat_num(cl, 258, ":run by whoever started sockit serve");
	chat_num(cl, 259, ":no e-mail configured");
}

static void cmd_links(struct client *cl, struct irc_msg *m)
{
	(void)m;
	if (cl->srv->cluster)
		chat_cluster_links(cl);
	else
		chat_num(cl, 364, "%s %s :0 sockit chat", cl->srv->name, cl->srv->name);
	chat_num(cl, 365, "* :End of /LINKS list");
}

static void cmd_help(struct client *cl, struct irc_msg *m)
{
	const char *topic = m->nparams > 0 ? m->params[0] : "*";

	chat_num(cl, 704, "%s :sockit chat understands:", topic);
	chat_num(cl, 705, "%s :CAP PASS NICK USER PING PONG QUIT JOIN PART TOPIC NAMES", topic);
	chat_num(cl, 705, "%s :LIST KICK INVITE PRIVMSG NOTICE WHO WHOIS WHOWAS ISON", topic);
	chat_num(cl, 705, "%s :USERHOST AWAY LUSERS MOTD VERSION TIME INFO ADMIN LINKS", topic);
	chat_num(cl, 705, "%s :HELP MODE OPER KILL WALLOPS (see docs/chat.md)", topic);
	chat_num(cl, 706, "%s :End of /HELP", topic);
}

const struct chat_cmd chat_cmds_query[] = {
	{ "WHO", cmd_who, 0, false },
	{ "WHOIS", cmd_whois, 1, false },
	{ "WHOWAS", cmd_whowas, 1, false },
	{ "ISON", cmd_ison, 1, false },
	{ "USERHOST", cmd_userhost, 1, false },
	{ "AWAY", cmd_away, 0, false },
	{ "LUSERS", cmd_lusers, 0, false },
	{ "MOTD", cmd_motd, 0, false },
	{ "VERSION", cmd_version, 0, false },
	{ "TIME", cmd_time, 0, false },
	{ "INFO", cmd_info, 0, false },
	{ "ADMIN", cmd_admin, 0, false },
	{ "LINKS", cmd_links, 0, false },
	{ "HELP", cmd_help, 0, false },
	{ NULL, NULL, 0, false },
};
