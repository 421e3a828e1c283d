#include "request/directory_upgrade.h"

#include <memory>
#include <string>

#include <openssl/ssl.h>

#include "http_log.h"
#include "io/body_replay.h"
#include "io/handshake.h"
#include "io/rehandshake.h"
#include "tls/cipher_check.h"
#include "tls/client_verify.h"

namespace modssl::request {
namespace {

using config::VerifyClient;

constexpr apr_size_t kDefaultRenegBufferSize = 128 * 1024;  // mod_ssl's default

const char* target(request_rec* r) {
  return r->filename ? r->filename : r->uri;
}

int refuse(request_rec* r, const std::string& why) {
  ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "access to %s refused for %s: %s", target(r),
                io::client_label(r->connection), why.c_str());
  apr_table_setn(r->notes, "ssl-access-forbidden", "1");
  return HTTP_FORBIDDEN;
}

bool verified_certificate(SSL* ssl) {
  return SSL_get0_peer_certificate(ssl) && SSL_get_verify_result(ssl) == X509_V_OK;
}

// Whether `mode` (a directory's or the request vhost's SSLVerifyClient) asks for more than the
// handshake did.
bool needs_verification(VerifyClient mode, SSL* ssl) {
  if (mode == VerifyClient::Unset || mode == VerifyClient::None) return false;
  const int wanted = tls::openssl_verify_mode(mode);
  const int current = SSL_get_verify_mode(ssl);
  if (!(current & SSL_VERIFY_PEER)) return true;  // no certificate was asked for
  if ((wanted & SSL_VERIFY_FAIL_IF_NO_PEER_CERT) && !(current & SSL_VERIFY_FAIL_IF_NO_PEER_CERT)) {
    return !verified_certificate(ssl);  // optional before, required now: only if none came
  }
  return false;
}

// The number of CA certificates above the client's in the chain that verified, or -1.
int verified_depth(SSL* ssl) {
  STACK_OF(X509)* chain = SSL_get0_verified_chain(ssl);
  return chain ? sk_X509_num(chain) - 1 : -1;
}

// Whether the connection's cipher is one `spec` selects. Parsing a cipher list takes an SSL
// object, so the answer is kept per connection for as long as spec and cipher stay the same.
bool cipher_allowed(io::TlsConnection* t, const std::string& spec) {
  const SSL_CIPHER* current = SSL_get_current_cipher(t->ssl.get());
  const unsigned long id = current ? SSL_CIPHER_get_id(current) : 0;
  auto& verdict = t->cipher_verdict;
  if (verdict && verdict->cipher_id == id && verdict->spec == spec) return verdict->allowed;
  auto allowed = tls::current_cipher_allowed(t->ssl.get(), spec);
  if (!verdict) verdict = std::make_unique<io::TlsConnection::CipherVerdict>();
  *verdict = {spec, id, allowed && *allowed};
  return verdict->allowed;
}

// Checks the connection against the directory after the upgrade (or when none was needed).
int check_result(request_rec* r, const config::DirConfig& dir, io::TlsConnection* t,
                 VerifyClient mode) {
  SSL* ssl = t->ssl.get();
  if (mode == VerifyClient::Require) {
    if (!SSL_get0_peer_certificate(ssl)) return refuse(r, "no client certificate was sent");
    if (SSL_get_verify_result(ssl) != X509_V_OK) {
      return refuse(r, std::string("the client certificate did not verify: ") +
                           X509_verify_cert_error_string(SSL_get_verify_result(ssl)));
    }
  }
  if (dir.verify_depth && SSL_get0_peer_certificate(ssl) &&
      verified_depth(ssl) > *dir.verify_depth) {
    return refuse(r,
                  "the client certificate's chain is longer than this directory's "
                  "SSLVerifyDepth " +
                      std::to_string(*dir.verify_depth) + " allows");
  }
  if (dir.cipher_suite && !cipher_allowed(t, *dir.cipher_suite)) {
    const SSL_CIPHER* c = SSL_get_current_cipher(ssl);
    return refuse(r, std::string("the connection's cipher ") +
                         (c ? SSL_CIPHER_get_name(c) : "(none)") +
                         " is not in this directory's SSLCipherSuite " + *dir.cipher_suite);
  }
  return DECLINED;
}

}  // namespace

int upgrade_for_directory(request_rec* r, const DirRecord* dir, io::TlsConnection* t) {
  const config::DirConfig& cfg = dir->config;
  SSL* ssl = t->ssl.get();
  // A request whose Host chose another vhost than the handshake (only possible where
  // SSLVHostSNIPolicy lets it through) must still meet that vhost's SSLVerifyClient. Its CAs
  // are not those the handshake offered, so it is refused rather than renegotiated, as stock
  // mod_ssl does.
  if (cfg.verify_client == VerifyClient::Unset && r->server != t->handshake_server &&
      needs_verification(config::effective_verify_client(server_record(r->server)->config), ssl)) {
    return refuse(r, "the virtual host " + std::string(r->server->server_hostname) +
                         " requires client certificates, but the TLS handshake was made for " +
                         t->handshake_server->server_hostname + ", which did not ask for one");
  }
  const bool verify = needs_verification(cfg.verify_client, ssl);
  const bool cipher = cfg.cipher_suite && !cipher_allowed(t, *cfg.cipher_suite);
  const config::ServerConfig& vhost = server_record(t->handshake_server)->config;
  const VerifyClient mode = cfg.verify_client != VerifyClient::Unset
                                ? cfg.verify_client
                                : config::effective_verify_client(vhost);
  if (!verify && !cipher) return check_result(r, cfg, t, mode);

  if (r->connection->master) {
    return refuse(r,
                  "the directory needs a renegotiation, which HTTP/2 does not allow "
                  "(set SSLVerifyClient/SSLCipherSuite in the virtual host)");
  }
  const bool tls13 = SSL_version(ssl) >= TLS1_3_VERSION;
  if (tls13 && cipher) {
    return refuse(r,
                  "the directory's SSLCipherSuite excludes the connection's cipher, and "
                  "TLS 1.3 cannot change ciphers on an open connection");
  }
  // OpenSSL lets the server ask once; stock refuses a second certificate request as well.
  if (tls13 && t->post_handshake_auth_done) {
    return refuse(r,
                  "the client was already asked for a certificate after the handshake on "
                  "this connection; TLS 1.3 clients answer that once");
  }
  const apr_size_t limit = cfg.reneg_buffer_size.value_or(kDefaultRenegBufferSize);
  if (int rc = io::hold_request_body(r, limit); rc != OK) return rc;
  // A request the client pipelined behind this one is already read and decrypted (the body is held
  // by now); it would arrive on a connection whose authentication changed under it. As stock does,
  // this response closes the connection and that request goes unanswered.
  if (!t->plain_pending.empty() || SSL_pending(ssl) > 0) {
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "a pipelined request is present; keepalive disabled: a request from %s "
                  "follows the one that needs the connection upgraded, so the connection "
                  "closes after this response",
                  io::client_label(r->connection));
    r->connection->keepalive = AP_CONN_CLOSE;
  }

  if (verify) {
    const int depth = cfg.verify_depth.value_or(config::effective_verify_depth(vhost));
    tls::use_directory_verification(ssl, mode, depth);
  }
  if (cipher && SSL_set_cipher_list(ssl, cfg.cipher_suite->c_str()) != 1) {
    return refuse(r, "the directory's SSLCipherSuite selects no usable cipher");
  }
  ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "upgrading the connection of %s for %s (%s)",
                io::client_label(r->connection), target(r),
                tls13 ? "TLS 1.3 post-handshake authentication" : "renegotiation");
  const io::RehandshakeResult done = tls13 ? io::request_client_certificate(t) : io::renegotiate(t);
  if (tls13) t->post_handshake_auth_done = true;
  if (!done.ok) {
    r->connection->keepalive = AP_CONN_CLOSE;
    if (done.broken) {
      t->phase = io::Phase::Failed;
      r->connection->aborted = 1;  // nothing more can be written on this session
    }
    return refuse(r, done.why);
  }
  tls::settle_verification(ssl);
  return check_result(r, cfg, t, mode);
}

}  // namespace modssl::request
