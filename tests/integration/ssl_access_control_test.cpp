// Access control by mod_ssl: SSLRequireSSL, SSLRequire (the compat expression syntax with its
// integer comparisons, file(), PeerExtList() and non-SSL variables), StrictRequire with
// `Satisfy any`, FakeBasicAuth (and its spoof check), SSLUserName, and the authz providers
// `Require ssl` and `Require ssl-verify-client`. One server (plain HTTP and TLS, client
// certificates optional) carries every location; the statuses are the stock module's.
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <openssl/ssl.h>

#include "cgi.h"
#include "http.h"
#include "httpd.h"
#include "tls_client.h"

namespace modssl::it {
namespace {

using namespace std::chrono_literals;

// The CGI that shows what a request's environment holds: NAME=value lines (newlines inside a
std::string base64(const std::string& in) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < in.size(); i += 3) {
    unsigned n = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) n |= static_cast<unsigned char>(in[i + 1]) << 8;
    if (i + 2 < in.size()) n |= static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < in.size() ? kAlphabet[n & 63] : '=';
  }
  return out;
}

std::string basic_auth(const std::string& user, const std::string& password) {
  return "Authorization: Basic " + base64(user + ":" + password);
}

// One request with "Connection: close" and `headers` (whole lines without CRLF).
std::string request_text(const std::string& path, const std::vector<std::string>& headers,
                         const std::string& host) {
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n";
  for (const std::string& line : headers) req += line + "\r\n";
  return req + "\r\n";
}

// What a TLS client presents and how it connects.
struct Client {
  const CertFiles* cert = nullptr;  // no client certificate when null
  int max_version = 0;
  std::string cipher_list;
  std::vector<std::string> headers;
  std::string host = "localhost";
};

HttpResponse tls_get(int port, const std::string& path, const Client& client = {}) {
  TlsOptions options{.max_version = client.max_version, .cipher_list = client.cipher_list};
  if (client.cert) {
    options.cert_file = client.cert->cert;
    options.key_file = client.cert->key;
  }
  TlsClient c(port, options);
  HttpResponse failed;
  if (!c.ok()) {
    failed.body = "handshake failed: " + c.error();
    return failed;
  }
  if (!c.write(request_text(path, client.headers, client.host))) {
    failed.body = "write failed";
    return failed;
  }
  auto responses = parse_responses(c.read_to_close());
  if (responses.empty()) {
    failed.body = "no complete response";
    return failed;
  }
  return responses.front();
}

testing::CertOptions person(const std::string& cn) {
  return {.common_name = cn,
          .dns_names = {},
          .subject = {{"C", "DE"}, {"O", "modssl tests"}, {"CN", cn}}};
}

// The OpenSSL one-line form of person(cn)'s subject, which FakeBasicAuth uses as the user name.
std::string person_dn(const std::string& cn) {
  return "/C=DE/O=modssl tests/CN=" + cn;
}

// DES crypt() of "password": the password FakeBasicAuth's user file must hold.
constexpr const char* kFakePasswordHash = "xxj31ZMTZzkVA";

class SslAccess : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    h_ = std::make_unique<Httpd>();
    Httpd& h = *h_;
    for (const char* m :
         {"auth_basic", "authn_core", "authn_file", "authz_user", "access_compat"}) {
      h.load_module(m);
    }
    const std::string cgi = enable_cgi(h);
    alice_ = new CertFiles(h.make_cert("alice", person("alice")));
    bob_ = new CertFiles(h.make_cert("bob", person("bob")));
    carol_ = new CertFiles(h.make_cert("carol", person("carol")));
    testing::CertOptions dave = person("dave");
    dave.extensions = {{"nsComment", "dave"}};
    dave_ = new CertFiles(h.make_cert("dave", dave));
    stranger_ = new CertFiles(h.make_self_signed_cert("stranger", person("stranger")));

    for (const char* dir : {"ssl-only",          "req/cn",       "req/cn/sub",
                            "req/regex",         "req/keysize",  "req/keysize-int",
                            "req/logic",         "req/verified", "req/file-yes",
                            "req/file-no",       "req/addr",     "req/addr-no",
                            "req/host",          "req/wday",     "req/wday-no",
                            "req/ext",           "req/multi",    "strict/ssl",
                            "strict/ssl-strict", "strict/expr",  "strict/expr-strict",
                            "authz/ssl",         "authz/verify", "authz/all",
                            "authz/any",         "htreq",        "htopt"}) {
      h.write(std::string("htdocs/") + dir + "/index.html", std::string("page ") + dir + "\n");
    }
    h.write("htdocs/htreq/.htaccess", "SSLRequireSSL\n");
    h.write("htdocs/htopt/.htaccess", "SSLRequireSSL\n");
    h.write("policy/open.txt", "the door is open\n");
    h.write("policy/closed.txt", "the door is shut\n");
    for (const char* dir : {"fake", "fakeuser", "fakename", "un"}) {
      h.write(std::string("cgi-bin/") + dir + "/env.cgi", kEnvironmentCgi, 0755);
    }
    // The FakeBasicAuth file holds DNs; htpasswd hashes the StrictRequire user's password.
    h.write("auth/fake.users", person_dn("alice") + ":" + kFakePasswordHash + "\n" +
                                   person_dn("bob") + ":" + kFakePasswordHash + "\n");
    ProcessResult pw = run({"htpasswd", "-b", "-c", h.path("auth/users"), "sam", "secret"});
    ASSERT_EQ(pw.exit_code, 0) << pw.all();
    chmod(h.path("auth/users").c_str(), 0644);

    CertFiles server = h.make_cert("localhost");
    h.configure(listen_https("tls") + listen_https("noca") + R"(
Listen 127.0.0.1:@PORT:http@
SSLVerifyClient optional
SSLVerifyDepth 3
SSLCACertificateFile )" +
                h.ca_file() + R"(
LogFormat "%u|%r|%>s" userlog
CustomLog @ROOT@/logs/user.log userlog
)" + cgi + R"(
<Location /ssl-only>
  SSLRequireSSL
</Location>
<Directory @ROOT@/htdocs/htreq>
  AllowOverride AuthConfig
</Directory>
<Directory @ROOT@/htdocs/htopt>
  AllowOverride Options
</Directory>

<Location /req/cn>
  SSLRequire %{SSL_CLIENT_S_DN_CN} in {"alice", "bob"}
</Location>
<Location /req/cn/sub>
  SSLRequire %{SSL_CLIENT_S_DN_CN} eq "bob"
</Location>
<Location /req/regex>
  SSLRequire %{SSL_CLIENT_S_DN_O} =~ m/^modssl/ and %{SSL_CLIENT_S_DN_CN} =~ m/^a/
</Location>
<Location /req/keysize>
  SSLRequire %{SSL_CIPHER_USEKEYSIZE} >= 256
</Location>
<Location /req/keysize-int>
  SSLRequire %{SSL_CIPHER_USEKEYSIZE} < 64
</Location>
<Location /req/logic>
  SSLRequire (%{SSL_CLIENT_S_DN_CN} eq "alice" or %{SSL_CLIENT_S_DN_CN} eq "bob") \
             and !(%{SSL_CLIENT_S_DN_CN} eq "bob")
</Location>
<Location /req/verified>
  SSLRequire %{SSL_CLIENT_VERIFY} eq "SUCCESS"
</Location>
<Location /req/file-yes>
  SSLRequire file("@ROOT@/policy/open.txt") =~ /open/
</Location>
<Location /req/file-no>
  SSLRequire file("@ROOT@/policy/closed.txt") =~ /open/
</Location>
<Location /req/addr>
  SSLRequire %{REMOTE_ADDR} =~ m/^127\./
</Location>
<Location /req/addr-no>
  SSLRequire %{REMOTE_ADDR} =~ m/^10\./
</Location>
<Location /req/host>
  SSLRequire %{HTTP_HOST} eq "localhost"
</Location>
<Location /req/wday>
  SSLRequire %{TIME_WDAY} >= 0 and %{TIME_WDAY} <= 6
</Location>
<Location /req/wday-no>
  SSLRequire %{TIME_WDAY} > 6
</Location>
<Location /req/ext>
  SSLRequire %{SSL_CLIENT_S_DN_CN} in PeerExtList("nsComment")
</Location>
<Location /req/multi>
  SSLRequire %{SSL_CLIENT_S_DN_CN} in {"alice", "bob"}
  SSLRequire %{SSL_CLIENT_S_DN_CN} ne "bob"
</Location>

<Location /strict>
  AuthType Basic
  AuthName strict
  AuthBasicProvider file
  AuthUserFile @ROOT@/auth/users
  Require valid-user
  Satisfy any
</Location>
<Location /strict/ssl>
  SSLRequireSSL
</Location>
<Location /strict/ssl-strict>
  SSLRequireSSL
  SSLOptions +StrictRequire
</Location>
<Location /strict/expr>
  SSLRequire %{SSL_CLIENT_S_DN_CN} eq "nobody"
</Location>
<Location /strict/expr-strict>
  SSLRequire %{SSL_CLIENT_S_DN_CN} eq "nobody"
  SSLOptions +StrictRequire
</Location>

<Directory @ROOT@/cgi-bin/fake>
  SSLOptions +FakeBasicAuth
  AuthType Basic
  AuthName fake
  AuthBasicProvider file
  AuthUserFile @ROOT@/auth/fake.users
  Require valid-user
</Directory>
<Directory @ROOT@/cgi-bin/fakeuser>
  SSLOptions +FakeBasicAuth
  AuthType Basic
  AuthName fake
  AuthBasicProvider file
  AuthUserFile @ROOT@/auth/fake.users
  Require user "/C=DE/O=modssl tests/CN=alice"
</Directory>
<Directory @ROOT@/cgi-bin/fakename>
  SSLOptions +FakeBasicAuth
  SSLUserName SSL_CLIENT_S_DN_CN
  AuthType Basic
  AuthName fake
  AuthBasicProvider file
  AuthUserFile @ROOT@/auth/fake.users
  Require valid-user
</Directory>
<Directory @ROOT@/cgi-bin/un>
  SSLUserName SSL_CLIENT_S_DN_CN
</Directory>

<Location /authz/ssl>
  Require ssl
</Location>
<Location /authz/verify>
  Require ssl-verify-client
</Location>
<Location /authz/all>
  <RequireAll>
    Require ssl
    Require ssl-verify-client
    Require ip 127.0.0.1
  </RequireAll>
</Location>
<Location /authz/any>
  <RequireAny>
    Require ssl-verify-client
    Require expr "%{QUERY_STRING} == 'open'"
  </RequireAny>
</Location>
)" + tls_virtual_host("tls", certificate_lines(server)) +
                tls_virtual_host("noca",
                                 certificate_lines(server) + "  SSLVerifyClient optional_no_ca\n"));
    started_ = h.start();
  }

  static void TearDownTestSuite() {
    h_.reset();
    for (CertFiles** c : {&alice_, &bob_, &carol_, &dave_, &stranger_}) {
      delete *c;
      *c = nullptr;
    }
  }

  void SetUp() override { ASSERT_TRUE(started_) << h_->startup_log(); }

  static int tls_port() { return h_->port("tls"); }
  static int http_port() { return h_->port("http"); }
  static int tls_status(const std::string& path, const CertFiles* cert = nullptr) {
    return tls_get(tls_port(), path, {.cert = cert}).status;
  }
  static int plain_status(const std::string& path) {
    return plain_http_get(http_port(), path).status;
  }

  // The user.log line ("%u|%r|%>s") of the request for `path`, once it is written.
  static std::string user_log_line(const std::string& path) {
    const std::string needle = "|GET " + path + " ";
    for (int i = 0; i < 100; ++i) {
      const std::string log = read_file(h_->path("logs/user.log"));
      const size_t at = log.find(needle);
      if (at != std::string::npos) {
        const size_t begin = log.rfind('\n', at);
        const size_t start = begin == std::string::npos ? 0 : begin + 1;
        return log.substr(start, log.find('\n', at) - start);
      }
      std::this_thread::sleep_for(20ms);
    }
    return "";
  }

  static inline std::unique_ptr<Httpd> h_;
  static inline bool started_ = false;
  static inline CertFiles* alice_ = nullptr;
  static inline CertFiles* bob_ = nullptr;
  static inline CertFiles* carol_ = nullptr;
  static inline CertFiles* dave_ = nullptr;
  static inline CertFiles* stranger_ = nullptr;
};

// --- SSLRequireSSL ------------------------------------------------------------------------

TEST_F(SslAccess, RequireSslRefusesPlainHttp) {
  EXPECT_EQ(plain_status("/ssl-only/"), 403);
  EXPECT_EQ(tls_status("/ssl-only/"), 200);
  EXPECT_EQ(tls_status("/ssl-only/", alice_), 200);
  EXPECT_TRUE(h_->wait_for_log("SSL connection required", 5s)) << h_->error_log();
}

TEST_F(SslAccess, RequireSslInHtaccessWithAuthConfig) {
  EXPECT_EQ(plain_status("/htreq/"), 403);
  EXPECT_EQ(tls_status("/htreq/"), 200);
}

// SSLRequireSSL belongs to AuthConfig: AllowOverride Options does not let .htaccess use it.
TEST_F(SslAccess, RequireSslInHtaccessNeedsAuthConfig) {
  EXPECT_EQ(tls_status("/htopt/"), 500);
  EXPECT_EQ(plain_status("/htopt/"), 500);
  EXPECT_TRUE(h_->wait_for_log("SSLRequireSSL not allowed here", 5s)) << h_->error_log();
}

// --- SSLRequire ---------------------------------------------------------------------------

TEST_F(SslAccess, RequireCommonNameInList) {
  EXPECT_EQ(tls_status("/req/cn/", alice_), 200);
  EXPECT_EQ(tls_status("/req/cn/", bob_), 200);
  EXPECT_EQ(tls_status("/req/cn/", carol_), 403);
  EXPECT_EQ(tls_status("/req/cn/"), 403);
}

TEST_F(SslAccess, RequireIsNotEvaluatedOverPlainHttp) {
  // Without TLS the access hook declines before looking at SSLRequire.
  EXPECT_EQ(plain_status("/req/cn/"), 200);
  EXPECT_EQ(plain_status("/req/verified/"), 200);
}

TEST_F(SslAccess, RequireAppliesToSubLocationsAndAddsTheirs) {
  // /req/cn/sub inherits the list and adds `eq "bob"`: both must hold.
  EXPECT_EQ(tls_status("/req/cn/sub/", bob_), 200);
  EXPECT_EQ(tls_status("/req/cn/sub/", alice_), 403);
  EXPECT_EQ(tls_status("/req/cn/sub/", carol_), 403);
}

TEST_F(SslAccess, RequireRegexAndLogic) {
  EXPECT_EQ(tls_status("/req/regex/", alice_), 200);
  EXPECT_EQ(tls_status("/req/regex/", bob_), 403);
  EXPECT_EQ(tls_status("/req/logic/", alice_), 200);
  EXPECT_EQ(tls_status("/req/logic/", bob_), 403);
  EXPECT_EQ(tls_status("/req/logic/", carol_), 403);
}

TEST_F(SslAccess, RequireComparesNumbersAsIntegers) {
  const int port = tls_port();
  auto with_cipher = [&](const std::string& path, const std::string& cipher) {
    return tls_get(port, path, {.max_version = TLS1_2_VERSION, .cipher_list = cipher}).status;
  };
  EXPECT_EQ(with_cipher("/req/keysize/", "ECDHE-ECDSA-AES256-GCM-SHA384"), 200);
  EXPECT_EQ(with_cipher("/req/keysize/", "ECDHE-ECDSA-AES128-GCM-SHA256"), 403);
  // "128" < "64" as strings, but not as numbers.
  EXPECT_EQ(with_cipher("/req/keysize-int/", "ECDHE-ECDSA-AES128-GCM-SHA256"), 403);
  EXPECT_EQ(tls_status("/req/keysize-int/"), 403);
}

TEST_F(SslAccess, RequireVerifiedClient) {
  EXPECT_EQ(tls_status("/req/verified/", alice_), 200);
  EXPECT_EQ(tls_status("/req/verified/"), 403);
}

TEST_F(SslAccess, RequireFileContents) {
  EXPECT_EQ(tls_status("/req/file-yes/"), 200);
  EXPECT_EQ(tls_status("/req/file-no/"), 403);
}

TEST_F(SslAccess, RequireNonSslVariables) {
  EXPECT_EQ(tls_status("/req/addr/"), 200);
  EXPECT_EQ(tls_status("/req/addr-no/"), 403);
  EXPECT_EQ(tls_status("/req/host/"), 200);
  EXPECT_EQ(tls_get(tls_port(), "/req/host/", {.host = "127.0.0.1"}).status, 403);
  EXPECT_EQ(tls_status("/req/wday/"), 200);
  EXPECT_EQ(tls_status("/req/wday-no/"), 403);
}

TEST_F(SslAccess, RequirePeerExtensionList) {
  EXPECT_EQ(tls_status("/req/ext/", dave_), 200);
  EXPECT_EQ(tls_status("/req/ext/", alice_), 403);
  EXPECT_EQ(tls_status("/req/ext/"), 403);
}

TEST_F(SslAccess, SeveralRequireLinesMustAllHold) {
  EXPECT_EQ(tls_status("/req/multi/", alice_), 200);
  EXPECT_EQ(tls_status("/req/multi/", bob_), 403);
  EXPECT_EQ(tls_status("/req/multi/", carol_), 403);
}

TEST_F(SslAccess, RefusalIsLogged) {
  ASSERT_EQ(tls_status("/req/file-no/"), 403);
  ASSERT_TRUE(h_->wait_for_log("req/file-no", 5s)) << h_->error_log();
  const std::string log = h_->error_log();
  const size_t at = log.find("req/file-no");
  const size_t begin = log.rfind('\n', at) + 1;
  const std::string line = log.substr(begin, log.find('\n', at) - begin);
  // Stock: "AH02266: Access to <file> denied for 127.0.0.1 (requirement expression not
  // fulfilled)"; only the gist is compared.
  EXPECT_NE(line.find("ccess to"), std::string::npos) << line;
}

// --- StrictRequire ------------------------------------------------------------------------

TEST_F(SslAccess, SatisfyAnyLetsAValidUserPastRequireSsl) {
  const std::string creds = basic_auth("sam", "secret");
  EXPECT_EQ(plain_http_get(http_port(), "/strict/ssl/", {creds}).status, 200);
  EXPECT_EQ(plain_http_get(http_port(), "/strict/ssl/").status, 401);
  EXPECT_EQ(plain_http_get(http_port(), "/strict/ssl/", {basic_auth("sam", "wrong")}).status, 401);
}

TEST_F(SslAccess, StrictRequireRefusesEvenAValidUser) {
  const std::string creds = basic_auth("sam", "secret");
  EXPECT_EQ(plain_http_get(http_port(), "/strict/ssl-strict/", {creds}).status, 403);
  EXPECT_EQ(plain_http_get(http_port(), "/strict/ssl-strict/").status, 403);
  EXPECT_EQ(tls_get(tls_port(), "/strict/ssl-strict/").status, 200);
}

TEST_F(SslAccess, StrictRequireWithFailingExpression) {
  const std::string creds = basic_auth("sam", "secret");
  EXPECT_EQ(tls_get(tls_port(), "/strict/expr/", {.cert = alice_, .headers = {creds}}).status, 200);
  EXPECT_EQ(tls_get(tls_port(), "/strict/expr/", {.cert = alice_}).status, 401);
  EXPECT_EQ(
      tls_get(tls_port(), "/strict/expr-strict/", {.cert = alice_, .headers = {creds}}).status,
      403);
}

// --- FakeBasicAuth ------------------------------------------------------------------------

TEST_F(SslAccess, FakeBasicAuthTakesTheUserFromTheCertificate) {
  HttpResponse r = tls_get(tls_port(), "/cgi-bin/fake/env.cgi?who=alice", {.cert = alice_});
  ASSERT_EQ(r.status, 200) << r.body;
  auto env = parse_environment(r.body);
  EXPECT_EQ(env["REMOTE_USER"], person_dn("alice"));
  EXPECT_EQ(env["AUTH_TYPE"], "Basic");
  EXPECT_EQ(user_log_line("/cgi-bin/fake/env.cgi?who=alice"),
            person_dn("alice") + "|GET /cgi-bin/fake/env.cgi?who=alice HTTP/1.1|200");
}

TEST_F(SslAccess, FakeBasicAuthRefusesUnknownAndMissingCertificates) {
  EXPECT_EQ(tls_status("/cgi-bin/fake/env.cgi", carol_), 401);
  EXPECT_EQ(tls_status("/cgi-bin/fake/env.cgi"), 401);
}

TEST_F(SslAccess, FakeBasicAuthSpoofIsForbidden) {
  const std::string forged = basic_auth(person_dn("alice"), "password");
  EXPECT_EQ(tls_get(tls_port(), "/cgi-bin/fake/env.cgi", {.headers = {forged}}).status, 403);
  EXPECT_TRUE(h_->wait_for_log("FakeBasicAuth spoof", 5s)) << h_->error_log();
  // The check comes first, even when a certificate would have authenticated the client.
  EXPECT_EQ(
      tls_get(tls_port(), "/cgi-bin/fake/env.cgi", {.cert = alice_, .headers = {forged}}).status,
      403);
}

// The spoof check looks at every Basic Authorization header wherever authentication runs: also
// where FakeBasicAuth is off, and over plain HTTP.
TEST_F(SslAccess, SpoofCheckAppliesWithoutFakeBasicAuth) {
  const std::string forged = basic_auth("/CN=sam", "password");
  EXPECT_EQ(plain_http_get(http_port(), "/strict/ssl/", {forged}).status, 403);
  EXPECT_EQ(tls_get(tls_port(), "/strict/expr/", {.headers = {forged}}).status, 403);
  // A user name without the leading slash is an ordinary (wrong) password.
  EXPECT_EQ(plain_http_get(http_port(), "/strict/ssl/", {basic_auth("sam", "password")}).status,
            401);
}

TEST_F(SslAccess, FakeBasicAuthWithAnotherPassword) {
  const std::string guessed = basic_auth(person_dn("alice"), "letmein");
  EXPECT_EQ(tls_get(tls_port(), "/cgi-bin/fake/env.cgi", {.headers = {guessed}}).status, 401);
  // With a certificate, its DN replaces whatever the client sent.
  HttpResponse r =
      tls_get(tls_port(), "/cgi-bin/fake/env.cgi", {.cert = bob_, .headers = {guessed}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(parse_environment(r.body)["REMOTE_USER"], person_dn("bob"));
}

TEST_F(SslAccess, FakeBasicAuthWithRequireUser) {
  EXPECT_EQ(tls_status("/cgi-bin/fakeuser/env.cgi", alice_), 200);
  EXPECT_EQ(tls_status("/cgi-bin/fakeuser/env.cgi", bob_), 401);
  EXPECT_EQ(tls_status("/cgi-bin/fakeuser/env.cgi"), 401);
}

// --- SSLUserName --------------------------------------------------------------------------

TEST_F(SslAccess, UserNameFromCertificate) {
  HttpResponse r = tls_get(tls_port(), "/cgi-bin/un/env.cgi?who=alice", {.cert = alice_});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(parse_environment(r.body)["REMOTE_USER"], "alice");
  EXPECT_EQ(user_log_line("/cgi-bin/un/env.cgi?who=alice"),
            "alice|GET /cgi-bin/un/env.cgi?who=alice HTTP/1.1|200");

  HttpResponse anonymous = tls_get(tls_port(), "/cgi-bin/un/env.cgi?who=nobody");
  ASSERT_EQ(anonymous.status, 200) << anonymous.body;
  EXPECT_EQ(parse_environment(anonymous.body).count("REMOTE_USER"), 0u);
  EXPECT_EQ(user_log_line("/cgi-bin/un/env.cgi?who=nobody"),
            "-|GET /cgi-bin/un/env.cgi?who=nobody HTTP/1.1|200");
}

// With FakeBasicAuth the user is the one Basic authentication found (the DN): SSLUserName does
// not replace it.
TEST_F(SslAccess, UserNameYieldsToFakeBasicAuth) {
  HttpResponse r = tls_get(tls_port(), "/cgi-bin/fakename/env.cgi?who=bob", {.cert = bob_});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(parse_environment(r.body)["REMOTE_USER"], person_dn("bob"));
  EXPECT_EQ(user_log_line("/cgi-bin/fakename/env.cgi?who=bob"),
            person_dn("bob") + "|GET /cgi-bin/fakename/env.cgi?who=bob HTTP/1.1|200");
  EXPECT_EQ(tls_status("/cgi-bin/fakename/env.cgi", carol_), 401);
}

// --- Require ssl / ssl-verify-client -----------------------------------------------------

TEST_F(SslAccess, RequireSslProvider) {
  EXPECT_EQ(tls_status("/authz/ssl/"), 200);
  EXPECT_EQ(tls_status("/authz/ssl/", alice_), 200);
  EXPECT_EQ(plain_status("/authz/ssl/"), 403);
}

TEST_F(SslAccess, RequireVerifyClientProvider) {
  EXPECT_EQ(tls_status("/authz/verify/", alice_), 200);
  EXPECT_EQ(tls_status("/authz/verify/"), 403);
  EXPECT_EQ(plain_status("/authz/verify/"), 403);
}

TEST_F(SslAccess, RequireVerifyClientRefusesAnUnverifiedCertificate) {
  const int noca = h_->port("noca");
  EXPECT_EQ(tls_get(noca, "/authz/verify/", {.cert = stranger_}).status, 403);
  EXPECT_EQ(tls_get(noca, "/authz/ssl/", {.cert = stranger_}).status, 200);
  EXPECT_EQ(tls_get(noca, "/authz/verify/", {.cert = alice_}).status, 200);
  // The same stranger cannot even complete the handshake where client certificates are verified.
  EXPECT_EQ(tls_get(tls_port(), "/authz/ssl/", {.cert = stranger_}).status, 0);
}

TEST_F(SslAccess, ProvidersInsideRequireAllAndRequireAny) {
  EXPECT_EQ(tls_status("/authz/all/", alice_), 200);
  EXPECT_EQ(tls_status("/authz/all/"), 403);
  EXPECT_EQ(plain_status("/authz/all/"), 403);
  EXPECT_EQ(tls_status("/authz/any/", alice_), 200);
  EXPECT_EQ(tls_status("/authz/any/"), 403);
  EXPECT_EQ(tls_status("/authz/any/?open"), 200);
  EXPECT_EQ(plain_status("/authz/any/?open"), 200);
  EXPECT_EQ(plain_status("/authz/any/"), 403);
}

// --- Configuration errors ------------------------------------------------------------------

TEST(SslAccessConfig, RequireSyntaxErrorFailsConfigtest) {
  Httpd h;
  CertFiles cert = h.make_cert("localhost");
  auto config = [&](const std::string& expression) {
    h.configure("<Location /checked>\n  SSLRequire " + expression + "\n</Location>\n" +
                tls_vhost(cert));
  };
  // The same config with a well-formed expression passes: the failure is the syntax error's.
  config(R"(%{SSL_CLIENT_S_DN_CN} in {"alice", "bob"})");
  ProcessResult good = h.configtest();
  EXPECT_EQ(good.exit_code, 0) << good.all();

  config(R"(%{SSL_CLIENT_S_DN_CN} in {"alice", "bob")");
  ProcessResult bad = h.configtest();
  EXPECT_NE(bad.exit_code, 0) << bad.all();
  EXPECT_NE(bad.all().find("SSLRequire"), std::string::npos) << bad.all();
}

}  // namespace
}  // namespace modssl::it
