#pragma once
// The thin adapter between httpd's config vectors and our C++ records. This header is the one
// place that knows how a server_rec / ap_conf_vector_t / conn_rec maps to our objects.
// Only the httpd-facing layers (module, io, request, startup, proxy) include it.
#include <memory>
#include <vector>

#include "config/dir_config.h"
#include "config/server_config.h"

#include "ap_expr.h"
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"

extern "C" {
extern module AP_MODULE_DECLARE_DATA ssl_module;
}
// Log lines from every file that includes this header are attributed to module "ssl", so that
// `LogLevel ssl:trace3` applies to them.
APLOG_USE_MODULE(ssl);

namespace modssl {

namespace tls {
class VhostContext;
class Connection;
}  // namespace tls

namespace session {
class SocacheStore;
}  // namespace session

// One per server_rec (main server and each <VirtualHost>). Allocated in the config pool with a
// cleanup that runs the destructor.
struct ServerRecord {
  config::ServerConfig config;
  // Process-wide settings: meaningful in the main server's record only (directives with
  // server-config context refuse <VirtualHost>).
  config::GlobalConfig global;
  // SSLSessionCache naming an ap_socache provider (memcache, redis, ...): the provider instance,
  // created while the directive is read, as stock mod_ssl does (main server's record only).
  std::shared_ptr<session::SocacheStore> socache_store;
  // Built in post_config for every server with SSLEngine on; null otherwise.
  std::shared_ptr<tls::VhostContext> context;
  server_rec* server = nullptr;
};

// One SSLRequire line: its text (for the log) and the expression httpd's ap_expr parsed from it.
struct SslRequirement {
  const char* text = nullptr;
  const ap_expr_info_t* expr = nullptr;
};

struct DirRecord {
  config::DirConfig config;
  // SSLRequire lines; a sub-directory's lines add to its parent's (all must hold), as in mod_ssl.
  // Parsed into the config pool, which outlives every request that evaluates them.
  std::vector<SslRequirement> requirements;
};

inline ServerRecord* server_record(const server_rec* s) {
  return static_cast<ServerRecord*>(ap_get_module_config(s->module_config, &ssl_module));
}

inline DirRecord* dir_record(ap_conf_vector_t* per_dir) {
  return static_cast<DirRecord*>(ap_get_module_config(per_dir, &ssl_module));
}

}  // namespace modssl
