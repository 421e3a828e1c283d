#include "io/rehandshake.h"

#include <openssl/err.h>

#include "io/brigade_bio.h"
#include "tls/openssl_error.h"

namespace modssl::io {
namespace {

// Sends what OpenSSL queued (HelloRequest, CertificateRequest) and waits for it to leave.
bool flush(TlsConnection* t) {
  return t->cipher_out_bytes == 0 || pass_cipher_out(t, true) == APR_SUCCESS;
}

std::string failure(TlsConnection* t, const char* what) {
  std::string why = what;
  if (t->read_eof) return why + ": the client closed the connection";
  if (APR_STATUS_IS_TIMEUP(t->read_status)) return why + ": timed out waiting for the client";
  const std::string openssl = tls::drain_openssl_errors("");
  return openssl.empty() ? why : why + ": " + openssl;
}

// Reads until OpenSSL has processed the client's side of the exchange. SSL_MODE_AUTO_RETRY is
// off meanwhile, so that SSL_peek returns once the handshake records are done instead of
// waiting for application data the client will not send before it gets a response.
template <class Pending>
RehandshakeResult read_client_flight(TlsConnection* t, Pending pending, const char* what) {
  SSL* ssl = t->ssl.get();
  const long mode = SSL_get_mode(ssl);
  SSL_clear_mode(ssl, SSL_MODE_AUTO_RETRY);
  t->read_block = APR_BLOCK_READ;
  RehandshakeResult result{true, {}};
  for (int round = 0; pending(ssl); ++round) {
    char byte = 0;
    const int rc = SSL_peek(ssl, &byte, 1);
    if (rc > 0) {
      // Application data before the client's handshake: it sent more before seeing our
      // request (a pipelined request); OpenSSL cannot take handshake messages after it.
      result = {false, std::string(what) + ": the client sent data instead of answering"};
      break;
    }
    const int err = SSL_get_error(ssl, rc);
    if ((err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) || round > 64) {
      result = {false, failure(t, what)};
      break;
    }
    if (t->cipher_out_bytes > 0 && !flush(t)) {
      result = {false, failure(t, what)};
      break;
    }
  }
  SSL_set_mode(ssl, mode);
  if (result.ok && !flush(t)) result = {false, failure(t, what)};
  return result;
}

}  // namespace

RehandshakeResult renegotiate(TlsConnection* t) {
  SSL* ssl = t->ssl.get();
  ERR_clear_error();
  // Renegotiation is off on every connection (clients may not start one); this one is ours.
  SSL_clear_options(ssl, SSL_OP_NO_RENEGOTIATION);
  RehandshakeResult result{false, {}};
  if (SSL_renegotiate(ssl) != 1 || SSL_do_handshake(ssl) != 1 || !flush(t)) {
    result.why = failure(t, "could not start the renegotiation");
  } else {
    result = read_client_flight(
        t, [](SSL* s) { return SSL_renegotiate_pending(s) == 1; }, "renegotiation failed");
  }
  SSL_set_options(ssl, SSL_OP_NO_RENEGOTIATION);
  return result;
}

RehandshakeResult request_client_certificate(TlsConnection* t) {
  SSL* ssl = t->ssl.get();
  ERR_clear_error();
  if (SSL_verify_client_post_handshake(ssl) != 1) {
    ERR_clear_error();
    return {false,
            "the client did not offer TLS 1.3 post-handshake authentication, so it cannot be "
            "asked for a certificate after the handshake (browsers do not offer it; set "
            "SSLVerifyClient in the virtual host instead)"};
  }
  if (SSL_do_handshake(ssl) != 1 || !flush(t)) {
    return {false, failure(t, "could not send the certificate request")};
  }
  // In init until the client's Finished has been processed.
  return read_client_flight(
      t, [](SSL* s) { return SSL_in_init(s) != 0; }, "post-handshake authentication failed");
}

}  // namespace modssl::io
