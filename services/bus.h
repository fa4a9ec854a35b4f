/* bus.h — the cluster bus a service talks to other nodes through:
 * publish/subscribe on named channels, nick claims, node heartbeats, and
 * the state that must be global: rooms (members, topic, modes, masks,
 * invites) and users (node, user, host, realname, signon, away).
 *
 * Transport-free like service.h: the host implements the ops (Redis in
 * src/serve/bus_redis.c; an in-memory fake in tests/unit/fake_bus.h) and
 * calls the sink the service fills in.  Every op is asynchronous: it
 * returns at once and its answer, if any, comes back later through the
 * sink — never from inside the op itself — so a slow broker never
 * stalls the caller.  An op made while the link is down is dropped
 * (publish, the state writes) or answered as failed (claim, probe,
 * room_join, room_topic, room_list, user_get); the service re-publishes its state
 * when the link comes back (room_seed, resync, user_set). */
#ifndef SOCKIT_BUS_H
#define SOCKIT_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct svc_bus;

/* Claim results. */
enum { BUS_CLAIM_WON = 0, BUS_CLAIM_TAKEN = 1, BUS_CLAIM_FAILED = 2 };

/* room_join results: admitted, refused (why), or not answered. */
enum { BUS_JOIN_OK = 0, BUS_JOIN_FULL, BUS_JOIN_INVITE, BUS_JOIN_BANNED,
       BUS_JOIN_KEY, BUS_JOIN_FAILED };
/* The room mode bits the broker checks at a join (the service's own
 * bits are opaque to the bus otherwise). */
enum { BUS_MODE_INVITE = 8, BUS_MODE_KEY = 16, BUS_MODE_LIMIT = 32 };
/* A member's flags the broker sets: the creator of a room is its op. */
enum { BUS_MEMBER_OP = 1 };

/* One member of a room, as stored globally (a user of node). */
struct bus_member {
	const char *node, *nick, *user, *host, *real;
	unsigned flags;
};

/* One entry of a room's mask lists: kind 'b', 'e' or 'I'. */
struct bus_mask {
	char kind;
	const char *mask, *setter;
	long long at;
};

/* A room's global state, as a join answer gives it (pointers valid for
 * the sink call only) and as room_seed re-publishes it. */
struct bus_room {
	bool created;                /* this join made the room (first member) */
	unsigned flags;              /* the joiner's member flags */
	const char *name;
	long long created_at;
	unsigned modes, limit;
	const char *key;             /* "" when none */
	const char *topic, *topic_by;   /* topic NULL when none */
	long long topic_at;
	uint64_t topic_ver;          /* bumped by every room_topic */
	const struct bus_member *members;
	const char *const *ids;      /* room_seed: the members' ids */
	size_t nmembers;
	const struct bus_mask *masks;
	size_t nmasks;
};

/* One room of the network, as a room_list answer gives it (pointers
 * valid for the sink call only). */
struct bus_listed {
	const char *name;
	size_t members;              /* on every node */
	unsigned modes;              /* the service's own bits */
	const char *topic;           /* "" when none */
};
/* The most rooms one room_list answer carries. */
#define BUS_LIST_MAX 1000

/* A registered user, as stored globally under its folded nick. */
struct bus_user {
	const char *node, *nick, *user, *host, *real, *away;   /* away NULL: not */
	long long signon;
};

struct svc_bus_ops {
	/* One message to every node subscribed to chan (one broker op). */
	void (*publish)(struct svc_bus *b, const char *chan, const char *msg,
	                size_t len);
	/* Receive chan's messages / stop; sink.subscribed once it is live. */
	void (*subscribe)(struct svc_bus *b, const char *chan);
	void (*unsubscribe)(struct svc_bus *b, const char *chan);
	/* Take key for this node atomically unless a live node holds it;
	 * value is "NODE SIGNON_MS".  sink.claimed(token, result, holder). */
	void (*claim)(struct svc_bus *b, const char *key, const char *value,
	              uint64_t token);
	/* Give key up if this node still holds it. */
	void (*release)(struct svc_bus *b, const char *key);
	/* Refresh this node's liveness key (expires after ttl_ms); remove
	 * the members and users of every node whose key expired (idempotent:
	 * whichever node does it first). */
	void (*heartbeat)(struct svc_bus *b);
	/* Whether node's liveness key exists: sink.probed(token, alive);
	 * a failed probe reports alive (never declare a node lost on doubt). */
	void (*probe)(struct svc_bus *b, const char *node, uint64_t token);

	/* Rooms (room is the folded name).  A member is known by an id
	 * unique in the cluster; every op is atomic on the broker.
	 * room_join: admit member m (id) unless the room's bans (without an
	 * exception or invite), +i (without an invite), +k (key) or +l
	 * refuse mask ("nick!user@host"); a room with no member is created
	 * (m becomes its op) with modes; sink.room(token, result, state). */
	void (*room_join)(struct svc_bus *b, const char *room, const char *name,
	                  unsigned modes, const char *id, const struct bus_member *m,
	                  const char *mask, const char *key, uint64_t token);
	/* Remove member id; the last member's part deletes the room. */
	void (*room_part)(struct svc_bus *b, const char *room, const char *id);
	/* Replace member id's entry (flags or nick changed). */
	void (*room_member)(struct svc_bus *b, const char *room, const char *id,
	                    const struct bus_member *m);
	void (*room_modes)(struct svc_bus *b, const char *room, unsigned modes,
	                   const char *key, unsigned limit);
	/* Add (add) or remove one mask. */
	void (*room_mask)(struct svc_bus *b, const char *room, const struct bus_mask *mk,
	                  bool add);
	/* Let nick (folded) pass +i once. */
	void (*room_invite)(struct svc_bus *b, const char *room, const char *nick);
	/* Set the topic (NULL clears it): sink.topic(token, version), the
	 * version the broker gave this write (0: failed).  Of two writes,
	 * the higher version is the later one everywhere. */
	void (*room_topic)(struct svc_bus *b, const char *room, const char *topic,
	                   const char *setter, long long at, uint64_t token);
	/* The rooms named (folded; every room of the network when nrooms is
	 * 0), at most BUS_LIST_MAX, in one atomic read:
	 * sink.rooms(token, ok, rooms, n); ok false: not answered. */
	void (*room_list)(struct svc_bus *b, const char *const *rooms, size_t nrooms,
	                  uint64_t token);
	/* After a reconnect: create the room from st if the broker has none,
	 * and make st's members (with st->ids) this node's only members of it. */
	void (*room_seed)(struct svc_bus *b, const char *room, const struct bus_room *st);
	/* After a reconnect: forget this node's members of every room not in
	 * rooms, and its users not in nicks (both folded). */
	void (*resync)(struct svc_bus *b, const char *const *rooms, size_t nrooms,
	               const char *const *nicks, size_t nnicks);
	/* Users, by folded nick: set (this node's user), delete (only while
	 * this node's), read: sink.user(token, user or NULL). */
	void (*user_set)(struct svc_bus *b, const char *nick, const struct bus_user *u);
	void (*user_del)(struct svc_bus *b, const char *nick);
	void (*user_get)(struct svc_bus *b, const char *nick, uint64_t token);
};

/* What the service gives the host (filled in by the service's attach). */
struct svc_bus_sink {
	void *svc;
	void (*message)(void *svc, const char *chan, const char *msg, size_t len);
	void (*subscribed)(void *svc, const char *chan);
	void (*claimed)(void *svc, uint64_t token, int result, const char *holder);
	void (*probed)(void *svc, uint64_t token, bool alive);
	void (*room)(void *svc, uint64_t token, int result, const struct bus_room *st);
	void (*topic)(void *svc, uint64_t token, uint64_t version);
	void (*user)(void *svc, uint64_t token, const struct bus_user *u);
	void (*rooms)(void *svc, uint64_t token, bool ok, const struct bus_listed *v,
	              size_t n);
	/* The link came up (again: re-publish state) or went down. */
	void (*link)(void *svc, bool up, const char *why);
	/* Every ttl_ms / 3: heartbeat and probe time. */
	void (*tick)(void *svc);
};

struct svc_bus {
	const struct svc_bus_ops *ops;
	char node[64];               /* this node's name */
	uint64_t ttl_ms;             /* liveness key lifetime */
	bool up;                     /* the host's view of the link */
	struct svc_bus_sink sink;
};

#endif
