// Beyond the stock module: a failed handshake is ONE info line that holds the client's address and
// OpenSSL's reason (the stock module logs the address and the reason on separate lines), and for
// "no shared cipher" it also lists what the client offered and what the vhost allows (the FAQ's
// "no shared ciphers right after install").
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <string>

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include "httpd.h"
#include "raw_clients.h"
#include "text_search.h"
#include "tls_client.h"

namespace modssl::it {
namespace {

// How the error log names the client on `fd` (our one-line messages carry it).
std::string client_address(int fd) {
  return "127.0.0.1:" + std::to_string(local_port(fd));
}

TEST(HandshakeMessages, NoSharedCipherLineNamesClientOfferAndVhostCiphers) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h;
  configure_rsa_tls_vhost(
      h, "  SSLProtocol -all +TLSv1.2\n  SSLCipherSuite ECDHE-RSA-AES128-GCM-SHA256\n");
  ASSERT_TRUE(h.start()) << h.startup_log();
  TlsClient bad(h.port("tls"), {.max_version = TLS1_2_VERSION,
                                .cipher_list = "ECDHE-RSA-AES256-GCM-SHA384:AES256-SHA256"});
  ASSERT_FALSE(bad.ok());
  const std::string addr = client_address(bad.fd());
  std::optional<std::string> line = wait_for_line(h, {"[ssl:info]", "no shared cipher", addr});
  ASSERT_TRUE(line) << "no single info line with the reason and " << addr << ":\n" << h.error_log();
  // What the client offered, and what this vhost allows.
  EXPECT_NE(line->find("ECDHE-RSA-AES256-GCM-SHA384"), std::string::npos) << *line;
  EXPECT_NE(line->find("AES256-SHA256"), std::string::npos) << *line;
  EXPECT_NE(line->find("ECDHE-RSA-AES128-GCM-SHA256"), std::string::npos) << *line;
}

TEST(HandshakeMessages, UnknownCaAlertLineHasClientAddress) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h;
  configure_rsa_tls_vhost(h);
  CertFiles other_ca = h.make_self_signed_cert(
      "other-ca", {.common_name = "other CA", .dns_names = {}, .is_ca = true});
  ASSERT_TRUE(h.start()) << h.startup_log();
  TlsClient bad(h.port("tls"), {.ca_file = other_ca.cert});
  ASSERT_FALSE(bad.ok());
  const std::string addr = client_address(bad.fd());
  EXPECT_TRUE(wait_for_line(h, {"[ssl:info]", "alert unknown ca", addr})) << h.error_log();
}

TEST(HandshakeMessages, GarbageLineHasClientAddressAndReason) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h;
  configure_rsa_tls_vhost(h);
  ASSERT_TRUE(h.start()) << h.startup_log();
  int fd = tcp_connect(h.port("tls"));
  ASSERT_GE(fd, 0);
  const std::string addr = client_address(fd);
  std::string junk(200, '\x02');
  ASSERT_EQ(send(fd, junk.data(), junk.size(), MSG_NOSIGNAL), static_cast<ssize_t>(junk.size()));
  EXPECT_TRUE(wait_for_line(h, {"[ssl:info]", "wrong version number", addr})) << h.error_log();
  close(fd);
}

TEST(HandshakeMessages, ProtocolMismatchLineHasClientAddressAndReason) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h;
  configure_rsa_tls_vhost(h, "  SSLProtocol -all +TLSv1.3\n");
  ASSERT_TRUE(h.start()) << h.startup_log();
  TlsClient bad(h.port("tls"), {.max_version = TLS1_2_VERSION});
  ASSERT_FALSE(bad.ok());
  const std::string addr = client_address(bad.fd());
  EXPECT_TRUE(wait_for_line(h, {"[ssl:info]", "unsupported protocol", addr})) << h.error_log();
}

}  // namespace
}  // namespace modssl::it
