// Beyond the stock module: start-up errors say in ONE line which files are at fault and why
// (OpenSSL's reason), and certificate problems a client will trip over are warned about at
// start-up: expired or not yet valid, names that do not cover ServerName, a missing intermediate,
// a weak RSA key. The stock module splits file and reason over several lines, says nothing about
// validity dates or chains, and never quotes OpenSSL's reason for a key/certificate mismatch.
#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "httpd.h"
#include "text_search.h"
#include "tls_client.h"
#include "weak_cert.h"

namespace modssl::it {
namespace {

using namespace std::chrono_literals;

// One TLS vhost for ServerName localhost (the name the certificate checks compare with).
void configure_tls(Httpd& h, const std::string& cert, const std::string& key,
                   const std::string& extra = "") {
  h.configure(tls_vhost({cert, key}, "  ServerName localhost\n" + extra));
}

// The server does not come up, and one line of what it said holds all of `needles`.
void expect_refused_saying(Httpd& h, const std::vector<std::string>& needles) {
  EXPECT_FALSE(h.start()) << h.startup_log();
  h.wait_for_exit(5s);
  EXPECT_FALSE(lines_with(h.startup_log(), needles).empty())
      << "no start-up line holds all of the expected parts:\n"
      << h.startup_log();
}

TEST(StartupMessages, KeyMismatchNamesBothFilesAndOpenSSLReasonInOneLine) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h;
  CertFiles a = h.make_cert("a");
  CertFiles b = h.make_cert("b");
  configure_tls(h, a.cert, b.key);
  expect_refused_saying(h, {"[ssl:emerg]", a.cert, b.key, "key values mismatch"});
}

TEST(StartupMessages, CorruptCertificateGivesFileAndReasonInOneLine) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h;
  CertFiles good = h.make_cert("good");
  std::string bad = h.write("certs/corrupt.crt",
                            "-----BEGIN CERTIFICATE-----\nMIIB!!!!not*base64\n"
                            "-----END CERTIFICATE-----\n");
  configure_tls(h, bad, good.key);
  expect_refused_saying(h, {"SSLCertificateFile", bad, "bad base64 decode"});
}

TEST(StartupMessages, NonPemCertificateGivesFileAndReasonInOneLine) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h;
  CertFiles good = h.make_cert("good");
  std::string bad = h.write("certs/text.crt", "just some text, no certificate here\n");
  configure_tls(h, bad, good.key);
  expect_refused_saying(h, {"SSLCertificateFile", bad, "PEM"});
}

TEST(StartupMessages, GarbageKeyGivesFileAndReasonInOneLine) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h;
  CertFiles good = h.make_cert("good");
  std::string bad = h.write("certs/garbage.key", "not a key\n");
  configure_tls(h, good.cert, bad);
  expect_refused_saying(h, {"SSLCertificateKeyFile", bad, "No supported data to decode"});
}

TEST(StartupMessages, MissingCertificateSaysWhatToAdd) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h;
  h.configure(listen_https("tls") + tls_virtual_host("tls", ""));
  expect_refused_saying(h, {"localhost:" + std::to_string(h.port("tls")), "SSLCertificateFile",
                            "SSLCertificateKeyFile"});
}

// The warnings name the file, say what is wrong and do not stop the server.
void expect_warning(Httpd& h, const std::vector<std::string>& needles) {
  ASSERT_TRUE(h.start()) << h.startup_log();
  std::vector<std::string> with = needles;
  with.push_back("[ssl:warn]");
  EXPECT_FALSE(lines_with(h.error_log(), with).empty())
      << "no warning line holds all of the expected parts:\n"
      << h.error_log();
  HttpResponse r = https_request(h.port("tls"), "/");
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST(StartupMessages, ExpiredCertificateIsWarnedAbout) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h;
  CertFiles c = h.make_cert(
      "expired", {.not_before_offset_s = -30L * 86400, .not_after_offset_s = -86400}, true);
  configure_tls(h, c.cert, c.key);
  expect_warning(h, {c.cert, "expired"});
}

TEST(StartupMessages, NotYetValidCertificateIsWarnedAbout) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h;
  CertFiles c = h.make_cert(
      "future", {.not_before_offset_s = 86400, .not_after_offset_s = 30L * 86400}, true);
  configure_tls(h, c.cert, c.key);
  expect_warning(h, {c.cert, "not valid before"});
}

TEST(StartupMessages, NamesNotCoveringServerNameAreWarnedAbout) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h;
  CertFiles c =
      h.make_cert("other", {.common_name = "other.example", .dns_names = {"other.example"}}, true);
  configure_tls(h, c.cert, c.key);
  expect_warning(h, {c.cert, "other.example", "localhost"});
}

TEST(StartupMessages, MissingIntermediateIsWarnedAboutAndChainSilencesIt) {
  MODSSL_SKIP_UNLESS_OURS();
  {
    Httpd h;
    CertFiles c = h.make_cert("leaf-only");  // issued by the test CA, chain not included
    configure_tls(h, c.cert, c.key);
    expect_warning(h, {c.cert, "modssl test CA"});
  }
  {
    Httpd h;
    CertFiles c = h.make_cert("leaf-only");
    configure_tls(h, c.cert, c.key, "  SSLCertificateChainFile " + h.ca_file() + "\n");
    ASSERT_TRUE(h.start()) << h.startup_log();
    EXPECT_TRUE(lines_with(h.error_log(), {"[ssl:warn]", c.cert}).empty()) << h.error_log();
  }
}

TEST(StartupMessages, GoodCertificateGivesNoWarning) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h;
  CertFiles c = h.make_cert("good", {}, true);
  configure_tls(h, c.cert, c.key);
  ASSERT_TRUE(h.start()) << h.startup_log();
  EXPECT_TRUE(lines_with(h.error_log(), {"[ssl:warn]", c.cert}).empty()) << h.error_log();
}

// Debian's OpenSSL runs at security level 2, which refuses a 1024-bit key outright (both modules
// stop); an administrator who lowers the level gets a warning from us.
TEST(StartupMessages, WeakRsaKeyIsWarnedAboutWhenTheSecurityLevelAllowsIt) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h;
  const std::string cert = h.path("certs/weak.crt");
  const std::string key = h.path("certs/weak.key");
  ProcessResult gen = write_weak_rsa_cert({cert, key});
  ASSERT_EQ(gen.exit_code, 0) << gen.all();
  configure_tls(h, cert, key, "  SSLCipherSuite DEFAULT:@SECLEVEL=1\n");
  ASSERT_TRUE(h.start()) << h.startup_log();
  EXPECT_FALSE(lines_with(h.error_log(), {"[ssl:warn]", cert, "1024-bit"}).empty())
      << h.error_log();
}

}  // namespace
}  // namespace modssl::it
