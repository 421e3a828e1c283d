// Beyond the stock module: SSLPassPhraseDialog failures say in one line which program, vhost and
// key file are at fault and why (exit status, signal, no output, wrong pass phrase, no
// terminal); exec: programs get the certificate's real key type ("ECC" for an ECDSA key where
// stock passes "RSA" for a vhost's first certificate); a pass phrase given for one key is tried
// on the next before asking; a key file changed before a graceful restart is asked for again.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "http.h"
#include "httpd.h"
#include "tls_client.h"

namespace modssl::it {
namespace {

using namespace std::chrono_literals;

constexpr const char* kPhrase = "beyond pass phrase";

std::string encrypt_key(const std::string& key, bool rsa, const std::string& out_name = "",
                        const std::string& phrase = kPhrase) {
  const std::string out = out_name.empty() ? key + ".enc" : out_name;
  std::vector<std::string> argv{"openssl", rsa ? "rsa" : "ec", "-in", key, "-out", out,
                                "-aes256", "-passout", "pass:" + phrase};
  if (rsa) argv.push_back("-traditional");
  ProcessResult r = run(argv);
  EXPECT_EQ(r.exit_code, 0) << r.all();
  return out;
}

std::string script(Httpd& h, const std::string& name, const std::string& body) {
  h.write("runs/.keep", "", 0666);
  return h.write("bin/" + name, "#!/bin/sh\necho \"$1 $2\" >> " + h.path("runs/" + name) +
                                    "\n" + body + "\n", 0755);
}

void configure(Httpd& h, const std::string& dialog, const std::vector<CertFiles>& certs) {
  std::string lines = "  ServerName localhost\n";
  for (const CertFiles& c : certs) lines += certificate_lines(c);
  h.configure("SSLPassPhraseDialog " + dialog + "\n" + listen_https("tls") +
              tls_virtual_host("tls", lines));
}

// The server does not come up, and one line of what it said holds all of `needles`.
void expect_refused_saying(Httpd& h, const std::vector<std::string>& needles) {
  EXPECT_FALSE(h.start(30s)) << h.startup_log();
  h.wait_for_exit(5s);
  const std::string log = h.startup_log();
  bool found = false;
  std::size_t at = 0;
  while (at < log.size() && !found) {
    std::size_t end = log.find('\n', at);
    if (end == std::string::npos) end = log.size();
    const std::string line = log.substr(at, end - at);
    found = true;
    for (const std::string& n : needles) found = found && line.find(n) != std::string::npos;
    at = end + 1;
  }
  EXPECT_TRUE(found) << "no line of the start-up log holds all expected words:\n" << log;
}

class ExecFailure : public ::testing::TestWithParam<std::pair<std::string, std::string>> {};

TEST_P(ExecFailure, NamesProgramVhostKeyAndReason) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h;
  CertFiles cert = h.make_cert("enc", {.key_type = testing::KeyType::Rsa2048});
  const std::string key = encrypt_key(cert.key, true);
  const std::string program = script(h, "ask", GetParam().first);
  configure(h, "exec:" + program, {{cert.cert, key}});
  expect_refused_saying(h, {"SSLPassPhraseDialog exec:" + program, "localhost:", key,
                            GetParam().second});
}

// The crash is SIGKILL, not SIGSEGV: in the sanitizer build the programs inherit the ASan
// preload, and ASan turns a SIGSEGV into a report and exit status 1.
INSTANTIATE_TEST_SUITE_P(
    Programs, ExecFailure,
    ::testing::Values(std::make_pair("echo 'wrong'", "does not decrypt"),
                      std::make_pair("exit 3", "exited with status 3"),
                      std::make_pair("true", "printed no pass phrase"),
                      std::make_pair("kill -KILL $$", "killed by signal 9")));

TEST(PassphraseBeyond, ExecGetsVhostAndRealKeyType) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h;
  CertFiles cert = h.make_cert("ec");
  const std::string program = script(h, "ask", std::string("echo '") + kPhrase + "'");
  configure(h, "exec:" + program, {{cert.cert, encrypt_key(cert.key, false)}});
  ASSERT_TRUE(h.start()) << h.startup_log();
  // As stock: ServerName and its port, 443 when it names none (not the Listen port).
  EXPECT_EQ(read_file(h.path("runs/ask")), "localhost:443 ECC\n");
}

TEST(PassphraseBeyond, NoTerminalSaysWhatToDo) {
  MODSSL_SKIP_UNLESS_OURS();
  int tty = open("/dev/tty", O_RDWR | O_NOCTTY);
  if (tty >= 0) {
    close(tty);
    GTEST_SKIP() << "this test runs with a controlling terminal; the server would ask on it";
  }
  Httpd h;
  CertFiles cert = h.make_cert("enc", {.key_type = testing::KeyType::Rsa2048});
  const std::string key = encrypt_key(cert.key, true);
  configure(h, "builtin", {{cert.cert, key}});
  expect_refused_saying(h, {key, "no terminal", "SSLPassPhraseDialog exec:", "openssl pkey"});
}

TEST(PassphraseBeyond, PipeIsAskedOncePerPassPhraseAndSaysWhichKey) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h;
  CertFiles rsa = h.make_cert("rsa", {.key_type = testing::KeyType::Rsa2048});
  CertFiles ec = h.make_cert("ec");
  const std::string prompts = h.path("runs/prompts");
  h.write("runs/.keep", "", 0666);
  const std::string program = h.write(
      "bin/pipe",
      "#!/bin/sh\nwhile read line; do echo \"$line\" >> " + prompts + "; echo '" + kPhrase +
          "'; done\n",
      0755);
  configure(h, "|" + program,
            {{rsa.cert, encrypt_key(rsa.key, true)}, {ec.cert, encrypt_key(ec.key, false)}});
  ASSERT_TRUE(h.start()) << h.startup_log();
  // The second key shares the first one's pass phrase: asked once.
  EXPECT_EQ(read_file(prompts),
            "Enter pass phrase for localhost:443 (RSA):\n");
  EXPECT_EQ(https_request(h.port("tls"), "/").status, 200);
}

TEST(PassphraseBeyond, PipeGivingWrongPassPhrasesStopsAfterThreeAttempts) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h;
  CertFiles cert = h.make_cert("rsa", {.key_type = testing::KeyType::Rsa2048});
  const std::string key = encrypt_key(cert.key, true);
  const std::string program =
      h.write("bin/pipe", "#!/bin/sh\nwhile read line; do echo wrong; done\n", 0755);
  configure(h, "|" + program, {{cert.cert, key}});
  expect_refused_saying(h, {"SSLPassPhraseDialog |" + program, key, "after 3 attempts"});
}

TEST(PassphraseBeyond, KeyChangedBeforeGracefulRestartIsAskedForAgain) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h;
  CertFiles cert = h.make_cert("enc", {.key_type = testing::KeyType::Rsa2048});
  const std::string key = encrypt_key(cert.key, true);
  const std::string phrase_file = h.write("runs/phrase", std::string(kPhrase) + "\n");
  const std::string program = script(h, "ask", "cat " + phrase_file);
  configure(h, "exec:" + program, {{cert.cert, key}});
  ASSERT_TRUE(h.start()) << h.startup_log();
  ASSERT_TRUE(h.graceful()) << h.error_log();
  std::string runs = read_file(h.path("runs/ask"));
  EXPECT_EQ(std::count(runs.begin(), runs.end(), '\n'), 1)
      << "asked again at a graceful restart of unchanged keys:\n" << runs;
  // The key re-encrypted under a new pass phrase (a new modification time too).
  h.write("runs/phrase", "a new pass phrase\n");
  encrypt_key(cert.key, true, key, "a new pass phrase");
  ASSERT_TRUE(h.graceful()) << h.error_log();
  runs = read_file(h.path("runs/ask"));
  EXPECT_EQ(std::count(runs.begin(), runs.end(), '\n'), 2) << runs;
  EXPECT_EQ(https_request(h.port("tls"), "/").status, 200);
}

}  // namespace
}  // namespace modssl::it
