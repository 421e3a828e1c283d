#pragma once
// Per-directory SSLVerifyClient, SSLVerifyDepth and SSLCipherSuite that ask more of the
// connection than its handshake gave: the connection is upgraded while the request waits,
// by a TLS 1.2 renegotiation or a TLS 1.3 post-handshake certificate request, with the request
// body held in memory meanwhile (SSLRenegBufferSize). A client that cannot be upgraded, or
// does not then meet the directory's demands, gets 403.
#include "adapter/records.h"
#include "httpd.h"
#include "io/tls_connection.h"

namespace modssl::request {

// DECLINED when the connection meets the directory's demands (now or after the upgrade);
// otherwise the HTTP status to answer with (403, or 413 for a body too large to hold).
int upgrade_for_directory(request_rec* r, const DirRecord* dir, io::TlsConnection* t);

}  // namespace modssl::request
