// What a vhost's TLS configuration does on the wire: RSA + ECDSA certificates chosen per client,
// keys inside the certificate file, chains (appended and SSLCertificateChainFile), SSLProtocol,
// SSLCipherSuite (TLS <= 1.2 and TLSv1.3), SSLHonorCipherOrder, SSLSessionTickets,
// SSLOpenSSLConfCmd, and the directives that only need to be accepted (SSLInsecureRenegotiation,
// SSLCompression off). Most tests put several vhosts on several ports of one server to keep the
// number of apache2 starts low.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <openssl/ssl.h>

#include "http.h"
#include "httpd.h"
#include "text_search.h"
#include "tls_client.h"

namespace modssl::it {
namespace {

using testing::KeyPair;
using testing::KeyType;

// TLS 1.2 with ECDHE only: otherwise a missing shared group just falls back to another key
// exchange instead of failing the handshake.
TlsOptions ecdhe_with_groups(const std::string& groups, int version) {
  return {.min_version = version,
          .max_version = version,
          .cipher_list = "ECDHE",
          .groups = groups,
          .timeout = std::chrono::seconds(10)};
}

// Two connections at `version`, the second offering the session of the first (taken after the
// first response bytes, so TLS 1.3 tickets have arrived). True when the second resumed it.
bool second_connection_resumes(int port, int version) {
  std::shared_ptr<SSL_SESSION> session;
  {
    TlsClient first(
        port,
        {.min_version = version, .max_version = version, .timeout = std::chrono::seconds(10)});
    if (!first.ok() || !first.write(get_request("/", {.close = true}))) return false;
    first.read_some();  // TLS 1.3 tickets come before the first response bytes
    session = first.session();
  }
  TlsClient second(port, {.min_version = version,
                          .max_version = version,
                          .session = session,
                          .timeout = std::chrono::seconds(10)});
  return second.ok() && second.resumed();
}

// Did the server hand out a TLS session ticket during this (TLS <= 1.2) handshake?
bool got_session_ticket(const TlsClient& c) {
  SSL_SESSION* s = SSL_get1_session(c.ssl());
  if (!s) return false;
  bool has = SSL_SESSION_has_ticket(s) == 1;
  SSL_SESSION_free(s);
  return has;
}

// A GET on an established connection; the status code (0 when no response came).
int get_status(TlsClient& c, const std::string& path = "/") {
  if (!c.write(get_request(path, {.close = true}))) return 0;
  auto responses = parse_responses(c.read_to_close());
  return responses.empty() ? 0 : responses.front().status;
}

// --- RSA + ECDSA certificates in one vhost -------------------------------------------------------

TEST(Protocols, DualRsaAndEcdsaCertificatesChosenPerClient) {
  Httpd h;
  CertFiles rsa = h.make_cert("rsa", {.key_type = KeyType::Rsa2048});
  CertFiles ec = h.make_cert("ec", {.key_type = KeyType::EcP256});
  // Both orders of the two pairs: the choice must not depend on which comes first.
  h.configure(listen_https("rsa_first") + listen_https("ec_first") +
              tls_virtual_host("rsa_first", certificate_lines(rsa) + certificate_lines(ec)) +
              tls_virtual_host("ec_first", certificate_lines(ec) + certificate_lines(rsa)));
  ASSERT_TRUE(h.start()) << h.startup_log();

  struct Case {
    const char* what;
    TlsOptions options;
    const char* key_type;
    const char* version;
  };
  const std::vector<Case> cases = {
      {"TLS 1.2 ECDHE-ECDSA",
       {.max_version = TLS1_2_VERSION, .cipher_list = "ECDHE-ECDSA-AES128-GCM-SHA256"},
       "EC",
       "TLSv1.2"},
      {"TLS 1.2 ECDHE-RSA",
       {.max_version = TLS1_2_VERSION, .cipher_list = "ECDHE-RSA-AES128-GCM-SHA256"},
       "RSA",
       "TLSv1.2"},
      {"TLS 1.3 ECDSA sigalgs",
       {.min_version = TLS1_3_VERSION, .sigalgs = "ECDSA+SHA256"},
       "EC",
       "TLSv1.3"},
      {"TLS 1.3 RSA-PSS sigalgs",
       {.min_version = TLS1_3_VERSION, .sigalgs = "rsa_pss_rsae_sha256:rsa_pss_rsae_sha384"},
       "RSA",
       "TLSv1.3"},
  };
  for (const char* port : {"rsa_first", "ec_first"}) {
    for (const Case& c : cases) {
      SCOPED_TRACE(std::string(port) + ": " + c.what);
      TlsOptions o = c.options;
      o.ca_file = h.ca_file();
      TlsClient client(h.port(port), o);
      ASSERT_TRUE(client.ok()) << client.error();
      EXPECT_TRUE(client.verified());
      EXPECT_EQ(client.peer_key_type(), c.key_type);
      EXPECT_EQ(client.version(), c.version);
      EXPECT_EQ(get_status(client), 200);
    }
  }
}

// --- Keys inside the certificate file; chains ----------------------------------------------------

TEST(Protocols, KeyInsideCertificateFile) {
  Httpd h;
  CertFiles rsa = h.make_cert("rsa", {.key_type = KeyType::Rsa2048});
  CertFiles ec = h.make_cert("ec", {.key_type = KeyType::EcP256});
  std::string rsa_combined =
      h.write("certs/rsa-combined.pem", read_file(rsa.cert) + read_file(rsa.key));
  // Key first, certificate second: the order inside the file does not matter.
  std::string ec_combined =
      h.write("certs/ec-combined.pem", read_file(ec.key) + read_file(ec.cert));
  h.configure(listen_https("rsa") + listen_https("ec") + listen_https("both") +
              tls_virtual_host("rsa", "  SSLCertificateFile " + rsa_combined + "\n") +
              tls_virtual_host("ec", "  SSLCertificateFile " + ec_combined + "\n") +
              tls_virtual_host("both", "  SSLCertificateFile " + rsa_combined +
                                           "\n  SSLCertificateFile " + ec_combined + "\n"));
  ASSERT_TRUE(h.start()) << h.startup_log();

  for (const auto& [port, type] :
       std::vector<std::pair<std::string, std::string>>{{"rsa", "RSA"}, {"ec", "EC"}}) {
    SCOPED_TRACE(port);
    TlsClient c(h.port(port), {.ca_file = h.ca_file()});
    ASSERT_TRUE(c.ok()) << c.error();
    EXPECT_EQ(c.peer_key_type(), type);
    EXPECT_EQ(get_status(c), 200);
  }
  TlsClient ec_client(h.port("both"), {.max_version = TLS1_2_VERSION,
                                       .cipher_list = "ECDHE-ECDSA-AES128-GCM-SHA256",
                                       .ca_file = h.ca_file()});
  ASSERT_TRUE(ec_client.ok()) << ec_client.error();
  EXPECT_EQ(ec_client.peer_key_type(), "EC");
  TlsClient rsa_client(h.port("both"), {.max_version = TLS1_2_VERSION,
                                        .cipher_list = "ECDHE-RSA-AES128-GCM-SHA256",
                                        .ca_file = h.ca_file()});
  ASSERT_TRUE(rsa_client.ok()) << rsa_client.error();
  EXPECT_EQ(rsa_client.peer_key_type(), "RSA");
}

// Root CA -> intermediate CA -> leaf. The client trusts only the root, so it verifies the leaf
// only when the server sends the intermediate.
struct ChainPki {
  std::string root_file, intermediate_file, leaf_file, leaf_key_file, leaf_with_chain_file;
};

ChainPki make_chain(Httpd& h) {
  KeyPair root = testing::make_self_signed(
      {.common_name = "modssl chain root", .dns_names = {}, .is_ca = true});
  KeyPair intermediate = testing::make_signed(
      {.common_name = "modssl chain intermediate", .dns_names = {}, .is_ca = true}, root);
  KeyPair leaf =
      testing::make_signed({.common_name = "localhost", .dns_names = {"localhost"}}, intermediate);
  ChainPki p{h.path("certs/chain-root.crt"), h.path("certs/chain-intermediate.crt"),
             h.path("certs/chain-leaf.crt"), h.path("certs/chain-leaf.key"),
             h.path("certs/chain-leaf-and-intermediate.crt")};
  testing::write_cert_pem(p.root_file, {root.cert});
  testing::write_cert_pem(p.intermediate_file, {intermediate.cert});
  testing::write_cert_pem(p.leaf_file, {leaf.cert});
  testing::write_key_pem(p.leaf_key_file, leaf.key);
  testing::write_cert_pem(p.leaf_with_chain_file, {leaf.cert, intermediate.cert});
  return p;
}

int peer_chain_length(const TlsClient& c) {
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(c.ssl());
  return chain ? sk_X509_num(chain) : 0;
}

TEST(Protocols, IntermediateChainFromCertificateFileOrChainFile) {
  Httpd h;
  ChainPki p = make_chain(h);
  h.configure(
      listen_https("appended") + listen_https("chainfile") + listen_https("nochain") +
      tls_virtual_host("appended", "  SSLCertificateFile " + p.leaf_with_chain_file +
                                       "\n  SSLCertificateKeyFile " + p.leaf_key_file + "\n") +
      tls_virtual_host("chainfile", "  SSLCertificateFile " + p.leaf_file +
                                        "\n  SSLCertificateKeyFile " + p.leaf_key_file +
                                        "\n  SSLCertificateChainFile " + p.intermediate_file +
                                        "\n") +
      tls_virtual_host("nochain", "  SSLCertificateFile " + p.leaf_file +
                                      "\n  SSLCertificateKeyFile " + p.leaf_key_file + "\n"));
  ASSERT_TRUE(h.start()) << h.startup_log();

  for (const char* port : {"appended", "chainfile"}) {
    for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
      SCOPED_TRACE(std::string(port) + (version == TLS1_2_VERSION ? " TLS 1.2" : " TLS 1.3"));
      TlsClient c(h.port(port),
                  {.min_version = version, .max_version = version, .ca_file = p.root_file});
      ASSERT_TRUE(c.ok()) << c.error();
      EXPECT_TRUE(c.verified());
      EXPECT_EQ(peer_chain_length(c), 2);
      EXPECT_EQ(get_status(c), 200);
    }
    // curl, trusting only the root, verifies too.
    ProcessResult curl =
        run({"curl", "-sS", "-m", "10", "--cacert", p.root_file, "-o", "/dev/null", "-w",
             "%{http_code}", "https://localhost:" + std::to_string(h.port(port)) + "/"},
            {.timeout = std::chrono::seconds(15)});
    EXPECT_EQ(curl.out, "200") << port << ": " << curl.all();
  }
  // Without the intermediate the same client cannot verify: the test above can fail.
  TlsClient bare(h.port("nochain"), {.ca_file = p.root_file});
  EXPECT_FALSE(bare.ok());
  // A client that has the intermediate itself verifies the bare leaf, which comes alone.
  std::string bundle = h.write("certs/root-and-intermediate.crt",
                               read_file(p.root_file) + read_file(p.intermediate_file));
  TlsClient with_bundle(h.port("nochain"), {.ca_file = bundle});
  EXPECT_TRUE(with_bundle.ok()) << with_bundle.error();
  EXPECT_EQ(peer_chain_length(with_bundle), 1);
}

// --- SSLProtocol ---------------------------------------------------------------------------------

TEST(Protocols, SslProtocolLimitsVersions) {
  Httpd h;
  CertFiles cert = h.make_cert("localhost");
  const std::string certs = certificate_lines(cert);
  // The main server's SSLProtocol is inherited by a vhost that sets none.
  h.configure("SSLProtocol -all +TLSv1.2\n" + listen_https("only12") + listen_https("only13") +
              listen_https("modern") + listen_https("bare12") + listen_https("inherit") +
              listen_https("plus13") +
              tls_virtual_host("only12", certs + "  SSLProtocol -all +TLSv1.2\n") +
              tls_virtual_host("only13", certs + "  SSLProtocol -all +TLSv1.3\n") +
              tls_virtual_host("modern", certs + "  SSLProtocol all -TLSv1 -TLSv1.1\n") +
              tls_virtual_host("bare12", certs + "  SSLProtocol TLSv1.2\n") +
              tls_virtual_host("inherit", certs) +
              tls_virtual_host("plus13", certs + "  SSLProtocol TLSv1.2 +TLSv1.3\n"));
  ASSERT_TRUE(h.start()) << h.startup_log();

  struct Case {
    const char* port;
    const char* client;
    int min, max;
    const char* expect;  // negotiated version, "" = handshake must fail
  };
  const std::vector<Case> cases = {
      {"only12", "1.2 only", TLS1_2_VERSION, TLS1_2_VERSION, "TLSv1.2"},
      {"only12", "1.3 only", TLS1_3_VERSION, TLS1_3_VERSION, ""},
      {"only12", "any", 0, 0, "TLSv1.2"},
      {"only13", "1.2 only", TLS1_2_VERSION, TLS1_2_VERSION, ""},
      {"only13", "1.3 only", TLS1_3_VERSION, TLS1_3_VERSION, "TLSv1.3"},
      {"only13", "any", 0, 0, "TLSv1.3"},
      {"modern", "1.2 only", TLS1_2_VERSION, TLS1_2_VERSION, "TLSv1.2"},
      {"modern", "1.3 only", TLS1_3_VERSION, TLS1_3_VERSION, "TLSv1.3"},
      {"modern", "any", 0, 0, "TLSv1.3"},
      {"bare12", "1.3 only", TLS1_3_VERSION, TLS1_3_VERSION, ""},
      {"bare12", "any", 0, 0, "TLSv1.2"},
      {"inherit", "1.3 only", TLS1_3_VERSION, TLS1_3_VERSION, ""},
      {"inherit", "any", 0, 0, "TLSv1.2"},
      {"plus13", "1.2 only", TLS1_2_VERSION, TLS1_2_VERSION, "TLSv1.2"},
      {"plus13", "any", 0, 0, "TLSv1.3"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.port) + ", client " + c.client);
    TlsClient client(h.port(c.port), {.min_version = c.min, .max_version = c.max});
    if (std::string(c.expect).empty()) {
      EXPECT_FALSE(client.ok()) << "negotiated " << client.version();
    } else {
      ASSERT_TRUE(client.ok()) << client.error();
      EXPECT_EQ(client.version(), c.expect);
      EXPECT_EQ(get_status(client), 200);
    }
  }
  // openssl s_client agrees (a different client stack).
  ProcessResult s = run({"openssl", "s_client", "-connect",
                         "127.0.0.1:" + std::to_string(h.port("only12")), "-tls1_3"},
                        {.stdin_data = "", .timeout = std::chrono::seconds(15)});
  EXPECT_NE(s.exit_code, 0) << s.out;
  s = run({"openssl", "s_client", "-connect", "127.0.0.1:" + std::to_string(h.port("only13")),
           "-tls1_2"},
          {.stdin_data = "", .timeout = std::chrono::seconds(15)});
  EXPECT_NE(s.exit_code, 0) << s.out;
}

// --- SSLCipherSuite and SSLHonorCipherOrder ------------------------------------------------------

TEST(Protocols, CipherSuiteRestrictsTls12Ciphers) {
  Httpd h;
  CertFiles ec = h.make_cert("ec", {.key_type = KeyType::EcP256});
  h.configure(listen_https("tls") +
              tls_virtual_host("tls", certificate_lines(ec) +
                                          "  SSLProtocol -all +TLSv1.2\n"
                                          "  SSLCipherSuite ECDHE-ECDSA-AES128-GCM-SHA256\n"));
  ASSERT_TRUE(h.start()) << h.startup_log();
  const int port = h.port("tls");

  TlsClient others(port,
                   {.max_version = TLS1_2_VERSION,
                    .cipher_list = "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305"});
  EXPECT_FALSE(others.ok()) << "negotiated " << others.cipher();

  TlsClient matching(
      port, {.max_version = TLS1_2_VERSION,
             .cipher_list = "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256"});
  ASSERT_TRUE(matching.ok()) << matching.error();
  EXPECT_EQ(matching.cipher(), "ECDHE-ECDSA-AES128-GCM-SHA256");
  EXPECT_EQ(get_status(matching), 200);

  TlsClient any(port, {});
  ASSERT_TRUE(any.ok()) << any.error();
  EXPECT_EQ(any.version(), "TLSv1.2");
  EXPECT_EQ(any.cipher(), "ECDHE-ECDSA-AES128-GCM-SHA256");
}

TEST(Protocols, CipherSuiteTls13FormSelectsSuite) {
  Httpd h;
  CertFiles ec = h.make_cert("ec");
  h.configure(
      listen_https("tls") +
      tls_virtual_host("tls", certificate_lines(ec) +
                                  "  SSLCipherSuite TLSv1.3 TLS_CHACHA20_POLY1305_SHA256\n"));
  ASSERT_TRUE(h.start()) << h.startup_log();
  const int port = h.port("tls");

  TlsClient any(port, {.min_version = TLS1_3_VERSION});
  ASSERT_TRUE(any.ok()) << any.error();
  EXPECT_EQ(any.version(), "TLSv1.3");
  EXPECT_EQ(any.cipher(), "TLS_CHACHA20_POLY1305_SHA256");
  EXPECT_EQ(get_status(any), 200);

  TlsClient others(port, {.min_version = TLS1_3_VERSION,
                          .ciphersuites = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384"});
  EXPECT_FALSE(others.ok()) << "negotiated " << others.cipher();

  // The TLSv1.3 form leaves the TLS 1.2 list alone.
  TlsClient tls12(port, {.max_version = TLS1_2_VERSION});
  ASSERT_TRUE(tls12.ok()) << tls12.error();
  EXPECT_EQ(tls12.version(), "TLSv1.2");
}

TEST(Protocols, HonorCipherOrderDecidesWhosePreferenceWins) {
  Httpd h;
  CertFiles ec = h.make_cert("ec");
  const std::string suites =
      certificate_lines(ec) +
      "  SSLCipherSuite ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256\n"
      "  SSLCipherSuite TLSv1.3 TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256\n";
  h.configure(listen_https("on") + listen_https("off") + listen_https("unset") +
              tls_virtual_host("on", suites + "  SSLHonorCipherOrder on\n") +
              tls_virtual_host("off", suites + "  SSLHonorCipherOrder off\n") +
              tls_virtual_host("unset", suites));
  ASSERT_TRUE(h.start()) << h.startup_log();

  // The client lists the server's second choice first.
  const TlsOptions tls12{
      .max_version = TLS1_2_VERSION,
      .cipher_list = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384"};
  const TlsOptions tls13{.min_version = TLS1_3_VERSION,
                         .ciphersuites = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384"};
  struct Case {
    const char* port;
    const char* tls12_cipher;
    const char* tls13_cipher;
  };
  for (const Case& c : {Case{"on", "ECDHE-ECDSA-AES256-GCM-SHA384", "TLS_AES_256_GCM_SHA384"},
                        Case{"off", "ECDHE-ECDSA-AES128-GCM-SHA256", "TLS_AES_128_GCM_SHA256"},
                        Case{"unset", "ECDHE-ECDSA-AES128-GCM-SHA256", "TLS_AES_128_GCM_SHA256"}}) {
    SCOPED_TRACE(c.port);
    TlsClient a(h.port(c.port), tls12);
    ASSERT_TRUE(a.ok()) << a.error();
    EXPECT_EQ(a.cipher(), c.tls12_cipher);
    TlsClient b(h.port(c.port), tls13);
    ASSERT_TRUE(b.ok()) << b.error();
    EXPECT_EQ(b.cipher(), c.tls13_cipher);
  }
}

// --- SSLSessionTickets ---------------------------------------------------------------------------

TEST(Protocols, SessionTicketsOnAndOff) {
  Httpd h;
  CertFiles ec = h.make_cert("ec");
  h.configure(listen_https("on") + listen_https("off") + listen_https("unset") +
              tls_virtual_host("on", certificate_lines(ec) + "  SSLSessionTickets on\n") +
              tls_virtual_host("off", certificate_lines(ec) + "  SSLSessionTickets off\n") +
              tls_virtual_host("unset", certificate_lines(ec)));
  ASSERT_TRUE(h.start()) << h.startup_log();

  for (const auto& [port, expect] :
       std::vector<std::pair<std::string, bool>>{{"on", true}, {"off", false}, {"unset", true}}) {
    SCOPED_TRACE(port);
    TlsClient c(h.port(port), {.max_version = TLS1_2_VERSION});
    ASSERT_TRUE(c.ok()) << c.error();
    EXPECT_EQ(got_session_ticket(c), expect);
    EXPECT_EQ(get_status(c), 200);

    ProcessResult s =
        run({"openssl", "s_client", "-connect", "127.0.0.1:" + std::to_string(h.port(port)),
             "-servername", "localhost", "-no_tls1_3"},
            {.stdin_data = "", .timeout = std::chrono::seconds(15)});
    EXPECT_EQ(contains(s.out, "TLS session ticket:"), expect) << s.out;

    // Without a session cache (none is configured) only a ticket can resume a session.
    EXPECT_EQ(second_connection_resumes(h.port(port), TLS1_2_VERSION), expect);
    EXPECT_EQ(second_connection_resumes(h.port(port), TLS1_3_VERSION), expect);
  }
}

// --- SSLOpenSSLConfCmd ---------------------------------------------------------------------------

TEST(Protocols, OpenSslConfCmdCurvesAndProtocol) {
  Httpd h;
  CertFiles ec = h.make_cert("ec");
  // RSA for the group tests: with TLS 1.2 an ECDSA certificate's own curve must be among the
  // client's groups, which would make the group checks fail for the wrong reason.
  CertFiles rsa = h.make_cert("rsa", {.key_type = KeyType::Rsa2048});
  h.configure(
      listen_https("curves") + listen_https("groups") + listen_https("no13") +
      listen_https("notickets") +
      tls_virtual_host("curves", certificate_lines(rsa) + "  SSLOpenSSLConfCmd Curves P-384\n") +
      tls_virtual_host("groups",
                       certificate_lines(rsa) + "  SSLOpenSSLConfCmd Groups X25519:P-256\n") +
      tls_virtual_host("no13", certificate_lines(ec) + "  SSLOpenSSLConfCmd Protocol -TLSv1.3\n") +
      tls_virtual_host("notickets",
                       certificate_lines(ec) + "  SSLOpenSSLConfCmd Options -SessionTicket\n"));
  ASSERT_TRUE(h.start()) << h.startup_log();

  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    SCOPED_TRACE(version == TLS1_2_VERSION ? "TLS 1.2" : "TLS 1.3");
    TlsClient x25519(h.port("curves"), ecdhe_with_groups("X25519", version));
    EXPECT_FALSE(x25519.ok()) << "negotiated " << x25519.group();
    TlsClient p384(h.port("curves"), ecdhe_with_groups("X25519:P-384", version));
    ASSERT_TRUE(p384.ok()) << p384.error();
    EXPECT_EQ(p384.group(), "secp384r1");

    TlsClient only384(h.port("groups"), ecdhe_with_groups("P-384", version));
    EXPECT_FALSE(only384.ok()) << "negotiated " << only384.group();
    TlsClient p256(h.port("groups"), ecdhe_with_groups("P-384:P-256", version));
    ASSERT_TRUE(p256.ok()) << p256.error();
    EXPECT_EQ(p256.group(), "prime256v1");
  }

  TlsClient tls13(h.port("no13"), {.min_version = TLS1_3_VERSION});
  EXPECT_FALSE(tls13.ok()) << "negotiated " << tls13.version();
  TlsClient any(h.port("no13"), {});
  ASSERT_TRUE(any.ok()) << any.error();
  EXPECT_EQ(any.version(), "TLSv1.2");
  EXPECT_EQ(get_status(any), 200);

  TlsClient no_ticket(h.port("notickets"), {.max_version = TLS1_2_VERSION});
  ASSERT_TRUE(no_ticket.ok()) << no_ticket.error();
  EXPECT_FALSE(got_session_ticket(no_ticket));
}

// --- Directives that only need to be accepted ----------------------------------------------------

TEST(Protocols, InsecureRenegotiationAndCompressionOffAccepted) {
  Httpd h;
  CertFiles ec = h.make_cert("ec");
  h.configure("SSLInsecureRenegotiation off\nSSLCompression off\n" + listen_https("on") +
              listen_https("off") +
              tls_virtual_host("on", certificate_lines(ec) +
                                         "  SSLInsecureRenegotiation on\n  SSLCompression off\n") +
              tls_virtual_host("off", certificate_lines(ec) + "  SSLInsecureRenegotiation off\n"));
  ProcessResult t = h.configtest();
  EXPECT_EQ(t.exit_code, 0) << t.all();
  EXPECT_TRUE(contains(t.all(), "Syntax OK")) << t.all();
  ASSERT_TRUE(h.start()) << h.startup_log();
  for (const char* port : {"on", "off"}) {
    SCOPED_TRACE(port);
    HttpResponse r = https_request(h.port(port), "/", {.ca_file = h.ca_file()});
    EXPECT_EQ(r.status, 200) << r.body;
    TlsClient c(h.port(port), {.max_version = TLS1_2_VERSION});
    ASSERT_TRUE(c.ok()) << c.error();
    // No compression is ever negotiated.
    EXPECT_EQ(SSL_get_current_compression(c.ssl()), nullptr);
    // The server supports secure renegotiation (RFC 5746) either way.
    EXPECT_EQ(SSL_get_secure_renegotiation_support(c.ssl()), 1);
  }
}

}  // namespace
}  // namespace modssl::it
