/* chat.h — what the chat service's modules share: the server instance,
 * clients, channels, memberships, and the functions between them.
 *
 * The split follows ngircd: parse.c (pure line parser), state.c (nicks,
 * channels, case mapping, masks), fanout.c (one formatted line queued to
 * many connections; SendQ; the delivery seam a cluster bus plugs into),
 * reply.c (numerics), cmd_*.c (commands by family), linemode.c (nc users),
 * chat.c (the service callbacks, dispatch, flood control, timers). */
#ifndef SOCKIT_CHAT_H
#define SOCKIT_CHAT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "parse.h"
#include "service.h"

#define NICKLEN 30
#define USERLEN 10
#define HOSTLEN 63
#define REALLEN 100
#define CHANLEN 50
#define TOPICLEN 390
#define AWAYLEN 200
#define KICKLEN 255
#define KEYLEN 23
#define CHANLIMIT 20           /* channels per client */
#define MAXLIST 100            /* entries per ban/except/invex list */
#define MAXTARGETS 4           /* PRIVMSG/NOTICE targets per command */
#define MAXMODES 6             /* modes with a parameter per MODE */
#define WHOWAS_KEEP 128
#define CHAT_VERSION "sockit-0.1"

/* Defaults of the chat options. */
#define CHAT_SENDQ_DEFAULT (1024 * 1024)
#define CHAT_PING_DEFAULT_MS (120 * 1000)
/* Flood control (ngircd's model): every command costs PENALTY_MS of a
 * budget that refills in real time; a client more than FLOOD_BURST_MS
 * ahead is not read until it falls back (about 3 commands/s sustained,
 * a burst of 33). */
#define PENALTY_MS 300
#define FLOOD_BURST_MS 10000
/* Input kept for a client paused by flood control: at most one read. */
#define PENDING_MAX (256 * 1024)

enum { UMODE_I = 1, UMODE_O = 2, UMODE_W = 4 };
enum { CMODE_N = 1, CMODE_T = 2, CMODE_M = 4, CMODE_I = 8, CMODE_K = 16,
       CMODE_L = 32, CMODE_S = 64, CMODE_P = 128 };
enum { MEMB_OP = 1, MEMB_VOICE = 2 };

/* An intrusive hash table entry, keyed by a case-folded name. */
struct hent {
	struct hent *next;
	const char *key;
};

struct htable {
	struct hent **b;
	size_t nb, n;
};

struct channel;
struct client;

/* One client in one channel: found from both sides in O(1). */
struct member {
	struct channel *ch;
	struct client *cl;
	size_t idx;                /* in ch->members */
	unsigned flags;            /* MEMB_OP, MEMB_VOICE */
};

struct mask {
	char *mask;
	char setter[NICKLEN + 1];
	time_t at;
};

struct masklist {
	struct mask *v;
	size_t n;
};

struct channel {
	struct hent h;
	struct chat_server *srv;
	char name[CHANLEN + 1];
	char fold[CHANLEN + 1];
	struct member **members;
	size_t n, cap;
	char *topic;
	char topic_by[NICKLEN + 1];
	time_t topic_at, created;
	unsigned modes;
	char key[KEYLEN + 1];
	unsigned limit;
	struct masklist bans, excepts, invex;
	char **invites;            /* folded nicks invited (cleared on join) */
	size_t ninvites;
	uint64_t topic_ver;        /* cluster: the broker's version of the topic */
};

struct chat_server;

struct client {
	struct svc_conn *conn;     /* NULL once the host closed it */
	struct chat_server *srv;
	struct hent h;             /* in srv->nicks, when it has a nick */
	char nick[NICKLEN + 1];
	char fold[NICKLEN + 1];
	char user[USERLEN + 1];
	char host[HOSTLEN + 1];
	char real[REALLEN + 1];
	char *away;
	unsigned modes;
	bool has_nick, has_user, cap_wait, pass_ok, registered;
	bool line_mode, line_asked, decided;
	bool dying;                /* QUIT/ERROR sent; no more input */
	bool hard;                 /* dying: close without draining the queue */
	bool listed, left;         /* on srv->leaving; gone from nicks/channels */
	bool dirty;                /* on srv->dirty: obuf has bytes to send */
	bool pinged;               /* a PING is out, waiting for any input */
	bool paused;               /* by flood control */
	bool flood_logged;
	struct member **chans;
	size_t nchans;
	char current[CHANLEN + 1]; /* line mode: where typed lines go */
	uint64_t last_in_ms, flood_ms, opened_ms;
	time_t signon;
	uint64_t mark;             /* fan-out: last epoch this client got a line */
	char *pending;             /* input held back by flood control */
	size_t npending;
	char quit[KICKLEN + 1];    /* why it leaves, for the QUIT others see */
	struct client *next_leaving, *next_dirty;
	char *obuf;                /* lines queued this wakeup, sent at its end */
	size_t olen, ocap;
	struct irc_splitter sp;
	/* cluster*.c: a ghost mirrors a user of another node (no conn). */
	unsigned node;             /* 1 + index in the cluster's node table; 0 local */
	bool claimed;              /* this node holds the nick in the cluster */
	bool claiming;             /* a claim is out: input held back */
	unsigned waits;            /* broker answers (JOIN, TOPIC) out: input held */
	uint64_t reg_ms;           /* wall-clock registration, for collisions */
	uint64_t uid;              /* this node's id of a local user (0: none yet) */
};

/* An operator from --oper-file: NAME:HASH, HASH from crypt(3). */
struct oper {
	char *name, *hash;
};

struct whowas {
	char nick[NICKLEN + 1], user[USERLEN + 1], host[HOSTLEN + 1];
	char real[REALLEN + 1];
	time_t at;
};

/* The seam between chat state and delivery.  Everything a command sends
 * to other clients goes through these three calls; a cluster bus (issue
 * 13) wraps them to publish what leaves this node and feeds what arrives
 * from other nodes back into the local half.  See docs/chat.md. */
struct chat_bus {
	void (*to_channel)(struct chat_server *s, struct channel *ch,
	                   struct client *except, const char *line, size_t len);
	void (*to_client)(struct chat_server *s, struct client *to,
	                  const char *line, size_t len);
	void (*to_peers)(struct chat_server *s, struct client *cl, bool self,
	                 const char *line, size_t len);
};

struct chat_server {
	char name[HOSTLEN + 1];
	char *password;
	char **motd;               /* lines, without endings */
	size_t nmotd;
	size_t sendq;
	bool flood_limit;
	uint64_t ping_ms;
	struct oper *opers;
	size_t nopers;
	struct htable nicks, chans;
	size_t nclients, nusers, ninvisible, nopered;
	size_t max_users;
	time_t created;
	uint64_t epoch;
	int busy;                  /* depth of chat code on the stack */
	struct client *leaving;    /* dying or closed: cleaned up when not busy */
	struct client *dirty, *dirty_tail;   /* with bytes in obuf, oldest first */
	bool batched;              /* the host calls wakeup_end: send there */
	const struct chat_bus *bus;
	struct chat_cluster *cluster;   /* NULL: a single node */
	struct whowas whowas[WHOWAS_KEEP];
	size_t whowas_next;
};

/* state.c */
void chat_fold(char *out, const char *in, size_t cap);
bool chat_nick_valid(const char *nick);
bool chat_chan_valid(const char *name);
struct client *chat_find_nick(struct chat_server *s, const char *nick);
struct channel *chat_find_chan(struct chat_server *s, const char *name);
int chat_set_nick(struct chat_server *s, struct client *cl, const char *nick);
void chat_unset_nick(struct chat_server *s, struct client *cl);
struct channel *chat_chan_new(struct chat_server *s, const char *name);
void chat_chan_free(struct chat_server *s, struct channel *ch);
struct member *chat_join(struct channel *ch, struct client *cl, unsigned flags);
void chat_part(struct chat_server *s, struct member *m);
struct member *chat_member(const struct client *cl, const struct channel *ch);
bool chat_mask_match(const char *mask, const char *str);
bool chat_client_matches(const struct client *cl, const struct masklist *l);
void chat_prefix(const struct client *cl, char *out, size_t cap);
int htable_init(struct htable *t);
void htable_free(struct htable *t);
void chat_whowas_add(struct chat_server *s, const struct client *cl);
void chat_state_free(struct chat_server *s);

/* fanout.c */
extern const struct chat_bus chat_local_bus;
size_t chat_vfmt(char *buf, size_t cap, const char *fmt, va_list ap);
void chat_send_line(struct client *to, const char *line, size_t len);
void chat_send_raw(struct client *to, const char *d, size_t n);
void chat_to(struct client *to, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void chat_to_channel(struct channel *ch, struct client *except,
                     const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void chat_to_peers(struct client *cl, bool self, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void chat_drop(struct client *cl, const char *why, bool hard);
void chat_gone(struct client *cl);
void chat_enter(struct chat_server *s);
void chat_leave(struct chat_server *s);
bool chat_wakeup_end(void *instance);
void chat_flush_all(struct chat_server *s);

/* reply.c */
void chat_num(struct client *cl, int num, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
const char *chat_target(const struct client *cl);
void chat_welcome(struct client *cl);
void chat_motd(struct client *cl);
void chat_lusers(struct client *cl);

/* One command: its handler and what it needs. */
struct chat_cmd {
	const char *name;
	void (*fn)(struct client *cl, struct irc_msg *m);
	int min_params;
	bool pre_reg;              /* allowed before registration */
};

/* The command families; each file exports its table. */
extern const struct chat_cmd chat_cmds_reg[], chat_cmds_chan[],
	chat_cmds_msg[], chat_cmds_query[], chat_cmds_mode[], chat_cmds_oper[];
const struct chat_cmd *chat_find_cmd(const char *name);
void chat_dispatch(struct client *cl, struct irc_msg *m);
void chat_try_register(struct client *cl);
void chat_do_join(struct client *cl, const char *name, const char *key);
void chat_join_local(struct client *cl, const char *name, const char *key);
void chat_join_admitted(struct client *cl, struct channel *ch, unsigned flags);
void chat_join_refused(struct client *cl, const char *name, int numeric);
bool chat_mask_edit(struct channel *ch, char kind, const char *mask,
                    const char *setter, time_t at, bool on);
void chat_do_part(struct client *cl, struct channel *ch, const char *why);
void chat_do_privmsg(struct client *cl, const char *cmd, const char *target,
                     const char *text);
void chat_do_nick(struct client *cl, const char *nick);
void chat_send_names(struct client *cl, struct channel *ch);
void chat_do_list(struct client *cl, const char *filter);
void chat_do_topic(struct client *cl, struct channel *ch, const char *topic);
int chat_load_opers(struct chat_server *s, const char *file, char *err,
                    size_t errlen);
void chat_user_mode_line(const struct client *cl, char *out, size_t cap);

/* linemode.c */
void chat_line_input(struct client *cl, char *line, size_t len);
void chat_line_render(struct client *to, const char *line, size_t len);
void chat_line_start(struct client *cl);

/* cluster*.c (services/chat/cluster.h, docs/chat-cluster.md) */
struct svc_bus;
int chat_cluster_attach(struct chat_server *s, struct svc_bus *bus);
void chat_cluster_free(struct chat_server *s);
bool chat_cluster_claim(struct client *cl, const char *nick);
void chat_cluster_joined(struct channel *ch, struct client *cl);
void chat_cluster_parting(struct channel *ch, struct client *cl);
void chat_cluster_leaving(struct client *cl);
void chat_cluster_forget(struct client *cl);
void chat_cluster_links(struct client *cl);
bool chat_cluster_forward(struct client *cl, const char *cmd, const char *target,
                          const char *text, bool notice);
bool chat_cluster_whois(struct client *cl, const char *nick);
bool chat_cluster_list(struct client *cl, const char *filter);
bool chat_cluster_ison(struct client *cl, const char *found, char **nicks, size_t n);
bool chat_cluster_invite_remote(struct client *cl, const char *nick, struct channel *ch);
void chat_cluster_invite(struct channel *ch, const struct client *who);
bool chat_cluster_join(struct client *cl, const char *name, const char *key);
void chat_cluster_parted(struct channel *ch);
bool chat_cluster_topic(struct client *cl, struct channel *ch, const char *topic);
void chat_cluster_modes(struct channel *ch);
void chat_cluster_mask(struct channel *ch, char kind, const struct mask *mk, bool on);
void chat_cluster_member(struct channel *ch, struct client *cl);
void chat_cluster_registered(struct client *cl);
void chat_cluster_renamed(struct client *cl, const char *old);
void chat_cluster_away(struct client *cl);
size_t chat_cluster_nodes(const struct chat_server *s);
size_t chat_cluster_ghosts(const struct chat_server *s);
const char *chat_cluster_node_name(const struct chat_server *s, const struct client *cl);

/* cmd_reg.c */
void chat_apply_nick(struct client *cl, const char *nick);

/* chat.c */
uint64_t chat_now_ms(void);
void chat_resume_input(struct client *cl);

#endif
