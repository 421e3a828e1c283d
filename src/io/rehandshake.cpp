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
  if (!result.ok) {
    if (t->cipher_out_bytes > 0) pass_cipher_out(t, true);  // the alert, if any
    result.broken = true;
  }
  return result;
}

// Notes the client's Finished message: the end of a TLS 1.3 post-handshake authentication,
// which OpenSSL does not otherwise report (no handshake-done event; a client without a
// certificate leaves nothing else to look at).
void note_client_finished(int write_p, int /*version*/, int content_type, const void* buf,
                          size_t len, SSL* /*ssl*/, void* arg) {
  if (!write_p && content_type == SSL3_RT_HANDSHAKE && len > 0 &&
      static_cast<const unsigned char*>(buf)[0] == SSL3_MT_FINISHED) {
    *static_cast<bool*>(arg) = true;
  }
}

}  // namespace

RehandshakeResult renegotiate(TlsConnection* t) {
  SSL* ssl = t->ssl.get();
  ERR_clear_error();
  // Renegotiation is off on every connection (clients may not start one); this one is ours.
  SSL_clear_options(ssl, SSL_OP_NO_RENEGOTIATION);
  // A resumed session would bring back the first handshake's (absent) client certificate
  // without asking for one: the renegotiation must be a full handshake.
  SSL_set_options(ssl, SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION);
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
  bool client_finished = false;
  SSL_set_msg_callback(ssl, note_client_finished);
  SSL_set_msg_callback_arg(ssl, &client_finished);
  RehandshakeResult result;
  if (SSL_do_handshake(ssl) != 1 || !flush(t)) {
    result = {false, failure(t, "could not send the certificate request")};
  } else {
    result = read_client_flight(
        t, [&](SSL*) { return !client_finished; }, "post-handshake authentication failed");
  }
  SSL_set_msg_callback(ssl, nullptr);
  SSL_set_msg_callback_arg(ssl, nullptr);
  return result;
}

}  // namespace modssl::io
