/* hiredis_loop.h — drive a hiredis async context from sockit's loop, in
 * the pattern of hiredis's own adapters/ae.h: add/del read/write and
 * cleanup, nothing else (no second loop, no thread). */
#ifndef SOCKIT_HIREDIS_LOOP_H
#define SOCKIT_HIREDIS_LOOP_H

#include <hiredis/async.h>

#include "sockit/loop.h"

/* Attach ac to loop; REDIS_OK or REDIS_ERR (already attached, no memory). */
int sk_redis_attach(struct sk_loop *loop, redisAsyncContext *ac);

#endif
