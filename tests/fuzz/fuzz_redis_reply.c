/* fuzz_redis_reply.c — libFuzzer target for what the chat cluster's
 * subscriber reads from Redis (src/serve/redis_sub.c): hiredis's reader
 * under sockit's element budget (src/serve/redis_reply.c), then the
 * connection's handling of AUTH's reply, the probe's and the pushes.  The
 * first byte says whether AUTH's reply comes first (bit 0) and the size
 * of the pieces the rest is fed in (1 to 128 bytes, as recv may cut it).
 * Whatever Redis sends: nothing is read or written out of bounds, nothing
 * leaks, cb.failed comes at most once and nothing after it, a message is
 * a NUL-ended string of its length, and the bytes live at once during an
 * input stay below LIVE_MAX (without the budget, `*2147483647\r\n` asks
 * for 16 GiB, `*3000000\r\n` for 24 MB).
 *
 * fuzz-sources: src/serve/redis_sub.c src/serve/redis_reply.c lib/[a-z]*.c */
#include <sanitizer/allocator_interface.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "serve/redis_sub.h"

/* The budget's 2^20 elements are 8 MB of pointers; the elements
 * themselves need input bytes (at most 64 KiB of them). */
#define LIVE_MAX (16 * 1024 * 1024)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool armed;
static long long live, peak;

static void on_malloc(const volatile void *p, size_t n)
{
	(void)p;
	if (armed && (live += (long long)n) > peak)
		peak = live;
}

static void on_free(const volatile void *p)
{
	if (armed && p)
		live -= (long long)__sanitizer_get_allocated_size((const void *)p);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	__sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
	return 0;
}

struct seen {
	int failed, after, ready;
};

static void on_ready(void *data, bool sharded)
{
	struct seen *s = data;

	(void)sharded;
	s->after += s->failed;
	if (s->ready++)
		abort();             /* the probe's reply is taken once */
}

static void on_message(void *data, const char *chan, const char *msg, size_t len)
{
	struct seen *s = data;

	s->after += s->failed;
	if (!chan || !msg || msg[len] != '\0' || strlen(chan) > 1 << 20)
		abort();
}

static void on_subscribed(void *data, const char *chan)
{
	struct seen *s = data;

	s->after += s->failed;
	if (!chan)
		abort();
}

static void on_failed(void *data, const char *why)
{
	struct seen *s = data;

	if (!why || !why[0])
		abort();
	s->failed++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 65536)
		return 0;
	struct seen seen = {0};
	struct redis_sub_cb cb = {.data = &seen, .ready = on_ready, .message = on_message,
	                          .subscribed = on_subscribed, .failed = on_failed};
	size_t piece = 1 + (data[0] >> 1);

	live = peak = 0;
	armed = true;
	struct redis_sub *s = redis_sub_new(&cb, data[0] & 1);
	if (!s)
		abort();
	for (size_t i = 1; i < size; i += piece) {
		size_t n = size - i < piece ? size - i : piece;
		redis_sub_input(s, (const char *)data + i, n);
	}
	redis_sub_free(s);
	armed = false;
	if (seen.failed > 1 || seen.after > 0 || peak > LIVE_MAX)
		abort();
	return 0;
}
