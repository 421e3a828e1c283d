#pragma once
// Certificate revocation lists for client certificates: SSLCARevocationFile/Path loaded into a
// context's trust store and SSLCARevocationCheck turned into OpenSSL's CRL flags, once at
// start-up; and the one verdict OpenSSL cannot make itself (no_crl_for_cert_ok).
#include <string>
#include <vector>

#include <openssl/ssl.h>

#include "config/result.h"
#include "config/server_config.h"

namespace modssl::tls {

// Loads the vhost's CRLs into `ctx`'s store and sets the store's CRL flags. Unreadable or
// invalid CRL files stop start-up (naming the file and OpenSSL's reason); a check mode without
// any CRL source, or CRLs without a check mode, are worth a warning.
config::Status configure_crl_checking(SSL_CTX* ctx, const config::ServerConfig& cfg,
                                      const std::string& vhost_id,
                                      std::vector<std::string>& warnings);

// Whether OpenSSL's verdict `err` on a certificate is forgiven by the CRL settings
// (SSLCARevocationCheck ... no_crl_for_cert_ok forgives X509_V_ERR_UNABLE_TO_GET_CRL).
bool crl_error_forgiven(const config::ServerConfig& cfg, int err);

}  // namespace modssl::tls
