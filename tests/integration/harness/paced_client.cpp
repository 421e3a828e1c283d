#include "paced_client.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace modssl::it {
namespace {

bool send_all(int fd, const char* data, std::size_t len) {
  while (len > 0) {
    const ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
    if (n <= 0) return false;
    data += n;
    len -= static_cast<std::size_t>(n);
  }
  return true;
}

// A TLS client over memory BIOs: OpenSSL never touches the socket, so the test decides when
// each byte leaves.
class PacedConnection {
 public:
  PacedConnection(int fd, const PacedOptions& o) : fd_(fd), o_(o) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (o.min_version) SSL_CTX_set_min_proto_version(ctx_, o.min_version);
    if (o.max_version) SSL_CTX_set_max_proto_version(ctx_, o.max_version);
    ssl_ = SSL_new(ctx_);
    in_ = BIO_new(BIO_s_mem());
    out_ = BIO_new(BIO_s_mem());
    SSL_set_bio(ssl_, in_, out_);
    SSL_set_tlsext_host_name(ssl_, "localhost");
    SSL_set_connect_state(ssl_);
  }
  ~PacedConnection() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
  }
  PacedConnection(const PacedConnection&) = delete;
  PacedConnection& operator=(const PacedConnection&) = delete;

  // Sends what OpenSSL wrote, in `pieces` writes with a pause before each but the first.
  bool send_pending(int pieces) {
    char* data = nullptr;
    const long len = BIO_get_mem_data(out_, &data);
    if (len <= 0) return true;
    const std::size_t total = static_cast<std::size_t>(len);
    const std::size_t step = std::max<std::size_t>(1, total / static_cast<std::size_t>(pieces));
    for (std::size_t off = 0; off < total; off += step) {
      if (off > 0) std::this_thread::sleep_for(o_.pause);
      if (!send_all(fd_, data + off, std::min(step, total - off))) return false;
    }
    (void)BIO_reset(out_);
    return true;
  }
  bool has_output() const { return BIO_ctrl_pending(out_) > 0; }

  // Feeds what the socket has into OpenSSL; false on EOF, error or timeout.
  bool receive() {
    char buf[16384];
    const ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return false;
    BIO_write(in_, buf, static_cast<int>(n));
    return true;
  }

  bool handshake(std::string* error) {
    bool hello_sent = false;
    for (;;) {
      const int rc = SSL_do_handshake(ssl_);
      if (has_output()) {
        if (hello_sent) std::this_thread::sleep_for(o_.pause);
        if (!send_pending(hello_sent ? 1 : o_.hello_pieces)) return fail(error, "send failed");
        hello_sent = true;
      }
      if (rc == 1) return true;
      if (SSL_get_error(ssl_, rc) != SSL_ERROR_WANT_READ) return fail(error, "handshake failed");
      if (!receive()) return fail(error, "the server closed or timed out during the handshake");
    }
  }

  bool write(const std::string& data) {
    if (SSL_write(ssl_, data.data(), static_cast<int>(data.size())) <= 0) return false;
    return send_pending(1);
  }

  std::string read_to_close() {
    std::string got;
    char buf[16384];
    for (;;) {
      int n = 0;
      while ((n = SSL_read(ssl_, buf, sizeof buf)) > 0) got.append(buf, static_cast<std::size_t>(n));
      if (SSL_get_error(ssl_, n) != SSL_ERROR_WANT_READ || !receive()) return got;
    }
  }

 private:
  static bool fail(std::string* error, const char* what) {
    *error = what;
    if (unsigned long e = ERR_get_error()) {
      char buf[256];
      ERR_error_string_n(e, buf, sizeof buf);
      *error += std::string(": ") + buf;
    }
    ERR_clear_error();
    return false;
  }

  int fd_;
  PacedOptions o_;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  BIO* in_ = nullptr;
  BIO* out_ = nullptr;
};

}  // namespace

PacedResult paced_https_request(int port, const PacedOptions& o) {
  PacedResult result;
  const int fd = tcp_connect(port, o.timeout);
  if (fd < 0) {
    result.error = "connect failed";
    return result;
  }
  {
    PacedConnection c(fd, o);
    if (c.handshake(&result.error)) {
      std::this_thread::sleep_for(o.pause);
      if (!c.write("GET " + o.path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")) {
        result.error = "sending the request failed";
      } else {
        auto responses = parse_responses(c.read_to_close());
        if (responses.empty()) {
          result.error = "no response";
        } else {
          result.response = responses.front();
        }
      }
    }
  }
  close(fd);
  return result;
}

std::string client_hello_bytes() {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL* ssl = SSL_new(ctx);
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl, in, out);
  SSL_set_tlsext_host_name(ssl, "localhost");
  SSL_connect(ssl);  // wants the ServerHello now; the ClientHello is in `out`
  char* data = nullptr;
  const long n = BIO_get_mem_data(out, &data);
  std::string hello(data, static_cast<std::size_t>(std::max(0L, n)));
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  return hello;
}

int stalled_handshake(int port, std::size_t bytes) {
  static const std::string hello = client_hello_bytes();
  const int fd = tcp_connect(port, std::chrono::seconds(30));
  if (fd < 0) return -1;
  if (!send_all(fd, hello.data(), std::min(bytes, hello.size()))) {
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace modssl::it
