// HTTP/2 over our TLS: ALPN through httpd's protocol API picks h2 when `Protocols h2 http/1.1`
// is set and Debian's mod_http2 is loaded, and http/1.1 otherwise. Data on h2 streams passes
// through the same TLS filters, so bulk transfers are hashed here too.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <regex>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/evp.h>

#include "httpd.h"
#include "tls_client.h"

namespace modssl::it {
namespace {

using namespace std::chrono_literals;

std::string sha256_of(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

// Incompressible test data from splitmix64: fast, and different per seed.
std::string prng_bytes(std::size_t n, std::uint64_t seed) {
  std::string out(n, '\0');
  std::uint64_t x = seed;
  for (std::size_t i = 0; i < n; i += 8) {
    std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    for (std::size_t k = 0; k < 8 && i + k < n; ++k) out[i + k] = static_cast<char>(z >> (8 * k));
  }
  return out;
}

// mod_http2 loaded; `protocols` is the Protocols line ("" for httpd's default, http/1.1 only).
void configure_h2(Httpd& h, const std::string& protocols, const std::string& extra = "") {
  h.load_module("http2");
  CertFiles cert = h.make_cert("localhost");
  h.configure(extra + protocols + R"(
Listen 127.0.0.1:@PORT:tls@ https
<VirtualHost 127.0.0.1:@PORT:tls@>
  SSLEngine on
  SSLCertificateFile )" + cert.cert + R"(
  SSLCertificateKeyFile )" + cert.key + R"(
</VirtualHost>
)");
}

std::string url(Httpd& h, const std::string& path) {
  return "https://localhost:" + std::to_string(h.port("tls")) + path;
}

TEST(Http2, AlpnSelectsH2AndCurlSpeaksIt) {
  Httpd h;
  configure_h2(h, "Protocols h2 http/1.1\n");
  ASSERT_TRUE(h.start()) << h.startup_log();

  TlsClient both(h.port("tls"), {.alpn = {"h2", "http/1.1"}, .ca_file = h.ca_file()});
  ASSERT_TRUE(both.ok()) << both.error();
  EXPECT_EQ(both.alpn(), "h2");
  // A client that offers only http/1.1 still gets it.
  TlsClient h1(h.port("tls"), {.alpn = {"http/1.1"}, .ca_file = h.ca_file()});
  ASSERT_TRUE(h1.ok()) << h1.error();
  EXPECT_EQ(h1.alpn(), "http/1.1");
  ASSERT_TRUE(h1.write("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
  auto r1 = parse_responses(h1.read_to_close());
  ASSERT_EQ(r1.size(), 1u);
  EXPECT_EQ(r1[0].status, 200);

  ProcessResult curl = run({"curl", "-sS", "-m", "20", "--http2", "--cacert", h.ca_file(), "-w",
                            "\n%{http_version} %{http_code}", url(h, "/")},
                           {.timeout = 25s});
  ASSERT_EQ(curl.exit_code, 0) << curl.err << "\n" << h.error_log();
  EXPECT_NE(curl.out.find("hello from modssl tests"), std::string::npos) << curl.out;
  EXPECT_TRUE(curl.out.ends_with("\n2 200")) << curl.out;
}

TEST(Http2, H2loadManyStreamsAllSucceed) {
  Httpd h;
  configure_h2(h, "Protocols h2 http/1.1\n");
  ASSERT_TRUE(h.start()) << h.startup_log();

  ProcessResult r = run({"h2load", "-n", "500", "-c", "10", "-m", "10", "-T", "20", "-N", "20",
                         url(h, "/index.html")},
                        {.timeout = 60s});
  ASSERT_EQ(r.exit_code, 0) << r.all() << "\n" << h.error_log();
  EXPECT_NE(r.out.find("Application protocol: h2"), std::string::npos) << r.out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex(
      R"(requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored)")))
      << r.out;
  EXPECT_EQ(m[4], "500") << r.out;
  EXPECT_EQ(m[5], "0") << r.out;
  EXPECT_EQ(m[6], "0") << r.out;
  EXPECT_NE(r.out.find("status codes: 500 2xx"), std::string::npos) << r.out;
}

TEST(Http2, WithoutProtocolsH2ItIsHttp11) {
  Httpd h;
  configure_h2(h, "");  // mod_http2 loaded, but Protocols stays at its default (http/1.1)
  ASSERT_TRUE(h.start()) << h.startup_log();

  TlsClient c(h.port("tls"), {.alpn = {"h2", "http/1.1"}, .ca_file = h.ca_file()});
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_TRUE(c.alpn() == "http/1.1" || c.alpn().empty()) << c.alpn();
  ASSERT_TRUE(c.write("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
  auto responses = parse_responses(c.read_to_close());
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].status, 200);

  ProcessResult curl = run({"curl", "-sS", "-m", "20", "--http2", "--cacert", h.ca_file(), "-w",
                            "\n%{http_version} %{http_code}", url(h, "/")},
                           {.timeout = 25s});
  ASSERT_EQ(curl.exit_code, 0) << curl.err << "\n" << h.error_log();
  EXPECT_TRUE(curl.out.ends_with("\n1.1 200")) << curl.out;
}

// h2 with the vhost allowing only http/1.1 while the server allows h2: the vhost wins.
TEST(Http2, VhostProtocolsOverrideServerProtocols) {
  Httpd h;
  h.load_module("http2");
  CertFiles cert = h.make_cert("localhost");
  h.configure(R"(
Protocols h2 http/1.1
Listen 127.0.0.1:@PORT:tls@ https
<VirtualHost 127.0.0.1:@PORT:tls@>
  Protocols http/1.1
  SSLEngine on
  SSLCertificateFile )" + cert.cert + R"(
  SSLCertificateKeyFile )" + cert.key + R"(
</VirtualHost>
)");
  ASSERT_TRUE(h.start()) << h.startup_log();
  TlsClient c(h.port("tls"), {.alpn = {"h2", "http/1.1"}, .ca_file = h.ca_file()});
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c.alpn(), "http/1.1");
}

TEST(Http2, TenMiBDownloadAndUploadOverH2) {
  Httpd h;
  h.load_module("cgid");
  configure_h2(h, "Protocols h2 http/1.1\n",
               "ScriptSock @ROOT@/run/cgisock\nScriptAlias /cgi-bin/ @ROOT@/cgi-bin/\n");
  const std::string data = prng_bytes(10u << 20, 0x5eed0010);
  const std::string want = sha256_of(data);
  h.write("htdocs/ten.bin", data);
  const std::string upload = h.write("upload.bin", prng_bytes(10u << 20, 0x5eed0011));
  h.write("cgi-bin/hash",
          "#!/bin/sh\n"
          "sum=$(sha256sum | cut -d' ' -f1)\n"
          "printf 'Content-Type: text/plain\\r\\n\\r\\n%s\\n' \"$sum\"\n",
          0755);
  ASSERT_TRUE(h.start()) << h.startup_log();

  ProcessResult down = run({"curl", "-sS", "-m", "40", "--http2", "--cacert", h.ca_file(), "-D",
                            h.path("down.headers"), url(h, "/ten.bin")},
                           {.timeout = 45s});
  ASSERT_EQ(down.exit_code, 0) << down.err << "\n" << h.error_log();
  EXPECT_EQ(read_file(h.path("down.headers")).rfind("HTTP/2 200", 0), 0u)
      << read_file(h.path("down.headers"));
  EXPECT_EQ(down.out.size(), data.size());
  EXPECT_EQ(sha256_of(down.out), want);

  ProcessResult up = run({"curl", "-sS", "-m", "40", "--http2", "--cacert", h.ca_file(), "-w",
                          "%{http_version}", "--data-binary", "@" + upload,
                          url(h, "/cgi-bin/hash")},
                         {.timeout = 45s});
  ASSERT_EQ(up.exit_code, 0) << up.err << "\n" << h.error_log();
  EXPECT_EQ(up.out, sha256_of(read_file(upload)) + "\n2") << h.error_log();
}

// 8 downloads of 2 MiB multiplexed on one h2 connection: interleaved DATA frames of several
// streams pass through the TLS filters, and every file arrives intact.
TEST(Http2, ParallelStreamsOnOneConnectionKeepTheirBytes) {
  Httpd h;
  configure_h2(h, "Protocols h2 http/1.1\n");
  constexpr int kFiles = 8;
  std::vector<std::string> want;
  for (int i = 0; i < kFiles; ++i) {
    std::string data = prng_bytes(2u << 20, 0x5eed0020 + i);
    want.push_back(sha256_of(data));
    h.write("htdocs/p" + std::to_string(i) + ".bin", data);
  }
  ASSERT_TRUE(h.start()) << h.startup_log();

  std::vector<std::string> argv = {"curl", "-sS", "-m", "40", "--http2", "--cacert", h.ca_file(),
                                   "--parallel", "--parallel-max", "8", "-w",
                                   "%{http_version} %{num_connects}\n"};
  for (int i = 0; i < kFiles; ++i) {
    argv.push_back(url(h, "/p" + std::to_string(i) + ".bin"));
    argv.push_back("-o");
    argv.push_back(h.path("got" + std::to_string(i)));
  }
  ProcessResult r = run(argv, {.timeout = 45s});
  ASSERT_EQ(r.exit_code, 0) << r.err << "\n" << h.error_log();
  for (int i = 0; i < kFiles; ++i) {
    EXPECT_EQ(sha256_of(read_file(h.path("got" + std::to_string(i)))), want[i]) << "file " << i;
  }
  // All over HTTP/2, and (curl multiplexes) on one connection: one line per transfer,
  // "<http_version> <new connections it made>".
  std::istringstream lines(r.out);
  int transfers = 0, connects = 0;
  std::string version;
  int made = 0;
  while (lines >> version >> made) {
    ++transfers;
    connects += made;
    EXPECT_EQ(version, "2") << r.out;
  }
  EXPECT_EQ(transfers, kFiles) << r.out;
  EXPECT_EQ(connects, 1) << r.out;
}

}  // namespace
}  // namespace modssl::it
