#pragma once
// post_read_request (after mod_setenvif): the plain-HTTP-on-TLS-port answer, the SNI/Host
// checks (421 / 403), and SetEnvIf's shutdown variants.
#include "httpd.h"

namespace modssl::request {

int on_post_read_request(request_rec* r);

}  // namespace modssl::request
