// HTTP/2 over our TLS: ALPN through httpd's protocol API picks h2 when `Protocols h2 http/1.1`
// is set and Debian's mod_http2 is loaded, and http/1.1 otherwise. Data on h2 streams passes
// through the same TLS filters, so bulk transfers are hashed here too.
#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "cgi.h"
#include "data.h"
#include "http.h"
#include "httpd.h"
#include "tls_client.h"

namespace modssl::it {
namespace {

using namespace std::chrono_literals;

// mod_http2 loaded; `protocols` is the Protocols line ("" for httpd's default, http/1.1 only).
void configure_h2(Httpd& h, const std::string& protocols, const std::string& extra = "") {
  h.load_module("http2");
  configure_tls_vhost(h, {.server_lines = extra + protocols});
}

// curl over HTTP/2 if the server offers it; prints the body, then "\n<http_version> <status>".
ProcessResult curl_h2_version_and_status(Httpd& h) {
  return run({"curl", "-sS", "-m", "20", "--http2", "--cacert", h.ca_file(), "-w",
              "\n%{http_version} %{http_code}", https_url(h, "/")},
             {.timeout = 25s});
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
  ASSERT_TRUE(h1.write(get_request("/", {.close = true})));
  auto r1 = parse_responses(h1.read_to_close());
  ASSERT_EQ(r1.size(), 1u);
  EXPECT_EQ(r1[0].status, 200);

  ProcessResult curl = curl_h2_version_and_status(h);
  ASSERT_EQ(curl.exit_code, 0) << curl.err << "\n" << h.error_log();
  EXPECT_NE(curl.out.find("hello from modssl tests"), std::string::npos) << curl.out;
  EXPECT_TRUE(curl.out.ends_with("\n2 200")) << curl.out;
}

TEST(Http2, H2loadManyStreamsAllSucceed) {
  Httpd h;
  configure_h2(h, "Protocols h2 http/1.1\n");
  ASSERT_TRUE(h.start()) << h.startup_log();

  ProcessResult r = run({"h2load", "-n", "500", "-c", "10", "-m", "10", "-T", "20", "-N", "20",
                         https_url(h, "/index.html")},
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
  ASSERT_TRUE(c.write(get_request("/", {.close = true})));
  auto responses = parse_responses(c.read_to_close());
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].status, 200);

  ProcessResult curl = curl_h2_version_and_status(h);
  ASSERT_EQ(curl.exit_code, 0) << curl.err << "\n" << h.error_log();
  EXPECT_TRUE(curl.out.ends_with("\n1.1 200")) << curl.out;
}

// h2 with the vhost allowing only http/1.1 while the server allows h2: the vhost wins.
TEST(Http2, VhostProtocolsOverrideServerProtocols) {
  Httpd h;
  h.load_module("http2");
  configure_tls_vhost(
      h, {.server_lines = "Protocols h2 http/1.1\n", .vhost_lines = "  Protocols http/1.1\n"});
  ASSERT_TRUE(h.start()) << h.startup_log();
  TlsClient c(h.port("tls"), {.alpn = {"h2", "http/1.1"}, .ca_file = h.ca_file()});
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c.alpn(), "http/1.1");
}

TEST(Http2, TenMiBDownloadAndUploadOverH2) {
  Httpd h;
  configure_h2(h, "Protocols h2 http/1.1\n", enable_cgi(h));
  const std::string data = random_bytes(10u << 20, 0x5eed0010);
  const std::string want = sha256_hex(data);
  h.write("htdocs/ten.bin", data);
  const std::string upload = h.write("upload.bin", random_bytes(10u << 20, 0x5eed0011));
  h.write("cgi-bin/hash", kBodySha256Cgi, 0755);
  ASSERT_TRUE(h.start()) << h.startup_log();

  ProcessResult down = run({"curl", "-sS", "-m", "40", "--http2", "--cacert", h.ca_file(), "-D",
                            h.path("down.headers"), https_url(h, "/ten.bin")},
                           {.timeout = 45s});
  ASSERT_EQ(down.exit_code, 0) << down.err << "\n" << h.error_log();
  EXPECT_EQ(read_file(h.path("down.headers")).rfind("HTTP/2 200", 0), 0u)
      << read_file(h.path("down.headers"));
  EXPECT_EQ(down.out.size(), data.size());
  EXPECT_EQ(sha256_hex(down.out), want);

  ProcessResult up =
      run({"curl", "-sS", "-m", "40", "--http2", "--cacert", h.ca_file(), "-w", "%{http_version}",
           "--data-binary", "@" + upload, https_url(h, "/cgi-bin/hash")},
          {.timeout = 45s});
  ASSERT_EQ(up.exit_code, 0) << up.err << "\n" << h.error_log();
  EXPECT_EQ(up.out, sha256_hex(read_file(upload)) + "\n2") << h.error_log();
}

// 8 downloads of 2 MiB multiplexed on one h2 connection: interleaved DATA frames of several
// streams pass through the TLS filters, and every file arrives intact.
TEST(Http2, ParallelStreamsOnOneConnectionKeepTheirBytes) {
  Httpd h;
  configure_h2(h, "Protocols h2 http/1.1\n");
  constexpr int kFiles = 8;
  std::vector<std::string> want;
  for (int i = 0; i < kFiles; ++i) {
    std::string data = random_bytes(2u << 20, 0x5eed0020 + i);
    want.push_back(sha256_hex(data));
    h.write("htdocs/p" + std::to_string(i) + ".bin", data);
  }
  ASSERT_TRUE(h.start()) << h.startup_log();

  std::vector<std::string> argv = {"curl", "-sS", "-m", "40", "--http2", "--cacert", h.ca_file(),
                                   "--parallel", "--parallel-max", "8", "-w",
                                   "%{http_version} %{num_connects}\n"};
  for (int i = 0; i < kFiles; ++i) {
    argv.push_back(https_url(h, "/p" + std::to_string(i) + ".bin"));
    argv.push_back("-o");
    argv.push_back(h.path("got" + std::to_string(i)));
  }
  ProcessResult r = run(argv, {.timeout = 45s});
  ASSERT_EQ(r.exit_code, 0) << r.err << "\n" << h.error_log();
  for (int i = 0; i < kFiles; ++i) {
    EXPECT_EQ(sha256_hex(read_file(h.path("got" + std::to_string(i)))), want[i]) << "file " << i;
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
