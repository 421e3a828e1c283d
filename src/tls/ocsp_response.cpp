#include "tls/ocsp_response.h"

#include <memory>

#include <openssl/err.h>

#include "tls/handles.h"
#include "tls/openssl_error.h"
#include "tls/pem_files.h"

namespace modssl::tls {
namespace {

using BasicResponsePtr = std::unique_ptr<OCSP_BASICRESP, FreeWith<OCSP_BASICRESP_free>>;

OcspVerdict refuse(std::string reason) {
  return {false, std::move(reason), X509_V_ERR_APPLICATION_VERIFICATION};
}

std::string nonce_problem(int check) {
  switch (check) {
    case 0:
      return "its nonce does not match the request's (a replayed or misdirected answer)";
    case -1:
      return "it carries no nonce although the request had one (turn SSLOCSPUseRequestNonce "
             "off for responders that do not echo nonces)";
    default:
      return "its nonce could not be checked";
  }
}

OcspVerdict revoked(const OcspResponseRules& rules, int reason, ASN1_GENERALIZEDTIME* when) {
  const std::string why = reason >= 0 ? OCSP_crl_reason_str(reason) : "no reason given";
  return {false,
          "certificate revoked (OCSP: " + why + ", since " + time_text(when) + "; responder " +
              rules.responder + ")",
          X509_V_ERR_CERT_REVOKED};
}

}  // namespace

OcspVerdict evaluate_ocsp_response(OCSP_RESPONSE* response, OCSP_CERTID* id,
                                   const OcspResponseRules& rules) {
  const std::string from = "OCSP responder " + rules.responder;
  const int status = OCSP_response_status(response);
  if (status != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
    return refuse(from + " answered with an error (" + OCSP_response_status_str(status) +
                  ") instead of a status");
  }
  BasicResponsePtr basic(OCSP_response_get1_basic(response));
  if (!basic) {
    return refuse(from + " sent no usable basic response: " + drain_openssl_errors());
  }
  if (rules.nonce_request) {
    const int check = OCSP_check_nonce(rules.nonce_request, basic.get());
    if (check != 1)
      return refuse(from + " sent an answer that was refused: " + nonce_problem(check));
  }
  if (rules.verify_signature) {
    const unsigned long flags = rules.responder_certs ? OCSP_TRUSTOTHER : 0;
    ERR_clear_error();
    if (OCSP_basic_verify(basic.get(), rules.responder_certs, rules.trust, flags) != 1) {
      return refuse(from +
                    " sent an answer whose signature does not verify: " + drain_openssl_errors() +
                    " (the responder certificate must chain to SSLCACertificateFile or be in "
                    "SSLOCSPResponderCertificateFile)");
    }
  }
  int cert_status = V_OCSP_CERTSTATUS_UNKNOWN;
  int reason = -1;
  ASN1_GENERALIZEDTIME* revoked_at = nullptr;
  ASN1_GENERALIZEDTIME* this_update = nullptr;
  ASN1_GENERALIZEDTIME* next_update = nullptr;
  if (OCSP_resp_find_status(basic.get(), id, &cert_status, &reason, &revoked_at, &this_update,
                            &next_update) != 1) {
    ERR_clear_error();
    return refuse(from + " answered, but not about this certificate");
  }
  if (cert_status == V_OCSP_CERTSTATUS_UNKNOWN) {
    return refuse(from + " does not know the certificate (status unknown)");
  }
  ERR_clear_error();
  if (OCSP_check_validity(this_update, next_update, rules.time_skew, rules.max_age) != 1) {
    std::string why = drain_openssl_errors("outside its validity period");
    return refuse(from + " sent a stale or not yet valid answer (" + why + "; thisUpdate " +
                  time_text(this_update) + ", nextUpdate " + time_text(next_update) +
                  "; SSLOCSPResponseTimeSkew " + std::to_string(rules.time_skew) +
                  " s, SSLOCSPResponseMaxAge " +
                  (rules.max_age < 0 ? std::string("any") : std::to_string(rules.max_age) + " s") +
                  ")");
  }
  if (cert_status == V_OCSP_CERTSTATUS_REVOKED) return revoked(rules, reason, revoked_at);
  return {};
}

}  // namespace modssl::tls
