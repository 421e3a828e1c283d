#pragma once
// Clients that take their time over the handshake: a ClientHello sent in pieces with pauses
// between them, each later flight sent after a pause too, or a handshake begun and then left
// hanging. They show what a server does with slow or stalled handshakes (mobile links, lossy
// networks, slowloris-style attacks) while other clients want service.
#include <chrono>
#include <string>

#include "tls_client.h"

namespace modssl::it {

struct PacedOptions {
  std::string path = "/index.html";
  int min_version = 0;  // e.g. TLS1_2_VERSION; 0 = library default
  int max_version = 0;
  int hello_pieces = 4;                        // the ClientHello leaves in this many writes
  std::chrono::milliseconds pause{200};        // between those writes and before each flight
  std::chrono::milliseconds timeout{15000};    // for each socket read and write
};

struct PacedResult {
  HttpResponse response;  // status 0 when none arrived
  std::string error;      // what went wrong, when something did
};

// One HTTPS GET (with "Connection: close") by a client that paces its handshake as above.
PacedResult paced_https_request(int port, const PacedOptions& options = {});

// The bytes of a real ClientHello for "localhost", as a client would send them first.
std::string client_hello_bytes();

// A TCP connection that has sent the first `bytes` bytes of a ClientHello and nothing more; the
// caller closes the returned socket (-1 when the connection failed).
int stalled_handshake(int port, std::size_t bytes);

}  // namespace modssl::it
