// Beyond the stock module: what an administrator is told about client certificates and access
// rules. A refused client certificate is logged with the client's address, its subject, issuer,
// depth in the chain and OpenSSL's reason in one line; an SSLRequire that httpd's expression
// parser refuses says at which column and what was expected; an SSLOptions line whose options
// cancel each other (mod_ssl's rule) is warned about at start-up.
#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "client_certs.h"
#include "http.h"
#include "httpd.h"
#include "tls_client.h"

namespace modssl::it {
namespace {

using namespace std::chrono_literals;

std::string client_auth_vhost(const std::string& verify, const std::string& extra = "") {
  const ClientPki& pki = client_pki();
  return listen_https("tls") +
         tls_virtual_host("tls", "  ServerName localhost\n" + certificate_lines(pki.server) +
                                     "  SSLCACertificateFile " + pki.ca_bundle + "\n" +
                                     "  SSLVerifyClient " + verify + "\n  SSLVerifyDepth 3\n" +
                                     extra);
}

TEST(ClientAuthMessages, RefusedCertificateIsLoggedWithSubjectIssuerDepthAndReason) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h;
  h.configure(client_auth_vhost("optional"));
  ASSERT_TRUE(h.start()) << h.startup_log();
  const CertFiles& stranger = client_pki().client("unknown_ca");
  HttpResponse r =
      https_request(h.port("tls"), "/", {.cert_file = stranger.cert, .key_file = stranger.key});
  EXPECT_EQ(r.status, 0);
  ASSERT_TRUE(h.wait_for_log("client certificate depth 0", 5s)) << h.error_log();
  const std::string log = h.error_log();
  const auto line_start = log.rfind('\n', log.find("client certificate depth 0")) + 1;
  const std::string line = log.substr(line_start, log.find('\n', line_start) - line_start);
  EXPECT_NE(line.find("127.0.0.1:"), std::string::npos) << line;
  EXPECT_NE(line.find("subject "), std::string::npos) << line;
  EXPECT_NE(line.find(", issuer "), std::string::npos) << line;
  EXPECT_NE(line.find("unable to get local issuer certificate"), std::string::npos) << line;
}

TEST(ClientAuthMessages, SslRequireSyntaxErrorNamesTheColumnAndWhatWasExpected) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h;
  h.configure(client_auth_vhost("optional",
                                "  <Location />\n    SSLRequire %{SSL_CLIENT_S_DN_CN} == )\n"
                                "  </Location>\n"));
  ProcessResult r = h.configtest();
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.all().find("SSLRequire \"%{SSL_CLIENT_S_DN_CN} == )\": column 26"), std::string::npos)
      << r.all();
  EXPECT_NE(r.all().find("expected a value"), std::string::npos) << r.all();
}

TEST(ClientAuthMessages, OptionsThatCancelEachOtherAreWarnedAbout) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h;
  h.configure(client_auth_vhost("none",
                                "  <Location />\n    SSLOptions StdEnvVars "
                                "ExportCertData\n  </Location>\n"));
  ASSERT_TRUE(h.start()) << h.startup_log();
  EXPECT_NE(h.startup_log().find("only the last takes effect"), std::string::npos)
      << h.startup_log();
}

}  // namespace
}  // namespace modssl::it
