#pragma once
// SSL_CLIENT_VERIFY: NONE, SUCCESS, GENEROUS or FAILED:<reason>.
#include <string>

#include <openssl/ssl.h>

namespace modssl::vars {

std::string client_verify_text(const SSL* ssl);

}  // namespace modssl::vars
