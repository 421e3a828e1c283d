// SSLCARevocationCheck none|chain|leaf [no_crl_for_cert_ok]: the parser's values and messages.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "config/revocation_directives.h"

namespace modssl::config {
namespace {

Result<CrlCheck> parse(std::vector<std::string_view> words) {
  return parse_crl_check(words);
}

TEST(RevocationDirectives, ModesParse) {
  ASSERT_TRUE(parse({"none"}));
  EXPECT_EQ(parse({"none"})->mode, CrlCheckMode::None);
  EXPECT_EQ(parse({"chain"})->mode, CrlCheckMode::Chain);
  EXPECT_EQ(parse({"leaf"})->mode, CrlCheckMode::Leaf);
  EXPECT_FALSE(parse({"leaf"})->no_crl_for_cert_ok);
}

TEST(RevocationDirectives, KeywordsAreCaseInsensitive) {
  EXPECT_EQ(parse({"Chain"})->mode, CrlCheckMode::Chain);
  EXPECT_TRUE(parse({"LEAF", "No_CRL_For_Cert_OK"})->no_crl_for_cert_ok);
}

TEST(RevocationDirectives, NoCrlForCertOkFollowsTheMode) {
  auto v = parse({"chain", "no_crl_for_cert_ok"});
  ASSERT_TRUE(v) << v.error();
  EXPECT_EQ(v->mode, CrlCheckMode::Chain);
  EXPECT_TRUE(v->no_crl_for_cert_ok);
  EXPECT_TRUE(parse({"leaf", "no_crl_for_cert_ok", "no_crl_for_cert_ok"}));
  EXPECT_TRUE(parse({"none", "no_crl_for_cert_ok"}));
}

TEST(RevocationDirectives, UnknownModeNamesDirectiveValueAndChoices) {
  auto v = parse({"full"});
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().find("SSLCARevocationCheck"), std::string::npos) << v.error();
  EXPECT_NE(v.error().find("'full'"), std::string::npos) << v.error();
  EXPECT_NE(v.error().find("none, chain, leaf"), std::string::npos) << v.error();
}

TEST(RevocationDirectives, UnknownFlagIsRefused) {
  auto v = parse({"chain", "no_ocsp_for_cert_ok"});
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().find("SSLCARevocationCheck"), std::string::npos) << v.error();
  EXPECT_NE(v.error().find("'no_ocsp_for_cert_ok'"), std::string::npos) << v.error();
  EXPECT_NE(v.error().find("no_crl_for_cert_ok"), std::string::npos) << v.error();
}

TEST(RevocationDirectives, FlagWithoutModeIsRefused) {
  auto v = parse({"no_crl_for_cert_ok"});
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().find("must follow the mode"), std::string::npos) << v.error();
}

TEST(RevocationDirectives, EmptyLineIsRefused) {
  auto v = parse({});
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().find("SSLCARevocationCheck needs a mode"), std::string::npos) << v.error();
}

}  // namespace
}  // namespace modssl::config
