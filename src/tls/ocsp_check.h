#pragma once
// OCSP for client certificates (SSLOCSPEnable and the other SSLOCSP* directives): during
// verification, ask the certificate's responder (or the configured one) whether it is revoked,
// with a time limit, and check the answer's signature, nonce and age.
#include <string>

#include <openssl/x509_vfy.h>

#include "config/server_config.h"

namespace modssl::tls {

struct OcspVerdict {
  bool ok = true;
  // Why not, for the log and SSL_CLIENT_VERIFY (e.g. "certificate revoked (OCSP, reason
  // keyCompromise)", "OCSP responder http://... did not answer within 10 s").
  std::string reason;
  // The X509_V_ERR_* code set on the store when refused (decides the TLS alert).
  int error = 0;
};

// Checks the certificate at `depth` of the chain being verified in `store` (its issuer is at
// depth + 1). Only called when cfg.ocsp.enable is on and, with leaf_only, for depth 0.
OcspVerdict check_ocsp(const config::ServerConfig& cfg, X509_STORE_CTX* store, int depth);

}  // namespace modssl::tls
