#pragma once
// Holding a request body across a renegotiation: a TLS 1.2 renegotiation (or TLS 1.3
// post-handshake authentication) can only start once the client has stopped sending, so the
// body is read into memory first (up to SSLRenegBufferSize) and handed to the handler again
// afterwards by a request input filter just above HTTP_IN (AP_FTYPE_PROTOCOL - 1).
#include "httpd.h"

namespace modssl::io {

// Reads the rest of r's body (dechunked, through r->input_filters) into memory and adds the
// filter that replays it. OK when done (or there is no body); HTTP_REQUEST_ENTITY_TOO_LARGE
// when the body exceeds `limit` bytes; another HTTP status when reading failed. Logs why.
int hold_request_body(request_rec* r, apr_size_t limit);

// Registers the replay filter; called once from register_filters.
void register_body_replay_filter();

}  // namespace modssl::io
