#pragma once
// The per-directory access checks of mod_ssl (check_access, check_authn, check_authz hooks):
// SSLRequireSSL, SSLRequire, StrictRequire, per-directory SSLVerifyClient/SSLCipherSuite
// (request/directory_upgrade.h), FakeBasicAuth and SSLUserName.
#include "httpd.h"

namespace modssl::request {

int on_check_access(request_rec* r);
int on_check_authn(request_rec* r);
int on_check_authz(request_rec* r);

}  // namespace modssl::request
