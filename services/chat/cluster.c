/* cluster.c — chat across nodes over a bus (services/bus.h): the users of
 * other nodes appear here as ghosts (clients with no connection), kept
 * in step by the lines other nodes publish to each room's channel.
 *
 * Routing scales with nodes, not members: a node subscribes to a room's
 * channel only while it has local members there; each channel line is
 * one publish, and each node that receives it fans it out to its own
 * members; a line to a user goes to the channel of the user's node only.
 * A node that starts to follow a room asks who is there (W) and every
 * other node answers with its members and the topic (H).  Nicks are won
 * through the bus's atomic claim; a node whose liveness key expired is
 * lost and its ghosts QUIT ("node lost").  See docs/chat-cluster.md.
 *
 * Wire format of one message: a header line of TAB-separated fields
 * (origin node, kind, ...) ended by '\n', then the body. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus.h"
#include "chat.h"

#define MAX_NODES 256
#define MAX_LOOKUPS 1024       /* private lines waiting for a nick's node */
#define PREFIX "sockit:"
#define H_CHUNK (32 * 1024)    /* members per "here" message, in bytes */
#define CONTAINER(p, type, field) ((type *)((char *)(p) - offsetof(type, field)))

struct cnode {
	char name[64];
	size_t ghosts;
	bool probing;
};

struct claim {
	uint64_t token;
	struct client *cl;         /* NULL once the client is gone */
	char nick[NICKLEN + 1];
	bool reclaim;              /* re-publishing after the link came back */
};

/* A private line to a nick this node does not know: its node is read
 * from the nick key first. */
struct lookup {
	uint64_t token;
	struct client *cl;         /* the sender; NULL once gone */
	bool notice;
	char target[NICKLEN + 1];
	char *line;
	size_t len;
};

struct chat_cluster {
	struct svc_bus *bus;
	struct chat_server *s;
	struct cnode nodes[MAX_NODES];
	size_t nnodes;
	struct claim *claims;
	size_t nclaims, capclaims;
	uint64_t next_token;
	struct lookup *lookups;
	size_t nlookups, caplookups;
	int grace;                 /* ticks without probes after (re)connect */
	bool receiving;            /* handling a bus message: deliver locally only */
	bool was_up;
};

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void room_chan(const struct channel *ch, char *out, size_t cap)
{
	snprintf(out, cap, PREFIX "room:%s", ch->fold);
}

static void node_chan(const char *node, char *out, size_t cap)
{
	snprintf(out, cap, PREFIX "node:%s", node);
}

static void nick_key(const char *nick, char *out, size_t cap)
{
	char fold[NICKLEN + 1];

	chat_fold(fold, nick, sizeof fold);
	snprintf(out, cap, PREFIX "nick:%s", fold);
}

/* Publish header + body to chan, when the link is up. */
static void publish(struct chat_cluster *cc, const char *chan, const char *hdr,
                    const char *body, size_t blen)
{
	static char msg[H_CHUNK + 2048];   /* one thread runs chat */
	int n = snprintf(msg, sizeof msg, "%s\t%s\n", cc->bus->node, hdr);

	if (!cc->bus->up || n < 0 || (size_t)n + blen > sizeof msg)
		return;
	memcpy(msg + n, body, blen);
	cc->bus->ops->publish(cc->bus, chan, msg, (size_t)n + blen);
}

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
	snprintf(hdr, sizeof hdr, "L\t%s\t%s\t%u\t%s", from ? from->user : "-",
	         from ? from->host : "-", m ? m->flags : 0, from ? from->real : "");
	room_chan(ch, chan, sizeof chan);
	publish(cc, chan, hdr, line, len);
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
	node_chan(cc->nodes[to->node - 1].name, chan, sizeof chan);
	snprintf(hdr, sizeof hdr, "U\t%s", to->nick);
	publish(cc, chan, hdr, line, len);
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
		room_chan(cl->chans[i]->ch, chan, sizeof chan);
		publish(cc, chan, "L\t-\t-\t0\t", line, len);
	}
}

static const struct chat_bus cluster_bus = {
	.to_channel = bus_to_channel,
	.to_client = bus_to_client,
	.to_peers = bus_to_peers,
};

/* --- ghosts ----------------------------------------------------------- */

static unsigned node_index(struct chat_cluster *cc, const char *name)
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
static struct client *ghost_get(struct chat_cluster *cc, unsigned node,
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
static void ghost_kill(struct client *g, const char *why)
{
	if (!g->quit[0])
		snprintf(g->quit, sizeof g->quit, "%s", why);
	chat_drop(g, why, true);
}

static void ghost_free(struct chat_server *s, struct client *g)
{
	while (g->nchans)
		chat_part(s, g->chans[g->nchans - 1]);
	chat_unset_nick(s, g);
	free(g->chans);
	free(g->away);
	free(g);
}

/* --- what arrives ----------------------------------------------------- */

/* Header fields, split in place on TABs. */
static size_t split_fields(char *hdr, char **f, size_t max)
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

/* The channel modes a remote MODE line changed (flags and o/v). */
static void apply_mode(struct chat_cluster *cc, struct channel *ch,
                       const struct irc_msg *m)
{
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
		ghost_kill(t, "left");
}

/* A channel line from node: mirror its effect, then deliver it. */
static void take_line(struct chat_cluster *cc, unsigned node, char **f,
                      size_t nf, char *line, size_t len)
{
	struct chat_server *s = cc->s;
	char copy[IRC_LINE_MAX + 1], nick[NICKLEN + 1];
	struct irc_msg m;

	if (nf < 6 || len == 0 || len > IRC_LINE_MAX)
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
	struct client *g = ghost_get(cc, node, nick, f[2], f[3], f[5], !quiet);
	if (!g)
		return;
	if (quiet) {
		if (m.command[0] == 'N' && m.nparams > 0 && chat_nick_valid(m.params[0]) &&
		    !chat_find_nick(s, m.params[0])) {
			chat_local_bus.to_peers(s, g, false, line, len);
			chat_set_nick(s, g, m.params[0]);
		} else if (m.command[0] == 'Q') {
			ghost_kill(g, m.nparams > 0 ? m.params[0] : "Quit");
		}
		return;
	}
	if (m.nparams < 1 || m.params[0][0] != '#')
		return;
	struct channel *ch = chat_find_chan(s, m.params[0]);
	if (!ch && join && chat_chan_valid(m.params[0]))
		ch = chat_chan_new(s, m.params[0]);
	if (!ch)
		return;
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
	if (strcmp(m.command, "TOPIC") == 0 && m.nparams > 1) {
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
static void send_here(struct chat_cluster *cc, struct channel *ch)
{
	char body[H_CHUNK + 512], chan[CHANLEN + 32], hdr[CHANLEN + 8];
	size_t n = 0;

	room_chan(ch, chan, sizeof chan);
	snprintf(hdr, sizeof hdr, "H\t%s", ch->name);
	if (ch->topic)
		n += (size_t)snprintf(body, sizeof body, "T\t%s\t%lld\t%.390s\n",
		                      ch->topic_by, (long long)ch->topic_at, ch->topic);
	for (size_t i = 0; i < ch->n; i++) {
		struct member *mb = ch->members[i];
		if (mb->cl->node || !mb->cl->registered || mb->cl->dying)
			continue;
		n += (size_t)snprintf(body + n, sizeof body - n, "M\t%s\t%s\t%s\t%u\t%s\n",
		                      mb->cl->nick, mb->cl->user, mb->cl->host,
		                      mb->flags, mb->cl->real);
		if (n >= H_CHUNK) {
			publish(cc, chan, hdr, body, n);
			n = 0;
		}
	}
	if (n)
		publish(cc, chan, hdr, body, n);
}

/* The members and topic another node has in a room (H). */
static void take_here(struct chat_cluster *cc, unsigned node, char **f,
                      size_t nf, char *body)
{
	struct chat_server *s = cc->s;

	if (nf < 3 || !chat_chan_valid(f[2]))
		return;
	struct channel *ch = chat_find_chan(s, f[2]);
	for (char *line = body, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *mf[6];
		size_t n = split_fields(line, mf, 6);
		if (n >= 4 && mf[0][0] == 'T' && ch && !ch->topic) {
			ch->topic = strdup(mf[3]);
			snprintf(ch->topic_by, sizeof ch->topic_by, "%s", mf[1]);
			ch->topic_at = (time_t)strtoll(mf[2], NULL, 10);
		} else if (n == 6 && mf[0][0] == 'M') {
			if (!ch && !(ch = chat_chan_new(s, f[2])))
				return;
			struct client *g = ghost_get(cc, node, mf[1], mf[2], mf[3], mf[5], true);
			if (g && !chat_member(g, ch) && g->nchans < CHANLIMIT * 4)
				chat_join(ch, g, (unsigned)strtoul(mf[4], NULL, 10) &
				          (MEMB_OP | MEMB_VOICE));
		}
	}
}

static void rename_loser(struct chat_cluster *cc, struct client *cl, bool held);

static void on_message(void *svc, const char *chan, const char *msg, size_t len)
{
	struct chat_server *s = svc;
	struct chat_cluster *cc = s->cluster;
	char buf[H_CHUNK + 1024], *f[8];

	(void)chan;
	if (len >= sizeof buf)
		return;
	memcpy(buf, msg, len);
	buf[len] = '\0';
	char *body = strchr(buf, '\n');
	if (!body)
		return;
	*body++ = '\0';
	size_t nf = split_fields(buf, f, 8);
	if (nf < 2 || strcmp(f[0], cc->bus->node) == 0)
		return;
	unsigned node = node_index(cc, f[0]);
	if (!node)
		return;
	chat_enter(s);
	cc->receiving = true;
	size_t blen = len - (size_t)(body - buf);
	if (strcmp(f[1], "L") == 0) {
		take_line(cc, node, f, nf, body, blen);
	} else if (strcmp(f[1], "U") == 0 && nf >= 3) {
		struct client *to = chat_find_nick(s, f[2]);
		if (to && !to->node && blen <= IRC_LINE_MAX)
			chat_send_line(to, body, blen);
	} else if (strcmp(f[1], "W") == 0 && nf >= 3) {
		struct channel *ch = chat_find_chan(s, f[2]);
		if (ch)
			send_here(cc, ch);
	} else if (strcmp(f[1], "H") == 0) {
		take_here(cc, node, f, nf, body);
	} else if (strcmp(f[1], "R") == 0 && nf >= 4) {
		struct client *cl = chat_find_nick(s, f[2]);
		if (cl && !cl->node && cl->registered &&
		    cl->reg_ms == strtoull(f[3], NULL, 10))
			rename_loser(cc, cl, true);
	}
	cc->receiving = false;
	chat_leave(s);
}

/* --- subscriptions ---------------------------------------------------- */

static size_t local_members(const struct channel *ch)
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

	if (cl->node || local_members(ch) != 1)
		return;
	room_chan(ch, chan, sizeof chan);
	cc->bus->ops->subscribe(cc->bus, chan);
}

/* The last local member leaving stops it. */
void chat_cluster_parting(struct channel *ch, struct client *cl)
{
	struct chat_cluster *cc = ch->srv->cluster;
	char chan[CHANLEN + 32];

	if (cl->node || local_members(ch) != 1)
		return;
	room_chan(ch, chan, sizeof chan);
	cc->bus->ops->unsubscribe(cc->bus, chan);
}

/* Subscribed: ask who is already there. */
static void on_subscribed(void *svc, const char *chan)
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
	publish(s->cluster, chan, hdr, "", 0);
	send_here(s->cluster, ch);
}

/* --- nicks ------------------------------------------------------------ */

static struct claim *claim_new(struct chat_cluster *cc, struct client *cl,
                               const char *nick)
{
	if (cc->nclaims == cc->capclaims) {
		size_t nc = cc->capclaims ? cc->capclaims * 2 : 16;
		struct claim *v = realloc(cc->claims, nc * sizeof *v);
		if (!v)
			return NULL;
		cc->claims = v;
		cc->capclaims = nc;
	}
	struct claim *c = &cc->claims[cc->nclaims++];
	*c = (struct claim){ .token = ++cc->next_token, .cl = cl };
	snprintf(c->nick, sizeof c->nick, "%s", nick);
	return c;
}

static void send_claim(struct chat_cluster *cc, struct client *cl,
                       const char *nick, bool reclaim)
{
	char key[NICKLEN + 32], val[128];
	struct claim *c = claim_new(cc, cl, nick);

	if (!c)
		return;
	c->reclaim = reclaim;
	if (!cl->reg_ms)
		cl->reg_ms = wall_ms();
	nick_key(nick, key, sizeof key);
	snprintf(val, sizeof val, "%s %llu", cc->bus->node, (unsigned long long)cl->reg_ms);
	cc->bus->ops->claim(cc->bus, key, val, c->token);
}

/* Ask the cluster for nick; true when the caller waits for the answer
 * (false: the link is down, the nick is taken locally only for now). */
bool chat_cluster_claim(struct client *cl, const char *nick)
{
	struct chat_cluster *cc = cl->srv->cluster;

	if (!cl->reg_ms)
		cl->reg_ms = wall_ms();     /* the time a split collision compares */
	if (!cc->bus->up)
		return false;
	for (size_t i = 0; i < cc->nclaims; i++)
		if (cc->claims[i].cl == cl)
			return true;          /* one claim at a time per client */
	send_claim(cc, cl, nick, false);
	/* Hold the client's input until the answer, so that what follows
	 * NICK (USER, JOIN) runs in order once the nick is won or refused. */
	if (cl->conn && !cl->paused) {
		cl->paused = true;
		svc_pause(cl->conn);
	}
	cl->claiming = true;
	return true;
}

static void release_nick(struct chat_cluster *cc, const char *nick)
{
	char key[NICKLEN + 32];

	nick_key(nick, key, sizeof key);
	cc->bus->ops->release(cc->bus, key);
}

/* The later of two registrations of one nick (made during a split) is
 * renamed, with 436 and a NICK line its client understands. */
static void rename_loser(struct chat_cluster *cc, struct client *cl, bool held)
{
	char nick[NICKLEN + 1], old[NICKLEN + 1];

	snprintf(old, sizeof old, "%s", cl->nick);
	snprintf(nick, sizeof nick, "%.20s-%04u", cl->nick,
	         (unsigned)(cl->reg_ms % 10000));
	chat_num(cl, 436, "%s :Nickname collision, renamed to %s", cl->nick, nick);
	cl->claimed = false;
	chat_apply_nick(cl, nick);
	if (held)
		release_nick(cc, old);
	send_claim(cc, cl, cl->nick, true);
}

/* A re-claim found the nick held by another node: the later registration
 * loses — this one, or the holder's (asked to rename by an R message;
 * this node's claim is retried each tick until the key is free). */
static void collide(struct chat_cluster *cc, struct client *cl, const char *holder)
{
	char node[64], chan[128], hdr[NICKLEN + 64];
	unsigned long long at = 0;

	/* Earlier wins; at the same millisecond, the lower node name. */
	if (!holder || sscanf(holder, "%63s %llu", node, &at) != 2 || at < cl->reg_ms ||
	    (at == cl->reg_ms && strcmp(node, cc->bus->node) < 0)) {
		rename_loser(cc, cl, false);
		return;
	}
	node_chan(node, chan, sizeof chan);
	snprintf(hdr, sizeof hdr, "R\t%s\t%llu", cl->nick, at);
	publish(cc, chan, hdr, "", 0);
}

static void on_claimed(void *svc, uint64_t token, int result, const char *holder)
{
	struct chat_server *s = svc;
	struct chat_cluster *cc = s->cluster;
	struct claim c = { 0 };
	size_t i;

	for (i = 0; i < cc->nclaims && cc->claims[i].token != token; i++)
		;
	if (i == cc->nclaims)
		return;
	c = cc->claims[i];
	cc->claims[i] = cc->claims[--cc->nclaims];
	struct client *cl = c.cl;
	if (!cl || cl->dying) {
		if (result == BUS_CLAIM_WON)
			release_nick(cc, c.nick);
		return;
	}
	chat_enter(s);
	if (c.reclaim) {
		if (result == BUS_CLAIM_TAKEN)
			collide(cc, cl, holder);
		else
			cl->claimed = result == BUS_CLAIM_WON;
	} else if (result == BUS_CLAIM_TAKEN) {
		if (!cl->registered) {
			chat_unset_nick(s, cl);
			cl->has_nick = false;
		}
		chat_num(cl, 433, "%s :Nickname is already in use", c.nick);
	} else if (cl->registered) {
		char old[NICKLEN + 1];
		snprintf(old, sizeof old, "%s", cl->nick);
		bool had = cl->claimed;
		cl->claimed = result == BUS_CLAIM_WON;
		chat_apply_nick(cl, c.nick);
		if (had && strcmp(cl->nick, old) != 0)
			release_nick(cc, old);
	} else if (strcmp(cl->nick, c.nick) != 0) {
		/* The nick changed while the claim was out: claim the new one. */
		if (result == BUS_CLAIM_WON)
			release_nick(cc, c.nick);
		if (cl->has_nick)
			send_claim(cc, cl, cl->nick, false);
	} else {
		/* Won (or the link failed: the nick is local until it returns). */
		cl->claimed = true;
		chat_try_register(cl);
		cl->claimed = result == BUS_CLAIM_WON;
	}
	if (cl->claiming && !c.reclaim) {
		cl->claiming = false;
		if (cl->conn && !cl->dying)
			chat_resume_input(cl);
	}
	chat_leave(s);
}

/* A local user leaves: its nick goes back to the cluster. */
void chat_cluster_leaving(struct client *cl)
{
	struct chat_cluster *cc = cl->srv->cluster;

	if (cl->node)
		cc->nodes[cl->node - 1].ghosts--;
	else if (cl->claimed && cl->has_nick)
		release_nick(cc, cl->nick);
	cl->claimed = false;
}

/* The client is freed: no claim answer may reach it. */
void chat_cluster_forget(struct client *cl)
{
	struct chat_cluster *cc = cl->srv->cluster;

	for (size_t i = 0; i < cc->nclaims; i++)
		if (cc->claims[i].cl == cl)
			cc->claims[i].cl = NULL;
	for (size_t i = 0; i < cc->nlookups; i++)
		if (cc->lookups[i].cl == cl)
			cc->lookups[i].cl = NULL;
}

/* PRIVMSG/NOTICE to a nick no local user shares a room with: read the
 * nick's holder, then send the line to that node only (on_got).  False
 * when that cannot be tried (the caller answers 401). */
bool chat_cluster_forward(struct client *cl, const char *cmd, const char *target,
                          const char *text, bool notice)
{
	struct chat_cluster *cc = cl->srv->cluster;
	char line[IRC_LINE_MAX + 1], key[NICKLEN + 32];

	if (!cc->bus->up || !chat_nick_valid(target) || cc->nlookups == MAX_LOOKUPS)
		return false;
	if (cc->nlookups == cc->caplookups) {
		size_t nc = cc->caplookups ? cc->caplookups * 2 : 16;
		struct lookup *v = realloc(cc->lookups, nc * sizeof *v);
		if (!v)
			return false;
		cc->lookups = v;
		cc->caplookups = nc;
	}
	int n = snprintf(line, sizeof line, ":%s!%s@%s %s %s :%s\r\n", cl->nick, cl->user,
	                 cl->host, cmd, target, text);
	size_t len = n < 0 ? 0 : (size_t)n >= sizeof line ? sizeof line - 1 : (size_t)n;
	struct lookup *l = &cc->lookups[cc->nlookups];
	*l = (struct lookup){ .token = ++cc->next_token, .cl = cl, .notice = notice,
	                      .line = malloc(len), .len = len };
	if (!l->line)
		return false;
	memcpy(l->line, line, len);
	snprintf(l->target, sizeof l->target, "%s", target);
	cc->nlookups++;
	nick_key(target, key, sizeof key);
	cc->bus->ops->get(cc->bus, key, l->token);
	return true;
}

static void on_got(void *svc, uint64_t token, const char *value)
{
	struct chat_server *s = svc;
	struct chat_cluster *cc = s->cluster;
	char node[64], chan[128], hdr[NICKLEN + 8];
	size_t i;

	for (i = 0; i < cc->nlookups && cc->lookups[i].token != token; i++)
		;
	if (i == cc->nlookups)
		return;
	struct lookup l = cc->lookups[i];
	cc->lookups[i] = cc->lookups[--cc->nlookups];
	chat_enter(s);
	if (value && sscanf(value, "%63s", node) == 1 && strcmp(node, cc->bus->node) != 0) {
		node_chan(node, chan, sizeof chan);
		snprintf(hdr, sizeof hdr, "U\t%s", l.target);
		publish(cc, chan, hdr, l.line, l.len);
	} else if (l.cl && !l.notice && !l.cl->dying) {
		chat_num(l.cl, 401, "%s :No such nick/channel", l.target);
	}
	free(l.line);
	chat_leave(s);
}

/* --- liveness and the link -------------------------------------------- */

static void each_client(struct chat_server *s, void (*fn)(struct chat_cluster *,
                        struct client *, void *), void *arg)
{
	for (size_t i = 0; i < s->nicks.nb; i++)
		for (struct hent *e = s->nicks.b[i], *next; e; e = next) {
			next = e->next;
			fn(s->cluster, CONTAINER(e, struct client, h), arg);
		}
}

static void kill_if_of(struct chat_cluster *cc, struct client *cl, void *arg)
{
	(void)cc;
	if (cl->node == *(unsigned *)arg && !cl->dying)
		ghost_kill(cl, "node lost");
}

static void on_probed(void *svc, uint64_t token, bool alive)
{
	struct chat_server *s = svc;
	struct chat_cluster *cc = s->cluster;
	unsigned node = (unsigned)token;

	if (node == 0 || node > cc->nnodes)
		return;
	cc->nodes[node - 1].probing = false;
	if (alive || cc->grace > 0)
		return;
	chat_enter(s);
	each_client(s, kill_if_of, &node);
	chat_leave(s);
}

static void reclaim(struct chat_cluster *cc, struct client *cl, void *arg);

static void on_tick(void *svc)
{
	struct chat_server *s = svc;
	struct chat_cluster *cc = s->cluster;

	if (!cc->bus->up)
		return;
	cc->bus->ops->heartbeat(cc->bus);
	if (cc->grace > 0) {
		cc->grace--;
		return;
	}
	each_client(s, reclaim, NULL);     /* nicks still unclaimed after a split */
	for (size_t i = 0; i < cc->nnodes; i++)
		if (cc->nodes[i].ghosts && !cc->nodes[i].probing) {
			cc->nodes[i].probing = true;
			cc->bus->ops->probe(cc->bus, cc->nodes[i].name, i + 1);
		}
}

static void notice_all(struct chat_cluster *cc, struct client *cl, void *arg)
{
	if (!cl->node && cl->registered && !cl->dying)
		chat_to(cl, ":%s NOTICE %s :*** %s", cc->s->name, cl->nick,
		        (const char *)arg);
}

static void reclaim(struct chat_cluster *cc, struct client *cl, void *arg)
{
	bool all = arg != NULL;

	if (cl->node || !cl->registered || cl->dying || (!all && cl->claimed))
		return;
	for (size_t i = 0; i < cc->nclaims; i++)
		if (cc->claims[i].cl == cl)
			return;                  /* one claim at a time */
	send_claim(cc, cl, cl->nick, true);
}

static void on_link(void *svc, bool up, const char *why)
{
	struct chat_server *s = svc;
	struct chat_cluster *cc = s->cluster;
	char text[256];

	chat_enter(s);
	if (up) {
		/* Liveness keys may be gone with a restarted Redis: give every
		 * node a few ticks to heartbeat before probing. */
		cc->grace = 3;
		cc->bus->ops->heartbeat(cc->bus);
		each_client(s, reclaim, "all");
		if (cc->was_up)
			each_client(s, notice_all, "cluster link restored");
		cc->was_up = true;
	} else if (cc->was_up) {
		snprintf(text, sizeof text, "cluster link lost (%s): users on other "
		         "nodes are unreachable until it returns", why ? why : "?");
		each_client(s, notice_all, text);
	}
	chat_leave(s);
}

/* LINKS: this node and every node it has seen. */
void chat_cluster_links(struct client *cl)
{
	struct chat_cluster *cc = cl->srv->cluster;

	chat_num(cl, 364, "%s %s :0 %s (this node)", cc->bus->node, cc->bus->node,
	         cl->srv->name);
	for (size_t i = 0; i < cc->nnodes; i++)
		chat_num(cl, 364, "%s %s :1 %zu users here", cc->nodes[i].name,
		         cc->bus->node, cc->nodes[i].ghosts);
}

size_t chat_cluster_nodes(const struct chat_server *s)
{
	size_t n = 1;

	for (size_t i = 0; s->cluster && i < s->cluster->nnodes; i++)
		n += s->cluster->nodes[i].ghosts > 0;
	return n;
}

/* The node a ghost's user is on ("?" for a local client). */
const char *chat_cluster_node_name(const struct chat_server *s, const struct client *cl)
{
	if (!s->cluster || !cl->node || cl->node > s->cluster->nnodes)
		return "?";
	return s->cluster->nodes[cl->node - 1].name;
}

/* Users of other nodes mirrored here (0 without a cluster). */
size_t chat_cluster_ghosts(const struct chat_server *s)
{
	size_t n = 0;

	for (size_t i = 0; s->cluster && i < s->cluster->nnodes; i++)
		n += s->cluster->nodes[i].ghosts;
	return n;
}

int chat_cluster_attach(struct chat_server *s, struct svc_bus *bus)
{
	struct chat_cluster *cc = calloc(1, sizeof *cc);

	if (!cc)
		return -1;
	cc->bus = bus;
	cc->s = s;
	s->cluster = cc;
	s->bus = &cluster_bus;
	bus->sink = (struct svc_bus_sink){
		.svc = s, .message = on_message, .subscribed = on_subscribed,
		.claimed = on_claimed, .probed = on_probed, .link = on_link, .got = on_got,
		.tick = on_tick,
	};
	char chan[128];
	node_chan(bus->node, chan, sizeof chan);
	bus->ops->subscribe(bus, chan);
	return 0;
}

static void free_ghost(struct chat_cluster *cc, struct client *cl, void *arg)
{
	(void)arg;
	if (cl->node)
		ghost_free(cc->s, cl);
}

void chat_cluster_free(struct chat_server *s)
{
	if (!s->cluster)
		return;
	each_client(s, free_ghost, NULL);
	for (size_t i = 0; i < s->cluster->nlookups; i++)
		free(s->cluster->lookups[i].line);
	free(s->cluster->lookups);
	free(s->cluster->claims);
	free(s->cluster);
	s->cluster = NULL;
	s->bus = &chat_local_bus;
}
