/* bus_redis_state.c — the cluster's global state in Redis: rooms (members,
 * topic, modes, masks, invites), users, and the heartbeat that removes a
 * lost node's entries; each op one command or one Lua script (atomic).
 *
 * Keys (docs/chat-cluster.md): sockit:chan:<room> hash (name created
 * modes key limit topic tby tat tver), sockit:members:<room> hash (id ->
 * "NODE\tFLAGS\tNICK\tUSER\tHOST\tREAL"), sockit:masks:<room> hash ("K MASK"
 * -> "SETTER\tAT"), sockit:invites:<room> set (folded nicks),
 * sockit:user:<nick> hash (node nick user host real signon away), and the
 * indexes that let a lost node be cleaned up: sockit:nodes set,
 * sockit:noderooms:<node> and sockit:nodeusers:<node> sets, and
 * sockit:rooms, every room's folded name (a sorted set, all scores 0, so
 * LIST reads it in name order and bounded: ZRANGE 0 BUS_LIST_MAX-1).  A
 * room exists while its members hash does; the scripts that create or
 * delete it add it to or remove it from sockit:rooms in the same step.  The scripts name keys outside KEYS, which
 * a single Redis allows (Redis Cluster would not: docs/chat-cluster.md). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "serve/bus_redis_int.h"

#define P "sockit:"
#define MAX_ARGS 65536         /* arguments of one seed/resync script */

/* Lua helpers every script below starts with: the RFC 1459 fold, the glob
 * of chat_mask_match (one backtrack point: O(len(p) * len(s)), so a hostile
 * mask cannot stall Redis), and the removal of one node's members of a
 * room (deleting the room with its last member). */
#define LUA_LIB \
	"local function fold(s) return (string.gsub(string.lower(s), '[%[%]\\\\~]', " \
	"{['[']='{', [']']='}', ['\\\\']='|', ['~']='^'})) end " \
	"local function glob(p, s) local pi, si, star, mark = 1, 1, 0, 0 " \
	"while si <= #s do local c = string.sub(p, pi, pi) " \
	"if pi <= #p and c == '*' then star = pi mark = si pi = pi + 1 " \
	"elseif pi <= #p and (c == '?' or c == string.sub(s, si, si)) then pi = pi + 1 si = si + 1 " \
	"elseif star > 0 then pi = star + 1 mark = mark + 1 si = mark " \
	"else return false end end " \
	"while string.sub(p, pi, pi) == '*' do pi = pi + 1 end return pi > #p end " \
	"local function purge(r, node) local pre = node .. '\\t' " \
	"local m = redis.call('HGETALL', '" P "members:' .. r) " \
	"for i = 1, #m, 2 do if string.sub(m[i + 1], 1, #pre) == pre then " \
	"redis.call('HDEL', '" P "members:' .. r, m[i]) end end " \
	"if redis.call('EXISTS', '" P "members:' .. r) == 0 then " \
	"redis.call('DEL', '" P "chan:' .. r, '" P "masks:' .. r, '" P "invites:' .. r) " \
	"redis.call('ZREM', '" P "rooms', r) end end " \
	"local function forget_user(u, node) " \
	"if redis.call('HGET', '" P "user:' .. u, 'node') == node then " \
	"redis.call('DEL', '" P "user:' .. u) end end "

/* KEYS chan members masks invites noderooms; ARGV id, "NICK\tUSER\tHOST\tREAL",
 * mask, key, name, now, node, room, modes, folded nick.  {result} when
 * refused, else {0, flags, chan hash, member values, mask hash}. */
static const char join_lua[] = LUA_LIB
	"local flags = 0 "
	"if redis.call('EXISTS', KEYS[2]) == 0 then "
	"redis.call('DEL', KEYS[1], KEYS[3], KEYS[4]) "
	"redis.call('HSET', KEYS[1], 'name', ARGV[5], 'created', ARGV[6], 'modes', ARGV[9], "
	"'key', '', 'limit', 0, 'tver', 0) flags = 1 "
	"else local c = redis.call('HMGET', KEYS[1], 'modes', 'key', 'limit') "
	"local modes = tonumber(c[1]) or 0 local who = fold(ARGV[3]) "
	"local ms = redis.call('HKEYS', KEYS[3]) "
	"local function has(k) for _, f in ipairs(ms) do "
	"if string.sub(f, 1, 1) == k and glob(fold(string.sub(f, 3)), who) then return true end "
	"end return false end "
	"local inv = redis.call('SISMEMBER', KEYS[4], ARGV[10]) == 1 or has('I') "
	"if bit.band(modes, 8) ~= 0 and not inv then return {2} end "
	"if has('b') and not has('e') and not inv then return {3} end "
	"if bit.band(modes, 16) ~= 0 and (c[2] or '') ~= ARGV[4] then return {4} end "
	"if bit.band(modes, 32) ~= 0 and redis.call('HLEN', KEYS[2]) >= (tonumber(c[3]) or 0) "
	"then return {1} end end "
	"redis.call('HSET', KEYS[2], ARGV[1], ARGV[7] .. '\\t' .. flags .. '\\t' .. ARGV[2]) "
	"redis.call('SREM', KEYS[4], ARGV[10]) redis.call('SADD', KEYS[5], ARGV[8]) "
	"redis.call('ZADD', '" P "rooms', 0, ARGV[8]) "
	"return {0, flags, redis.call('HGETALL', KEYS[1]), redis.call('HVALS', KEYS[2]), "
	"redis.call('HGETALL', KEYS[3])}";

/* KEYS chan members masks invites; ARGV id room. */
static const char part_lua[] =
	"redis.call('HDEL', KEYS[2], ARGV[1]) "
	"if redis.call('EXISTS', KEYS[2]) == 0 then redis.call('DEL', KEYS[1], KEYS[3], KEYS[4]) "
	"redis.call('ZREM', '" P "rooms', ARGV[2]) end "
	"return 0";

/* KEYS members; ARGV id value: only a member still there is changed. */
static const char member_lua[] =
	"if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then "
	"redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end return 0";

/* KEYS chan; ARGV set(0/1) topic setter at: the write's version. */
static const char topic_lua[] =
	"if ARGV[1] == '1' then redis.call('HSET', KEYS[1], 'topic', ARGV[2]) "
	"else redis.call('HDEL', KEYS[1], 'topic') end "
	"redis.call('HSET', KEYS[1], 'tby', ARGV[3], 'tat', ARGV[4]) "
	"return redis.call('HINCRBY', KEYS[1], 'tver', 1)";

/* KEYS chan members masks noderooms; ARGV node room name created modes key
 * limit hastopic topic tby tat tver nmasks, nmasks (field, value), then
 * (id, value) per member of this node. */
static const char seed_lua[] = LUA_LIB
	"local i = 14 + 2 * tonumber(ARGV[13]) "
	"if redis.call('EXISTS', KEYS[2]) == 0 then redis.call('DEL', KEYS[1], KEYS[3]) "
	"redis.call('HSET', KEYS[1], 'name', ARGV[3], 'created', ARGV[4], 'modes', ARGV[5], "
	"'key', ARGV[6], 'limit', ARGV[7], 'tby', ARGV[10], 'tat', ARGV[11], 'tver', ARGV[12]) "
	"if ARGV[8] == '1' then redis.call('HSET', KEYS[1], 'topic', ARGV[9]) end "
	"for j = 14, i - 1, 2 do redis.call('HSET', KEYS[3], ARGV[j], ARGV[j + 1]) end end "
	"local pre = ARGV[1] .. '\\t' local m = redis.call('HGETALL', KEYS[2]) "
	"for j = 1, #m, 2 do if string.sub(m[j + 1], 1, #pre) == pre then "
	"redis.call('HDEL', KEYS[2], m[j]) end end "
	"for j = i, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[j], ARGV[j + 1]) end "
	"redis.call('SADD', KEYS[4], ARGV[2]) redis.call('ZADD', '" P "rooms', 0, ARGV[2]) "
	"return 0";

/* ARGV cap, then the folded rooms to list (none: the first cap rooms of
 * sockit:rooms).  A flat {name, members, modes, topic} per room that has
 * members; a listed room without any (left behind by a script of an
 * older node) leaves sockit:rooms. */
static const char list_lua[] =
	"local cap, all = tonumber(ARGV[1]), #ARGV == 1 local names, out = {}, {} "
	"if all then names = redis.call('ZRANGE', '" P "rooms', 0, cap - 1) "
	"else for j = 2, math.min(#ARGV, cap + 1) do names[#names + 1] = ARGV[j] end end "
	"for _, r in ipairs(names) do local n = redis.call('HLEN', '" P "members:' .. r) "
	"if n == 0 then if all then redis.call('ZREM', '" P "rooms', r) end else "
	"local c = redis.call('HMGET', '" P "chan:' .. r, 'name', 'modes', 'topic') "
	"out[#out + 1] = c[1] or r out[#out + 1] = n out[#out + 1] = c[2] or '0' "
	"out[#out + 1] = c[3] or '' end end return out";

/* ARGV node nrooms rooms... nicks...: forget this node's other entries. */
static const char resync_lua[] = LUA_LIB
	"local me, n = ARGV[1], tonumber(ARGV[2]) local keep, ku = {}, {} "
	"for j = 3, 2 + n do keep[ARGV[j]] = true end "
	"for j = 3 + n, #ARGV do ku[ARGV[j]] = true end "
	"for _, r in ipairs(redis.call('SMEMBERS', '" P "noderooms:' .. me)) do "
	"if not keep[r] then purge(r, me) redis.call('SREM', '" P "noderooms:' .. me, r) end end "
	"for _, u in ipairs(redis.call('SMEMBERS', '" P "nodeusers:' .. me)) do "
	"if not ku[u] then forget_user(u, me) redis.call('SREM', '" P "nodeusers:' .. me, u) end end "
	"return 0";

/* ARGV node ttl: this node's liveness, and every expired node's rooms
 * and users removed (once: the node leaves sockit:nodes). */
static const char heartbeat_lua[] = LUA_LIB
	"local me = ARGV[1] "
	"redis.call('SET', '" P "alive:' .. me, '1', 'PX', ARGV[2]) "
	"redis.call('SADD', '" P "nodes', me) "
	"for _, n in ipairs(redis.call('SMEMBERS', '" P "nodes')) do "
	"if n ~= me and redis.call('EXISTS', '" P "alive:' .. n) == 0 then "
	"for _, r in ipairs(redis.call('SMEMBERS', '" P "noderooms:' .. n)) do purge(r, n) end "
	"for _, u in ipairs(redis.call('SMEMBERS', '" P "nodeusers:' .. n)) do forget_user(u, n) end "
	"redis.call('DEL', '" P "noderooms:' .. n, '" P "nodeusers:' .. n) "
	"redis.call('SREM', '" P "nodes', n) end end return 0";

/* KEYS user nodeusers; ARGV nick-fold node nick user host real signon away. */
static const char user_set_lua[] =
	"redis.call('DEL', KEYS[1]) "
	"redis.call('HSET', KEYS[1], 'node', ARGV[2], 'nick', ARGV[3], 'user', ARGV[4], "
	"'host', ARGV[5], 'real', ARGV[6], 'signon', ARGV[7]) "
	"if ARGV[8] ~= '' then redis.call('HSET', KEYS[1], 'away', ARGV[8]) end "
	"redis.call('SADD', KEYS[2], ARGV[1]) return 0";

/* KEYS user nodeusers; ARGV nick-fold node. */
static const char user_del_lua[] =
	"if redis.call('HGET', KEYS[1], 'node') == ARGV[2] then redis.call('DEL', KEYS[1]) end "
	"redis.call('SREM', KEYS[2], ARGV[1]) return 0";

static struct redis_bus *of(struct svc_bus *b)
{
	return (struct redis_bus *)b;
}

/* An argument vector built piece by piece (copies kept until sent). */
struct args {
	const char **v;
	size_t *len;
	char **own;
	int n, cap, nown;
	bool full;                 /* out of memory or past MAX_ARGS: not sent */
};

static bool grow(struct args *a)
{
	if (a->n < a->cap)
		return true;
	int nc = a->cap ? a->cap * 2 : 32;
	const char **v = nc <= MAX_ARGS ? realloc(a->v, (size_t)nc * sizeof *v) : NULL;
	if (v)
		a->v = v;
	size_t *len = v ? realloc(a->len, (size_t)nc * sizeof *len) : NULL;
	if (len)
		a->len = len;
	char **own = len ? realloc(a->own, (size_t)nc * sizeof *own) : NULL;
	if (own)
		a->own = own;
	if (!own)
		return false;
	a->cap = nc;
	return true;
}

static void arg(struct args *a, const char *s)
{
	if (a->full || !grow(a)) {
		a->full = true;
		return;
	}
	a->v[a->n] = s ? s : "";
	a->len[a->n] = strlen(a->v[a->n]);
	a->n++;
}

static void argf(struct args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void argf(struct args *a, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (!s || a->full || !grow(a)) {
		free(s);
		a->full = true;
		return;
	}
	a->own[a->nown++] = s;
	arg(a, s);
}

static void args_free(struct args *a)
{
	for (int i = 0; i < a->nown; i++)
		free(a->own[i]);
	free(a->v);
	free(a->len);
	free(a->own);
	*a = (struct args){ 0 };
}

/* Send a; false (nothing sent) when the link is down or a overflowed. */
static bool run(struct redis_bus *rb, struct args *a, int kind, uint64_t token)
{
	bool ok = !a->full && rbus_command(rb, kind, token, a->n, a->v, a->len);

	args_free(a);
	return ok;
}

static void member_value(struct args *a, const struct bus_member *m, bool flags)
{
	if (flags)
		argf(a, "%s\t%u\t%s\t%s\t%s\t%s", m->node, m->flags, m->nick, m->user,
		     m->host, m->real);
	else
		argf(a, "%s\t%s\t%s\t%s", m->nick, m->user, m->host, m->real);
}

static void script(struct args *a, const char *lua, int nkeys)
{
	arg(a, "EVAL");
	arg(a, lua);
	argf(a, "%d", nkeys);
}

void rbus_heartbeat(struct svc_bus *b)
{
	struct args aa = { 0 }, *a = &aa;

	script(a, heartbeat_lua, 0);
	arg(a, b->node);
	argf(a, "%llu", (unsigned long long)b->ttl_ms);
	run(of(b), a, P_PLAIN, 0);
}

/* RFC 1459 case folding (as the service folds nicks): the invite set
 * holds folded nicks. */
static void fold_nick(char *out, size_t cap, const char *nick)
{
	size_t i = 0;

	for (; nick[i] && i + 1 < cap; i++) {
		char c = nick[i];
		out[i] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c == '[' ? '{' : c == ']' ? '}' :
		         c == '\\' ? '|' : c == '~' ? '^' : c;
	}
	out[i] = '\0';
}

void rbus_room_join(struct svc_bus *b, const char *room, const char *name,
                    unsigned modes, const char *id, const struct bus_member *m,
                    const char *mask, const char *key, uint64_t token)
{
	struct args aa = { 0 }, *a = &aa;
	char fold[64];

	fold_nick(fold, sizeof fold, m->nick);
	script(a, join_lua, 5);
	argf(a, P "chan:%s", room);
	argf(a, P "members:%s", room);
	argf(a, P "masks:%s", room);
	argf(a, P "invites:%s", room);
	argf(a, P "noderooms:%s", b->node);
	arg(a, id);
	member_value(a, m, false);
	arg(a, mask);
	arg(a, key);
	arg(a, name);
	argf(a, "%lld", (long long)time(NULL));
	arg(a, b->node);
	arg(a, room);
	argf(a, "%u", modes);
	arg(a, fold);
	if (!run(of(b), a, P_ROOM, token))
		rbus_fail_later(of(b), P_ROOM, token);
}

/* A short script or command with its keys and arguments given in full. */
static void simple(struct svc_bus *b, int kind, uint64_t token, const char *lua,
                   int nkeys, const char *const *v, int n)
{
	struct args aa = { 0 }, *a = &aa;

	if (lua)
		script(a, lua, nkeys);
	for (int i = 0; i < n; i++)
		arg(a, v[i]);
	if (!run(of(b), a, kind, token) && kind != P_PLAIN)
		rbus_fail_later(of(b), kind, token);
}

#define KEY(buf, fmt, ...) (snprintf(buf, sizeof buf, fmt, __VA_ARGS__), buf)

void rbus_room_part(struct svc_bus *b, const char *room, const char *id)
{
	char k1[128], k2[128], k3[128], k4[128];
	const char *v[] = { KEY(k1, P "chan:%s", room), KEY(k2, P "members:%s", room),
	                    KEY(k3, P "masks:%s", room), KEY(k4, P "invites:%s", room), id,
	                    room };

	simple(b, P_PLAIN, 0, part_lua, 4, v, 6);
}

void rbus_room_member(struct svc_bus *b, const char *room, const char *id,
                      const struct bus_member *m)
{
	struct args aa = { 0 }, *a = &aa;

	script(a, member_lua, 1);
	argf(a, P "members:%s", room);
	arg(a, id);
	member_value(a, m, true);
	run(of(b), a, P_PLAIN, 0);
}

void rbus_room_modes(struct svc_bus *b, const char *room, unsigned modes,
                     const char *key, unsigned limit)
{
	char k[128], mv[16], lv[16];
	const char *v[] = { "HSET", KEY(k, P "chan:%s", room), "modes", KEY(mv, "%u", modes),
	                    "key", key ? key : "", "limit", KEY(lv, "%u", limit) };

	simple(b, P_PLAIN, 0, NULL, 0, v, 8);
}

void rbus_room_mask(struct svc_bus *b, const char *room,
                    const struct bus_mask *mk, bool add)
{
	char k[128], f[256], val[128];
	const char *v[] = { add ? "HSET" : "HDEL", KEY(k, P "masks:%s", room),
	                    KEY(f, "%c %s", mk->kind, mk->mask),
	                    KEY(val, "%s\t%lld", mk->setter ? mk->setter : "", mk->at) };

	simple(b, P_PLAIN, 0, NULL, 0, v, add ? 4 : 3);
}

void rbus_room_invite(struct svc_bus *b, const char *room, const char *nick)
{
	char k[128];
	const char *v[] = { "SADD", KEY(k, P "invites:%s", room), nick };

	simple(b, P_PLAIN, 0, NULL, 0, v, 3);
}

void rbus_room_topic(struct svc_bus *b, const char *room, const char *topic,
                     const char *setter, long long at, uint64_t token)
{
	char k[128], t[32];
	const char *v[] = { KEY(k, P "chan:%s", room), topic ? "1" : "0", topic ? topic : "",
	                    setter, KEY(t, "%lld", at) };

	simple(b, P_TOPIC, token, topic_lua, 1, v, 5);
}

void rbus_room_seed(struct svc_bus *b, const char *room, const struct bus_room *st)
{
	struct args aa = { 0 }, *a = &aa;

	script(a, seed_lua, 4);
	argf(a, P "chan:%s", room);
	argf(a, P "members:%s", room);
	argf(a, P "masks:%s", room);
	argf(a, P "noderooms:%s", b->node);
	arg(a, b->node);
	arg(a, room);
	arg(a, st->name);
	argf(a, "%lld", st->created_at);
	argf(a, "%u", st->modes);
	arg(a, st->key);
	argf(a, "%u", st->limit);
	arg(a, st->topic ? "1" : "0");
	arg(a, st->topic);
	arg(a, st->topic_by);
	argf(a, "%lld", st->topic_at);
	argf(a, "%llu", (unsigned long long)st->topic_ver);
	argf(a, "%zu", st->nmasks);
	for (size_t i = 0; i < st->nmasks; i++) {
		argf(a, "%c %s", st->masks[i].kind, st->masks[i].mask);
		argf(a, "%s\t%lld", st->masks[i].setter, st->masks[i].at);
	}
	for (size_t i = 0; i < st->nmembers; i++) {
		arg(a, st->ids[i]);
		member_value(a, &st->members[i], true);
	}
	run(of(b), a, P_PLAIN, 0);
}

void rbus_resync(struct svc_bus *b, const char *const *rooms, size_t nrooms,
                 const char *const *nicks, size_t nnicks)
{
	struct args aa = { 0 }, *a = &aa;

	script(a, resync_lua, 0);
	arg(a, b->node);
	argf(a, "%zu", nrooms);
	for (size_t i = 0; i < nrooms; i++)
		arg(a, rooms[i]);
	for (size_t i = 0; i < nnicks; i++)
		arg(a, nicks[i]);
	/* Too many to name in one script: nothing is sent (stale entries
	 * stay rather than live ones going). */
	run(of(b), a, P_PLAIN, 0);
}

void rbus_room_list(struct svc_bus *b, const char *const *rooms, size_t nrooms,
                    uint64_t token)
{
	struct args aa = { 0 }, *a = &aa;

	script(a, list_lua, 0);
	argf(a, "%d", BUS_LIST_MAX);
	for (size_t i = 0; i < nrooms && i < BUS_LIST_MAX; i++)
		arg(a, rooms[i]);
	if (!run(of(b), a, P_LIST, token))
		rbus_fail_later(of(b), P_LIST, token);
}

void rbus_user_set(struct svc_bus *b, const char *nick, const struct bus_user *u)
{
	char k1[128], k2[128], so[32];
	const char *v[] = { KEY(k1, P "user:%s", nick), KEY(k2, P "nodeusers:%s", b->node),
	                    nick, b->node, u->nick, u->user, u->host, u->real,
	                    KEY(so, "%lld", u->signon), u->away ? u->away : "" };

	simple(b, P_PLAIN, 0, user_set_lua, 2, v, 10);
}

void rbus_user_del(struct svc_bus *b, const char *nick)
{
	char k1[128], k2[128];
	const char *v[] = { KEY(k1, P "user:%s", nick), KEY(k2, P "nodeusers:%s", b->node),
	                    nick, b->node };

	simple(b, P_PLAIN, 0, user_del_lua, 2, v, 4);
}

void rbus_user_get(struct svc_bus *b, const char *nick, uint64_t token)
{
	char k[128];
	const char *v[] = { "HGETALL", KEY(k, P "user:%s", nick) };

	simple(b, P_USER, token, NULL, 0, v, 2);
}

/* --- replies ---------------------------------------------------------- */

static const char *str_of(const redisReply *r)
{
	return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) ? r->str : NULL;
}

/* The value of field in a flat HGETALL array, or NULL. */
static const char *hget(const redisReply *h, const char *field)
{
	if (!h || h->type != REDIS_REPLY_ARRAY)
		return NULL;
	for (size_t i = 0; i + 1 < h->elements; i += 2)
		if (str_of(h->element[i]) && strcmp(h->element[i]->str, field) == 0)
			return str_of(h->element[i + 1]);
	return NULL;
}

static long long hnum(const redisReply *h, const char *field)
{
	const char *v = hget(h, field);

	return v ? strtoll(v, NULL, 10) : 0;
}

/* Split "A\tB\t..." in place into at most max fields. */
static size_t fields(char *s, char **f, size_t max)
{
	size_t n = 0;

	while (s && n < max) {
		f[n++] = s;
		s = strchr(s, '\t');
		if (s)
			*s++ = '\0';
	}
	return n;
}

/* The members and masks of a join's answer (copies split in place). */
struct parsed {
	char **copies;
	size_t ncopies;
	struct bus_member *mv;
	struct bus_mask *kv;
};

static bool parse_lists(struct parsed *p, struct bus_room *st, const redisReply *m,
                        const redisReply *k)
{
	size_t nm = m->type == REDIS_REPLY_ARRAY ? m->elements : 0;
	size_t nk = k->type == REDIS_REPLY_ARRAY ? k->elements / 2 : 0;

	p->copies = calloc(nm + nk + 1, sizeof *p->copies);
	p->mv = calloc(nm + 1, sizeof *p->mv);
	p->kv = calloc(nk + 1, sizeof *p->kv);
	if (!p->copies || !p->mv || !p->kv)
		return false;
	for (size_t i = 0; i < nm; i++) {
		char *f[6], *c;
		if (!str_of(m->element[i]) || !(c = strdup(m->element[i]->str)))
			continue;
		p->copies[p->ncopies++] = c;
		if (fields(c, f, 6) == 6)
			p->mv[st->nmembers++] = (struct bus_member){ .node = f[0],
				.flags = (unsigned)strtoul(f[1], NULL, 10), .nick = f[2],
				.user = f[3], .host = f[4], .real = f[5] };
	}
	for (size_t i = 0; i < nk; i++) {
		const char *fld = str_of(k->element[2 * i]);
		char *f[2], *c;
		if (!fld || strlen(fld) < 3 || !str_of(k->element[2 * i + 1]) ||
		    !(c = strdup(k->element[2 * i + 1]->str)))
			continue;
		p->copies[p->ncopies++] = c;
		if (fields(c, f, 2) == 2)
			p->kv[st->nmasks++] = (struct bus_mask){ .kind = fld[0], .mask = fld + 2,
				.setter = f[0], .at = strtoll(f[1], NULL, 10) };
	}
	st->members = p->mv;
	st->masks = p->kv;
	return true;
}

/* A join's answer, parsed into a bus_room for the sink. */
static void room_reply(struct redis_bus *rb, uint64_t token, const redisReply *r)
{
	struct bus_room st = { 0 };
	struct parsed p = { 0 };
	int result = BUS_JOIN_FAILED;

	if (r && r->type == REDIS_REPLY_ARRAY && r->elements >= 1 &&
	    r->element[0]->type == REDIS_REPLY_INTEGER)
		result = (int)r->element[0]->integer;
	if (result < BUS_JOIN_OK || result > BUS_JOIN_FAILED)
		result = BUS_JOIN_FAILED;
	if (result == BUS_JOIN_OK) {
		const redisReply *c = r->elements == 5 ? r->element[2] : NULL;
		if (c && r->element[1]->type == REDIS_REPLY_INTEGER) {
			st.flags = (unsigned)r->element[1]->integer;
			st.created = st.flags & BUS_MEMBER_OP;
			st.name = hget(c, "name");
			st.created_at = hnum(c, "created");
			st.modes = (unsigned)hnum(c, "modes");
			st.limit = (unsigned)hnum(c, "limit");
			st.key = hget(c, "key") ? hget(c, "key") : "";
			st.topic = hget(c, "topic");
			st.topic_by = hget(c, "tby") ? hget(c, "tby") : "";
			st.topic_at = hnum(c, "tat");
			st.topic_ver = (uint64_t)hnum(c, "tver");
		}
		if (!st.name || !parse_lists(&p, &st, r->element[3], r->element[4]))
			result = BUS_JOIN_FAILED;
	}
	if (rb->b.sink.room)
		rb->b.sink.room(rb->b.sink.svc, token, result, result == BUS_JOIN_OK ? &st : NULL);
	for (size_t i = 0; i < p.ncopies; i++)
		free(p.copies[i]);
	free(p.copies);
	free(p.mv);
	free(p.kv);
}

/* A room_list answer: 4 elements a room (name, members, modes, topic);
 * anything else is a failed answer. */
static void list_reply(struct redis_bus *rb, uint64_t token, const redisReply *r)
{
	bool ok = r && r->type == REDIS_REPLY_ARRAY && r->elements % 4 == 0 &&
	          r->elements / 4 <= BUS_LIST_MAX;
	size_t n = ok ? r->elements / 4 : 0, k = 0;
	struct bus_listed *v = calloc(n + 1, sizeof *v);

	ok = ok && v;
	for (size_t i = 0; ok && i < n; i++) {
		redisReply *const *e = r->element + 4 * i;
		if (!str_of(e[0]) || e[1]->type != REDIS_REPLY_INTEGER || e[1]->integer < 0 ||
		    !str_of(e[2]) || !str_of(e[3]))
			continue;
		v[k++] = (struct bus_listed){ .name = e[0]->str, .members = (size_t)e[1]->integer,
			.modes = (unsigned)strtoul(e[2]->str, NULL, 10), .topic = e[3]->str };
	}
	if (rb->b.sink.rooms)
		rb->b.sink.rooms(rb->b.sink.svc, token, ok, v, k);
	free(v);
}

void rbus_state_reply(struct redis_bus *rb, int kind, uint64_t token,
                      const redisReply *reply)
{
	if (kind == P_LIST) {
		list_reply(rb, token, reply);
	} else if (kind == P_ROOM) {
		room_reply(rb, token, reply);
	} else if (kind == P_TOPIC && rb->b.sink.topic) {
		uint64_t ver = reply && reply->type == REDIS_REPLY_INTEGER && reply->integer > 0
		               ? (uint64_t)reply->integer : 0;
		rb->b.sink.topic(rb->b.sink.svc, token, ver);
	} else if (kind == P_USER && rb->b.sink.user) {
		struct bus_user u = {
			.node = hget(reply, "node"), .nick = hget(reply, "nick"),
			.user = hget(reply, "user"), .host = hget(reply, "host"),
			.real = hget(reply, "real"), .away = hget(reply, "away"),
			.signon = hnum(reply, "signon"),
		};
		bool ok = u.node && u.nick && u.user && u.host && u.real;
		rb->b.sink.user(rb->b.sink.svc, token, ok ? &u : NULL);
	}
}
