// Beyond the stock module: a directory's SSLVerifyDepth holds on a connection whose client
// certificate was verified earlier with a larger depth. Stock serves such a request on the
// strength of the earlier verification (its client certificate chain is never checked against
// the directory's shorter limit on that connection); this module refuses it with 403, as the
// same client is refused on a new connection.
#include <string>

#include <gtest/gtest.h>

#include <openssl/ssl.h>

#include "client_certs.h"
#include "http.h"
#include "httpd.h"
#include "tls_client.h"

namespace modssl::it {
namespace {

TEST(DirectoryDepth, ShorterDepthIsCheckedOnAnAlreadyVerifiedConnection) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h;
  h.write("htdocs/secure/index.html", "deep secret\n");
  h.write("htdocs/depth1/index.html", "shallow secret\n");
  const ClientPki& pki = client_pki();
  h.configure(listen_https("tls") +
              tls_virtual_host("tls", certificate_lines(pki.server) + "  SSLCACertificateFile " +
                                          pki.ca_bundle + R"(
  SSLVerifyClient require
  SSLVerifyDepth 5
  <Location /depth1>
    SSLVerifyDepth 1
  </Location>
)"));
  ASSERT_TRUE(h.start()) << h.startup_log();
  const CertFiles& chained = client_pki().client("chained");  // root at depth 2
  TlsClient c(h.port("tls"),
              {.max_version = TLS1_2_VERSION, .cert_file = chained.cert, .key_file = chained.key});
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_TRUE(c.write(get_request("/secure/")));
  HttpResponse first = read_response(c);
  EXPECT_EQ(first.status, 200) << first.body;
  ASSERT_TRUE(c.write(get_request("/depth1/", {.close = true})));
  HttpResponse second = read_response(c);
  EXPECT_EQ(second.status, 403) << second.body;
  EXPECT_EQ(second.body.find("shallow secret"), std::string::npos);
  EXPECT_TRUE(h.wait_for_log("SSLVerifyDepth 1", std::chrono::seconds(5))) << h.error_log();
}

}  // namespace
}  // namespace modssl::it
