#pragma once
// One TLS connection of the benchmark load client: TCP connect with a bounded wait, TLS
// handshake, HTTP/1.1 GETs, and the close. Blocking sockets with per-call timeouts: the load
// client runs a thread per connection, which keeps each mode a straight loop and costs nothing
// that matters at the few dozen connections a single load core can drive.
#include <netinet/in.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <openssl/ssl.h>

namespace modssl::bench {

struct SslCtxDeleter {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct SslDeleter {
  void operator()(SSL* s) const { SSL_free(s); }
};
struct SessionDeleter {
  void operator()(SSL_SESSION* s) const { SSL_SESSION_free(s); }
};
using CtxPtr = std::unique_ptr<SSL_CTX, SslCtxDeleter>;
using SslPtr = std::unique_ptr<SSL, SslDeleter>;
using SessionPtr = std::unique_ptr<SSL_SESSION, SessionDeleter>;

struct ClientSettings {
  std::string tls = "1.3";  // "1.2", "1.3" or "any"
  bool no_tickets = false;  // TLS 1.2 session-ID resumption (the server's session cache)
  std::string sni = "localhost";
};

// The client context: no certificate verification (the server certificates are made at run time
// and self-signed); the handshake signature is still checked, as every TLS client must.
CtxPtr make_client_ctx(const ClientSettings& settings);

// 127.0.0.1:port
sockaddr_in loopback(int port);

// A connected TCP socket (TCP_NODELAY, blocking, with SO_RCVTIMEO/SO_SNDTIMEO of `timeout`), or
// -1 when the connection is refused or does not complete within `timeout`.
int tcp_connect(const sockaddr_in& addr, std::chrono::milliseconds timeout);

struct Response {
  int status = 0;
  std::uint64_t body_bytes = 0;
  bool server_closes = false;  // "Connection: close" in the response
};

class Connection {
 public:
  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  Connection(Connection&& o) noexcept;
  Connection& operator=(Connection&& o) noexcept;
  ~Connection();

  // Connects and completes the TLS handshake, offering `session` for resumption when non-null.
  // On failure returns false and leaves a reason in error().
  bool open(SSL_CTX* ctx, const sockaddr_in& addr, const std::string& sni,
            std::chrono::milliseconds timeout, SSL_SESSION* session = nullptr);

  // Sends one GET and reads the whole response. `on_bytes` (may be empty) sees each chunk of
  // body bytes as it arrives, so bulk transfers can be counted while they run.
  bool get(const std::string& path, bool keep_alive, Response& out,
           const std::function<void(std::size_t)>& on_bytes = {});

  // Sends close_notify (not waiting for the peer's) and closes the socket.
  void close();

  bool reused() const;
  SessionPtr session() const;  // the newest resumable session (tickets arrive after the handshake)
  std::string protocol() const;
  std::string cipher() const;
  int fd() const { return fd_; }
  // While connected, the socket is also published here, so that another thread can shut it
  // down to end a blocked read when a measurement window closes.
  void publish_fd_to(std::atomic<int>* slot) { slot_ = slot; }
  const std::string& error() const { return error_; }

 private:
  bool read_some(char* buf, int cap, int& got);
  bool fail(const std::string& what);

  int fd_ = -1;
  std::atomic<int>* slot_ = nullptr;
  SslPtr ssl_;
  std::string error_;
  std::string pending_;  // bytes read past the end of the previous response
};

// A ClientHello as the first flight on the wire, for the slow-handshake clients to send in part.
std::string client_hello_bytes(SSL_CTX* ctx, const std::string& sni);

}  // namespace modssl::bench
