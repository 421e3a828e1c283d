// The API other modules call: mod_ssl's optional functions and hooks (include/mod_ssl.h), the
// core's ssl_var_lookup hook, mod_log_config's %{..}x / %{..}c formats, and ap_expr's %{SSL_*}
// variables and SSL() function (<If>, Require expr, SetEnvIfExpr ...).
#include <cstring>
#include <exception>

#include "adapter/records.h"
#include "ap_expr.h"
#include "apr_optional_hooks.h"
#include "apr_strings.h"
#include "http_log.h"
#include "io/tls_connection.h"
#include "mod_log_config.h"
#include "mod_ssl.h"
#include "module/hooks.h"
#include "request/variable_lookup.h"
#include "vars/variables.h"

// The optional hooks of include/mod_ssl.h, run by startup/ when a vhost lacks certificates.
APR_HOOK_STRUCT(APR_HOOK_LINK(add_cert_files) APR_HOOK_LINK(add_fallback_cert_files))

extern "C" {
APR_IMPLEMENT_OPTIONAL_HOOK_RUN_ALL(ssl, SSL, int, add_cert_files,
                                    (server_rec * s, apr_pool_t* p, apr_array_header_t* cert_files,
                                     apr_array_header_t* key_files),
                                    (s, p, cert_files, key_files), OK, DECLINED)
APR_IMPLEMENT_OPTIONAL_HOOK_RUN_ALL(ssl, SSL, int, add_fallback_cert_files,
                                    (server_rec * s, apr_pool_t* p, apr_array_header_t* cert_files,
                                     apr_array_header_t* key_files),
                                    (s, p, cert_files, key_files), OK, DECLINED)
}

namespace modssl::module {
namespace {

const char* lookup_or_null(apr_pool_t* p, conn_rec* c, request_rec* r, const char* name) {
  return request::lookup_variable(p, c, r, name);
}

// The extension values of the client's (peer) or the server's certificate, as an APR array of
// strings in `p`; nullptr when there are none (mod_ssl.h's contract).
apr_array_header_t* extension_list(apr_pool_t* p, conn_rec* c, int peer, const char* extension) {
  if (!c || !extension) return nullptr;
  try {
    const SSL* ssl = request::variable_source(c, nullptr).ssl;
    if (!ssl) return nullptr;
    auto values = vars::extension_values(ssl, peer != 0, extension);
    if (values.empty()) return nullptr;
    apr_array_header_t* out = apr_array_make(p, static_cast<int>(values.size()), sizeof(char*));
    for (const std::string& v : values) {
      *static_cast<const char**>(apr_array_push(out)) = apr_pstrmemdup(p, v.data(), v.size());
    }
    return out;
  } catch (const std::exception&) {
    return nullptr;
  }
}

// --- optional functions (signatures fixed by mod_ssl.h) ----------------------------------

char* opt_var_lookup(apr_pool_t* p, server_rec* /*s*/, conn_rec* c, request_rec* r, char* name) {
  if (!p) p = r ? r->pool : (c ? c->pool : nullptr);
  const char* v = p ? lookup_or_null(p, c, r, name) : nullptr;
  return const_cast<char*>(v ? v : "");
}

apr_array_header_t* opt_ext_list(apr_pool_t* p, conn_rec* c, int peer, const char* extension) {
  return extension_list(p, c, peer, extension);
}

int opt_is_https(conn_rec* c) {
  return on_conn_is_ssl(c) == OK ? 1 : 0;
}

int opt_proxy_enable(conn_rec* c) {
  return on_bind_outgoing(c, nullptr, 1) == OK ? 1 : 0;
}

int opt_engine_disable(conn_rec* c) {
  io::disable_tls(c);
  return 1;
}

int opt_engine_set(conn_rec* c, ap_conf_vector_t* dir_conf, int proxy, int enable) {
  if (!enable) {
    io::disable_tls(c);
    return 1;
  }
  return proxy ? (on_bind_outgoing(c, dir_conf, 1) == OK ? 1 : 0) : 1;
}

// --- mod_log_config -----------------------------------------------------------------------

const char* log_var_x(request_rec* r, char* name) {
  const char* v = lookup_or_null(r->pool, r->connection, r, name);
  // mod_log_config prints "-" for NULL. Values can hold anything a client certificate says
  // (UTF-8, newlines of a PEM block): escaped, as stock does, so no one can forge log lines.
  return v && *v ? ap_escape_logitem(r->pool, v) : nullptr;
}

// The old %{..}c names of mod_ssl 1.x / Apache-SSL.
const char* log_var_c(request_rec* r, char* name) {
  static const struct {
    const char* legacy;
    const char* current;
  } kNames[] = {{"version", "SSL_PROTOCOL"},
                {"cipher", "SSL_CIPHER"},
                {"subjectdn", "SSL_CLIENT_S_DN"},
                {"issuerdn", "SSL_CLIENT_I_DN"}};
  if (!name) return nullptr;
  for (const auto& n : kNames) {
    if (strcasecmp(name, n.legacy) == 0) return log_var_x(r, const_cast<char*>(n.current));
  }
  return nullptr;
}

// --- ap_expr: %{SSL_*} variables and the SSL('VAR') function ------------------------------

const char* expr_var(ap_expr_eval_ctx_t* ctx, const void* data) {
  conn_rec* c = ctx->c ? ctx->c : (ctx->r ? ctx->r->connection : nullptr);
  apr_pool_t* p = ctx->p ? ctx->p : (c ? c->pool : nullptr);
  if (!p) return nullptr;
  return lookup_or_null(p, c, ctx->r, static_cast<const char*>(data));
}

const char* expr_function(ap_expr_eval_ctx_t* ctx, const void* /*data*/, const char* arg) {
  return expr_var(ctx, arg);
}

// PeerExtList('oid'): the client certificate's extension values, for "'x' in PeerExtList(..)".
apr_array_header_t* expr_peer_extensions(ap_expr_eval_ctx_t* ctx, const void* /*data*/,
                                         const char* arg) {
  conn_rec* c = ctx->c ? ctx->c : (ctx->r ? ctx->r->connection : nullptr);
  return c ? extension_list(ctx->p ? ctx->p : c->pool, c, 1, arg) : nullptr;
}

}  // namespace

int on_expr_lookup(ap_expr_lookup_parms* parms) {
  switch (parms->type) {
    case AP_EXPR_FUNC_VAR:
      // Every SSL_* name is ours; names we do not know evaluate to empty, as in stock.
      if (strncasecmp(parms->name, "SSL_", 4) == 0) {
        *parms->func = reinterpret_cast<const void*>(expr_var);
        *parms->data = parms->name;
        return OK;
      }
      break;
    case AP_EXPR_FUNC_LIST:
      if (strcmp(parms->name, "PeerExtList") == 0) {
        *parms->func = reinterpret_cast<const void*>(expr_peer_extensions);
        *parms->data = "PeerExtList";
        return OK;
      }
      break;
    case AP_EXPR_FUNC_STRING:
      if (strcasecmp(parms->name, "SSL") == 0) {
        *parms->func = reinterpret_cast<const void*>(expr_function);
        *parms->data = nullptr;
        return OK;
      }
      break;
    default:
      break;
  }
  return DECLINED;
}

// Registers `fn` under the optional-function name `name`; the typed pointer makes the compiler
// check our signature against mod_ssl.h's declaration.
#define MODSSL_REGISTER_OPTIONAL(name, fn)                                  \
  do {                                                                      \
    APR_OPTIONAL_FN_TYPE(name)* typed = fn;                                 \
    apr_dynamic_fn_register(#name, reinterpret_cast<apr_opt_fn_t*>(typed)); \
  } while (0)

void register_optional_functions() {
  MODSSL_REGISTER_OPTIONAL(ssl_var_lookup, opt_var_lookup);
  MODSSL_REGISTER_OPTIONAL(ssl_ext_list, opt_ext_list);
  MODSSL_REGISTER_OPTIONAL(ssl_is_https, opt_is_https);
  MODSSL_REGISTER_OPTIONAL(ssl_proxy_enable, opt_proxy_enable);
  MODSSL_REGISTER_OPTIONAL(ssl_engine_disable, opt_engine_disable);
  MODSSL_REGISTER_OPTIONAL(ssl_engine_set, opt_engine_set);
}

void register_log_handlers(apr_pool_t* pconf) {
  auto* reg = APR_RETRIEVE_OPTIONAL_FN(ap_register_log_handler);
  if (!reg) return;
  reg(pconf, const_cast<char*>("x"), log_var_x, 0);
  reg(pconf, const_cast<char*>("c"), log_var_c, 0);
}

const char* on_var_lookup(apr_pool_t* p, server_rec* /*s*/, conn_rec* c, request_rec* r,
                          const char* name) {
  return lookup_or_null(p, c, r, name);
}

}  // namespace modssl::module
