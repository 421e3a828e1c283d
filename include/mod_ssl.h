/*
 * The API this module offers other httpd modules. Binary-compatible with the mod_ssl.h that
 * httpd 2.4 installs: same optional-function names and signatures, same optional hooks.
 * Licensed under the Apache License, Version 2.0 (see LICENSE).
 */
#ifndef MODSSL_PUBLIC_API_H
#define MODSSL_PUBLIC_API_H
/* httpd's own header uses the same guard name; defining it keeps the two from clashing when a
 * module includes both paths. */
#ifndef __MOD_SSL_H__
#define __MOD_SSL_H__

#include "httpd.h"
#include "http_config.h"
#include "apr_optional.h"
#include "apr_optional_hooks.h"
#include "apr_tables.h"

#if !defined(WIN32)
#define SSL_DECLARE(type) type
#define SSL_DECLARE_NONSTD(type) type
#define SSL_DECLARE_DATA
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The value of an SSL_* (or HTTPS) variable for a connection/request, or "" / NULL. */
APR_DECLARE_OPTIONAL_FN(char *, ssl_var_lookup,
                        (apr_pool_t *, server_rec *, conn_rec *, request_rec *, char *));

/* Values of a certificate extension, by OID or name, of the peer's (peer != 0) or our own
 * certificate. */
APR_DECLARE_OPTIONAL_FN(apr_array_header_t *, ssl_ext_list,
                        (apr_pool_t * p, conn_rec *c, int peer, const char *extension));

/* Non-zero when the connection is encrypted by this module. */
APR_DECLARE_OPTIONAL_FN(int, ssl_is_https, (conn_rec *));

/* For mod_proxy: encrypt an outgoing connection / leave a connection unencrypted. */
APR_DECLARE_OPTIONAL_FN(int, ssl_proxy_enable, (conn_rec *));
APR_DECLARE_OPTIONAL_FN(int, ssl_engine_disable, (conn_rec *));
APR_DECLARE_OPTIONAL_FN(int, ssl_engine_set,
                        (conn_rec *, ap_conf_vector_t *, int proxy, int enable));

/* Other modules (mod_md) add certificate/key files for a vhost that configures none. */
#define SSL_CERT_HOOKS
APR_DECLARE_EXTERNAL_HOOK(ssl, SSL, int, add_cert_files,
                          (server_rec * s, apr_pool_t *p, apr_array_header_t *cert_files,
                           apr_array_header_t *key_files))
APR_DECLARE_EXTERNAL_HOOK(ssl, SSL, int, add_fallback_cert_files,
                          (server_rec * s, apr_pool_t *p, apr_array_header_t *cert_files,
                           apr_array_header_t *key_files))

#ifdef __cplusplus
}
#endif

#endif /* __MOD_SSL_H__ */
#endif /* MODSSL_PUBLIC_API_H */
