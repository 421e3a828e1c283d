#include "config/sni_policy.h"

namespace modssl::config {
namespace {

VerifyClient effective_verify(const ServerConfig& c) {
  return c.verify_client == VerifyClient::Unset ? VerifyClient::None : c.verify_client;
}

}  // namespace

bool same_client_authentication(const ServerConfig& a, const ServerConfig& b) {
  return effective_verify(a) == effective_verify(b) &&
         a.verify_depth.value_or(1) == b.verify_depth.value_or(1) &&
         a.ca_certificate_file == b.ca_certificate_file &&
         a.ca_certificate_path == b.ca_certificate_path &&
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
