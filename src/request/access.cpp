#include "request/access.h"

#include "adapter/records.h"
#include "apr_strings.h"
#include "http_log.h"
#include "http_request.h"
#include "io/handshake.h"
#include "io/tls_connection.h"
#include "request/directory_upgrade.h"
#include "request/fake_basic_auth.h"
#include "request/user_name.h"

namespace modssl::request {
namespace {

// mod_ssl's note that access was refused here; with SSLOptions +StrictRequire the authn and
// authz phases refuse again, so that "Satisfy any" with a valid user cannot override it.
constexpr const char* kForbiddenNote = "ssl-access-forbidden";

const char* target(request_rec* r) {
  return r->filename ? r->filename : r->uri;
}

int forbid(request_rec* r) {
  apr_table_setn(r->notes, kForbiddenNote, "1");
  return HTTP_FORBIDDEN;
}

bool strict_refusal(request_rec* r, const DirRecord* dir) {
  return dir && (config::effective_options(dir->config.options) & config::kOptStrictRequire) &&
         apr_table_get(r->notes, kForbiddenNote);
}

int require_tls(request_rec* r) {
  ServerRecord* server = server_record(r->server);
  if (server && server->config.engine == config::EngineMode::Optional &&
      r->proxyreq != PROXYREQ_PROXY) {
    // SSLEngine optional: tell the client to upgrade this connection (RFC 2817).
    apr_table_setn(r->err_headers_out, "Upgrade", "TLS/1.0, HTTP/1.1");
    apr_table_setn(r->err_headers_out, "Connection", "Upgrade");
    return HTTP_UPGRADE_REQUIRED;
  }
  ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                "access to %s refused: SSL connection required (SSLRequireSSL), but the request "
                "from %s came over plain HTTP",
                target(r), io::client_label(r->connection));
  return forbid(r);
}

// Every SSLRequire line of the directory (and its parents) must hold.
int check_requirements(request_rec* r, const DirRecord* dir) {
  for (const SslRequirement& req : dir->requirements) {
    const char* err = nullptr;
    const int ok = ap_expr_exec(r, req.expr, &err);
    if (ok < 0) {
      ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                    "access to %s refused: SSLRequire %s could not be evaluated: %s", target(r),
                    req.text, err ? err : "unknown error");
      return forbid(r);
    }
    if (ok == 0) {
      ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                    "access to %s refused for %s: SSLRequire %s is not fulfilled", target(r),
                    r->useragent_ip, req.text);
      return forbid(r);
    }
  }
  return DECLINED;
}

}  // namespace

int on_check_access(request_rec* r) {
  const DirRecord* dir = dir_record(r->per_dir_config);
  if (!dir) return DECLINED;
  if (strict_refusal(r, dir)) return HTTP_FORBIDDEN;
  io::TlsConnection* t = io::tls_connection(r->connection);
  const bool encrypted = t && t->phase == io::Phase::Open;
  if (dir->config.require_ssl && !encrypted) return require_tls(r);
  // Over plain HTTP none of the remaining checks apply (mod_ssl's rule: SSLRequire is about
  // the TLS connection; SSLRequireSSL is what refuses plain HTTP).
  if (!encrypted) return DECLINED;
  if (int rc = upgrade_for_directory(r, dir, t); rc != DECLINED) return rc;
  if (int rc = check_requirements(r, dir); rc != DECLINED) return rc;
  // With FakeBasicAuth the user comes from the faked Authorization header, in check_authn.
  const bool fake_basic_auth =
      config::effective_options(dir->config.options) & config::kOptFakeBasicAuth;
  if (!fake_basic_auth && dir->config.user_name) set_user_from_variable(r, *dir->config.user_name);
  return DECLINED;
}

int on_check_authn(request_rec* r) {
  const DirRecord* dir = dir_record(r->per_dir_config);
  if (strict_refusal(r, dir)) return HTTP_FORBIDDEN;
  return fake_basic_auth(r, dir);
}

int on_check_authz(request_rec* r) {
  return strict_refusal(r, dir_record(r->per_dir_config)) ? HTTP_FORBIDDEN : DECLINED;
}

}  // namespace modssl::request
