// Building a vhost's TLS context from configuration: what works, and what an administrator is
// told when it does not.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "handshake_step.h"
#include "pki.h"
#include "tls/vhost_context.h"
#include "vars/variables.h"

namespace modssl::tls {
namespace {

using testing::CertOptions;
using testing::KeyPair;
using testing::KeyType;

class VhostContextTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(testing::make_temp_dir("modssl-unit-"));
    CertOptions ca_opts;
    ca_opts.common_name = "Unit Test CA";
    ca_opts.dns_names = {};
    ca_opts.is_ca = true;
    ca_ = new KeyPair(testing::make_self_signed(ca_opts));
    CertOptions leaf_opts;
    leaf_opts.common_name = "www.example.test";
    leaf_opts.dns_names = {"www.example.test"};
    leaf_ = new KeyPair(testing::make_signed(leaf_opts, *ca_));
    other_ = new KeyPair(testing::make_signed(leaf_opts, *ca_));
    testing::write_cert_pem(path("leaf.crt"), {leaf_->cert});
    testing::write_key_pem(path("leaf.key"), leaf_->key);
    testing::write_key_pem(path("other.key"), other_->key);
    testing::write_cert_pem(path("leaf+chain.crt"), {leaf_->cert, ca_->cert});
    testing::write_cert_pem(path("ca.crt"), {ca_->cert});
    std::ofstream(path("garbage.crt")) << "this is not a certificate\n";
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete leaf_;
    delete other_;
    delete ca_;
    delete dir_;
  }
  static std::string path(const std::string& name) { return *dir_ + "/" + name; }

  config::Result<std::shared_ptr<VhostContext>> build(const config::ServerConfig& cfg) {
    ContextSpec spec;
    spec.config = &cfg;
    spec.vhost_id = "www.example.test:443";
    spec.server_names = {"www.example.test"};
    warnings_.clear();
    return VhostContext::create(spec, warnings_);
  }
  static config::ServerConfig base_config() {
    config::ServerConfig cfg;
    cfg.engine = config::EngineMode::On;
    cfg.certificate_files = {path("leaf+chain.crt")};
    cfg.key_files = {path("leaf.key")};
    return cfg;
  }

  std::vector<std::string> warnings_;
  static inline std::string* dir_ = nullptr;
  static inline KeyPair* ca_ = nullptr;
  static inline KeyPair* leaf_ = nullptr;
  static inline KeyPair* other_ = nullptr;
};

TEST_F(VhostContextTest, BuildsFromCertificateKeyAndChain) {
  auto ctx = build(base_config());
  ASSERT_TRUE(ctx) << ctx.error();
  EXPECT_TRUE(warnings_.empty()) << warnings_.front();
}

TEST_F(VhostContextTest, KeyMayLiveInTheCertificateFile) {
  std::string both = path("both.pem");
  testing::write_cert_pem(both, {leaf_->cert});
  {
    std::ofstream out(both, std::ios::app);
    std::ifstream key(path("leaf.key"));
    out << key.rdbuf();
  }
  config::ServerConfig cfg = base_config();
  cfg.certificate_files = {both};
  cfg.key_files.clear();
  auto ctx = build(cfg);
  EXPECT_TRUE(ctx) << ctx.error();
}

TEST_F(VhostContextTest, MismatchedKeyNamesBothFiles) {
  config::ServerConfig cfg = base_config();
  cfg.key_files = {path("other.key")};
  auto ctx = build(cfg);
  ASSERT_FALSE(ctx);
  EXPECT_NE(ctx.error().find(path("other.key")), std::string::npos) << ctx.error();
  EXPECT_NE(ctx.error().find(path("leaf+chain.crt")), std::string::npos) << ctx.error();
  EXPECT_NE(ctx.error().find("does not match"), std::string::npos) << ctx.error();
}

TEST_F(VhostContextTest, MissingFileNamesPathAndSystemReason) {
  config::ServerConfig cfg = base_config();
  cfg.certificate_files = {path("missing.crt")};
  auto ctx = build(cfg);
  ASSERT_FALSE(ctx);
  EXPECT_NE(ctx.error().find(path("missing.crt")), std::string::npos) << ctx.error();
  EXPECT_NE(ctx.error().find("No such file"), std::string::npos) << ctx.error();
}

TEST_F(VhostContextTest, UnparsableCertificateSaysSo) {
  config::ServerConfig cfg = base_config();
  cfg.certificate_files = {path("garbage.crt")};
  auto ctx = build(cfg);
  ASSERT_FALSE(ctx);
  EXPECT_NE(ctx.error().find("no PEM certificate"), std::string::npos) << ctx.error();
}

TEST_F(VhostContextTest, NoCertificateIsAnError) {
  config::ServerConfig cfg = base_config();
  cfg.certificate_files.clear();
  cfg.key_files.clear();
  auto ctx = build(cfg);
  ASSERT_FALSE(ctx);
  EXPECT_NE(ctx.error().find("SSLCertificateFile"), std::string::npos);
}

TEST_F(VhostContextTest, BadCipherSuiteIsAnError) {
  config::ServerConfig cfg = base_config();
  cfg.cipher_suite = "NO-SUCH-CIPHER";
  auto ctx = build(cfg);
  ASSERT_FALSE(ctx);
  EXPECT_NE(ctx.error().find("NO-SUCH-CIPHER"), std::string::npos) << ctx.error();
}

TEST_F(VhostContextTest, WarnsAboutNameMismatchAndMissingIntermediate) {
  config::ServerConfig cfg = base_config();
  cfg.certificate_files = {path("leaf.crt")};
  ContextSpec spec;
  spec.config = &cfg;
  spec.vhost_id = "other.test:443";
  spec.server_names = {"other.test"};
  std::vector<std::string> warnings;
  auto ctx = VhostContext::create(spec, warnings);
  ASSERT_TRUE(ctx) << ctx.error();
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings[0].find("other.test"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[1].find("Unit Test CA"), std::string::npos) << warnings[1];
}

TEST_F(VhostContextTest, WarnsAboutExpiredCertificate) {
  CertOptions o;
  o.common_name = o.dns_names[0] = "www.example.test";
  o.not_before_offset_s = -10 * 86400;
  o.not_after_offset_s = -86400;
  KeyPair expired = testing::make_signed(o, *ca_);
  testing::write_cert_pem(path("expired.crt"), {expired.cert, ca_->cert});
  testing::write_key_pem(path("expired.key"), expired.key);
  config::ServerConfig cfg = base_config();
  cfg.certificate_files = {path("expired.crt")};
  cfg.key_files = {path("expired.key")};
  auto ctx = build(cfg);
  ASSERT_TRUE(ctx) << ctx.error();
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_NE(warnings_[0].find("expired"), std::string::npos) << warnings_[0];
}

TEST_F(VhostContextTest, ProtocolRangeIsEnforcedAndVariablesReportIt) {
  config::ServerConfig cfg = base_config();
  cfg.protocols = config::kTLSv1_2;
  auto ctx = build(cfg);
  ASSERT_TRUE(ctx) << ctx.error();

  SslCtxPtr client_ctx(SSL_CTX_new(TLS_client_method()));
  SslPtr client(SSL_new(client_ctx.get()));
  SSL_set_tlsext_host_name(client.get(), "www.example.test");
  SslPtr server(SSL_new((*ctx)->ssl_ctx()));
  ASSERT_TRUE(testing::try_memory_handshake(client.get(), server.get()));
  EXPECT_EQ(SSL_version(server.get()), TLS1_2_VERSION);

  vars::Source src{server.get()};
  EXPECT_EQ(vars::lookup("HTTPS", src), "on");
  EXPECT_EQ(vars::lookup("https", src), "on");
  EXPECT_EQ(vars::lookup("SSL_PROTOCOL", src), "TLSv1.2");
  EXPECT_EQ(vars::lookup("SSL_TLS_SNI", src), "www.example.test");
  EXPECT_EQ(vars::lookup("SSL_SERVER_S_DN", src), "CN=www.example.test,O=modssl tests");
  EXPECT_FALSE(vars::lookup("SSL_NO_SUCH_VAR", src).has_value());
  EXPECT_EQ(vars::lookup("HTTPS", vars::Source{}), "off");
}

TEST_F(VhostContextTest, AdoptMovesAConnectionToAnotherVhostsSettings) {
  config::ServerConfig a = base_config();
  a.protocols = config::kTLSv1_2 | config::kTLSv1_3;
  config::ServerConfig b = base_config();
  b.protocols = config::kTLSv1_2;
  auto ctx_a = build(a);
  auto ctx_b = build(b);
  ASSERT_TRUE(ctx_a && ctx_b);

  SslCtxPtr client_ctx(SSL_CTX_new(TLS_client_method()));
  SslPtr client(SSL_new(client_ctx.get()));
  SslPtr server(SSL_new((*ctx_a)->ssl_ctx()));
  ASSERT_TRUE((*ctx_b)->adopt(server.get()));
  ASSERT_TRUE(testing::try_memory_handshake(client.get(), server.get()));
  EXPECT_EQ(SSL_version(server.get()), TLS1_2_VERSION);
}

// SNI moves a connection to a vhost with other ciphers: the handshake must use that vhost's
// lists, whichever protocol version it ends up with.
TEST_F(VhostContextTest, AdoptedConnectionNegotiatesTheNewVhostsCiphers) {
  config::ServerConfig b = base_config();
  b.cipher_suite = "ECDHE-ECDSA-AES128-GCM-SHA256";
  b.tls13_ciphersuites = "TLS_CHACHA20_POLY1305_SHA256";
  auto ctx_a = build(base_config());
  auto ctx_b = build(b);
  ASSERT_TRUE(ctx_a && ctx_b);

  for (int version : {TLS1_3_VERSION, TLS1_2_VERSION}) {
    SslCtxPtr client_ctx(SSL_CTX_new(TLS_client_method()));
    SSL_CTX_set_max_proto_version(client_ctx.get(), version);
    SslPtr client(SSL_new(client_ctx.get()));
    SslPtr server(SSL_new((*ctx_a)->ssl_ctx()));
    ASSERT_TRUE((*ctx_b)->adopt(server.get()));
    ASSERT_TRUE(testing::try_memory_handshake(client.get(), server.get())) << version;
    EXPECT_STREQ(SSL_get_cipher_name(server.get()), version == TLS1_3_VERSION
                                                        ? "TLS_CHACHA20_POLY1305_SHA256"
                                                        : "ECDHE-ECDSA-AES128-GCM-SHA256");
  }
}

// A connection that uses its context's cipher lists keeps using the new context's after the
// switch: no private copy (about 1 KiB per connection for its whole life).
TEST_F(VhostContextTest, AdoptGivesNoPrivateCipherListsToAConnectionWithoutThem) {
  config::ServerConfig b = base_config();
  b.cipher_suite = "ECDHE-ECDSA-AES128-GCM-SHA256";
  auto ctx_a = build(base_config());
  auto ctx_b = build(b);
  ASSERT_TRUE(ctx_a && ctx_b);
  SslPtr server(SSL_new((*ctx_a)->ssl_ctx()));
  ASSERT_TRUE((*ctx_b)->adopt(server.get()));
  EXPECT_EQ(SSL_get_ciphers(server.get()), SSL_CTX_get_ciphers((*ctx_b)->ssl_ctx()));
}

// A connection that was given lists of its own before the switch gets the new vhost's.
TEST_F(VhostContextTest, AdoptReplacesCipherListsAConnectionHadOfItsOwn) {
  config::ServerConfig b = base_config();
  b.cipher_suite = "ECDHE-ECDSA-AES128-GCM-SHA256";
  b.tls13_ciphersuites = "TLS_CHACHA20_POLY1305_SHA256";
  auto ctx_a = build(base_config());
  auto ctx_b = build(b);
  ASSERT_TRUE(ctx_a && ctx_b);
  SslPtr server(SSL_new((*ctx_a)->ssl_ctx()));
  ASSERT_EQ(SSL_set_cipher_list(server.get(), "ECDHE-ECDSA-AES256-GCM-SHA384"), 1);
  ASSERT_EQ(SSL_set_ciphersuites(server.get(), "TLS_AES_256_GCM_SHA384"), 1);
  ASSERT_TRUE((*ctx_b)->adopt(server.get()));

  std::vector<std::string> names;
  STACK_OF(SSL_CIPHER)* ciphers = SSL_get_ciphers(server.get());
  for (int i = 0; i < sk_SSL_CIPHER_num(ciphers); ++i) {
    names.emplace_back(SSL_CIPHER_get_name(sk_SSL_CIPHER_value(ciphers, i)));
  }
  EXPECT_EQ(names, (std::vector<std::string>{"TLS_CHACHA20_POLY1305_SHA256",
                                             "ECDHE-ECDSA-AES128-GCM-SHA256"}));
}

// Client-certificate verification is not built yet: asking for it must stop start-up rather
// than leave a vhost that looks protected and is not.
TEST_F(VhostContextTest, VerifyClientModesMapToOpenSslFlags) {
  const struct {
    config::VerifyClient mode;
    int flags;
  } cases[] = {{config::VerifyClient::Unset, SSL_VERIFY_NONE},
               {config::VerifyClient::None, SSL_VERIFY_NONE},
               {config::VerifyClient::Optional, SSL_VERIFY_PEER},
               {config::VerifyClient::OptionalNoCa, SSL_VERIFY_PEER},
               {config::VerifyClient::Require, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT}};
  for (const auto& c : cases) {
    config::ServerConfig cfg = base_config();
    cfg.verify_client = c.mode;
    cfg.ca_certificate_file = path("ca.crt");
    auto ctx = build(cfg);
    ASSERT_TRUE(ctx) << ctx.error();
    EXPECT_EQ(SSL_CTX_get_verify_mode((*ctx)->ssl_ctx()), c.flags);
  }
}

TEST_F(VhostContextTest, ClientCaFileGivesTheNamesSentToClients) {
  config::ServerConfig cfg = base_config();
  cfg.verify_client = config::VerifyClient::Require;
  cfg.ca_certificate_file = path("ca.crt");
  auto ctx = build(cfg);
  ASSERT_TRUE(ctx) << ctx.error();
  STACK_OF(X509_NAME)* names = SSL_CTX_get_client_CA_list((*ctx)->ssl_ctx());
  ASSERT_EQ(sk_X509_NAME_num(names), 1);
  EXPECT_EQ(X509_NAME_cmp(sk_X509_NAME_value(names, 0), X509_get_subject_name(ca_->cert)), 0);
  EXPECT_TRUE(warnings_.empty());
}

TEST_F(VhostContextTest, BadClientCaFileStopsStartUpWithTheFileName) {
  config::ServerConfig cfg = base_config();
  cfg.verify_client = config::VerifyClient::Require;
  cfg.ca_certificate_file = path("garbage.crt");
  auto ctx = build(cfg);
  ASSERT_FALSE(ctx);
  EXPECT_NE(ctx.error().find(path("garbage.crt")), std::string::npos) << ctx.error();
  EXPECT_NE(ctx.error().find("www.example.test:443"), std::string::npos) << ctx.error();
}

TEST_F(VhostContextTest, RequiringClientCertificatesWithoutCaWarns) {
  config::ServerConfig cfg = base_config();
  cfg.verify_client = config::VerifyClient::Require;
  ASSERT_TRUE(build(cfg));
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_NE(warnings_[0].find("SSLCACertificateFile"), std::string::npos) << warnings_[0];
}

TEST_F(VhostContextTest, ServerChainIsCompletedFromTheCaStore) {
  config::ServerConfig cfg = base_config();
  cfg.certificate_files = {path("leaf.crt")};  // no chain of its own
  cfg.ca_certificate_file = path("ca.crt");
  auto ctx = build(cfg);
  ASSERT_TRUE(ctx) << ctx.error();
  SSL_CTX_set_current_cert((*ctx)->ssl_ctx(), SSL_CERT_SET_FIRST);
  STACK_OF(X509)* chain = nullptr;
  SSL_CTX_get0_chain_certs((*ctx)->ssl_ctx(), &chain);
  ASSERT_EQ(sk_X509_num(chain), 1);
  EXPECT_EQ(X509_cmp(sk_X509_value(chain, 0), ca_->cert), 0);
}

TEST(ProtocolBounds, SpanLowestToHighestEnabled) {
  EXPECT_EQ(protocol_bounds(config::kTLSv1_2 | config::kTLSv1_3),
            std::make_pair(TLS1_2_VERSION, TLS1_3_VERSION));
  EXPECT_EQ(protocol_bounds(config::kTLSv1_3), std::make_pair(TLS1_3_VERSION, TLS1_3_VERSION));
  EXPECT_EQ(protocol_bounds(config::kAllProtocols), std::make_pair(TLS1_VERSION, TLS1_3_VERSION));
  EXPECT_EQ(protocol_bounds(0), std::make_pair(0, 0));
}

}  // namespace
}  // namespace modssl::tls
