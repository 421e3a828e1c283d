#include "io/handshake.h"

#include <string>

#include <openssl/err.h>

#include "adapter/records.h"
#include "apr_strings.h"
#include "http_log.h"
#include "io/brigade_bio.h"
#include "tls/client_verify.h"
#include "tls/openssl_error.h"

namespace modssl::io {
namespace {

std::string cipher_names(STACK_OF(SSL_CIPHER) * ciphers, std::size_t limit) {
  std::string out;
  int n = ciphers ? sk_SSL_CIPHER_num(ciphers) : 0;
  for (int i = 0; i < n && static_cast<std::size_t>(i) < limit; ++i) {
    if (!out.empty()) out += ':';
    out += SSL_CIPHER_get_name(sk_SSL_CIPHER_value(ciphers, i));
  }
  if (static_cast<std::size_t>(n) > limit) out += ":...";
  return out.empty() ? "(none)" : out;
}

// Turns the state after a failed SSL_do_handshake into one sentence.
std::string failure_reason(TlsConnection* t, int ssl_error) {
  unsigned long code = ERR_peek_error();
  if (ssl_error == SSL_ERROR_SSL && code) {
    bool no_shared_cipher =
        ERR_GET_LIB(code) == ERR_LIB_SSL && ERR_GET_REASON(code) == SSL_R_NO_SHARED_CIPHER;
    std::string reason = tls::drain_openssl_errors();
    // A refused client certificate: which one, where in its chain, and why.
    if (const tls::VerifyOutcome* v = tls::verify_outcome(t->ssl.get()); v && !v->failure.empty()) {
      reason += " (client certificate " + v->failure + ")";
    }
    if (no_shared_cipher) {
      // The FAQ's "no shared cipher": show both sides so the fix is obvious.
      reason += " (client offered: " + cipher_names(SSL_get_client_ciphers(t->ssl.get()), 24) +
                "; this vhost allows: " + cipher_names(SSL_get_ciphers(t->ssl.get()), 24) +
                "; compare SSLCipherSuite/SSLProtocol with what the client supports)";
    }
    return reason;
  }
  ERR_clear_error();
  if (t->read_eof) return "the client closed the connection during the handshake";
  if (APR_STATUS_IS_TIMEUP(t->read_status)) return "timed out waiting for the client";
  if (t->read_status != APR_SUCCESS && t->read_status != APR_EOF) {
    char buf[120];
    return std::string("read failed: ") + apr_strerror(t->read_status, buf, sizeof buf);
  }
  if (t->write_status != APR_SUCCESS) {
    char buf[120];
    return std::string("write failed: ") + apr_strerror(t->write_status, buf, sizeof buf);
  }
  return "handshake failed (SSL error " + std::to_string(ssl_error) + ")";
}

void log_handshake_done(TlsConnection* t) {
  conn_rec* c = t->c;
  if (!APLOG_C_IS_LEVEL(c, APLOG_DEBUG)) return;
  SSL* ssl = t->ssl.get();
  const char* sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  const unsigned char* alpn = nullptr;
  unsigned alpn_len = 0;
  SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
  ap_log_cerror(
      APLOG_MARK, APLOG_DEBUG, 0, c,
      "TLS handshake with %s done: %s, %s, SNI %s, vhost %s, ALPN %.*s%s", client_label(c),
      SSL_get_version(ssl), SSL_get_cipher_name(ssl), sni ? sni : "(none)",
      t->handshake_server ? t->handshake_server->server_hostname : "?", static_cast<int>(alpn_len),
      alpn ? reinterpret_cast<const char*>(alpn) : "", alpn ? "" : "(none)");
}

}  // namespace

const char* client_label(conn_rec* c) {
  return apr_psprintf(c->pool, "%s:%u", c->client_ip,
                      c->client_addr ? static_cast<unsigned>(c->client_addr->port) : 0u);
}

apr_status_t drive_handshake(TlsConnection* t, apr_read_type_e block) {
  switch (t->phase) {
    case Phase::Handshake:
      break;
    case Phase::Open:
    case Phase::PlainHttp:
      return APR_SUCCESS;
    case Phase::Closed:
      return APR_EOF;
    case Phase::Failed:
      return APR_ECONNABORTED;
  }
  conn_rec* c = t->c;
  t->read_block = block;
  t->read_status = APR_SUCCESS;
  ERR_clear_error();
  int rc = SSL_do_handshake(t->ssl.get());
  if (rc == 1) {
    t->phase = Phase::Open;
    tls::settle_verification(t->ssl.get());
    log_handshake_done(t);
    // Push out the last flight (TLS 1.3 tickets, Finished) without waiting for a response
    // (an asynchronous handshake sends it without blocking once we return).
    if (t->async_handshake) return APR_SUCCESS;
    return t->cipher_out_bytes > 0 ? pass_cipher_out(t, true) : APR_SUCCESS;
  }
  int err = SSL_get_error(t->ssl.get(), rc);
  if (t->phase == Phase::PlainHttp) {
    ERR_clear_error();
    ap_log_cerror(APLOG_MARK, APLOG_INFO, 0, c,
                  "client %s sent plain HTTP to a TLS port; answering 400 in clear text",
                  client_label(c));
    c->keepalive = AP_CONN_CLOSE;
    return APR_SUCCESS;
  }
  if (err == SSL_ERROR_WANT_READ && t->read_status == APR_EAGAIN) {
    ERR_clear_error();
    return APR_EAGAIN;
  }
  // The alert OpenSSL queued (e.g. handshake_failure) goes out before the connection is marked
  // aborted, after which nothing more is written. An alert is a few bytes: this never waits.
  if (t->cipher_out_bytes > 0) pass_cipher_out(t, true);
  std::string why = failure_reason(t, err);
  ap_log_cerror(APLOG_MARK, APLOG_INFO, 0, c, "TLS handshake with client %s failed: %s",
                client_label(c), why.c_str());
  t->phase = Phase::Failed;
  c->aborted = 1;
  c->keepalive = AP_CONN_CLOSE;
  return APR_ECONNABORTED;
}

}  // namespace modssl::io
