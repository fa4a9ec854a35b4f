/* cluster.c — this chat node in a cluster of nodes over a bus
 * (services/bus.h): attach and free, the dispatch of what arrives, the
 * heartbeat ticks and the probes that find lost nodes ("node lost"), the
 * link going down and coming back, LINKS and LUSERS.  The other concerns
 * have modules of their own (cluster.h lists them). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus.h"
#include "chat/cluster.h"

void cc_room_chan(const struct channel *ch, char *out, size_t cap)
{
	snprintf(out, cap, PREFIX "room:%s", ch->fold);
}

void cc_node_chan(const char *node, char *out, size_t cap)
{
	snprintf(out, cap, PREFIX "node:%s", node);
}

void cc_nick_key(const char *nick, char *out, size_t cap)
{
	char fold[NICKLEN + 1];

	chat_fold(fold, nick, sizeof fold);
	snprintf(out, cap, PREFIX "nick:%s", fold);
}

/* Publish header + body to chan, when the link is up. */
void cc_publish(struct chat_cluster *cc, const char *chan, const char *hdr,
                    const char *body, size_t blen)
{
	static char msg[H_CHUNK + 2048];   /* one thread runs chat */
	int n = snprintf(msg, sizeof msg, "%s\t%s\n", cc->bus->node, hdr);

	if (!cc->bus->up || n < 0 || (size_t)n + blen > sizeof msg)
		return;
	memcpy(msg + n, body, blen);
	cc->bus->ops->publish(cc->bus, chan, msg, (size_t)n + blen);
}

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
	size_t nf = cc_split_fields(buf, f, 8);
	if (nf < 2 || strcmp(f[0], cc->bus->node) == 0)
		return;
	unsigned node = cc_node_index(cc, f[0]);
	if (!node)
		return;
	chat_enter(s);
	cc->receiving = true;
	size_t blen = len - (size_t)(body - buf);
	if (strcmp(f[1], "L") == 0) {
		cc_take_line(cc, node, f, nf, body, blen);
	} else if (strcmp(f[1], "U") == 0 && nf >= 3) {
		struct client *to = chat_find_nick(s, f[2]);
		if (to && !to->node && blen <= IRC_LINE_MAX)
			chat_send_line(to, body, blen);
	} else if (strcmp(f[1], "W") == 0 && nf >= 3) {
		struct channel *ch = chat_find_chan(s, f[2]);
		if (ch)
			cc_send_here(cc, ch);
	} else if (strcmp(f[1], "H") == 0) {
		cc_take_here(cc, node, f, nf, body);
	} else if (strcmp(f[1], "R") == 0 && nf >= 4) {
		struct client *cl = chat_find_nick(s, f[2]);
		if (cl && !cl->node && cl->registered &&
		    cl->reg_ms == strtoull(f[3], NULL, 10))
			cc_rename_loser(cc, cl, true);
	}
	cc->receiving = false;
	chat_leave(s);
}

/* Grow *v (of elements of size bytes) to hold one more than n. */
bool cc_grow(void *v, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return true;
	size_t nc = *cap ? *cap * 2 : 16;
	void *p = realloc(*(void **)v, nc * size);
	if (!p)
		return false;
	*(void **)v = p;
	*cap = nc;
	return true;
}

/* Hold cl's input until the broker's answer (cc_unhold), so that what
 * follows a JOIN runs after it. */
void cc_hold(struct client *cl)
{
	cl->waits++;
	if (cl->conn && !cl->paused) {
		cl->paused = true;
		svc_pause(cl->conn);
	}
}

void cc_unhold(struct client *cl)
{
	if (cl->waits && --cl->waits == 0 && !cl->claiming && cl->conn && !cl->dying)
		chat_resume_input(cl);
}

void cc_each_client(struct chat_server *s, void (*fn)(struct chat_cluster *,
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
		cc_ghost_kill(cl, "node lost");
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
	cc_each_client(s, kill_if_of, &node);
	chat_leave(s);
}

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
	cc_each_client(s, cc_reclaim, NULL);     /* nicks still unclaimed after a split */
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
		cc_each_client(s, cc_reclaim, "all");
		cc_republish(cc);
		if (cc->was_up)
			cc_each_client(s, notice_all, "cluster link restored");
		cc->was_up = true;
	} else if (cc->was_up) {
		snprintf(text, sizeof text, "cluster link lost (%s): users on other "
		         "nodes are unreachable until it returns", why ? why : "?");
		cc_each_client(s, notice_all, text);
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
	s->bus = &cc_bus;
	bus->sink = (struct svc_bus_sink){
		.svc = s, .message = on_message, .subscribed = cc_on_subscribed,
		.claimed = cc_on_claimed, .probed = on_probed, .link = on_link,
		.tick = on_tick, .room = cc_on_room, .topic = cc_on_topic, .user = cc_on_user,
		.rooms = cc_on_rooms,
	};
	char chan[128];
	cc_node_chan(bus->node, chan, sizeof chan);
	bus->ops->subscribe(bus, chan);
	return 0;
}

static void free_ghost(struct chat_cluster *cc, struct client *cl, void *arg)
{
	(void)arg;
	if (cl->node)
		cc_ghost_free(cc->s, cl);
}

/* The client is freed: no broker answer may reach it. */
void chat_cluster_forget(struct client *cl)
{
	struct chat_cluster *cc = cl->srv->cluster;

	for (size_t i = 0; i < cc->nclaims; i++)
		if (cc->claims[i].cl == cl)
			cc->claims[i].cl = NULL;
	cc_lookups_forget(cc, cl);
	cc_rooms_forget(cc, cl);
	cc_lists_forget(cc, cl);
}

void chat_cluster_free(struct chat_server *s)
{
	if (!s->cluster)
		return;
	cc_each_client(s, free_ghost, NULL);
	cc_lookups_free(s->cluster);
	cc_rooms_free(s->cluster);
	cc_lists_free(s->cluster);
	free(s->cluster->claims);
	free(s->cluster);
	s->cluster = NULL;
	s->bus = &chat_local_bus;
}
