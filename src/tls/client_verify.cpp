#include "tls/client_verify.h"

#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "tls/crl_check.h"
#include "tls/ocsp_check.h"
#include "tls/openssl_error.h"
#include "tls/pem_files.h"

namespace modssl::tls {
namespace {

using config::VerifyClient;

// What the callback needs from the vhost; hangs on the SSL_CTX, so that after an SNI switch
// the callback follows the context the connection moved to.
struct VerifySettings {
  VerifyClient mode = VerifyClient::None;
  int depth = 1;
  // The vhost's settings (a copy: the context may outlive the configuration that made it,
  // e.g. connections of the old generation after a graceful restart).
  config::ServerConfig config;
};

void free_settings(void* /*parent*/, void* ptr, CRYPTO_EX_DATA* /*ad*/, int /*idx*/, long /*argl*/,
                   void* /*argp*/) {
  delete static_cast<VerifySettings*>(ptr);
}

void free_outcome(void* /*parent*/, void* ptr, CRYPTO_EX_DATA* /*ad*/, int /*idx*/, long /*argl*/,
                  void* /*argp*/) {
  delete static_cast<VerifyOutcome*>(ptr);
}

int settings_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, free_settings);
  return index;
}

int outcome_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, free_outcome);
  return index;
}

VerifyOutcome& outcome_for(SSL* ssl) {
  auto* outcome = static_cast<VerifyOutcome*>(SSL_get_ex_data(ssl, outcome_index()));
  if (!outcome) {
    outcome = new VerifyOutcome();
    SSL_set_ex_data(ssl, outcome_index(), outcome);
  }
  return *outcome;
}

// The errors that only mean "the issuer is not known here": what optional_no_ca forgives.
bool issuer_unknown(int err) {
  return err == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT ||
         err == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN ||
         err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY || err == X509_V_ERR_CERT_UNTRUSTED ||
         err == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE;
}

std::string describe(int depth, X509* cert, const std::string& reason) {
  std::string out = "depth " + std::to_string(depth);
  if (cert) {
    out += ", subject " + name_oneline(X509_get_subject_name(cert)) + ", issuer " +
           name_oneline(X509_get_issuer_name(cert));
  }
  return out + ": " + reason;
}

bool wants_ocsp(const config::ServerConfig& cfg, int depth) {
  return config::is_on(cfg.ocsp.enable, false) && (depth == 0 || !cfg.ocsp.leaf_only);
}

int verify_callback(int ok, X509_STORE_CTX* store) {
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  if (!ssl) return ok;
  const auto* settings = static_cast<const VerifySettings*>(
      SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), settings_index()));
  const VerifySettings defaults;
  if (!settings) settings = &defaults;

  VerifyOutcome& outcome = outcome_for(ssl);
  VerifySettings directory;
  if (outcome.mode_override != VerifyClient::Unset) {
    directory = *settings;
    directory.mode = outcome.mode_override;
    directory.depth = outcome.depth_override;
    settings = &directory;
  }
  const int err = X509_STORE_CTX_get_error(store);
  const int depth = X509_STORE_CTX_get_error_depth(store);
  X509* cert = X509_STORE_CTX_get_current_cert(store);

  if (!ok && settings->mode == VerifyClient::OptionalNoCa && issuer_unknown(err)) {
    outcome.generous = true;
    ok = 1;
  }
  // A forgiven missing CRL (no_crl_for_cert_ok) must not stay the chain's result: the chain
  // verified, and SSL_CLIENT_VERIFY and later access checks read that result (stock resets it).
  if (!ok && crl_error_forgiven(settings->config, err)) {
    X509_STORE_CTX_set_error(store, X509_V_OK);
    ok = 1;
  }
  if (ok && wants_ocsp(settings->config, depth)) {
    OcspVerdict verdict = check_ocsp(settings->config, store, depth);
    if (!verdict.ok) {
      X509_STORE_CTX_set_error(store,
                               verdict.error ? verdict.error : X509_V_ERR_APPLICATION_VERIFICATION);
      outcome.error = verdict.reason;
      outcome.failure = describe(depth, cert, verdict.reason);
      return 0;
    }
  }
  if (!ok) {
    outcome.error = X509_verify_cert_error_string(err);
    outcome.failure = describe(depth, cert, outcome.error);
    // An expired CRL would reach the client as certificate_expired although its certificate is
    // fine; -1 makes OpenSSL send certificate_unknown. The log keeps the real reason (above).
    if (err == X509_V_ERR_CRL_HAS_EXPIRED) X509_STORE_CTX_set_error(store, -1);
  }
  // SSLVerifyDepth counts the CA certificates above the client's: 1 (the default) means the
  // client certificate must be issued by a CA the server holds itself.
  if (depth > settings->depth) {
    outcome.error = X509_verify_cert_error_string(X509_V_ERR_CERT_CHAIN_TOO_LONG);
    outcome.failure = describe(depth, cert,
                               "certificate chain too long (SSLVerifyDepth allows " +
                                   std::to_string(settings->depth) + ")");
    ok = 0;
  }
  return ok;
}

bool is_directory(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// The subjects of the certificates in `file` and in the hashed directory `dir`.
config::Result<STACK_OF(X509_NAME) *> ca_names(const std::string& file, const std::string& dir) {
  STACK_OF(X509_NAME)* names = sk_X509_NAME_new_null();
  if (!names) return config::fail("out of memory: " + drain_openssl_errors());
  if (!file.empty() && !SSL_add_file_cert_subjects_to_stack(names, file.c_str())) {
    sk_X509_NAME_pop_free(names, X509_NAME_free);
    return config::fail("cannot read CA names from " + file + ": " + drain_openssl_errors());
  }
  if (!dir.empty() && !SSL_add_dir_cert_subjects_to_stack(names, dir.c_str())) {
    sk_X509_NAME_pop_free(names, X509_NAME_free);
    return config::fail("cannot read CA names from directory " + dir + ": " +
                        drain_openssl_errors());
  }
  ERR_clear_error();
  return names;
}

config::Status load_trust(SSL_CTX* ctx, const config::ServerConfig& cfg,
                          const std::string& vhost_id) {
  const std::string& file = cfg.ca_certificate_file;
  const std::string& dir = cfg.ca_certificate_path;
  if (!dir.empty() && !is_directory(dir)) {
    return config::fail("SSLCACertificatePath " + dir + " (for " + vhost_id +
                        ") is not a directory");
  }
  ERR_clear_error();
  if (!SSL_CTX_load_verify_locations(ctx, file.empty() ? nullptr : file.c_str(),
                                     dir.empty() ? nullptr : dir.c_str())) {
    return config::fail("cannot load the client CA certificates of " + vhost_id + " from " +
                        (file.empty() ? dir : file) + ": " + drain_openssl_errors() +
                        " (SSLCACertificateFile must hold PEM certificates)");
  }
  // The names sent in the certificate request: SSLCADNRequest* when set, else every CA above.
  const bool request_names = !cfg.ca_dn_request_file.empty() || !cfg.ca_dn_request_path.empty();
  auto names = request_names ? ca_names(cfg.ca_dn_request_file, cfg.ca_dn_request_path)
                             : ca_names(file, dir);
  if (!names) return config::fail(names.error() + " (for " + vhost_id + ")");
  if (sk_X509_NAME_num(*names) == 0 && !file.empty()) {
    sk_X509_NAME_pop_free(*names, X509_NAME_free);
    return config::fail("SSLCACertificateFile " + file + " (for " + vhost_id +
                        ") holds no certificate, so no client certificate could verify");
  }
  SSL_CTX_set_client_CA_list(ctx, *names);  // takes ownership
  return config::ok_status();
}

}  // namespace

const VerifyOutcome* verify_outcome(const SSL* ssl) {
  return static_cast<const VerifyOutcome*>(SSL_get_ex_data(ssl, outcome_index()));
}

void settle_verification(SSL* ssl) {
  const VerifyOutcome* outcome = verify_outcome(ssl);
  if (!outcome || !outcome->generous || !outcome->error.empty()) return;
  if (SSL_version(ssl) >= TLS1_3_VERSION) return;
  if (issuer_unknown(static_cast<int>(SSL_get_verify_result(ssl)))) {
    SSL_set_verify_result(ssl, X509_V_OK);
  }
}

void use_directory_verification(SSL* ssl, VerifyClient mode, int depth) {
  VerifyOutcome& outcome = outcome_for(ssl);
  outcome = VerifyOutcome{};
  outcome.mode_override = mode;
  outcome.depth_override = depth;
  SSL_set_verify(ssl, openssl_verify_mode(mode), verify_callback);
}

int openssl_verify_mode(VerifyClient mode) {
  switch (mode) {
    case VerifyClient::Require:
      return SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    case VerifyClient::Optional:
    case VerifyClient::OptionalNoCa:
      return SSL_VERIFY_PEER;
    case VerifyClient::Unset:
    case VerifyClient::None:
      break;
  }
  return SSL_VERIFY_NONE;
}

config::Status configure_client_verification(SSL_CTX* ctx, const config::ServerConfig& cfg,
                                             const std::string& vhost_id,
                                             std::vector<std::string>& warnings) {
  auto* settings = new VerifySettings{config::effective_verify_client(cfg),
                                      config::effective_verify_depth(cfg), cfg};
  if (!SSL_CTX_set_ex_data(ctx, settings_index(), settings)) {
    delete settings;
    return config::fail("out of memory: " + drain_openssl_errors());
  }
  if (!cfg.ca_certificate_file.empty() || !cfg.ca_certificate_path.empty()) {
    if (config::Status st = load_trust(ctx, cfg, vhost_id); !st) return st;
  } else if (settings->mode == VerifyClient::Require || settings->mode == VerifyClient::Optional) {
    warnings.push_back("SSLVerifyClient for " + vhost_id +
                       " asks for client certificates, but no CA is known to verify them: "
                       "every client certificate will be refused; set SSLCACertificateFile "
                       "or SSLCACertificatePath");
  }
  if (config::Status st = configure_crl_checking(ctx, cfg, vhost_id, warnings); !st) return st;
  SSL_CTX_set_verify(ctx, openssl_verify_mode(settings->mode), verify_callback);
  return config::ok_status();
}

}  // namespace modssl::tls
