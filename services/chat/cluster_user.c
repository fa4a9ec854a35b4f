/* cluster_user.c — users in the broker (bus.h user ops: node, user, host,
 * realname, signon, away under the folded nick), and the commands about a
 * user of another node that shares no room with this node (no ghost
 * here): PRIVMSG/NOTICE, WHOIS, ISON and INVITE ask the broker and are
 * finished when the answer arrives; a broker that does not answer in time
 * (its watchdog) answers "no such user" and the usual numeric goes out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus.h"
#include "chat/cluster.h"

/* ISON's reply, gathered while its look-ups are out. */
struct ison {
	struct client *cl;         /* NULL once gone */
	char out[IRC_LINE_MAX];
	size_t len;
	size_t waiting;
};

/* This node's user cl, as other nodes read it. */
void cc_user_set(struct chat_cluster *cc, struct client *cl)
{
	struct bus_user u = { .node = cc->bus->node, .nick = cl->nick, .user = cl->user,
	                      .host = cl->host, .real = cl->real, .away = cl->away,
	                      .signon = (long long)cl->signon };

	if (cc->bus->up && !cl->node && cl->registered)
		cc->bus->ops->user_set(cc->bus, cl->fold, &u);
}

void chat_cluster_registered(struct client *cl)
{
	cc_user_set(cl->srv->cluster, cl);
}

void chat_cluster_away(struct client *cl)
{
	cc_user_set(cl->srv->cluster, cl);
}

/* A local user's nick changed: its user entry and room entries follow. */
void chat_cluster_renamed(struct client *cl, const char *old)
{
	struct chat_cluster *cc = cl->srv->cluster;
	char fold[NICKLEN + 1];

	if (!cc->bus->up || cl->node)
		return;
	chat_fold(fold, old, sizeof fold);
	cc->bus->ops->user_del(cc->bus, fold);
	cc_user_set(cc, cl);
	cc_rooms_renamed(cc, cl);
}

/* A new look-up of nick for cl; NULL when it cannot be asked (the caller
 * answers as if the user were not there). */
static struct lookup *ask(struct client *cl, int kind, const char *nick)
{
	struct chat_cluster *cc = cl->srv->cluster;
	char fold[NICKLEN + 1];

	if (!cc->bus->up || !chat_nick_valid(nick) || cc->nlookups == MAX_LOOKUPS ||
	    !cc_grow(&cc->lookups, &cc->caplookups, cc->nlookups, sizeof *cc->lookups))
		return NULL;
	struct lookup *l = &cc->lookups[cc->nlookups++];
	*l = (struct lookup){ .token = ++cc->next_token, .cl = cl, .kind = kind };
	snprintf(l->target, sizeof l->target, "%s", nick);
	chat_fold(fold, nick, sizeof fold);
	cc->bus->ops->user_get(cc->bus, fold, l->token);
	return l;
}

/* PRIVMSG/NOTICE to a nick no local user shares a room with: the line
 * goes to the user's node only, once the broker says which.  False when
 * that cannot be tried (the caller answers 401). */
bool chat_cluster_forward(struct client *cl, const char *cmd, const char *target,
                          const char *text, bool notice)
{
	char line[IRC_LINE_MAX + 1];
	int n = snprintf(line, sizeof line, ":%s!%s@%s %s %s :%s\r\n", cl->nick, cl->user,
	                 cl->host, cmd, target, text);
	size_t len = n < 0 ? 0 : (size_t)n >= sizeof line ? sizeof line - 1 : (size_t)n;
	char *copy = malloc(len ? len : 1);

	if (!copy)
		return false;
	memcpy(copy, line, len);
	struct lookup *l = ask(cl, notice ? LK_NOTICE : LK_MSG, target);
	if (!l) {
		free(copy);
		return false;
	}
	l->line = copy;
	l->len = len;
	return true;
}

bool chat_cluster_whois(struct client *cl, const char *nick)
{
	return ask(cl, LK_WHOIS, nick) != NULL;
}

/* INVITE of a user of another node: checked by the caller (cl may invite
 * to ch); the broker says whether and where the user is. */
bool chat_cluster_invite_remote(struct client *cl, const char *nick, struct channel *ch)
{
	struct lookup *l = ask(cl, LK_INVITE, nick);

	if (l)
		snprintf(l->chan, sizeof l->chan, "%s", ch->name);
	return l != NULL;
}

/* ISON with nicks unknown here: found (the local answer so far) grows
 * with each one the broker knows; 303 once all have answered. */
bool chat_cluster_ison(struct client *cl, const char *found, char **nicks, size_t n)
{
	struct chat_cluster *cc = cl->srv->cluster;
	struct ison *is = calloc(1, sizeof *is);

	if (!is || !cc->bus->up) {
		free(is);
		return false;
	}
	is->cl = cl;
	is->len = (size_t)snprintf(is->out, sizeof is->out, "%s", found);
	for (size_t i = 0; i < n; i++) {
		struct lookup *l = ask(cl, LK_ISON, nicks[i]);
		if (l) {
			l->ison = is;
			is->waiting++;
		}
	}
	if (is->waiting == 0) {
		free(is);
		return false;
	}
	return true;
}

static void ison_answer(struct lookup *l, const struct bus_user *u)
{
	struct ison *is = l->ison;

	if (u && is->len + strlen(u->nick) + 2 < 400)
		is->len += (size_t)snprintf(is->out + is->len, sizeof is->out - is->len, "%s%s",
		                            is->len ? " " : "", u->nick);
	if (--is->waiting > 0)
		return;
	if (is->cl && !is->cl->dying)
		chat_num(is->cl, 303, ":%s", is->out);
	free(is);
}

static void whois_answer(struct chat_cluster *cc, struct client *cl, const char *nick,
                         const struct bus_user *u)
{
	if (!u) {
		chat_num(cl, 401, "%s :No such nick/channel", nick);
		chat_num(cl, 318, "%s :End of /WHOIS list", nick);
		return;
	}
	chat_num(cl, 311, "%s %s %s * :%s", u->nick, u->user, u->host, u->real);
	chat_num(cl, 312, "%s %s :sockit chat, node %s", u->nick, cc->s->name, u->node);
	if (u->away)
		chat_num(cl, 301, "%s :%s", u->nick, u->away);
	chat_num(cl, 317, "%s 0 %lld :seconds idle, signon time", u->nick, u->signon);
	chat_num(cl, 318, "%s :End of /WHOIS list", u->nick);
}

/* Deliver line (to nick) to its node's channel. */
static void to_node(struct chat_cluster *cc, const char *node, const char *nick,
                    const char *line, size_t len)
{
	char chan[128], hdr[NICKLEN + 8];

	cc_node_chan(node, chan, sizeof chan);
	snprintf(hdr, sizeof hdr, "U\t%s", nick);
	cc_publish(cc, chan, hdr, line, len);
}

static void invite_answer(struct chat_cluster *cc, struct client *cl, struct lookup *l,
                          const struct bus_user *u)
{
	struct channel *ch = chat_find_chan(cc->s, l->chan);
	char fold[NICKLEN + 1], line[IRC_LINE_MAX + 1];

	if (!u) {
		chat_num(cl, 401, "%s :No such nick/channel", l->target);
		return;
	}
	if (!ch || !chat_member(cl, ch)) {
		chat_num(cl, 442, "%s :You're not on that channel", l->chan);
		return;
	}
	chat_fold(fold, u->nick, sizeof fold);
	cc->bus->ops->room_invite(cc->bus, ch->fold, fold);
	chat_num(cl, 341, "%s %s", u->nick, ch->name);
	int n = snprintf(line, sizeof line, ":%s!%s@%s INVITE %s :%s\r\n", cl->nick, cl->user,
	                 cl->host, u->nick, ch->name);
	to_node(cc, u->node, u->nick, line, n < 0 ? 0 : (size_t)n < sizeof line ? (size_t)n
	                                                                  : sizeof line - 1);
	if (u->away)
		chat_num(cl, 301, "%s :%s", u->nick, u->away);
}

void cc_on_user(void *svc, uint64_t token, const struct bus_user *u)
{
	struct chat_server *s = svc;
	struct chat_cluster *cc = s->cluster;
	size_t i;

	for (i = 0; i < cc->nlookups && cc->lookups[i].token != token; i++)
		;
	if (i == cc->nlookups)
		return;
	struct lookup l = cc->lookups[i];
	cc->lookups[i] = cc->lookups[--cc->nlookups];
	if (u && strcmp(u->node, cc->bus->node) == 0)
		u = NULL;                 /* a stale entry of this node's own */
	chat_enter(s);
	struct client *cl = l.cl && !l.cl->dying ? l.cl : NULL;
	if (l.kind == LK_ISON) {
		ison_answer(&l, u);
	} else if ((l.kind == LK_MSG || l.kind == LK_NOTICE) && u) {
		to_node(cc, u->node, u->nick, l.line, l.len);
		if (cl && l.kind == LK_MSG && u->away)
			chat_num(cl, 301, "%s :%s", u->nick, u->away);
	} else if (l.kind == LK_MSG && cl) {
		chat_num(cl, 401, "%s :No such nick/channel", l.target);
	} else if (l.kind == LK_WHOIS && cl) {
		whois_answer(cc, cl, l.target, u);
	} else if (l.kind == LK_INVITE && cl) {
		invite_answer(cc, cl, &l, u);
	}
	free(l.line);
	chat_leave(s);
}

/* cl is freed: no answer may reach it. */
void cc_lookups_forget(struct chat_cluster *cc, struct client *cl)
{
	for (size_t i = 0; i < cc->nlookups; i++) {
		if (cc->lookups[i].cl == cl)
			cc->lookups[i].cl = NULL;
		if (cc->lookups[i].ison && cc->lookups[i].ison->cl == cl)
			cc->lookups[i].ison->cl = NULL;
	}
}

void cc_lookups_free(struct chat_cluster *cc)
{
	for (size_t i = 0; i < cc->nlookups; i++) {
		free(cc->lookups[i].line);
		struct ison *is = cc->lookups[i].ison;
		if (is && --is->waiting == 0)
			free(is);
	}
	free(cc->lookups);
}
