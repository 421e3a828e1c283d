#pragma once
// Client-certificate verification during the handshake (SSLVerifyClient, SSLVerifyDepth,
// SSLCACertificateFile/Path, SSLCADNRequestFile/Path): the trust store and CA names of a
// context, the verify callback, and what the callback learned about a connection beyond
// OpenSSL's own verify result, which SSL_CLIENT_VERIFY and the authz providers read.
#include <string>
#include <vector>

#include <openssl/ssl.h>

#include "config/result.h"
#include "config/server_config.h"

namespace modssl::tls {

// mod_ssl's verify_error / verify_info of a connection.
struct VerifyOutcome {
  // Set by use_directory_verification: the mode and depth the next verification applies.
  config::VerifyClient mode_override = config::VerifyClient::Unset;
  int depth_override = -1;
  // Why verification failed (OpenSSL's reason text), also when OpenSSL's verify result does not
  // say it: a chain longer than SSLVerifyDepth allows.
  std::string error;
  // SSLVerifyClient optional_no_ca accepted a certificate whose issuer is unknown.
  bool generous = false;
  // For the error log: the certificate that failed, where in the chain, and why.
  std::string failure;
};

// The outcome recorded for `ssl`; nullptr when no verification callback ran on it.
const VerifyOutcome* verify_outcome(const SSL* ssl);

// Called once the handshake is done. A certificate that optional_no_ca let in with an unknown
// issuer counts as verified "generously": on TLS 1.2 (and older) OpenSSL's verify result is
// reset to OK, so SSL_CLIENT_VERIFY reads GENEROUS, as with stock mod_ssl. (Stock reports the
// OpenSSL error, FAILED:..., on TLS 1.3; so does this.)
void settle_verification(SSL* ssl);

// A directory's own SSLVerifyClient/SSLVerifyDepth for the re-handshake about to run on `ssl`
// (renegotiation or TLS 1.3 post-handshake authentication): the callback applies these instead
// of the vhost's, and what was recorded for the first handshake is cleared.
void use_directory_verification(SSL* ssl, config::VerifyClient mode, int depth);

// OpenSSL's verify flags for a mode (none: no request; optional and optional_no_ca: request;
// require: request and fail without a certificate).
int openssl_verify_mode(config::VerifyClient mode);

// Sets up `ctx` for the vhost's client verification: verify mode and callback, the CAs that
// verify client certificates, the CA names sent in the certificate request, and the depth the
// callback enforces. Unreadable or empty CA files stop start-up; `warnings` gets what still
// works but is probably not what was meant.
config::Status configure_client_verification(SSL_CTX* ctx, const config::ServerConfig& cfg,
                                             const std::string& vhost_id,
                                             std::vector<std::string>& warnings);

}  // namespace modssl::tls
