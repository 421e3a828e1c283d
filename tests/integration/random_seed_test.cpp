// SSLRandomSeed and SSLCryptoDevice as mod_ssl 2.4 takes them: Debian's four standard lines are
// accepted and the server serves; file:, exec: and ServerRoot-relative sources work; wrong lines
// fail `apachectl configtest` naming the directive and the value; a connect source the children
// cannot read does not cost a connection. Only what the stock module says too is asserted (our
// own wording, the /dev/random warning, EGD and failing programs: beyond/random_seed_beyond_test).
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "httpd.h"
#include "text_search.h"
#include "tls_client.h"
#include "vhost_config.h"

namespace modssl::it {
namespace {

constexpr const char* kDebianLines =
    "SSLRandomSeed startup builtin\n"
    "SSLRandomSeed startup file:/dev/urandom 512\n"
    "SSLRandomSeed connect builtin\n"
    "SSLRandomSeed connect file:/dev/urandom 512\n";

void expect_serves(Httpd& h, int requests = 3) {
  for (int i = 0; i < requests; ++i) {
    HttpResponse r = https_request(h.port("tls"), "/");
    EXPECT_EQ(r.status, 200) << r.body;
  }
}

// configtest must fail, and its output must mention every one of `says` (case-insensitive).
void expect_configtest_refuses(Httpd& h, const std::vector<std::string>& says) {
  ProcessResult r = h.configtest();
  ASSERT_FALSE(r.timed_out);
  EXPECT_NE(r.exit_code, 0) << r.all();
  EXPECT_EQ(r.all().find("Syntax OK"), std::string::npos) << r.all();
  const std::string said = lower(r.all());
  for (const std::string& s : says) {
    EXPECT_NE(said.find(lower(s)), std::string::npos)
        << "configtest output does not mention '" << s << "':\n"
        << r.all();
  }
}

TEST(RandomSeed, DebianStandardLinesServeHttps) {
  Httpd h;
  configure_tls_vhost(h, {.server_lines = kDebianLines});
  ProcessResult t = h.configtest();
  EXPECT_EQ(t.exit_code, 0) << t.all();
  ASSERT_TRUE(h.start()) << h.startup_log();
  expect_serves(h, 5);
  // A graceful restart applies them again.
  ASSERT_TRUE(h.graceful()) << h.error_log();
  expect_serves(h);
}

TEST(RandomSeed, WholeFileAndServerRootRelativeFile) {
  Httpd h;
  h.write("conf/seed.bin", std::string(300, 'x'));
  configure_tls_vhost(h, {.server_lines = "SSLRandomSeed startup file:conf/seed.bin\n"
                                          "SSLRandomSeed startup conf/seed.bin 16\n"
                                          "SSLRandomSeed connect file:conf/seed.bin 64\n"});
  ASSERT_TRUE(h.start()) << h.startup_log();
  expect_serves(h);
}

TEST(RandomSeed, ExecProgramIsRunWithTheByteCount) {
  Httpd h;
  const std::string marker = h.path("exec-ran");
  h.write("bin/seed.sh",
          "#!/bin/sh\n"
          "echo \"$1\" > " + marker + ".$1 2>/dev/null || true\n"
          "head -c \"$1\" /dev/urandom\n",
          0755);
  configure_tls_vhost(h, {.server_lines = "SSLRandomSeed startup exec:" + h.path("bin/seed.sh") +
                                          " 32\n"
                                          "SSLRandomSeed connect exec:" +
                                          h.path("bin/seed.sh") + " 16\n"});
  ASSERT_TRUE(h.start()) << h.startup_log();
  expect_serves(h);
  struct stat st {};
  EXPECT_EQ(::stat((marker + ".32").c_str(), &st), 0) << "startup exec: program was not run with "
                                                          "argument 32";
}

TEST(RandomSeed, ConnectSourceTheChildrenCannotReadDoesNotCostConnections) {
  Httpd h;
  // Readable by root (the parent) only: the children, running as another user, cannot open it.
  h.write("conf/private-seed.bin", std::string(64, 'y'), 0600);
  configure_tls_vhost(h, {.server_lines = "SSLRandomSeed connect file:" +
                                          h.path("conf/private-seed.bin") + " 32\n"});
  ASSERT_TRUE(h.start()) << h.startup_log();
  expect_serves(h, 5);
}

TEST(RandomSeed, MissingFileFailsConfigtestAndStartWithThePath) {
  Httpd h;
  const std::string missing = h.path("no-such-seed");
  configure_tls_vhost(h, {.server_lines = "SSLRandomSeed startup file:" + missing + " 512\n"});
  expect_configtest_refuses(h, {"SSLRandomSeed", missing});
  EXPECT_FALSE(h.start());
  h.wait_for_exit(std::chrono::seconds(2));
  EXPECT_NE(h.startup_log().find(missing), std::string::npos) << h.startup_log();
}

TEST(RandomSeed, MissingProgramFailsConfigtest) {
  Httpd h;
  const std::string missing = h.path("bin/no-such-program");
  configure_tls_vhost(h, {.server_lines = "SSLRandomSeed startup exec:" + missing + "\n"});
  expect_configtest_refuses(h, {"SSLRandomSeed", missing});
}

TEST(RandomSeed, UnknownSourceWordFailsConfigtest) {
  Httpd h;
  configure_tls_vhost(h, {.server_lines = "SSLRandomSeed startup bogus\n"});
  expect_configtest_refuses(h, {"SSLRandomSeed", "bogus"});
}

TEST(RandomSeed, UnknownContextFailsConfigtest) {
  Httpd h;
  configure_tls_vhost(h, {.server_lines = "SSLRandomSeed sometimes builtin\n"});
  expect_configtest_refuses(h, {"SSLRandomSeed", "sometimes"});
}

TEST(RandomSeed, NegativeByteCountFailsConfigtest) {
  Httpd h;
  configure_tls_vhost(h, {.server_lines = "SSLRandomSeed startup file:/dev/urandom -5\n"});
  expect_configtest_refuses(h, {"SSLRandomSeed", "bytes"});
}

TEST(RandomSeed, ByteCountWithBuiltinFailsConfigtest) {
  Httpd h;
  configure_tls_vhost(h, {.server_lines = "SSLRandomSeed startup builtin 512\n"});
  expect_configtest_refuses(h, {"SSLRandomSeed", "builtin"});
}

TEST(RandomSeed, RefusedInsideAVirtualHost) {
  Httpd h;
  configure_tls_vhost(h, {.vhost_lines = "SSLRandomSeed startup builtin"});
  expect_configtest_refuses(h, {"SSLRandomSeed", "VirtualHost"});
}

TEST(CryptoDevice, BuiltinServes) {
  Httpd h;
  configure_tls_vhost(h, {.server_lines = "SSLCryptoDevice builtin\n"});
  ProcessResult t = h.configtest();
  EXPECT_EQ(t.exit_code, 0) << t.all();
  ASSERT_TRUE(h.start()) << h.startup_log();
  expect_serves(h);
}

// OpenSSL 3 still has its "dynamic" engine built in (stock lists it as the one choice besides
// builtin); naming it must pass configtest and keep serving.
TEST(CryptoDevice, KnownEngineIsAccepted) {
  Httpd h;
  configure_tls_vhost(h, {.server_lines = "SSLCryptoDevice dynamic\n"});
  ProcessResult t = h.configtest();
  EXPECT_EQ(t.exit_code, 0) << t.all();
  ASSERT_TRUE(h.start()) << h.startup_log();
  expect_serves(h);
}

TEST(CryptoDevice, UnknownEngineFailsConfigtest) {
  Httpd h;
  configure_tls_vhost(h, {.server_lines = "SSLCryptoDevice nosuchengine\n"});
  expect_configtest_refuses(h, {"SSLCryptoDevice"});
  EXPECT_FALSE(h.start());
}

}  // namespace
}  // namespace modssl::it
