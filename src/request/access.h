#pragma once
// The per-directory access check (check_access hook): SSLRequireSSL, and per-directory
// SSLVerifyClient/SSLCipherSuite held closed until renegotiation exists; SSLRequire joins later.
#include "httpd.h"

namespace modssl::request {

int on_check_access(request_rec* r);

}  // namespace modssl::request
