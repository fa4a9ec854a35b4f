/* cluster.h — what the cluster's modules share (services/chat/cluster*.c):
 * the node table, pending claims and look-ups, the wire helpers.  The
 * modules: cluster.c (the node: attach, message dispatch, ticks, probes,
 * the link), cluster_mirror.c (ghosts and the lines that keep them in
 * step), cluster_nick.c (nick claims and split collisions), cluster_room.c
 * (room state in the broker), cluster_list.c (LIST of the network's
 * rooms), cluster_user.c (users in the broker, and the
 * queries about users this node has no ghost of).  See docs/chat-cluster.md.
 *
 * Wire format of one message: a header line of TAB-separated fields
 * (origin node, kind, ...) ended by '\n', then the body. */
#ifndef SOCKIT_CHAT_CLUSTER_H
#define SOCKIT_CHAT_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bus.h"
#include "chat.h"

#define MAX_NODES 256
#define MAX_LOOKUPS 1024       /* questions about users out at the broker */
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
	bool reclaim;                 /* re-publishing after the link came back */
};

/* A question about a user this node has no ghost of, asked of the
 * broker's user hash (cluster_user.c): the answer finishes the command. */
enum { LK_MSG, LK_NOTICE, LK_WHOIS, LK_ISON, LK_INVITE };

struct ison;

struct lookup {
	uint64_t token;
	struct client *cl;         /* who asked; NULL once gone */
	int kind;
	char target[NICKLEN + 1];
	char chan[CHANLEN + 1];    /* LK_INVITE */
	char *line;                /* LK_MSG, LK_NOTICE: the line to deliver */
	size_t len;
	struct ison *ison;         /* LK_ISON: the reply being gathered */
};

/* A JOIN out at the broker (cluster_room.c). */
struct pjoin {
	uint64_t token;
	struct client *cl;         /* NULL once gone */
	char name[CHANLEN + 1], fold[CHANLEN + 1], key[KEYLEN + 1];
	char id[96];
	bool has_key;
};

/* A TOPIC out at the broker, shown once versioned. */
struct ptopic {
	uint64_t token;
	struct client *cl;         /* NULL once gone */
	char fold[CHANLEN + 1];
	char *topic;               /* NULL: cleared */
};

/* A LIST out at the broker (cluster_list.c). */
struct plist {
	uint64_t token;
	struct client *cl;         /* NULL once gone */
	char *filter;              /* LIST #a,#b: the names asked; NULL: all */
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
	struct pjoin *joins;
	size_t njoins, capjoins;
	struct ptopic *topics;
	size_t ntopics, captopics;
	struct plist *lists;
	size_t nlists, caplists;
	uint64_t next_uid;
	uint64_t line_ver;         /* the topic version the next L line carries */
	int grace;                 /* ticks without probes after (re)connect */
	bool receiving;            /* handling a bus message: deliver locally only */
	bool was_up;
};

/* cluster.c */
void cc_room_chan(const struct channel *ch, char *out, size_t cap);
void cc_node_chan(const char *node, char *out, size_t cap);
void cc_nick_key(const char *nick, char *out, size_t cap);
void cc_publish(struct chat_cluster *cc, const char *chan, const char *hdr,
                const char *body, size_t blen);
void cc_each_client(struct chat_server *s, void (*fn)(struct chat_cluster *,
                    struct client *, void *), void *arg);
bool cc_grow(void *v, size_t *cap, size_t n, size_t size);
void cc_hold(struct client *cl);
void cc_unhold(struct client *cl);

/* cluster_mirror.c */
extern const struct chat_bus cc_bus;
unsigned cc_node_index(struct chat_cluster *cc, const char *name);
struct client *cc_ghost_get(struct chat_cluster *cc, unsigned node,
                            const char *nick, const char *user,
                            const char *host, const char *real, bool create);
void cc_ghost_kill(struct client *g, const char *why);
void cc_ghost_free(struct chat_server *s, struct client *g);
size_t cc_split_fields(char *hdr, char **f, size_t max);
void cc_take_line(struct chat_cluster *cc, unsigned node, char **f, size_t nf,
                  char *line, size_t len);
void cc_send_here(struct chat_cluster *cc, struct channel *ch);
void cc_take_here(struct chat_cluster *cc, unsigned node, char **f, size_t nf,
                  char *body);
size_t cc_local_members(const struct channel *ch);
void cc_on_subscribed(void *svc, const char *chan);

/* cluster_nick.c */
void cc_rename_loser(struct chat_cluster *cc, struct client *cl, bool held);
void cc_on_claimed(void *svc, uint64_t token, int result, const char *holder);
void cc_reclaim(struct chat_cluster *cc, struct client *cl, void *arg);

/* cluster_room.c */
void cc_member_id(struct chat_cluster *cc, struct client *cl, char *out, size_t cap);
void cc_on_room(void *svc, uint64_t token, int result, const struct bus_room *st);
void cc_on_topic(void *svc, uint64_t token, uint64_t version);
void cc_republish(struct chat_cluster *cc);
void cc_rooms_forget(struct chat_cluster *cc, struct client *cl);
void cc_part_in_broker(struct chat_cluster *cc, struct channel *ch, struct client *cl);
void cc_rooms_renamed(struct chat_cluster *cc, struct client *cl);
void cc_rooms_free(struct chat_cluster *cc);

/* cluster_list.c */
void cc_on_rooms(void *svc, uint64_t token, bool ok, const struct bus_listed *v, size_t n);
void cc_lists_forget(struct chat_cluster *cc, struct client *cl);
void cc_lists_free(struct chat_cluster *cc);

/* cluster_user.c */
void cc_user_set(struct chat_cluster *cc, struct client *cl);
void cc_on_user(void *svc, uint64_t token, const struct bus_user *u);
void cc_lookups_forget(struct chat_cluster *cc, struct client *cl);
void cc_lookups_free(struct chat_cluster *cc);

#endif
