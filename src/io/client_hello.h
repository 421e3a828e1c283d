#pragma once
// OpenSSL callbacks that need httpd: choosing the vhost from SNI before the protocol version
// and cipher are negotiated, ALPN through httpd's protocol API, key logging and tracing.
#include <openssl/ssl.h>

#include "tls/vhost_context.h"

namespace modssl::io {

// The callbacks to install on every vhost context.
tls::ContextCallbacks handshake_callbacks(bool keylog_enabled);

// SSLKEYLOGFILE: opens the file (append) once in the parent; children inherit the descriptor.
// Returns false (and leaves key logging off) when the file cannot be opened.
bool open_keylog_file(const char* path, std::string* error);

}  // namespace modssl::io
