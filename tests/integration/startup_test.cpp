// Start-up: certificate and key problems stop the server with the file names in the log;
// certificate problems a client can live with (expired, not yet valid, names that do not cover
// ServerName) do not stop it; a graceful restart re-reads the files; `<IfDefine SSL>` works the
// way `apachectl -DSSL` expects; SSLKEYLOGFILE writes NSS key log lines. Only what the stock module
// does too is asserted here (the wording of our messages is in beyond/startup_messages_test.cpp).
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include "data.h"
#include "http.h"
#include "httpd.h"
#include "tls_client.h"
#include "weak_cert.h"

namespace modssl::it {
namespace {

using namespace std::chrono_literals;

// One TLS vhost on @PORT:tls@ with the given certificate lines (these tests break them).
void configure_tls(Httpd& h, const std::string& ssl_lines, const std::string& server_name = "") {
  const std::string name_line = server_name.empty() ? "" : "  ServerName " + server_name + "\n";
  h.configure(listen_https("tls") + tls_virtual_host("tls", name_line + ssl_lines));
}

// The server must not come up, and what it said must contain every one of `needles`.
void expect_refused(Httpd& h, const std::vector<std::string>& needles) {
  EXPECT_FALSE(h.start()) << "server started although it should not:\n" << h.startup_log();
  // Give a dying server a moment to finish writing its log.
  h.wait_for_exit(2s);
  EXPECT_FALSE(h.running()) << "apache2 still running";
  const std::string log = h.startup_log();
  for (const std::string& n : needles) {
    EXPECT_NE(log.find(n), std::string::npos) << "start-up log does not mention '" << n << "':\n"
                                              << log;
  }
}

void expect_serves(Httpd& h, TlsOptions options = {}) {
  HttpResponse r = https_request(h.port("tls"), "/", options);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("hello from modssl tests"), std::string::npos) << r.body;
}

TEST(Startup, KeyThatDoesNotMatchTheCertificateStopsStartup) {
  Httpd h;
  CertFiles a = h.make_cert("a");
  CertFiles b = h.make_cert("b");
  configure_tls(h, certificate_lines({a.cert, b.key}));
  ProcessResult t = h.configtest();  // files exist and are readable: syntax is fine
  EXPECT_EQ(t.exit_code, 0) << t.all();
  // Both modules name both files and say they do not match.
  expect_refused(h, {a.cert, b.key, "match"});
}

TEST(Startup, RsaKeyWithEcCertificateStopsStartup) {
  Httpd h;
  CertFiles ec = h.make_cert("ec");
  CertFiles rsa = h.make_cert("rsa", {.key_type = testing::KeyType::Rsa2048});
  configure_tls(h, certificate_lines({ec.cert, rsa.key}));
  expect_refused(h, {ec.cert, rsa.key});
}

TEST(Startup, CertificateFileThatIsNotPemStopsStartup) {
  Httpd h;
  CertFiles good = h.make_cert("good");
  std::string garbage;
  for (int i = 0; i < 40; ++i)
    garbage += "this is not a certificate, just text #" + std::to_string(i) + "\n";
  std::string bad = h.write("certs/garbage.crt", garbage);
  configure_tls(h, certificate_lines({bad, good.key}));
  expect_refused(h, {bad});
}

TEST(Startup, CertificateWithCorruptBase64StopsStartupWithOpenSSLReason) {
  Httpd h;
  CertFiles good = h.make_cert("good");
  std::string bad = h.write("certs/corrupt.crt",
                            "-----BEGIN CERTIFICATE-----\nMIIB!!!!not*base64\n"
                            "-----END CERTIFICATE-----\n");
  configure_tls(h, certificate_lines({bad, good.key}));
  expect_refused(h, {bad, "bad base64 decode"});
}

TEST(Startup, KeyFileThatIsNotAKeyStopsStartupWithOpenSSLReason) {
  Httpd h;
  CertFiles good = h.make_cert("good");
  std::string bad = h.write("certs/garbage.key", "definitely not a private key\n");
  configure_tls(h, certificate_lines({good.cert, bad}));
  expect_refused(h, {bad, "No supported data to decode"});
}

TEST(Startup, CertificateGivenAsKeyFileStopsStartup) {
  Httpd h;
  CertFiles good = h.make_cert("good");
  configure_tls(h, certificate_lines({good.cert, good.cert}));
  expect_refused(h, {good.cert});
}

// Without SSLCertificateKeyFile the key is looked for in the certificate file.
TEST(Startup, CertificateWithoutKeyStopsStartup) {
  Httpd h;
  CertFiles c = h.make_cert("localhost");
  configure_tls(h, "  SSLCertificateFile " + c.cert + "\n");
  expect_refused(h, {c.cert, "No supported data to decode"});
}

// Certificates and keys pair up in the order given: keys listed the other way round mismatch.
TEST(Startup, DualCertificatesWithKeysInTheWrongOrderStopStartup) {
  Httpd h;
  CertFiles rsa = h.make_cert("rsa", {.key_type = testing::KeyType::Rsa2048});
  CertFiles ec = h.make_cert("ec");
  configure_tls(h, "  SSLCertificateFile " + rsa.cert + "\n  SSLCertificateFile " + ec.cert +
                       "\n  SSLCertificateKeyFile " + ec.key + "\n  SSLCertificateKeyFile " +
                       rsa.key + "\n");
  expect_refused(h, {rsa.cert, ec.key, "match"});
}

TEST(Startup, SslEngineOnWithoutCertificateStopsStartup) {
  Httpd h;
  configure_tls(h, "");
  // Both modules name the vhost (ServerName:port) that lacks a certificate.
  expect_refused(h, {"localhost:" + std::to_string(h.port("tls"))});
}

TEST(Startup, OneBrokenVhostStopsTheWholeServer) {
  Httpd h;
  CertFiles good = h.make_cert("good");
  CertFiles other = h.make_cert("other", {.common_name = "b.test", .dns_names = {"b.test"}});
  CertFiles third = h.make_cert("third");
  h.configure(listen_https("tls") + listen_https("tls2") +
              tls_virtual_host("tls", certificate_lines(good)) +
              tls_virtual_host(
                  "tls2", "  ServerName b.test\n" + certificate_lines({other.cert, third.key})));
  expect_refused(h, {other.cert, third.key});
}

// "SSLProtocol -all" leaves nothing to speak: the stock module stops at start-up ("No SSL
// protocols available [hint: SSLProtocol]"), ours already at configtest; either way no server.
TEST(Startup, NoProtocolLeftStopsStartup) {
  Httpd h;
  CertFiles c = h.make_cert("localhost");
  configure_tls(h, certificate_lines(c) + "  SSLProtocol -all\n");
  expect_refused(h, {"SSLProtocol"});
}

TEST(Startup, UnknownCurveInOpenSSLConfCmdStopsStartup) {
  Httpd h;
  CertFiles c = h.make_cert("localhost");
  configure_tls(h, certificate_lines(c) + "  SSLOpenSSLConfCmd Curves nosuchcurve\n");
  expect_refused(h, {"nosuchcurve"});
}

TEST(Startup, UnknownTls13SuiteStopsStartup) {
  Httpd h;
  CertFiles c = h.make_cert("localhost");
  configure_tls(h, certificate_lines(c) + "  SSLCipherSuite TLSv1.3 TLS_NO_SUCH_SUITE\n");
  expect_refused(h, {"no cipher match"});
}

// certs/weak.{crt,key}, with a 1024-bit RSA key (see write_weak_rsa_cert()).
CertFiles make_weak_rsa_cert(Httpd& h) {
  CertFiles f{h.path("certs/weak.crt"), h.path("certs/weak.key")};
  ProcessResult gen = write_weak_rsa_cert(f);
  EXPECT_EQ(gen.exit_code, 0) << gen.all();
  return f;
}

// Debian's OpenSSL configuration sets security level 2: a 1024-bit RSA key is refused by
// OpenSSL itself, and both modules stop with the file and OpenSSL's reason.
TEST(Startup, WeakRsaKeyIsRefusedAtTheDefaultSecurityLevel) {
  Httpd h;
  CertFiles weak = make_weak_rsa_cert(h);
  configure_tls(h, certificate_lines(weak));
  expect_refused(h, {weak.cert, "ee key too small"});
}

// ... and an administrator who lowers the level in SSLCipherSuite can still use it.
TEST(Startup, WeakRsaKeyIsUsableWhenTheSecurityLevelIsLowered) {
  Httpd h;
  CertFiles weak = make_weak_rsa_cert(h);
  configure_tls(h, certificate_lines(weak) + "  SSLCipherSuite DEFAULT:@SECLEVEL=1\n");
  ASSERT_TRUE(h.start()) << h.startup_log();
  expect_serves(h, {.max_version = TLS1_2_VERSION, .cipher_list = "DEFAULT:@SECLEVEL=1"});
}

// The key may sit in the certificate file; SSLCertificateKeyFile is then optional.
TEST(Startup, KeyInTheCertificateFileServes) {
  Httpd h;
  CertFiles c = h.make_cert("localhost");
  std::string both = h.write("certs/both.pem", read_file(c.cert) + read_file(c.key));
  configure_tls(h, "  SSLCertificateFile " + both + "\n");
  ASSERT_TRUE(h.start()) << h.startup_log();
  expect_serves(h, {.ca_file = h.ca_file()});
}

// Certificate problems that are the client's to judge: the server starts and serves with them.
TEST(Startup, ExpiredCertificateStillServes) {
  Httpd h;
  CertFiles c =
      h.make_cert("expired", {.not_before_offset_s = -30L * 86400, .not_after_offset_s = -86400});
  configure_tls(h, certificate_lines(c));
  ASSERT_TRUE(h.start()) << h.startup_log();
  expect_serves(h);
  // A verifying client rejects it (the server really sends the expired certificate).
  TlsClient verifying(h.port("tls"), {.ca_file = h.ca_file()});
  EXPECT_FALSE(verifying.ok());
  EXPECT_NE(verifying.error().find("certificate verify failed"), std::string::npos)
      << verifying.error();
}

TEST(Startup, NotYetValidCertificateStillServes) {
  Httpd h;
  CertFiles c =
      h.make_cert("future", {.not_before_offset_s = 86400, .not_after_offset_s = 30L * 86400});
  configure_tls(h, certificate_lines(c));
  ASSERT_TRUE(h.start()) << h.startup_log();
  expect_serves(h);
}

TEST(Startup, CertificateNamesNotCoveringServerNameStillServes) {
  Httpd h;
  CertFiles c =
      h.make_cert("other", {.common_name = "other.example", .dns_names = {"other.example"}});
  configure_tls(h, certificate_lines(c), "localhost");
  ASSERT_TRUE(h.start()) << h.startup_log();
  expect_serves(h);
  TlsClient client(h.port("tls"));
  ASSERT_TRUE(client.ok()) << client.error();
  EXPECT_NE(client.peer_subject().find("CN=other.example"), std::string::npos)
      << client.peer_subject();
}

// The stock module adds "OpenSSL/<version>" to the server banner (ap_add_version_component):
// the "configured -- resuming normal operations" line and, with the default ServerTokens Full,
// the Server header and SERVER_SOFTWARE. Tools and monitoring read it; a drop-in keeps it.
TEST(Startup, ServerBannerNamesOpenSSL) {
  Httpd h;
  CertFiles c = h.make_cert("localhost");
  configure_tls(h, certificate_lines(c));
  ASSERT_TRUE(h.start()) << h.startup_log();
  std::string version = OpenSSL_version(OPENSSL_VERSION);  // "OpenSSL 3.0.19 27 Jan 2026"
  version = version.substr(0, version.find(' ', 8));
  version[7] = '/';  // "OpenSSL/3.0.19"
  std::smatch m;
  const std::string log = h.error_log();
  ASSERT_TRUE(std::regex_search(log, m, std::regex("[^\n]*resuming normal operations")));
  EXPECT_NE(m.str().find(version), std::string::npos) << m.str();
  HttpResponse r = https_request(h.port("tls"), "/", {.ca_file = h.ca_file()});
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.header("server").find(version), std::string::npos)
      << "Server: " << r.header("server");
}

// apachectl -k graceful: new connections get the certificate now in the files.
TEST(Startup, GracefulRestartReReadsCertificateAndKey) {
  Httpd h;
  CertFiles first = h.make_cert("site", {.common_name = "first.test", .dns_names = {"localhost"}});
  configure_tls(h, certificate_lines(first));
  ASSERT_TRUE(h.start()) << h.startup_log();
  {
    TlsClient c(h.port("tls"));
    ASSERT_TRUE(c.ok()) << c.error();
    EXPECT_NE(c.peer_subject().find("CN=first.test"), std::string::npos) << c.peer_subject();
  }
  expect_serves(h, {.ca_file = h.ca_file()});

  // Same paths, a new key pair and subject (RSA this time).
  CertFiles second = h.make_cert("site", {.common_name = "second.test",
                                          .dns_names = {"localhost"},
                                          .key_type = testing::KeyType::Rsa2048});
  ASSERT_EQ(second.cert, first.cert);
  ASSERT_TRUE(h.graceful()) << h.error_log();
  ASSERT_TRUE(h.running()) << h.error_log();

  for (int i = 0; i < 5; ++i) {
    TlsClient c(h.port("tls"), {.ca_file = h.ca_file()});
    ASSERT_TRUE(c.ok()) << "connection " << i << " after graceful: " << c.error();
    EXPECT_NE(c.peer_subject().find("CN=second.test"), std::string::npos)
        << "connection " << i << " after graceful still got " << c.peer_subject();
    EXPECT_EQ(c.peer_key_type(), "RSA");
    ASSERT_TRUE(c.write(get_request("/", {.close = true})));
    auto responses = parse_responses(c.read_to_close());
    ASSERT_EQ(responses.size(), 1u);
    EXPECT_EQ(responses[0].status, 200);
  }
}

// httpd runs post_config again on a graceful restart: a key that no longer matches its
// certificate stops the server (AH00020 "Configuration Failed, exiting"), naming both files.
TEST(Startup, GracefulRestartWithMismatchedKeyStopsTheServer) {
  Httpd h;
  CertFiles c = h.make_cert("site");
  configure_tls(h, certificate_lines(c));
  ASSERT_TRUE(h.start()) << h.startup_log();
  CertFiles other = h.make_cert("other");
  write_file(c.key, read_file(other.key));
  // SIGUSR1 to the parent (what apachectl -k graceful sends); Httpd::graceful() would wait for a
  // new generation that never comes.
  const int pid = std::atoi(read_file(h.path("run/httpd.pid")).c_str());
  ASSERT_GT(pid, 1);
  ASSERT_EQ(kill(pid, SIGUSR1), 0);
  h.wait_for_exit(5s);
  EXPECT_FALSE(h.running()) << "graceful restart with a mismatched key kept the server up";
  const std::string log = h.error_log();
  EXPECT_NE(log.find("Configuration Failed"), std::string::npos) << log;
  EXPECT_NE(log.find(c.cert), std::string::npos) << log;
  EXPECT_NE(log.find(c.key), std::string::npos) << log;
}

// A second graceful restart with unchanged files keeps serving (nothing is lost on reload).
TEST(Startup, RepeatedGracefulRestartsKeepServing) {
  Httpd h;
  CertFiles c = h.make_cert("localhost");
  configure_tls(h, certificate_lines(c));
  ASSERT_TRUE(h.start()) << h.startup_log();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(h.graceful()) << "graceful #" << i << "\n" << h.error_log();
    expect_serves(h, {.ca_file = h.ca_file()});
  }
}

// The FAQ's "connection refused after install": the TLS vhost sits in <IfDefine SSL> and is on
// only when SSL is defined (apachectl -DSSL, or Define SSL). The Listen is outside, as in
// Debian's ports.conf, so without SSL the port speaks plain HTTP.
std::string ifdefine_body(Httpd& h, bool define) {
  CertFiles c = h.make_cert("localhost");
  return std::string(define ? "Define SSL\n" : "") + "Listen 127.0.0.1:@PORT:tls@\n" +
         "<IfDefine SSL>\n" + tls_virtual_host("tls", certificate_lines(c)) + "</IfDefine>\n";
}

TEST(Startup, IfDefineSslWithoutSslServesNoTls) {
  Httpd h;
  h.configure(ifdefine_body(h, false));
  ASSERT_TRUE(h.start()) << h.startup_log();
  TlsClient c(h.port("tls"), {.timeout = 5s});
  EXPECT_FALSE(c.ok()) << "TLS handshake worked without SSL defined";
  ProcessResult plain =
      run({"curl", "-sS", "-m", "10", "http://127.0.0.1:" + std::to_string(h.port("tls")) + "/"},
          {.timeout = 15s});
  EXPECT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_NE(plain.out.find("hello from modssl tests"), std::string::npos) << plain.out;
}

TEST(Startup, IfDefineSslWithSslDefinedServesTls) {
  Httpd h;
  h.configure(ifdefine_body(h, true));
  ASSERT_TRUE(h.start()) << h.startup_log();
  expect_serves(h, {.ca_file = h.ca_file()});
}

// The command-line form: apache2 -D SSL -D DUMP_VHOSTS lists the TLS vhost only with -D SSL.
TEST(Startup, IfDefineSslFollowsCommandLineDefine) {
  Httpd h;
  h.configure(ifdefine_body(h, false));
  const std::string vhost = "127.0.0.1:" + std::to_string(h.port("tls"));
  ProcessResult without = h.run_apache({"-t", "-D", "DUMP_VHOSTS"});
  ProcessResult with = h.run_apache({"-t", "-D", "DUMP_VHOSTS", "-D", "SSL"});
  EXPECT_EQ(without.exit_code, 0) << without.all();
  EXPECT_EQ(with.exit_code, 0) << with.all();
  EXPECT_EQ(without.all().find(vhost), std::string::npos) << without.all();
  EXPECT_NE(with.all().find(vhost), std::string::npos) << with.all();
}

// SSLKEYLOGFILE (httpd >= 2.4.49 with OpenSSL >= 1.1.1): NSS key log lines for each handshake,
// keyed by the client random, so Wireshark can decrypt a capture.
TEST(Startup, SslKeyLogFileGetsTheSecretsOfEachHandshake) {
  Httpd h;
  const std::string keylog = h.path("logs/keys.log");
  h.set_env("SSLKEYLOGFILE", keylog);
  CertFiles c = h.make_cert("localhost");
  configure_tls(h, certificate_lines(c));
  ASSERT_TRUE(h.start()) << h.startup_log();
  // Both modules say at start-up where the secrets go.
  EXPECT_NE(h.error_log().find(keylog), std::string::npos) << h.error_log();

  std::string random13;
  {
    TlsClient tls13(h.port("tls"), {.min_version = TLS1_3_VERSION, .ca_file = h.ca_file()});
    ASSERT_TRUE(tls13.ok()) << tls13.error();
    unsigned char r[SSL3_RANDOM_SIZE];
    ASSERT_EQ(SSL_get_client_random(tls13.ssl(), r, sizeof r), sizeof r);
    random13 = hex(r, sizeof r);
    ASSERT_TRUE(tls13.write(get_request("/", {.close = true})));
    tls13.read_to_close();
  }
  std::string random12;
  {
    TlsClient tls12(h.port("tls"), {.max_version = TLS1_2_VERSION, .ca_file = h.ca_file()});
    ASSERT_TRUE(tls12.ok()) << tls12.error();
    unsigned char r[SSL3_RANDOM_SIZE];
    SSL_get_client_random(tls12.ssl(), r, sizeof r);
    random12 = hex(r, sizeof r);
  }

  std::string log;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    log = read_file(keylog);
    if (log.find("CLIENT_RANDOM " + random12) != std::string::npos) break;
    std::this_thread::sleep_for(25ms);
  }
  // OpenSSL writes lower-case hex; accept either case.
  auto has = [&log](const std::string& label, const std::string& random) {
    std::regex re(label + " " + random + " [0-9a-fA-F]{64,}(\n|$)", std::regex::icase);
    return std::regex_search(log, re);
  };
  for (const char* label :
       {"CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0", "EXPORTER_SECRET"}) {
    EXPECT_TRUE(has(label, random13))
        << label << " for client random " << random13 << " missing from " << keylog << ":\n"
        << log;
  }
  EXPECT_TRUE(has("CLIENT_RANDOM", random12))
      << "TLS 1.2 master secret for " << random12 << " missing:\n"
      << log;
  // Nothing but key log lines.
  std::regex line_re(R"(^[A-Z_0-9]+ [0-9a-fA-F]+ [0-9a-fA-F]+$)");
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    EXPECT_TRUE(std::regex_match(line, line_re)) << "not a key log line: " << line;
  }
}

}  // namespace
}  // namespace modssl::it
