// Until client certificates can be verified (a later release), a configuration that asks for
// them must not serve what it meant to protect: start-up refuses server-level SSLVerifyClient,
// and a per-directory one answers 403.
#include <gtest/gtest.h>

#include "httpd.h"
#include "tls_client.h"

namespace modssl::it {
namespace {

TEST(FailClosed, ServerLevelVerifyClientStopsStartup) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h;
  CertFiles cert = h.make_cert("localhost");
  h.configure(tls_vhost(cert, "  SSLVerifyClient require"));
  EXPECT_FALSE(h.start());
  EXPECT_NE(h.startup_log().find("SSLVerifyClient"), std::string::npos) << h.startup_log();
}

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
