// Client-certificate authentication at the server (virtual host) level: every SSLVerifyClient
// mode against valid, chained, expired, unknown-CA and absent client certificates under
// SSLVerifyDepth 1 and 2, over TLS 1.2 and 1.3; SSLCACertificatePath with and without the hash
// links of `openssl rehash`; SSLCADNRequestFile (the CA names a client is shown are not the CAs
// it is trusted by); and the ways a client may try to reach a vhost that requires a certificate
// through one that does not (SNI of one, Host or absolute URI of the other) under each
// SSLVHostSNIPolicy. Each refusal also checks that the protected page's marker never reached
// the client. The expected statuses and SSL_CLIENT_VERIFY values are the stock module's.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "client_certs.h"
#include "http.h"
#include "httpd.h"
#include "process.h"
#include "tls_client.h"

namespace modssl::it {
namespace {

// What one connection got: whether the client's side of the handshake completed, every byte
// of application data, and the responses in them.
struct Seen {
  bool handshake = false;
  std::string error;
  std::string bytes;
  std::vector<HttpResponse> responses;
  int status() const { return responses.empty() ? 0 : responses.front().status; }
  std::string header(const std::string& name) const {
    return responses.empty() ? "" : responses.front().header(name);
  }
  std::string describe() const {
    return (handshake ? "handshake ok" : "handshake failed: " + error) + "; got " +
           std::to_string(bytes.size()) + " bytes: " + bytes.substr(0, 300);
  }
};

// Sends `request` on a new connection and reads until the server closes.
Seen exchange(int port, const TlsOptions& options, const std::string& request) {
  Seen seen;
  TlsClient c(port, options);
  seen.handshake = c.ok();
  seen.error = c.error();
  if (!c.ok()) return seen;
  if (c.write(request)) seen.bytes = c.read_to_close();
  seen.responses = parse_responses(seen.bytes);
  return seen;
}

std::string request_for(const std::string& path, const std::string& host) {
  return "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n";
}

// Client profiles: "valid" (ECDSA from the root), "chained" (from the intermediate, which it
// sends), "expired", "unknown_ca", or "none".
TlsOptions client(const std::string& profile, int version, const std::string& sni = "localhost") {
  TlsOptions o{.sni = sni, .min_version = version, .max_version = version};
  if (profile != "none") {
    const CertFiles& files = client_pki().client(profile == "valid" ? "escaped_ec" : profile);
    o.cert_file = files.cert;
    o.key_file = files.key;
  }
  return o;
}

std::string version_name(int version) {
  return version == TLS1_3_VERSION ? "TLS13" : "TLS12";
}

std::string marker(const std::string& vhost) {
  return "AUTH-MARKER-" + vhost + "-CONTENT";
}

const std::vector<std::string> kModes = {"none", "optional", "require", "optional_no_ca"};
const std::vector<std::string> kProfiles = {"valid", "chained", "expired", "unknown_ca", "none"};

// ---------------------------------------------------------------------------------------------
// One server: a vhost for each verify mode and depth, plus the CA-path and DN-request vhosts.
class ClientAuth : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    h_ = new Httpd();
    Httpd& h = *h_;
    h.load_module("headers");
    const ClientPki& pki = client_pki();
    std::string config = R"(
Header always set X-Verify "%{SSL_CLIENT_VERIFY}s"
Header always set X-Client-S-DN "%{SSL_CLIENT_S_DN}s"
)";
    auto add_vhost = [&](const std::string& name, const std::string& lines) {
      h.write("docs-" + name + "/index.html", marker(name) + "\n");
      config += listen_https(name) +
                tls_virtual_host(name, certificate_lines(pki.server) +
                                           "  DocumentRoot @ROOT@/docs-" + name + "\n" + lines);
    };
    for (const std::string& mode : kModes) {
      for (int depth : {1, 2}) {
        add_vhost(mode + "_d" + std::to_string(depth),
                  "  SSLCACertificateFile " + pki.ca_bundle + "\n  SSLVerifyClient " + mode +
                      "\n  SSLVerifyDepth " + std::to_string(depth) + "\n");
      }
    }
    // A CA directory as `openssl rehash` leaves it (<hash>.0 links), and the same files without
    // the links: OpenSSL looks certificates up in a directory by hash name only.
    for (const char* dir : {"ca-hashed", "ca-plain"}) {
      h.write(std::string(dir) + "/root.pem", read_file(pki.root_ca));
      h.write(std::string(dir) + "/intermediate.pem", read_file(pki.intermediate_ca));
    }
    const ProcessResult rehash = run({"openssl", "rehash", h.path("ca-hashed")});
    rehash_output_ = new std::string(rehash.all());
    add_vhost("capath",
              "  SSLCACertificatePath @ROOT@/ca-hashed\n  SSLVerifyClient require\n"
              "  SSLVerifyDepth 2\n");
    add_vhost("capath_plain",
              "  SSLCACertificatePath @ROOT@/ca-plain\n  SSLVerifyClient require\n"
              "  SSLVerifyDepth 2\n");
    // Trusts the root only, but names the intermediate to clients.
    add_vhost("dnreq", "  SSLCACertificateFile " + pki.root_ca + "\n  SSLCADNRequestFile " +
                           pki.intermediate_ca +
                           "\n  SSLVerifyClient optional\n  SSLVerifyDepth 2\n");
    add_vhost("dnbase", "  SSLCACertificateFile " + pki.root_ca +
                            "\n  SSLVerifyClient optional\n  SSLVerifyDepth 2\n");
    h.configure(config);
    started_ = h.start();
  }
  static void TearDownTestSuite() {
    delete h_;
    h_ = nullptr;
    delete rehash_output_;
    rehash_output_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(started_) << h_->startup_log(); }

  static std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  static Httpd* h_;
  static bool started_;
  static std::string* rehash_output_;
};
Httpd* ClientAuth::h_ = nullptr;
bool ClientAuth::started_ = false;
std::string* ClientAuth::rehash_output_ = nullptr;

// What the stock module does for a mode, depth and client: the SSL_CLIENT_VERIFY value of a
// served request, or "" for a refused connection.
std::string expected_verify(const std::string& mode, int depth, const std::string& profile,
                            int version) {
  if (mode == "none" || profile == "none") return mode == "require" ? "" : "NONE";
  if (profile == "valid") return "SUCCESS";
  if (profile == "chained") return depth >= 2 ? "SUCCESS" : "";
  if (profile == "expired") return "";
  // unknown_ca: optional_no_ca forgives an unknown issuer; what it reports depends on the
  // protocol version.
  if (mode == "optional_no_ca") {
    return version == TLS1_3_VERSION ? "FAILED:unable to verify the first certificate" : "GENEROUS";
  }
  return "";
}

TEST_F(ClientAuth, VerifyMatrix) {
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    for (const std::string& mode : kModes) {
      for (int depth : {1, 2}) {
        const std::string vhost = mode + "_d" + std::to_string(depth);
        for (const std::string& profile : kProfiles) {
          SCOPED_TRACE(version_name(version) + " " + vhost + " client " + profile);
          const Seen seen =
              exchange(h_->port(vhost), client(profile, version), request_for("/", "localhost"));
          const std::string want = expected_verify(mode, depth, profile, version);
          if (want.empty()) {
            EXPECT_EQ(seen.status(), 0) << seen.describe();
            EXPECT_EQ(seen.bytes.find(marker(vhost)), std::string::npos) << seen.describe();
            // TLS 1.2 fails in the handshake; TLS 1.3 clients finish their side first and
            // learn of the refusal from the alert that follows.
            if (version == TLS1_2_VERSION) {
              EXPECT_FALSE(seen.handshake) << seen.describe();
            }
          } else {
            EXPECT_EQ(seen.status(), 200) << seen.describe();
            EXPECT_EQ(seen.header("x-verify"), want) << seen.describe();
            EXPECT_NE(seen.bytes.find(marker(vhost)), std::string::npos) << seen.describe();
          }
        }
      }
    }
  }
}

TEST_F(ClientAuth, RefusalsAreLogged) {
  // The refused certificate is named in the error log (wording is the module's own).
  exchange(h_->port("require_d2"), client("expired", TLS1_2_VERSION), request_for("/", "x"));
  EXPECT_TRUE(h_->wait_for_log("CN=Expired Client", std::chrono::seconds(5))) << h_->error_log();
}

TEST_F(ClientAuth, CaCertificatePathWithHashLinks) {
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    SCOPED_TRACE(version_name(version));
    for (const char* profile : {"valid", "chained"}) {
      const Seen seen =
          exchange(h_->port("capath"), client(profile, version), request_for("/", "localhost"));
      EXPECT_EQ(seen.status(), 200)
          << profile << ": " << seen.describe() << "\nrehash: " << *rehash_output_;
      EXPECT_EQ(seen.header("x-verify"), "SUCCESS") << profile;
    }
    for (const char* profile : {"unknown_ca", "expired", "none"}) {
      const Seen seen =
          exchange(h_->port("capath"), client(profile, version), request_for("/", "localhost"));
      EXPECT_EQ(seen.status(), 0) << profile << ": " << seen.describe();
      EXPECT_EQ(seen.bytes.find(marker("capath")), std::string::npos) << profile;
    }
  }
}

TEST_F(ClientAuth, CaCertificatePathWithoutHashLinksTrustsNobody) {
  // The FAQ's "client authentication broken after upgrading": the files are there, but without
  // <hash>.N names OpenSSL finds no issuer, so even a valid certificate is refused.
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    SCOPED_TRACE(version_name(version));
    for (const char* profile : {"valid", "chained", "none"}) {
      const Seen seen = exchange(h_->port("capath_plain"), client(profile, version),
                                 request_for("/", "localhost"));
      EXPECT_EQ(seen.status(), 0) << profile << ": " << seen.describe();
      EXPECT_EQ(seen.bytes.find(marker("capath_plain")), std::string::npos) << profile;
    }
  }
  EXPECT_TRUE(h_->wait_for_log("unable to get local issuer certificate", std::chrono::seconds(5)))
      << h_->error_log();
}

// The CA names the server sent in its CertificateRequest, as RFC 2253 strings.
std::vector<std::string> acceptable_ca_names(int port, int version,
                                             const std::string& profile = "none") {
  std::vector<std::string> names;
  TlsClient c(port, client(profile, version));
  if (!c.ok()) return {"handshake failed: " + c.error()};
  c.write(request_for("/", "localhost"));
  c.read_to_close();
  const STACK_OF(X509_NAME)* list = SSL_get_client_CA_list(c.ssl());
  for (int i = 0; list && i < sk_X509_NAME_num(list); ++i) {
    char buf[512];
    X509_NAME_oneline(sk_X509_NAME_value(list, i), buf, sizeof buf);
    names.emplace_back(buf);
  }
  return names;
}

constexpr const char* kRootName = "/C=DE/O=modssl test PKI/CN=modssl Test Root CA";
constexpr const char* kIntermediateName = "/C=DE/O=modssl test PKI/CN=modssl Test Intermediate CA";

TEST_F(ClientAuth, CaDnRequestFileNamesOtherCas) {
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    SCOPED_TRACE(version_name(version));
    EXPECT_EQ(acceptable_ca_names(h_->port("dnbase"), version),
              std::vector<std::string>{kRootName});
    EXPECT_EQ(acceptable_ca_names(h_->port("dnreq"), version),
              std::vector<std::string>{kIntermediateName});
    // A directory's names are those of every certificate in it.
    auto from_path = acceptable_ca_names(h_->port("capath"), version, "valid");
    std::sort(from_path.begin(), from_path.end());
    EXPECT_EQ(from_path, (std::vector<std::string>{kIntermediateName, kRootName}));

    // The names are advice only: trust still comes from SSLCACertificateFile (the root).
    const Seen valid =
        exchange(h_->port("dnreq"), client("valid", version), request_for("/", "localhost"));
    EXPECT_EQ(valid.status(), 200) << valid.describe();
    EXPECT_EQ(valid.header("x-verify"), "SUCCESS");
    const Seen unknown =
        exchange(h_->port("dnreq"), client("unknown_ca", version), request_for("/", "localhost"));
    EXPECT_EQ(unknown.status(), 0) << unknown.describe();
    EXPECT_EQ(unknown.bytes.find(marker("dnreq")), std::string::npos);
  }
}

TEST_F(ClientAuth, OpensslSClientShowsTheRequestedNames) {
  const ProcessResult r =
      run({"openssl", "s_client", "-connect", "127.0.0.1:" + std::to_string(h_->port("dnreq")),
           "-servername", "localhost", "-tls1_2"},
          {.stdin_data = "", .timeout = std::chrono::seconds(10)});
  const std::string out = r.out;
  const auto at = out.find("Acceptable client certificate CA names");
  ASSERT_NE(at, std::string::npos) << r.all();
  const std::string names = out.substr(at, out.find("Requested Signature", at) - at);
  EXPECT_NE(names.find("modssl Test Intermediate CA"), std::string::npos) << names;
  EXPECT_EQ(names.find("modssl Test Root CA"), std::string::npos) << names;
}

// ---------------------------------------------------------------------------------------------
// Two name-based vhosts on one port: a.test asks for no certificate, b.test requires one. A
// client that completed its handshake with a.test (by SNI, or by sending none) tries to be
// served b.test's page.
enum class Policy { Default, Strict, Secure, AuthOnly, Insecure };

std::string policy_name(Policy p) {
  switch (p) {
    case Policy::Default:
      return "default";
    case Policy::Strict:
      return "strict";
    case Policy::Secure:
      return "secure";
    case Policy::AuthOnly:
      return "authonly";
    case Policy::Insecure:
      return "insecure";
  }
  return "?";
}

class SniBypass : public ::testing::TestWithParam<std::tuple<Policy, int>> {
 protected:
  static void SetUpTestSuite() {
    for (Policy p :
         {Policy::Default, Policy::Strict, Policy::Secure, Policy::AuthOnly, Policy::Insecure}) {
      auto h = std::make_unique<Httpd>();
      const ClientPki& pki = client_pki();
      h->write("docs-a/index.html", std::string(kMarkerA) + "\n");
      h->write("docs-b/index.html", std::string(kMarkerB) + "\n");
      const std::string policy =
          p == Policy::Default ? "" : "SSLVHostSNIPolicy " + policy_name(p) + "\n";
      h->configure(policy + listen_https("sni") +
                   tls_virtual_host("sni", "  ServerName a.test\n" + certificate_lines(pki.server) +
                                               "  DocumentRoot @ROOT@/docs-a\n") +
                   tls_virtual_host("sni", "  ServerName b.test\n" + certificate_lines(pki.server) +
                                               "  DocumentRoot @ROOT@/docs-b\n"
                                               "  SSLCACertificateFile " +
                                               pki.ca_bundle +
                                               "\n  SSLVerifyClient require\n"
                                               "  SSLVerifyDepth 2\n"));
      const bool ok = h->start();
      servers_[static_cast<int>(p)] = {std::move(h), ok};
    }
  }
  static void TearDownTestSuite() {
    for (auto& s : servers_) s.h.reset();
  }
  void SetUp() override { ASSERT_TRUE(server().ok) << server().h->startup_log(); }
  struct Server {
    std::unique_ptr<Httpd> h;
    bool ok = false;
  };
  static Server& server() { return servers_[static_cast<int>(std::get<0>(GetParam()))]; }
  static Policy policy() { return std::get<0>(GetParam()); }
  static int version() { return std::get<1>(GetParam()); }
  static int port() { return server().h->port("sni"); }
  // Every policy but `insecure` answers a request for a vhost whose TLS setup differs from the
  // handshake's with 421 Misdirected Request; `insecure` hands it to b.test, whose access check
  // then refuses it (403) because the connection carries no certificate b.test verified (a
  // TLS 1.2 renegotiation on a.test's context, which trusts no CA, cannot get one either).
  static int refusal() { return policy() == Policy::Insecure ? 403 : 421; }

  static Seen get(const std::string& profile, const std::string& sni, const std::string& request) {
    return exchange(port(), client(profile, version(), sni), request);
  }

  static constexpr const char* kMarkerA = "VHOST-A-PUBLIC-CONTENT";
  static constexpr const char* kMarkerB = "VHOST-B-SECRET-CONTENT";
  static Server servers_[5];
};
SniBypass::Server SniBypass::servers_[5];

TEST_P(SniBypass, Controls) {
  // a.test serves anyone; b.test its own clients only.
  Seen a = get("none", "a.test", request_for("/", "a.test"));
  EXPECT_EQ(a.status(), 200) << a.describe();
  EXPECT_NE(a.bytes.find(kMarkerA), std::string::npos);
  Seen b = get("valid", "b.test", request_for("/", "b.test"));
  EXPECT_EQ(b.status(), 200) << b.describe();
  EXPECT_NE(b.bytes.find(kMarkerB), std::string::npos);
  Seen refused = get("none", "b.test", request_for("/", "b.test"));
  EXPECT_EQ(refused.status(), 0) << refused.describe();
  EXPECT_EQ(refused.bytes.find(kMarkerB), std::string::npos);
}

TEST_P(SniBypass, SniOfOpenVhostHostOfProtected) {
  for (const char* profile : {"none", "valid", "unknown_ca"}) {
    for (const std::string& host : {std::string("b.test"), std::string("B.TEST"),
                                    std::string("b.test."), "b.test:" + std::to_string(port())}) {
      SCOPED_TRACE(std::string(profile) + " Host: " + host);
      const Seen seen = get(profile, "a.test", request_for("/", host));
      EXPECT_EQ(seen.status(), refusal()) << seen.describe();
      EXPECT_EQ(seen.bytes.find(kMarkerB), std::string::npos) << seen.describe();
    }
  }
}

TEST_P(SniBypass, SniOfOpenVhostAbsoluteUriOfProtected) {
  // The request line's host wins over the Host header.
  for (const char* profile : {"none", "valid"}) {
    SCOPED_TRACE(profile);
    const Seen seen =
        get(profile, "a.test",
            "GET https://b.test/ HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(seen.status(), refusal()) << seen.describe();
    EXPECT_EQ(seen.bytes.find(kMarkerB), std::string::npos) << seen.describe();
  }
}

TEST_P(SniBypass, NoSniHostOfProtected) {
  // Without SNI the handshake is the first vhost's (a.test, no certificate asked for).
  for (const char* profile : {"none", "valid"}) {
    SCOPED_TRACE(profile);
    const Seen seen = get(profile, "", request_for("/", "b.test"));
    EXPECT_EQ(seen.status(), refusal()) << seen.describe();
    EXPECT_EQ(seen.bytes.find(kMarkerB), std::string::npos) << seen.describe();
  }
}

TEST_P(SniBypass, SniOfProtectedHostOfOpen) {
  // The other direction is no bypass; all policies but `insecure` still refuse the mismatch.
  const Seen seen = get("valid", "b.test", request_for("/", "a.test"));
  EXPECT_EQ(seen.status(), policy() == Policy::Insecure ? 200 : 421) << seen.describe();
  EXPECT_EQ(seen.bytes.find(kMarkerB), std::string::npos) << seen.describe();
}

INSTANTIATE_TEST_SUITE_P(All, SniBypass,
                         ::testing::Combine(::testing::Values(Policy::Default, Policy::Strict,
                                                              Policy::Secure, Policy::AuthOnly,
                                                              Policy::Insecure),
                                            ::testing::Values(TLS1_2_VERSION, TLS1_3_VERSION)),
                         [](const ::testing::TestParamInfo<std::tuple<Policy, int>>& info) {
                           return policy_name(std::get<0>(info.param)) + "_" +
                                  version_name(std::get<1>(info.param));
                         });

}  // namespace
}  // namespace modssl::it
