/* redis_reply.c — the element budget of redis_reply.h, through hiredis's
 * reply-object hooks: the reader's own functions build the reply, ours
 * check each array header first (and, on the command connection, that a
 * reply is awaited at all).  Returning NULL from a create function makes
 * hiredis 0.14 stop with an error (it says "Out of memory") and free the
 * partial reply; the owner then drops the connection as on any Redis
 * error, and redis_reply_refused() tells the real reason. */
#include <stdio.h>

#include "serve/redis_reply.h"

/* A reply's first object, when no reply is awaited (an error may
 * come unasked: hiredis reports it and disconnects). */
static bool unasked(struct redis_reply_cap *cap, const redisReadTask *task)
{
	if (task->parent || task->type == REDIS_REPLY_ERROR || !cap->expected ||
	    cap->expected(cap->ctx))
		return false;
	cap->refused = true;
	cap->unasked = true;
	return true;
}

static void *create_array(const redisReadTask *task, int elements)
{
	struct redis_reply_cap *cap = task->privdata;

	if (unasked(cap, task))
		return NULL;
	if (!task->parent)
		cap->used = 0;       /* a new reply */
	if (elements < 0 || (size_t)elements > REDIS_REPLY_MAX_ELEMENTS - cap->used) {
		cap->refused = true;
		cap->refused_len = elements;
		return NULL;
	}
	cap->used += (size_t)elements;
	return cap->dflt.createArray(task, elements);
}

static void *create_string(const redisReadTask *task, char *str, size_t len)
{
	struct redis_reply_cap *cap = task->privdata;

	return unasked(cap, task) ? NULL : cap->dflt.createString(task, str, len);
}

static void *create_integer(const redisReadTask *task, long long v)
{
	struct redis_reply_cap *cap = task->privdata;

	return unasked(cap, task) ? NULL : cap->dflt.createInteger(task, v);
}

static void *create_nil(const redisReadTask *task)
{
	struct redis_reply_cap *cap = task->privdata;

	return unasked(cap, task) ? NULL : cap->dflt.createNil(task);
}

void redis_reply_cap(redisReader *rd, struct redis_reply_cap *cap,
                     bool (*expected)(void *ctx), void *ctx)
{
	cap->dflt = *rd->fn;
	cap->fn = *rd->fn;
	cap->fn.createArray = create_array;
	cap->fn.createString = create_string;
	cap->fn.createInteger = create_integer;
	cap->fn.createNil = create_nil;
	cap->expected = expected;
	cap->ctx = ctx;
	cap->used = 0;
	cap->refused = false;
	cap->unasked = false;
	rd->fn = &cap->fn;
	rd->privdata = cap;
}

const char *redis_reply_refused(const struct redis_reply_cap *cap, char *buf,
                                size_t len)
{
	if (!cap->refused)
		return NULL;
	if (cap->unasked)
		snprintf(buf, len, "reply refused: a reply to no command");
	else if (cap->refused_len < 0)
		snprintf(buf, len, "reply refused: an array of length %d", cap->refused_len);
	else
		snprintf(buf, len, "reply refused: an array of %d elements (one reply holds at most %d)",
		         cap->refused_len, REDIS_REPLY_MAX_ELEMENTS);
	return buf;
}
