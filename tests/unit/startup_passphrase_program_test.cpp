// The programs behind SSLPassPhraseDialog exec: and |pipe, with scripted stand-ins: a right
// answer, a failing exit, a crash, silence, a hang, and a conversation over a pipe.
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <string>

#include <gtest/gtest.h>

#include "pki.h"
#include "startup/passphrase_program.h"

namespace modssl::startup {
namespace {

using namespace std::chrono_literals;

class PassphraseProgram : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::make_temp_dir("pp-program"); }

  // Writes an executable shell script and returns its path.
  std::string script(const std::string& name, const std::string& body) {
    const std::string path = dir_ + "/" + name;
    std::FILE* f = std::fopen(path.c_str(), "w");
    std::fprintf(f, "#!/bin/sh\n%s\n", body.c_str());
    std::fclose(f);
    chmod(path.c_str(), 0755);
    return path;
  }

  std::string dir_;
};

TEST_F(PassphraseProgram, FirstLineOfOutputWithTheArgumentsGiven) {
  auto r = run_for_first_line({script("ok", "echo \"secret-$1-$2\"; echo second line"),
                               "localhost:443", "RSA"},
                              5s);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(*r, "secret-localhost:443-RSA");
}

TEST_F(PassphraseProgram, NonZeroExitIsAnErrorSayingSo) {
  auto r = run_for_first_line({script("fail", "echo x; exit 3")}, 5s);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("3"), std::string::npos) << r.error();
}

TEST_F(PassphraseProgram, CrashIsAnErrorNamingTheSignal) {
  auto r = run_for_first_line({script("crash", "kill -SEGV $$")}, 5s);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("signal"), std::string::npos) << r.error();
}

TEST_F(PassphraseProgram, PrintingNothingIsAnError) {
  auto r = run_for_first_line({script("silent", "exit 0")}, 5s);
  ASSERT_FALSE(r);
}

TEST_F(PassphraseProgram, ASlowProgramIsKilledAfterTheTimeLimit) {
  const auto start = std::chrono::steady_clock::now();
  auto r = run_for_first_line({script("slow", "sleep 30; echo late")}, 300ms);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r);
  EXPECT_LT(took, 10s);
}

TEST_F(PassphraseProgram, AMissingProgramIsAnError) {
  auto r = run_for_first_line({dir_ + "/does-not-exist"}, 5s);
  ASSERT_FALSE(r);
}

TEST_F(PassphraseProgram, PipeAnswersOneLinePerPrompt) {
  auto p = PipeProgram::start(script("pipe", "while read prompt; do echo \"answer to $prompt\"; done"));
  ASSERT_TRUE(p) << p.error();
  auto a = (*p)->ask("first", 5s);
  ASSERT_TRUE(a) << a.error();
  EXPECT_EQ(*a, "answer to first");
  auto b = (*p)->ask("second", 5s);
  ASSERT_TRUE(b) << b.error();
  EXPECT_EQ(*b, "answer to second");
}

TEST_F(PassphraseProgram, PipeThatEndsOrStallsIsAnError) {
  auto gone = PipeProgram::start(script("gone", "exit 0"));
  ASSERT_TRUE(gone) << gone.error();
  EXPECT_FALSE((*gone)->ask("anyone?", 5s));
  auto stalled = PipeProgram::start(script("stall", "read x; sleep 3"));
  ASSERT_TRUE(stalled) << stalled.error();
  EXPECT_FALSE((*stalled)->ask("hello", 300ms));
}

}  // namespace
}  // namespace modssl::startup
