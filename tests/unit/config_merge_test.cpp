// Merge rules for server (vhost over main server) and directory configuration, as mod_ssl 2.4.
#include <gtest/gtest.h>

#include "config/dir_config.h"
#include "config/server_config.h"

namespace modssl::config {
namespace {

TEST(ServerMerge, UnsetInheritsSetOverrides) {
  ServerConfig main;
  main.engine = EngineMode::On;
  main.protocols = kTLSv1_2 | kTLSv1_3;
  main.cipher_suite = "HIGH";
  main.session_tickets = Toggle::Off;
  ServerConfig vhost;
  vhost.protocols = kTLSv1_3;
  ServerConfig m = merge(main, vhost);
  EXPECT_EQ(m.engine, EngineMode::On);
  EXPECT_EQ(m.protocols, kTLSv1_3);
  EXPECT_EQ(m.cipher_suite, "HIGH");
  EXPECT_FALSE(is_on(m.session_tickets, true));
  EXPECT_TRUE(is_on(merge(ServerConfig{}, ServerConfig{}).session_tickets, true));  // default on
}

TEST(ServerMerge, EngineOffInVhostWins) {
  ServerConfig main;
  main.engine = EngineMode::On;
  ServerConfig vhost;
  vhost.engine = EngineMode::Off;
  EXPECT_FALSE(engine_enabled(merge(main, vhost)));
}

TEST(ServerMerge, CertificatesMergeByIndexWithTheirKeys) {
  ServerConfig main;
  main.certificate_files = {"rsa.crt", "ecdsa.crt"};
  main.key_files = {"rsa.key", "ecdsa.key"};
  ServerConfig vhost;
  vhost.certificate_files = {"vhost-rsa.crt"};
  vhost.key_files = {"vhost-rsa.key"};
  ServerConfig m = merge(main, vhost);
  EXPECT_EQ(m.certificate_files, (std::vector<std::string>{"vhost-rsa.crt", "ecdsa.crt"}));
  EXPECT_EQ(m.key_files, (std::vector<std::string>{"vhost-rsa.key", "ecdsa.key"}));
}

TEST(ServerMerge, VhostCertificateWithoutKeyDoesNotBorrowMainKey) {
  ServerConfig main;
  main.certificate_files = {"main.crt"};
  main.key_files = {"main.key"};
  ServerConfig vhost;
  vhost.certificate_files = {"vhost-with-key.pem"};
  ServerConfig m = merge(main, vhost);
  ASSERT_EQ(m.key_files.size(), 1u);
  EXPECT_EQ(m.key_files[0], "");  // the key is looked for in the certificate file
}

TEST(ServerMerge, ConfCmdsApplyMainFirstThenVhost) {
  ServerConfig main;
  main.openssl_conf_cmds = {{"Curves", "X25519"}};
  ServerConfig vhost;
  vhost.openssl_conf_cmds = {{"Options", "-SessionTicket"}};
  ServerConfig m = merge(main, vhost);
  ASSERT_EQ(m.openssl_conf_cmds.size(), 2u);
  EXPECT_EQ(m.openssl_conf_cmds[0].first, "Curves");
  EXPECT_EQ(m.openssl_conf_cmds[1].first, "Options");
}

TEST(ServerMerge, DefaultProtocolsAreAll) {
  EXPECT_EQ(effective_protocols(ServerConfig{}), kAllProtocols);
}

TEST(DirMerge, RequireSslCannotBeUnsetBelow) {
  DirConfig parent;
  parent.require_ssl = true;
  EXPECT_TRUE(merge(parent, DirConfig{}).require_ssl);
}

TEST(DirMerge, PerDirectoryCipherAndVerifyInherit) {
  DirConfig parent;
  parent.cipher_suite = "HIGH";
  parent.verify_client = VerifyClient::Require;
  DirConfig child;
  child.verify_depth = 2;
  DirConfig m = merge(parent, child);
  EXPECT_EQ(m.cipher_suite, "HIGH");
  EXPECT_EQ(m.verify_client, VerifyClient::Require);
  EXPECT_EQ(m.verify_depth, 2);
}

TEST(DirMerge, AbsoluteOptionsReplaceRelativeOptionsAdjust) {
  DirConfig parent;
  parent.options = {.options = kOptStdEnvVars | kOptExportCertData,
                    .add = kOptStdEnvVars | kOptExportCertData};
  DirConfig absolute;
  absolute.options = {.options = kOptFakeBasicAuth, .add = kOptFakeBasicAuth};
  EXPECT_EQ(effective_options(merge(parent, absolute).options), kOptFakeBasicAuth);

  DirConfig relative;
  relative.options = {.options = kOptRelativeSet | kOptStrictRequire, .add = kOptStrictRequire,
                      .remove = kOptExportCertData};
  EXPECT_EQ(effective_options(merge(parent, relative).options),
            kOptStdEnvVars | kOptStrictRequire);
  EXPECT_EQ(effective_options(merge(parent, DirConfig{}).options),
            kOptStdEnvVars | kOptExportCertData);
}

TEST(DirMerge, RelativeOptionsChainThroughLevels) {
  DirConfig a;
  a.options = {.options = kOptRelativeSet | kOptStdEnvVars, .add = kOptStdEnvVars};
  DirConfig b;
  b.options = {.options = kOptRelativeSet | kOptExportCertData, .add = kOptExportCertData};
  DirConfig c;
  c.options = {.options = kOptRelativeSet, .remove = kOptStdEnvVars};
  DirConfig ab = merge(a, b);
  EXPECT_EQ(effective_options(ab.options), kOptStdEnvVars | kOptExportCertData);
  EXPECT_EQ(effective_options(merge(ab, c).options), kOptExportCertData);
}

}  // namespace
}  // namespace modssl::config
