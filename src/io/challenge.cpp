#include "io/challenge.h"

#include <string>

#include <openssl/err.h>

#include "adapter/records.h"
#include "http_log.h"
#include "http_ssl.h"
#include "io/handshake.h"
#include "tls/openssl_error.h"
#include "tls/pem_files.h"

namespace modssl::io {

bool present_challenge_certificate(TlsConnection* t, SSL* ssl) {
  conn_rec* c = t->c;
  const char* server_name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  const char* cert_pem = nullptr;
  const char* key_pem = nullptr;
  if (!server_name || !ap_ssl_answer_challenge(c, server_name, &cert_pem, &key_pem)) {
    return true;  // nobody answers for this name: the vhost's own certificate stays
  }
  if (!cert_pem || !key_pem) {
    ap_log_cerror(APLOG_MARK, APLOG_ERR, 0, c,
                  "a module answered the TLS challenge for '%s' without a certificate and key",
                  server_name);
    return false;
  }
  const std::string what = std::string("the challenge answer for '") + server_name + "'";
  auto cert = tls::parse_certificate_pem(cert_pem, what);
  auto key = cert ? tls::parse_private_key_pem(key_pem, what)
                  : config::Result<tls::EvpPkeyPtr>(config::fail(cert.error()));
  if (!cert || !key) {
    ap_log_cerror(APLOG_MARK, APLOG_ERR, 0, c, "%s", (!cert ? cert.error() : key.error()).c_str());
    return false;
  }
  ERR_clear_error();
  if (SSL_use_certificate(ssl, cert->get()) != 1 || SSL_use_PrivateKey(ssl, key->get()) != 1 ||
      SSL_check_private_key(ssl) != 1) {
    ap_log_cerror(APLOG_MARK, APLOG_ERR, 0, c, "cannot present %s: %s", what.c_str(),
                  tls::drain_openssl_errors().c_str());
    return false;
  }
  // A challenge connection carries no requests; the ACME server presents no client certificate.
  SSL_set_verify(ssl, SSL_VERIFY_NONE, nullptr);
  ap_log_cerror(APLOG_MARK, APLOG_DEBUG, 0, c, "answering the TLS challenge for '%s' (client %s)",
                server_name, client_label(c));
  return true;
}

}  // namespace modssl::io
