// SSLRequireSSL: a location that must only be reached over TLS refuses plain HTTP with 403,
// whichever vhost or port the request came through.
#include <gtest/gtest.h>

#include <openssl/ssl.h>

#include "http.h"
#include "httpd.h"
#include "tls_client.h"

namespace modssl::it {
namespace {

TEST(Access, RequireSslRefusesPlainHttpAndServesTls) {
  Httpd h;
  h.write("htdocs/secure/index.html", "secret page\n");
  configure_tls_vhost(h, {.server_lines = R"(
Listen 127.0.0.1:@PORT:http@
<Location /secure>
  SSLRequireSSL
</Location>
)"});
  ASSERT_TRUE(h.start()) << h.startup_log();
  const std::string http = "http://127.0.0.1:" + std::to_string(h.port("http"));
  const std::string https = "https://localhost:" + std::to_string(h.port("tls"));

  EXPECT_EQ(curl_status(http + "/secure/"), "403");
  EXPECT_EQ(curl_status(http + "/"), "200");  // only the protected location is refused
  EXPECT_EQ(curl_status(https + "/secure/"), "200");
  HttpResponse r = https_request(h.port("tls"), "/secure/", {.ca_file = h.ca_file()});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "secret page\n");
}

TEST(Access, RequireSslInheritsIntoSubdirectories) {
  Httpd h;
  h.write("htdocs/secure/deeper/index.html", "deeper\n");
  h.configure(R"(
Listen 127.0.0.1:@PORT:http@
<Directory @ROOT@/htdocs/secure>
  SSLRequireSSL
</Directory>
<Directory @ROOT@/htdocs/secure/deeper>
  SSLOptions +StdEnvVars
</Directory>
)");
  ASSERT_TRUE(h.start()) << h.startup_log();
  EXPECT_EQ(curl_status("http://127.0.0.1:" + std::to_string(h.port("http")) +
                        "/secure/deeper/"),
            "403");
}

// Per-directory SSLCipherSuite: content is never served over a cipher the directory excludes
// (stock renegotiates, and a client that cannot offer an allowed cipher fails; this build
// answers 403), a connection already on an allowed cipher is served as it is, and TLS 1.3
// suites are not governed by the (TLS 1.2) cipher list.
TEST(Access, PerDirectoryCipherSuiteNeverServesOverAnExcludedCipher) {
  Httpd h;
  CertFiles cert = h.make_cert("localhost", {.key_type = testing::KeyType::Rsa2048});
  h.write("htdocs/strong/index.html", "strong only\n");
  h.configure(tls_vhost(cert, R"(
  <Location /strong>
    SSLCipherSuite ECDHE-RSA-AES256-GCM-SHA384
  </Location>)"));
  ASSERT_TRUE(h.start()) << h.startup_log();
  const int port = h.port("tls");

  HttpResponse weak = https_request(port, "/strong/", {.max_version = TLS1_2_VERSION,
                                                       .cipher_list = "ECDHE-RSA-AES128-GCM-SHA256",
                                                       .ca_file = h.ca_file()});
  EXPECT_NE(weak.status, 200);
  EXPECT_EQ(weak.body.find("strong only"), std::string::npos);

  HttpResponse strong = https_request(port, "/strong/", {.max_version = TLS1_2_VERSION,
                                                         .cipher_list = "ECDHE-RSA-AES256-GCM-SHA384",
                                                         .ca_file = h.ca_file()});
  EXPECT_EQ(strong.status, 200) << strong.body;
  EXPECT_EQ(strong.body, "strong only\n");

  HttpResponse tls13 = https_request(port, "/strong/", {.min_version = TLS1_3_VERSION,
                                                        .ca_file = h.ca_file()});
  EXPECT_EQ(tls13.status, 200) << tls13.body;

  // The rest of the vhost is not affected by the directory's list.
  HttpResponse other = https_request(port, "/", {.max_version = TLS1_2_VERSION,
                                                 .cipher_list = "ECDHE-RSA-AES128-GCM-SHA256",
                                                 .ca_file = h.ca_file()});
  EXPECT_EQ(other.status, 200) << other.body;
}

}  // namespace
}  // namespace modssl::it
