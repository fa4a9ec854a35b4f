/* reply.c — numeric replies and the registration burst: 001-005 with the
 * ISUPPORT tokens this server really honours, LUSERS, MOTD. */
#include <stdio.h>
#include <string.h>

#include "chat.h"

const char *chat_target(const struct client *cl)
{
	return cl->has_nick ? cl->nick : "*";
}

/* ":server NNN target " then fmt; the line is cut at 510 bytes. */
void chat_num(struct client *cl, int num, const char *fmt, ...)
{
	char body[IRC_LINE_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(body, sizeof body, fmt, ap);
	va_end(ap);
	chat_to(cl, ":%s %03d %s %s", cl->srv->name, num, chat_target(cl), body);
}

/* Every token is true of this server: the modes, the limits, the case
 * mapping are what state.c and cmd_mode.c do.  No CAP is offered, so
 * nothing here depends on one. */
static const char *const isupport[] = {
	"AWAYLEN=200 CASEMAPPING=rfc1459 CHANLIMIT=#:20 CHANMODES=beI,k,l,imnpst "
	"CHANNELLEN=50 CHANTYPES=# EXCEPTS=e INVEX=I KICKLEN=255 MAXLIST=beI:100 "
	"MAXTARGETS=4 MODES=6",
	"NETWORK=sockit NICKLEN=30 PREFIX=(ov)@+ TARGMAX=PRIVMSG:4,NOTICE:4,"
	"JOIN:20,PART:20,NAMES:20,WHOIS:1,KICK:1 TOPICLEN=390 USERLEN=10",
};

void chat_welcome(struct client *cl)
{
	struct chat_server *s = cl->srv;
	char when[64];
	struct tm tm;

	chat_num(cl, 1, ":Welcome to the sockit IRC Network %s!%s@%s", cl->nick,
	         cl->user, cl->host);
	chat_num(cl, 2, ":Your host is %s, running version %s", s->name, CHAT_VERSION);
	gmtime_r(&s->created, &tm);
	strftime(when, sizeof when, "%a %b %d %Y at %H:%M:%S UTC", &tm);
	chat_num(cl, 3, ":This server was created %s", when);
	chat_num(cl, 4, "%s %s iow beIiklmnopstv beIklov", s->name, CHAT_VERSION);
	for (size_t i = 0; i < sizeof isupport / sizeof *isupport; i++)
		chat_num(cl, 5, "%s :are supported by this server", isupport[i]);
	chat_lusers(cl);
	chat_motd(cl);
}

void chat_lusers(struct client *cl)
{
	struct chat_server *s = cl->srv;
	size_t unknown = s->nclients >= s->nusers ? s->nclients - s->nusers : 0;

	chat_num(cl, 251, ":There are %zu users and %zu invisible on %zu servers",
	         s->nusers - s->ninvisible, s->ninvisible, chat_cluster_nodes(s));
	chat_num(cl, 252, "%zu :operator(s) online", s->nopered);
	chat_num(cl, 253, "%zu :unknown connection(s)", unknown);
	chat_num(cl, 254, "%zu :channels formed", s->chans.n);
	/* In a cluster nusers counts the users of other nodes seen here too. */
	size_t local = s->nusers - chat_cluster_ghosts(s);
	chat_num(cl, 255, ":I have %zu clients and %zu servers", local,
	         chat_cluster_nodes(s) - 1);
	chat_num(cl, 265, "%zu %zu :Current local users %zu, max %zu", local,
	         s->max_users, local, s->max_users);
	chat_num(cl, 266, "%zu %zu :Current global users %zu, max %zu", s->nusers,
	         s->max_users, s->nusers, s->max_users);
}

void chat_motd(struct client *cl)
{
	struct chat_server *s = cl->srv;

	if (s->nmotd == 0) {
		chat_num(cl, 422, ":MOTD File is missing");
		return;
	}
	chat_num(cl, 375, ":- %s Message of the day - ", s->name);
	for (size_t i = 0; i < s->nmotd; i++)
		chat_num(cl, 372, ":- %s", s->motd[i]);
	chat_num(cl, 376, ":End of MOTD command");
}
