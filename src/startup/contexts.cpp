#include "startup/contexts.h"

#include <string>
#include <vector>

#include "adapter/records.h"
#include "apr_strings.h"
#include "http_log.h"
#include "http_ssl.h"
#include "mod_ssl.h"
#include "startup/passphrase_dialog.h"
#include "tls/pem_files.h"

namespace modssl::startup {
namespace {

std::vector<std::string> server_names(server_rec* s) {
  std::vector<std::string> names;
  if (s->server_hostname) names.emplace_back(s->server_hostname);
  if (s->names) {
    auto** n = reinterpret_cast<char**>(s->names->elts);
    for (int i = 0; i < s->names->nelts; ++i) names.emplace_back(n[i]);
  }
  if (s->wild_names) {
    auto** n = reinterpret_cast<char**>(s->wild_names->elts);
    for (int i = 0; i < s->wild_names->nelts; ++i) names.emplace_back(n[i]);
  }
  return names;
}

// Certificates other modules provide (mod_md) when the vhost names none itself.
void add_certificates_from_hooks(apr_pool_t* p, server_rec* s, config::ServerConfig& cfg) {
  if (!cfg.certificate_files.empty()) return;
  apr_array_header_t* certs = apr_array_make(p, 2, sizeof(const char*));
  apr_array_header_t* keys = apr_array_make(p, 2, sizeof(const char*));
  ap_ssl_add_cert_files(s, p, certs, keys);
  if (certs->nelts == 0) ssl_run_add_cert_files(s, p, certs, keys);
  if (certs->nelts == 0) {
    ap_ssl_add_fallback_cert_files(s, p, certs, keys);
    if (certs->nelts == 0) ssl_run_add_fallback_cert_files(s, p, certs, keys);
    if (certs->nelts > 0) {
      ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                   "%s: using fallback certificates from another module until a real one is "
                   "available", vhost_id(p, s));
    }
  }
  for (int i = 0; i < certs->nelts; ++i) {
    cfg.certificate_files.emplace_back(APR_ARRAY_IDX(certs, i, const char*));
    cfg.key_files.emplace_back(i < keys->nelts ? APR_ARRAY_IDX(keys, i, const char*) : "");
  }
}

// The key type of the certificate that goes with `key_path` ("RSA", "ECC", ...), for the
// pass-phrase prompt: the key itself is still encrypted.
std::string key_type_for(const config::ServerConfig& cfg, const std::string& key_path) {
  for (std::size_t i = 0; i < cfg.certificate_files.size(); ++i) {
    const bool key_in_cert = i >= cfg.key_files.size() || cfg.key_files[i].empty();
    if ((key_in_cert ? cfg.certificate_files[i] : cfg.key_files[i]) != key_path) continue;
    auto cert = tls::load_certificate_file(cfg.certificate_files[i]);
    if (cert) return tls::key_type_name(X509_get0_pubkey(cert->leaf.get()));
  }
  return "RSA";
}

}  // namespace

const char* vhost_id(apr_pool_t* p, server_rec* s) {
  unsigned port = s->port;
  if (!port && s->addrs) port = s->addrs->host_port;
  return apr_psprintf(p, "%s:%u", s->server_hostname ? s->server_hostname : "(no name)", port);
}

int build_all_contexts(apr_pool_t* pconf, apr_pool_t* ptemp, server_rec* main_server,
                       const tls::ContextCallbacks& callbacks) {
  int enabled = 0;
  PassphraseDialog dialog(main_server, server_record(main_server)->global.passphrase_dialog);
  for (server_rec* s = main_server; s; s = s->next) {
    ServerRecord* rec = server_record(s);
    rec->server = s;
    rec->context.reset();
    if (!config::engine_enabled(rec->config)) continue;
    if (rec->config.engine == config::EngineMode::Optional) {
      ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                   "%s: 'SSLEngine optional' (RFC 2817 upgrade) is served as 'SSLEngine off': "
                   "no current client can upgrade an HTTP connection to TLS",
                   vhost_id(ptemp, s));
      continue;
    }
    add_certificates_from_hooks(ptemp, s, rec->config);

    tls::ContextSpec spec;
    spec.config = &rec->config;
    spec.vhost_id = vhost_id(ptemp, s);
    // Stock's ssl_util_vhostid: the ServerName's port, else 443 for a TLS vhost.
    spec.session_id_context = apr_psprintf(ptemp, "%s:%u", s->server_hostname ? s->server_hostname : "",
                                           s->port ? unsigned{s->port} : 443u);
    spec.server_names = server_names(s);
    spec.callbacks = callbacks;
    const config::ServerConfig* cfg = &rec->config;
    // Pass-phrase programs get stock's vhost id ("ServerName:port", 443 when the ServerName
    // has no port), so that scripts keyed on it keep working.
    tls::PassphraseSource passphrases =
        dialog.source(spec.session_id_context,
                      [cfg](const std::string& key_path) { return key_type_for(*cfg, key_path); });
    spec.passphrases = &passphrases;
    std::vector<std::string> warnings;
    auto ctx = tls::VhostContext::create(spec, warnings);
    for (const std::string& w : warnings) {
      ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "%s", w.c_str());
    }
    if (!ctx) {
      ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "TLS set-up of %s failed: %s",
                   spec.vhost_id.c_str(), ctx.error().c_str());
      ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                   "fix the SSL* directives of %s and start again (apachectl configtest "
                   "checks syntax only)", spec.vhost_id.c_str());
      return HTTP_INTERNAL_SERVER_ERROR;
    }
    rec->context = std::move(ctx).value();
    ++enabled;
    if (s->port == 80 || (s->addrs && s->addrs->host_port == 80)) {
      ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                   "%s has SSLEngine on but listens on port 80, where clients speak plain "
                   "HTTP", spec.vhost_id.c_str());
    }
  }
  (void)pconf;
  ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, main_server, "TLS contexts built for %d vhost(s)",
               enabled);
  return OK;
}

}  // namespace modssl::startup
