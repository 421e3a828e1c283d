#pragma once
// A small blocking TLS client on OpenSSL, for tests that need more control than curl gives:
// SNI on/off, ALPN lists, protocol and cipher limits, raw bytes, what the server sent at close.
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/ssl.h>

namespace modssl::it {

struct TlsOptions {
  std::string sni = "localhost";  // empty: send no server_name extension
  std::vector<std::string> alpn;  // empty: no ALPN extension
  int min_version = 0;            // e.g. TLS1_2_VERSION; 0 = library default
  int max_version = 0;
  std::string cipher_list;        // TLS <= 1.2 ciphers; empty = default
  std::string ciphersuites;       // TLS 1.3 suites; empty = default
  std::string groups;             // key-exchange groups, e.g. "X25519:P-384"; empty = default
  std::string sigalgs;            // e.g. "ECDSA+SHA256" to ask for an ECDSA certificate
  std::string ca_file;            // verify the server against this CA when set
  std::string cert_file;          // client certificate (PEM; more certificates after it = chain)
  std::string key_file;           // its key
  std::shared_ptr<SSL_SESSION> session;  // offer this session (from session()) to resume it
  std::chrono::milliseconds timeout{15000};
};

// A TCP connection to 127.0.0.1:port with send/receive timeouts; -1 on failure.
int tcp_connect(int port, std::chrono::milliseconds timeout = std::chrono::seconds(15));

class TlsClient {
 public:
  // Connects and completes the handshake; ok() tells whether it worked, error() why not.
  TlsClient(int port, TlsOptions options = {});
  ~TlsClient();
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }
  SSL* ssl() const { return ssl_; }
  int fd() const { return fd_; }

  std::string version() const;       // "TLSv1.3"
  std::string cipher() const;
  std::string alpn() const;          // "" when none was selected
  std::string group() const;         // key-exchange group ("X25519", "secp384r1"), "" if none
  std::string peer_subject() const;  // RFC 2253 subject of the server's leaf certificate
  std::string peer_key_type() const; // "RSA", "EC"
  bool verified() const;             // the server certificate verified against ca_file
  bool resumed() const;              // the handshake resumed options.session
  // The session to resume in another connection. With TLS 1.3 the server sends it after the
  // handshake: ask after the first response bytes have been read.
  std::shared_ptr<SSL_SESSION> session() const;

  bool write(std::string_view data);
  // Reads what is available now (blocks until something arrives, EOF or timeout).
  std::string read_some();
  // Reads until the server closes (or the timeout passes).
  std::string read_to_close();
  // After read_to_close: did the server send close_notify?
  bool received_close_notify() const;

 private:
  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  bool ok_ = false;
  std::string error_;
};

struct HttpResponse {
  int status = 0;
  std::string status_line;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? "" : it->second;
  }
};

// Splits a byte stream into HTTP/1.x responses (Content-Length, chunked, or until the end).
// Stops at the first incomplete response.
std::vector<HttpResponse> parse_responses(const std::string& data);

// One request on a new connection with "Connection: close": GET unless `method` says otherwise.
// Returns status 0 and the handshake error in body when TLS failed.
HttpResponse https_request(int port, const std::string& path, TlsOptions options = {},
                           const std::string& host = "localhost", const std::string& method = "GET",
                           const std::string& body = "");

}  // namespace modssl::it
