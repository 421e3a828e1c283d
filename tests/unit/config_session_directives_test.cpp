// Session-cache directive parsers: SSLSessionCache, SSLSessionCacheTimeout,
// SSLSessionTicketKeyRotation and the legacy SSLMutex. Every accepted form, and every refusal
// names the directive and the value.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <string_view>

#include "config/session_directives.h"

namespace modssl::config {
namespace {

using namespace std::chrono_literals;
using Kind = SessionCacheSpec::Kind;
using Mech = LegacyMutex::Mechanism;

void expect_error_names(const std::string& error, std::initializer_list<std::string_view> parts) {
  for (std::string_view p : parts) {
    EXPECT_NE(error.find(p), std::string::npos) << "'" << p << "' missing from: " << error;
  }
}

// ---- SSLSessionCache ----

TEST(ParseSessionCache, NoneAndNoneNotNullInAnyCase) {
  auto none = parse_session_cache("none");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->kind, Kind::None);
  EXPECT_TRUE(none->provider.empty());
  EXPECT_EQ(parse_session_cache("NONE")->kind, Kind::None);
  auto nnn = parse_session_cache("nonenotnull");
  ASSERT_TRUE(nnn);
  EXPECT_EQ(nnn->kind, Kind::NoneNotNull);
  EXPECT_EQ(parse_session_cache("NoneNotNull")->kind, Kind::NoneNotNull);
}

TEST(ParseSessionCache, ShmcbPathAndSize) {
  auto plain = parse_session_cache("shmcb:/var/cache/apache2/ssl_scache");
  ASSERT_TRUE(plain) << plain.error();
  EXPECT_EQ(plain->kind, Kind::Shmcb);
  EXPECT_EQ(plain->provider, "shmcb");
  EXPECT_EQ(plain->path_or_args, "/var/cache/apache2/ssl_scache");
  EXPECT_EQ(plain->bytes, kShmcbDefaultBytes);
  EXPECT_EQ(kShmcbDefaultBytes, 524288u);  // mod_socache_shmcb's 512 KiB

  // Debian's ssl.conf line.
  auto debian = parse_session_cache("shmcb:${APACHE_RUN_DIR}/ssl_scache(512000)");
  ASSERT_TRUE(debian) << debian.error();
  EXPECT_EQ(debian->path_or_args, "${APACHE_RUN_DIR}/ssl_scache");
  EXPECT_EQ(debian->bytes, 512000u);

  // Relative paths are returned as written.
  auto rel = parse_session_cache("shmcb:logs/ssl_scache(1048576)");
  ASSERT_TRUE(rel);
  EXPECT_EQ(rel->path_or_args, "logs/ssl_scache");
  EXPECT_EQ(rel->bytes, 1048576u);

  // The bounds themselves.
  EXPECT_EQ(parse_session_cache("shmcb:/c(8192)")->bytes, 8192u);
  EXPECT_EQ(parse_session_cache("shmcb:/c(4294967294)")->bytes, 4294967294u);

  // Only the last '(' opens the size: earlier ones belong to the path.
  auto paren = parse_session_cache("shmcb:/srv/a(b)/cache(65536)");
  ASSERT_TRUE(paren) << paren.error();
  EXPECT_EQ(paren->path_or_args, "/srv/a(b)/cache");
  EXPECT_EQ(paren->bytes, 65536u);

  // A path may contain ':' (only the first one ends the provider name).
  auto colon = parse_session_cache("shmcb:C:/cache(16384)");
  ASSERT_TRUE(colon);
  EXPECT_EQ(colon->path_or_args, "C:/cache");
}

TEST(ParseSessionCache, ShmIsAnAliasOfShmcb) {
  auto shm = parse_session_cache("shm:/run/apache2/ssl_scache(262144)");
  ASSERT_TRUE(shm) << shm.error();
  EXPECT_EQ(shm->kind, Kind::Shmcb);
  EXPECT_EQ(shm->provider, "shmcb");
  EXPECT_EQ(shm->path_or_args, "/run/apache2/ssl_scache");
  EXPECT_EQ(shm->bytes, 262144u);
}

TEST(ParseSessionCache, BareShmcbAndDbmUseTheProviderDefaultFile) {
  for (auto word : {"shmcb", "shm"}) {
    auto r = parse_session_cache(word);
    ASSERT_TRUE(r) << word;
    EXPECT_EQ(r->kind, Kind::Shmcb);
    EXPECT_EQ(r->provider, "shmcb");
    EXPECT_TRUE(r->path_or_args.empty());
    EXPECT_EQ(r->bytes, kShmcbDefaultBytes);
  }
  auto dbm = parse_session_cache("dbm");
  ASSERT_TRUE(dbm);
  EXPECT_EQ(dbm->kind, Kind::Dbm);
  EXPECT_EQ(dbm->provider, "dbm");
  EXPECT_TRUE(dbm->path_or_args.empty());
}

TEST(ParseSessionCache, Dbm) {
  auto dbm = parse_session_cache("dbm:/var/cache/apache2/ssl_gcache_data");
  ASSERT_TRUE(dbm);
  EXPECT_EQ(dbm->kind, Kind::Dbm);
  EXPECT_EQ(dbm->provider, "dbm");
  EXPECT_EQ(dbm->path_or_args, "/var/cache/apache2/ssl_gcache_data");
}

TEST(ParseSessionCache, OtherProvidersGetEverythingAfterTheFirstColon) {
  auto mc = parse_session_cache("memcache:mc1.example.com:11211,mc2.example.com:11211");
  ASSERT_TRUE(mc) << mc.error();
  EXPECT_EQ(mc->kind, Kind::Provider);
  EXPECT_EQ(mc->provider, "memcache");
  EXPECT_EQ(mc->path_or_args, "mc1.example.com:11211,mc2.example.com:11211");

  auto redis = parse_session_cache("redis:127.0.0.1:6379");
  ASSERT_TRUE(redis);
  EXPECT_EQ(redis->provider, "redis");
  EXPECT_EQ(redis->path_or_args, "127.0.0.1:6379");

  auto dc = parse_session_cache("dc:UNIX:/var/run/dc.sock");
  ASSERT_TRUE(dc);
  EXPECT_EQ(dc->kind, Kind::Provider);
  EXPECT_EQ(dc->provider, "dc");
  EXPECT_EQ(dc->path_or_args, "UNIX:/var/run/dc.sock");

  // A provider we do not know by name, with or without arguments: whether it is loaded is
  // checked when the cache is created.
  auto bare = parse_session_cache("my_cache2");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->kind, Kind::Provider);
  EXPECT_EQ(bare->provider, "my_cache2");
  EXPECT_TRUE(bare->path_or_args.empty());
}

TEST(ParseSessionCache, MalformedShmcbSizesAreRefused) {
  struct Case {
    std::string_view arg;
    std::string_view says;
  };
  for (const Case& c :
       {Case{"shmcb:/c(512000", "')'"}, Case{"shmcb:/c(512000)x", "')'"},
        Case{"shmcb:/c512000)", "no '('"}, Case{"shmcb:/c()", "whole number"},
        Case{"shmcb:/c(abc)", "whole number"}, Case{"shmcb:/c(-8192)", "whole number"},
        Case{"shmcb:/c(+8192)", "whole number"}, Case{"shmcb:/c( 8192)", "whole number"},
        Case{"shmcb:/c(8192.5)", "whole number"}, Case{"shmcb:/c((8192))", "whole number"},
        Case{"shmcb:/c(99999999999999999999999)", "whole number"},
        Case{"shmcb:/c(0)", "out of range"}, Case{"shmcb:/c(8191)", "out of range"},
        Case{"shmcb:/c(4294967295)", "out of range"},
        Case{"shmcb:/c(10000000000)", "out of range"}}) {
    auto r = parse_session_cache(c.arg);
    ASSERT_FALSE(r) << c.arg;
    expect_error_names(r.error(), {"SSLSessionCache", c.says});
  }
  // The range refusal says what is allowed, the argument is quoted.
  auto small = parse_session_cache("shmcb:/c(100)");
  ASSERT_FALSE(small);
  expect_error_names(small.error(), {"'100'", "'/c(100)'", "8192", "4294967294"});
  auto open = parse_session_cache("shm:/c(1");
  ASSERT_FALSE(open);
  expect_error_names(open.error(), {"'/c(1'"});
}

TEST(ParseSessionCache, EmptyPathsAreRefused) {
  for (auto arg : {"shmcb:", "shm:", "shmcb:(512000)"}) {
    auto r = parse_session_cache(arg);
    ASSERT_FALSE(r) << arg;
    expect_error_names(r.error(), {"SSLSessionCache", "no data file", "'shmcb' alone"});
  }
  auto dbm = parse_session_cache("dbm:");
  ASSERT_FALSE(dbm);
  expect_error_names(dbm.error(), {"SSLSessionCache", "'dbm:'", "no data file"});
}

TEST(ParseSessionCache, MemcacheAndRedisNeedServers) {
  for (auto arg : {"memcache", "memcache:", "redis", "redis:"}) {
    auto r = parse_session_cache(arg);
    ASSERT_FALSE(r) << arg;
    expect_error_names(r.error(), {"SSLSessionCache", "'" + std::string(arg) + "'", "host:port"});
  }
  for (auto arg : {"memcache:a:1,,b:2", "memcache:a:1,", "memcache:,a:1", "redis:a:1,"}) {
    auto r = parse_session_cache(arg);
    ASSERT_FALSE(r) << arg;
    expect_error_names(r.error(), {"SSLSessionCache", "empty entry"});
  }
  auto other = parse_session_cache("dc:");
  ASSERT_FALSE(other);
  expect_error_names(other.error(), {"SSLSessionCache", "'dc:'", "no arguments"});
}

TEST(ParseSessionCache, BadProviderNamesAreRefused) {
  // Provider names are matched case-sensitively by httpd, so only [a-z0-9_]+ can name one.
  for (auto arg : {"", ":/path", "SHMCB:/c", "Memcache:h:1", "mem-cache:h:1", "sh mcb:/c",
                   "/var/cache/ssl_scache"}) {
    auto r = parse_session_cache(arg);
    ASSERT_FALSE(r) << arg;
    expect_error_names(r.error(),
                       {"SSLSessionCache", "'" + std::string(arg) + "'", "nonenotnull", "shmcb"});
  }
}

// ---- SSLSessionCacheTimeout ----

TEST(ParseSessionCacheTimeout, NonNegativeWholeSeconds) {
  EXPECT_EQ(kDefaultSessionCacheTimeout, 300s);
  EXPECT_EQ(*parse_session_cache_timeout("300"), 300s);
  EXPECT_EQ(*parse_session_cache_timeout("0"), 0s);
  EXPECT_EQ(*parse_session_cache_timeout("15"), 15s);
  EXPECT_EQ(*parse_session_cache_timeout("86400"), 86400s);
  EXPECT_EQ(*parse_session_cache_timeout("2147483647"), 2147483647s);
}

TEST(ParseSessionCacheTimeout, GarbageNegativeAndOverflowAreRefused) {
  for (auto v :
       {"", "-1", "five", "300s", "3e2", " 300", "+300", "2147483648", "99999999999999999999999"}) {
    auto r = parse_session_cache_timeout(v);
    ASSERT_FALSE(r) << v;
    expect_error_names(r.error(), {"SSLSessionCacheTimeout", "'" + std::string(v) + "'",
                                   "whole number of seconds"});
  }
}

// ---- SSLSessionTicketKeyRotation ----

TEST(ParseTicketKeyRotation, SecondsAndSuffixes) {
  EXPECT_EQ(kDefaultTicketKeyRotation, 12h);
  EXPECT_EQ(*parse_ticket_key_rotation("3600"), 3600s);
  EXPECT_EQ(*parse_ticket_key_rotation("1"), 1s);
  EXPECT_EQ(*parse_ticket_key_rotation("45s"), 45s);
  EXPECT_EQ(*parse_ticket_key_rotation("90m"), 90min);
  EXPECT_EQ(*parse_ticket_key_rotation("12h"), 12h);
  EXPECT_EQ(*parse_ticket_key_rotation("12H"), 12h);
  EXPECT_EQ(*parse_ticket_key_rotation("2d"), 48h);
  EXPECT_EQ(*parse_ticket_key_rotation("30d"), kMaxTicketKeyRotation);
  EXPECT_EQ(*parse_ticket_key_rotation("720h"), kMaxTicketKeyRotation);
  EXPECT_EQ(*parse_ticket_key_rotation("2592000"), kMaxTicketKeyRotation);
}

TEST(ParseTicketKeyRotation, ZeroGarbageAndTooLongAreRefused) {
  for (auto v : {"0", "0h", "0d"}) {
    auto r = parse_ticket_key_rotation(v);
    ASSERT_FALSE(r) << v;
    expect_error_names(r.error(),
                       {"SSLSessionTicketKeyRotation", "'" + std::string(v) + "'", "zero"});
  }
  for (auto v : {"", "h", "-1h", "12w", "1.5h", "12 h", "1h30m", "+5m", "12hh",
                 "99999999999999999999999d"}) {
    auto r = parse_ticket_key_rotation(v);
    ASSERT_FALSE(r) << v;
    expect_error_names(r.error(),
                       {"SSLSessionTicketKeyRotation", "'" + std::string(v) + "'", "s, m, h or d"});
  }
  for (auto v : {"31d", "2592001", "721h", "43201m", "100000000000000d"}) {
    auto r = parse_ticket_key_rotation(v);
    ASSERT_FALSE(r) << v;
    expect_error_names(r.error(),
                       {"SSLSessionTicketKeyRotation", "'" + std::string(v) + "'", "30 days"});
  }
}

// ---- SSLMutex ----

TEST(ParseLegacyMutex, MechanismsWithoutPath) {
  struct Case {
    std::string_view arg;
    Mech mechanism;
    std::string_view modern;
  };
  for (const Case& c : {Case{"none", Mech::None, "Mutex none ssl-cache"},
                        Case{"no", Mech::None, "Mutex none ssl-cache"},
                        Case{"default", Mech::Default, "Mutex default ssl-cache"},
                        Case{"yes", Mech::Default, "Mutex default ssl-cache"},
                        Case{"sem", Mech::Sem, "Mutex sem ssl-cache"},
                        Case{"posixsem", Mech::PosixSem, "Mutex posixsem ssl-cache"},
                        Case{"sysvsem", Mech::SysvSem, "Mutex sysvsem ssl-cache"},
                        Case{"pthread", Mech::Pthread, "Mutex pthread ssl-cache"},
                        Case{"PThread", Mech::Pthread, "Mutex pthread ssl-cache"},
                        Case{"file", Mech::File, "Mutex file ssl-cache"},
                        Case{"fcntl", Mech::Fcntl, "Mutex fcntl ssl-cache"},
                        Case{"flock", Mech::Flock, "Mutex flock ssl-cache"},
                        // An empty path counts as none, as in ap_parse_mutex.
                        Case{"file:", Mech::File, "Mutex file ssl-cache"},
                        Case{"none:", Mech::None, "Mutex none ssl-cache"}}) {
    auto r = parse_legacy_mutex(c.arg);
    ASSERT_TRUE(r) << c.arg << ": " << r.error();
    EXPECT_EQ(r->mechanism, c.mechanism) << c.arg;
    EXPECT_TRUE(r->path.empty()) << c.arg;
    EXPECT_EQ(r->modern, c.modern) << c.arg;
  }
}

TEST(ParseLegacyMutex, FileMechanismsTranslateTheLockFileToItsDirectory) {
  struct Case {
    std::string_view arg;
    Mech mechanism;
    std::string_view path;
    std::string_view modern;
  };
  for (const Case& c :
       {Case{"file:/var/run/apache2/ssl_mutex", Mech::File, "/var/run/apache2/ssl_mutex",
             "Mutex file:/var/run/apache2 ssl-cache"},
        Case{"file:/var/run/lock", Mech::File, "/var/run/lock", "Mutex file:/var/run ssl-cache"},
        Case{"fcntl:/var/lock/apache2/ssl", Mech::Fcntl, "/var/lock/apache2/ssl",
             "Mutex fcntl:/var/lock/apache2 ssl-cache"},
        Case{"FLOCK:/tmp/ssl_mutex", Mech::Flock, "/tmp/ssl_mutex", "Mutex flock:/tmp ssl-cache"},
        // Relative paths stay relative (both directives resolve them against ServerRoot).
        Case{"file:logs/ssl_mutex", Mech::File, "logs/ssl_mutex", "Mutex file:logs ssl-cache"},
        Case{"file:ssl_mutex", Mech::File, "ssl_mutex", "Mutex file:. ssl-cache"},
        Case{"file:/ssl_mutex", Mech::File, "/ssl_mutex", "Mutex file:/ ssl-cache"},
        // A trailing '/' already names a directory.
        Case{"fcntl:/var/lock/apache2/", Mech::Fcntl, "/var/lock/apache2/",
             "Mutex fcntl:/var/lock/apache2 ssl-cache"},
        Case{"file:/", Mech::File, "/", "Mutex file:/ ssl-cache"}}) {
    auto r = parse_legacy_mutex(c.arg);
    ASSERT_TRUE(r) << c.arg << ": " << r.error();
    EXPECT_EQ(r->mechanism, c.mechanism) << c.arg;
    EXPECT_EQ(r->path, c.path) << c.arg;
    EXPECT_EQ(r->modern, c.modern) << c.arg;
  }
}

TEST(ParseLegacyMutex, UnknownMechanismsAreRefusedWithTheList) {
  for (auto arg :
       {"", "semaphore", "lockfile:/var/lock/x", "posix", "/var/run/ssl_mutex", "fcntl2:/x"}) {
    auto r = parse_legacy_mutex(arg);
    ASSERT_FALSE(r) << arg;
    expect_error_names(r.error(), {"SSLMutex", "'" + std::string(arg) + "'", "unknown",
                                   "file[:/path/to/lockfile]", "posixsem", "pthread"});
  }
}

TEST(ParseLegacyMutex, PathsOnNonFileMechanismsAreRefused) {
  for (auto arg : {"sem:/var/lock/x", "posixsem:/x", "sysvsem:/x", "pthread:/x", "none:/x",
                   "default:/x", "yes:/x"}) {
    auto r = parse_legacy_mutex(arg);
    ASSERT_FALSE(r) << arg;
    expect_error_names(r.error(), {"SSLMutex", "'" + std::string(arg) + "'", "takes no path"});
  }
}

TEST(SessionCacheDirective, DefaultIsHttpdsDefaultProviderShmcb) {
  auto v = parse_session_cache("default");
  ASSERT_TRUE(v) << v.error();
  EXPECT_EQ(v->kind, Kind::Shmcb);
  EXPECT_TRUE(v->path_or_args.empty());
  EXPECT_EQ(v->bytes, kShmcbDefaultBytes);
}

}  // namespace
}  // namespace modssl::config
