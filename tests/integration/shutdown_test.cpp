// How TLS connections end: close_notify when httpd closes a connection, none for clients marked
// `ssl-unclean-shutdown`, a two-way close for `ssl-accurate-shutdown`, and `nokeepalive` from
// SetEnvIf ending the connection after one response.
#include <gtest/gtest.h>

#include <sys/socket.h>

#include <chrono>
#include <string>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "http.h"
#include "httpd.h"
#include "raw_clients.h"
#include "tls_client.h"

namespace modssl::it {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Keeps the tests' requests short: the User-Agent is what the marks below match on.
std::string request(const std::string& path, const std::string& user_agent, bool close) {
  return get_request(path, {.close = close, .user_agent = user_agent});
}

constexpr const char* kShutdownEnv = R"(
BrowserMatch "^BadClient" ssl-unclean-shutdown
SetEnvIf User-Agent "^Accurate" ssl-accurate-shutdown
SetEnvIf User-Agent "^NoKA" nokeepalive
KeepAliveTimeout 10
)";

// Every test: one TLS vhost with the marks above, and clients that verify it.
class Shutdown : public ::testing::Test {
 protected:
  void SetUp() override { configure_tls_vhost(h, {.server_lines = kShutdownEnv}); }
  TlsOptions verifying(std::chrono::milliseconds timeout = 10s) {
    return {.ca_file = h.ca_file(), .timeout = timeout};
  }
  // Reads until the server closes and returns the one response it sent; sending none or
  // several before closing is a failure.
  HttpResponse sole_response(TlsClient& c) {
    auto responses = parse_responses(c.read_to_close());
    EXPECT_EQ(responses.size(), 1u) << "responses before the server closed the connection";
    return responses.empty() ? HttpResponse{} : responses.front();
  }
  Httpd h;
};

TEST_F(Shutdown, ConnectionCloseEndsWithCloseNotify) {
  ASSERT_TRUE(h.start()) << h.startup_log();

  TlsClient c(h.port("tls"), verifying());
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_TRUE(c.write(request("/index.html", "curl/8", true)));
  const auto start = Clock::now();
  HttpResponse response = sole_response(c);
  EXPECT_LT(Clock::now() - start, 5s) << "the server did not close after Connection: close";
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.header("connection"), "close");
  EXPECT_TRUE(c.received_close_notify());
}

// HTTP/1.0 without keep-alive: the connection ends after the response, with close_notify.
TEST_F(Shutdown, Http10EndsWithCloseNotify) {
  ASSERT_TRUE(h.start()) << h.startup_log();

  TlsClient c(h.port("tls"), verifying());
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_TRUE(c.write("GET /index.html HTTP/1.0\r\nHost: localhost\r\n\r\n"));
  HttpResponse response = sole_response(c);
  EXPECT_EQ(response.status, 200);
  EXPECT_NE(response.body.find("hello from modssl tests"), std::string::npos);
  EXPECT_TRUE(c.received_close_notify());
}

// `ssl-unclean-shutdown` (here through BrowserMatch): the server closes without close_notify;
// a client without the mark on the same server still gets one.
TEST_F(Shutdown, UncleanShutdownSkipsCloseNotify) {
  ASSERT_TRUE(h.start()) << h.startup_log();

  TlsClient bad(h.port("tls"), verifying());
  ASSERT_TRUE(bad.ok()) << bad.error();
  ASSERT_TRUE(bad.write(request("/index.html", "BadClient/1.0", true)));
  const auto start = Clock::now();
  HttpResponse response = sole_response(bad);
  EXPECT_LT(Clock::now() - start, 5s) << "the connection did not end after the response";
  EXPECT_EQ(response.status, 200);
  EXPECT_NE(response.body.find("hello from modssl tests"), std::string::npos);
  EXPECT_FALSE(bad.received_close_notify()) << "close_notify sent despite ssl-unclean-shutdown";

  TlsClient good(h.port("tls"), verifying());
  ASSERT_TRUE(good.ok()) << good.error();
  ASSERT_TRUE(good.write(request("/index.html", "GoodClient/1.0", true)));
  HttpResponse good_response = sole_response(good);
  EXPECT_EQ(good_response.status, 200);
  EXPECT_TRUE(good.received_close_notify());
}

// The mark is per connection and taken from the request: a keep-alive connection whose requests
// carry it also ends without close_notify, after all its responses.
TEST_F(Shutdown, UncleanShutdownOnKeepAliveConnection) {
  ASSERT_TRUE(h.start()) << h.startup_log();

  TlsClient bad(h.port("tls"), verifying());
  ASSERT_TRUE(bad.ok()) << bad.error();
  ASSERT_TRUE(bad.write(request("/index.html", "BadClient/1.0", false) +
                        request("/index.html", "BadClient/1.0", false) +
                        request("/index.html", "BadClient/1.0", true)));
  auto responses = parse_responses(bad.read_to_close());
  ASSERT_EQ(responses.size(), 3u);
  for (const auto& r : responses) EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(bad.received_close_notify());
}

// `ssl-accurate-shutdown`: the server sends close_notify and then waits for the client's; once
// the client answers, the connection ends.
TEST_F(Shutdown, AccurateShutdownCompletesWhenClientAnswers) {
  ASSERT_TRUE(h.start()) << h.startup_log();

  TlsClient c(h.port("tls"), verifying());
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_TRUE(c.write(request("/index.html", "Accurate/1.0", true)));
  HttpResponse response = sole_response(c);
  EXPECT_EQ(response.status, 200);
  EXPECT_NE(response.body.find("hello from modssl tests"), std::string::npos);
  ASSERT_TRUE(c.received_close_notify());
  ERR_clear_error();
  EXPECT_EQ(SSL_shutdown(c.ssl()), 1);  // our close_notify; both directions are now closed
  EXPECT_TRUE(closed_by_server(c.fd(), 5s)) << "the server did not close the connection";
}

// A keep-alive client that ends the connection itself with close_notify: the server notices at
// once (it does not wait for KeepAliveTimeout) and closes its side.
TEST_F(Shutdown, ClientCloseNotifyEndsKeepAliveConnection) {
  ASSERT_TRUE(h.start()) << h.startup_log();

  TlsClient c(h.port("tls"), verifying(15s));
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_TRUE(c.write(request("/index.html", "curl/8", false)));
  const std::string got = read_until_response(c, 10s);
  ASSERT_EQ(parse_responses(got).size(), 1u) << got;
  ERR_clear_error();
  EXPECT_EQ(SSL_shutdown(c.ssl()), 0);  // sent ours, the server's not seen yet
  const auto start = Clock::now();
  EXPECT_EQ(c.read_to_close(), "");
  EXPECT_LT(Clock::now() - start, 5s) << "the server waited for KeepAliveTimeout instead";
}

// `nokeepalive` from SetEnvIf: one response with "Connection: close", then the connection ends
// (with close_notify), although the client pipelined a second request.
TEST_F(Shutdown, NoKeepAliveClosesAfterOneResponse) {
  ASSERT_TRUE(h.start()) << h.startup_log();

  TlsClient noka(h.port("tls"), verifying());
  ASSERT_TRUE(noka.ok()) << noka.error();
  ASSERT_TRUE(noka.write(request("/index.html", "NoKA/1.0", false) +
                         request("/index.html", "NoKA/1.0", false)));
  const auto start = Clock::now();
  HttpResponse response = sole_response(noka);
  EXPECT_LT(Clock::now() - start, 5s) << "the connection was kept alive";
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.header("connection"), "close");
  EXPECT_TRUE(noka.received_close_notify());

  // Without the mark, both pipelined requests are answered on the one connection.
  TlsClient ka(h.port("tls"), verifying());
  ASSERT_TRUE(ka.ok()) << ka.error();
  ASSERT_TRUE(ka.write(request("/index.html", "curl/8", false) +
                       request("/index.html", "curl/8", true)));
  auto both = parse_responses(ka.read_to_close());
  ASSERT_EQ(both.size(), 2u);
  EXPECT_NE(both[0].header("connection"), "close");
  EXPECT_EQ(both[1].header("connection"), "close");
  EXPECT_TRUE(ka.received_close_notify());
}

// A client that sends its request and then shuts down its sending side (TCP FIN, no
// close_notify) still gets the whole response, and then the connection ends.
TEST_F(Shutdown, ClientHalfCloseStillGetsResponse) {
  ASSERT_TRUE(h.start()) << h.startup_log();

  TlsClient c(h.port("tls"), verifying());
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_TRUE(c.write(request("/index.html", "curl/8", false)));
  ASSERT_EQ(shutdown(c.fd(), SHUT_WR), 0);
  const auto start = Clock::now();
  HttpResponse response = sole_response(c);
  EXPECT_LT(Clock::now() - start, 5s) << "the server waited for KeepAliveTimeout";
  EXPECT_EQ(response.status, 200);
  EXPECT_NE(response.body.find("hello from modssl tests"), std::string::npos);
  EXPECT_TRUE(c.received_close_notify());
}

// A client that completes the handshake and then says nothing is closed after `Timeout`, with
// close_notify (httpd ends the connection normally, with a 408 in the access log).
TEST_F(Shutdown, SilentClientAfterHandshakeIsClosedAfterTimeout) {
  h.set_timeout_seconds(2);
  ASSERT_TRUE(h.start()) << h.startup_log();

  TlsClient c(h.port("tls"), verifying());
  ASSERT_TRUE(c.ok()) << c.error();
  const auto start = Clock::now();
  EXPECT_EQ(c.read_to_close(), "");
  const auto waited = Clock::now() - start;
  EXPECT_GE(waited, 1500ms);
  EXPECT_LT(waited, 6s) << "Timeout 2 did not end the silent connection";
  EXPECT_TRUE(c.received_close_notify());
}

// ssl-accurate-shutdown with a client that never answers close_notify: the server waits for it
// at most `Timeout`, then closes anyway.
TEST_F(Shutdown, AccurateShutdownGivesUpAfterTimeout) {
  h.set_timeout_seconds(2);
  ASSERT_TRUE(h.start()) << h.startup_log();

  TlsClient c(h.port("tls"), verifying());
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_TRUE(c.write(request("/index.html", "Accurate/1.0", true)));
  HttpResponse response = sole_response(c);
  EXPECT_EQ(response.status, 200);
  ASSERT_TRUE(c.received_close_notify());
  const auto start = Clock::now();
  EXPECT_TRUE(closed_by_server(c.fd(), 8s)) << "the server never closed the connection";
  EXPECT_LT(Clock::now() - start, 6s);
}

// The shutdown type is settled by the first request on a connection (stock mod_ssl reads the
// ssl-*-shutdown variables only while it is unset): a marked request later on a keep-alive
// connection that began unmarked does not change it, and the connection still ends with
// close_notify.
TEST_F(Shutdown, FirstRequestSettlesShutdownType) {
  ASSERT_TRUE(h.start()) << h.startup_log();

  TlsClient c(h.port("tls"), verifying());
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_TRUE(c.write(request("/index.html", "GoodClient/1.0", false) +
                      request("/index.html", "BadClient/1.0", true)));
  auto responses = parse_responses(c.read_to_close());
  ASSERT_EQ(responses.size(), 2u);
  EXPECT_EQ(responses[1].status, 200);
  EXPECT_TRUE(c.received_close_notify())
      << "ssl-unclean-shutdown from the second request overrode the first request's decision";
}

}  // namespace
}  // namespace modssl::it
