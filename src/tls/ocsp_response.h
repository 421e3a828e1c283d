#pragma once
// Judging an OCSP response for one certificate: status, signature, nonce, freshness, and the
// certificate's status in it, turned into a verdict with a reason an administrator can act on.
// Separate from the network exchange so that it can be tested with responses built in memory.
#include <string>

#include <openssl/ocsp.h>
#include <openssl/x509_vfy.h>

#include "tls/ocsp_check.h"

namespace modssl::tls {

struct OcspResponseRules {
  std::string responder;                       // the URI asked, for messages
  X509_STORE* trust = nullptr;                 // verifies the responder's signature
  STACK_OF(X509) * responder_certs = nullptr;  // SSLOCSPResponderCertificateFile: trusted signers
  bool verify_signature = true;                // false with SSLOCSPNoVerify on
  OCSP_REQUEST* nonce_request = nullptr;       // the request whose nonce must come back, or null
  long time_skew = 300;                        // SSLOCSPResponseTimeSkew
  long max_age = -1;                           // SSLOCSPResponseMaxAge (-1: any)
};

// `id` identifies the certificate asked about.
OcspVerdict evaluate_ocsp_response(OCSP_RESPONSE* response, OCSP_CERTID* id,
                                   const OcspResponseRules& rules);

}  // namespace modssl::tls
