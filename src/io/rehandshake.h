#pragma once
// A second handshake on an open connection, started by the server while a request waits:
// a TLS 1.2 (or older) renegotiation, or TLS 1.3 post-handshake authentication. The caller has
// already put the new verify mode and cipher list on the SSL object; this drives the exchange
// over the connection's filters, blocking, within the connection's Timeout.
#include <string>

#include "io/tls_connection.h"

namespace modssl::io {

struct RehandshakeResult {
  bool ok = false;
  std::string why;  // when !ok: a sentence for the error log
  // When !ok: the exchange started and failed, so the TLS session cannot carry a response
  // (the client got an alert); the connection is to be dropped without writing more.
  bool broken = false;
};

// TLS <= 1.2: HelloRequest, then the client's new handshake.
RehandshakeResult renegotiate(TlsConnection* t);

// TLS 1.3: CertificateRequest, then the client's Certificate/CertificateVerify/Finished.
// Fails at once (without sending anything) when the client did not offer post-handshake
// authentication in its ClientHello.
RehandshakeResult request_client_certificate(TlsConnection* t);

}  // namespace modssl::io
