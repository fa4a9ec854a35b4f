/* tls.c — TLS for connect, listen and relay (OpenSSL): SNI and
 * verification against the system store by default, --ca, --insecure,
 * client certificates, a throw-away self-signed server certificate,
 * close_notify on half-close, errors that name the reason. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#define NC_TLS_CALLS /* OpenSSL through the table tls_load.c fills */
#include "netcat/netcat.h"
#include "netcat/tls_api.h"
#include "sockit/error.h"
#include "sockit/loop.h"
#include "sockit/net.h"

struct nc_tls {
	SSL *ssl;
	int fd;
	bool client;
	bool async;          /* on the relay's loop: never wait */
	char err[SK_ERRLEN];
};

static SSL_CTX *client_ctx, *server_ctx;

/* The first OpenSSL error's reason, or what; clears the queue. */
static void ssl_reason(char *buf, size_t len, const char *what)
{
	unsigned long e = ERR_get_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	snprintf(buf, len, "%s", r ? r : what);
	ERR_clear_error();
}

static int ctx_common(SSL_CTX *ctx)
{
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	                      SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* Read whole batches of records per syscall, not header then body. */
	SSL_CTX_set_read_ahead(ctx, 1);
	SSL_CTX_set_default_read_buffer_len(ctx, 64 << 10);
	/* A peer that closes without close_notify (many do) is a plain EOF. */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	return 0;
}

static int load_pair(SSL_CTX *ctx, const struct nc_opts *o, char *err, size_t errlen)
{
	char why[128];

	if (SSL_CTX_use_certificate_chain_file(ctx, o->cert) != 1) {
		ssl_reason(why, sizeof why, "unreadable");
		return sk_seterr(err, errlen, "--cert %s: %s", o->cert, why), -1;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, o->key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		ssl_reason(why, sizeof why, "does not match the certificate");
		return sk_seterr(err, errlen, "--key %s: %s", o->key, why), -1;
	}
	return 0;
}

static int setup_client(const struct nc_opts *o, char *err, size_t errlen)
{
	char why[128];

	client_ctx = SSL_CTX_new(TLS_client_method());
	if (!client_ctx)
		return sk_seterr(err, errlen, "TLS: cannot create a context"), -1;
	ctx_common(client_ctx);
	if (o->ca ? SSL_CTX_load_verify_locations(client_ctx, o->ca, NULL) != 1
	          : SSL_CTX_set_default_verify_paths(client_ctx) != 1) {
		ssl_reason(why, sizeof why, "unreadable");
		return sk_seterr(err, errlen, "--ca %s: %s", o->ca ? o->ca : "(system)", why), -1;
	}
	SSL_CTX_set_verify(client_ctx, o->insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
	if (o->cert && load_pair(client_ctx, o, err, errlen) < 0)
		return -1;
	return 0;
}

/* "AB:CD:..." SHA-256 of the certificate. */
static void fingerprint(X509 *x, char *out, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	X509_digest(x, EVP_sha256(), md, &n);
	out[0] = '\0';
	for (unsigned i = 0; i < n && 3 * i + 3 < len; i++)
		snprintf(out + 3 * i, len - 3 * i, "%02X%s", md[i], i + 1 < n ? ":" : "");
}

static int add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;

	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	if (!ext)
		return -1;
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return 0;
}

/* A P-256 key and a 30-day self-signed certificate for localhost. */
static int self_signed(SSL_CTX *ctx, const struct nc_opts *o)
{
	EVP_PKEY *pk = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	char fp[EVP_MAX_MD_SIZE * 3 + 1];
	int rc = -1;

	if (!pk || !x)
		goto out;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), (long)(sk_now_ns() & 0x7fffffff));
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 30L * 24 * 3600);
	X509_set_pubkey(x, pk);
	X509_NAME *name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"sockit",
	                           -1, -1, 0);
	X509_set_issuer_name(x, name);
	add_ext(x, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1");
	if (!X509_sign(x, pk, EVP_sha256()) || SSL_CTX_use_certificate(ctx, x) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, pk) != 1)
		goto out;
	fingerprint(x, fp, sizeof fp);
	fprintf(stderr, "sockit %s: TLS self-signed certificate, SHA-256 fingerprint %s\n",
	        o->cmd, fp);
	rc = 0;
out:
	X509_free(x);
	EVP_PKEY_free(pk);
	return rc;
}

static int setup_server(const struct nc_opts *o, char *err, size_t errlen)
{
	server_ctx = SSL_CTX_new(TLS_server_method());
	if (!server_ctx)
		return sk_seterr(err, errlen, "TLS: cannot create a context"), -1;
	ctx_common(server_ctx);
	if (o->cert && load_pair(server_ctx, o, err, errlen) < 0)
		return -1;
	if (!o->cert && self_signed(server_ctx, o) < 0)
		return sk_seterr(err, errlen, "TLS: cannot make a certificate"), -1;
	/* --ca on a server: require client certificates signed by it. */
	if (o->ca) {
		if (SSL_CTX_load_verify_locations(server_ctx, o->ca, NULL) != 1)
			return sk_seterr(err, errlen, "--ca %s: unreadable", o->ca), -1;
		SSL_CTX_set_verify(server_ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
		                   NULL);
	}
	return 0;
}

int nc_tls_setup(const struct nc_opts *o, bool server, bool client,
                 char *err, size_t errlen)
{
	if ((client || server) && nc_tls_load(err, errlen) < 0)
		return -1;
	if (client && !client_ctx && setup_client(o, err, errlen) < 0)
		return -1;
	if (server && !server_ctx && setup_server(o, err, errlen) < 0)
		return -1;
	return 0;
}

void nc_tls_cleanup(void)
{
	if (!client_ctx && !server_ctx)
		return; /* nothing made (libssl perhaps never loaded) */
	SSL_CTX_free(client_ctx);
	SSL_CTX_free(server_ctx);
	client_ctx = server_ctx = NULL;
}

void nc_tls_free(struct nc_tls *t)
{
	if (!t)
		return;
	SSL_free(t->ssl);
	free(t);
}

static bool is_ip(const char *host)
{
	unsigned char b[16];

	return inet_pton(AF_INET, host, b) == 1 || inet_pton(AF_INET6, host, b) == 1;
}

static struct nc_tls *tls_new(const struct nc_opts *o, int fd, bool client,
                              const char *host, char *err, size_t errlen)
{
	SSL_CTX *ctx = client ? client_ctx : server_ctx;
	struct nc_tls *t = calloc(1, sizeof *t);

	if (!t || !ctx || !(t->ssl = SSL_new(ctx))) {
		free(t);
		sk_seterr(err, errlen, "TLS: not set up");
		return NULL;
	}
	t->fd = fd;
	t->client = client;
	SSL_set_fd(t->ssl, fd);
	if (client) {
		if (host && *host && !is_ip(host))
			SSL_set_tlsext_host_name(t->ssl, host);
		if (!o->insecure && host && *host) {
			if (is_ip(host))
				X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), host);
			else
				SSL_set1_host(t->ssl, host);
		}
		SSL_set_connect_state(t->ssl);
	} else {
		SSL_set_accept_state(t->ssl);
	}
	return t;
}

/* Explain a failed handshake or transfer into t->err. */
static void explain(struct nc_tls *t)
{
	long v = SSL_get_verify_result(t->ssl);
	char why[160];

	if (t->client && v != X509_V_OK) {
		snprintf(t->err, sizeof t->err, "TLS: certificate verify failed: %s",
		         X509_verify_cert_error_string(v));
		ERR_clear_error();
		return;
	}
	ssl_reason(why, sizeof why, "connection closed during the handshake");
	snprintf(t->err, sizeof t->err, "TLS: %s", why);
}

const char *nc_tls_error(struct nc_tls *t)
{
	return t && t->err[0] ? t->err : NULL;
}

/* Map an SSL result to our convention (errno EAGAIN + want, or error). */
static ssize_t result(struct nc_tls *t, int ret, size_t got, short *want)
{
	if (ret == 1)
		return (ssize_t)got;
	switch (SSL_get_error(t->ssl, ret)) {
	case SSL_ERROR_WANT_READ:
		*want = POLLIN;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_WANT_WRITE:
		*want = POLLOUT;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		if (errno == 0)
			errno = ECONNRESET;
		snprintf(t->err, sizeof t->err, "%s", strerror(errno));
		ERR_clear_error();
		return -1;
	default:
		explain(t);
		errno = EPROTO;
		return -1;
	}
}

ssize_t nc_tls_read(struct nc_tls *t, void *buf, size_t n, short *want)
{
	size_t got = 0;

	errno = 0;
	int ret = SSL_read_ex(t->ssl, buf, n, &got);    /* before reading got */
	return result(t, ret, got, want);
}

ssize_t nc_tls_write(struct nc_tls *t, const void *buf, size_t n, short *want)
{
	size_t got = 0;

	errno = 0;
	int ret = SSL_write_ex(t->ssl, buf, n, &got);
	return result(t, ret, got, want);
}

void nc_tls_shutdown(struct nc_tls *t)
{
	/* close_notify; with TLS 1.3 reading goes on afterwards.  Bounded: a
	 * peer that does not read gets at most a second, and none on the
	 * relay's loop, where a wait would stall every other client: there a
	 * full socket (the peer reads nothing) just goes without it, all the
	 * data having been written before. */
	for (int i = 0; i < 10; i++) {
		int r = SSL_shutdown(t->ssl);
		if (r >= 0)
			break;
		int e = SSL_get_error(t->ssl, r);
		if (e != SSL_ERROR_WANT_WRITE || t->async)
			break;      /* WANT_READ: sent; the peer's close_notify comes later */
		sk_wait_fd(t->fd, POLLOUT, 100);
	}
	ERR_clear_error();
}

/* The reason a handshake failed, into t->err. */
static void handshake_failed(struct nc_tls *t, int e)
{
	if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
		snprintf(t->err, sizeof t->err, "TLS: %s",
		         errno ? strerror(errno) : "connection closed during the handshake");
	else
		explain(t);
}

int nc_tls_handshake_step(struct nc_tls *t, short *want)
{
	errno = 0;
	int r = SSL_do_handshake(t->ssl);
	if (r == 1) {
		t->err[0] = '\0';
		return 1;
	}
	int e = SSL_get_error(t->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		*want = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		return 0;
	}
	handshake_failed(t, e);
	return -1;
}

/* Run the handshake to the end within timeout_ms in all (a deadline, not
 * a per-wait timeout: a peer trickling one byte at a time must not keep
 * it going); -1 means NC_TLS_HANDSHAKE_MS. */
static int handshake(struct nc_tls *t, int timeout_ms, char *err, size_t errlen)
{
	uint64_t ms = timeout_ms < 0 ? NC_TLS_HANDSHAKE_MS : (uint64_t)timeout_ms;
	uint64_t deadline = sk_now_ms() + ms;
	short want;
	int r;

	while ((r = nc_tls_handshake_step(t, &want)) == 0) {
		uint64_t now = sk_now_ms();
		if (now >= deadline ||
		    sk_wait_fd(t->fd, want, (int)(deadline - now)) == 0) {
			sk_seterr_deadline(err, errlen, ms, "TLS: handshake");
			return -1;
		}
	}
	if (r < 0)
		return sk_seterr(err, errlen, "%s", t->err), -1;
	return 0;
}

static struct nc_tls *blocking(struct nc_tls *t, int timeout_ms, char *err, size_t errlen)
{
	if (t && handshake(t, timeout_ms, err, errlen) < 0) {
		nc_tls_free(t);
		return NULL;
	}
	return t;
}

struct nc_tls *nc_tls_client(const struct nc_opts *o, int fd, const char *host,
                             int timeout_ms, char *err, size_t errlen)
{
	return blocking(tls_new(o, fd, true, host, err, errlen), timeout_ms, err, errlen);
}

struct nc_tls *nc_tls_server(const struct nc_opts *o, int fd, int timeout_ms,
                             char *err, size_t errlen)
{
	return blocking(tls_new(o, fd, false, NULL, err, errlen), timeout_ms, err, errlen);
}

struct nc_tls *nc_tls_client_async(const struct nc_opts *o, int fd,
                                   const char *host, char *err, size_t errlen)
{
	struct nc_tls *t = tls_new(o, fd, true, host, err, errlen);

	if (t)
		t->async = true;
	return t;
}

struct nc_tls *nc_tls_server_async(const struct nc_opts *o, int fd,
                                   char *err, size_t errlen)
{
	struct nc_tls *t = tls_new(o, fd, false, NULL, err, errlen);

	if (t)
		t->async = true;
	return t;
}
