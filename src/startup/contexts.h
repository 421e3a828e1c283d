#pragma once
// post_config: build the TLS context of every virtual host with SSLEngine on, once per
// (re)start, and stop start-up with a clear message when one cannot be built.
#include "httpd.h"
#include "tls/vhost_context.h"

namespace modssl::startup {

// Returns OK, or an httpd error status after logging why start-up must stop.
int build_all_contexts(apr_pool_t* pconf, apr_pool_t* ptemp, server_rec* main_server,
                       const tls::ContextCallbacks& callbacks);

// "name:port" as mod_ssl names a vhost in its messages.
const char* vhost_id(apr_pool_t* p, server_rec* s);

}  // namespace modssl::startup
