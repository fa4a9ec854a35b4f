/* serve/limits.c — the server's default limits, on their own so that the
 * plan and config parser (and their fuzz target) link without the server. */
#include "serve/server.h"

const struct serve_limits serve_default_limits = {
    .max_conn = 0,
    .per_ip = 0,
    .idle_ms = 0,
    .threads = 1,
    .max_queue = 0,
};
