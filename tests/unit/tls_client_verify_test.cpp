// Client-certificate verification in a vhost context: the verify callback over real in-memory
// handshakes (optional_no_ca's generosity, SSLVerifyDepth, what is recorded for the log and
// for SSL_CLIENT_VERIFY).
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "handshake_step.h"
#include "pki.h"
#include "tls/client_verify.h"
#include "tls/vhost_context.h"

namespace modssl::tls {
namespace {

using testing::CertOptions;
using testing::KeyPair;

struct Pki {
  KeyPair root, intermediate, server, direct_client, chained_client, stranger_root, stranger;
  std::string dir;
};

const Pki& pki() {
  static const Pki* p = [] {
    auto* k = new Pki();
    k->root = testing::make_self_signed(testing::cert_options("Verify Root", true));
    k->intermediate =
        testing::make_signed(testing::cert_options("Verify Intermediate", true), k->root);
    k->server = testing::make_signed(testing::cert_options("localhost"), k->root);
    k->direct_client = testing::make_signed(testing::cert_options("direct"), k->root);
    k->chained_client = testing::make_signed(testing::cert_options("chained"), k->intermediate);
    k->stranger_root = testing::make_self_signed(testing::cert_options("Stranger Root", true));
    k->stranger = testing::make_signed(testing::cert_options("stranger"), k->stranger_root);
    k->dir = testing::make_temp_dir("modssl-verify-");
    testing::write_cert_pem(k->dir + "/server.crt", {k->server.cert});
    testing::write_key_pem(k->dir + "/server.key", k->server.key);
    testing::write_cert_pem(k->dir + "/cas.crt", {k->root.cert, k->intermediate.cert});
    return k;
  }();
  return *p;
}

class ClientVerify : public ::testing::Test {
 protected:
  std::shared_ptr<VhostContext> context(config::VerifyClient mode, int depth) {
    cfg_.engine = config::EngineMode::On;
    cfg_.certificate_files = {pki().dir + "/server.crt"};
    cfg_.key_files = {pki().dir + "/server.key"};
    cfg_.ca_certificate_file = pki().dir + "/cas.crt";
    cfg_.verify_client = mode;
    cfg_.verify_depth = depth;
    ContextSpec spec;
    spec.config = &cfg_;
    spec.vhost_id = "localhost:443";
    std::vector<std::string> warnings;
    auto ctx = VhostContext::create(spec, warnings);
    EXPECT_TRUE(ctx) << (ctx ? "" : ctx.error());
    return ctx ? *ctx : nullptr;
  }

  // Handshake with a client presenting `leaf` (and `chain`), or none; true when it completes.
  bool connect(const VhostContext& vhost, const KeyPair* leaf,
               std::vector<const KeyPair*> chain = {}) {
    SSL_CTX* cctx = SSL_CTX_new(TLS_client_method());
    if (leaf) {
      SSL_CTX_use_certificate(cctx, leaf->cert);
      SSL_CTX_use_PrivateKey(cctx, leaf->key);
      for (const KeyPair* c : chain) SSL_CTX_add1_chain_cert(cctx, c->cert);
    }
    client_.reset(SSL_new(cctx));
    SSL_CTX_free(cctx);
    server_.reset(SSL_new(vhost.ssl_ctx()));
    return testing::try_memory_handshake(client_.get(), server_.get());
  }

  const VerifyOutcome* outcome() const { return verify_outcome(server_.get()); }

  config::ServerConfig cfg_;
  std::unique_ptr<SSL, decltype(&SSL_free)> client_{nullptr, SSL_free};
  std::unique_ptr<SSL, decltype(&SSL_free)> server_{nullptr, SSL_free};
};

TEST_F(ClientVerify, CertificateFromAKnownCaVerifies) {
  auto vhost = context(config::VerifyClient::Require, 1);
  ASSERT_TRUE(connect(*vhost, &pki().direct_client));
  EXPECT_EQ(SSL_get_verify_result(server_.get()), X509_V_OK);
  ASSERT_NE(outcome(), nullptr);
  EXPECT_TRUE(outcome()->error.empty());
  EXPECT_FALSE(outcome()->generous);
}

TEST_F(ClientVerify, RequireRefusesAClientWithoutCertificate) {
  auto vhost = context(config::VerifyClient::Require, 1);
  EXPECT_FALSE(connect(*vhost, nullptr));
}

TEST_F(ClientVerify, OptionalLetsAClientWithoutCertificateIn) {
  auto vhost = context(config::VerifyClient::Optional, 1);
  ASSERT_TRUE(connect(*vhost, nullptr));
  EXPECT_EQ(SSL_get0_peer_certificate(server_.get()), nullptr);
}

TEST_F(ClientVerify, OptionalRefusesACertificateFromAnUnknownCaAndSaysWhy) {
  auto vhost = context(config::VerifyClient::Optional, 1);
  EXPECT_FALSE(connect(*vhost, &pki().stranger));
  ASSERT_NE(outcome(), nullptr);
  EXPECT_EQ(outcome()->error, "unable to get local issuer certificate");
  EXPECT_NE(outcome()->failure.find("depth 0"), std::string::npos) << outcome()->failure;
  EXPECT_NE(outcome()->failure.find("CN=stranger"), std::string::npos) << outcome()->failure;
  EXPECT_NE(outcome()->failure.find("CN=Stranger Root"), std::string::npos) << outcome()->failure;
}

TEST_F(ClientVerify, OptionalNoCaAcceptsAnUnknownCaGenerously) {
  auto vhost = context(config::VerifyClient::OptionalNoCa, 1);
  ASSERT_TRUE(connect(*vhost, &pki().stranger));
  ASSERT_NE(outcome(), nullptr);
  EXPECT_TRUE(outcome()->generous);
  EXPECT_NE(SSL_get0_peer_certificate(server_.get()), nullptr);
}

TEST_F(ClientVerify, DepthOneRefusesACertificateBelowAnIntermediate) {
  auto vhost = context(config::VerifyClient::Require, 1);
  EXPECT_FALSE(connect(*vhost, &pki().chained_client));
  ASSERT_NE(outcome(), nullptr);
  EXPECT_EQ(outcome()->error, "certificate chain too long");
  EXPECT_NE(outcome()->failure.find("SSLVerifyDepth allows 1"), std::string::npos)
      << outcome()->failure;
}

TEST_F(ClientVerify, DepthTwoAcceptsIt) {
  auto vhost = context(config::VerifyClient::Require, 2);
  ASSERT_TRUE(connect(*vhost, &pki().chained_client));
  EXPECT_EQ(SSL_get_verify_result(server_.get()), X509_V_OK);
}

TEST_F(ClientVerify, ConnectionWithoutVerificationHasNoOutcome) {
  auto vhost = context(config::VerifyClient::None, 1);
  ASSERT_TRUE(connect(*vhost, &pki().direct_client));
  EXPECT_EQ(outcome(), nullptr);
}

}  // namespace
}  // namespace modssl::tls
