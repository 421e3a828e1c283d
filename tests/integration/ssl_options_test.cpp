// SSLOptions as CGI programs see it: how the server config, <VirtualHost>, <Directory>,
// <Location> and .htaccess (AllowOverride Options) combine absolute and +/- forms, observed
// through which SSL_* variables a CGI gets (StdEnvVars: SSL_PROTOCOL and friends;
// ExportCertData: SSL_SERVER_CERT and SSL_CLIENT_CERT). HTTPS=on comes with every TLS request.
// The combinations are the stock module's.
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <string>

#include "cgi.h"
#include "http.h"
#include "httpd.h"
#include "tls_client.h"

namespace modssl::it {
namespace {

// Which option groups a request's environment shows: "std" (StdEnvVars: SSL_PROTOCOL),
// "cert" (ExportCertData: a PEM in SSL_CLIENT_CERT), joined with '+'; "none" for neither.
// An HTTP error comes back as "status <n>".
std::string exported(const HttpResponse& r) {
  if (r.status != 200) return "status " + std::to_string(r.status) + ": " + r.body.substr(0, 200);
  auto env = parse_environment(r.body);
  std::string out;
  if (env.count("SSL_PROTOCOL")) out = "std";
  if (env["SSL_CLIENT_CERT"].rfind("-----BEGIN CERTIFICATE-----", 0) == 0) {
    out += out.empty() ? "cert" : "+cert";
  }
  return out.empty() ? "none" : out;
}

class SslOptions : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    h_ = std::make_unique<Httpd>();
    Httpd& h = *h_;
    const std::string cgi = enable_cgi(h);
    alice_ = std::make_unique<CertFiles>(
        h.make_cert("alice", {.common_name = "alice",
                              .dns_names = {},
                              .subject = {{"C", "DE"}, {"O", "modssl tests"}, {"CN", "alice"}}}));
    for (const char* dir :
         {"", "plus/", "plus/minus/", "abs/", "abs/rel/", "abs-rel/", "rel-abs/", "minus-abs/",
          "loc-abs/", "off/", "hto/", "hto/sub/", "hto/loc/", "hta/", "twice/"}) {
      h.write(std::string("cgi-bin/") + dir + "env.cgi", kEnvironmentCgi, 0755);
    }
    h.write("cgi-bin/hto/.htaccess", "SSLOptions -StdEnvVars +ExportCertData\n");
    h.write("cgi-bin/hto/sub/.htaccess", "SSLOptions +StdEnvVars\n");
    h.write("cgi-bin/hta/.htaccess", "SSLOptions +ExportCertData\n");

    CertFiles server = h.make_cert("localhost");
    const std::string certs = certificate_lines(server);
    h.configure(listen_https("tls") + listen_https("vplus") + listen_https("vabs") +
                listen_https("vminus") + R"(
Listen 127.0.0.1:@PORT:http@
SSLVerifyClient optional
SSLCACertificateFile )" +
                h.ca_file() + R"(
SSLOptions +StdEnvVars
)" + cgi + R"(
<Directory @ROOT@/cgi-bin/plus>
  SSLOptions +ExportCertData
</Directory>
<Location /cgi-bin/plus/minus>
  SSLOptions -StdEnvVars
</Location>
<Directory @ROOT@/cgi-bin/abs>
  SSLOptions ExportCertData
</Directory>
<Directory @ROOT@/cgi-bin/abs/rel>
  SSLOptions +StdEnvVars
</Directory>
<Directory @ROOT@/cgi-bin/abs-rel>
  SSLOptions ExportCertData +StdEnvVars
</Directory>
<Directory @ROOT@/cgi-bin/rel-abs>
  SSLOptions +StdEnvVars ExportCertData
</Directory>
<Directory @ROOT@/cgi-bin/minus-abs>
  SSLOptions -StdEnvVars ExportCertData
</Directory>
<Directory @ROOT@/cgi-bin/loc-abs>
  SSLOptions +ExportCertData
</Directory>
<Location /cgi-bin/loc-abs>
  SSLOptions StdEnvVars
</Location>
<Directory @ROOT@/cgi-bin/off>
  SSLOptions -StdEnvVars
</Directory>
<Directory @ROOT@/cgi-bin/hto>
  AllowOverride Options
</Directory>
<Location /cgi-bin/hto/loc>
  SSLOptions +StdEnvVars
</Location>
<Directory @ROOT@/cgi-bin/hta>
  AllowOverride AuthConfig
</Directory>
<Directory @ROOT@/cgi-bin/twice>
  SSLOptions +ExportCertData
  SSLOptions -ExportCertData
</Directory>
)" + tls_virtual_host("tls", certs) +
                tls_virtual_host("vplus", certs + "  SSLOptions +ExportCertData\n") +
                tls_virtual_host("vabs", certs + "  SSLOptions ExportCertData\n") +
                tls_virtual_host("vminus", certs + "  SSLOptions -StdEnvVars +ExportCertData\n"));
    started_ = h.start();
  }

  static void TearDownTestSuite() {
    h_.reset();
    alice_.reset();
  }

  void SetUp() override { ASSERT_TRUE(started_) << h_->startup_log(); }

  static HttpResponse get(const std::string& path, const std::string& port_name = "tls",
                          bool with_cert = true) {
    TlsOptions options;
    if (with_cert) {
      options.cert_file = alice_->cert;
      options.key_file = alice_->key;
    }
    return https_request(h_->port(port_name), path, options);
  }
  // What /cgi-bin/<dir>env.cgi sees through vhost `port_name` with alice's certificate.
  static std::string seen(const std::string& dir, const std::string& port_name = "tls") {
    return exported(get("/cgi-bin/" + dir + "env.cgi", port_name));
  }

  static inline std::unique_ptr<Httpd> h_;
  static inline bool started_ = false;
  static inline std::unique_ptr<CertFiles> alice_;
};

TEST_F(SslOptions, ServerLevelOptionsReachEveryDirectory) {
  EXPECT_EQ(seen(""), "std");
}

TEST_F(SslOptions, RelativeDirectoryOptionAddsToTheServers) {
  EXPECT_EQ(seen("plus/"), "std+cert");
}

TEST_F(SslOptions, RelativeLocationOptionRemovesFromTheDirectorys) {
  EXPECT_EQ(seen("plus/minus/"), "cert");
}

TEST_F(SslOptions, AbsoluteDirectoryOptionReplacesTheServers) {
  EXPECT_EQ(seen("abs/"), "cert");
  EXPECT_EQ(seen("abs/rel/"), "std+cert");
}

// The first absolute word resets the options: what a line set before it is lost, what comes
// after it adds to it ("+StdEnvVars ExportCertData" is ExportCertData alone).
TEST_F(SslOptions, AbsoluteAndRelativeOnOneLine) {
  EXPECT_EQ(seen("abs-rel/"), "std+cert");
  EXPECT_EQ(seen("rel-abs/"), "cert");
  EXPECT_EQ(seen("minus-abs/"), "cert");
}

TEST_F(SslOptions, AbsoluteLocationOptionReplacesTheDirectorys) {
  EXPECT_EQ(seen("loc-abs/"), "std");
}

TEST_F(SslOptions, LaterLineInOneSectionWins) {
  EXPECT_EQ(seen("twice/"), "std");
}

TEST_F(SslOptions, VirtualHostOptionsMergeWithTheServers) {
  EXPECT_EQ(seen("", "vplus"), "std+cert");
  EXPECT_EQ(seen("", "vabs"), "cert");
  EXPECT_EQ(seen("", "vminus"), "cert");
  // Directory sections of the main server apply on top of the vhost's options.
  EXPECT_EQ(seen("plus/", "vabs"), "cert");
  EXPECT_EQ(seen("abs/rel/", "vminus"), "std+cert");
}

TEST_F(SslOptions, HtaccessWithAllowOverrideOptions) {
  EXPECT_EQ(seen("hto/"), "cert");
  EXPECT_EQ(seen("hto/sub/"), "std+cert");
  EXPECT_EQ(seen("hto/loc/"), "std+cert");
}

TEST_F(SslOptions, HtaccessWithOnlyAuthConfigRefusesSslOptions) {
  HttpResponse r = get("/cgi-bin/hta/env.cgi");
  EXPECT_EQ(r.status, 500);
  EXPECT_TRUE(h_->wait_for_log("SSLOptions not allowed here", std::chrono::seconds(5)))
      << h_->error_log();
}

TEST_F(SslOptions, HttpsIsSetOverTlsWithoutStdEnvVars) {
  HttpResponse r = get("/cgi-bin/off/env.cgi");
  ASSERT_EQ(r.status, 200) << r.body;
  auto env = parse_environment(r.body);
  EXPECT_EQ(env["HTTPS"], "on");
  EXPECT_EQ(env.count("SSL_PROTOCOL"), 0u);
  EXPECT_EQ(env.count("SSL_CLIENT_S_DN_CN"), 0u);
}

TEST_F(SslOptions, StdEnvVarsValues) {
  HttpResponse r = get("/cgi-bin/env.cgi");
  ASSERT_EQ(r.status, 200) << r.body;
  auto env = parse_environment(r.body);
  EXPECT_EQ(env["HTTPS"], "on");
  EXPECT_EQ(env["SSL_PROTOCOL"], "TLSv1.3");
  EXPECT_EQ(env["SSL_CLIENT_S_DN_CN"], "alice");
  EXPECT_EQ(env["SSL_CLIENT_VERIFY"], "SUCCESS");
  EXPECT_EQ(env.count("SSL_SERVER_CERT"), 0u);
  EXPECT_EQ(env.count("SSL_CLIENT_CERT"), 0u);
}

TEST_F(SslOptions, ExportCertDataValues) {
  HttpResponse r = get("/cgi-bin/abs/env.cgi");
  ASSERT_EQ(r.status, 200) << r.body;
  auto env = parse_environment(r.body);
  EXPECT_EQ(env["SSL_SERVER_CERT"].rfind("-----BEGIN CERTIFICATE-----", 0), 0u);
  EXPECT_EQ(env["SSL_CLIENT_CERT"].rfind("-----BEGIN CERTIFICATE-----", 0), 0u);

  HttpResponse anonymous = get("/cgi-bin/abs/env.cgi", "tls", false);
  ASSERT_EQ(anonymous.status, 200) << anonymous.body;
  auto anon = parse_environment(anonymous.body);
  EXPECT_EQ(anon["SSL_SERVER_CERT"].rfind("-----BEGIN CERTIFICATE-----", 0), 0u);
  EXPECT_EQ(anon.count("SSL_CLIENT_CERT"), 1u);
  EXPECT_EQ(anon["SSL_CLIENT_CERT"], "");
}

TEST_F(SslOptions, PlainHttpGetsNoSslVariables) {
  HttpResponse r = plain_http_get(h_->port("http"), "/cgi-bin/plus/env.cgi");
  ASSERT_EQ(r.status, 200) << r.body;
  auto env = parse_environment(r.body);
  EXPECT_EQ(env.count("HTTPS"), 0u);
  for (const auto& [name, value] : env) EXPECT_NE(name.rfind("SSL_", 0), 0u) << name;
}

TEST(SslOptionsConfig, UnknownOptionFailsConfigtestAndIsNamed) {
  Httpd h;
  CertFiles cert = h.make_cert("localhost");
  h.configure("SSLOptions +StdEnvVars -ExportCertData StrictRequire\n" + tls_vhost(cert));
  ProcessResult good = h.configtest();
  EXPECT_EQ(good.exit_code, 0) << good.all();

  h.configure("SSLOptions +StdEnvVars +NoSuchOption\n" + tls_vhost(cert));
  ProcessResult r = h.configtest();
  EXPECT_NE(r.exit_code, 0) << r.all();
  EXPECT_NE(r.all().find("NoSuchOption"), std::string::npos) << r.all();
}

}  // namespace
}  // namespace modssl::it
