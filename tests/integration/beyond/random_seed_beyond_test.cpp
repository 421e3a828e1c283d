// Beyond the stock module for SSLRandomSeed and SSLCryptoDevice:
// - egd:/path works although Debian's OpenSSL 3 has no RAND_egd (we speak the EGD protocol
//   ourselves); stock refuses every egd: line ("does not support the Entropy Gathering Daemon").
// - a startup exec: program that fails or prints nothing stops start-up with the program and the
//   reason; stock ignores it silently.
// - file:/dev/random gets a start-up warning pointing at /dev/urandom; stock says nothing.
// - refusals say what is allowed (stock: "source path '...' does not exist" for a mistyped
//   keyword, a bare list of engines for SSLCryptoDevice).
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "httpd.h"
#include "text_search.h"
#include "tls_client.h"
#include "vhost_config.h"

namespace modssl::it {
namespace {

using namespace std::chrono_literals;

void expect_serves(Httpd& h, int requests = 3) {
  for (int i = 0; i < requests; ++i) {
    HttpResponse r = https_request(h.port("tls"), "/");
    EXPECT_EQ(r.status, 200) << r.body;
  }
}

void expect_configtest_says(Httpd& h, const std::vector<std::string>& says) {
  ProcessResult r = h.configtest();
  ASSERT_FALSE(r.timed_out);
  EXPECT_NE(r.exit_code, 0) << r.all();
  for (const std::string& s : says) {
    EXPECT_NE(r.all().find(s), std::string::npos) << "configtest does not say '" << s << "':\n"
                                                  << r.all();
  }
}

void expect_start_refused_saying(Httpd& h, const std::vector<std::string>& says) {
  EXPECT_FALSE(h.start()) << h.startup_log();
  h.wait_for_exit(2s);
  const std::string log = h.startup_log();
  for (const std::string& s : says) {
    EXPECT_NE(log.find(s), std::string::npos) << "start-up log does not say '" << s << "':\n"
                                              << log;
  }
}

// A minimal Entropy Gathering Daemon: answers command 0x01 (non-blocking read of N bytes).
class FakeEgd {
 public:
  explicit FakeEgd(std::string path) : path_(std::move(path)) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
    ::unlink(path_.c_str());
    ok_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
          ::listen(fd_, 64) == 0 && ::chmod(path_.c_str(), 0777) == 0;
    if (ok_) thread_ = std::thread([this] { serve(); });
  }
  ~FakeEgd() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  bool ok() const { return ok_; }
  int requests() const { return requests_; }

 private:
  void serve() {
    while (!stop_) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) break;
      unsigned char req[2] = {0, 0};
      if (::recv(c, req, 2, MSG_WAITALL) == 2 && req[0] == 0x01) {
        std::vector<unsigned char> reply(1 + req[1]);
        reply[0] = req[1];
        for (std::size_t i = 1; i < reply.size(); ++i) reply[i] = static_cast<unsigned char>(i * 7);
        (void)::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
        ++requests_;
      }
      ::close(c);
    }
  }
  std::string path_;
  int fd_ = -1;
  bool ok_ = false;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

TEST(RandomSeedBeyond, EgdSocketAtStartupAndPerConnection) {
  Httpd h;
  FakeEgd egd(h.path("egd-pool"));
  ASSERT_TRUE(egd.ok());
  configure_tls_vhost(h, {.server_lines = "SSLRandomSeed startup egd:" + h.path("egd-pool") +
                                          "\n"
                                          "SSLRandomSeed connect egd:" +
                                          h.path("egd-pool") + " 32\n"});
  ASSERT_TRUE(h.start()) << h.startup_log();
  const int after_start = egd.requests();
  EXPECT_GE(after_start, 1);
  expect_serves(h, 4);
  EXPECT_GE(egd.requests(), after_start + 4);
}

TEST(RandomSeedBeyond, EgdThatIsNotASocketFailsConfigtest) {
  Httpd h;
  h.write("not-a-socket", "x");
  configure_tls_vhost(h, {.server_lines = "SSLRandomSeed startup egd:" +
                                          h.path("not-a-socket") + "\n"});
  expect_configtest_says(h, {"SSLRandomSeed", h.path("not-a-socket"), "not a socket"});
}

TEST(RandomSeedBeyond, EgdGoneAtConnectTimeDoesNotCostConnections) {
  Httpd h;
  auto egd = std::make_unique<FakeEgd>(h.path("egd-pool"));
  ASSERT_TRUE(egd->ok());
  configure_tls_vhost(h, {.server_lines = "SSLRandomSeed connect egd:" + h.path("egd-pool") +
                                          "\n"});
  ASSERT_TRUE(h.start()) << h.startup_log();
  egd.reset();  // the daemon goes away after start-up
  expect_serves(h, 3);
  EXPECT_TRUE(h.wait_for_log("connection continues", 3s)) << h.error_log();
}

TEST(RandomSeedBeyond, FailingStartupProgramStopsStartup) {
  Httpd h;
  h.write("bin/fails.sh", "#!/bin/sh\nexit 3\n", 0755);
  configure_tls_vhost(h, {.server_lines = "SSLRandomSeed startup exec:" +
                                          h.path("bin/fails.sh") + " 16\n"});
  expect_start_refused_saying(h, {"SSLRandomSeed", h.path("bin/fails.sh"), "status 3"});
}

TEST(RandomSeedBeyond, SilentStartupProgramStopsStartup) {
  Httpd h;
  h.write("bin/silent.sh", "#!/bin/sh\nexit 0\n", 0755);
  configure_tls_vhost(h, {.server_lines = "SSLRandomSeed startup exec:" +
                                          h.path("bin/silent.sh") + "\n"});
  expect_start_refused_saying(h, {"SSLRandomSeed", h.path("bin/silent.sh"), "printed nothing"});
}

TEST(RandomSeedBeyond, EndlessProgramIsCutOffOnceItGaveEnough) {
  Httpd h;
  h.write("bin/endless.sh", "#!/bin/sh\nexec cat /dev/zero\n", 0755);
  configure_tls_vhost(h, {.server_lines = "SSLRandomSeed startup exec:" +
                                          h.path("bin/endless.sh") + " 64\n"});
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(h.start()) << h.startup_log();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  expect_serves(h, 1);
}

TEST(RandomSeedBeyond, NonExecutableProgramFailsConfigtest) {
  Httpd h;
  h.write("bin/plain.txt", "not a program\n", 0644);
  configure_tls_vhost(h, {.server_lines = "SSLRandomSeed startup exec:" +
                                          h.path("bin/plain.txt") + "\n"});
  expect_configtest_says(h, {"SSLRandomSeed", h.path("bin/plain.txt"), "not an executable"});
}

TEST(RandomSeedBeyond, DevRandomIsWarnedAbout) {
  Httpd h;
  configure_tls_vhost(h, {.server_lines = "SSLRandomSeed startup file:/dev/random 16\n"
                                          "SSLRandomSeed connect file:/dev/random 16\n"});
  ASSERT_TRUE(h.start()) << h.startup_log();
  expect_serves(h, 2);
  const std::string log = h.error_log();
  EXPECT_NE(log.find("/dev/random"), std::string::npos) << log;
  EXPECT_NE(log.find("use file:/dev/urandom"), std::string::npos) << log;
}

TEST(RandomSeedBeyond, DeviceWithoutByteCountIsReadBounded) {
  // Stock reads a device named without a byte count until its end: forever for /dev/urandom.
  Httpd h;
  configure_tls_vhost(h, {.server_lines = "SSLRandomSeed startup file:/dev/urandom\n"
                                          "SSLRandomSeed connect file:/dev/urandom\n"});
  ASSERT_TRUE(h.start(10s)) << h.startup_log();
  expect_serves(h, 2);
}

TEST(RandomSeedBeyond, MistypedSourceSaysWhatIsAllowed) {
  Httpd h;
  configure_tls_vhost(h, {.server_lines = "SSLRandomSeed startup bulitin\n"});
  expect_configtest_says(h, {"SSLRandomSeed: invalid source", "bulitin",
                             "allowed: builtin, file:/path [bytes], exec:/path [bytes]"});
}

TEST(RandomSeedBeyond, BadByteCountSaysTheRange) {
  Httpd h;
  configure_tls_vhost(h, {.server_lines = "SSLRandomSeed startup file:/dev/urandom 512k\n"});
  expect_configtest_says(h, {"SSLRandomSeed", "'512k'", "1 to 1048576"});
}

TEST(CryptoDeviceBeyond, UnknownEngineSaysWhatIsAllowed) {
  Httpd h;
  configure_tls_vhost(h, {.server_lines = "SSLCryptoDevice nosuchengine\n"});
  expect_configtest_says(h, {"SSLCryptoDevice: invalid value 'nosuchengine'",
                             "no engine of that name", "allowed: 'builtin'"});
}

}  // namespace
}  // namespace modssl::it
