// pre_config / post_config / child_init shims.
#include <cstdlib>
#include <exception>
#include <string>

#include <openssl/crypto.h>

#include "adapter/records.h"
#include "ap_release.h"
#include "http_log.h"
#include "io/client_hello.h"
#include "module/hooks.h"
#include "startup/contexts.h"
#include "startup/random_seed.h"
#include "startup/session_setup.h"
#include "vars/variables.h"
#include "apr_strings.h"
#include "http_core.h"

namespace modssl::module {

int on_pre_config(apr_pool_t* pconf, apr_pool_t* /*plog*/, apr_pool_t* /*ptemp*/) {
  register_log_handlers(pconf);
  startup::register_session_mutex(pconf);
  return OK;
}

int on_post_config(apr_pool_t* pconf, apr_pool_t* /*plog*/, apr_pool_t* ptemp, server_rec* s) {
  try {
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                 "modssl %s (C++ mod_ssl replacement) for %s, using %s", MODSSL_VERSION,
                 AP_SERVER_BASEVERSION, OpenSSL_version(OPENSSL_VERSION));
    // "OpenSSL/3.0.x" in the Server header and the start-up banner, as stock mod_ssl adds.
    if (auto library = vars::lookup("SSL_VERSION_LIBRARY", {})) {
      ap_add_version_component(pconf, apr_pstrdup(pconf, library->c_str()));
    }
    bool keylog = false;
    if (const char* path = std::getenv("SSLKEYLOGFILE"); path && *path) {
      std::string error;
      keylog = io::open_keylog_file(path, &error);
      if (keylog) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     "SSLKEYLOGFILE is set: TLS session secrets are written to '%s'; anyone "
                     "who can read it can decrypt captured traffic. Unset it after debugging.",
                     path);
      } else {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, "%s", error.c_str());
      }
    }
    // SSLCryptoDevice and the startup SSLRandomSeed sources, before any key is used (as stock).
    if (int seeded = startup::apply_random_seeds(ptemp, s); seeded != OK) return seeded;
    int rc = startup::build_all_contexts(pconf, ptemp, s, io::handshake_callbacks(keylog));
    if (rc != OK) return rc;
    return startup::setup_sessions(pconf, ptemp, s);
  } catch (const std::exception& e) {
    ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "TLS start-up failed: %s", e.what());
    return HTTP_INTERNAL_SERVER_ERROR;
  }
}

void on_child_init(apr_pool_t* pchild, server_rec* s) {
  try {
    startup::child_init_sessions(pchild, s);
    startup::child_init_random_seeds(pchild, s);
  } catch (const std::exception& e) {
    ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, "TLS child initialisation: %s", e.what());
  }
}

}  // namespace modssl::module
