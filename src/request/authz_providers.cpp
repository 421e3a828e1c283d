#include "request/authz_providers.h"

#include "adapter/records.h"
#include "ap_provider.h"
#include "http_request.h"
#include "io/tls_connection.h"
#include "mod_auth.h"
#include "tls/client_verify.h"

namespace modssl::request {
namespace {

SSL* tls_of(request_rec* r) {
  io::TlsConnection* t = io::tls_connection(r->connection);
  return t && t->phase == io::Phase::Open ? t->ssl.get() : nullptr;
}

authz_status require_ssl(request_rec* r, const char* /*line*/, const void* /*parsed*/) {
  return tls_of(r) ? AUTHZ_GRANTED : AUTHZ_DENIED;
}

// Verified means: a peer certificate, OpenSSL's result OK, and nothing forgiven or refused by
// our own checks (optional_no_ca's generosity does not count as verified).
authz_status require_verified_client(request_rec* r, const char* /*line*/, const void* /*parsed*/) {
  SSL* ssl = tls_of(r);
  if (!ssl || !SSL_get0_peer_certificate(ssl) || SSL_get_verify_result(ssl) != X509_V_OK) {
    return AUTHZ_DENIED;
  }
  const tls::VerifyOutcome* outcome = tls::verify_outcome(ssl);
  if (outcome && (outcome->generous || !outcome->error.empty())) return AUTHZ_DENIED;
  return AUTHZ_GRANTED;
}

const authz_provider kRequireSsl = {require_ssl, nullptr};
const authz_provider kRequireVerifiedClient = {require_verified_client, nullptr};

}  // namespace

void register_authz_providers(apr_pool_t* p) {
  ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "ssl", AUTHZ_PROVIDER_VERSION, &kRequireSsl,
                            AP_AUTH_INTERNAL_PER_CONF);
  ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "ssl-verify-client", AUTHZ_PROVIDER_VERSION,
                            &kRequireVerifiedClient, AP_AUTH_INTERNAL_PER_CONF);
}

}  // namespace modssl::request
