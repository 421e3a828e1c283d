// Client certificates checked against CRLs: SSLCARevocationFile, SSLCARevocationPath (hash links
// made by `openssl rehash`) and SSLCARevocationCheck chain|leaf [no_crl_for_cert_ok], with a real
// server and `SSLVerifyClient require`. Assertions are loose enough for both modules: a refused
// client sees no response (status 0), the error log says why in OpenSSL's words.
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "http.h"
#include "httpd.h"
#include "pki.h"
#include "process.h"
#include "tls_client.h"

namespace modssl::it {
namespace {

using namespace std::chrono_literals;
using testing::CertOptions;
using testing::KeyPair;

// A PEM CRL signed by `issuer`, listing `revoked`, valid from now + last_s to now + next_s.
void write_crl(FILE* f, const KeyPair& issuer, const std::vector<const KeyPair*>& revoked,
               long last_s = -3600, long next_s = 7L * 86400) {
  X509_CRL* crl = X509_CRL_new();
  X509_CRL_set_version(crl, 1);
  X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer.cert));
  ASN1_TIME* last = X509_gmtime_adj(nullptr, last_s);
  ASN1_TIME* next = X509_gmtime_adj(nullptr, next_s);
  X509_CRL_set1_lastUpdate(crl, last);
  X509_CRL_set1_nextUpdate(crl, next);
  for (const KeyPair* r : revoked) {
    X509_REVOKED* entry = X509_REVOKED_new();
    X509_REVOKED_set_serialNumber(entry, X509_get_serialNumber(r->cert));
    X509_REVOKED_set_revocationDate(entry, last);
    X509_CRL_add0_revoked(crl, entry);
  }
  X509_CRL_sort(crl);
  X509_CRL_sign(crl, issuer.key, EVP_sha256());
  PEM_write_X509_CRL(f, crl);
  ASN1_TIME_free(last);
  ASN1_TIME_free(next);
  X509_CRL_free(crl);
}

struct CrlSpec {
  const KeyPair* issuer;
  std::vector<const KeyPair*> revoked;
  long last_s = -3600;
  long next_s = 7L * 86400;
};

void write_crls(const std::string& path, const std::vector<CrlSpec>& crls) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) throw std::runtime_error("cannot write " + path);
  for (const CrlSpec& c : crls) write_crl(f, *c.issuer, c.revoked, c.last_s, c.next_s);
  std::fclose(f);
}

// A root CA, an intermediate below it, a second root whose CA publishes no CRL, a server
// certificate and clients; CRL files and a hashed CRL directory. Made once per process.
struct RevocationPki {
  KeyPair root, intermediate, other_root;
  std::string dir, ca_bundle;
  CertFiles server, good, revoked, chained, revoked_chained, other;
  std::string all_crls;   // root's (revokes `revoked`) and the intermediate's (`revoked_chained`)
  std::string inter_crl;  // only the intermediate's, revoking `revoked_chained`
  std::string inter_revoked;  // the root's revoking the intermediate, and the intermediate's
  std::string expired_crl;    // the root's, out of date since yesterday
  std::string crl_dir;        // all_crls as separate files, hash links by `openssl rehash`
};

CertFiles issue(const RevocationPki& p, const std::string& name, const KeyPair& issuer,
                bool with_issuer_in_file = false) {
  KeyPair kp = testing::make_signed(testing::cert_options(name), issuer);
  CertFiles files{p.dir + "/" + name + ".crt", p.dir + "/" + name + ".key"};
  std::vector<const X509*> certs{kp.cert};
  if (with_issuer_in_file) certs.push_back(issuer.cert);
  testing::write_cert_pem(files.cert, certs);
  testing::write_key_pem(files.key, kp.key);
  return files;
}

const RevocationPki& pki() {
  static const RevocationPki* made = [] {
    auto* p = new RevocationPki();
    p->dir = testing::make_temp_dir("modssl-it-crl-");
    p->root = testing::make_self_signed(testing::cert_options("Revocation Root", true));
    p->intermediate =
        testing::make_signed(testing::cert_options("Revocation Intermediate", true), p->root);
    p->other_root = testing::make_self_signed(testing::cert_options("Root Without CRL", true));
    p->ca_bundle = p->dir + "/cas.crt";
    testing::write_cert_pem(p->ca_bundle, {p->root.cert, p->intermediate.cert, p->other_root.cert});
    p->server = issue(*p, "localhost", p->root);

    // Clients whose serials go on CRLs are made here so that their KeyPair is at hand.
    KeyPair revoked = testing::make_signed(testing::cert_options("revoked client"), p->root);
    KeyPair revoked_chained =
        testing::make_signed(testing::cert_options("revoked chained client"), p->intermediate);
    p->revoked = {p->dir + "/revoked.crt", p->dir + "/revoked.key"};
    testing::write_cert_pem(p->revoked.cert, {revoked.cert});
    testing::write_key_pem(p->revoked.key, revoked.key);
    p->revoked_chained = {p->dir + "/revoked_chained.crt", p->dir + "/revoked_chained.key"};
    testing::write_cert_pem(p->revoked_chained.cert, {revoked_chained.cert, p->intermediate.cert});
    testing::write_key_pem(p->revoked_chained.key, revoked_chained.key);
    p->good = issue(*p, "good", p->root);
    p->chained = issue(*p, "chained", p->intermediate, true);
    p->other = issue(*p, "other", p->other_root);

    p->all_crls = p->dir + "/all.crl";
    write_crls(p->all_crls, {{&p->root, {&revoked}}, {&p->intermediate, {&revoked_chained}}});
    p->inter_crl = p->dir + "/intermediate.crl";
    write_crls(p->inter_crl, {{&p->intermediate, {&revoked_chained}}});
    p->inter_revoked = p->dir + "/intermediate-revoked.crl";
    write_crls(p->inter_revoked, {{&p->root, {&p->intermediate}}, {&p->intermediate, {}}});
    p->expired_crl = p->dir + "/expired.crl";
    write_crls(p->expired_crl, {{&p->root, {}, -2L * 86400, -86400}});

    p->crl_dir = testing::make_temp_dir("modssl-it-crldir-");
    write_crls(p->crl_dir + "/root.pem", {{&p->root, {&revoked}}});
    write_crls(p->crl_dir + "/intermediate.pem", {{&p->intermediate, {&revoked_chained}}});
    ProcessResult r = run({"openssl", "rehash", p->crl_dir});
    if (r.exit_code != 0) throw std::runtime_error("openssl rehash failed: " + r.all());
    return p;
  }();
  return *made;
}

// One TLS vhost that requires a client certificate from the CAs above; `lines` add the CRL
// directives (inside the vhost unless `server_lines` go before it).
std::string config(const std::string& lines, const std::string& server_lines = "") {
  const RevocationPki& p = pki();
  return server_lines + listen_https("tls") +
         tls_virtual_host("tls", "  ServerName localhost\n" + certificate_lines(p.server) +
                                     "  SSLCACertificateFile " + p.ca_bundle + "\n" +
                                     "  SSLVerifyClient require\n  SSLVerifyDepth 3\n" + lines);
}

int status_with(Httpd& h, const CertFiles& client) {
  return https_request(h.port("tls"), "/", {.cert_file = client.cert, .key_file = client.key})
      .status;
}

class ClientRevocation : public ::testing::Test {
 protected:
  void start(const std::string& lines, const std::string& server_lines = "") {
    h_.write("htdocs/index.html", "hello\n");
    h_.configure(config(lines, server_lines));
    ASSERT_TRUE(h_.start()) << h_.startup_log();
  }
  bool logged(const std::string& needle) const { return h_.wait_for_log(needle, 5s); }

  Httpd h_;
};

TEST_F(ClientRevocation, RevokedClientIsRefusedAndValidOneServed) {
  start("  SSLCARevocationFile " + pki().all_crls + "\n  SSLCARevocationCheck chain\n");
  EXPECT_EQ(status_with(h_, pki().good), 200);
  EXPECT_EQ(status_with(h_, pki().chained), 200);
  EXPECT_EQ(status_with(h_, pki().revoked), 0);
  EXPECT_TRUE(logged("revoked")) << h_.error_log();
  EXPECT_EQ(status_with(h_, pki().revoked_chained), 0);
  EXPECT_TRUE(logged("revoked chained client")) << h_.error_log();
}

TEST_F(ClientRevocation, HashedDirectoryFromOpensslRehash) {
  start("  SSLCARevocationPath " + pki().crl_dir + "\n  SSLCARevocationCheck chain\n");
  EXPECT_EQ(status_with(h_, pki().good), 200);
  EXPECT_EQ(status_with(h_, pki().chained), 200);
  EXPECT_EQ(status_with(h_, pki().revoked), 0);
  EXPECT_EQ(status_with(h_, pki().revoked_chained), 0);
  EXPECT_TRUE(logged("revoked")) << h_.error_log();
}

TEST_F(ClientRevocation, ChainNeedsTheCrlOfEveryIssuer) {
  start("  SSLCARevocationFile " + pki().inter_crl + "\n  SSLCARevocationCheck chain\n");
  EXPECT_EQ(status_with(h_, pki().chained), 0);
  EXPECT_TRUE(logged("unable to get certificate CRL")) << h_.error_log();
}

TEST_F(ClientRevocation, LeafNeedsOnlyTheClientsIssuersCrl) {
  start("  SSLCARevocationFile " + pki().inter_crl + "\n  SSLCARevocationCheck leaf\n");
  EXPECT_EQ(status_with(h_, pki().chained), 200);
  EXPECT_EQ(status_with(h_, pki().revoked_chained), 0);
  EXPECT_EQ(status_with(h_, pki().good), 0);  // the root publishes no CRL here
  EXPECT_TRUE(logged("unable to get certificate CRL")) << h_.error_log();
}

TEST_F(ClientRevocation, RevokedIntermediateCountsForChainOnly) {
  start("  SSLCARevocationFile " + pki().inter_revoked + "\n  SSLCARevocationCheck chain\n");
  EXPECT_EQ(status_with(h_, pki().chained), 0);
  EXPECT_TRUE(logged("revoked")) << h_.error_log();
  EXPECT_EQ(status_with(h_, pki().good), 200);
}

TEST_F(ClientRevocation, RevokedIntermediateIsIgnoredByLeaf) {
  start("  SSLCARevocationFile " + pki().inter_revoked + "\n  SSLCARevocationCheck leaf\n");
  EXPECT_EQ(status_with(h_, pki().chained), 200);
}

TEST_F(ClientRevocation, NoCrlForCertOkLetsCertificatesWithoutCrlIn) {
  // A forgiven missing CRL still counts as a verified certificate (SSL_CLIENT_VERIFY SUCCESS).
  start("  SSLCARevocationFile " + pki().inter_crl +
        "\n  SSLCARevocationCheck chain no_crl_for_cert_ok\n"
        "  <Location />\n    SSLRequire %{SSL_CLIENT_VERIFY} eq \"SUCCESS\"\n  </Location>\n");
  EXPECT_EQ(status_with(h_, pki().other), 200);
  EXPECT_EQ(status_with(h_, pki().good), 200);
  EXPECT_EQ(status_with(h_, pki().chained), 200);
  EXPECT_EQ(status_with(h_, pki().revoked_chained), 0);
  EXPECT_TRUE(logged("revoked")) << h_.error_log();
}

TEST_F(ClientRevocation, CertificateWhoseCaHasNoCrlIsRefusedWithoutTheFlag) {
  start("  SSLCARevocationFile " + pki().all_crls + "\n  SSLCARevocationCheck leaf\n");
  EXPECT_EQ(status_with(h_, pki().other), 0);
  EXPECT_TRUE(logged("unable to get certificate CRL")) << h_.error_log();
}

TEST_F(ClientRevocation, ExpiredCrlRefusesItsClients) {
  start("  SSLCARevocationFile " + pki().expired_crl + "\n  SSLCARevocationCheck leaf\n");
  EXPECT_EQ(status_with(h_, pki().good), 0);
  EXPECT_TRUE(logged("CRL has expired")) << h_.error_log();
  // The client is told certificate_unknown, not certificate_expired: its certificate is fine.
  TlsClient c(
      h_.port("tls"),
      {.max_version = TLS1_2_VERSION, .cert_file = pki().good.cert, .key_file = pki().good.key});
  EXPECT_FALSE(c.ok());
  EXPECT_NE(c.error().find("certificate unknown"), std::string::npos) << c.error();
}

TEST_F(ClientRevocation, VhostInheritsTheMainServersCrlFile) {
  start("  SSLCARevocationCheck leaf\n", "SSLCARevocationFile " + pki().all_crls + "\n");
  EXPECT_EQ(status_with(h_, pki().good), 200);
  EXPECT_EQ(status_with(h_, pki().revoked), 0);
}

TEST_F(ClientRevocation, VhostCheckModeReplacesTheMainServers) {
  start("  SSLCARevocationCheck none\n",
        "SSLCARevocationFile " + pki().all_crls + "\nSSLCARevocationCheck chain\n");
  EXPECT_EQ(status_with(h_, pki().revoked), 200);
}

TEST_F(ClientRevocation, CrlsWithoutCheckModeAreUnusedAndWarnedAbout) {
  start("  SSLCARevocationFile " + pki().all_crls + "\n");
  EXPECT_EQ(status_with(h_, pki().revoked), 200);
  EXPECT_NE(h_.startup_log().find("CRL checking"), std::string::npos) << h_.startup_log();
}

TEST(ClientRevocationConfig, CheckWithoutCrlsStopsStartUp) {
  Httpd h;
  h.configure(config("  SSLCARevocationCheck leaf\n"));
  EXPECT_FALSE(h.start(10s));
  h.wait_for_exit(10s);
  EXPECT_NE(h.startup_log().find("neither SSLCARevocationFile nor SSLCARevocationPath"),
            std::string::npos)
      << h.startup_log();
}

TEST(ClientRevocationConfig, MissingCrlFileFailsConfigtest) {
  Httpd h;
  h.configure(config("  SSLCARevocationFile conf/nowhere.crl\n  SSLCARevocationCheck leaf\n"));
  ProcessResult r = h.configtest();
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.all().find("SSLCARevocationFile"), std::string::npos) << r.all();
  EXPECT_NE(r.all().find("nowhere.crl"), std::string::npos) << r.all();
  EXPECT_NE(r.all().find("does not exist"), std::string::npos) << r.all();
}

TEST(ClientRevocationConfig, MissingCrlDirectoryFailsConfigtest) {
  Httpd h;
  h.configure(config("  SSLCARevocationPath conf/no-crls\n  SSLCARevocationCheck leaf\n"));
  ProcessResult r = h.configtest();
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.all().find("SSLCARevocationPath"), std::string::npos) << r.all();
  EXPECT_NE(r.all().find("no-crls"), std::string::npos) << r.all();
}

TEST(ClientRevocationConfig, BadCheckModeFailsConfigtest) {
  Httpd h;
  h.configure(
      config("  SSLCARevocationFile " + pki().all_crls + "\n  SSLCARevocationCheck everything\n"));
  ProcessResult r = h.configtest();
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.all().find("SSLCARevocationCheck"), std::string::npos) << r.all();
  EXPECT_NE(r.all().find("'everything'"), std::string::npos) << r.all();
}

TEST(ClientRevocationConfig, FileWithoutCrlStopsStartUp) {
  Httpd h;
  const std::string bad = h.write("conf/bad.crl", "not a CRL at all\n");
  h.configure(config("  SSLCARevocationFile " + bad + "\n  SSLCARevocationCheck leaf\n"));
  EXPECT_FALSE(h.start(10s));
  h.wait_for_exit(10s);
  if (!testing_stock_module()) {
    EXPECT_NE(h.startup_log().find("SSLCARevocationFile " + bad), std::string::npos)
        << h.startup_log();
  }
}

}  // namespace
}  // namespace modssl::it
