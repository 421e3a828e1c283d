// ACME tls-alpn-01 (the contract mod_md relies on): a module that claims the "acme-tls/1" ALPN
// protocol and answers httpd's ssl_answer_challenge hook gets its certificate presented for
// that connection only. Played here by tests/integration/modules/mod_challenge_test.c.
#include <gtest/gtest.h>

#include "httpd.h"
#include "tls_client.h"

namespace modssl::it {
namespace {

class Challenge : public ::testing::Test {
 protected:
  void SetUp() override {
    CertFiles site = h_.make_cert("site", {.common_name = "acme.example",
                                          .dns_names = {"acme.example", "localhost"}});
    CertFiles challenge = h_.make_self_signed_cert(
        "challenge", {.common_name = "challenge for acme.example", .dns_names = {"acme.example"}});
    h_.load_test_module("challenge_test");
    h_.configure(R"(
ChallengeTestName acme.example
ChallengeTestCert )" +
                 challenge.cert + R"(
ChallengeTestKey )" +
                 challenge.key + R"(
Protocols http/1.1 acme-tls/1
)" + tls_vhost(site, "  ServerName acme.example"));
    ASSERT_TRUE(h_.start()) << h_.startup_log();
  }
  Httpd h_;
};

TEST_F(Challenge, ChallengeProtocolGetsTheChallengeCertificate) {
  TlsClient client(h_.port("tls"), {.sni = "acme.example", .alpn = {"acme-tls/1"}});
  ASSERT_TRUE(client.ok()) << client.error() << "\n" << h_.error_log();
  EXPECT_EQ(client.alpn(), "acme-tls/1");
  EXPECT_NE(client.peer_subject().find("CN=challenge for acme.example"), std::string::npos)
      << client.peer_subject();
}

TEST_F(Challenge, OrdinaryClientsKeepTheSiteCertificate) {
  TlsClient plain(h_.port("tls"), {.sni = "acme.example", .alpn = {"http/1.1"}});
  ASSERT_TRUE(plain.ok()) << plain.error();
  EXPECT_NE(plain.peer_subject().find("CN=acme.example"), std::string::npos)
      << plain.peer_subject();
  HttpResponse r = https_request(h_.port("tls"), "/", {.sni = "acme.example"}, "acme.example");
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(Challenge, OtherNamesGetNoChallengeCertificate) {
  TlsClient other(h_.port("tls"), {.sni = "localhost", .alpn = {"acme-tls/1"}});
  // Either the handshake fails (nothing answers "acme-tls/1" for this name) or it goes on
  // with the site certificate; the challenge certificate must never be shown for it.
  if (other.ok()) {
    EXPECT_EQ(other.peer_subject().find("challenge"), std::string::npos) << other.peer_subject();
  }
}

}  // namespace
}  // namespace modssl::it
