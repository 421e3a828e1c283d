#pragma once
// ssl_var_lookup as other modules and our own hooks see it: the SSL_* variables of the
// connection (vars/), read in the request's directory context (LegacyDNStringFormat), plus the
// request and server variables stock mod_ssl also answers (HTTP_HOST, REMOTE_ADDR, TIME_HOUR,
// ENV:name ...), which SSLUserName, mod_headers' %{..}s and SSLRequire-era configs name.
#include "httpd.h"
#include "vars/variables.h"

namespace modssl::request {

// What the vars layer may read for `c` (and `r`, when there is a request).
vars::Source variable_source(conn_rec* c, request_rec* r);

// The value of `name` in `p`, or nullptr when the variable is unknown or unset.
const char* lookup_variable(apr_pool_t* p, conn_rec* c, request_rec* r, const char* name);

}  // namespace modssl::request
