// Bulk data through the TLS filters: a 50 MiB static download (file/mmap buckets from the
// default handler) under each MPM, 50 MiB plain and 10 MiB chunked uploads into a CGI that
// hashes what it reads, a slow CGI whose flushes must reach the client as they happen, and small
// responses that must leave in one TLS record. Bytes are checked by SHA-256.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <iterator>
#include <string>

#include <openssl/ssl.h>

#include "cgi.h"
#include "data.h"
#include "http.h"
#include "httpd.h"
#include "tls_client.h"

namespace modssl::it {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::size_t kBig = 50u << 20;  // 50 MiB, the size the issue names

class Transfer : public ::testing::TestWithParam<std::string> {};
// CGI tests: event runs mod_cgid (socket buckets), prefork mod_cgi (pipe buckets).
class CgiTransfer : public ::testing::TestWithParam<std::string> {};

TEST_P(Transfer, Download50MiBStaticFile) {
  Httpd h(GetParam());
  // /big.bin comes as mmap buckets; /plain/big.bin as file buckets read with read(2) (and
  // sendfile, allowed there, must not bypass the TLS filter).
  configure_tls_vhost(h, {.server_lines = "<Directory @ROOT@/htdocs/plain>\n  EnableMMAP off\n"
                                          "  EnableSendfile on\n</Directory>\n"});
  const std::string data = random_bytes(kBig, 0x5eed0001);
  const std::string want = sha256_hex(data);
  h.write("htdocs/big.bin", data);
  h.write("htdocs/plain/big.bin", data);
  ASSERT_TRUE(h.start()) << h.startup_log();

  auto curl_get = [&h](const std::string& path) {
    return run({"curl", "-sS", "-m", "60", "--cacert", h.ca_file(), https_url(h, path)},
               {.timeout = 70s});
  };

  // curl: the body must hash to the file's hash.
  ProcessResult curl = curl_get("/big.bin");
  ASSERT_EQ(curl.exit_code, 0) << curl.err << "\n" << h.error_log();
  EXPECT_EQ(curl.out.size(), kBig);
  EXPECT_EQ(sha256_hex(curl.out), want);

  // The C++ client: status, Content-Length and body, then a clean close.
  TlsClient c(h.port("tls"), {.ca_file = h.ca_file(), .timeout = 30s});
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_TRUE(c.write(get_request("/big.bin", {.close = true})));
  auto responses = parse_responses(c.read_to_close());
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].status, 200);
  EXPECT_EQ(responses[0].header("content-length"), std::to_string(kBig));
  EXPECT_EQ(responses[0].body.size(), kBig);
  EXPECT_EQ(sha256_hex(responses[0].body), want);
  EXPECT_TRUE(c.received_close_notify());

  ProcessResult plain = curl_get("/plain/big.bin");
  ASSERT_EQ(plain.exit_code, 0) << plain.err << "\n" << h.error_log();
  EXPECT_EQ(plain.out.size(), kBig);
  EXPECT_EQ(sha256_hex(plain.out), want);
}

// A 50 MiB POST into a CGI that runs sha256sum over its stdin.
TEST_P(CgiTransfer, Upload50MiBToHashingCgi) {
  Httpd h(GetParam());
  configure_tls_vhost(h, {.server_lines = enable_cgi(h)});
  h.write("cgi-bin/hash",
          "#!/bin/sh\n"
          "sum=$(sha256sum | cut -d' ' -f1)\n"
          "printf 'Content-Type: text/plain\\r\\n\\r\\n%s %s\\n' \"$sum\" \"$CONTENT_LENGTH\"\n",
          0755);
  const std::string data = random_bytes(kBig, 0x5eed0002);
  const std::string want = sha256_hex(data) + " " + std::to_string(kBig) + "\n";
  const std::string upload = h.write("upload.bin", data);
  ASSERT_TRUE(h.start()) << h.startup_log();

  ProcessResult curl = run({"curl", "-sS", "-m", "60", "--cacert", h.ca_file(), "-H",
                            "Content-Type: application/octet-stream", "--data-binary", "@" + upload,
                            https_url(h, "/cgi-bin/hash")},
                           {.timeout = 70s});
  ASSERT_EQ(curl.exit_code, 0) << curl.err << "\n" << h.error_log();
  EXPECT_EQ(curl.out, want) << h.error_log();

  // The same body through the C++ client, written in 1 MiB SSL_write calls.
  HttpResponse r = https_request(h.port("tls"), "/cgi-bin/hash",
                                 {.ca_file = h.ca_file(), .timeout = 60s}, "localhost", "POST",
                                 data);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, want);
}

// A 10 MiB request body in chunked transfer coding, in chunks of awkward sizes (1 byte to just
// over a TLS record), so chunk-size lines and data straddle record boundaries.
TEST_P(CgiTransfer, ChunkedUploadToHashingCgi) {
  Httpd h(GetParam());
  configure_tls_vhost(h, {.server_lines = enable_cgi(h)});
  h.write("cgi-bin/hash", kBodySha256Cgi, 0755);
  const std::string data = random_bytes(10u << 20, 0x5eed0004);
  ASSERT_TRUE(h.start()) << h.startup_log();

  TlsClient c(h.port("tls"), {.ca_file = h.ca_file(), .timeout = 30s});
  ASSERT_TRUE(c.ok()) << c.error();
  std::string wire = "POST /cgi-bin/hash HTTP/1.1\r\nHost: localhost\r\n"
                     "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
  static constexpr std::size_t kSizes[] = {1, 7, 100, 8191, 16383, 16384, 16385, 65537, 300000};
  std::size_t off = 0;
  for (std::size_t i = 0; off < data.size(); ++i) {
    const std::size_t n = std::min(kSizes[i % std::size(kSizes)], data.size() - off);
    char size_line[32];
    std::snprintf(size_line, sizeof size_line, "%zx\r\n", n);
    wire += size_line;
    wire.append(data, off, n);
    wire += "\r\n";
    off += n;
  }
  wire += "0\r\n\r\n";
  ASSERT_TRUE(c.write(wire));
  auto responses = parse_responses(c.read_to_close());
  ASSERT_EQ(responses.size(), 1u) << h.error_log();
  EXPECT_EQ(responses[0].status, 200) << responses[0].body;
  EXPECT_EQ(responses[0].body, sha256_hex(data) + "\n");
}

// The CGI prints a line, sleeps 1 s, prints another: the first line must reach the client while
// the script sleeps (the TLS output filter honours the flush), and the whole body must arrive.
TEST_P(CgiTransfer, SlowCgiOutputIsFlushedAsItComes) {
  Httpd h(GetParam());
  configure_tls_vhost(h, {.server_lines = enable_cgi(h)});
  h.write("cgi-bin/slow",
          "#!/bin/sh\n"
          "printf 'Content-Type: text/plain\\r\\n\\r\\n'\n"
          "echo first-line\n"
          "sleep 1\n"
          "echo second-line\n",
          0755);
  ASSERT_TRUE(h.start()) << h.startup_log();

  TlsClient c(h.port("tls"), {.ca_file = h.ca_file(), .timeout = 10s});
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_TRUE(c.write(get_request("/cgi-bin/slow", {.close = true})));
  const auto sent = Clock::now();
  std::string got;
  while (got.find("first-line") == std::string::npos && Clock::now() - sent < 10s) {
    std::string part = c.read_some();
    if (part.empty()) break;
    got += part;
  }
  const auto first_at = Clock::now();
  ASSERT_NE(got.find("first-line"), std::string::npos) << got << "\n" << h.error_log();
  EXPECT_EQ(got.find("second-line"), std::string::npos)
      << "both lines arrived together: the first was not flushed while the CGI slept";
  got += c.read_to_close();
  const auto second_at = Clock::now();
  // The second line was written a second after the first; had the first not been flushed, both
  // would have arrived together.
  EXPECT_GE(second_at - first_at, 200ms);

  auto responses = parse_responses(got);
  ASSERT_EQ(responses.size(), 1u) << got;
  EXPECT_EQ(responses[0].status, 200);
  EXPECT_EQ(responses[0].body, "first-line\nsecond-line\n");
  EXPECT_TRUE(c.received_close_notify());
}

// Counts the application-data records the client receives (TLS 1.2 record headers, or the
// inner content type of TLS 1.3 records).
void count_app_records(int write_p, int /*version*/, int content_type, const void* buf,
                       size_t len, SSL* ssl, void* arg) {
  if (write_p || len < 1) return;
  const auto first = static_cast<const unsigned char*>(buf)[0];
  // TLS 1.3 hides the real type inside the record (every outer header says application data).
  const int wanted = SSL_version(ssl) == TLS1_3_VERSION ? SSL3_RT_INNER_CONTENT_TYPE
                                                         : SSL3_RT_HEADER;
  if (content_type == wanted && first == SSL3_RT_APPLICATION_DATA) ++*static_cast<int*>(arg);
}

// A small response leaves in one TLS record, headers and body together, although httpd passes
// them down in separate brigades: mod_ssl coalesces small writes (its "SSL/TLS Coalescing
// Filter") instead of sealing each piece in a record of its own.
TEST(Records, SmallResponseIsOneTlsRecord) {
  Httpd h;
  configure_tls_vhost(h);
  h.write("htdocs/small.txt", std::string(100, 's'));
  ASSERT_TRUE(h.start()) << h.startup_log();

  for (int version : {TLS1_3_VERSION, TLS1_2_VERSION}) {
    SCOPED_TRACE(version == TLS1_3_VERSION ? "TLS 1.3" : "TLS 1.2");
    TlsClient c(h.port("tls"), {.min_version = version, .max_version = version,
                                .ca_file = h.ca_file(), .timeout = 10s});
    ASSERT_TRUE(c.ok()) << c.error();
    int records = 0;
    SSL_set_msg_callback(c.ssl(), count_app_records);
    SSL_set_msg_callback_arg(c.ssl(), &records);
    for (const std::string path : {"/small.txt", "/missing.txt", "/index.html"}) {
      records = 0;
      ASSERT_TRUE(c.write(get_request(path)));
      const std::string got = read_until_response(c, 10s);
      auto responses = parse_responses(got);
      ASSERT_EQ(responses.size(), 1u) << path;
      EXPECT_EQ(responses[0].status, path == "/missing.txt" ? 404 : 200) << path;
      EXPECT_EQ(records, 1) << path << ": a " << got.size()
                            << "-byte response came in several TLS records";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Mpm, Transfer, ::testing::Values("event", "worker", "prefork"),
                         [](const auto& info) { return info.param; });
INSTANTIATE_TEST_SUITE_P(Mpm, CgiTransfer, ::testing::Values("event", "prefork"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace modssl::it
