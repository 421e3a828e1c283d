#pragma once
// ACME tls-alpn-01 (RFC 8737): when ALPN switched a connection to a challenge protocol such as
// "acme-tls/1", another module (mod_md) may answer with a certificate of its own for the SNI
// name, through httpd's ssl_answer_challenge hook. The handshake then presents that one.
#include <openssl/ssl.h>

#include "io/tls_connection.h"

namespace modssl::io {

// Asks the hook and, when a module answers, puts its certificate and key on `ssl`. False when
// an answer was given but cannot be used (logged); the handshake must then fail.
bool present_challenge_certificate(TlsConnection* t, SSL* ssl);

}  // namespace modssl::io
