#pragma once
// The socket under a client (from tcp_connect(), or TlsClient::fd()): for tests that send
// garbage or half a handshake, or end TLS, and then watch what the server does with the
// connection.
#include <chrono>

namespace modssl::it {

// The local port of a connected socket: the server logs the client as 127.0.0.1:<this port>.
int local_port(int fd);

// Reads (and discards) until the server closes the connection or resets it (true), or until
// `timeout` passes (false). Leaves the socket's own timeouts alone.
bool closed_by_server(int fd, std::chrono::milliseconds timeout);

}  // namespace modssl::it
