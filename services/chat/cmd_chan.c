/* cmd_chan.c — channel commands: JOIN, PART, TOPIC, NAMES, LIST, KICK,
 * INVITE. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat.h"

static bool invited(struct channel *ch, const struct client *cl)
{
	for (size_t i = 0; i < ch->ninvites; i++)
		if (strcmp(ch->invites[i], cl->fold) == 0)
			return true;
	return chat_client_matches(cl, &ch->invex);
}

static void forget_invite(struct channel *ch, const struct client *cl)
{
	for (size_t i = 0; i < ch->ninvites; i++)
		if (strcmp(ch->invites[i], cl->fold) == 0) {
			free(ch->invites[i]);
			ch->invites[i] = ch->invites[--ch->ninvites];
			return;
		}
}

/* The numeric that keeps cl out of ch, or 0 when it may join. */
static int join_refusal(struct channel *ch, struct client *cl, const char *key)
{
	bool inv = invited(ch, cl);

	if ((ch->modes & CMODE_I) && !inv)
		return 473;
	if (chat_client_matches(cl, &ch->bans) && !chat_client_matches(cl, &ch->excepts) && !inv)
		return 474;
	if ((ch->modes & CMODE_K) && (!key || strcmp(key, ch->key) != 0))
		return 475;
	if ((ch->modes & CMODE_L) && ch->n >= ch->limit)
		return 471;
	return 0;
}

static void send_topic(struct client *cl, struct channel *ch, bool always)
{
	if (!ch->topic) {
		if (always)
			chat_num(cl, 331, "%s :No topic is set", ch->name);
		return;
	}
	chat_num(cl, 332, "%s :%s", ch->name, ch->topic);
	chat_num(cl, 333, "%s %s %lld", ch->name, ch->topic_by, (long long)ch->topic_at);
}

static const char *const join_why[] = {
	[471 - 471] = "Cannot join channel (+l)", [473 - 471] = "Cannot join channel (+i)",
	[474 - 471] = "Cannot join channel (+b)", [475 - 471] = "Cannot join channel (+k)",
};

/* JOIN one channel: checked here, then admitted by the cluster's broker
 * (its answer comes back to chat_join_admitted/refused) or by the local
 * rules. */
void chat_do_join(struct client *cl, const char *name, const char *key)
{
	struct chat_server *s = cl->srv;

	if (!chat_chan_valid(name)) {
		chat_num(cl, 403, "%s :No such channel", name);
		return;
	}
	struct channel *ch = chat_find_chan(s, name);
	if (ch && chat_member(cl, ch))
		return;
	if (cl->nchans >= CHANLIMIT) {
		chat_num(cl, 405, "%s :You have joined too many channels", name);
		return;
	}
	if (s->cluster && chat_cluster_join(cl, name, key))
		return;
	chat_join_local(cl, name, key);
}

/* The join by this node's state alone (no cluster, or its link down). */
void chat_join_local(struct client *cl, const char *name, const char *key)
{
	struct chat_server *s = cl->srv;
	struct channel *ch = chat_find_chan(s, name);
	unsigned flags = 0;

	if (ch && chat_member(cl, ch))
		return;
	if (ch) {
		int refusal = join_refusal(ch, cl, key);
		if (refusal) {
			chat_join_refused(cl, ch->name, refusal);
			return;
		}
	} else {
		if (!(ch = chat_chan_new(s, name)))
			return;
		flags = MEMB_OP;
	}
	chat_join_admitted(cl, ch, flags);
}

void chat_join_refused(struct client *cl, const char *name, int numeric)
{
	chat_num(cl, numeric, "%s :%s", name, join_why[numeric - 471]);
}

/* cl joins ch (admitted) with flags: JOIN to the members, topic, NAMES. */
void chat_join_admitted(struct client *cl, struct channel *ch, unsigned flags)
{
	if (!chat_join(ch, cl, flags)) {
		if (ch->n == 0)
			chat_chan_free(cl->srv, ch);
		return;
	}
	forget_invite(ch, cl);
	chat_to_channel(ch, NULL, ":%s!%s@%s JOIN :%s", cl->nick, cl->user, cl->host,
	                ch->name);
	send_topic(cl, ch, false);
	chat_send_names(cl, ch);
}

/* JOIN #a,#b [key,key], or JOIN 0 (leave every channel). */
static void cmd_join(struct client *cl, struct irc_msg *m)
{
	char *save = NULL;
	char *keys = m->nparams > 1 ? m->params[1] : NULL;

	if (!m->params[0][0]) {
		chat_num(cl, 461, "JOIN :Not enough parameters");
		return;
	}
	if (strcmp(m->params[0], "0") == 0) {
		while (cl->nchans)
			chat_do_part(cl, cl->chans[cl->nchans - 1]->ch, cl->nick);
		return;
	}
	int n = 0;
	for (char *name = strtok_r(m->params[0], ",", &save); name && n < CHANLIMIT;
	     name = strtok_r(NULL, ",", &save), n++) {
		char *key = keys ? strsep(&keys, ",") : NULL;
		chat_do_join(cl, name, key && key[0] ? key : NULL);
	}
}

void chat_do_part(struct client *cl, struct channel *ch, const char *why)
{
	struct member *mb = chat_member(cl, ch);

	if (!mb) {
		chat_num(cl, 442, "%s :You're not on that channel", ch->name);
		return;
	}
	chat_to_channel(ch, NULL, ":%s!%s@%s PART %s :%s", cl->nick, cl->user,
	                cl->host, ch->name, why ? why : "");
	chat_part(cl->srv, mb);
}

static void cmd_part(struct client *cl, struct irc_msg *m)
{
	char *save = NULL;
	const char *why = m->nparams > 1 ? m->params[1] : NULL;
	int n = 0;

	for (char *name = strtok_r(m->params[0], ",", &save); name && n++ < CHANLIMIT;
	     name = strtok_r(NULL, ",", &save)) {
		struct channel *ch = chat_find_chan(cl->srv, name);
		if (!ch)
			chat_num(cl, 403, "%s :No such channel", name);
		else
			chat_do_part(cl, ch, why);
	}
}

void chat_do_topic(struct client *cl, struct channel *ch, const char *topic)
{
	struct member *mb = chat_member(cl, ch);

	if (!topic) {
		if ((ch->modes & CMODE_S) && !mb)
			chat_num(cl, 442, "%s :You're not on that channel", ch->name);
		else
			send_topic(cl, ch, true);
		return;
	}
	if (!mb) {
		chat_num(cl, 442, "%s :You're not on that channel", ch->name);
		return;
	}
	if ((ch->modes & CMODE_T) && !(mb->flags & MEMB_OP)) {
		chat_num(cl, 482, "%s :You're not channel operator", ch->name);
		return;
	}
	if (cl->srv->cluster && chat_cluster_topic(cl, ch, topic))
		return;             /* shown once the broker has ordered it */
	free(ch->topic);
	ch->topic = topic[0] ? strndup(topic, TOPICLEN) : NULL;
	snprintf(ch->topic_by, sizeof ch->topic_by, "%s", cl->nick);
	ch->topic_at = time(NULL);
	chat_to_channel(ch, NULL, ":%s!%s@%s TOPIC %s :%s", cl->nick, cl->user,
	                cl->host, ch->name, ch->topic ? ch->topic : "");
}

static void cmd_topic(struct client *cl, struct irc_msg *m)
{
	struct channel *ch = chat_find_chan(cl->srv, m->params[0]);

	if (!ch) {
		chat_num(cl, 403, "%s :No such channel", m->params[0]);
		return;
	}
	chat_do_topic(cl, ch, m->nparams > 1 ? m->params[1] : NULL);
}

/* 353 lines, as many names per line as fit in 510 bytes, then 366. */
void chat_send_names(struct client *cl, struct channel *ch)
{
	char buf[IRC_LINE_MAX];
	size_t head = (size_t)snprintf(buf, sizeof buf, "%s %s :",
	                               (ch->modes & CMODE_S) ? "@" :
	                               (ch->modes & CMODE_P) ? "*" : "=", ch->name);
	size_t len = head;
	size_t room = IRC_BODY_MAX - strlen(cl->srv->name) - strlen(cl->nick) - 8;
	bool member = chat_member(cl, ch) != NULL;

	if (!((ch->modes & (CMODE_S | CMODE_P)) && !member)) {
		for (size_t i = 0; i < ch->n; i++) {
			struct member *mb = ch->members[i];
			if ((mb->cl->modes & UMODE_I) && !member)
				continue;
			const char *pfx = (mb->flags & MEMB_OP) ? "@" :
			                  (mb->flags & MEMB_VOICE) ? "+" : "";
			size_t need = strlen(pfx) + strlen(mb->cl->nick) + 1;
			if (len + need > room) {
				buf[len - 1] = '\0';
				chat_num(cl, 353, "%s", buf);
				len = head;
			}
			len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s ", pfx,
			                        mb->cl->nick);
		}
		if (len > head) {
			buf[len - 1] = '\0';
			chat_num(cl, 353, "%s", buf);
		}
	}
	chat_num(cl, 366, "%s :End of /NAMES list", ch->name);
}

static void cmd_names(struct client *cl, struct irc_msg *m)
{
	char *save = NULL;

	int n = 0;

	if (m->nparams == 0) {
		chat_num(cl, 366, "* :End of /NAMES list");
		return;
	}
	for (char *name = strtok_r(m->params[0], ",", &save); name && n++ < CHANLIMIT;
	     name = strtok_r(NULL, ",", &save)) {
		struct channel *ch = chat_find_chan(cl->srv, name);
		if (ch)
			chat_send_names(cl, ch);
		else
			chat_num(cl, 366, "%s :End of /NAMES list", name);
	}
}

static void list_one(struct client *cl, struct channel *ch)
{
	if ((ch->modes & (CMODE_S | CMODE_P)) && !chat_member(cl, ch))
		return;
	chat_num(cl, 322, "%s %zu :%s", ch->name, ch->n, ch->topic ? ch->topic : "");
}

/* LIST, or LIST #a,#b: 321, a 322 per visible channel, 323. */
void chat_do_list(struct client *cl, const char *filter)
{
	struct chat_server *s = cl->srv;
	char copy[IRC_LINE_MAX], *save = NULL;

	chat_num(cl, 321, "Channel :Users  Name");
	if (filter && filter[0]) {
		snprintf(copy, sizeof copy, "%s", filter);
		for (char *n = strtok_r(copy, ",", &save); n; n = strtok_r(NULL, ",", &save)) {
			struct channel *ch = chat_find_chan(s, n);
			if (ch)
				list_one(cl, ch);
		}
	} else {
		for (size_t i = 0; i < s->chans.nb; i++)
			for (struct hent *e = s->chans.b[i]; e; e = e->next)
				list_one(cl, (struct channel *)((char *)e - offsetof(struct channel, h)));
	}
	chat_num(cl, 323, ":End of /LIST");
}

/* In a cluster the broker knows every room of the network
 * (cluster_list.c); the local list when it cannot be asked. */
static void cmd_list(struct client *cl, struct irc_msg *m)
{
	const char *filter = m->nparams > 0 ? m->params[0] : NULL;

	if (cl->srv->cluster && chat_cluster_list(cl, filter))
		return;
	chat_do_list(cl, filter);
}

/* The channel and cl's membership, with 403/442/482 sent when refused. */
static struct member *op_of(struct client *cl, const char *name, struct channel **chp)
{
	struct channel *ch = chat_find_chan(cl->srv, name);
	struct member *mb = ch ? chat_member(cl, ch) : NULL;

	*chp = ch;
	if (!ch)
		chat_num(cl, 403, "%s :No such channel", name);
	else if (!mb)
		chat_num(cl, 442, "%s :You're not on that channel", ch->name);
	else if (!(mb->flags & MEMB_OP))
		chat_num(cl, 482, "%s :You're not channel operator", ch->name);
	else
		return mb;
	return NULL;
}

static void cmd_kick(struct client *cl, struct irc_msg *m)
{
	struct channel *ch;

	if (!op_of(cl, m->params[0], &ch))
		return;
	struct client *who = chat_find_nick(cl->srv, m->params[1]);
	struct member *tm = who ? chat_member(who, ch) : NULL;
	if (!who) {
		chat_num(cl, 401, "%s :No such nick/channel", m->params[1]);
		return;
	}
	if (!tm) {
		chat_num(cl, 441, "%s %s :They aren't on that channel", who->nick, ch->name);
		return;
	}
	char why[KICKLEN + 1];
	snprintf(why, sizeof why, "%s", m->nparams > 2 ? m->params[2] : cl->nick);
	chat_to_channel(ch, NULL, ":%s!%s@%s KICK %s %s :%s", cl->nick, cl->user,
	                cl->host, ch->name, who->nick, why);
	chat_part(cl->srv, tm);
}

static void cmd_invite(struct client *cl, struct irc_msg *m)
{
	struct client *who = chat_find_nick(cl->srv, m->params[0]);
	struct channel *ch = chat_find_chan(cl->srv, m->params[1]);
	struct member *mb = ch ? chat_member(cl, ch) : NULL;

	if (!who && (!cl->srv->cluster || !ch || !mb)) {
		chat_num(cl, 401, "%s :No such nick/channel", m->params[0]);
		return;
	}
	if (!ch) {
		chat_num(cl, 403, "%s :No such channel", m->params[1]);
		return;
	}
	if (!mb) {
		chat_num(cl, 442, "%s :You're not on that channel", ch->name);
		return;
	}
	if ((ch->modes & CMODE_I) && !(mb->flags & MEMB_OP)) {
		chat_num(cl, 482, "%s :You're not channel operator", ch->name);
		return;
	}
	if (!who) {
		/* A user of another node sharing no room here: asked there. */
		if (!chat_cluster_invite_remote(cl, m->params[0], ch))
			chat_num(cl, 401, "%s :No such nick/channel", m->params[0]);
		return;
	}
	if (chat_member(who, ch)) {
		chat_num(cl, 443, "%s %s :is already on channel", who->nick, ch->name);
		return;
	}
	if (cl->srv->cluster)
		chat_cluster_invite(ch, who);
	if (!invited(ch, who) && ch->ninvites < MAXLIST) {
		char **v = realloc(ch->invites, (ch->ninvites + 1) * sizeof *v);
		if (v && (v[ch->ninvites] = strdup(who->fold))) {
			ch->invites = v;
			ch->ninvites++;
		} else if (v) {
			ch->invites = v;
		}
	}
	chat_num(cl, 341, "%s %s", who->nick, ch->name);
	chat_to(who, ":%s!%s@%s INVITE %s :%s", cl->nick, cl->user, cl->host,
	        who->nick, ch->name);
	if (who->away)
		chat_num(cl, 301, "%s :%s", who->nick, who->away);
}

const struct chat_cmd chat_cmds_chan[] = {
	{ "JOIN", cmd_join, 1, false },
	{ "PART", cmd_part, 1, false },
	{ "TOPIC", cmd_topic, 1, false },
	{ "NAMES", cmd_names, 0, false },
	{ "LIST", cmd_list, 0, false },
	{ "KICK", cmd_kick, 2, false },
	{ "INVITE", cmd_invite, 2, false },
	{ NULL, NULL, 0, false },
};
