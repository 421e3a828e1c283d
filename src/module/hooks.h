#pragma once
// The entry points httpd calls, each a thin shim into the layers below. Declared here so
// mod_ssl.cpp can register them; defined in lifecycle.cpp, connection_hooks.cpp and api.cpp.
#include "httpd.h"
#include "http_config.h"
#include "ap_expr.h"

namespace modssl::module {

// lifecycle.cpp
int on_pre_config(apr_pool_t* pconf, apr_pool_t* plog, apr_pool_t* ptemp);
int on_post_config(apr_pool_t* pconf, apr_pool_t* plog, apr_pool_t* ptemp, server_rec* s);
void on_child_init(apr_pool_t* pchild, server_rec* s);

// connection_hooks.cpp
int on_pre_connection(conn_rec* c, void* csd);
int on_process_connection(conn_rec* c);
int on_conn_is_ssl(conn_rec* c);
const char* on_http_scheme(const request_rec* r);
apr_port_t on_default_port(const request_rec* r);
int on_bind_outgoing(conn_rec* c, ap_conf_vector_t* dir_conf, int enable);

// api.cpp
void register_optional_functions();
void register_log_handlers(apr_pool_t* pconf);

// status.cpp
void register_status_hook();
int on_expr_lookup(ap_expr_lookup_parms* parms);
const char* on_var_lookup(apr_pool_t* p, server_rec* s, conn_rec* c, request_rec* r,
                          const char* name);

}  // namespace modssl::module
