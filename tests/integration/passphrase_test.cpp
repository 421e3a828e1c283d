// SSLPassPhraseDialog and encrypted private keys: exec: and |pipe programs unlock encrypted
// RSA and ECDSA keys (traditional and PKCS#8 PEM); a wrong pass phrase stops start-up and names
// the key; a graceful restart reuses the pass phrase without running the program again; the
// builtin dialog without a terminal stops start-up. Only what the stock module does too is
// asserted here.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "http.h"
#include "httpd.h"
#include "tls_client.h"

namespace modssl::it {
namespace {

using namespace std::chrono_literals;

constexpr const char* kPhrase = "correct horse battery staple";

enum class Format { TraditionalAes256, TraditionalDes3, Pkcs8Aes256 };

// Replaces `key` (plain PEM) with its encrypted form; returns the path of the encrypted key.
std::string encrypt_key(Httpd& h, const std::string& key, bool rsa, Format format,
                        const std::string& phrase = kPhrase) {
  const std::string out = key + ".enc";
  std::vector<std::string> argv;
  if (format == Format::Pkcs8Aes256) {
    argv = {"openssl", "pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", key, "-out", out,
            "-passout", "pass:" + phrase};
  } else {
    argv = {"openssl", rsa ? "rsa" : "ec", "-in", key, "-out", out,
            format == Format::TraditionalDes3 ? "-des3" : "-aes256", "-passout", "pass:" + phrase};
    if (rsa) argv.push_back("-traditional");
  }
  ProcessResult r = run(argv);
  EXPECT_EQ(r.exit_code, 0) << r.all();
  chmod(out.c_str(), 0644);
  std::string text = read_file(out);
  EXPECT_NE(text.find("ENCRYPTED"), std::string::npos) << text;
  (void)h;
  return out;
}

// An exec: program that logs its arguments (one line a run) and prints `phrase`.
std::string exec_program(Httpd& h, const std::string& phrase = kPhrase) {
  h.write("runs/.keep", "", 0666);
  chmod(h.path("runs").c_str(), 0777);
  return h.write("bin/ask-pass",
                 "#!/bin/sh\necho \"$1 $2\" >> " + h.path("runs/exec.log") +
                     "\necho '" + phrase + "'\n",
                 0755);
}

int lines_in(const std::string& path) {
  std::string text = read_file(path);
  int n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

std::string served_subject(Httpd& h) {
  TlsClient c(h.port("tls"));
  return c.peer_subject();
}

void configure_with_key(Httpd& h, const CertFiles& cert, const std::string& key,
                        const std::string& dialog) {
  h.configure("SSLPassPhraseDialog " + dialog + "\n" + listen_https("tls") +
              tls_virtual_host("tls", "  ServerName localhost\n" +
                                          certificate_lines({cert.cert, key})));
}

void expect_serves(Httpd& h) {
  HttpResponse r = https_request(h.port("tls"), "/");
  EXPECT_EQ(r.status, 200) << r.body;
}

struct Case {
  const char* name;
  bool rsa;
  Format format;
};

class ExecDialog : public ::testing::TestWithParam<Case> {};

TEST_P(ExecDialog, UnlocksEncryptedKeyOnceAndGracefulRestartReusesIt) {
  const Case c = GetParam();
  Httpd h;
  CertFiles cert = h.make_cert("enc", {.key_type = c.rsa ? testing::KeyType::Rsa2048
                                                         : testing::KeyType::EcP256});
  const std::string key = encrypt_key(h, cert.key, c.rsa, c.format);
  const std::string program = exec_program(h);
  configure_with_key(h, cert, key, "exec:" + program);
  ASSERT_TRUE(h.start()) << h.startup_log();
  expect_serves(h);
  const std::string subject = served_subject(h);
  EXPECT_FALSE(subject.empty());
  // Once per server start, although httpd runs post_config twice at the first start.
  EXPECT_EQ(lines_in(h.path("runs/exec.log")), 1) << read_file(h.path("runs/exec.log"));
  // The first argument is servername:port.
  EXPECT_NE(read_file(h.path("runs/exec.log")).find(":"), std::string::npos);

  ASSERT_TRUE(h.graceful()) << h.error_log();
  expect_serves(h);
  EXPECT_EQ(served_subject(h), subject);
  EXPECT_EQ(lines_in(h.path("runs/exec.log")), 1)
      << "the pass phrase program ran again at the graceful restart:\n"
      << read_file(h.path("runs/exec.log"));
}

INSTANTIATE_TEST_SUITE_P(
    Keys, ExecDialog,
    ::testing::Values(Case{"RsaTraditionalAes256", true, Format::TraditionalAes256},
                      Case{"RsaTraditionalDes3", true, Format::TraditionalDes3},
                      Case{"RsaPkcs8", true, Format::Pkcs8Aes256},
                      Case{"EcdsaTraditional", false, Format::TraditionalAes256},
                      Case{"EcdsaPkcs8", false, Format::Pkcs8Aes256}),
    [](const ::testing::TestParamInfo<Case>& i) { return std::string(i.param.name); });

TEST(PassphraseDialog, WrongPassPhraseFromExecProgramStopsStartup) {
  Httpd h;
  CertFiles cert = h.make_cert("enc", {.key_type = testing::KeyType::Rsa2048});
  const std::string key = encrypt_key(h, cert.key, true, Format::TraditionalAes256);
  const std::string program = exec_program(h, "not the pass phrase");
  configure_with_key(h, cert, key, "exec:" + program);
  EXPECT_FALSE(h.start(30s)) << "started with a wrong pass phrase:\n" << h.startup_log();
  h.wait_for_exit(5s);
  EXPECT_FALSE(h.running());
  EXPECT_NE(h.startup_log().find(key), std::string::npos)
      << "the log does not name the key file:\n" << h.startup_log();
}

TEST(PassphraseDialog, MissingExecProgramFailsConfigtest) {
  Httpd h;
  CertFiles cert = h.make_cert("enc");
  configure_with_key(h, cert, cert.key, "exec:" + h.path("bin/no-such-program"));
  ProcessResult t = h.configtest();
  EXPECT_NE(t.exit_code, 0) << t.all();
  EXPECT_NE(t.all().find("SSLPassPhraseDialog"), std::string::npos) << t.all();
}

TEST(PassphraseDialog, IsRefusedInsideAVirtualHost) {
  Httpd h;
  CertFiles cert = h.make_cert("plain");
  h.configure(listen_https("tls") +
              tls_virtual_host("tls", certificate_lines(cert) + "  SSLPassPhraseDialog builtin\n"));
  ProcessResult t = h.configtest();
  EXPECT_NE(t.exit_code, 0) << t.all();
  EXPECT_NE(t.all().find("SSLPassPhraseDialog"), std::string::npos) << t.all();
}

TEST(PassphraseDialog, PipeProgramUnlocksRsaAndEcdsaKeys) {
  Httpd h;
  CertFiles rsa = h.make_cert("rsa", {.key_type = testing::KeyType::Rsa2048});
  CertFiles ec = h.make_cert("ec");
  const std::string rsa_key = encrypt_key(h, rsa.key, true, Format::TraditionalAes256);
  const std::string ec_key = encrypt_key(h, ec.key, false, Format::Pkcs8Aes256);
  // Answers a line per prompt; reads (and ignores) the prompts in the background.
  const std::string program = h.write(
      "bin/pass-pipe",
      "#!/bin/sh\ncat > /dev/null &\nwhile :; do echo '" + std::string(kPhrase) +
          "' || exit 0; sleep 1; done\n",
      0755);
  h.configure("SSLPassPhraseDialog |" + program + "\n" + listen_https("tls") +
              tls_virtual_host("tls", "  ServerName localhost\n" +
                                          certificate_lines({rsa.cert, rsa_key}) +
                                          certificate_lines({ec.cert, ec_key})));
  ASSERT_TRUE(h.start(30s)) << h.startup_log();
  expect_serves(h);
  ASSERT_TRUE(h.graceful(30s)) << h.error_log();
  expect_serves(h);
}

TEST(PassphraseDialog, BuiltinDialogWithoutTerminalStopsStartup) {
  int tty = open("/dev/tty", O_RDWR | O_NOCTTY);
  if (tty >= 0) {
    close(tty);
    GTEST_SKIP() << "this test runs with a controlling terminal; the server would ask on it";
  }
  Httpd h;
  CertFiles cert = h.make_cert("enc", {.key_type = testing::KeyType::Rsa2048});
  const std::string key = encrypt_key(h, cert.key, true, Format::TraditionalAes256);
  configure_with_key(h, cert, key, "builtin");
  EXPECT_FALSE(h.start(20s)) << "started without a pass phrase:\n" << h.startup_log();
  h.wait_for_exit(5s);
  EXPECT_FALSE(h.running());
}

}  // namespace
}  // namespace modssl::it
