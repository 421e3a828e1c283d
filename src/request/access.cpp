#include "request/access.h"

#include "adapter/records.h"
#include "http_log.h"
#include "http_request.h"
#include "io/handshake.h"
#include "io/tls_connection.h"
#include "tls/cipher_check.h"

namespace modssl::request {
namespace {

bool requires_client_certificate(config::VerifyClient v) {
  return v == config::VerifyClient::Require || v == config::VerifyClient::Optional ||
         v == config::VerifyClient::OptionalNoCa;
}

}  // namespace

int on_check_access(request_rec* r) {
  const DirRecord* dir = dir_record(r->per_dir_config);
  if (!dir) return DECLINED;
  io::TlsConnection* t = io::tls_connection(r->connection);
  const bool encrypted = t && t->phase == io::Phase::Open;

  if (dir->config.require_ssl && !encrypted) {
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "access to %s refused: SSLRequireSSL is set and the request from %s did not "
                  "arrive over TLS",
                  r->filename ? r->filename : r->uri, io::client_label(r->connection));
    return HTTP_FORBIDDEN;
  }

  // Client certificates cannot be verified by this release. Refusing is the only safe answer
  // for a location that asks for one: serving it would grant what the administrator meant to
  // protect.
  if (encrypted && requires_client_certificate(dir->config.verify_client)) {
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                  "access to %s refused: per-directory SSLVerifyClient is not supported by this "
                  "build of mod_ssl yet, so no client certificate can be checked",
                  r->filename ? r->filename : r->uri);
    return HTTP_FORBIDDEN;
  }
  // Per-directory SSLCipherSuite: a connection whose cipher the directory allows is served as
  // it is. Otherwise stock mod_ssl renegotiates; until renegotiation exists here, refuse rather
  // than serve over a cipher the administrator excluded.
  if (encrypted && dir->config.cipher_suite) {
    auto allowed = tls::current_cipher_allowed(t->ssl.get(), *dir->config.cipher_suite);
    if (!allowed || !*allowed) {
      const SSL_CIPHER* cipher = SSL_get_current_cipher(t->ssl.get());
      ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                    "access to %s refused: the connection from %s uses cipher %s, which the "
                    "per-directory SSLCipherSuite '%s' excludes, and this build of mod_ssl "
                    "cannot renegotiate yet%s%s",
                    r->filename ? r->filename : r->uri, io::client_label(r->connection),
                    cipher ? SSL_CIPHER_get_name(cipher) : "(none)",
                    dir->config.cipher_suite->c_str(), allowed ? "" : ": ",
                    allowed ? "" : allowed.error().c_str());
      return HTTP_FORBIDDEN;
    }
  }
  return DECLINED;
}

}  // namespace modssl::request
