// Many requests and many connections through the TLS filters: pipelining, 200 concurrent
// keep-alive connections under each MPM, hostile clients next to normal ones, a graceful restart
// under load, keep-alive connections that idle between requests (the event MPM parks them),
// long request lines, clients that abort downloads, and stalled clients that must cost no CPU.
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <barrier>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <openssl/ssl.h>

#include "data.h"
#include "http.h"
#include "paced_client.h"
#include "httpd.h"
#include "raw_clients.h"
#include "tls_client.h"

namespace modssl::it {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Small distinct documents: /d/<i>.txt holds "doc <i>\n".
void write_docs(Httpd& h, int n) {
  for (int i = 0; i < n; ++i) {
    h.write("htdocs/d/" + std::to_string(i) + ".txt", "doc " + std::to_string(i) + "\n");
  }
}

// 100 requests in one write on one connection, over TLS 1.3 and TLS 1.2: every 10th asks for a
// 300 KiB file (file buckets between small responses), a few are preceded by a blank line
// (which httpd skips), two are POSTs with bodies; all 100 responses come back complete and in
// order.
TEST(Connections, HundredPipelinedRequestsInOneWrite) {
  Httpd h;
  configure_tls_vhost(h, {.server_lines = "MaxKeepAliveRequests 500\n"});
  write_docs(h, 100);
  std::vector<std::string> big;
  for (int k = 0; k < 10; ++k) {
    big.push_back(random_bytes(300 * 1024, 0x5eed0100 + k));
    h.write("htdocs/big/" + std::to_string(k) + ".bin", big.back());
  }
  ASSERT_TRUE(h.start()) << h.startup_log();

  for (int version : {TLS1_3_VERSION, TLS1_2_VERSION}) {
    SCOPED_TRACE(version == TLS1_3_VERSION ? "TLS 1.3" : "TLS 1.2");
    TlsClient c(h.port("tls"),
                {.min_version = version, .max_version = version, .ca_file = h.ca_file()});
    ASSERT_TRUE(c.ok()) << c.error();
    std::string requests;
    for (int i = 0; i < 100; ++i) {
      if (i % 33 == 5) requests += "\r\n";
      const std::string path = i % 10 == 9 ? "/big/" + std::to_string(i / 10) + ".bin"
                                           : "/d/" + std::to_string(i) + ".txt";
      if (i == 50) {  // a request body (discarded by the default handler) in the pipeline
        requests += "POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000"
                    "\r\n\r\n" + std::string(100000, 'p');
      } else if (i == 60) {  // and a chunked one
        requests += "POST " + path + " HTTP/1.1\r\nHost: localhost\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n4000\r\n" +
                    std::string(0x4000, 'c') + "\r\n0\r\n\r\n";
      } else {
        requests += get_request(path, {.close = i == 99});
      }
    }
    ASSERT_TRUE(c.write(requests));  // one SSL_write: the server reads many requests per record
    auto responses = parse_responses(c.read_to_close());
    ASSERT_EQ(responses.size(), 100u) << h.error_log();
    for (int i = 0; i < 100; ++i) {
      EXPECT_EQ(responses[i].status, 200) << i;
      if (i % 10 == 9) {
        EXPECT_TRUE(responses[i].body == big[i / 10]) << "response " << i << " differs";
      } else {
        EXPECT_EQ(responses[i].body, "doc " + std::to_string(i) + "\n") << "response " << i;
      }
    }
    EXPECT_TRUE(c.received_close_notify());
  }
}

// 200 connections open at once (a barrier after every handshake and after every round), each
// doing 3 requests on its own keep-alive connection.
//
// Under the event MPM a child may close connections that idle in keep-alive when all its
// workers are busy (httpd's documented behaviour, see AsyncRequestWorkerFactor), and a client
// then retries the request on a new connection (RFC 9112, 9.3.1: a connection closed before
// any byte of the response, request idempotent). The test does the same, once per request;
// every document must still arrive intact. How many retries were needed is printed.
class KeepAlive : public ::testing::TestWithParam<std::string> {};

TEST_P(KeepAlive, TwoHundredConcurrentConnections) {
  constexpr int kConns = 200, kRounds = 3;
  const std::string mpm = GetParam();
  Httpd h(mpm);
  // Enough workers from the start that 200 connections waiting between requests all hold one
  // (prefork: a process each; the preamble's 64 is too few).
  std::string sizing = mpm == "prefork"
      ? "ServerLimit 256\nMaxRequestWorkers 256\nStartServers 210\nMinSpareServers 5\n"
        "MaxSpareServers 256\n"
      : "StartServers 8\nMinSpareThreads 16\nMaxSpareThreads 256\n";
  configure_tls_vhost(h,
                      {.server_lines = sizing + "KeepAliveTimeout 30\nMaxKeepAliveRequests 100\n"});
  write_docs(h, kRounds * kConns);
  ASSERT_TRUE(h.start(30s)) << h.startup_log();

  std::barrier sync(kConns);
  std::atomic<int> ok{0};
  std::atomic<int> retries{0};
  std::mutex mu;
  std::vector<std::string> failures;
  auto fail = [&](const std::string& why) {
    std::lock_guard lock(mu);
    if (failures.size() < 10) failures.push_back(why);
  };
  auto connect = [&] { return std::make_unique<TlsClient>(h.port("tls"), TlsOptions{.timeout = 30s}); };
  std::vector<std::thread> threads;
  for (int t = 0; t < kConns; ++t) {
    threads.emplace_back([&, t] {
      auto c = connect();
      if (!c->ok()) fail("connection " + std::to_string(t) + ": " + c->error());
      sync.arrive_and_wait();
      for (int round = 0; round < kRounds; ++round) {
        const int doc = round * kConns + t;
        const std::string path = "/d/" + std::to_string(doc) + ".txt";
        bool reused = round > 0;
        for (int attempt = 0; attempt < 2 && c->ok(); ++attempt) {
          HttpResponse r;
          if (c->write(get_request(path))) r = read_response(*c, 30s);
          if (r.status == 200 && r.body == "doc " + std::to_string(doc) + "\n") {
            ++ok;
            break;
          }
          const bool closed_before_response = r.status == 0 && r.body == "incomplete response: ";
          if (attempt == 0 && reused && closed_before_response) {
            ++retries;
            c = connect();
            reused = false;
            continue;
          }
          fail(path + ": " + std::to_string(r.status) + " " + r.body);
          break;
        }
        sync.arrive_and_wait();
      }
    });
  }
  for (auto& th : threads) th.join();
  std::string why;
  for (const auto& f : failures) why += f + "\n";
  EXPECT_EQ(ok.load(), kConns * kRounds) << why << h.error_log();
  std::printf("%d of %d requests were retried on a new connection after the server closed an "
              "idle keep-alive connection\n", retries.load(), kConns * kRounds);
}

INSTANTIATE_TEST_SUITE_P(Mpm, KeepAlive, ::testing::Values("event", "worker", "prefork"),
                         [](const auto& info) { return info.param; });

// 20 hostile or broken clients, started in between 4 normal clients making 10 requests each:
// binary garbage, a TLS record header with nonsense, half a ClientHello then a close, half a
// ClientHello then a stall, connect-and-close. Every normal request must succeed, and the
// server must drop the clients that sent invalid data.
TEST(Connections, GarbageAndAbortedHandshakesHarmNoOne) {
  Httpd h;
  configure_tls_vhost(h);
  ASSERT_TRUE(h.start()) << h.startup_log();
  const int port = h.port("tls");
  const std::string hello = client_hello_bytes();
  ASSERT_GT(hello.size(), 100u);

  std::atomic<int> ok{0};
  std::atomic<int> bad_done{0};
  std::mutex mu;
  std::vector<std::string> failures;
  auto fail = [&](const std::string& why) {
    std::lock_guard lock(mu);
    failures.push_back(why);
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        HttpResponse r = https_request(port, "/index.html", {.ca_file = h.ca_file()});
        if (r.status == 200 && r.body.find("hello from modssl tests") != std::string::npos) {
          ++ok;
        } else {
          fail("normal client: " + std::to_string(r.status) + " " + r.body);
        }
        std::this_thread::sleep_for(20ms);
      }
    });
  }
  for (int b = 0; b < 20; ++b) {
    threads.emplace_back([&, b] {
      std::this_thread::sleep_for(std::chrono::milliseconds(15 * b));  // spread over the run
      int fd = tcp_connect(port, 5s);
      if (fd < 0) {
        fail("bad client " + std::to_string(b) + ": connect failed");
        return;
      }
      std::string junk;
      bool expect_close = false;  // the server must drop clients that sent something invalid
      switch (b % 5) {
        case 0:  // binary garbage (not an HTTP method either)
          for (int i = 0; i < 600; ++i) junk += static_cast<char>((i * 37 + b) % 31);
          expect_close = true;
          break;
        case 1:  // a handshake record header with an absurd length, then junk
          junk = std::string("\x16\x03\x01\xff\xff", 5) + std::string(200, '\x01');
          expect_close = true;
          break;
        case 2:  // half a ClientHello, then the client goes away
        case 3:  // half a ClientHello, then the client stalls for a while before going away
          junk = hello.substr(0, hello.size() / 2);
          break;
        default:  // connect and close at once
          break;
      }
      if (!junk.empty()) (void)!send(fd, junk.data(), junk.size(), MSG_NOSIGNAL);
      if (expect_close) {
        if (closed_by_server(fd, 10s)) {
          ++bad_done;
        } else {
          fail("bad client " + std::to_string(b) + ": the server kept the connection open");
        }
      } else {
        if (b % 5 == 3) std::this_thread::sleep_for(700ms);
        ++bad_done;
      }
      close(fd);
    });
  }
  for (auto& th : threads) th.join();
  std::string why;
  for (const auto& f : failures) why += f + "\n";
  EXPECT_EQ(ok.load(), 40) << why;
  EXPECT_EQ(bad_done.load(), 20) << why;
  // And the server still serves afterwards.
  HttpResponse after = https_request(port, "/index.html", {.ca_file = h.ca_file()});
  EXPECT_EQ(after.status, 200) << after.body;
  EXPECT_TRUE(h.running());
}

// 4 client threads make new-connection requests for ~3 s; a graceful restart happens in the
// middle. httpd keeps its listeners across graceful, so not one request may fail.
TEST(Connections, GracefulRestartUnderLoadLosesNoRequest) {
  Httpd h;
  configure_tls_vhost(h);
  write_docs(h, 1);
  const std::string big = random_bytes(16u << 20, 0x5eed0003);
  h.write("htdocs/big.bin", big);
  ASSERT_TRUE(h.start()) << h.startup_log();
  const int port = h.port("tls");

  // A download in flight across the restart: started before it, read slowly, finished after.
  TlsClient slow(port, {.ca_file = h.ca_file()});
  ASSERT_TRUE(slow.ok()) << slow.error();
  ASSERT_TRUE(slow.write(get_request("/big.bin", {.close = true})));
  std::string slow_got = slow.read_some();

  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::mutex mu;
  std::vector<std::string> failures;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      while (!stop) {
        HttpResponse r = https_request(port, "/d/0.txt", {.ca_file = h.ca_file(), .timeout = 10s});
        if (r.status == 200 && r.body == "doc 0\n") {
          ++ok;
        } else {
          ++failed;
          std::lock_guard lock(mu);
          if (failures.size() < 10) failures.push_back(std::to_string(r.status) + " " + r.body);
        }
      }
    });
  }
  std::this_thread::sleep_for(1s);
  const int before = ok.load();
  const bool restarted = h.graceful();
  const int during = ok.load();
  std::this_thread::sleep_for(1500ms);
  stop = true;
  for (auto& th : threads) th.join();
  EXPECT_TRUE(restarted) << h.error_log();
  slow_got += slow.read_to_close();
  auto slow_responses = parse_responses(slow_got);
  ASSERT_EQ(slow_responses.size(), 1u) << "the in-flight download broke off at "
                                       << slow_got.size() << " bytes";
  EXPECT_EQ(slow_responses[0].body.size(), big.size());
  EXPECT_TRUE(slow_responses[0].body == big) << "the in-flight download's bytes differ";
  std::string why;
  for (const auto& f : failures) why += f + "\n";
  EXPECT_EQ(failed.load(), 0) << why << h.error_log();
  EXPECT_GT(before, 10) << "too little load before the restart to mean anything";
  EXPECT_GT(ok.load(), during + 10) << "no requests served after the restart";
  EXPECT_TRUE(h.running());
}

// Pauses between requests on one connection: with the event MPM the connection is parked in
// the keep-alive queue between requests and must come back to a worker with its TLS state.
TEST(Connections, KeepAliveSurvivesPausesBetweenRequests) {
  Httpd h;
  configure_tls_vhost(h, {.server_lines = "KeepAliveTimeout 5\n"});
  write_docs(h, 5);
  ASSERT_TRUE(h.start()) << h.startup_log();

  TlsClient c(h.port("tls"), {.ca_file = h.ca_file()});
  ASSERT_TRUE(c.ok()) << c.error();
  for (int i = 0; i < 5; ++i) {
    if (i > 0) std::this_thread::sleep_for(500ms);
    const std::string path = "/d/" + std::to_string(i) + ".txt";
    ASSERT_TRUE(c.write(get_request(path, {.close = i == 4}))) << path;
    HttpResponse r = read_response(c);
    EXPECT_EQ(r.status, 200) << path << " " << r.body << h.error_log();
    EXPECT_EQ(r.body, "doc " + std::to_string(i) + "\n");
  }
  c.read_to_close();
  EXPECT_TRUE(c.received_close_notify());
}

// The event MPM parks idle keep-alive connections without a worker thread: with 4 workers, 40
// idle TLS keep-alive connections leave room for a new client, and all 40 can go on afterwards.
TEST(Connections, IdleKeepAliveConnectionsHoldNoWorker) {
  Httpd h;
  configure_tls_vhost(h, {.server_lines = "ServerLimit 1\nStartServers 1\nThreadsPerChild 4\n"
                                          "MaxRequestWorkers 4\nMinSpareThreads 1\n"
                                          "MaxSpareThreads 4\nAsyncRequestWorkerFactor 25\n"
                                          "KeepAliveTimeout 30\n"});
  write_docs(h, 2);
  ASSERT_TRUE(h.start()) << h.startup_log();

  constexpr int kIdle = 40;
  std::vector<std::unique_ptr<TlsClient>> idle;
  for (int i = 0; i < kIdle; ++i) {
    auto c = std::make_unique<TlsClient>(h.port("tls"), TlsOptions{.timeout = 10s});
    ASSERT_TRUE(c->ok()) << "connection " << i << ": " << c->error();
    ASSERT_TRUE(c->write(get_request("/d/0.txt")));
    HttpResponse r = read_response(*c, 10s);
    ASSERT_EQ(r.status, 200) << "connection " << i << ": " << r.body;
    idle.push_back(std::move(c));
  }
  // All 40 now sit in keep-alive. A new client is served at once.
  const auto start = Clock::now();
  HttpResponse fresh = https_request(h.port("tls"), "/d/1.txt", {.timeout = 10s});
  EXPECT_EQ(fresh.status, 200) << fresh.body;
  EXPECT_LT(Clock::now() - start, 3s) << "the idle keep-alive connections held the workers";
  // And every parked connection wakes up for its next request.
  int ok = 0;
  for (auto& c : idle) {
    if (c->write(get_request("/d/1.txt")) && read_response(*c, 10s).body == "doc 1\n") ++ok;
  }
  EXPECT_EQ(ok, kIdle);
}

// Request lines and header fields near and over httpd's 8190-byte limits: the TLS input filter
// hands long lines up intact, and the protocol layer answers 414 / 400 for the overlong ones.
TEST(Connections, LongRequestLinesAndHeaderFields) {
  Httpd h;
  configure_tls_vhost(h);
  ASSERT_TRUE(h.start()) << h.startup_log();
  const int port = h.port("tls");

  auto send = [&](const std::string& raw) {
    TlsClient c(port, {.ca_file = h.ca_file(), .timeout = 10s});
    if (!c.ok() || !c.write(raw)) return -1;
    auto responses = parse_responses(c.read_to_close());
    return responses.empty() ? 0 : responses[0].status;
  };
  const std::string q7000(7000, 'q'), q9000(9000, 'q');
  EXPECT_EQ(send("GET /index.html?" + q7000 + " HTTP/1.1\r\nHost: localhost\r\n"
                 "Connection: close\r\n\r\n"), 200);
  EXPECT_EQ(send("GET /index.html?" + q9000 + " HTTP/1.1\r\nHost: localhost\r\n"
                 "Connection: close\r\n\r\n"), 414);
  EXPECT_EQ(send("GET /index.html HTTP/1.1\r\nHost: localhost\r\nX-Long: " + q7000 +
                 "\r\nConnection: close\r\n\r\n"), 200);
  EXPECT_EQ(send("GET /index.html HTTP/1.1\r\nHost: localhost\r\nX-Long: " + q9000 +
                 "\r\nConnection: close\r\n\r\n"), 400);
  // 60 header fields of 4000 bytes each: 240 KB of headers over many TLS records, each field
  // under LimitRequestFieldSize and their number under LimitRequestFields (100).
  std::string many = "GET /index.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n";
  for (int i = 0; i < 60; ++i) many += "X-F" + std::to_string(i) + ": " + std::string(4000, 'f') + "\r\n";
  EXPECT_EQ(send(many + "\r\n"), 200);
}

// No busy-waiting: with connections stalled in every phase (half a ClientHello, half a request
// line, half a request body, a download the client does not read, an idle keep-alive) the server
// uses next to no CPU.
class Stalled : public ::testing::TestWithParam<std::string> {};

TEST_P(Stalled, StalledClientsCostNoCpu) {
  Httpd h(GetParam());
  configure_tls_vhost(h, {.server_lines = "KeepAliveTimeout 30\n"});
  h.write("htdocs/big.bin", random_bytes(16u << 20, 0x5eed0200));
  ASSERT_TRUE(h.start()) << h.startup_log();
  const int port = h.port("tls");

  int half_hello = tcp_connect(port, 10s);
  ASSERT_GE(half_hello, 0);
  const std::string hello = client_hello_bytes();
  ASSERT_GT(send(half_hello, hello.data(), hello.size() / 2, MSG_NOSIGNAL), 0);

  TlsClient half_line(port, {.timeout = 10s});
  ASSERT_TRUE(half_line.ok()) << half_line.error();
  ASSERT_TRUE(half_line.write("GET /index.html HTTP/1.1\r\nHost: loc"));

  TlsClient half_body(port, {.timeout = 10s});
  ASSERT_TRUE(half_body.ok()) << half_body.error();
  ASSERT_TRUE(half_body.write("POST /index.html HTTP/1.1\r\nHost: localhost\r\n"
                              "Content-Length: 100000\r\n\r\n0123456789"));

  TlsClient not_reading(port, {.timeout = 10s});
  ASSERT_TRUE(not_reading.ok()) << not_reading.error();
  ASSERT_TRUE(not_reading.write(get_request("/big.bin")));

  TlsClient keep_alive(port, {.timeout = 10s});
  ASSERT_TRUE(keep_alive.ok()) << keep_alive.error();
  ASSERT_TRUE(keep_alive.write(get_request("/index.html")));
  ASSERT_EQ(read_response(keep_alive).status, 200);

  std::this_thread::sleep_for(500ms);  // let the download fill the socket buffers and stall
  const long before = h.cpu_ticks();
  std::this_thread::sleep_for(2s);
  const long after = h.cpu_ticks();
  ASSERT_GE(before, 0);
  const long hz = sysconf(_SC_CLK_TCK);
  EXPECT_LT(after - before, hz / 4) << "the server used " << (after - before) << " of " << 2 * hz
                                    << " clock ticks in 2 s with only stalled clients";
  close(half_hello);
  // The keep-alive connection still works after all that.
  ASSERT_TRUE(keep_alive.write(get_request("/index.html")));
  EXPECT_EQ(read_response(keep_alive).status, 200);
}

INSTANTIATE_TEST_SUITE_P(Mpm, Stalled, ::testing::Values("event", "worker", "prefork"),
                         [](const auto& info) { return info.param; });

// Clients that reset the connection in the middle of a 16 MiB download: the server notices the
// failed write at once and frees the worker. With only 2 workers, a normal request after each of
// 6 aborted downloads is served within seconds (not after Timeout).
TEST(Connections, ClientAbortMidDownloadFreesTheWorker) {
  Httpd h;
  configure_tls_vhost(h, {.server_lines = "ServerLimit 1\nStartServers 1\nThreadsPerChild 2\n"
                                          "MaxRequestWorkers 2\nMinSpareThreads 1\n"
                                          "MaxSpareThreads 2\n"});
  h.set_timeout_seconds(30);
  h.write("htdocs/big.bin", random_bytes(16u << 20, 0x5eed0300));
  ASSERT_TRUE(h.start()) << h.startup_log();
  const int port = h.port("tls");

  for (int i = 0; i < 6; ++i) {
    {
      TlsClient c(port, {.timeout = 10s});
      ASSERT_TRUE(c.ok()) << c.error();
      ASSERT_TRUE(c.write(get_request("/big.bin")));
      std::size_t got = 0;
      while (got < (1u << 20)) {
        std::string part = c.read_some();
        ASSERT_FALSE(part.empty()) << "download " << i << " stopped at " << got;
        got += part.size();
      }
      linger hard{1, 0};  // close with RST
      setsockopt(c.fd(), SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    }
    const auto start = Clock::now();
    HttpResponse r = https_request(port, "/index.html", {.timeout = 8s});
    EXPECT_EQ(r.status, 200) << "after abort " << i << ": " << r.body;
    EXPECT_LT(Clock::now() - start, 5s) << "after abort " << i;
  }
  EXPECT_TRUE(h.running());
}

// An idle keep-alive connection is closed by the server once KeepAliveTimeout passes.
TEST(Connections, IdleKeepAliveConnectionIsClosedAfterTimeout) {
  Httpd h;
  configure_tls_vhost(h, {.server_lines = "KeepAliveTimeout 1\n"});
  ASSERT_TRUE(h.start()) << h.startup_log();

  TlsClient c(h.port("tls"), {.ca_file = h.ca_file(), .timeout = 10s});
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_TRUE(c.write(get_request("/index.html")));
  HttpResponse r = read_response(c);
  EXPECT_EQ(r.status, 200) << r.body;
  const auto start = Clock::now();
  std::string rest = c.read_to_close();
  const auto waited = Clock::now() - start;
  EXPECT_EQ(rest, "");
  EXPECT_GE(waited, 700ms);
  EXPECT_LT(waited, 8s) << "the idle connection was not closed after KeepAliveTimeout";
  EXPECT_TRUE(c.received_close_notify());
}

}  // namespace
}  // namespace modssl::it
