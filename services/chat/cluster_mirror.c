/* cluster_mirror.c — the users of other nodes as ghosts (clients with no
 * connection), kept in step by the lines each room's channel carries.
 *
 * Routing scales with nodes, not members: a node subscribes to a room's
 * channel only while it has local members there; each channel line is
 * one publish, and each node that receives it fans it out to its own
 * members; a line to a user goes to the channel of the user's node only.
 * A node that starts to follow a room asks who is there (W) and every
 * other node answers with its members and the topic (H). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus.h"
#include "chat/cluster.h"

/* The local registered client named by a line's ":nick!..." prefix. */
static struct client *prefix_client(struct chat_server *s, const char *line)
{
	char nick[NICKLEN + 1];
	size_t n;

	if (line[0] != ':')
		return NULL;
	n = strcspn(line + 1, "! ");
	if (n == 0 || n > NICKLEN)
		return NULL;
	memcpy(nick, line + 1, n);
	nick[n] = '\0';
	return chat_find_nick(s, nick);
}

/* A channel line: this node's members get it, and (sent by a local user or
 * by this server) every other node following the room. */
static void bus_to_channel(struct chat_server *s, struct channel *ch,
                           struct client *except, const char *line, size_t len)
{
	struct chat_cluster *cc = s->cluster;
	char chan[CHANLEN + 32], hdr[256];

	chat_local_bus.to_channel(s, ch, except, line, len);
	if (cc->receiving)
		return;
	struct client *from = prefix_client(s, line);
	if (from && from->node)
		return;
	struct member *m = from ? chat_member(from, ch) : NULL;
	snprintf(hdr, sizeof hdr, "L\t%s\t%s\t%u\t%llu\t%s", from ? from->user : "-",
	         from ? from->host : "-", m ? m->flags : 0,
	         (unsigned long long)cc->line_ver, from ? from->real : "");
	cc_room_chan(ch, chan, sizeof chan);
	cc_publish(cc, chan, hdr, line, len);
}

/* A line to one client: local, or to its node's channel. */
static void bus_to_client(struct chat_server *s, struct client *to,
                          const char *line, size_t len)
{
	struct chat_cluster *cc = s->cluster;
	char chan[128], hdr[NICKLEN + 8];

	if (!to->node) {
		chat_local_bus.to_client(s, to, line, len);
		return;
	}
	if (cc->receiving)
		return;
	cc_node_chan(cc->nodes[to->node - 1].name, chan, sizeof chan);
	snprintf(hdr, sizeof hdr, "U\t%s", to->nick);
	cc_publish(cc, chan, hdr, line, len);
}

/* NICK and QUIT: local peers, and each room of a local user once (the
 * receivers drop the repeats: the ghost is renamed or gone by then). */
static void bus_to_peers(struct chat_server *s, struct client *cl, bool self,
                         const char *line, size_t len)
{
	struct chat_cluster *cc = s->cluster;
	char chan[CHANLEN + 32];

	chat_local_bus.to_peers(s, cl, self, line, len);
	if (cc->receiving || cl->node)
		return;
	for (size_t i = 0; i < cl->nchans; i++) {
		cc_room_chan(cl->chans[i]->ch, chan, sizeof chan);
		cc_publish(cc, chan, "L\t-\t-\t0\t0\t", line, len);
	}
}

const struct chat_bus cc_bus = {
	.to_channel = bus_to_channel,
	.to_client = bus_to_client,
	.to_peers = bus_to_peers,
};

unsigned cc_node_index(struct chat_cluster *cc, const char *name)
{
	for (size_t i = 0; i < cc->nnodes; i++)
		if (strcmp(cc->nodes[i].name, name) == 0)
			return (unsigned)i + 1;
	if (cc->nnodes == MAX_NODES || strlen(name) >= sizeof cc->nodes[0].name)
		return 0;
	snprintf(cc->nodes[cc->nnodes].name, sizeof cc->nodes[0].name, "%s", name);
	return (unsigned)++cc->nnodes;
}

/* The ghost of nick on node, made when create; NULL when the nick is a
 * local user's or another node's (a collision the claims resolve). */
struct client *cc_ghost_get(struct chat_cluster *cc, unsigned node,
                                const char *nick, const char *user,
                                const char *host, const char *real, bool create)
{
	struct chat_server *s = cc->s;
	struct client *g = chat_find_nick(s, nick);

	if (g)
		return g->node == node ? g : NULL;
	if (!create || !chat_nick_valid(nick) || !(g = calloc(1, sizeof *g)))
		return NULL;
	g->srv = s;
	g->node = node;
	snprintf(g->user, sizeof g->user, "%s", user);
	snprintf(g->host, sizeof g->host, "%s", host);
	snprintf(g->real, sizeof g->real, "%s", real);
	chat_set_nick(s, g, nick);
	g->has_user = g->registered = g->decided = true;
	g->signon = time(NULL);
	g->last_in_ms = chat_now_ms();   /* WHOIS idle: since first seen here */
	s->nclients++;
	s->nusers++;
	cc->nodes[node - 1].ghosts++;
	return g;
}

/* A ghost leaves: its QUIT (why) goes to the local peers it still has. */
void cc_ghost_kill(struct client *g, const char *why)
{
	if (!g->quit[0])
		snprintf(g->quit, sizeof g->quit, "%s", why);
	chat_drop(g, why, true);
}

void cc_ghost_free(struct chat_server *s, struct client *g)
{
	while (g->nchans)
		chat_part(s, g->chans[g->nchans - 1]);
	chat_unset_nick(s, g);
	free(g->chans);
	free(g->away);
	free(g);
}

/* Header fields, split in place on TABs. */
size_t cc_split_fields(char *hdr, char **f, size_t max)
{
	size_t n = 0;

	while (n < max) {
		f[n++] = hdr;
		char *t = strchr(hdr, '\t');
		if (!t)
			break;
		*t = '\0';
		hdr = t + 1;
	}
	return n;
}

static void prefix_parts(const char *prefix, char *nick, size_t cap)
{
	size_t n = prefix ? strcspn(prefix, "!") : 0;

	snprintf(nick, cap, "%.*s", (int)(n < cap ? n : cap - 1), prefix ? prefix : "");
}

/* The channel modes a remote MODE line changed (flags, k/l, o/v, and
 * the b/e/I masks; a local member's new flags go to the broker). */
static void apply_mode(struct chat_cluster *cc, struct channel *ch,
                       const struct irc_msg *m)
{
	char setter[NICKLEN + 1];

	snprintf(setter, sizeof setter, "%.*s", (int)strcspn(m->prefix, "!"), m->prefix);
	static const char flags[] = "ntmisp";
	static const unsigned bits[] = { CMODE_N, CMODE_T, CMODE_M, CMODE_I,
	                                 CMODE_S, CMODE_P };
	bool add = true;
	size_t arg = 2;

	if (m->nparams < 2)
		return;
	for (const char *p = m->params[1]; *p; p++) {
		const char *f = strchr(flags, *p);
		if (*p == '+' || *p == '-') {
			add = *p == '+';
		} else if (f && *f) {
			unsigned b = bits[f - flags];
			ch->modes = add ? ch->modes | b : ch->modes & ~b;
		} else if ((*p == 'o' || *p == 'v') && arg < (size_t)m->nparams) {
			struct client *t = chat_find_nick(cc->s, m->params[arg++]);
			struct member *mb = t ? chat_member(t, ch) : NULL;
			unsigned b = *p == 'o' ? MEMB_OP : MEMB_VOICE;
			if (mb)
				mb->flags = add ? mb->flags | b : mb->flags & ~b;
			if (mb && !t->node)
				chat_cluster_member(ch, t);
		} else if ((*p == 'b' || *p == 'e' || *p == 'I') && arg < (size_t)m->nparams) {
			chat_mask_edit(ch, *p, m->params[arg++], setter, time(NULL), add);
		} else if (*p == 'k' || *p == 'b' || *p == 'e' || *p == 'I' ||
		           (*p == 'l' && add)) {
			if (*p == 'k')
				ch->key[0] = '\0';
			if (arg < (size_t)m->nparams && (add || *p != 'l')) {
				if (*p == 'k' && add)
					snprintf(ch->key, sizeof ch->key, "%s", m->params[arg]);
				if (*p == 'l')
					ch->limit = (unsigned)strtoul(m->params[arg], NULL, 10);
				arg++;
			}
			unsigned b = *p == 'k' ? CMODE_K : *p == 'l' ? CMODE_L : 0;
			ch->modes = add ? ch->modes | b : ch->modes & ~b;
		} else if (*p == 'l') {
			ch->modes &= ~(unsigned)CMODE_L;
			ch->limit = 0;
		}
	}
}

/* A ghost leaves a channel; with no channel left it is forgotten. */
static void ghost_part(struct chat_cluster *cc, struct client *t,
                       struct channel *ch)
{
	struct member *mb = chat_member(t, ch);

	if (mb)
		chat_part(cc->s, mb);
	if (t->node && t->nchans == 0)
		cc_ghost_kill(t, "left");
}

/* A channel line from node: mirror its effect, then deliver it. */
void cc_take_line(struct chat_cluster *cc, unsigned node, char **f,
                      size_t nf, char *line, size_t len)
{
	struct chat_server *s = cc->s;
	char copy[IRC_LINE_MAX + 1], nick[NICKLEN + 1];
	struct irc_msg m;

	if (nf < 7 || len == 0 || len > IRC_LINE_MAX)
		return;
	memcpy(copy, line, len);
	copy[len] = '\0';
	size_t body = len;
	while (body && (copy[body - 1] == '\n' || copy[body - 1] == '\r'))
		body--;
	if (irc_parse(copy, body, &m) != IRC_PARSE_OK || !m.prefix)
		return;
	struct channel *sch = m.nparams > 0 ? chat_find_chan(s, m.params[0]) : NULL;
	if (!strchr(m.prefix, '!')) {
		if (sch && strcmp(m.command, "MODE") == 0)
			apply_mode(cc, sch, &m);
		if (sch)
			chat_local_bus.to_channel(s, sch, NULL, line, len);
		return;               /* a server's line: no user behind it */
	}
	prefix_parts(m.prefix, nick, sizeof nick);
	bool join = strcmp(m.command, "JOIN") == 0;
	bool quiet = strcmp(m.command, "NICK") == 0 || strcmp(m.command, "QUIT") == 0;
	struct client *g = cc_ghost_get(cc, node, nick, f[2], f[3], f[6], !quiet);
	if (!g)
		return;
	if (quiet) {
		if (m.command[0] == 'N' && m.nparams > 0 && chat_nick_valid(m.params[0]) &&
		    !chat_find_nick(s, m.params[0])) {
			chat_local_bus.to_peers(s, g, false, line, len);
			chat_set_nick(s, g, m.params[0]);
		} else if (m.command[0] == 'Q') {
			cc_ghost_kill(g, m.nparams > 0 ? m.params[0] : "Quit");
		}
		return;
	}
	if (m.nparams < 1 || m.params[0][0] != '#')
		return;
	/* Only a room followed here (a line in flight when the last local
	 * member left finds none). */
	struct channel *ch = chat_find_chan(s, m.params[0]);
	if (!ch || cc_local_members(ch) == 0) {
		if (g->nchans == 0)
			cc_ghost_kill(g, "left");
		return;
	}
	if (join && !chat_member(g, ch) &&
	    !chat_join(ch, g, (unsigned)strtoul(f[4], NULL, 10) & (MEMB_OP | MEMB_VOICE)))
		return;
	if (strcmp(m.command, "KICK") == 0 && m.nparams > 1) {
		chat_local_bus.to_channel(s, ch, NULL, line, len);
		struct client *t = chat_find_nick(s, m.params[1]);
		if (t)
			ghost_part(cc, t, ch);
		return;
	}
	uint64_t ver = strtoull(f[5], NULL, 10);
	if (strcmp(m.command, "TOPIC") == 0 && ver && ver <= ch->topic_ver)
		return;               /* older than the topic shown: superseded */
	if (strcmp(m.command, "TOPIC") == 0 && m.nparams > 1) {
		if (ver)
			ch->topic_ver = ver;
		free(ch->topic);
		ch->topic = m.params[1][0] ? strdup(m.params[1]) : NULL;
		snprintf(ch->topic_by, sizeof ch->topic_by, "%s", nick);
		ch->topic_at = time(NULL);
	} else if (strcmp(m.command, "MODE") == 0) {
		apply_mode(cc, ch, &m);
	}
	chat_local_bus.to_channel(s, ch, g, line, len);
	if (strcmp(m.command, "PART") == 0)
		ghost_part(cc, g, ch);
}

/* Who is in ch here, for a node that starts to follow it (H). */
void cc_send_here(struct chat_cluster *cc, struct channel *ch)
{
	char body[H_CHUNK + 512], chan[CHANLEN + 32], hdr[CHANLEN + 8];
	size_t n = 0;

	cc_room_chan(ch, chan, sizeof chan);
	snprintf(hdr, sizeof hdr, "H\t%s", ch->name);
	if (ch->topic)
		n += (size_t)snprintf(body, sizeof body, "T\t%s\t%lld\t%llu\t%.390s\n",
		                      ch->topic_by, (long long)ch->topic_at,
		                      (unsigned long long)ch->topic_ver, ch->topic);
	for (size_t i = 0; i < ch->n; i++) {
		struct member *mb = ch->members[i];
		if (mb->cl->node || !mb->cl->registered || mb->cl->dying)
			continue;
		n += (size_t)snprintf(body + n, sizeof body - n, "M\t%s\t%s\t%s\t%u\t%s\n",
		                      mb->cl->nick, mb->cl->user, mb->cl->host,
		                      mb->flags, mb->cl->real);
		if (n >= H_CHUNK) {
			cc_publish(cc, chan, hdr, body, n);
			n = 0;
		}
	}
	if (n)
		cc_publish(cc, chan, hdr, body, n);
}

/* The members and topic another node has in a room (H). */
void cc_take_here(struct chat_cluster *cc, unsigned node, char **f,
                      size_t nf, char *body)
{
	struct chat_server *s = cc->s;

	if (nf < 3 || !chat_chan_valid(f[2]))
		return;
	struct channel *ch = chat_find_chan(s, f[2]);
	if (!ch || cc_local_members(ch) == 0)
		return;               /* not followed (any more) */
	for (char *line = body, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *mf[6];
		size_t n = cc_split_fields(line, mf, 6);
		uint64_t ver = n >= 5 ? strtoull(mf[3], NULL, 10) : 0;
		if (n >= 5 && mf[0][0] == 'T' && (ver > ch->topic_ver || (!ch->topic && !ver))) {
			free(ch->topic);
			ch->topic = strndup(mf[4], TOPICLEN);
			snprintf(ch->topic_by, sizeof ch->topic_by, "%s", mf[1]);
			ch->topic_at = (time_t)strtoll(mf[2], NULL, 10);
			ch->topic_ver = ver;
		} else if (n == 6 && mf[0][0] == 'M') {
			struct client *g = cc_ghost_get(cc, node, mf[1], mf[2], mf[3], mf[5], true);
			if (g && !chat_member(g, ch) && g->nchans < CHANLIMIT * 4)
				chat_join(ch, g, (unsigned)strtoul(mf[4], NULL, 10) &
				          (MEMB_OP | MEMB_VOICE));
		}
	}
}

size_t cc_local_members(const struct channel *ch)
{
	size_t n = 0;

	for (size_t i = 0; i < ch->n; i++)
		n += ch->members[i]->cl->node == 0;
	return n;
}

/* A local member makes the node follow the room. */
void chat_cluster_joined(struct channel *ch, struct client *cl)
{
	struct chat_cluster *cc = ch->srv->cluster;
	char chan[CHANLEN + 32];

	if (cl->node || cc_local_members(ch) != 1)
		return;
	cc_room_chan(ch, chan, sizeof chan);
	cc->bus->ops->subscribe(cc->bus, chan);
}

/* A local member leaves the broker's list; the last one leaving stops
 * the node following the room. */
void chat_cluster_parting(struct channel *ch, struct client *cl)
{
	struct chat_cluster *cc = ch->srv->cluster;
	char chan[CHANLEN + 32];

	if (cl->node)
		return;
	cc_part_in_broker(cc, ch, cl);
	if (cc_local_members(ch) != 1)
		return;
	cc_room_chan(ch, chan, sizeof chan);
	cc->bus->ops->unsubscribe(cc->bus, chan);
}

/* Subscribed: ask who is already there. */
void cc_on_subscribed(void *svc, const char *chan)
{
	struct chat_server *s = svc;
	const char *fold = chan + strlen(PREFIX "room:");
	char hdr[CHANLEN + 8];

	if (strncmp(chan, PREFIX "room:", strlen(PREFIX "room:")) != 0)
		return;
	struct channel *ch = chat_find_chan(s, fold);
	if (!ch)
		return;
	snprintf(hdr, sizeof hdr, "W\t%s", ch->name);
	cc_publish(s->cluster, chan, hdr, "", 0);
	cc_send_here(s->cluster, ch);
}
