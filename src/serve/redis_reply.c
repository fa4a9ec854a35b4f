/* redis_reply.c — the element budget of redis_reply.h, through hiredis's
 * reply-object hooks: the reader's own functions build the reply, ours
 * checks each array header first.  Returning NULL from createArray makes
 * hiredis 0.14 stop with an error (it says "Out of memory") and free the
 * partial reply; the owner then drops the connection as on any Redis
 * error, and redis_reply_refused() tells the real reason. */
#include <stdio.h>

#include "serve/redis_reply.h"

static void *create_array(const redisReadTask *task, int elements)
{
	struct redis_reply_cap *cap = task->privdata;

	if (!task->parent)
		cap->used = 0;       /* a new reply */
	if (elements < 0 || (size_t)elements > REDIS_REPLY_MAX_ELEMENTS - cap->used) {
		cap->refused = true;
		cap->refused_len = elements;
		return NULL;
	}
	cap->used += (size_t)elements;
	return cap->create_array(task, elements);
}

void redis_reply_cap(redisReader *rd, struct redis_reply_cap *cap)
{
	cap->fn = *rd->fn;
	cap->create_array = rd->fn->createArray;
	cap->fn.createArray = create_array;
	cap->used = 0;
	cap->refused = false;
	rd->fn = &cap->fn;
	rd->privdata = cap;
}

const char *redis_reply_refused(const struct redis_reply_cap *cap, char *buf,
                                size_t len)
{
	if (!cap->refused)
		return NULL;
	if (cap->refused_len < 0)
		snprintf(buf, len, "reply refused: an array of length %d", cap->refused_len);
	else
		snprintf(buf, len, "reply refused: an array of %d elements (one reply holds at most %d)",
		         cap->refused_len, REDIS_REPLY_MAX_ELEMENTS);
	return buf;
}
