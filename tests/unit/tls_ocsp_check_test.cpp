// OCSP checking of client certificates without a real responder: responses are built and signed
// in memory and judged by evaluate_ocsp_response; check_ocsp's responder choice and its time
// limit are exercised against loopback sockets that refuse or never answer.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>

#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include "pki.h"
#include "tls/ocsp_check.h"
#include "tls/ocsp_response.h"

namespace modssl::tls {
namespace {

using testing::CertOptions;
using testing::KeyPair;

template <auto F>
struct Free {
  template <class T>
  void operator()(T* p) const {
    F(p);
  }
};
using Response = std::unique_ptr<OCSP_RESPONSE, Free<OCSP_RESPONSE_free>>;
using Request = std::unique_ptr<OCSP_REQUEST, Free<OCSP_REQUEST_free>>;
using CertId = std::unique_ptr<OCSP_CERTID, Free<OCSP_CERTID_free>>;
using Store = std::unique_ptr<X509_STORE, Free<X509_STORE_free>>;
using StoreCtx = std::unique_ptr<X509_STORE_CTX, Free<X509_STORE_CTX_free>>;

struct Answer {
  int status = V_OCSP_CERTSTATUS_GOOD;
  int reason = -1;
  long this_update_offset = -60;
  long next_update_offset = 3600;  // 0: no nextUpdate
  OCSP_REQUEST* echo_nonce_of = nullptr;
  int response_status = OCSP_RESPONSE_STATUS_SUCCESSFUL;
};

class OcspResponse : public ::testing::Test {
 protected:
  OcspResponse()
      : ca_(testing::make_self_signed({.common_name = "OCSP test CA", .is_ca = true})),
        responder_(testing::make_signed(
            {.common_name = "OCSP responder", .extensions = {{"extendedKeyUsage", "OCSPSigning"}}},
            ca_)),
        client_(testing::make_signed({.common_name = "client"}, ca_)),
        trust_(X509_STORE_new()) {
    X509_STORE_add_cert(trust_.get(), ca_.cert);
  }

  CertId id() const { return CertId(OCSP_cert_to_id(nullptr, client_.cert, ca_.cert)); }

  Response answer(const Answer& a, const KeyPair* signer = nullptr) const {
    if (a.response_status != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
      return Response(OCSP_response_create(a.response_status, nullptr));
    }
    if (!signer) signer = &ca_;  // the CA may sign answers about its own certificates
    OCSP_BASICRESP* basic = OCSP_BASICRESP_new();
    CertId cid = id();
    ASN1_TIME* now = X509_gmtime_adj(nullptr, 0);
    ASN1_TIME* this_update = X509_gmtime_adj(nullptr, a.this_update_offset);
    ASN1_TIME* next_update =
        a.next_update_offset ? X509_gmtime_adj(nullptr, a.next_update_offset) : nullptr;
    ASN1_TIME* revoked_at = X509_gmtime_adj(nullptr, -86400);
    OCSP_basic_add1_status(basic, cid.get(), a.status, a.reason,
                           a.status == V_OCSP_CERTSTATUS_REVOKED ? revoked_at : nullptr,
                           this_update, next_update);
    if (a.echo_nonce_of) OCSP_copy_nonce(basic, a.echo_nonce_of);
    STACK_OF(X509)* extra = sk_X509_new_null();
    OCSP_basic_sign(basic, signer->cert, signer->key, EVP_sha256(), extra, 0);
    sk_X509_free(extra);
    ASN1_TIME_free(now);
    ASN1_TIME_free(this_update);
    ASN1_TIME_free(next_update);
    ASN1_TIME_free(revoked_at);
    Response r(OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic));
    OCSP_BASICRESP_free(basic);
    return r;
  }

  OcspResponseRules rules() const {
    OcspResponseRules r;
    r.responder = "http://127.0.0.1:8888/";
    r.trust = trust_.get();
    return r;
  }

  OcspVerdict judge(const Answer& a, const OcspResponseRules& r,
                    const KeyPair* signer = nullptr) const {
    Response resp = answer(a, signer);
    CertId cid = id();
    return evaluate_ocsp_response(resp.get(), cid.get(), r);
  }

  KeyPair ca_;
  KeyPair responder_;
  KeyPair client_;
  Store trust_;
};

TEST_F(OcspResponse, GoodIsAccepted) {
  OcspVerdict v = judge({}, rules());
  EXPECT_TRUE(v.ok) << v.reason;
}

TEST_F(OcspResponse, RevokedIsRefusedWithTheReasonAndTheDate) {
  OcspVerdict v = judge(
      {.status = V_OCSP_CERTSTATUS_REVOKED, .reason = OCSP_REVOKED_STATUS_KEYCOMPROMISE}, rules());
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.error, X509_V_ERR_CERT_REVOKED);
  EXPECT_NE(v.reason.find("certificate revoked (OCSP: keyCompromise, since "), std::string::npos)
      << v.reason;
  EXPECT_NE(v.reason.find("GMT"), std::string::npos) << v.reason;
}

TEST_F(OcspResponse, RevokedWithoutReasonSaysSo) {
  OcspVerdict v = judge({.status = V_OCSP_CERTSTATUS_REVOKED}, rules());
  EXPECT_EQ(v.error, X509_V_ERR_CERT_REVOKED);
  EXPECT_NE(v.reason.find("no reason given"), std::string::npos) << v.reason;
}

TEST_F(OcspResponse, UnknownIsRefused) {
  OcspVerdict v = judge({.status = V_OCSP_CERTSTATUS_UNKNOWN}, rules());
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.error, X509_V_ERR_APPLICATION_VERIFICATION);
  EXPECT_NE(v.reason.find("status unknown"), std::string::npos) << v.reason;
}

TEST_F(OcspResponse, ResponderErrorStatusIsRefused) {
  OcspVerdict v = judge({.response_status = OCSP_RESPONSE_STATUS_TRYLATER}, rules());
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.reason.find("trylater"), std::string::npos) << v.reason;
}

TEST_F(OcspResponse, SignatureByAStrangerIsRefusedUnlessNoVerify) {
  KeyPair stranger = testing::make_self_signed({.common_name = "stranger"});
  OcspVerdict v = judge({}, rules(), &stranger);
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.reason.find("signature does not verify"), std::string::npos) << v.reason;
  OcspResponseRules lax = rules();
  lax.verify_signature = false;
  EXPECT_TRUE(judge({}, lax, &stranger).ok);
}

TEST_F(OcspResponse, ResponderCertificateFileTrustsASignerOutsideTheChain) {
  KeyPair standalone = testing::make_self_signed({.common_name = "standalone responder"});
  STACK_OF(X509)* trusted = sk_X509_new_null();
  sk_X509_push(trusted, standalone.cert);
  OcspResponseRules r = rules();
  r.responder_certs = trusted;
  OcspVerdict v = judge({}, r, &standalone);
  sk_X509_free(trusted);
  EXPECT_TRUE(v.ok) << v.reason;
}

TEST_F(OcspResponse, NonceMustComeBack) {
  Request req(OCSP_REQUEST_new());
  OCSP_request_add0_id(req.get(), id().release());
  OCSP_request_add1_nonce(req.get(), nullptr, -1);
  OcspResponseRules r = rules();
  r.nonce_request = req.get();
  OcspVerdict missing = judge({}, r);
  EXPECT_FALSE(missing.ok);
  EXPECT_NE(missing.reason.find("SSLOCSPUseRequestNonce"), std::string::npos) << missing.reason;
  EXPECT_TRUE(judge({.echo_nonce_of = req.get()}, r).ok);
}

TEST_F(OcspResponse, StaleAnswerIsRefused) {
  OcspVerdict v = judge({.this_update_offset = -7200, .next_update_offset = -3600}, rules());
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.reason.find("stale"), std::string::npos) << v.reason;
}

TEST_F(OcspResponse, MaxAgeLimitsAnswersWithoutNextUpdate) {
  OcspResponseRules r = rules();
  EXPECT_TRUE(judge({.this_update_offset = -3600, .next_update_offset = 0}, r).ok);
  r.max_age = 600;
  OcspVerdict v = judge({.this_update_offset = -3600, .next_update_offset = 0}, r);
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.reason.find("SSLOCSPResponseMaxAge 600 s"), std::string::npos) << v.reason;
}

// check_ocsp on a verified chain: responder choice and the network's failure modes.
class OcspCheck : public OcspResponse {
 protected:
  OcspVerdict check(const config::ServerConfig& cfg, const KeyPair& leaf) {
    StoreCtx ctx(X509_STORE_CTX_new());
    X509_STORE_CTX_init(ctx.get(), trust_.get(), leaf.cert, nullptr);
    EXPECT_EQ(X509_verify_cert(ctx.get()), 1);
    return check_ocsp(cfg, ctx.get(), 0);
  }
  static config::ServerConfig enabled() {
    config::ServerConfig cfg;
    cfg.ocsp.enable = config::Toggle::On;
    return cfg;
  }
};

TEST_F(OcspCheck, NoResponderIsRefusedUnlessNoOcspForCertOk) {
  config::ServerConfig cfg = enabled();
  OcspVerdict v = check(cfg, client_);
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.reason.find("names no OCSP responder"), std::string::npos) << v.reason;
  EXPECT_NE(v.reason.find("no_ocsp_for_cert_ok"), std::string::npos) << v.reason;
  cfg.ocsp.no_ocsp_for_cert_ok = true;
  EXPECT_TRUE(check(cfg, client_).ok);
}

TEST_F(OcspCheck, HttpsResponderCannotBeQueried) {
  config::ServerConfig cfg = enabled();
  cfg.ocsp.default_responder = "https://127.0.0.1:1/";
  OcspVerdict v = check(cfg, client_);
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.reason.find("only http://"), std::string::npos) << v.reason;
}

TEST_F(OcspCheck, RefusedConnectionIsRefusedAndNamesTheResponder) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);  // nothing listens there now
  config::ServerConfig cfg = enabled();
  const std::string uri = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/";
  cfg.ocsp.default_responder = uri;
  OcspVerdict v = check(cfg, client_);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.error, X509_V_ERR_APPLICATION_VERIFICATION);
  EXPECT_NE(v.reason.find("OCSP responder " + uri), std::string::npos) << v.reason;
}

TEST_F(OcspCheck, SilentResponderIsGivenUpAfterTheTimeout) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 4), 0);  // accepts connections (backlog) but never answers
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  config::ServerConfig cfg = enabled();
  cfg.ocsp.responder_timeout = 1;
  cfg.ocsp.default_responder = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/";
  const auto start = std::chrono::steady_clock::now();
  OcspVerdict v = check(cfg, client_);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  close(fd);
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.reason.find("did not answer within 1 s"), std::string::npos) << v.reason;
  EXPECT_LT(elapsed, std::chrono::seconds(3));
}

TEST_F(OcspCheck, SelfIssuedCertificateIsNotAsked) {
  StoreCtx ctx(X509_STORE_CTX_new());
  X509_STORE_CTX_init(ctx.get(), trust_.get(), client_.cert, nullptr);
  ASSERT_EQ(X509_verify_cert(ctx.get()), 1);
  EXPECT_TRUE(check_ocsp(enabled(), ctx.get(), 1).ok);  // depth 1: the root CA
}

}  // namespace
}  // namespace modssl::tls
