#include "tls/ocsp_check.h"

#include <chrono>
#include <memory>
#include <vector>

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include "config/ocsp_directives.h"
#include "tls/handles.h"
#include "tls/ocsp_http.h"
#include "tls/ocsp_response.h"
#include "tls/openssl_error.h"
#include "tls/pem_files.h"

namespace modssl::tls {
namespace {

using OcspRequestPtr = std::unique_ptr<OCSP_REQUEST, FreeWith<OCSP_REQUEST_free>>;
// Holds borrowed certificates: frees the stack, not what it points to.
struct FreeStackOnly {
  void operator()(STACK_OF(X509) * sk) const noexcept { sk_X509_free(sk); }
};
using X509StackPtr = std::unique_ptr<STACK_OF(X509), FreeStackOnly>;

constexpr long kDefaultTimeSkew = 300;
constexpr long kDefaultTimeout = 10;

OcspVerdict refuse(std::string reason) {
  return {false, std::move(reason), X509_V_ERR_APPLICATION_VERIFICATION};
}

// The errors under which SSLVerifyClient optional_no_ca lets a certificate through: its issuer
// was not verified, so there is nobody to ask about it.
bool issuer_unverified(int err) {
  return err == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT ||
         err == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN ||
         err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY || err == X509_V_ERR_CERT_UNTRUSTED ||
         err == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE;
}

// The first OCSP URI of the certificate's authorityInfoAccess, as mod_ssl takes it.
std::string responder_in_certificate(X509* cert) {
  STACK_OF(OPENSSL_STRING)* uris = X509_get1_ocsp(cert);
  std::string out;
  if (uris && sk_OPENSSL_STRING_num(uris) > 0) out = sk_OPENSSL_STRING_value(uris, 0);
  X509_email_free(uris);
  return out;
}

std::string choose_responder(const config::OcspClientSettings& s, X509* cert) {
  if (config::is_on(s.override_responder, false)) return s.default_responder;
  std::string uri = responder_in_certificate(cert);
  return uri.empty() ? s.default_responder : uri;
}

// Why no query is possible for `uri`, or "" when it is a usable http:// URI.
std::string unusable_responder(const std::string& uri, bool overridden) {
  if (uri.empty()) {
    return overridden ? "SSLOCSPOverrideResponder is on but no SSLOCSPDefaultResponder is set"
                      : "the certificate names no OCSP responder (no OCSP URI in its "
                        "authorityInfoAccess) and no SSLOCSPDefaultResponder is set";
  }
  auto parts = config::split_http_uri(uri);
  if (!parts) return "OCSP responder URI '" + uri + "' cannot be parsed (" + parts.error() + ")";
  if (parts->scheme != "http") {
    return "OCSP responder URI '" + uri +
           "' cannot be queried: only http:// responders are "
           "supported (set an http:// SSLOCSPDefaultResponder and SSLOCSPOverrideResponder on)";
  }
  return "";
}

X509* issuer_of(X509_STORE_CTX* store, int depth) {
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(store);
  if (chain && depth + 1 < sk_X509_num(chain)) return sk_X509_value(chain, depth + 1);
  return X509_STORE_CTX_get0_current_issuer(store);
}

}  // namespace

OcspVerdict check_ocsp(const config::ServerConfig& cfg, X509_STORE_CTX* store, int depth) {
  const config::OcspClientSettings& s = cfg.ocsp;
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(store);
  X509* cert = chain && depth < sk_X509_num(chain) ? sk_X509_value(chain, depth)
                                                   : X509_STORE_CTX_get_current_cert(store);
  if (!cert) return {};
  // A self-issued certificate is a trust anchor here: nobody above it could vouch for it.
  if (X509_check_issued(cert, cert) == X509_V_OK) return {};
  if (issuer_unverified(X509_STORE_CTX_get_error(store))) {
    return refuse(
        "cannot check the certificate with OCSP because its issuer is not verified "
        "(SSLVerifyClient optional_no_ca and SSLOCSPEnable exclude each other)");
  }

  const std::string uri = choose_responder(s, cert);
  if (std::string why = unusable_responder(uri, config::is_on(s.override_responder, false));
      !why.empty()) {
    // mod_ssl lets such certificates through only when told so.
    if (s.no_ocsp_for_cert_ok) return {};
    return refuse(why +
                  "; set SSLOCSPDefaultResponder, or write 'SSLOCSPEnable on "
                  "no_ocsp_for_cert_ok' to accept certificates without a responder");
  }

  X509* issuer = issuer_of(store, depth);
  if (!issuer) return refuse("cannot ask OCSP about the certificate: its issuer is not known");
  OcspRequestPtr request(OCSP_REQUEST_new());
  OCSP_CERTID* id = request ? OCSP_cert_to_id(nullptr, cert, issuer) : nullptr;
  if (!id) return refuse("cannot build the OCSP request: " + drain_openssl_errors());
  if (!OCSP_request_add0_id(request.get(), id)) {  // on success the request owns the id
    OCSP_CERTID_free(id);
    return refuse("cannot build the OCSP request: " + drain_openssl_errors());
  }
  const bool nonce = config::is_on(s.use_request_nonce, true);
  if (nonce && !OCSP_request_add1_nonce(request.get(), nullptr, -1)) {
    return refuse("cannot add a nonce to the OCSP request: " + drain_openssl_errors());
  }

  const std::chrono::seconds timeout(s.responder_timeout.value_or(kDefaultTimeout));
  OcspFetch fetched = fetch_ocsp_response(uri, request.get(), timeout, s.proxy_url);
  if (!fetched.response) return refuse(fetched.error);

  // SSLOCSPResponderCertificateFile is read per query: a query costs a round trip anyway, and
  // the file may be replaced without a restart.
  std::vector<X509Ptr> signers;
  X509StackPtr signer_stack;
  if (!s.responder_certificate_file.empty()) {
    auto loaded = load_certificates(s.responder_certificate_file);
    if (!loaded) return refuse("SSLOCSPResponderCertificateFile: " + loaded.error());
    signers = std::move(loaded).value();
    signer_stack.reset(sk_X509_new_null());
    if (!signer_stack) return refuse("out of memory");
    for (const X509Ptr& c : signers) sk_X509_push(signer_stack.get(), c.get());
  }

  OcspResponseRules rules;
  rules.responder = uri;
  rules.trust = X509_STORE_CTX_get0_store(store);
  rules.responder_certs = signer_stack.get();
  rules.verify_signature = !config::is_on(s.no_verify, false);
  rules.nonce_request = nonce ? request.get() : nullptr;
  rules.time_skew = s.response_time_skew.value_or(kDefaultTimeSkew);
  rules.max_age = s.response_max_age.value_or(-1);
  return evaluate_ocsp_response(fetched.response.get(), id, rules);
}

}  // namespace modssl::tls
