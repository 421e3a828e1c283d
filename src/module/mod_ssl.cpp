// The module record and hook registration: the whole C ABI surface httpd sees.
#include "adapter/records.h"
#include "http_protocol.h"
#include "http_request.h"
#include "http_ssl.h"
#include "http_connection.h"
#include "io/tls_connection.h"
#include "module/config_records.h"
#include "module/hooks.h"
#include "request/access.h"
#include "request/authz_providers.h"
#include "request/environment.h"
#include "request/read_request.h"

namespace {

namespace shim = modssl::module;
namespace io = modssl::io;
namespace request = modssl::request;

void register_hooks(apr_pool_t* p) {
  // Our post_config builds the TLS contexts mod_proxy's post_config may ask about.
  static const char* const before_proxy[] = {"mod_proxy.c", nullptr};
  // SetEnvIf (ssl-unclean-shutdown, nokeepalive...) must have run when we read the request.
  static const char* const after_setenvif[] = {"mod_setenvif.c", nullptr};

  ap_hook_pre_config(shim::on_pre_config, nullptr, nullptr, APR_HOOK_MIDDLE);
  ap_hook_post_config(shim::on_post_config, nullptr, before_proxy, APR_HOOK_MIDDLE);
  ap_hook_child_init(shim::on_child_init, nullptr, nullptr, APR_HOOK_MIDDLE);

  ap_hook_pre_connection(shim::on_pre_connection, nullptr, nullptr, APR_HOOK_MIDDLE);
  ap_hook_process_connection(shim::on_process_connection, nullptr, nullptr, APR_HOOK_MIDDLE);
  ap_hook_ssl_conn_is_ssl(shim::on_conn_is_ssl, nullptr, nullptr, APR_HOOK_MIDDLE);
  ap_hook_ssl_var_lookup(shim::on_var_lookup, nullptr, nullptr, APR_HOOK_MIDDLE);
  ap_hook_ssl_bind_outgoing(shim::on_bind_outgoing, nullptr, nullptr, APR_HOOK_MIDDLE);
  // Last, as stock: other modules may claim SSL_-prefixed names of their own first.
  ap_hook_expr_lookup(shim::on_expr_lookup, nullptr, nullptr, APR_HOOK_LAST);
  ap_hook_http_scheme(shim::on_http_scheme, nullptr, nullptr, APR_HOOK_MIDDLE);
  ap_hook_default_port(shim::on_default_port, nullptr, nullptr, APR_HOOK_MIDDLE);

  ap_hook_post_read_request(request::on_post_read_request, after_setenvif, nullptr,
                            APR_HOOK_MIDDLE);
  ap_hook_check_access(request::on_check_access, nullptr, nullptr, APR_HOOK_MIDDLE,
                       AP_AUTH_INTERNAL_PER_CONF);
  // First among authn hooks: FakeBasicAuth must have written its header before mod_auth_basic
  // reads it.
  ap_hook_check_authn(request::on_check_authn, nullptr, nullptr, APR_HOOK_FIRST,
                      AP_AUTH_INTERNAL_PER_CONF);
  ap_hook_check_authz(request::on_check_authz, nullptr, nullptr, APR_HOOK_MIDDLE,
                      AP_AUTH_INTERNAL_PER_CONF);
  ap_hook_fixups(request::on_fixups, nullptr, nullptr, APR_HOOK_MIDDLE);

  request::register_authz_providers(p);
  io::register_filters();
  shim::register_optional_functions();
  shim::register_status_hook();
}

}  // namespace

extern "C" {

// httpd finds modules by this record; `name` must read "mod_ssl.c" because configurations say
// <IfModule mod_ssl.c> and other modules order their hooks against that name.
__attribute__((visibility("default"))) module AP_MODULE_DECLARE_DATA ssl_module = {
    MODULE_MAGIC_NUMBER_MAJOR,
    MODULE_MAGIC_NUMBER_MINOR,
    -1,
    "mod_ssl.c",
    nullptr,
    nullptr,
    MODULE_MAGIC_COOKIE,
    nullptr,
    modssl_create_dir_config,
    modssl_merge_dir_config,
    modssl_create_server_config,
    modssl_merge_server_config,
    modssl_commands,
    register_hooks,
    AP_MODULE_FLAG_ALWAYS_MERGE,
};

}  // extern "C"
