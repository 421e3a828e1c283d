#include "tls/crl_check.h"

namespace modssl::tls {

// Placeholder until CRL support lands: configured CRLs are refused rather than ignored.
config::Status configure_crl_checking(SSL_CTX* /*ctx*/, const config::ServerConfig& cfg,
                                      const std::string& vhost_id,
                                      std::vector<std::string>& /*warnings*/) {
  if (!cfg.ca_revocation_file.empty() || !cfg.ca_revocation_path.empty()) {
    return config::fail("SSLCARevocationFile/Path for " + vhost_id + " is not supported yet");
  }
  return config::ok_status();
}

bool crl_error_forgiven(const config::ServerConfig& /*cfg*/, int /*err*/) {
  return false;
}

}  // namespace modssl::tls
