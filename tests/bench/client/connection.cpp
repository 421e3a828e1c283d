#include "connection.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <strings.h>

#include <openssl/err.h>

namespace modssl::bench {
namespace {

std::string openssl_reason() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "no OpenSSL error queued";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

// Case-insensitive search for a header line in the response head; returns its value.
bool header_value(const std::string& head, const char* name, std::string& value) {
  const std::size_t name_len = std::strlen(name);
  std::size_t pos = head.find("\r\n");
  while (pos != std::string::npos && pos + 2 < head.size()) {
    std::size_t line = pos + 2;
    std::size_t end = head.find("\r\n", line);
    if (end == std::string::npos) end = head.size();
    if (end - line > name_len && head[line + name_len] == ':' &&
        strncasecmp(head.data() + line, name, name_len) == 0) {
      std::size_t v = line + name_len + 1;
      while (v < end && (head[v] == ' ' || head[v] == '\t')) ++v;
      value.assign(head, v, end - v);
      return true;
    }
    pos = end;
  }
  return false;
}

}  // namespace

CtxPtr make_client_ctx(const ClientSettings& settings) {
  CtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return ctx;
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  int min = TLS1_2_VERSION, max = TLS1_3_VERSION;
  if (settings.tls == "1.2") max = TLS1_2_VERSION;
  if (settings.tls == "1.3") min = TLS1_3_VERSION;
  SSL_CTX_set_min_proto_version(ctx.get(), min);
  SSL_CTX_set_max_proto_version(ctx.get(), max);
  if (settings.no_tickets) SSL_CTX_set_options(ctx.get(), SSL_OP_NO_TICKET);
  // Sessions are kept by hand (SSL_get1_session) where a mode resumes; no client-side cache.
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  return ctx;
}

sockaddr_in loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

int tcp_connect(const sockaddr_in& addr, std::chrono::milliseconds timeout) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno != EINPROGRESS) {
      ::close(fd);
      return -1;
    }
    pollfd p{fd, POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof err;
    if (poll(&p, 1, static_cast<int>(timeout.count())) != 1 ||
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
      ::close(fd);
      return -1;
    }
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  return fd;
}

Connection::Connection(Connection&& o) noexcept
    : fd_(o.fd_), slot_(o.slot_), ssl_(std::move(o.ssl_)), error_(std::move(o.error_)),
      pending_(std::move(o.pending_)) {
  o.fd_ = -1;
}

Connection& Connection::operator=(Connection&& o) noexcept {
  if (this != &o) {
    close();
    fd_ = o.fd_;
    o.fd_ = -1;
    slot_ = o.slot_;
    ssl_ = std::move(o.ssl_);
    error_ = std::move(o.error_);
    pending_ = std::move(o.pending_);
  }
  return *this;
}

Connection::~Connection() { close(); }

bool Connection::fail(const std::string& what) {
  error_ = what;
  return false;
}

bool Connection::open(SSL_CTX* ctx, const sockaddr_in& addr, const std::string& sni,
                      std::chrono::milliseconds timeout, SSL_SESSION* session) {
  close();
  error_.clear();
  pending_.clear();
  fd_ = tcp_connect(addr, timeout);
  if (fd_ < 0) return fail(std::string("connect: ") + std::strerror(errno));
  if (slot_) slot_->store(fd_);
  ssl_.reset(SSL_new(ctx));
  if (!ssl_) return fail("SSL_new: " + openssl_reason());
  SSL_set_fd(ssl_.get(), fd_);
  if (!sni.empty()) SSL_set_tlsext_host_name(ssl_.get(), sni.c_str());
  if (session) SSL_set_session(ssl_.get(), session);
  int rc = SSL_connect(ssl_.get());
  if (rc != 1) {
    int err = SSL_get_error(ssl_.get(), rc);
    if (err == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK))
      return fail("handshake: timed out");
    if (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
      return fail(std::string("handshake: ") +
                  (errno ? std::strerror(errno) : "connection closed by the server"));
    return fail("handshake: " + openssl_reason());
  }
  return true;
}

bool Connection::read_some(char* buf, int cap, int& got) {
  got = 0;
  int rc = SSL_read(ssl_.get(), buf, cap);
  if (rc > 0) {
    got = rc;
    return true;
  }
  int err = SSL_get_error(ssl_.get(), rc);
  if (err == SSL_ERROR_ZERO_RETURN) return true;  // close_notify: clean end of stream
  if (err == SSL_ERROR_SYSCALL && rc == 0) return true;  // EOF without close_notify
  if (err == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK))
    return fail("read: timed out");
  return fail("read: " + openssl_reason());
}

bool Connection::get(const std::string& path, bool keep_alive, Response& out,
                     const std::function<void(std::size_t)>& on_bytes) {
  out = Response{};
  if (!ssl_) return fail("get: not connected");
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: " +
                              (keep_alive ? "keep-alive" : "close") + "\r\n\r\n";
  if (SSL_write(ssl_.get(), request.data(), static_cast<int>(request.size())) <= 0)
    return fail("write: " + openssl_reason());

  // One buffer per thread: a thread drives one connection at a time, and idle connections
  // (the memory metric) should not each hold a read buffer in the client.
  thread_local char buf[64 * 1024];
  std::string head = std::move(pending_);
  pending_.clear();
  std::size_t head_end;
  while ((head_end = head.find("\r\n\r\n")) == std::string::npos) {
    if (head.size() > 64 * 1024) return fail("response head too long");
    int got = 0;
    if (!read_some(buf, sizeof buf, got)) return false;
    if (got == 0) return fail("connection closed before the response head");
    head.append(buf, static_cast<std::size_t>(got));
  }
  std::string rest = head.substr(head_end + 4);
  head.resize(head_end + 2);
  if (head.size() < 12 || head.compare(0, 5, "HTTP/") != 0) return fail("not an HTTP response");
  out.status = std::atoi(head.c_str() + 9);

  std::string value;
  out.server_closes = header_value(head, "Connection", value) && strcasecmp(value.c_str(), "close") == 0;
  bool has_length = header_value(head, "Content-Length", value);
  std::uint64_t length = has_length ? std::strtoull(value.c_str(), nullptr, 10) : 0;
  if (!has_length && keep_alive && !out.server_closes)
    return fail("keep-alive response without Content-Length");

  auto take = [&](const char* data, std::size_t n) {
    if (has_length && out.body_bytes + n > length) {
      pending_.assign(data + (length - out.body_bytes), n - (length - out.body_bytes));
      n = static_cast<std::size_t>(length - out.body_bytes);
    }
    out.body_bytes += n;
    if (on_bytes && n) on_bytes(n);
  };
  take(rest.data(), rest.size());
  while (!has_length || out.body_bytes < length) {
    int got = 0;
    if (!read_some(buf, sizeof buf, got)) return false;
    if (got == 0) {
      if (has_length) return fail("connection closed inside the body");
      break;
    }
    take(buf, static_cast<std::size_t>(got));
  }
  return true;
}

void Connection::close() {
  if (ssl_) {
    if (fd_ >= 0) SSL_shutdown(ssl_.get());  // our close_notify; the peer's is not awaited
    ssl_.reset();
  }
  if (fd_ >= 0) {
    if (slot_) slot_->store(-1);
    ::close(fd_);
    fd_ = -1;
  }
  ERR_clear_error();
}

bool Connection::reused() const { return ssl_ && SSL_session_reused(ssl_.get()) == 1; }

SessionPtr Connection::session() const {
  if (!ssl_) return nullptr;
  SessionPtr s(SSL_get1_session(ssl_.get()));
  if (s && !SSL_SESSION_is_resumable(s.get())) s.reset();
  return s;
}

std::string Connection::protocol() const { return ssl_ ? SSL_get_version(ssl_.get()) : ""; }

std::string Connection::cipher() const {
  return ssl_ ? SSL_CIPHER_get_name(SSL_get_current_cipher(ssl_.get())) : "";
}

std::string client_hello_bytes(SSL_CTX* ctx, const std::string& sni) {
  SslPtr ssl(SSL_new(ctx));
  if (!ssl) return {};
  BIO* rbio = BIO_new(BIO_s_mem());
  BIO* wbio = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl.get(), rbio, wbio);  // ssl owns both now
  if (!sni.empty()) SSL_set_tlsext_host_name(ssl.get(), sni.c_str());
  SSL_set_connect_state(ssl.get());
  SSL_do_handshake(ssl.get());  // writes the ClientHello, then wants the server's reply
  char* data = nullptr;
  long n = BIO_get_mem_data(wbio, &data);
  std::string hello = n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
  ERR_clear_error();
  return hello;
}

}  // namespace modssl::bench
