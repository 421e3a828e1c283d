// Directive argument parsers: mod_ssl 2.4's syntax, and errors that name the directive, the bad
// value and what is allowed.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "config/directives.h"

namespace modssl::config {
namespace {

// Words as httpd splits a directive line.
std::vector<std::string_view> words(std::initializer_list<std::string_view> w) { return w; }

void expect_error_names(const std::string& error, std::initializer_list<std::string_view> parts) {
  for (std::string_view p : parts) {
    EXPECT_NE(error.find(p), std::string::npos) << "'" << p << "' missing from: " << error;
  }
}

TEST(ParseEngine, AcceptsTheThreeModesInAnyCase) {
  EXPECT_EQ(*parse_engine("on"), EngineMode::On);
  EXPECT_EQ(*parse_engine("OFF"), EngineMode::Off);
  EXPECT_EQ(*parse_engine("Optional"), EngineMode::Optional);
  auto bad = parse_engine("yes");
  ASSERT_FALSE(bad);
  expect_error_names(bad.error(), {"SSLEngine", "'yes'", "on, off, optional"});
}

TEST(ParseProtocols, PlusMinusAndResetSemantics) {
  EXPECT_EQ(*parse_protocols(words({"all"})), kAllProtocols);
  EXPECT_EQ(*parse_protocols(words({"all", "-TLSv1", "-TLSv1.1"})), kTLSv1_2 | kTLSv1_3);
  EXPECT_EQ(*parse_protocols(words({"-all", "+TLSv1.2"})), kTLSv1_2);
  EXPECT_EQ(*parse_protocols(words({"TLSv1.2", "+TLSv1.3"})), kTLSv1_2 | kTLSv1_3);
  EXPECT_EQ(*parse_protocols(words({"tlsv1.3"})), kTLSv1_3);  // case-insensitive
  // A bare protocol name replaces what came before it on the line.
  EXPECT_EQ(*parse_protocols(words({"TLSv1", "TLSv1.2"})), kTLSv1_2);
}

TEST(ParseProtocols, RemovingSslv3IsHarmlessAddingItIsRefused) {
  EXPECT_EQ(*parse_protocols(words({"all", "-SSLv3"})), kAllProtocols);
  for (auto line : {words({"+SSLv3"}), words({"SSLv3"}), words({"all", "+SSLv2"})}) {
    auto r = parse_protocols(line);
    ASSERT_FALSE(r);
    expect_error_names(r.error(), {"SSLProtocol", "OpenSSL 3", "allowed"});
  }
}

TEST(ParseProtocols, UnknownEmptyAndNothingLeftAreErrors) {
  auto unknown = parse_protocols(words({"TLSv1.4"}));
  ASSERT_FALSE(unknown);
  expect_error_names(unknown.error(), {"SSLProtocol", "'TLSv1.4'", "TLSv1.2"});
  EXPECT_FALSE(parse_protocols(words({})));
  auto none = parse_protocols(words({"-all"}));
  ASSERT_FALSE(none);
  expect_error_names(none.error(), {"SSLProtocol", "no protocol"});
}

TEST(ParseCipherSuite, PlainListOrProtocolThenList) {
  auto plain = parse_cipher_suite(words({"HIGH:!aNULL"}));
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->tls13);
  EXPECT_EQ(plain->spec, "HIGH:!aNULL");
  auto ssl = parse_cipher_suite(words({"SSL", "ECDHE+AESGCM"}));
  ASSERT_TRUE(ssl);
  EXPECT_FALSE(ssl->tls13);
  auto tls13 = parse_cipher_suite(words({"TLSv1.3", "TLS_AES_256_GCM_SHA384"}));
  ASSERT_TRUE(tls13);
  EXPECT_TRUE(tls13->tls13);
  EXPECT_EQ(tls13->spec, "TLS_AES_256_GCM_SHA384");
}

TEST(ParseCipherSuite, BadProtocolWordOrArityIsAnError) {
  auto bad = parse_cipher_suite(words({"TLSv1.2", "HIGH"}));
  ASSERT_FALSE(bad);
  expect_error_names(bad.error(), {"SSLCipherSuite", "'TLSv1.2'", "TLSv1.3"});
  EXPECT_FALSE(parse_cipher_suite(words({})));
  EXPECT_FALSE(parse_cipher_suite(words({"SSL", "HIGH", "extra"})));
}

TEST(ParseFlag, OnOffOnly) {
  EXPECT_TRUE(*parse_flag("SSLSessionTickets", "On"));
  EXPECT_FALSE(*parse_flag("SSLSessionTickets", "off"));
  auto bad = parse_flag("SSLHonorCipherOrder", "maybe");
  ASSERT_FALSE(bad);
  expect_error_names(bad.error(), {"SSLHonorCipherOrder", "'maybe'", "on, off"});
}

TEST(ParseCompression, OffAcceptedOnRefusedWithReason) {
  EXPECT_EQ(*parse_compression("off"), Toggle::Off);
  auto on = parse_compression("on");
  ASSERT_FALSE(on);
  expect_error_names(on.error(), {"SSLCompression", "CRIME", "allowed: off"});
  EXPECT_FALSE(parse_compression("zlib"));
}

TEST(ParseSniPolicy, FourPolicies) {
  EXPECT_EQ(*parse_sni_policy("secure"), SniPolicy::Secure);
  EXPECT_EQ(*parse_sni_policy("STRICT"), SniPolicy::Strict);
  EXPECT_EQ(*parse_sni_policy("authonly"), SniPolicy::AuthOnly);
  EXPECT_EQ(*parse_sni_policy("insecure"), SniPolicy::Insecure);
  auto bad = parse_sni_policy("lax");
  ASSERT_FALSE(bad);
  expect_error_names(bad.error(), {"SSLVHostSNIPolicy", "'lax'", "authonly"});
}

TEST(ParseVerify, ModesAndDepths) {
  EXPECT_EQ(*parse_verify_client("optional_no_ca"), VerifyClient::OptionalNoCa);
  EXPECT_EQ(*parse_verify_client("require"), VerifyClient::Require);
  auto bad = parse_verify_client("always");
  ASSERT_FALSE(bad);
  expect_error_names(bad.error(), {"SSLVerifyClient", "'always'", "optional_no_ca"});
  EXPECT_EQ(*parse_verify_depth("0"), 0);
  EXPECT_EQ(*parse_verify_depth("1000"), 1000);  // stock accepts any non-negative depth
  for (auto v : {"-1", "ten", "", "3x"}) {
    auto r = parse_verify_depth(v);
    ASSERT_FALSE(r) << v;
    expect_error_names(r.error(), {"SSLVerifyDepth", "allowed"});
  }
}

TEST(ParseOptions, AbsoluteRelativeAndAccumulating) {
  // mod_ssl: each option without + or - replaces the set, so only the last one stays.
  auto abs = parse_options(words({"StdEnvVars", "ExportCertData"}), {});
  ASSERT_TRUE(abs);
  EXPECT_FALSE(abs->options & kOptRelativeSet);
  EXPECT_EQ(effective_options(*abs), kOptExportCertData);
  EXPECT_TRUE(options_line_drops_options(words({"StdEnvVars", "ExportCertData"})));
  EXPECT_FALSE(options_line_drops_options(words({"StdEnvVars", "+ExportCertData"})));

  auto mixed = parse_options(words({"StdEnvVars", "+ExportCertData"}), {});
  ASSERT_TRUE(mixed);
  EXPECT_EQ(effective_options(*mixed), kOptStdEnvVars | kOptExportCertData);

  auto rel = parse_options(words({"+StdEnvVars", "-FakeBasicAuth"}), {});
  ASSERT_TRUE(rel);
  EXPECT_TRUE(rel->options & kOptRelativeSet);
  EXPECT_EQ(rel->add, kOptStdEnvVars);
  EXPECT_EQ(rel->remove, kOptFakeBasicAuth);

  // A second line in the same context adjusts the first.
  auto more = parse_options(words({"-ExportCertData"}), *mixed);
  ASSERT_TRUE(more);
  EXPECT_EQ(effective_options(*more), kOptStdEnvVars);

  auto bad = parse_options(words({"+StdEnvVar"}), {});
  ASSERT_FALSE(bad);
  expect_error_names(bad.error(), {"SSLOptions", "'+StdEnvVar'", "LegacyDNStringFormat"});
}

}  // namespace
}  // namespace modssl::config
