// Per-directory client authentication: a vhost that asks for no certificate, and locations that
// require one (or a stricter cipher, or a shorter chain). The server upgrades the connection
// while it handles the request: a renegotiation over TLS 1.2, post-handshake authentication
// over TLS 1.3. Covers request bodies buffered across the renegotiation (and the
// SSLRenegBufferSize limit), pipelined and keep-alive requests around an upgrade, HTTP/1.0, and
// every way of asking for the protected page without a valid certificate; each refusal also
// checks that the page's marker never reached the client. Statuses are the stock module's.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "cgi.h"
#include "client_certs.h"
#include "httpd.h"
#include "tls_client.h"

namespace modssl::it {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSecret = "UPGRADE-PROTECTED-MARKER";
constexpr const char* kPublic = "UPGRADE-PUBLIC-PAGE";

// A TLS client of its own, for what TlsClient cannot set before its handshake: TLS 1.3
// post-handshake authentication. Server-initiated renegotiation (TLS 1.2) is accepted by an
// OpenSSL client by default, and SSL_read carries it out (SSL_MODE_AUTO_RETRY).
struct ClientSpec {
  std::string profile = "none";  // "valid", "chained", "expired", "unknown_ca", "none"
  int version = TLS1_2_VERSION;
  bool pha = false;         // TLS 1.3: offer post-handshake authentication
  std::string cipher_list;  // TLS 1.2 ciphers
};

class Client {
 public:
  Client(int port, const ClientSpec& spec) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(ctx_, spec.version);
    SSL_CTX_set_max_proto_version(ctx_, spec.version);
    if (!spec.cipher_list.empty()) SSL_CTX_set_cipher_list(ctx_, spec.cipher_list.c_str());
    if (spec.profile != "none") {
      const CertFiles& files =
          client_pki().client(spec.profile == "valid" ? "escaped_ec" : spec.profile);
      if (SSL_CTX_use_certificate_chain_file(ctx_, files.cert.c_str()) != 1 ||
          SSL_CTX_use_PrivateKey_file(ctx_, files.key.c_str(), SSL_FILETYPE_PEM) != 1) {
        error_ = "cannot load " + files.cert;
        return;
      }
    }
    fd_ = tcp_connect(port);
    if (fd_ < 0) {
      error_ = "connect failed";
      return;
    }
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    SSL_set_tlsext_host_name(ssl_, "localhost");
    if (spec.pha) SSL_set_post_handshake_auth(ssl_, 1);
    if (SSL_connect(ssl_) != 1) {
      error_ = "handshake failed";
      return;
    }
    ok_ = true;
  }
  ~Client() {
    if (ssl_) SSL_free(ssl_);
    if (ctx_) SSL_CTX_free(ctx_);
    if (fd_ >= 0) close(fd_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }
  SSL* ssl() const { return ssl_; }
  // Everything received so far on this connection.
  const std::string& received() const { return received_; }

  bool write(const std::string& data) {
    return SSL_write(ssl_, data.data(), static_cast<int>(data.size())) ==
           static_cast<int>(data.size());
  }
  // Reads until `count` whole responses (counted from the start of the connection) have come,
  // or the connection ends. Returns all responses so far.
  std::vector<HttpResponse> read_responses(std::size_t count) {
    for (;;) {
      std::vector<HttpResponse> parsed = parse_responses(received_);
      if (whole(parsed) >= count || closed_) return parsed;
      char buf[16384];
      const int n = SSL_read(ssl_, buf, sizeof buf);
      if (n <= 0) {
        closed_ = true;
        ERR_clear_error();
      } else {
        received_.append(buf, static_cast<std::size_t>(n));
      }
    }
  }
  std::vector<HttpResponse> read_to_close() { return read_responses(1000); }
  bool closed() const { return closed_; }

 private:
  // Responses that are known to be complete (a length or chunked coding), or all once closed.
  std::size_t whole(const std::vector<HttpResponse>& parsed) const {
    std::size_t n = 0;
    for (const HttpResponse& r : parsed) {
      if (!r.headers.count("content-length") && !r.headers.count("transfer-encoding")) break;
      ++n;
    }
    return n;
  }

  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  bool ok_ = false;
  bool closed_ = false;
  std::string error_;
  std::string received_;
};

std::string get(const std::string& path, bool close = true, const std::string& http = "1.1") {
  return "GET " + path + " HTTP/" + http + "\r\nHost: localhost\r\n" +
         (close ? "Connection: close\r\n" : "") + "\r\n";
}

std::string post(const std::string& path, const std::string& body, bool close = true) {
  return "POST " + path +
         " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\n"
         "Content-Length: " +
         std::to_string(body.size()) + "\r\n" + (close ? "Connection: close\r\n" : "") + "\r\n" +
         body;
}

std::string sha256_hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

struct Outcome {
  bool handshake = false;
  std::vector<HttpResponse> responses;
  std::string bytes;
  long renegotiations = 0;
  int status() const { return responses.empty() ? 0 : responses.front().status; }
  std::string describe() const {
    return std::string(handshake ? "" : "handshake failed; ") + "got " +
           std::to_string(bytes.size()) + " bytes: " + bytes.substr(0, 400);
  }
};

// One exchange on a new connection: `request` (maybe several), read to the close.
Outcome exchange(int port, const ClientSpec& spec, const std::string& request) {
  Outcome o;
  Client c(port, spec);
  o.handshake = c.ok();
  if (!c.ok()) return o;
  if (c.write(request)) o.responses = c.read_to_close();
  o.bytes = c.received();
  o.renegotiations = SSL_num_renegotiations(c.ssl());
  return o;
}

std::string version_name(int version) {
  return version == TLS1_3_VERSION ? "TLS13" : "TLS12";
}

class ClientUpgrade : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    h_ = new Httpd();
    Httpd& h = *h_;
    h.load_module("headers");
    const std::string cgi = enable_cgi(h);
    h.write("cgi-bin/sha.cgi", kBodySha256Cgi, 0755);
    for (const char* dir : {"secure", "secure/inner", "depth1", "cipher", "optional"}) {
      h.write(std::string("htdocs/") + dir + "/index.html",
              std::string(kSecret) + " " + dir + "\n");
    }
    h.write("htdocs/public/index.html", std::string(kPublic) + "\n");
    const ClientPki& pki = client_pki();
    h.configure(cgi + R"(
ScriptAlias /upload/ @ROOT@/cgi-bin/
ScriptAlias /upload-small/ @ROOT@/cgi-bin/
ScriptAlias /open-upload/ @ROOT@/cgi-bin/
Header always set X-Verify "%{SSL_CLIENT_VERIFY}s"
Header always set X-Cipher "%{SSL_CIPHER}s"
)" + listen_https("tls") +
                tls_virtual_host("tls", certificate_lines(pki.server) + "  SSLCACertificateFile " +
                                            pki.ca_bundle + R"(
  SSLVerifyClient none
  SSLVerifyDepth 5
  SSLCipherSuite ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384
  SSLHonorCipherOrder on
  <Location /secure>
    SSLVerifyClient require
  </Location>
  <Location /optional>
    SSLVerifyClient optional
  </Location>
  <Location /depth1>
    SSLVerifyClient require
    SSLVerifyDepth 1
  </Location>
  <Location /cipher>
    SSLCipherSuite ECDHE-RSA-AES256-GCM-SHA384
  </Location>
  <Location /upload/>
    SSLVerifyClient require
  </Location>
  <Location /upload-small/>
    SSLVerifyClient require
    SSLRenegBufferSize 1024
  </Location>
)"));
    started_ = h.start();
  }
  static void TearDownTestSuite() {
    delete h_;
    h_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(started_) << h_->startup_log(); }
  static int port() { return h_->port("tls"); }

  static Httpd* h_;
  static bool started_;
};
Httpd* ClientUpgrade::h_ = nullptr;
bool ClientUpgrade::started_ = false;

#define EXPECT_NO_SECRET(outcome) \
  EXPECT_EQ((outcome).bytes.find(kSecret), std::string::npos) << (outcome).describe()

TEST_F(ClientUpgrade, PublicPagesNeedNoCertificate) {
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    const Outcome o = exchange(port(), {.version = version}, get("/public/"));
    EXPECT_EQ(o.status(), 200) << o.describe();
    EXPECT_EQ(o.responses.at(0).header("x-verify"), "NONE");
    EXPECT_EQ(o.renegotiations, 0);
  }
}

TEST_F(ClientUpgrade, Tls12RenegotiatesForAValidCertificate) {
  for (const char* profile : {"valid", "chained"}) {
    const Outcome o = exchange(port(), {.profile = profile}, get("/secure/"));
    EXPECT_EQ(o.status(), 200) << profile << ": " << o.describe();
    EXPECT_NE(o.bytes.find(kSecret), std::string::npos) << o.describe();
    ASSERT_FALSE(o.responses.empty());
    EXPECT_EQ(o.responses[0].header("x-verify"), "SUCCESS");
    EXPECT_GE(o.renegotiations, 1) << "the client saw no renegotiation";
  }
}

// A failed renegotiation ends the connection without any response (stock: AH02261
// "Re-negotiation handshake failed", then an abortive shutdown): no 403.
TEST_F(ClientUpgrade, Tls12WithoutAValidCertificateConnectionIsDropped) {
  for (const char* profile : {"none", "expired", "unknown_ca"}) {
    for (const char* path : {"/secure/", "/secure/inner/", "/secure/inner/index.html",
                             "/secure//index.html", "/SECURE/../secure/"}) {
      SCOPED_TRACE(std::string(profile) + " " + path);
      const Outcome o = exchange(port(), {.profile = profile}, get(path));
      EXPECT_TRUE(o.handshake);
      EXPECT_EQ(o.status(), 0) << o.describe();
      EXPECT_NO_SECRET(o);
    }
  }
}

TEST_F(ClientUpgrade, Tls13PostHandshakeAuthentication) {
  for (const char* profile : {"valid", "chained"}) {
    const Outcome o = exchange(port(), {.profile = profile, .version = TLS1_3_VERSION, .pha = true},
                               get("/secure/"));
    EXPECT_EQ(o.status(), 200) << profile << ": " << o.describe() << h_->error_log();
    EXPECT_NE(o.bytes.find(kSecret), std::string::npos);
    ASSERT_FALSE(o.responses.empty());
    EXPECT_EQ(o.responses[0].header("x-verify"), "SUCCESS");
  }
  // Without a (valid) certificate the connection ends without a response (stock: AH02263
  // "Client certificate missing" / AH02262 "Client verification failed").
  for (const char* profile : {"none", "expired", "unknown_ca"}) {
    SCOPED_TRACE(profile);
    const Outcome o = exchange(port(), {.profile = profile, .version = TLS1_3_VERSION, .pha = true},
                               get("/secure/"));
    EXPECT_EQ(o.status(), 0) << o.describe();
    EXPECT_NO_SECRET(o);
  }
}

TEST_F(ClientUpgrade, Tls13WithoutPostHandshakeAuthIsForbidden) {
  for (const char* profile : {"valid", "none"}) {
    SCOPED_TRACE(profile);
    const Outcome o =
        exchange(port(), {.profile = profile, .version = TLS1_3_VERSION}, get("/secure/"));
    EXPECT_EQ(o.status(), 403) << o.describe();
    EXPECT_NO_SECRET(o);
  }
  // Stock: AH10158 "cannot perform post-handshake authentication".
  EXPECT_TRUE(h_->wait_for_log("post-handshake authentication", 5s)) << h_->error_log();
}

TEST_F(ClientUpgrade, OptionalLocationServesWithAndWithoutCertificate) {
  const Outcome with = exchange(port(), {.profile = "valid"}, get("/optional/"));
  EXPECT_EQ(with.status(), 200) << with.describe();
  ASSERT_FALSE(with.responses.empty());
  EXPECT_EQ(with.responses[0].header("x-verify"), "SUCCESS");
  const Outcome without = exchange(port(), {}, get("/optional/"));
  EXPECT_EQ(without.status(), 200) << without.describe();
  ASSERT_FALSE(without.responses.empty());
  EXPECT_EQ(without.responses[0].header("x-verify"), "NONE");
}

TEST_F(ClientUpgrade, Tls12PostBodySurvivesRenegotiation) {
  const std::string body(900, 'b');
  for (const char* path : {"/upload/sha.cgi", "/upload-small/sha.cgi"}) {
    SCOPED_TRACE(path);
    const Outcome o = exchange(port(), {.profile = "valid"}, post(path, body));
    EXPECT_EQ(o.status(), 200) << o.describe();
    ASSERT_FALSE(o.responses.empty());
    EXPECT_EQ(o.responses[0].body, sha256_hex(body) + "\n");
  }
  // A larger body within the default SSLRenegBufferSize (128 KiB).
  std::string big;
  for (int i = 0; i < 100000; ++i) big += static_cast<char>('a' + i % 26);
  const Outcome o = exchange(port(), {.profile = "valid"}, post("/upload/sha.cgi", big));
  EXPECT_EQ(o.status(), 200) << o.describe();
  ASSERT_FALSE(o.responses.empty());
  EXPECT_EQ(o.responses[0].body, sha256_hex(big) + "\n");
}

TEST_F(ClientUpgrade, Tls12PostBodyOverRenegBufferSize) {
  const std::string body(4096, 'x');
  const Outcome o = exchange(port(), {.profile = "valid"}, post("/upload-small/sha.cgi", body));
  EXPECT_EQ(o.status(), 413) << o.describe();
  EXPECT_EQ(o.bytes.find(sha256_hex(body)), std::string::npos) << o.describe();
  EXPECT_TRUE(h_->wait_for_log("request body exceeds maximum size (1024)", 5s)) << h_->error_log();
}

TEST_F(ClientUpgrade, PostWithoutCertificateIsForbidden) {
  const std::string body(500, 'p');
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    SCOPED_TRACE(version_name(version));
    const Outcome o =
        exchange(port(), {.version = version, .pha = true}, post("/upload/sha.cgi", body));
    EXPECT_EQ(o.status(), 0) << o.describe();
    EXPECT_EQ(o.bytes.find(sha256_hex(body)), std::string::npos) << o.describe();
  }
}

TEST_F(ClientUpgrade, Tls13PostWithPostHandshakeAuth) {
  // The body is buffered for post-handshake authentication too, with the same limit.
  const std::string body(3000, 'q');
  const ClientSpec spec{.profile = "valid", .version = TLS1_3_VERSION, .pha = true};
  const Outcome o = exchange(port(), spec, post("/upload/sha.cgi", body));
  EXPECT_EQ(o.status(), 200) << o.describe();
  ASSERT_FALSE(o.responses.empty());
  EXPECT_EQ(o.responses[0].body, sha256_hex(body) + "\n");
  const Outcome over = exchange(port(), spec, post("/upload-small/sha.cgi", body));
  EXPECT_EQ(over.status(), 413) << over.describe();
  EXPECT_EQ(over.bytes.find(sha256_hex(body)), std::string::npos) << over.describe();
}

TEST_F(ClientUpgrade, PipelinedRequestAfterTheUpgrade) {
  const Outcome o =
      exchange(port(), {.profile = "valid"}, get("/secure/", false) + get("/public/", true));
  // Stock answers the first request and closes: AH02259 "insecure SSL re-negotiation required,
  // but a pipelined request is present; keepalive disabled". The pipelined request is dropped.
  ASSERT_EQ(o.responses.size(), 1u) << o.describe();
  EXPECT_EQ(o.responses[0].status, 200) << o.describe();
  EXPECT_EQ(o.responses[0].header("connection"), "close");
  EXPECT_EQ(o.bytes.find(kPublic), std::string::npos);
  EXPECT_TRUE(h_->wait_for_log("a pipelined request is present; keepalive disabled", 5s))
      << h_->error_log();
}

TEST_F(ClientUpgrade, PipelinedProtectedRequestsWithoutCertificate) {
  const Outcome o =
      exchange(port(), {}, get("/public/", false) + get("/secure/", false) + get("/secure/", true));
  ASSERT_EQ(o.responses.size(), 1u) << o.describe();
  EXPECT_EQ(o.responses[0].status, 200) << o.describe();
  EXPECT_NE(o.bytes.find(kPublic), std::string::npos);
  EXPECT_NO_SECRET(o);
}

TEST_F(ClientUpgrade, KeepAliveProtectedAfterUpgradeWithoutCertificate) {
  // /optional/ upgrades the connection and serves a client without a certificate; asking for
  // /secure/ next on the same connection must not pass on the strength of that upgrade.
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    SCOPED_TRACE(version_name(version));
    Client c(port(), {.version = version, .pha = true});
    ASSERT_TRUE(c.ok()) << c.error();
    ASSERT_TRUE(c.write(get("/optional/", false)));
    auto r = c.read_responses(1);
    ASSERT_EQ(r.size(), 1u) << c.received();
    EXPECT_EQ(r[0].status, 200);
    EXPECT_EQ(r[0].header("x-verify"), "NONE");
    if (c.write(get("/secure/", false))) r = c.read_responses(2);
    if (version == TLS1_2_VERSION) {
      // A second renegotiation, which fails without a certificate: the connection ends.
      EXPECT_EQ(r.size(), 1u) << c.received();
      EXPECT_TRUE(c.closed());
    } else {
      // TLS 1.3: the one post-handshake authentication is spent; 403 and the connection stays.
      ASSERT_EQ(r.size(), 2u) << c.received();
      EXPECT_EQ(r[1].status, 403);
      EXPECT_FALSE(c.closed());
    }
    EXPECT_EQ(c.received().find("UPGRADE-PROTECTED-MARKER secure"), std::string::npos)
        << c.received();
  }
}

TEST_F(ClientUpgrade, KeepAliveAfterSuccessfulUpgrade) {
  Client c(port(), {.profile = "valid"});
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.write(get("/secure/", false)));
  auto r = c.read_responses(1);
  ASSERT_EQ(r.size(), 1u) << c.received();
  EXPECT_EQ(r[0].status, 200);
  const long after_first = SSL_num_renegotiations(c.ssl());
  EXPECT_GE(after_first, 1);
  ASSERT_TRUE(c.write(get("/secure/inner/", true)));
  r = c.read_to_close();
  ASSERT_EQ(r.size(), 2u) << c.received();
  EXPECT_EQ(r[1].status, 200);
  // The connection already carries a verified certificate: no second renegotiation.
  EXPECT_EQ(SSL_num_renegotiations(c.ssl()), after_first);
}

TEST_F(ClientUpgrade, Http10) {
  const Outcome ok = exchange(port(), {.profile = "valid"}, get("/secure/", false, "1.0"));
  EXPECT_EQ(ok.status(), 200) << ok.describe();
  const Outcome refused = exchange(port(), {}, get("/secure/", false, "1.0"));
  EXPECT_EQ(refused.status(), 0) << refused.describe();
  EXPECT_NO_SECRET(refused);
  // HTTP/1.0 without a Host header, after sending SNI: 400 before any access check.
  for (const char* profile : {"none", "valid"}) {
    const Outcome bare = exchange(port(), {.profile = profile}, "GET /secure/ HTTP/1.0\r\n\r\n");
    EXPECT_EQ(bare.status(), 400) << bare.describe();
    EXPECT_NO_SECRET(bare);
  }
}

TEST_F(ClientUpgrade, PerDirectoryCipherSuiteRenegotiates) {
  const ClientSpec spec{.cipher_list = "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384"};
  const Outcome before = exchange(port(), spec, get("/public/"));
  ASSERT_EQ(before.status(), 200) << before.describe();
  EXPECT_EQ(before.responses[0].header("x-cipher"), "ECDHE-RSA-AES128-GCM-SHA256");
  const Outcome o = exchange(port(), spec, get("/cipher/"));
  EXPECT_EQ(o.status(), 200) << o.describe();
  ASSERT_FALSE(o.responses.empty());
  EXPECT_EQ(o.responses[0].header("x-cipher"), "ECDHE-RSA-AES256-GCM-SHA384");
  EXPECT_GE(o.renegotiations, 1);
  // A client that cannot offer the stricter cipher is refused.
  const Outcome weak =
      exchange(port(), {.cipher_list = "ECDHE-RSA-AES128-GCM-SHA256"}, get("/cipher/"));
  EXPECT_NE(weak.status(), 200) << weak.describe();
  EXPECT_NO_SECRET(weak);
}

// Once upgraded, the connection meets the directory: keep-alive requests to it are served
// without another renegotiation.
TEST_F(ClientUpgrade, PerDirectoryCipherSuiteRenegotiatesOncePerConnection) {
  Client c(port(), {.cipher_list = "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384"});
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_TRUE(c.write(get("/cipher/", false)));
  auto r = c.read_responses(1);
  ASSERT_EQ(r.size(), 1u) << c.received();
  EXPECT_EQ(r[0].status, 200);
  const long after_first = SSL_num_renegotiations(c.ssl());
  EXPECT_GE(after_first, 1);
  ASSERT_TRUE(c.write(get("/cipher/", false)));
  r = c.read_responses(2);
  ASSERT_EQ(r.size(), 2u) << c.received();
  EXPECT_EQ(r[1].status, 200);
  EXPECT_EQ(r[1].header("x-cipher"), "ECDHE-RSA-AES256-GCM-SHA384");
  EXPECT_EQ(SSL_num_renegotiations(c.ssl()), after_first);
}

TEST_F(ClientUpgrade, PerDirectoryVerifyDepth) {
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    SCOPED_TRACE(version_name(version));
    const Outcome valid =
        exchange(port(), {.profile = "valid", .version = version, .pha = true}, get("/depth1/"));
    EXPECT_EQ(valid.status(), 200) << valid.describe();
    const Outcome chained =
        exchange(port(), {.profile = "chained", .version = version, .pha = true}, get("/depth1/"));
    EXPECT_EQ(chained.status(), 0) << chained.describe();
    EXPECT_NO_SECRET(chained);
  }
}

}  // namespace
}  // namespace modssl::it
