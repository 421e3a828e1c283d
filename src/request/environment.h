#pragma once
// fixups: what CGI scripts, SSI pages and other handlers find in the environment of a request
// that came over TLS: HTTPS=on and SSL_TLS_SNI always; the SSL_* variables with SSLOptions
// +StdEnvVars; the PEM certificates with +ExportCertData.
#include "httpd.h"

namespace modssl::request {

int on_fixups(request_rec* r);

}  // namespace modssl::request
