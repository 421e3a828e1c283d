#include "config/sni_policy.h"

namespace modssl::config {

bool same_client_authentication(const ServerConfig& a, const ServerConfig& b) {
  return effective_verify_client(a) == effective_verify_client(b) &&
         effective_verify_depth(a) == effective_verify_depth(b) &&
         a.ca_certificate_file == b.ca_certificate_file &&
         a.ca_certificate_path == b.ca_certificate_path &&
         a.ca_revocation_file == b.ca_revocation_file &&
         a.ca_revocation_path == b.ca_revocation_path && a.crl_check == b.crl_check &&
         a.ocsp == b.ocsp &&
         a.openssl_conf_cmds == b.openssl_conf_cmds;
}

bool request_may_cross_vhosts(SniPolicy policy, const ServerConfig& handshake,
                              const ServerConfig& target) {
  switch (policy) {
    case SniPolicy::Insecure:
      return true;
    case SniPolicy::Strict:
      return false;
    case SniPolicy::AuthOnly:
      return same_client_authentication(handshake, target);
    case SniPolicy::Unset:
    case SniPolicy::Secure:
      break;
  }
  return same_tls_parameters(handshake, target);
}

}  // namespace modssl::config
