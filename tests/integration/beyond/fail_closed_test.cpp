// Until per-directory upgrades (renegotiation, TLS 1.3 post-handshake authentication) exist, a
// directory that asks for more client authentication than the handshake did must not serve
// what it meant to protect: it answers 403, even to a client that holds a valid certificate.
#include <gtest/gtest.h>

#include "httpd.h"
#include "tls_client.h"

namespace modssl::it {
namespace {

TEST(FailClosed, PerDirectoryVerifyClientAnswers403) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h;
  CertFiles cert = h.make_cert("localhost");
  h.write("htdocs/admin/index.html", "admin only\n");
  h.configure(tls_vhost(cert, "  <Location /admin>\n    SSLVerifyClient require\n  </Location>"));
  ASSERT_TRUE(h.start()) << h.startup_log();
  HttpResponse admin = https_request(h.port("tls"), "/admin/", {.ca_file = h.ca_file()});
  EXPECT_EQ(admin.status, 403);
  EXPECT_EQ(admin.body.find("admin only"), std::string::npos);
  EXPECT_EQ(https_request(h.port("tls"), "/", {.ca_file = h.ca_file()}).status, 200);
}

}  // namespace
}  // namespace modssl::it
