// A fleet: two httpd instances behind one name, sharing their TLS session cache through a real
// memcached (SSLSessionCache memcache:...) or redis-server (SSLSessionCache redis:...), the
// socache providers of Debian's mod_socache_memcache and mod_socache_redis. Session tickets are
// off, so resumption can only come from the shared cache: a session got from one instance
// resumes on the other, over TLS 1.2 and 1.3, both ways. When the cache server goes away,
// clients still get full handshakes and nothing crashes.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <tuple>

#include <openssl/ssl.h>

#include "http.h"
#include "httpd.h"
#include "kv_server.h"
#include "scoped_env.h"
#include "tls_client.h"
#include "vhost_config.h"

namespace modssl::it {
namespace {

using namespace std::chrono_literals;
using Kind = KvServer::Kind;

std::string kind_name(Kind k) {
  return k == Kind::kMemcached ? "memcache" : "redis";
}
std::string version_name(int v) {
  return v == TLS1_3_VERSION ? "tls13" : "tls12";
}

// One connection with one request: did it work, did it resume the offered session, and the
// session to offer next time (taken after the whole response, so TLS 1.3 tickets are in).
struct Visit {
  bool ok = false;
  int status = 0;
  bool resumed = false;
  std::shared_ptr<SSL_SESSION> session;
  std::string error;
};

Visit visit(int port, int version, std::shared_ptr<SSL_SESSION> offer = nullptr) {
  Visit v;
  TlsClient c(port, {.min_version = version,
                     .max_version = version,
                     .session = std::move(offer),
                     .timeout = 10s});
  if (!c.ok()) {
    v.error = c.error();
    return v;
  }
  v.resumed = c.resumed();
  if (!c.write(get_request("/", {.close = true}))) {
    v.error = "write failed";
    return v;
  }
  auto responses = parse_responses(c.read_to_close());
  v.status = responses.empty() ? 0 : responses.front().status;
  v.ok = v.status == 200;
  if (!v.ok) v.error = "no 200 response";
  v.session = c.session();
  return v;
}

// Two instances with the same certificate, ServerName and cache. The ServerName is the one a
// load balancer would front them with: the session id context that a resumed session must
// match is derived from the virtual host's name and port, and the two listen on different
// local ports here.
class Fleet {
 public:
  // `b_module`: a mod_ssl.so for instance B other than the module under test (a fleet half
  // way through a migration); empty for the module under test on both.
  explicit Fleet(Kind kind, std::string b_module = "")
      : kv_(kind), b_module_(std::move(b_module)) {}

  bool start(std::string* why) {
    if (!kv_.ok()) {
      *why = kv_.error();
      return false;
    }
    const CertFiles cert = a_.make_cert("localhost");
    for (Httpd* h : {&a_, &b_}) {
      h->load_module(kv_.socache_module());
      h->configure("SSLSessionCache " + kv_.session_cache() + "\nSSLSessionCacheTimeout 300\n" +
                   tls_vhost(cert, "  ServerName localhost:443\n  SSLSessionTickets off\n"));
      std::optional<ScopedEnv> module;
      if (h == &b_ && !b_module_.empty()) module.emplace("MODSSL_UNDER_TEST", b_module_);
      if (!h->start()) {
        *why = h->startup_log();
        return false;
      }
    }
    return true;
  }

  KvServer& kv() { return kv_; }
  Httpd& a() { return a_; }
  Httpd& b() { return b_; }
  std::string logs() const {
    return "--- A's error log:\n" + a_.error_log() + "--- B's error log:\n" + b_.error_log() +
           "--- cache server:\n" + kv_.output();
  }
  // A crashed child shows up in the parent's log as "exit signal ...".
  bool crashed() const {
    return a_.error_log().find("exit signal") != std::string::npos ||
           b_.error_log().find("exit signal") != std::string::npos;
  }

 private:
  KvServer kv_;  // started first, gone last
  std::string b_module_;
  Httpd a_;
  Httpd b_;
};

// A session from instance A resumes on B, and one from B resumes on A.
void expect_resumption_both_ways(Fleet& fleet, int version) {
  const int a = fleet.a().port("tls");
  const int b = fleet.b().port("tls");

  struct Direction {
    const char* name;
    int from, to;
  };
  for (const Direction& d : {Direction{"A to B", a, b}, Direction{"B to A", b, a}}) {
    SCOPED_TRACE(d.name);
    Visit first = visit(d.from, version);
    ASSERT_TRUE(first.ok) << first.error << "\n" << fleet.logs();
    EXPECT_FALSE(first.resumed);
    ASSERT_TRUE(first.session);
    Visit second = visit(d.to, version, first.session);
    ASSERT_TRUE(second.ok) << second.error << "\n" << fleet.logs();
    EXPECT_TRUE(second.resumed) << "the session of one instance did not resume on the other\n"
                                << fleet.logs();
  }
  EXPECT_FALSE(fleet.crashed()) << fleet.logs();
}

class SessionFleet : public ::testing::TestWithParam<std::tuple<Kind, int>> {};

TEST_P(SessionFleet, SessionResumesOnTheOtherInstance) {
  const auto& [kind, version] = GetParam();
  Fleet fleet(kind);
  std::string why;
  ASSERT_TRUE(fleet.start(&why)) << why;
  expect_resumption_both_ways(fleet, version);
}

// The cache server dies (killed, like a lost cache host) while both instances run: clients
// still get full handshakes and their pages, a session offered is simply not resumed, and no
// server process crashes.
TEST_P(SessionFleet, CacheServerDownMeansFullHandshakes) {
  const auto& [kind, version] = GetParam();
  Fleet fleet(kind);
  std::string why;
  ASSERT_TRUE(fleet.start(&why)) << why;
  const int a = fleet.a().port("tls");
  const int b = fleet.b().port("tls");

  Visit before = visit(a, version);
  ASSERT_TRUE(before.ok) << before.error << "\n" << fleet.logs();
  fleet.kv().stop();

  for (int round = 0; round < 3; ++round) {
    for (int port : {a, b}) {
      SCOPED_TRACE("round " + std::to_string(round) + (port == a ? " on A" : " on B"));
      Visit offered = visit(port, version, before.session);
      ASSERT_TRUE(offered.ok) << offered.error << "\n" << fleet.logs();
      EXPECT_FALSE(offered.resumed) << "resumed a session although the cache server is gone";
      Visit fresh = visit(port, version);
      ASSERT_TRUE(fresh.ok) << fresh.error << "\n" << fleet.logs();
      // Nothing stored, so a session of this instance does not resume on it either.
      Visit again = visit(port, version, fresh.session);
      ASSERT_TRUE(again.ok) << again.error << "\n" << fleet.logs();
      EXPECT_FALSE(again.resumed);
    }
  }
  // The provider says so in the error log (mod_socache_memcache: AH00790 "scache_mc: error
  // setting key ...", mod_socache_redis: AH03478 "scache_rd: error setting key ..."), once per
  // failed store; the module itself adds nothing at LogLevel info.
  EXPECT_TRUE(fleet.a().wait_for_log("error setting key", 5s)) << fleet.logs();
  EXPECT_TRUE(fleet.a().running());
  EXPECT_TRUE(fleet.b().running());
  EXPECT_FALSE(fleet.crashed()) << fleet.logs();
}

INSTANTIATE_TEST_SUITE_P(Backends, SessionFleet,
                         ::testing::Combine(::testing::Values(Kind::kMemcached, Kind::kRedis),
                                            ::testing::Values(TLS1_2_VERSION, TLS1_3_VERSION)),
                         [](const auto& info) {
                           return kind_name(std::get<0>(info.param)) + "_" +
                                  version_name(std::get<1>(info.param));
                         });

// A fleet half way through a migration: A runs the module under test, B Debian's stock
// mod_ssl, and sessions still resume both ways. This takes the same cache keys (below) and the
// same session id context: stock's is the lower-case hex MD5 of "<ServerName>:<port>". (Under
// MODSSL_UNDER_TEST both are the stock module, and the test holds trivially.)
constexpr const char* kStockModule = "/usr/lib/apache2/modules/mod_ssl.so";

class MixedFleet : public ::testing::TestWithParam<std::tuple<Kind, int>> {};

TEST_P(MixedFleet, SessionResumesBetweenThisModuleAndStock) {
  if (!std::filesystem::exists(kStockModule)) GTEST_SKIP() << kStockModule << " not installed";
  const auto& [kind, version] = GetParam();
  Fleet fleet(kind, kStockModule);
  std::string why;
  ASSERT_TRUE(fleet.start(&why)) << why;
  expect_resumption_both_ways(fleet, version);
}

INSTANTIATE_TEST_SUITE_P(Backends, MixedFleet,
                         ::testing::Combine(::testing::Values(Kind::kMemcached, Kind::kRedis),
                                            ::testing::Values(TLS1_2_VERSION, TLS1_3_VERSION)),
                         [](const auto& info) {
                           return kind_name(std::get<0>(info.param)) + "_" +
                                  version_name(std::get<1>(info.param));
                         });

// Sessions are kept under the consumer name stock mod_ssl gives the provider ("mod_ssl-sess",
// so keys "mod_ssl-sess:<hex id>"): a fleet that mixes this module and the stock one during a
// migration shares its sessions.
class SessionFleetKeys : public ::testing::TestWithParam<Kind> {};

TEST_P(SessionFleetKeys, SessionsAreStoredUnderStockConsumerName) {
  Fleet fleet(GetParam());
  std::string why;
  ASSERT_TRUE(fleet.start(&why)) << why;
  Visit v = visit(fleet.a().port("tls"), TLS1_2_VERSION);
  ASSERT_TRUE(v.ok) << v.error << "\n" << fleet.logs();
  const auto keys = fleet.kv().keys();
  std::string all;
  bool found = false;
  for (const std::string& k : keys) {
    all += k + "\n";
    found = found || k.rfind("mod_ssl-sess:", 0) == 0;
  }
  EXPECT_TRUE(found) << "keys in the cache server:\n" << all;
}

INSTANTIATE_TEST_SUITE_P(Backends, SessionFleetKeys,
                         ::testing::Values(Kind::kMemcached, Kind::kRedis),
                         [](const auto& info) { return kind_name(info.param); });

}  // namespace
}  // namespace modssl::it
