#pragma once
// Client-certificate verification during the handshake (SSLVerifyClient, SSLVerifyDepth,
// SSLCACertificateFile/Path): the verify callback, and what it learned about the connection
// beyond OpenSSL's own verify result, which SSL_CLIENT_VERIFY and the authz providers read.
#include <string>

#include <openssl/ssl.h>

namespace modssl::tls {

// mod_ssl's verify_error / verify_info of a connection.
struct VerifyOutcome {
  // Why verification failed when OpenSSL's verify result does not say (a certificate the
  // client did not send although it was required, a depth limit, a revoked certificate).
  std::string error;
  // SSLVerifyClient optional_no_ca accepted a certificate whose issuer is unknown.
  bool generous = false;
};

// The outcome recorded for `ssl`; nullptr when no verification callback ran on it.
const VerifyOutcome* verify_outcome(const SSL* ssl);

}  // namespace modssl::tls
