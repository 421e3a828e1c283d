// SSLRandomSeed and SSLCryptoDevice parsers: every accepted form (Debian's standard lines among
// them), and every refusal names the directive, the value and what is allowed.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "config/random_seed_directives.h"

namespace modssl::config {
namespace {

using When = RandomSeedSpec::When;
using Source = RandomSeedSpec::Source;
using Words = std::vector<std::string_view>;

void expect_error_names(const std::string& error, std::initializer_list<std::string_view> parts) {
  for (std::string_view p : parts) {
    EXPECT_NE(error.find(p), std::string::npos) << "'" << p << "' missing from: " << error;
  }
}

TEST(ParseRandomSeed, DebianStandardLines) {
  auto a = parse_random_seed(Words{"startup", "builtin"});
  ASSERT_TRUE(a) << a.error();
  EXPECT_EQ(a->when, When::Startup);
  EXPECT_EQ(a->source, Source::Builtin);
  EXPECT_TRUE(a->path.empty());
  EXPECT_EQ(a->bytes, 0);

  auto b = parse_random_seed(Words{"startup", "file:/dev/urandom", "512"});
  ASSERT_TRUE(b) << b.error();
  EXPECT_EQ(b->source, Source::File);
  EXPECT_EQ(b->path, "/dev/urandom");
  EXPECT_EQ(b->bytes, 512);

  auto c = parse_random_seed(Words{"connect", "builtin"});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->when, When::Connect);

  auto d = parse_random_seed(Words{"connect", "file:/dev/urandom", "512"});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->when, When::Connect);
  EXPECT_EQ(d->bytes, 512);
}

TEST(ParseRandomSeed, KeywordsInAnyCase) {
  auto s = parse_random_seed(Words{"STARTUP", "BuiltIn"});
  ASSERT_TRUE(s) << s.error();
  EXPECT_EQ(s->source, Source::Builtin);
  auto c = parse_random_seed(Words{"Connect", "FILE:/dev/urandom"});
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->source, Source::File);
  EXPECT_EQ(c->path, "/dev/urandom");
}

TEST(ParseRandomSeed, ExecAndEgd) {
  auto e = parse_random_seed(Words{"startup", "exec:/usr/local/bin/truerand", "16"});
  ASSERT_TRUE(e) << e.error();
  EXPECT_EQ(e->source, Source::Exec);
  EXPECT_EQ(e->path, "/usr/local/bin/truerand");
  EXPECT_EQ(e->bytes, 16);
  auto g = parse_random_seed(Words{"connect", "egd:/run/egd-pool"});
  ASSERT_TRUE(g) << g.error();
  EXPECT_EQ(g->source, Source::Egd);
  EXPECT_EQ(g->path, "/run/egd-pool");
  EXPECT_EQ(g->bytes, 0);
  EXPECT_EQ(parse_random_seed(Words{"connect", "egd:/run/egd-pool", "255"})->bytes, 255);
}

TEST(ParseRandomSeed, BareWordIsAFileAsInStock) {
  auto f = parse_random_seed(Words{"startup", "conf/seed.bin", "64"});
  ASSERT_TRUE(f) << f.error();
  EXPECT_EQ(f->source, Source::File);
  EXPECT_EQ(f->path, "conf/seed.bin");  // made ServerRoot-relative by the caller
  EXPECT_EQ(f->bytes, 64);
}

TEST(ParseRandomSeed, WholeFileWithoutByteCount) {
  auto f = parse_random_seed(Words{"startup", "file:/etc/seed"});
  ASSERT_TRUE(f);
  EXPECT_EQ(f->bytes, 0);
}

TEST(ParseRandomSeed, RefusesWrongContext) {
  auto r = parse_random_seed(Words{"sometimes", "builtin"});
  ASSERT_FALSE(r);
  expect_error_names(r.error(), {"SSLRandomSeed", "'sometimes'", "startup", "connect"});
}

TEST(ParseRandomSeed, RefusesWrongNumberOfWords) {
  for (const Words& w : {Words{}, Words{"startup"},
                         Words{"startup", "file:/dev/urandom", "512", "extra"}}) {
    auto r = parse_random_seed(w);
    ASSERT_FALSE(r);
    expect_error_names(r.error(), {"SSLRandomSeed", "2 or 3 arguments", "builtin"});
  }
}

TEST(ParseRandomSeed, RefusesEmptyPath) {
  for (std::string_view src : {"file:", "exec:", "egd:"}) {
    auto r = parse_random_seed(Words{"startup", src});
    ASSERT_FALSE(r) << src;
    expect_error_names(r.error(), {"SSLRandomSeed", std::string("'") + std::string(src) + "'",
                                   "no path", "file:/path"});
  }
}

TEST(ParseRandomSeed, RefusesBytesWithBuiltin) {
  auto r = parse_random_seed(Words{"startup", "builtin", "512"});
  ASSERT_FALSE(r);
  expect_error_names(r.error(), {"SSLRandomSeed", "'512'", "builtin", "not allowed"});
}

TEST(ParseRandomSeed, RefusesBadByteCounts) {
  for (std::string_view n : {"-5", "0", "abc", "512k", "", "99999999999999999999", "1048577"}) {
    auto r = parse_random_seed(Words{"startup", "file:/dev/urandom", n});
    ASSERT_FALSE(r) << n;
    expect_error_names(r.error(),
                       {"SSLRandomSeed", "bytes", std::string("'") + std::string(n) + "'",
                        "1 to 1048576"});
  }
  EXPECT_TRUE(parse_random_seed(Words{"startup", "file:/dev/urandom", "1048576"}));
}

TEST(ParseRandomSeed, EgdRequestsAreAtMost255Bytes) {
  auto r = parse_random_seed(Words{"startup", "egd:/run/egd", "256"});
  ASSERT_FALSE(r);
  expect_error_names(r.error(), {"SSLRandomSeed", "'256'", "1 to 255", "EGD"});
}

TEST(DescribeRandomSeed, ReadsLikeTheDirective) {
  EXPECT_EQ(describe(*parse_random_seed(Words{"startup", "builtin"})), "startup builtin");
  EXPECT_EQ(describe(*parse_random_seed(Words{"connect", "file:/dev/urandom", "512"})),
            "connect file:/dev/urandom 512");
  EXPECT_EQ(describe(*parse_random_seed(Words{"startup", "exec:/bin/seed"})),
            "startup exec:/bin/seed");
  EXPECT_EQ(describe(*parse_random_seed(Words{"connect", "egd:/run/egd"})), "connect egd:/run/egd");
}

TEST(ParseCryptoDevice, BuiltinMeansNone) {
  auto b = parse_crypto_device("builtin");
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->empty());
  EXPECT_TRUE(parse_crypto_device("BUILTIN")->empty());
}

TEST(ParseCryptoDevice, OtherNamesPassThrough) {
  auto e = parse_crypto_device("rdrand");
  ASSERT_TRUE(e);
  EXPECT_EQ(*e, "rdrand");
}

TEST(ParseCryptoDevice, RefusesEmpty) {
  auto r = parse_crypto_device("");
  ASSERT_FALSE(r);
  expect_error_names(r.error(), {"SSLCryptoDevice", "builtin"});
}

}  // namespace
}  // namespace modssl::config
