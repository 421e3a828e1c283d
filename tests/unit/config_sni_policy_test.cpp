// SSLVHostSNIPolicy: when may a request cross from the handshake's vhost to the Host's vhost?
#include <gtest/gtest.h>

#include "config/sni_policy.h"

namespace modssl::config {
namespace {

ServerConfig vhost() {
  ServerConfig c;
  c.engine = EngineMode::On;
  c.certificate_files = {"/etc/ssl/a.crt"};
  c.key_files = {"/etc/ssl/a.key"};
  return c;
}

TEST(SniPolicy, IdenticalSettingsMayCrossUnderEveryPolicyButStrict) {
  for (SniPolicy p : {SniPolicy::Unset, SniPolicy::Secure, SniPolicy::AuthOnly,
                      SniPolicy::Insecure}) {
    EXPECT_TRUE(request_may_cross_vhosts(p, vhost(), vhost()));
  }
  EXPECT_FALSE(request_may_cross_vhosts(SniPolicy::Strict, vhost(), vhost()));
}

TEST(SniPolicy, SecureRefusesAnyDifferenceInWhatTheClientSees) {
  std::vector<ServerConfig> variants(6, vhost());
  variants[0].certificate_files = {"/etc/ssl/b.crt"};
  variants[1].certificate_chain_file = "/etc/ssl/chain.pem";
  variants[2].protocols = kTLSv1_3;
  variants[3].cipher_suite = "HIGH";
  variants[4].verify_depth = 3;
  variants[5].openssl_conf_cmds = {{"Curves", "X25519"}};
  for (const ServerConfig& other : variants) {
    EXPECT_FALSE(request_may_cross_vhosts(SniPolicy::Secure, vhost(), other));
    EXPECT_FALSE(request_may_cross_vhosts(SniPolicy::Unset, other, vhost()));  // the default
    EXPECT_TRUE(request_may_cross_vhosts(SniPolicy::Insecure, vhost(), other));
  }
}

TEST(SniPolicy, AuthOnlyLooksAtClientAuthenticationOnly) {
  ServerConfig other_cert = vhost();
  other_cert.certificate_files = {"/etc/ssl/b.crt"};
  other_cert.protocols = kTLSv1_2;
  EXPECT_TRUE(request_may_cross_vhosts(SniPolicy::AuthOnly, vhost(), other_cert));

  ServerConfig verifying = vhost();
  verifying.verify_client = VerifyClient::Require;
  EXPECT_FALSE(request_may_cross_vhosts(SniPolicy::AuthOnly, vhost(), verifying));
  ServerConfig other_ca = vhost();
  other_ca.ca_certificate_file = "/etc/ssl/ca.pem";
  EXPECT_FALSE(request_may_cross_vhosts(SniPolicy::AuthOnly, vhost(), other_ca));
  ServerConfig conf_cmd = vhost();
  conf_cmd.openssl_conf_cmds = {{"VerifyMode", "Require"}};
  EXPECT_FALSE(request_may_cross_vhosts(SniPolicy::AuthOnly, vhost(), conf_cmd));
}

TEST(SniPolicy, UnsetVerificationEqualsNone) {
  ServerConfig none = vhost();
  none.verify_client = VerifyClient::None;
  none.verify_depth = 1;
  EXPECT_TRUE(same_client_authentication(vhost(), none));
}

}  // namespace
}  // namespace modssl::config
