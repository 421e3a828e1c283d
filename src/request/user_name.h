#pragma once
// SSLUserName: the request's user (REMOTE_USER, %u) taken from a variable, typically
// SSL_CLIENT_S_DN_CN, for logs and for authorization that names users.
#include <string>

#include "httpd.h"

namespace modssl::request {

// Sets r->user to the value of `variable`; logs a warning when it has none (no client
// certificate, or no such attribute), leaving r->user as it was, as mod_ssl does.
void set_user_from_variable(request_rec* r, const std::string& variable);

}  // namespace modssl::request
