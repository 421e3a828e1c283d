#pragma once
// Driving the server side of the TLS handshake over the filter chain, and saying clearly why a
// handshake failed.
#include "io/tls_connection.h"

namespace modssl::io {

// Advances the handshake. APR_SUCCESS once application data can flow (or the connection turned
// out to be plain HTTP, see Phase::PlainHttp); APR_EAGAIN when a non-blocking read found no
// data; another status when the handshake failed (logged, connection marked aborted).
apr_status_t drive_handshake(TlsConnection* t, apr_read_type_e block);

// The client's address as "ip:port", for log lines.
const char* client_label(conn_rec* c);

}  // namespace modssl::io
