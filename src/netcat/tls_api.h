/* tls_api.h — the OpenSSL functions tls.c calls, reached through pointers
 * that tls_load.c fills from libssl (and the libcrypto it needs) at the
 * first TLS use, so a command that never speaks TLS never maps them.
 *
 * Include after the OpenSSL headers.  With NC_TLS_CALLS defined (tls.c),
 * each name below becomes a call through its pointer; a function missing
 * from the list is a link error, since sockit does not link libssl. */
#ifndef SOCKIT_NETCAT_TLS_API_H
#define SOCKIT_NETCAT_TLS_API_H

#include <stddef.h>

#define NC_TLS_FUNCTIONS(X)                                                     \
	X(ASN1_INTEGER_set) X(ERR_clear_error) X(ERR_get_error) X(ERR_peek_error)    \
	X(ERR_reason_error_string) X(EVP_PKEY_Q_keygen) X(EVP_PKEY_free)            \
	X(EVP_sha256) X(SSL_CTX_check_private_key) X(SSL_CTX_ctrl) X(SSL_CTX_free)  \
	X(SSL_CTX_load_verify_locations) X(SSL_CTX_new)                             \
	X(SSL_CTX_set_default_read_buffer_len) X(SSL_CTX_set_default_verify_paths)  \
	X(SSL_CTX_set_options) X(SSL_CTX_set_verify) X(SSL_CTX_use_PrivateKey)      \
	X(SSL_CTX_use_PrivateKey_file) X(SSL_CTX_use_certificate)                   \
	X(SSL_CTX_use_certificate_chain_file) X(SSL_ctrl) X(SSL_do_handshake)       \
	X(SSL_free) X(SSL_get0_param) X(SSL_get_error) X(SSL_get_verify_result)     \
	X(SSL_new) X(SSL_read_ex) X(SSL_set1_host) X(SSL_set_accept_state)          \
	X(SSL_set_connect_state) X(SSL_set_fd) X(SSL_shutdown) X(SSL_write_ex)      \
	X(TLS_client_method) X(TLS_server_method) X(X509V3_EXT_conf_nid)            \
	X(X509V3_set_ctx) X(X509_EXTENSION_free) X(X509_NAME_add_entry_by_txt)      \
	X(X509_VERIFY_PARAM_set1_ip_asc) X(X509_add_ext) X(X509_digest)             \
	X(X509_free) X(X509_get_serialNumber) X(X509_get_subject_name)              \
	X(X509_getm_notAfter) X(X509_getm_notBefore) X(X509_gmtime_adj) X(X509_new) \
	X(X509_set_issuer_name) X(X509_set_pubkey) X(X509_set_version) X(X509_sign) \
	X(X509_verify_cert_error_string)

#define NC_TLS_POINTER(name) __typeof__(name) *name;
struct nc_tls_api {
	NC_TLS_FUNCTIONS(NC_TLS_POINTER)
};
#undef NC_TLS_POINTER

extern struct nc_tls_api nc_tls_api;

/* Load libssl and fill nc_tls_api (once; later calls return at once).
 * Returns 0, or -1 with err saying which library or symbol is missing. */
int nc_tls_load(char *err, size_t errlen);

#ifdef NC_TLS_CALLS
/* Every call below goes through the table (macros that expand to these,
 * like SSL_CTX_set_mode or EVP_EC_gen, too). */
#define ASN1_INTEGER_set (*nc_tls_api.ASN1_INTEGER_set)
#define ERR_clear_error (*nc_tls_api.ERR_clear_error)
#define ERR_get_error (*nc_tls_api.ERR_get_error)
#define ERR_peek_error (*nc_tls_api.ERR_peek_error)
#define ERR_reason_error_string (*nc_tls_api.ERR_reason_error_string)
#define EVP_PKEY_Q_keygen (*nc_tls_api.EVP_PKEY_Q_keygen)
#define EVP_PKEY_free (*nc_tls_api.EVP_PKEY_free)
#define EVP_sha256 (*nc_tls_api.EVP_sha256)
#define SSL_CTX_check_private_key (*nc_tls_api.SSL_CTX_check_private_key)
#define SSL_CTX_ctrl (*nc_tls_api.SSL_CTX_ctrl)
#define SSL_CTX_free (*nc_tls_api.SSL_CTX_free)
#define SSL_CTX_load_verify_locations (*nc_tls_api.SSL_CTX_load_verify_locations)
#define SSL_CTX_new (*nc_tls_api.SSL_CTX_new)
#define SSL_CTX_set_default_read_buffer_len (*nc_tls_api.SSL_CTX_set_default_read_buffer_len)
#define SSL_CTX_set_default_verify_paths (*nc_tls_api.SSL_CTX_set_default_verify_paths)
#define SSL_CTX_set_options (*nc_tls_api.SSL_CTX_set_options)
#define SSL_CTX_set_verify (*nc_tls_api.SSL_CTX_set_verify)
#define SSL_CTX_use_PrivateKey (*nc_tls_api.SSL_CTX_use_PrivateKey)
#define SSL_CTX_use_PrivateKey_file (*nc_tls_api.SSL_CTX_use_PrivateKey_file)
#define SSL_CTX_use_certificate (*nc_tls_api.SSL_CTX_use_certificate)
#define SSL_CTX_use_certificate_chain_file (*nc_tls_api.SSL_CTX_use_certificate_chain_file)
#define SSL_ctrl (*nc_tls_api.SSL_ctrl)
#define SSL_do_handshake (*nc_tls_api.SSL_do_handshake)
#define SSL_free (*nc_tls_api.SSL_free)
#define SSL_get0_param (*nc_tls_api.SSL_get0_param)
#define SSL_get_error (*nc_tls_api.SSL_get_error)
#define SSL_get_verify_result (*nc_tls_api.SSL_get_verify_result)
#define SSL_new (*nc_tls_api.SSL_new)
#define SSL_read_ex (*nc_tls_api.SSL_read_ex)
#define SSL_set1_host (*nc_tls_api.SSL_set1_host)
#define SSL_set_accept_state (*nc_tls_api.SSL_set_accept_state)
#define SSL_set_connect_state (*nc_tls_api.SSL_set_connect_state)
#define SSL_set_fd (*nc_tls_api.SSL_set_fd)
#define SSL_shutdown (*nc_tls_api.SSL_shutdown)
#define SSL_write_ex (*nc_tls_api.SSL_write_ex)
#define TLS_client_method (*nc_tls_api.TLS_client_method)
#define TLS_server_method (*nc_tls_api.TLS_server_method)
#define X509V3_EXT_conf_nid (*nc_tls_api.X509V3_EXT_conf_nid)
#define X509V3_set_ctx (*nc_tls_api.X509V3_set_ctx)
#define X509_EXTENSION_free (*nc_tls_api.X509_EXTENSION_free)
#define X509_NAME_add_entry_by_txt (*nc_tls_api.X509_NAME_add_entry_by_txt)
#define X509_VERIFY_PARAM_set1_ip_asc (*nc_tls_api.X509_VERIFY_PARAM_set1_ip_asc)
#define X509_add_ext (*nc_tls_api.X509_add_ext)
#define X509_digest (*nc_tls_api.X509_digest)
#define X509_free (*nc_tls_api.X509_free)
#define X509_get_serialNumber (*nc_tls_api.X509_get_serialNumber)
#define X509_get_subject_name (*nc_tls_api.X509_get_subject_name)
#define X509_getm_notAfter (*nc_tls_api.X509_getm_notAfter)
#define X509_getm_notBefore (*nc_tls_api.X509_getm_notBefore)
#define X509_gmtime_adj (*nc_tls_api.X509_gmtime_adj)
#define X509_new (*nc_tls_api.X509_new)
#define X509_set_issuer_name (*nc_tls_api.X509_set_issuer_name)
#define X509_set_pubkey (*nc_tls_api.X509_set_pubkey)
#define X509_set_version (*nc_tls_api.X509_set_version)
#define X509_sign (*nc_tls_api.X509_sign)
#define X509_verify_cert_error_string (*nc_tls_api.X509_verify_cert_error_string)
#endif

#endif
