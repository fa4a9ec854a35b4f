/* redis_reply.h — a bound on what one Redis reply may make hiredis
 * allocate (redis_reply.c).  hiredis 0.14 callocs an array of whatever
 * length a `*N` header says, before any element arrives, and has no
 * setting to limit it: a hostile or corrupt reply of 14 bytes asks for
 * 16 GiB, and the elements that then fill it cost ~18 times their bytes. */
#ifndef SOCKIT_REDIS_REPLY_H
#define SOCKIT_REDIS_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include <hiredis/read.h>

/* Array elements one reply may hold, all its arrays (nested ones
 * too) together; hiredis itself stops nesting at 7 levels. */
#define REDIS_REPLY_MAX_ELEMENTS (1 << 20)

/* One reader's budget; it must live as long as the reader. */
struct redis_reply_cap {
	redisReplyObjectFunctions fn;    /* the reader's, the create* ours */
	redisReplyObjectFunctions dflt;  /* hiredis's */
	/* Whether a reply is awaited now (NULL: always, pushes): hiredis
	 * 0.14's async API asserts (aborts) on a reply that no command
	 * waits for, so the command connection refuses one first. */
	bool (*expected)(void *ctx);
	void *ctx;
	size_t used;                     /* elements in the reply being read */
	bool refused;                    /* a reply was: the reader failed */
	int refused_len;                 /* the array's length, or -1: */
	bool unasked;                    /* ... a reply to no command */
};

/* Make rd refuse (a reader error, the connection's end) any reply over
 * the budget, or an array of negative length, and with expected set,
 * any reply but an error when expected(ctx) says none is awaited.  rd's
 * privdata is cap's. */
void redis_reply_cap(redisReader *rd, struct redis_reply_cap *cap,
                     bool (*expected)(void *ctx), void *ctx);

/* Why rd failed when the cap refused a reply ("reply refused: ..."), in
 * buf; NULL when the error was another. */
const char *redis_reply_refused(const struct redis_reply_cap *cap, char *buf,
                                size_t len);

#endif
