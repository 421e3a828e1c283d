// SSLPassPhraseDialog builtin on a terminal: apache2 runs under a pseudo-terminal the test opens
// (as an administrator's shell would be), prompts there, reads the pass phrase typed and starts;
// the pass phrase is asked for once although httpd runs its configuration twice at start-up.
// Only what the stock module does too is asserted ("Enter pass phrase" in the prompt).
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "http.h"
#include "httpd.h"
#include "tls_client.h"

namespace modssl::it {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kPhrase = "tty pass phrase";

// apache2 -DFOREGROUND on the generated config, with a pseudo-terminal as its controlling
// terminal and stdin/stdout/stderr.
class TtyServer {
 public:
  explicit TtyServer(Httpd& h) {
    ProcessResult t = h.configtest();  // writes conf/httpd.conf
    EXPECT_EQ(t.exit_code, 0) << t.all();
    const std::string conf = h.path("conf/httpd.conf");
    const auto env = h.process_environment();
    pid_ = forkpty(&master_, nullptr, nullptr, nullptr);
    if (pid_ == 0) {
      for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
      execl("/usr/sbin/apache2", "apache2", "-f", conf.c_str(), "-DFOREGROUND",
            static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~TtyServer() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      for (int i = 0; i < 200; ++i) {
        if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
          pid_ = -1;
          break;
        }
        std::this_thread::sleep_for(25ms);
      }
      if (pid_ > 0) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
      }
    }
    if (master_ >= 0) close(master_);
  }
  bool started() const { return pid_ > 0 && master_ >= 0; }

  // Reads terminal output until it contains `needle` `count` times (true) or `timeout` passes.
  bool wait_for(const std::string& needle, std::chrono::milliseconds timeout, int count = 1) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      if (occurrences(needle) >= count) return true;
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return false;
      pollfd p{master_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[512];
      ssize_t n = read(master_, buf, sizeof buf);
      if (n <= 0) return occurrences(needle) >= count;  // the server went away
      output_.append(buf, static_cast<std::size_t>(n));
    }
  }
  // Types a line once the terminal's echo is off (a person reads the prompt first; stock mod_ssl
  // writes the prompt a moment before it turns echo off, so typing at once would race it). If
  // echo never goes off, the line is typed after 3 s anyway and shows in the output.
  void type(const std::string& line) {
    const auto deadline = Clock::now() + std::chrono::seconds(3);
    termios t{};
    while (tcgetattr(master_, &t) == 0 && (t.c_lflag & ECHO) && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    const std::string s = line + "\r";
    (void)!write(master_, s.data(), s.size());
  }
  int occurrences(const std::string& needle) const {
    int n = 0;
    for (std::size_t at = output_.find(needle); at != std::string::npos;
         at = output_.find(needle, at + needle.size()))
      ++n;
    return n;
  }
  const std::string& output() const { return output_; }

 private:
  pid_t pid_ = -1;
  int master_ = -1;
  std::string output_;
};

std::string encrypted_key(Httpd& h, const CertFiles& cert) {
  const std::string out = cert.key + ".enc";
  ProcessResult r = run({"openssl", "rsa", "-in", cert.key, "-out", out, "-aes256",
                         "-traditional", "-passout", std::string("pass:") + kPhrase});
  EXPECT_EQ(r.exit_code, 0) << r.all();
  (void)h;
  return out;
}

void configure(Httpd& h, const CertFiles& cert, const std::string& key) {
  h.configure("SSLPassPhraseDialog builtin\n" + listen_https("tls") +
              tls_virtual_host("tls", "  ServerName localhost\n" +
                                          certificate_lines({cert.cert, key})));
}

TEST(PassphraseTerminal, AsksOnceOnTheTerminalAndStarts) {
  Httpd h;
  CertFiles cert = h.make_cert("tty", {.key_type = testing::KeyType::Rsa2048});
  configure(h, cert, encrypted_key(h, cert));
  TtyServer server(h);
  ASSERT_TRUE(server.started());
  ASSERT_TRUE(server.wait_for("Enter pass phrase", 20s)) << server.output();
  server.type(kPhrase);
  ASSERT_TRUE(h.wait_for_log("resuming normal operations", 20s))
      << server.output() << "\n" << h.error_log();
  EXPECT_EQ(https_request(h.port("tls"), "/").status, 200);
  // Nothing more was asked (the second configuration pass reused the pass phrase).
  server.wait_for("Enter pass phrase", 1s, 2);
  EXPECT_EQ(server.occurrences("Enter pass phrase"), 1) << server.output();
  EXPECT_EQ(server.output().find(kPhrase), std::string::npos)
      << "the pass phrase was echoed:\n" << server.output();
}

TEST(PassphraseTerminal, WrongPassPhraseIsAskedAgain) {
  Httpd h;
  CertFiles cert = h.make_cert("tty", {.key_type = testing::KeyType::Rsa2048});
  configure(h, cert, encrypted_key(h, cert));
  TtyServer server(h);
  ASSERT_TRUE(server.started());
  ASSERT_TRUE(server.wait_for("Enter pass phrase", 20s)) << server.output();
  server.type("wrong");
  ASSERT_TRUE(server.wait_for("Enter pass phrase", 20s, 2)) << server.output();
  server.type(kPhrase);
  ASSERT_TRUE(h.wait_for_log("resuming normal operations", 20s))
      << server.output() << "\n" << h.error_log();
  EXPECT_EQ(https_request(h.port("tls"), "/").status, 200);
}

}  // namespace
}  // namespace modssl::it
