#pragma once
// Does a connection's negotiated cipher satisfy a cipher list given later (per-directory
// SSLCipherSuite)? Answered with the connection's own context, so names and aliases expand
// exactly as they would in a renegotiation.
#include <string>

#include <openssl/ssl.h>

#include "config/result.h"

namespace modssl::tls {

// True when the cipher in use on `ssl` is among those `spec` selects; an error when `spec`
// selects nothing OpenSSL knows.
config::Result<bool> current_cipher_allowed(const SSL* ssl, const std::string& spec);

}  // namespace modssl::tls
