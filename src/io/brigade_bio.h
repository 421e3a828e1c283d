#pragma once
// An OpenSSL BIO over httpd's filter chain: reads take ciphertext from the connection filter
// below the TLS input filter, writes stage ciphertext in a brigade that the TLS filters pass
// down. One BIO serves both directions of a connection.
#include <openssl/bio.h>

#include "io/tls_connection.h"

namespace modssl::io {

// A new BIO bound to `t`; owned by the caller until handed to SSL_set_bio.
BIO* new_brigade_bio(TlsConnection* t);

// Passes the staged ciphertext down, with a FLUSH bucket when `flush` is set.
apr_status_t pass_cipher_out(TlsConnection* t, bool flush);

}  // namespace modssl::io
