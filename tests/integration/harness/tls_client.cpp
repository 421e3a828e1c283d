#include "tls_client.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "process.h"
#include "text_search.h"

namespace modssl::it {
namespace {

std::string openssl_errors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

std::string alpn_wire(const std::vector<std::string>& protos) {
  std::string wire;
  for (const auto& p : protos) {
    wire += static_cast<char>(p.size());
    wire += p;
  }
  return wire;
}

}  // namespace

int tcp_connect(int port, std::chrono::milliseconds timeout) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  timeval tv{};
  tv.tv_sec = static_cast<long>(timeout.count() / 1000);
  tv.tv_usec = static_cast<long>((timeout.count() % 1000) * 1000);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr = loopback_address(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

TlsClient::TlsClient(int port, TlsOptions o) {
  ERR_clear_error();
  ctx_ = SSL_CTX_new(TLS_client_method());
  if (o.min_version) SSL_CTX_set_min_proto_version(ctx_, o.min_version);
  if (o.max_version) SSL_CTX_set_max_proto_version(ctx_, o.max_version);
  // The list-valued options, each set only when given. (The set1 functions are macros: wrapped.)
  using Setter = int (*)(SSL_CTX*, const char*);
  const struct {
    const std::string& value;
    Setter set;
    const char* what;
  } lists[] = {
      {o.cipher_list, SSL_CTX_set_cipher_list, "cipher list"},
      {o.ciphersuites, SSL_CTX_set_ciphersuites, "ciphersuites"},
      {o.sigalgs, [](SSL_CTX* c, const char* v) -> int { return SSL_CTX_set1_sigalgs_list(c, v); },
       "sigalgs"},
      {o.groups, [](SSL_CTX* c, const char* v) -> int { return SSL_CTX_set1_groups_list(c, v); },
       "groups"},
  };
  for (const auto& list : lists) {
    if (!list.value.empty() && list.set(ctx_, list.value.c_str()) != 1) {
      error_ = std::string("bad ") + list.what + ": " + openssl_errors();
      return;
    }
  }
  if (!o.ca_file.empty()) {
    SSL_CTX_load_verify_locations(ctx_, o.ca_file.c_str(), nullptr);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
  }
  if (!o.cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx_, o.cert_file.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx_, o.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      error_ = "client certificate " + o.cert_file + ": " + openssl_errors();
      return;
    }
  }
  fd_ = tcp_connect(port, o.timeout);
  if (fd_ < 0) {
    error_ = "connect to 127.0.0.1:" + std::to_string(port) + " failed: " + strerror(errno);
    return;
  }
  ssl_ = SSL_new(ctx_);
  SSL_set_fd(ssl_, fd_);
  if (!o.sni.empty()) SSL_set_tlsext_host_name(ssl_, o.sni.c_str());
  if (!o.alpn.empty()) {
    std::string wire = alpn_wire(o.alpn);
    SSL_set_alpn_protos(ssl_, reinterpret_cast<const unsigned char*>(wire.data()),
                        static_cast<unsigned>(wire.size()));
  }
  if (!o.ca_file.empty() && !o.sni.empty()) SSL_set1_host(ssl_, o.sni.c_str());
  if (o.session) SSL_set_session(ssl_, o.session.get());
  int rc = SSL_connect(ssl_);
  if (rc != 1) {
    error_ = "handshake failed (SSL error " + std::to_string(SSL_get_error(ssl_, rc)) + "): " +
             openssl_errors();
    return;
  }
  ok_ = true;
}

TlsClient::~TlsClient() {
  if (ssl_) SSL_free(ssl_);
  if (ctx_) SSL_CTX_free(ctx_);
  if (fd_ >= 0) close(fd_);
}

std::string TlsClient::version() const { return ssl_ ? SSL_get_version(ssl_) : ""; }

std::string TlsClient::cipher() const {
  const SSL_CIPHER* c = ssl_ ? SSL_get_current_cipher(ssl_) : nullptr;
  return c ? SSL_CIPHER_get_name(c) : "";
}

std::string TlsClient::alpn() const {
  const unsigned char* p = nullptr;
  unsigned len = 0;
  if (ssl_) SSL_get0_alpn_selected(ssl_, &p, &len);
  return p ? std::string(reinterpret_cast<const char*>(p), len) : "";
}

std::string TlsClient::group() const {
  const int nid = ssl_ ? SSL_get_negotiated_group(ssl_) : 0;
  const char* name = nid > 0 ? OBJ_nid2sn(nid) : nullptr;
  return name ? name : "";
}

std::string TlsClient::peer_subject() const {
  X509* cert = ssl_ ? SSL_get1_peer_certificate(ssl_) : nullptr;
  if (!cert) return "";
  BIO* mem = BIO_new(BIO_s_mem());
  X509_NAME_print_ex(mem, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  long n = BIO_get_mem_data(mem, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(mem);
  X509_free(cert);
  return out;
}

std::string TlsClient::peer_key_type() const {
  X509* cert = ssl_ ? SSL_get1_peer_certificate(ssl_) : nullptr;
  if (!cert) return "";
  EVP_PKEY* key = X509_get0_pubkey(cert);
  std::string type = key ? EVP_PKEY_get0_type_name(key) : "";
  X509_free(cert);
  return type;
}

bool TlsClient::verified() const { return ssl_ && SSL_get_verify_result(ssl_) == X509_V_OK; }

bool TlsClient::resumed() const {
  return ssl_ && SSL_session_reused(ssl_) == 1;
}

std::shared_ptr<SSL_SESSION> TlsClient::session() const {
  SSL_SESSION* s = ssl_ ? SSL_get1_session(ssl_) : nullptr;
  // A copy: OpenSSL marks the session of a connection freed without a shutdown as not
  // resumable, and this client is freed without one.
  SSL_SESSION* copy = s ? SSL_SESSION_dup(s) : nullptr;
  SSL_SESSION_free(s);
  return {copy, SSL_SESSION_free};
}

bool TlsClient::write(std::string_view data) {
  while (!data.empty()) {
    int n = SSL_write(ssl_, data.data(), static_cast<int>(std::min<std::size_t>(data.size(), 1 << 20)));
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::string TlsClient::read_some() {
  char buf[16384];
  int n = SSL_read(ssl_, buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

std::string TlsClient::read_to_close() {
  std::string out;
  char buf[65536];
  for (;;) {
    int n = SSL_read(ssl_, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ERR_clear_error();
  return out;
}

bool TlsClient::received_close_notify() const {
  return ssl_ && (SSL_get_shutdown(ssl_) & SSL_RECEIVED_SHUTDOWN);
}

std::vector<HttpResponse> parse_responses(const std::string& data) {
  std::vector<HttpResponse> out;
  std::size_t pos = 0;
  while (pos < data.size()) {
    std::size_t end = data.find("\r\n\r\n", pos);
    if (end == std::string::npos) break;
    HttpResponse r;
    std::string head = data.substr(pos, end - pos);
    std::size_t line_end = head.find("\r\n");
    r.status_line = head.substr(0, line_end);
    if (r.status_line.size() >= 12) r.status = std::atoi(r.status_line.c_str() + 9);
    std::size_t lp = line_end == std::string::npos ? head.size() : line_end + 2;
    while (lp < head.size()) {
      std::size_t le = head.find("\r\n", lp);
      if (le == std::string::npos) le = head.size();
      std::string line = head.substr(lp, le - lp);
      auto colon = line.find(':');
      if (colon != std::string::npos) {
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        r.headers[lower(line.substr(0, colon))] = value;
      }
      lp = le + 2;
    }
    pos = end + 4;
    if (r.headers.count("content-length")) {
      std::size_t len = std::stoul(r.headers["content-length"]);
      if (pos + len > data.size()) break;
      r.body = data.substr(pos, len);
      pos += len;
    } else if (lower(r.header("transfer-encoding")).find("chunked") != std::string::npos) {
      bool complete = false;
      while (pos < data.size()) {
        std::size_t le = data.find("\r\n", pos);
        if (le == std::string::npos) break;
        std::size_t size = std::stoul(data.substr(pos, le - pos), nullptr, 16);
        pos = le + 2;
        if (size == 0) {
          std::size_t trailer_end = data.find("\r\n", pos);
          if (trailer_end == std::string::npos) break;
          pos = trailer_end + 2;
          complete = true;
          break;
        }
        if (pos + size + 2 > data.size()) break;
        r.body += data.substr(pos, size);
        pos += size + 2;
      }
      if (!complete) break;
    } else if (r.status == 204 || r.status == 304 || r.status / 100 == 1) {
      // no body
    } else {
      r.body = data.substr(pos);
      pos = data.size();
    }
    out.push_back(std::move(r));
  }
  return out;
}

HttpResponse https_request(int port, const std::string& path, TlsOptions options,
                           const std::string& host, const std::string& method,
                           const std::string& body) {
  TlsClient client(port, options);
  HttpResponse failed;
  if (!client.ok()) {
    failed.body = client.error();
    return failed;
  }
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: " + host +
                    "\r\nConnection: close\r\n";
  if (!body.empty() || method == "POST" || method == "PUT") {
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n" + body;
  if (!client.write(req)) {
    failed.body = "write failed";
    return failed;
  }
  auto responses = parse_responses(client.read_to_close());
  if (responses.empty()) {
    failed.body = "no complete response";
    return failed;
  }
  return responses.front();
}

}  // namespace modssl::it
