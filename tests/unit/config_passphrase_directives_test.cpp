// SSLPassPhraseDialog parser: builtin, exec:/path, |command [args] (quoted or not); every
// refusal names the directive and the value.
#include <gtest/gtest.h>

#include <string>

#include "config/passphrase_directives.h"

namespace modssl::config {
namespace {

using Kind = PassphraseDialogSpec::Kind;

TEST(ParsePassphraseDialog, Builtin) {
  auto s = parse_passphrase_dialog("builtin");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->kind, Kind::Builtin);
  EXPECT_TRUE(s->program.empty());
  ASSERT_TRUE(parse_passphrase_dialog("  Builtin "));
}

TEST(ParsePassphraseDialog, ExecTakesAPathAsWritten) {
  auto s = parse_passphrase_dialog("exec:/usr/share/apache2/ask-for-passphrase");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->kind, Kind::Exec);
  EXPECT_EQ(s->program, "/usr/share/apache2/ask-for-passphrase");
  auto relative = parse_passphrase_dialog("\"exec:bin/ask\"");
  ASSERT_TRUE(relative) << relative.error();
  EXPECT_EQ(relative->program, "bin/ask");
}

TEST(ParsePassphraseDialog, ExecRefusesNoPathAndArguments) {
  auto empty = parse_passphrase_dialog("exec:");
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().find("SSLPassPhraseDialog"), std::string::npos) << empty.error();
  auto args = parse_passphrase_dialog("exec:/bin/ask extra");
  ASSERT_FALSE(args);
  EXPECT_NE(args.error().find("wrapper script"), std::string::npos) << args.error();
}

TEST(ParsePassphraseDialog, PipeKeepsTheWholeCommandLine) {
  auto s = parse_passphrase_dialog("|/usr/bin/ask --vault main");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->kind, Kind::Pipe);
  EXPECT_EQ(s->program, "/usr/bin/ask --vault main");
  auto quoted = parse_passphrase_dialog("\"|/usr/bin/ask --vault main\"");
  ASSERT_TRUE(quoted);
  EXPECT_EQ(quoted->program, "/usr/bin/ask --vault main");
}

TEST(ParsePassphraseDialog, RefusesAnythingElse) {
  for (const char* bad : {"", "|", "terminal", "file:/x", "/usr/bin/ask"}) {
    auto s = parse_passphrase_dialog(bad);
    ASSERT_FALSE(s) << bad;
    EXPECT_NE(s.error().find("SSLPassPhraseDialog"), std::string::npos) << s.error();
    EXPECT_NE(s.error().find("builtin"), std::string::npos) << s.error();
  }
}

}  // namespace
}  // namespace modssl::config
