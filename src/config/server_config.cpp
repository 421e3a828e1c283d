#include "config/server_config.h"

#include "config/sni_policy.h"

namespace modssl::config {
namespace {

template <class T>
T pick(const T& base, const T& add, const T& unset) {
  return add == unset ? base : add;
}

template <class T>
std::optional<T> pick(const std::optional<T>& base, const std::optional<T>& add) {
  return add ? add : base;
}

std::string pick(const std::string& base, const std::string& add) {
  return add.empty() ? base : add;
}

// Certificates merge by position: a vhost's first certificate replaces the main server's
// first, and so on, so a vhost can override the RSA certificate and inherit the ECDSA one.
std::vector<std::string> merge_by_index(const std::vector<std::string>& base,
                                        const std::vector<std::string>& add) {
  std::vector<std::string> out = add;
  for (std::size_t i = add.size(); i < base.size(); ++i) out.push_back(base[i]);
  return out;
}

}  // namespace

OcspClientSettings merge(const OcspClientSettings& base, const OcspClientSettings& add) {
  OcspClientSettings m;
  // SSLOCSPEnable's flags travel with the on/off they were written with.
  const bool add_enable = add.enable != Toggle::Unset;
  m.enable = add_enable ? add.enable : base.enable;
  m.leaf_only = add_enable ? add.leaf_only : base.leaf_only;
  m.no_ocsp_for_cert_ok = add_enable ? add.no_ocsp_for_cert_ok : base.no_ocsp_for_cert_ok;
  m.default_responder = pick(base.default_responder, add.default_responder);
  m.override_responder = pick(base.override_responder, add.override_responder, Toggle::Unset);
  m.response_time_skew = pick(base.response_time_skew, add.response_time_skew);
  m.response_max_age = pick(base.response_max_age, add.response_max_age);
  m.responder_timeout = pick(base.responder_timeout, add.responder_timeout);
  m.use_request_nonce = pick(base.use_request_nonce, add.use_request_nonce, Toggle::Unset);
  m.proxy_url = pick(base.proxy_url, add.proxy_url);
  m.no_verify = pick(base.no_verify, add.no_verify, Toggle::Unset);
  m.responder_certificate_file =
      pick(base.responder_certificate_file, add.responder_certificate_file);
  return m;
}

ServerConfig merge(const ServerConfig& base, const ServerConfig& add) {
  ServerConfig m;
  m.engine = pick(base.engine, add.engine, EngineMode::Unset);
  // Key files pair with certificate files by index, so they must merge the same way. A vhost
  // that names certificates without keys must not inherit the main server's keys for them.
  if (!add.certificate_files.empty()) {
    m.certificate_files = merge_by_index(base.certificate_files, add.certificate_files);
    std::vector<std::string> keys = add.key_files;
    keys.resize(add.certificate_files.size() > keys.size() ? add.certificate_files.size()
                                                           : keys.size());
    for (std::size_t i = add.certificate_files.size(); i < base.certificate_files.size(); ++i) {
      keys.push_back(i < base.key_files.size() ? base.key_files[i] : std::string());
    }
    m.key_files = keys;
  } else {
    m.certificate_files = base.certificate_files;
    m.key_files = merge_by_index(base.key_files, add.key_files);
  }
  m.certificate_chain_file = pick(base.certificate_chain_file, add.certificate_chain_file);
  m.protocols = pick(base.protocols, add.protocols);
  m.cipher_suite = pick(base.cipher_suite, add.cipher_suite);
  m.tls13_ciphersuites = pick(base.tls13_ciphersuites, add.tls13_ciphersuites);
  m.honor_cipher_order = pick(base.honor_cipher_order, add.honor_cipher_order, Toggle::Unset);
  m.compression = pick(base.compression, add.compression, Toggle::Unset);
  m.session_tickets = pick(base.session_tickets, add.session_tickets, Toggle::Unset);
  m.session_cache_timeout = pick(base.session_cache_timeout, add.session_cache_timeout);
  m.ticket_key_file = pick(base.ticket_key_file, add.ticket_key_file);
  m.ticket_key_rotation = pick(base.ticket_key_rotation, add.ticket_key_rotation);
  m.strict_sni_vhost_check =
      pick(base.strict_sni_vhost_check, add.strict_sni_vhost_check, Toggle::Unset);
  m.insecure_renegotiation =
      pick(base.insecure_renegotiation, add.insecure_renegotiation, Toggle::Unset);
  m.openssl_conf_cmds = base.openssl_conf_cmds;
  m.openssl_conf_cmds.insert(m.openssl_conf_cmds.end(), add.openssl_conf_cmds.begin(),
                             add.openssl_conf_cmds.end());
  m.verify_client = pick(base.verify_client, add.verify_client, VerifyClient::Unset);
  m.verify_depth = pick(base.verify_depth, add.verify_depth);
  m.ca_certificate_file = pick(base.ca_certificate_file, add.ca_certificate_file);
  m.ca_certificate_path = pick(base.ca_certificate_path, add.ca_certificate_path);
  m.ca_dn_request_file = pick(base.ca_dn_request_file, add.ca_dn_request_file);
  m.ca_dn_request_path = pick(base.ca_dn_request_path, add.ca_dn_request_path);
  m.ca_revocation_file = pick(base.ca_revocation_file, add.ca_revocation_file);
  m.ca_revocation_path = pick(base.ca_revocation_path, add.ca_revocation_path);
  m.crl_check = add.crl_check.mode != CrlCheckMode::Unset ? add.crl_check : base.crl_check;
  m.ocsp = merge(base.ocsp, add.ocsp);
  return m;
}

unsigned effective_protocols(const ServerConfig& c) {
  return c.protocols.value_or(kAllProtocols);
}

VerifyClient effective_verify_client(const ServerConfig& c) {
  return c.verify_client == VerifyClient::Unset ? VerifyClient::None : c.verify_client;
}

int effective_verify_depth(const ServerConfig& c) {
  return c.verify_depth.value_or(1);
}

std::chrono::seconds effective_session_timeout(const ServerConfig& c) {
  return c.session_cache_timeout.value_or(kDefaultSessionCacheTimeout);
}

std::chrono::seconds effective_ticket_key_rotation(const ServerConfig& c) {
  return c.ticket_key_rotation.value_or(kDefaultTicketKeyRotation);
}

bool engine_enabled(const ServerConfig& c) {
  return c.engine == EngineMode::On || c.engine == EngineMode::Optional;
}

bool same_tls_parameters(const ServerConfig& a, const ServerConfig& b) {
  return a.certificate_files == b.certificate_files && a.key_files == b.key_files &&
         a.certificate_chain_file == b.certificate_chain_file &&
         effective_protocols(a) == effective_protocols(b) && a.cipher_suite == b.cipher_suite &&
         a.tls13_ciphersuites == b.tls13_ciphersuites &&
         is_on(a.honor_cipher_order, false) == is_on(b.honor_cipher_order, false) &&
         same_client_authentication(a, b);
}

}  // namespace modssl::config
