// CRL checking of client certificates in a vhost context: SSLCARevocationFile/Path loaded into
// the trust store, SSLCARevocationCheck chain|leaf [no_crl_for_cert_ok], over real in-memory
// handshakes; and what stops start-up or is warned about.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "handshake_step.h"
#include "pki.h"
#include "tls/client_verify.h"
#include "tls/crl_check.h"
#include "tls/vhost_context.h"

namespace modssl::tls {
namespace {

using testing::CertOptions;
using testing::KeyPair;
using CrlPtr = std::unique_ptr<X509_CRL, decltype(&X509_CRL_free)>;

// A CRL signed by `issuer` listing `revoked`, valid from now + last_s to now + next_s.
CrlPtr make_crl(const KeyPair& issuer, const std::vector<const KeyPair*>& revoked,
                long last_s = -3600, long next_s = 7L * 86400) {
  CrlPtr crl(X509_CRL_new(), X509_CRL_free);
  X509_CRL_set_version(crl.get(), 1);
  X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuer.cert));
  ASN1_TIME* last = X509_gmtime_adj(nullptr, last_s);
  ASN1_TIME* next = X509_gmtime_adj(nullptr, next_s);
  X509_CRL_set1_lastUpdate(crl.get(), last);
  X509_CRL_set1_nextUpdate(crl.get(), next);
  for (const KeyPair* r : revoked) {
    X509_REVOKED* entry = X509_REVOKED_new();
    X509_REVOKED_set_serialNumber(entry, X509_get_serialNumber(r->cert));
    X509_REVOKED_set_revocationDate(entry, last);
    X509_CRL_add0_revoked(crl.get(), entry);
  }
  ASN1_TIME_free(last);
  ASN1_TIME_free(next);
  X509_CRL_sort(crl.get());
  EXPECT_GT(X509_CRL_sign(crl.get(), issuer.key, EVP_sha256()), 0);
  return crl;
}

void write_crls(const std::string& path, const std::vector<const X509_CRL*>& crls) {
  FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr) << path;
  for (const X509_CRL* crl : crls) PEM_write_X509_CRL(f, const_cast<X509_CRL*>(crl));
  std::fclose(f);
}

// The name `openssl rehash` gives a CRL: <issuer hash>.r0.
std::string hash_link_name(const X509_CRL* crl) {
  char name[32];
  std::snprintf(name, sizeof name, "%08lx.r0",
                X509_NAME_hash_ex(X509_CRL_get_issuer(crl), nullptr, nullptr, nullptr));
  return name;
}

struct Pki {
  KeyPair root, intermediate, other_root, server;
  KeyPair direct, revoked_direct, chained, revoked_chained, other_client;
  std::string dir;
};

const Pki& pki() {
  static const Pki* p = [] {
    auto* k = new Pki();
    k->root = testing::make_self_signed(testing::cert_options("CRL Root", true));
    k->intermediate =
        testing::make_signed(testing::cert_options("CRL Intermediate", true), k->root);
    k->other_root = testing::make_self_signed(testing::cert_options("CRL-less Root", true));
    k->server = testing::make_signed(testing::cert_options("localhost"), k->root);
    k->direct = testing::make_signed(testing::cert_options("direct"), k->root);
    k->revoked_direct = testing::make_signed(testing::cert_options("revoked direct"), k->root);
    k->chained = testing::make_signed(testing::cert_options("chained"), k->intermediate);
    k->revoked_chained =
        testing::make_signed(testing::cert_options("revoked chained"), k->intermediate);
    k->other_client = testing::make_signed(testing::cert_options("other"), k->other_root);
    k->dir = testing::make_temp_dir("modssl-crl-");
    testing::write_cert_pem(k->dir + "/server.crt", {k->server.cert});
    testing::write_key_pem(k->dir + "/server.key", k->server.key);
    testing::write_cert_pem(k->dir + "/cas.crt",
                            {k->root.cert, k->intermediate.cert, k->other_root.cert});
    return k;
  }();
  return *p;
}

class CrlCheck : public ::testing::Test {
 protected:
  void SetUp() override {
    cfg_.engine = config::EngineMode::On;
    cfg_.certificate_files = {pki().dir + "/server.crt"};
    cfg_.key_files = {pki().dir + "/server.key"};
    cfg_.ca_certificate_file = pki().dir + "/cas.crt";
    cfg_.verify_client = config::VerifyClient::Require;
    cfg_.verify_depth = 3;
  }

  // A CRL file for this test holding `crls`.
  std::string crl_file(const std::vector<const X509_CRL*>& crls) {
    const std::string path =
        pki().dir + "/" + ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".crl";
    write_crls(path, crls);
    return path;
  }

  config::Result<std::shared_ptr<VhostContext>> try_context(config::CrlCheckMode mode,
                                                            bool no_crl_ok = false) {
    cfg_.crl_check = {mode, no_crl_ok};
    ContextSpec spec;
    spec.config = &cfg_;
    spec.vhost_id = "localhost:443";
    warnings_.clear();
    return VhostContext::create(spec, warnings_);
  }

  std::shared_ptr<VhostContext> context(config::CrlCheckMode mode, bool no_crl_ok = false) {
    auto ctx = try_context(mode, no_crl_ok);
    EXPECT_TRUE(ctx) << (ctx ? "" : ctx.error());
    return ctx ? *ctx : nullptr;
  }

  // Handshake with a client presenting `leaf`; true when it completes on both sides.
  bool connect(const VhostContext& vhost, const KeyPair& leaf, int max_version = 0) {
    SSL_CTX* cctx = SSL_CTX_new(TLS_client_method());
    if (max_version) SSL_CTX_set_max_proto_version(cctx, max_version);
    SSL_CTX_use_certificate(cctx, leaf.cert);
    SSL_CTX_use_PrivateKey(cctx, leaf.key);
    client_.reset(SSL_new(cctx));
    SSL_CTX_free(cctx);
    server_.reset(SSL_new(vhost.ssl_ctx()));
    return testing::try_memory_handshake(client_.get(), server_.get());
  }

  std::string refusal() const {
    const VerifyOutcome* o = verify_outcome(server_.get());
    return o ? o->error : "(no outcome)";
  }
  std::string failure() const {
    const VerifyOutcome* o = verify_outcome(server_.get());
    return o ? o->failure : "(no outcome)";
  }
  bool warned(const std::string& needle) const {
    for (const std::string& w : warnings_) {
      if (w.find(needle) != std::string::npos) return true;
    }
    return false;
  }
  std::string all_warnings() const {
    std::string out;
    for (const std::string& w : warnings_) out += w + "\n";
    return out;
  }

  config::ServerConfig cfg_;
  std::vector<std::string> warnings_;
  std::unique_ptr<SSL, decltype(&SSL_free)> client_{nullptr, SSL_free};
  std::unique_ptr<SSL, decltype(&SSL_free)> server_{nullptr, SSL_free};
};

TEST_F(CrlCheck, RevokedLeafIsRefused) {
  CrlPtr root_crl = make_crl(pki().root, {&pki().revoked_direct});
  cfg_.ca_revocation_file = crl_file({root_crl.get()});
  auto vhost = context(config::CrlCheckMode::Leaf);
  ASSERT_TRUE(vhost);
  EXPECT_FALSE(connect(*vhost, pki().revoked_direct));
  EXPECT_EQ(refusal(), "certificate revoked");
  EXPECT_NE(failure().find("CN=revoked direct"), std::string::npos) << failure();
}

TEST_F(CrlCheck, ValidLeafIsAccepted) {
  CrlPtr root_crl = make_crl(pki().root, {&pki().revoked_direct});
  cfg_.ca_revocation_file = crl_file({root_crl.get()});
  auto vhost = context(config::CrlCheckMode::Leaf);
  ASSERT_TRUE(vhost);
  ASSERT_TRUE(connect(*vhost, pki().direct)) << failure();
  EXPECT_EQ(SSL_get_verify_result(server_.get()), X509_V_OK);
  EXPECT_TRUE(warnings_.empty()) << all_warnings();
}

TEST_F(CrlCheck, OneFileHoldsSeveralCrls) {
  CrlPtr root_crl = make_crl(pki().root, {&pki().revoked_direct});
  CrlPtr inter_crl = make_crl(pki().intermediate, {&pki().revoked_chained});
  cfg_.ca_revocation_file = crl_file({root_crl.get(), inter_crl.get()});
  auto vhost = context(config::CrlCheckMode::Chain);
  ASSERT_TRUE(vhost);
  EXPECT_TRUE(connect(*vhost, pki().chained)) << failure();
  EXPECT_TRUE(connect(*vhost, pki().direct)) << failure();
  EXPECT_FALSE(connect(*vhost, pki().revoked_chained));
  EXPECT_EQ(refusal(), "certificate revoked");
  EXPECT_FALSE(connect(*vhost, pki().revoked_direct));
  EXPECT_EQ(refusal(), "certificate revoked");
}

TEST_F(CrlCheck, ChainNeedsACrlFromEveryIssuer) {
  CrlPtr inter_crl = make_crl(pki().intermediate, {});
  cfg_.ca_revocation_file = crl_file({inter_crl.get()});
  auto vhost = context(config::CrlCheckMode::Chain);
  ASSERT_TRUE(vhost);
  EXPECT_FALSE(connect(*vhost, pki().chained));
  EXPECT_EQ(refusal(), "unable to get certificate CRL");
  EXPECT_NE(failure().find("depth 1"), std::string::npos) << failure();
}

TEST_F(CrlCheck, LeafNeedsOnlyTheCrlOfTheClientsIssuer) {
  CrlPtr inter_crl = make_crl(pki().intermediate, {});
  cfg_.ca_revocation_file = crl_file({inter_crl.get()});
  auto vhost = context(config::CrlCheckMode::Leaf);
  ASSERT_TRUE(vhost);
  EXPECT_TRUE(connect(*vhost, pki().chained)) << failure();
}

TEST_F(CrlCheck, RevokedIntermediateIsRefusedByChainOnly) {
  CrlPtr root_crl = make_crl(pki().root, {&pki().intermediate});
  CrlPtr inter_crl = make_crl(pki().intermediate, {});
  cfg_.ca_revocation_file = crl_file({root_crl.get(), inter_crl.get()});
  auto chain = context(config::CrlCheckMode::Chain);
  ASSERT_TRUE(chain);
  EXPECT_FALSE(connect(*chain, pki().chained));
  EXPECT_EQ(refusal(), "certificate revoked");
  EXPECT_NE(failure().find("CN=CRL Intermediate"), std::string::npos) << failure();
  auto leaf = context(config::CrlCheckMode::Leaf);
  ASSERT_TRUE(leaf);
  EXPECT_TRUE(connect(*leaf, pki().chained)) << failure();
}

TEST_F(CrlCheck, CertificateWhoseCaHasNoCrlIsRefused) {
  CrlPtr root_crl = make_crl(pki().root, {});
  cfg_.ca_revocation_file = crl_file({root_crl.get()});
  auto vhost = context(config::CrlCheckMode::Leaf);
  ASSERT_TRUE(vhost);
  EXPECT_FALSE(connect(*vhost, pki().other_client));
  EXPECT_EQ(refusal(), "unable to get certificate CRL");
}

TEST_F(CrlCheck, NoCrlForCertOkForgivesAMissingCrlButNotARevocation) {
  CrlPtr root_crl = make_crl(pki().root, {&pki().revoked_direct});
  cfg_.ca_revocation_file = crl_file({root_crl.get()});
  auto vhost = context(config::CrlCheckMode::Chain, true);
  ASSERT_TRUE(vhost);
  EXPECT_TRUE(connect(*vhost, pki().other_client)) << failure();
  // The chain verified: the result is OK, as SSL_CLIENT_VERIFY and access checks read it.
  EXPECT_EQ(SSL_get_verify_result(server_.get()), X509_V_OK);
  EXPECT_TRUE(connect(*vhost, pki().chained)) << failure();  // the intermediate has no CRL
  EXPECT_EQ(SSL_get_verify_result(server_.get()), X509_V_OK);
  EXPECT_FALSE(connect(*vhost, pki().revoked_direct));
  EXPECT_EQ(refusal(), "certificate revoked");
}

TEST_F(CrlCheck, HashDirectoryIsSearched) {
  CrlPtr root_crl = make_crl(pki().root, {&pki().revoked_direct});
  CrlPtr inter_crl = make_crl(pki().intermediate, {&pki().revoked_chained});
  const std::string dir = testing::make_temp_dir("modssl-crl-dir-");
  write_crls(dir + "/" + hash_link_name(root_crl.get()), {root_crl.get()});
  write_crls(dir + "/" + hash_link_name(inter_crl.get()), {inter_crl.get()});
  cfg_.ca_revocation_path = dir;
  auto vhost = context(config::CrlCheckMode::Chain);
  ASSERT_TRUE(vhost);
  EXPECT_TRUE(warnings_.empty()) << all_warnings();
  EXPECT_TRUE(connect(*vhost, pki().direct)) << failure();
  EXPECT_TRUE(connect(*vhost, pki().chained)) << failure();
  EXPECT_FALSE(connect(*vhost, pki().revoked_direct));
  EXPECT_EQ(refusal(), "certificate revoked");
  EXPECT_FALSE(connect(*vhost, pki().revoked_chained));
  EXPECT_EQ(refusal(), "certificate revoked");
}

TEST_F(CrlCheck, DirectoryWithoutHashLinksIsWarnedAbout) {
  CrlPtr root_crl = make_crl(pki().root, {});
  const std::string dir = testing::make_temp_dir("modssl-crl-nolinks-");
  write_crls(dir + "/root.crl", {root_crl.get()});
  cfg_.ca_revocation_path = dir;
  auto vhost = context(config::CrlCheckMode::Leaf);
  ASSERT_TRUE(vhost);
  EXPECT_TRUE(warned("openssl rehash " + dir)) << all_warnings();
  EXPECT_FALSE(connect(*vhost, pki().direct));
  EXPECT_EQ(refusal(), "unable to get certificate CRL");
}

TEST_F(CrlCheck, FileWithoutCrlStopsStartUpNamingIt) {
  const std::string path = pki().dir + "/not-a-crl.pem";
  std::ofstream(path) << "this is not a CRL\n";
  cfg_.ca_revocation_file = path;
  auto ctx = try_context(config::CrlCheckMode::Chain);
  ASSERT_FALSE(ctx);
  EXPECT_NE(ctx.error().find("SSLCARevocationFile " + path), std::string::npos) << ctx.error();
  EXPECT_NE(ctx.error().find("localhost:443"), std::string::npos) << ctx.error();
  EXPECT_NE(ctx.error().find("no start line"), std::string::npos) << ctx.error();
}

TEST_F(CrlCheck, FileOfCertificatesIsNoCrlFile) {
  cfg_.ca_revocation_file = pki().dir + "/cas.crt";
  auto ctx = try_context(config::CrlCheckMode::Leaf);
  ASSERT_FALSE(ctx);
  EXPECT_NE(ctx.error().find("cas.crt"), std::string::npos) << ctx.error();
}

TEST_F(CrlCheck, DamagedCrlAfterAGoodOneStopsStartUp) {
  CrlPtr root_crl = make_crl(pki().root, {});
  const std::string path = crl_file({root_crl.get()});
  std::ofstream(path, std::ios::app)
      << "-----BEGIN X509 CRL-----\nAAAA!!!!\n-----END X509 CRL-----\n";
  cfg_.ca_revocation_file = path;
  auto ctx = try_context(config::CrlCheckMode::Leaf);
  ASSERT_FALSE(ctx);
  EXPECT_NE(ctx.error().find(path), std::string::npos) << ctx.error();
}

TEST_F(CrlCheck, CheckWithoutAnyCrlStopsStartUpAsStockDoes) {
  auto ctx = try_context(config::CrlCheckMode::Chain);
  ASSERT_FALSE(ctx);
  EXPECT_NE(ctx.error().find("neither SSLCARevocationFile nor SSLCARevocationPath"),
            std::string::npos)
      << ctx.error();
}

TEST_F(CrlCheck, NoneWithoutCrlsIsQuiet) {
  auto vhost = context(config::CrlCheckMode::None);
  ASSERT_TRUE(vhost);
  EXPECT_TRUE(warnings_.empty()) << all_warnings();
}

TEST_F(CrlCheck, CrlsWithoutACheckModeAreWarnedAboutAndUnused) {
  CrlPtr root_crl = make_crl(pki().root, {&pki().revoked_direct});
  cfg_.ca_revocation_file = crl_file({root_crl.get()});
  auto vhost = context(config::CrlCheckMode::Unset);
  ASSERT_TRUE(vhost);
  EXPECT_TRUE(warned("CRL checking is not enabled")) << all_warnings();
  EXPECT_TRUE(connect(*vhost, pki().revoked_direct)) << failure();
}

TEST_F(CrlCheck, ExpiredCrlRefusesItsClientsAndIsWarnedAbout) {
  CrlPtr stale = make_crl(pki().root, {}, -2L * 86400, -86400);
  cfg_.ca_revocation_file = crl_file({stale.get()});
  auto vhost = context(config::CrlCheckMode::Leaf);
  ASSERT_TRUE(vhost);
  EXPECT_TRUE(warned("CN=CRL Root")) << all_warnings();
  EXPECT_TRUE(warned("expired on")) << all_warnings();
  ERR_clear_error();
  EXPECT_FALSE(connect(*vhost, pki().direct, TLS1_2_VERSION));
  EXPECT_EQ(refusal(), "CRL has expired");
  // Not certificate_expired: the client's certificate has not expired (stock's mapping).
  ERR_clear_error();
  SSL_do_handshake(client_.get());  // reads the server's alert
  std::string errors;
  while (unsigned long e = ERR_get_error()) errors += ERR_reason_error_string(e) + std::string(";");
  EXPECT_NE(errors.find("alert certificate unknown"), std::string::npos) << errors;
  EXPECT_EQ(errors.find("alert certificate expired"), std::string::npos) << errors;
}

TEST(CrlCheckForgiveness, OnlyAMissingCrlAndOnlyWhenAsked) {
  config::ServerConfig cfg;
  cfg.crl_check = {config::CrlCheckMode::Chain, true};
  EXPECT_TRUE(crl_error_forgiven(cfg, X509_V_ERR_UNABLE_TO_GET_CRL));
  EXPECT_FALSE(crl_error_forgiven(cfg, X509_V_ERR_CERT_REVOKED));
  EXPECT_FALSE(crl_error_forgiven(cfg, X509_V_ERR_CRL_HAS_EXPIRED));
  EXPECT_FALSE(crl_error_forgiven(cfg, X509_V_ERR_CRL_SIGNATURE_FAILURE));
  cfg.crl_check.no_crl_for_cert_ok = false;
  EXPECT_FALSE(crl_error_forgiven(cfg, X509_V_ERR_UNABLE_TO_GET_CRL));
}

}  // namespace
}  // namespace modssl::tls
