#pragma once
// mod_authz_core providers: "Require ssl" (the request came over TLS) and
// "Require ssl-verify-client" (with a client certificate that verified).
#include "apr_pools.h"

namespace modssl::request {

void register_authz_providers(apr_pool_t* p);

}  // namespace modssl::request
