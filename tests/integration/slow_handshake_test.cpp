// Clients that are slow over their handshake, as on a lossy mobile link: the ClientHello in
// pieces with pauses between them, every later flight late. They are served under every MPM,
// over TLS 1.3 and 1.2, and a client that stops half way through is closed after `Timeout`.
// (That the event MPM holds no thread for them meanwhile is ours alone:
// beyond/async_handshake_test.cpp.)
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <string>
#include <tuple>

#include <openssl/ssl.h>

#include "httpd.h"
#include "paced_client.h"
#include "raw_clients.h"
#include "vhost_config.h"

namespace modssl::it {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

class SlowHandshake : public ::testing::TestWithParam<std::tuple<std::string, int>> {};

TEST_P(SlowHandshake, ClientHelloInPiecesWithPausesIsServed) {
  const auto& [mpm, version] = GetParam();
  Httpd h(mpm);
  configure_tls_vhost(h);
  ASSERT_TRUE(h.start()) << h.startup_log();
  PacedResult r = paced_https_request(h.port("tls"), {.min_version = version,
                                                       .max_version = version,
                                                       .hello_pieces = 5,
                                                       .pause = 150ms});
  EXPECT_EQ(r.response.status, 200) << r.error << "\n" << h.error_log();
  EXPECT_NE(r.response.body.find("hello from modssl tests"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    Mpm, SlowHandshake,
    ::testing::Combine(::testing::Values("event", "worker", "prefork"),
                       ::testing::Values(TLS1_3_VERSION, TLS1_2_VERSION)),
    [](const auto& info) {
      return std::get<0>(info.param) +
             (std::get<1>(info.param) == TLS1_3_VERSION ? "_tls13" : "_tls12");
    });

// The same with mod_reqtimeout loaded as Debian ships it (reqtimeout.conf's limits; its
// handshake stage off, as by default): its header stage must not cut off a slow handshake,
// and the request that follows is served.
TEST(SlowHandshakeReqtimeout, ClientHelloInPiecesWithDebiansReqtimeout) {
  Httpd h;
  h.load_module("reqtimeout");
  configure_tls_vhost(h, {.server_lines = "RequestReadTimeout header=20-40,MinRate=500 "
                                          "body=20,MinRate=500\n"});
  ASSERT_TRUE(h.start()) << h.startup_log();
  PacedResult r = paced_https_request(h.port("tls"), {.hello_pieces = 5, .pause = 150ms});
  EXPECT_EQ(r.response.status, 200) << r.error << "\n" << h.error_log();
}

// Half a ClientHello, then silence: the server gives up after Timeout (2 s here), not before
// and not much later.
TEST(SlowHandshakeTimeout, StalledHandshakeIsClosedAfterTimeout) {
  Httpd h;
  h.set_timeout_seconds(2);
  configure_tls_vhost(h);
  ASSERT_TRUE(h.start()) << h.startup_log();
  const int fd = stalled_handshake(h.port("tls"), 60);
  ASSERT_GE(fd, 0);
  const auto start = Clock::now();
  EXPECT_TRUE(closed_by_server(fd, 20s)) << "the stalled handshake was never closed";
  const auto waited = Clock::now() - start;
  EXPECT_GE(waited, 1500ms) << "closed before Timeout";
  EXPECT_LT(waited, 8s) << "kept far beyond Timeout";
  close(fd);
}

}  // namespace
}  // namespace modssl::it
