#include "vars/client_verify_text.h"

#include <openssl/x509.h>

#include "tls/client_verify.h"

namespace modssl::vars {

std::string client_verify_text(const SSL* ssl) {
  const tls::VerifyOutcome* outcome = tls::verify_outcome(ssl);
  const bool has_error = outcome && !outcome->error.empty();
  const bool generous = outcome && outcome->generous;
  const long result = SSL_get_verify_result(ssl);
  const bool has_cert = SSL_get0_peer_certificate(ssl) != nullptr;

  if (result == X509_V_OK && !has_error && !has_cert) return "NONE";
  if (result == X509_V_OK && !has_error && !generous) return "SUCCESS";
  if (result == X509_V_OK && generous) return "GENEROUS";
  return "FAILED:" +
         (has_error ? outcome->error : std::string(X509_verify_cert_error_string(result)));
}

}  // namespace modssl::vars
