// Handshakes that hold no worker thread (io/async_handshake.h). Under the event MPM a client
// that is slow over its handshake, stops half way, finishes the handshake and then says
// nothing, or does not read what the server sends, waits in the MPM, not in a worker; so a
// small pool full of such clients still serves everyone else at once. The stock module blocks a
// worker for each of them until Timeout, and every later client waits.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "http.h"
#include "httpd.h"
#include "paced_client.h"
#include "process.h"
#include "tls_client.h"
#include "vhost_config.h"

namespace modssl::it {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// One child with 4 workers; AsyncRequestWorkerFactor lets it hold 4 + 4 x 50 connections.
constexpr const char* kSmallPool =
    "ServerLimit 1\nStartServers 1\nThreadsPerChild 4\nMaxRequestWorkers 4\n"
    "MinSpareThreads 1\nMaxSpareThreads 4\nAsyncRequestWorkerFactor 50\n";
constexpr int kSlowClients = 30;  // far more than the 4 workers

// Normal requests, each must be answered within 3 s (it takes milliseconds when a worker is
// free; a blocked pool would keep it waiting for Timeout, 15 s).
void expect_normal_clients_served(Httpd& h, int n) {
  for (int i = 0; i < n; ++i) {
    const auto start = Clock::now();
    HttpResponse r = https_request(h.port("tls"), "/index.html", {.timeout = 10s});
    const auto took = Clock::now() - start;
    EXPECT_EQ(r.status, 200) << "normal request " << i << ": " << r.body;
    EXPECT_LT(took, 3s) << "normal request " << i << " waited for a worker";
  }
}

TEST(AsyncHandshake, StalledHandshakesHoldNoWorker) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h("event");
  configure_tls_vhost(h, {.server_lines = kSmallPool});
  ASSERT_TRUE(h.start()) << h.startup_log();
  std::vector<int> stalled;
  for (int i = 0; i < kSlowClients; ++i) {
    const int fd = stalled_handshake(h.port("tls"), 60);  // half a ClientHello, then nothing
    ASSERT_GE(fd, 0);
    stalled.push_back(fd);
  }
  std::this_thread::sleep_for(300ms);  // let the server take them all in
  expect_normal_clients_served(h, 5);
  for (int fd : stalled) close(fd);
}

TEST(AsyncHandshake, ManySlowClientsAndNormalClientsAllServed) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h("event");
  configure_tls_vhost(h, {.server_lines = kSmallPool});
  ASSERT_TRUE(h.start()) << h.startup_log();
  // 30 clients send their ClientHello in 5 pieces 300 ms apart and pause before every later
  // flight (each handshake takes ~2 s), all at once; normal clients meanwhile.
  std::atomic<int> slow_ok{0};
  std::vector<std::thread> slow;
  for (int i = 0; i < kSlowClients; ++i) {
    slow.emplace_back([&] {
      PacedResult r = paced_https_request(h.port("tls"), {.hello_pieces = 5, .pause = 300ms});
      if (r.response.status == 200) ++slow_ok;
    });
  }
  std::this_thread::sleep_for(200ms);
  expect_normal_clients_served(h, 5);
  for (auto& t : slow) t.join();
  EXPECT_EQ(slow_ok.load(), kSlowClients) << h.error_log();
}

TEST(AsyncHandshake, ClientsSilentAfterTheHandshakeHoldNoWorker) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h("event");
  configure_tls_vhost(h, {.server_lines = kSmallPool});
  ASSERT_TRUE(h.start()) << h.startup_log();
  std::vector<std::unique_ptr<TlsClient>> silent;
  for (int i = 0; i < kSlowClients; ++i) {
    auto c = std::make_unique<TlsClient>(h.port("tls"), TlsOptions{.timeout = 10s});
    ASSERT_TRUE(c->ok()) << "connection " << i << ": " << c->error();
    silent.push_back(std::move(c));  // handshake done, no request
  }
  std::this_thread::sleep_for(300ms);
  expect_normal_clients_served(h, 5);
  // Each of them is still there and is served when it finally asks.
  int ok = 0;
  for (auto& c : silent) {
    if (c->write(get_request("/index.html")) && read_response(*c, 10s).status == 200) ++ok;
  }
  EXPECT_EQ(ok, kSlowClients);
}

// A server flight larger than the socket buffers can hold (a certificate "chain" of ~60 KiB,
// SendBufferSize 4096 so that loopback's large autotuned buffers do not swallow it) to clients
// that never read: the write cannot complete, and the connection waits in the MPM for the
// socket to become writable (CONN_SENSE_WANT_WRITE), not in a worker.
TEST(AsyncHandshake, ClientsThatDoNotReadHoldNoWorker) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h("event");
  CertFiles cert = h.make_cert("localhost");
  const std::string ca_pem = read_file(h.ca_file());
  std::string chain;
  while (chain.size() < 80 * 1024) chain += ca_pem;
  h.write("certs/big-chain.pem", chain);
  h.configure(std::string(kSmallPool) + "SendBufferSize 4096\n" + tls_vhost(cert, "  SSLCertificateChainFile \"" +
                                               h.path("certs/big-chain.pem") + "\""));
  ASSERT_TRUE(h.start()) << h.startup_log();
  const std::string hello = client_hello_bytes();
  std::vector<int> deaf;
  for (int i = 0; i < 10; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    int small = 2048;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);  // before connect: the window
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(h.port("tls")));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(send(fd, hello.data(), hello.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(hello.size()));
    deaf.push_back(fd);  // and never read
  }
  std::this_thread::sleep_for(500ms);
  // Normal clients read the same big flight; they must not wait for a worker.
  for (int i = 0; i < 5; ++i) {
    const auto start = Clock::now();
    TlsClient c(h.port("tls"), {.timeout = 10s});
    ASSERT_TRUE(c.ok()) << c.error();
    ASSERT_TRUE(c.write(get_request("/index.html", {.close = true})));
    EXPECT_EQ(read_response(c, 10s).status, 200);
    EXPECT_LT(Clock::now() - start, 3s) << "normal request " << i << " waited for a worker";
  }
  for (int fd : deaf) close(fd);
}

}  // namespace
}  // namespace modssl::it
