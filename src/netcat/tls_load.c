/* tls_load.c — load libssl (OpenSSL) at the first TLS use and fill the
 * table of the functions tls.c calls (tls_api.h).  Mapping and relocating
 * libssl and libcrypto is about 1.5 ms of every start; most commands
 * (sockets, scan, ping, ...) never need them. */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "netcat/tls_api.h"
#include "sockit/error.h"

/* The soname the headers we were built with belong to (libssl.so.3). */
#define NC_LIBSSL "libssl.so." OPENSSL_MSTR(OPENSSL_VERSION_MAJOR)

struct nc_tls_api nc_tls_api;

int nc_tls_load(char *err, size_t errlen)
{
	static bool loaded;
	void *h;

	if (loaded)
		return 0;
	/* Never closed: the contexts and sessions live until exit. */
	if (!(h = dlopen(NC_LIBSSL, RTLD_NOW | RTLD_LOCAL))) {
		sk_seterr(err, errlen, "TLS: cannot load %s: %s", NC_LIBSSL, dlerror());
		return -1;
	}
	/* dlsym on libssl's handle also finds its libcrypto's symbols. */
#define NC_TLS_RESOLVE(name)                                                        \
	if (!(*(void **)&nc_tls_api.name = dlsym(h, #name))) {                       \
		sk_seterr(err, errlen, "TLS: %s has no %s", NC_LIBSSL, #name);       \
		return -1;                                                           \
	}
	NC_TLS_FUNCTIONS(NC_TLS_RESOLVE)
#undef NC_TLS_RESOLVE
	loaded = true;
	return 0;
}
