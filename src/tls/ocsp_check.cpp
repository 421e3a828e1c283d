#include "tls/ocsp_check.h"

namespace modssl::tls {

// Placeholder until OCSP support lands: refuse, so that nothing passes unchecked.
OcspVerdict check_ocsp(const config::ServerConfig& /*cfg*/, X509_STORE_CTX* /*store*/,
                       int /*depth*/) {
  return {false, "OCSP checking is not supported yet", X509_V_ERR_APPLICATION_VERIFICATION};
}

}  // namespace modssl::tls
