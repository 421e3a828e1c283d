// OCSP checking of client certificates (SSLOCSPEnable and friends) against a real responder:
// `openssl ocsp` serving an index file, client certificates whose authorityInfoAccess points at
// it (or not), and an httpd that requires client certificates. Runs against both modules, so the
// log assertions are loose: the two modules word their messages differently.
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <openssl/x509.h>

#include "httpd.h"
#include "pki.h"
#include "process.h"
#include "tls_client.h"

namespace modssl::it {
namespace {

using namespace std::chrono_literals;
using testing::CertOptions;
using testing::KeyPair;

std::string serial_hex(long serial) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lX", serial);
  return buf;
}

std::string subject_of(const X509* cert) {
  char buf[512];
  X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof buf);
  return buf;
}

// A CA, its OCSP responder certificate and client certificates, with a responder running.
class OcspPki {
 public:
  // Certificates made with `aia_port` name http://127.0.0.1:<aia_port>/ as their responder.
  OcspPki(Httpd& h, int responder_port, int aia_port)
      : dir_(h.path("ocsp")), port_(responder_port), aia_port_(aia_port) {
    ca_ = testing::make_self_signed({.common_name = "OCSP test CA", .is_ca = true});
    responder_ = testing::make_signed({.common_name = "OCSP responder",
                                       .extensions = {{"extendedKeyUsage", "OCSPSigning"}},
                                       .serial = 0x2000},
                                      ca_);
    h.write("ocsp/ca.pem", "");
    testing::write_cert_pem(dir_ + "/ca.pem", {ca_.cert});
    testing::write_cert_pem(dir_ + "/responder.pem", {responder_.cert});
    testing::write_key_pem(dir_ + "/responder.key", responder_.key);
    good = client("good", 0x1001, true);
    revoked = client("revoked", 0x1002, true);
    no_aia = client("no_aia", 0x1003, false);
    write_file(dir_ + "/index.txt",
               "V\t301231235959Z\t\t" + serial_hex(0x1001) + "\tunknown\t" + subject(0x1001) +
                   "\n" + "R\t301231235959Z\t240101000000Z,keyCompromise\t" + serial_hex(0x1002) +
                   "\tunknown\t" + subject(0x1002) + "\n" + "V\t301231235959Z\t\t" +
                   serial_hex(0x1003) + "\tunknown\t" + subject(0x1003) + "\n");
  }

  std::string uri() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }
  const std::string& ca_file() const { return ca_file_; }

  // Starts `openssl ocsp` on the responder port; false if it does not come up. Readiness comes
  // from its "ACCEPT" line (printed once it listens), not from a probe connection: OpenSSL 3.0's
  // responder spins on a connection closed without a request and never serves another.
  bool start_responder() {
    responder_process_ =
        Background({"openssl", "ocsp", "-index", dir_ + "/index.txt", "-port",
                    std::to_string(port_), "-rsigner", dir_ + "/responder.pem", "-rkey",
                    dir_ + "/responder.key", "-CA", dir_ + "/ca.pem", "-ignore_err", "-text"},
                   dir_ + "/responder.log");
    for (int i = 0; i < 100; ++i) {
      if (responder_log().find("ACCEPT") != std::string::npos) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }
  std::string responder_log() const { return read_file(dir_ + "/responder.log"); }

  CertFiles good, revoked, no_aia;

 private:
  CertFiles client(const std::string& name, long serial, bool with_aia) {
    CertOptions o{.common_name = "ocsp client " + name, .dns_names = {}, .serial = serial};
    if (with_aia) {
      o.extensions.push_back(
          {"authorityInfoAccess", "OCSP;URI:http://127.0.0.1:" + std::to_string(aia_port_) + "/"});
    }
    KeyPair kp = testing::make_signed(o, ca_);
    subjects_[serial] = subject_of(kp.cert);
    CertFiles f{dir_ + "/" + name + ".pem", dir_ + "/" + name + ".key"};
    testing::write_cert_pem(f.cert, {kp.cert});
    testing::write_key_pem(f.key, kp.key);
    return f;
  }
  std::string subject(long serial) { return subjects_[serial]; }

  std::string dir_;
  int port_;
  int aia_port_;
  std::string ca_file_ = dir_ + "/ca.pem";
  KeyPair ca_, responder_;
  std::map<long, std::string> subjects_;
  Background responder_process_;
};

std::string ocsp_vhost(Httpd& h, const OcspPki& pki, const std::string& ocsp_lines) {
  CertFiles server = h.make_cert("server");
  return listen_https("tls") +
         tls_virtual_host("tls", "  ServerName localhost\n" + certificate_lines(server) +
                                     "  SSLCACertificateFile " + pki.ca_file() + "\n" +
                                     "  SSLVerifyClient require\n" + ocsp_lines);
}

int status_with(Httpd& h, const CertFiles& client) {
  return https_request(h.port("tls"), "/", {.cert_file = client.cert, .key_file = client.key})
      .status;
}

TEST(ClientOcsp, GoodCertificateIsServed) {
  Httpd h;
  OcspPki pki(h, h.port("ocsp"), h.port("ocsp"));
  ASSERT_TRUE(pki.start_responder()) << pki.responder_log();
  h.configure(ocsp_vhost(h, pki, "  SSLOCSPEnable on\n"));
  ASSERT_TRUE(h.start()) << h.startup_log();
  EXPECT_EQ(status_with(h, pki.good), 200) << h.error_log() << pki.responder_log();
}

TEST(ClientOcsp, RevokedCertificateIsRefusedAndLogged) {
  Httpd h;
  OcspPki pki(h, h.port("ocsp"), h.port("ocsp"));
  ASSERT_TRUE(pki.start_responder()) << pki.responder_log();
  h.configure(ocsp_vhost(h, pki, "  SSLOCSPEnable on\n"));
  ASSERT_TRUE(h.start()) << h.startup_log();
  EXPECT_EQ(status_with(h, pki.revoked), 0);
  EXPECT_TRUE(h.wait_for_log("revoked", 5s)) << h.error_log();
  // The good certificate still passes on the same server.
  EXPECT_EQ(status_with(h, pki.good), 200) << h.error_log();
}

TEST(ClientOcsp, UnreachableResponderRefusesTheCertificate) {
  Httpd h;
  OcspPki pki(h, h.port("ocsp"), h.port("nobody"));  // nothing listens on "nobody"
  ASSERT_TRUE(pki.start_responder()) << pki.responder_log();
  h.configure(ocsp_vhost(h, pki, "  SSLOCSPEnable on\n  SSLOCSPResponderTimeout 3\n"));
  ASSERT_TRUE(h.start()) << h.startup_log();
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(status_with(h, pki.good), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
  EXPECT_TRUE(h.wait_for_log("OCSP", 5s)) << h.error_log();
}

TEST(ClientOcsp, DefaultResponderServesCertificatesWithoutAia) {
  Httpd h;
  OcspPki pki(h, h.port("ocsp"), h.port("ocsp"));
  ASSERT_TRUE(pki.start_responder()) << pki.responder_log();
  h.configure(
      ocsp_vhost(h, pki, "  SSLOCSPEnable on\n  SSLOCSPDefaultResponder " + pki.uri() + "\n"));
  ASSERT_TRUE(h.start()) << h.startup_log();
  EXPECT_EQ(status_with(h, pki.no_aia), 200) << h.error_log() << pki.responder_log();
}

TEST(ClientOcsp, OverrideResponderIgnoresTheCertificatesUri) {
  Httpd h;
  OcspPki pki(h, h.port("ocsp"), h.port("nobody"));  // the AIA points nowhere
  ASSERT_TRUE(pki.start_responder()) << pki.responder_log();
  h.configure(ocsp_vhost(h, pki,
                         "  SSLOCSPEnable on\n  SSLOCSPDefaultResponder " + pki.uri() +
                             "\n  SSLOCSPOverrideResponder on\n"));
  ASSERT_TRUE(h.start()) << h.startup_log();
  EXPECT_EQ(status_with(h, pki.good), 200) << h.error_log() << pki.responder_log();
  EXPECT_EQ(status_with(h, pki.revoked), 0);
}

TEST(ClientOcsp, WithoutOverrideTheCertificatesUriWins) {
  Httpd h;
  OcspPki pki(h, h.port("ocsp"), h.port("nobody"));
  ASSERT_TRUE(pki.start_responder()) << pki.responder_log();
  h.configure(ocsp_vhost(h, pki,
                         "  SSLOCSPEnable on\n  SSLOCSPDefaultResponder " + pki.uri() +
                             "\n  SSLOCSPOverrideResponder off\n  SSLOCSPResponderTimeout 3\n"));
  ASSERT_TRUE(h.start()) << h.startup_log();
  EXPECT_EQ(status_with(h, pki.good), 0);
}

TEST(ClientOcsp, CertificateWithoutResponderIsRefusedByDefault) {
  Httpd h;
  OcspPki pki(h, h.port("ocsp"), h.port("ocsp"));
  h.configure(ocsp_vhost(h, pki, "  SSLOCSPEnable on\n"));
  ASSERT_TRUE(h.start()) << h.startup_log();
  EXPECT_EQ(status_with(h, pki.no_aia), 0);
}

TEST(ClientOcsp, NoOcspForCertOkAcceptsCertificateWithoutResponder) {
  Httpd h;
  OcspPki pki(h, h.port("ocsp"), h.port("ocsp"));
  ASSERT_TRUE(pki.start_responder()) << pki.responder_log();
  h.configure(ocsp_vhost(h, pki, "  SSLOCSPEnable on no_ocsp_for_cert_ok\n"));
  ASSERT_TRUE(h.start()) << h.startup_log();
  EXPECT_EQ(status_with(h, pki.no_aia), 200) << h.error_log();
  // Certificates that do name a responder are still checked.
  EXPECT_EQ(status_with(h, pki.revoked), 0);
}

TEST(ClientOcsp, LeafModeAndNonceOffStillCheckTheClientCertificate) {
  Httpd h;
  OcspPki pki(h, h.port("ocsp"), h.port("ocsp"));
  ASSERT_TRUE(pki.start_responder()) << pki.responder_log();
  h.configure(ocsp_vhost(h, pki, "  SSLOCSPEnable leaf\n  SSLOCSPUseRequestNonce off\n"));
  ASSERT_TRUE(h.start()) << h.startup_log();
  EXPECT_EQ(status_with(h, pki.good), 200) << h.error_log();
  EXPECT_EQ(status_with(h, pki.revoked), 0);
}

TEST(ClientOcsp, EnableGrammarOfModSsl) {
  for (std::string bad : {"on leaf", "no_ocsp_for_cert_ok", "maybe"}) {
    Httpd h;
    h.configure("SSLOCSPEnable " + bad + "\n");
    ProcessResult r = h.configtest();
    EXPECT_NE(r.exit_code, 0) << bad;
    EXPECT_NE(r.all().find("SSLOCSPEnable"), std::string::npos) << r.all();
  }
  Httpd ok;
  ok.configure(
      "SSLOCSPEnable leaf no_ocsp_for_cert_ok\nSSLOCSPResponseTimeSkew 60\n"
      "SSLOCSPResponseMaxAge 3600\nSSLOCSPResponderTimeout 5\nSSLOCSPNoVerify off\n"
      "SSLOCSPUseRequestNonce on\nSSLOCSPOverrideResponder off\n");
  ProcessResult r = ok.configtest();
  EXPECT_EQ(r.exit_code, 0) << r.all();
}

TEST(ClientOcsp, NegativeSecondsAreRefused) {
  for (std::string d : {"SSLOCSPResponseTimeSkew", "SSLOCSPResponseMaxAge"}) {
    Httpd h;
    h.configure(d + " -1\n");
    ProcessResult r = h.configtest();
    EXPECT_NE(r.exit_code, 0) << d;
    EXPECT_NE(r.all().find(d), std::string::npos) << r.all();
  }
}

}  // namespace
}  // namespace modssl::it
