// Beyond the stock module: a failed handshake is ONE info line that holds the client's address and
// OpenSSL's reason (the stock module logs the address and the reason on separate lines), and for
// "no shared cipher" it also lists what the client offered and what the vhost allows (the FAQ's
// "no shared ciphers right after install").
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include "httpd.h"
#include "tls_client.h"

namespace modssl::it {
namespace {

using namespace std::chrono_literals;

int local_port(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  if (fd < 0 || getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) return -1;
  return ntohs(a.sin_port);
}

std::vector<std::string> lines_with(const std::string& log,
                                    const std::vector<std::string>& needles) {
  std::vector<std::string> out;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    bool all = true;
    for (const auto& n : needles) all = all && line.find(n) != std::string::npos;
    if (all) out.push_back(line);
  }
  return out;
}

std::string wait_for_line(const Httpd& h, const std::vector<std::string>& needles,
                          std::chrono::milliseconds timeout = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  do {
    auto found = lines_with(h.error_log(), needles);
    if (!found.empty()) return found.front();
    std::this_thread::sleep_for(20ms);
  } while (std::chrono::steady_clock::now() < deadline);
  return "";
}

void configure_tls(Httpd& h, const std::string& extra = "") {
  CertFiles c = h.make_cert("localhost", {.key_type = testing::KeyType::Rsa2048}, true);
  h.configure(R"(
Listen 127.0.0.1:@PORT:tls@ https
<VirtualHost 127.0.0.1:@PORT:tls@>
  SSLEngine on
  SSLCertificateFile )" +
              c.cert + R"(
  SSLCertificateKeyFile )" +
              c.key + "\n" + extra + R"(
</VirtualHost>
)");
}

TEST(HandshakeMessages, NoSharedCipherLineNamesClientOfferAndVhostCiphers) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h;
  configure_tls(h, "  SSLProtocol -all +TLSv1.2\n  SSLCipherSuite ECDHE-RSA-AES128-GCM-SHA256\n");
  ASSERT_TRUE(h.start()) << h.startup_log();
  TlsClient bad(h.port("tls"), {.max_version = TLS1_2_VERSION,
                                .cipher_list = "ECDHE-RSA-AES256-GCM-SHA384:AES256-SHA256"});
  ASSERT_FALSE(bad.ok());
  const std::string addr = "127.0.0.1:" + std::to_string(local_port(bad.fd()));
  std::string line = wait_for_line(h, {"[ssl:info]", "no shared cipher", addr});
  ASSERT_FALSE(line.empty()) << "no single info line with the reason and " << addr << ":\n"
                             << h.error_log();
  // What the client offered, and what this vhost allows.
  EXPECT_NE(line.find("ECDHE-RSA-AES256-GCM-SHA384"), std::string::npos) << line;
  EXPECT_NE(line.find("AES256-SHA256"), std::string::npos) << line;
  EXPECT_NE(line.find("ECDHE-RSA-AES128-GCM-SHA256"), std::string::npos) << line;
}

TEST(HandshakeMessages, UnknownCaAlertLineHasClientAddress) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h;
  configure_tls(h);
  CertFiles other_ca = h.make_self_signed_cert(
      "other-ca", {.common_name = "other CA", .dns_names = {}, .is_ca = true});
  ASSERT_TRUE(h.start()) << h.startup_log();
  TlsClient bad(h.port("tls"), {.ca_file = other_ca.cert});
  ASSERT_FALSE(bad.ok());
  const std::string addr = "127.0.0.1:" + std::to_string(local_port(bad.fd()));
  EXPECT_FALSE(wait_for_line(h, {"[ssl:info]", "alert unknown ca", addr}).empty()) << h.error_log();
}

TEST(HandshakeMessages, GarbageLineHasClientAddressAndReason) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h;
  configure_tls(h);
  ASSERT_TRUE(h.start()) << h.startup_log();
  int fd = tcp_connect(h.port("tls"));
  ASSERT_GE(fd, 0);
  const std::string addr = "127.0.0.1:" + std::to_string(local_port(fd));
  std::string junk(200, '\x02');
  ASSERT_EQ(send(fd, junk.data(), junk.size(), MSG_NOSIGNAL), static_cast<ssize_t>(junk.size()));
  EXPECT_FALSE(wait_for_line(h, {"[ssl:info]", "wrong version number", addr}).empty())
      << h.error_log();
  close(fd);
}

TEST(HandshakeMessages, ProtocolMismatchLineHasClientAddressAndReason) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h;
  configure_tls(h, "  SSLProtocol -all +TLSv1.3\n");
  ASSERT_TRUE(h.start()) << h.startup_log();
  TlsClient bad(h.port("tls"), {.max_version = TLS1_2_VERSION});
  ASSERT_FALSE(bad.ok());
  const std::string addr = "127.0.0.1:" + std::to_string(local_port(bad.fd()));
  EXPECT_FALSE(wait_for_line(h, {"[ssl:info]", "unsupported protocol", addr}).empty())
      << h.error_log();
}

}  // namespace
}  // namespace modssl::it
