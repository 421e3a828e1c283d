#include "request/environment.h"

#include <string>
#include <string_view>

#include "adapter/records.h"
#include "apr_strings.h"
#include "http_log.h"
#include "io/tls_connection.h"
#include "request/variable_lookup.h"
#include "vars/variables.h"

namespace modssl::request {
namespace {

void export_variables(request_rec* r, const vars::Source& src, bool standard, bool certificates) {
  apr_table_t* env = r->subprocess_env;
  const vars::VariableSink set = [&](std::string_view name, std::string value) {
    apr_table_setn(env, apr_pstrmemdup(r->pool, name.data(), name.size()),
                   apr_pstrmemdup(r->pool, value.data(), value.size()));
  };
  if (standard) vars::each_standard_variable(src, set);
  if (certificates) vars::each_certificate_variable(src, set);
}

}  // namespace

int on_fixups(request_rec* r) {
  io::TlsConnection* t = io::tls_connection(r->connection);
  if (!t || t->phase != io::Phase::Open) return DECLINED;
  // Both set with or without StdEnvVars, as stock mod_ssl does.
  apr_table_setn(r->subprocess_env, "HTTPS", "on");
  if (const char* sni = SSL_get_servername(t->ssl.get(), TLSEXT_NAMETYPE_host_name)) {
    apr_table_set(r->subprocess_env, "SSL_TLS_SNI", sni);
  }

  const DirRecord* dir = dir_record(r->per_dir_config);
  const std::uint32_t options = dir ? config::effective_options(dir->config.options) : 0;
  const bool standard = options & config::kOptStdEnvVars;
  const bool certificates = options & config::kOptExportCertData;
  if (standard || certificates) {
    export_variables(r, variable_source(r->connection, r), standard, certificates);
  }
  // mod_ssl leaves this note for other modules (mod_proxy's reverse-proxy headers, for one).
  apr_table_setn(r->notes, "ssl-secure-reneg",
                 SSL_get_secure_renegotiation_support(t->ssl.get()) ? "1" : "0");
  return DECLINED;
}

}  // namespace modssl::request
