#pragma once
// The per-directory access check (check_access hook): SSLRequireSSL now; SSLRequire and the
// per-directory SSLVerifyClient/SSLCipherSuite upgrades join it in later issues.
#include "httpd.h"

namespace modssl::request {

int on_check_access(request_rec* r);

}  // namespace modssl::request
