#include "request/fake_basic_auth.h"

#include <cstring>
#include <string>

#include <openssl/x509.h>

#include "apr_strings.h"
#include "http_log.h"
#include "http_request.h"
#include "httpd.h"
#include "io/tls_connection.h"

namespace modssl::request {
namespace {

// The password the faked header carries; "xxj31ZMTZzkVA" is its crypt(3) hash in user files.
constexpr const char* kFakePassword = "password";

// A Basic header whose user looks like a DN and whose password is the fixed one can only be an
// attempt to pass for a certificate holder.
bool forged_dn_user(request_rec* r) {
  const char* header = apr_table_get(r->headers_in, "Authorization");
  if (!header) return false;
  const char* rest = header;
  const char* scheme = ap_getword(r->pool, &rest, ' ');
  if (strcasecmp(scheme, "Basic") != 0) return false;
  while (*rest == ' ' || *rest == '\t') ++rest;
  const char* decoded = ap_pbase64decode(r->pool, rest);
  const char* user = ap_getword_nulls(r->pool, &decoded, ':');
  if (user[0] == '/' && std::strcmp(decoded, kFakePassword) == 0) {
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                  "request from %s refused: its Authorization header claims the certificate "
                  "user '%s' (a FakeBasicAuth spoof)",
                  r->useragent_ip, user);
    return true;
  }
  return false;
}

}  // namespace

int fake_basic_auth(request_rec* r, const DirRecord* dir) {
  // A sub-request inherits the main request's (possibly faked) header: nothing to do again.
  if (!ap_is_initial_req(r)) return DECLINED;
  if (forged_dn_user(r)) return HTTP_FORBIDDEN;
  if (!dir || !(config::effective_options(dir->config.options) & config::kOptFakeBasicAuth) ||
      r->user) {
    return DECLINED;
  }
  io::TlsConnection* t = io::tls_connection(r->connection);
  if (!t || t->phase != io::Phase::Open) return DECLINED;
  X509* cert = SSL_get0_peer_certificate(t->ssl.get());
  if (!cert) return DECLINED;

  // Always OpenSSL's legacy one-line form ("/C=DE/CN=alice"), whatever LegacyDNStringFormat
  // or SSLUserName say: that is what the user files of FakeBasicAuth sites hold (stock ignores
  // SSLUserName here too).
  char* line = X509_NAME_oneline(X509_get_subject_name(cert), nullptr, 0);
  if (!line) return DECLINED;
  const std::string user = line;
  OPENSSL_free(line);
  const std::string credentials = user + ":" + kFakePassword;
  const char* header =
      apr_pstrcat(r->pool, "Basic ",
                  ap_pbase64encode(r->pool, const_cast<char*>(credentials.c_str())), nullptr);
  apr_table_setn(r->headers_in, "Authorization", header);
  ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                "FakeBasicAuth: user '%s' from the client certificate", user.c_str());
  return DECLINED;
}

}  // namespace modssl::request
