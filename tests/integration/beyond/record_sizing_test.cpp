// Dynamic record sizing: a connection's output starts in small TLS records (one TCP segment
// each, so the client can use the first bytes as soon as they arrive), switches to full 16 KiB
// records once data flows, and starts small again after a pause. The stock module sends full
// records from the first byte. Records are watched from the client with OpenSSL's message
// callback, which sees every record header.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

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

// What the module promises, in bytes on the wire (plaintext plus the record's header, nonce,
// tag and, in TLS 1.3, inner content type): a small record fits one TCP segment on a
// 1,500-byte-MTU path; a full one carries 16 KiB of plaintext.
constexpr std::size_t kSmallOnWire = 1400;
constexpr std::size_t kFullOnWire = 16384 + 5 + 16;
// The module switches to full records after 64 KiB; the tests only rely on the first 16 KiB of
// a burst being small, so the threshold can be tuned without touching them.
constexpr std::size_t kSurelySmallBytes = 16 * 1024;

struct Record {
  std::size_t wire = 0;  // bytes on the wire, header included
  Clock::time_point at;
};

// The application-data records the client received, in order.
struct RecordLog {
  std::vector<Record> records;
  std::size_t pending = 0;  // TLS 1.3: a record whose inner content type is still to come
};

void log_record(int write_p, int /*version*/, int content_type, const void* buf, size_t len,
                SSL* ssl, void* arg) {
  if (write_p) return;
  auto* log = static_cast<RecordLog*>(arg);
  const auto* p = static_cast<const unsigned char*>(buf);
  if (content_type == SSL3_RT_HEADER && len >= 5) {
    const std::size_t wire = 5 + (std::size_t{p[3]} << 8 | p[4]);
    log->pending = 0;
    if (p[0] != SSL3_RT_APPLICATION_DATA) return;
    // TLS 1.3 labels every encrypted record application data; the real type is inside.
    if (SSL_version(ssl) == TLS1_3_VERSION) {
      log->pending = wire;
    } else {
      log->records.push_back({wire, Clock::now()});
    }
  } else if (content_type == SSL3_RT_INNER_CONTENT_TYPE && len >= 1) {
    if (p[0] == SSL3_RT_APPLICATION_DATA && log->pending > 0) {
      log->records.push_back({log->pending, Clock::now()});
    }
    log->pending = 0;
  }
}

void watch_records(TlsClient& c, RecordLog& log) {
  SSL_set_msg_callback(c.ssl(), log_record);
  SSL_set_msg_callback_arg(c.ssl(), &log);
}

std::string sizes(const std::vector<Record>& records, std::size_t from, std::size_t n = 40) {
  std::string out;
  for (std::size_t i = from; i < records.size() && i < from + n; ++i) {
    out += std::to_string(records[i].wire) + " ";
  }
  return out;
}

// Checks the records of one burst of output (records[from, to)): its first 16 KiB in small
// records, then full records (the burst's last record may be short), most bytes in full ones.
void expect_small_then_full(const std::vector<Record>& records, std::size_t from, std::size_t to) {
  ASSERT_LT(from, to);
  std::size_t bytes = 0;
  std::size_t i = from;
  for (; i < to && bytes < kSurelySmallBytes; ++i) {
    EXPECT_LE(records[i].wire, kSmallOnWire)
        << "record " << i - from << " of the burst is not small: " << sizes(records, from);
    bytes += records[i].wire;
  }
  std::size_t first_full = to;
  std::size_t full_bytes = 0;
  std::size_t total = 0;
  for (std::size_t j = from; j < to; ++j) {
    total += records[j].wire;
    if (records[j].wire >= kFullOnWire) {
      full_bytes += records[j].wire;
      if (first_full == to) first_full = j;
    }
  }
  ASSERT_LT(first_full, to) << "no full-size record: " << sizes(records, from);
  for (std::size_t j = first_full; j + 1 < to; ++j) {
    EXPECT_GE(records[j].wire, kFullOnWire)
        << "record " << j - from
        << " after full-size ones is short: " << sizes(records, first_full);
  }
  EXPECT_GE(full_bytes * 10, total * 9) << "less than 90% of the bytes in full-size records";
}

// TLS version; whether the file is memory-mapped (EnableMMAP on, the default) or read
// (EnableMMAP off, which the TLS filter reads straight into its record buffer).
class RecordSizing : public ::testing::TestWithParam<std::tuple<int, bool>> {};

// A fresh connection downloads 1 MiB: small records first, then full ones. A second request
// right after gets full records from its first byte (data is flowing), a third one after a
// pause starts small again.
TEST_P(RecordSizing, SmallAtStartFullOnceFlowingSmallAgainAfterPause) {
  MODSSL_SKIP_UNLESS_OURS();
  const auto [version, mmap] = GetParam();
  Httpd h;
  configure_tls_vhost(h, {.server_lines = mmap ? "" : "EnableMMAP off"});
  const std::string data = random_bytes(1u << 20, 0x5eed0105);
  h.write("htdocs/big.bin", data);
  ASSERT_TRUE(h.start()) << h.startup_log();

  TlsClient c(
      h.port("tls"),
      {.min_version = version, .max_version = version, .ca_file = h.ca_file(), .timeout = 30s});
  ASSERT_TRUE(c.ok()) << c.error();
  RecordLog log;
  watch_records(c, log);

  auto fetch = [&](const char* what) {
    SCOPED_TRACE(what);
    const std::size_t from = log.records.size();
    EXPECT_TRUE(c.write(get_request("/big.bin")));
    HttpResponse r = read_response(c, 30s);
    EXPECT_EQ(r.status, 200) << r.body.substr(0, 200);
    EXPECT_EQ(r.body.size(), data.size());
    EXPECT_TRUE(r.body == data) << "body differs";
    return from;
  };

  const std::size_t first = fetch("first response");
  const std::size_t second = fetch("second response, right after");
  const std::size_t second_end = log.records.size();
  std::this_thread::sleep_for(1500ms);
  const std::size_t third = fetch("third response, after a 1.5 s pause");

  {
    SCOPED_TRACE("first response");
    expect_small_then_full(log.records, first, second);
  }
  {
    SCOPED_TRACE("second response");
    ASSERT_LT(second, second_end);
    EXPECT_GE(log.records[second].wire, kFullOnWire)
        << "output was flowing, yet the response started small: " << sizes(log.records, second);
    std::size_t small = 0;
    for (std::size_t i = second; i + 1 < second_end; ++i)
      small += log.records[i].wire < kFullOnWire;
    EXPECT_EQ(small, 0u) << sizes(log.records, second);
  }
  {
    SCOPED_TRACE("third response");
    expect_small_then_full(log.records, third, log.records.size());
  }
}

INSTANTIATE_TEST_SUITE_P(Tls, RecordSizing,
                         ::testing::Combine(::testing::Values(TLS1_3_VERSION, TLS1_2_VERSION),
                                            ::testing::Bool()),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param) == TLS1_3_VERSION ? "Tls13"
                                                                                        : "Tls12") +
                                  (std::get<1>(info.param) ? "Mmap" : "Read");
                         });

// A CGI writes 100 KB, sleeps 2 s, writes 100 KB more. The first part must reach the client
// while the script sleeps (the flush is honoured however large the part), and the output after
// the pause starts with small records again, in the middle of the response.
TEST(RecordSizingCgi, FlushedBeforeThePauseSmallRecordsAfterIt) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h;
  configure_tls_vhost(h, {.server_lines = enable_cgi(h)});
  h.write("cgi-bin/pause",
          "#!/bin/sh\n"
          "printf 'Content-Type: text/plain\\r\\n\\r\\n'\n"
          "head -c 102400 /dev/zero | tr '\\0' 'x'\n"
          "sleep 2\n"
          "head -c 102400 /dev/zero | tr '\\0' 'y'\n",
          0755);
  ASSERT_TRUE(h.start()) << h.startup_log();

  TlsClient c(h.port("tls"), {.ca_file = h.ca_file(), .timeout = 15s});
  ASSERT_TRUE(c.ok()) << c.error();
  RecordLog log;
  watch_records(c, log);
  ASSERT_TRUE(c.write(get_request("/cgi-bin/pause", {.close = true})));

  // Read until the end, noting when the last 'x' and the first 'y' of the body arrived.
  std::string got;
  std::size_t body_at = std::string::npos;
  std::size_t xs = 0;
  Clock::time_point last_x{};
  Clock::time_point first_y{};
  for (;;) {
    std::string part = c.read_some();
    if (part.empty()) break;
    const auto now = Clock::now();
    got += part;
    if (body_at == std::string::npos) {
      body_at = got.find("\r\n\r\n");
      if (body_at == std::string::npos) continue;
      part = got.substr(body_at);
    }
    const std::size_t x = static_cast<std::size_t>(std::count(part.begin(), part.end(), 'x'));
    if (x > 0) {
      xs += x;
      last_x = now;
    }
    if (first_y == Clock::time_point{} && part.find('y') != std::string::npos) first_y = now;
  }
  auto responses = parse_responses(got);
  ASSERT_EQ(responses.size(), 1u) << got.substr(0, 300) << "\n" << h.error_log();
  EXPECT_EQ(responses[0].body, std::string(102400, 'x') + std::string(102400, 'y'));
  ASSERT_EQ(xs, 102400u);
  ASSERT_NE(first_y, Clock::time_point{});
  EXPECT_GE(first_y - last_x, 1s) << "the first part was held back until the script went on";

  // The pause: the first gap of a second or more between two records.
  std::size_t after = 0;
  for (std::size_t i = 1; i < log.records.size() && after == 0; ++i) {
    if (log.records[i].at - log.records[i - 1].at >= 1s) after = i;
  }
  ASSERT_GT(after, 0u) << "no pause seen between records";
  std::size_t bytes = 0;
  for (std::size_t i = after; i < log.records.size() && bytes < kSurelySmallBytes; ++i) {
    EXPECT_LE(log.records[i].wire, kSmallOnWire)
        << "record " << i - after << " after the pause is not small: " << sizes(log.records, after);
    bytes += log.records[i].wire;
  }
  EXPECT_GE(bytes, kSurelySmallBytes) << sizes(log.records, after);
}

}  // namespace
}  // namespace modssl::it
