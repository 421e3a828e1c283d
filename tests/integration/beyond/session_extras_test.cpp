// Beyond the stock module, around the session cache and tickets:
// - SSLSessionTicketKeyRotation (ours): without a key file, ticket keys are derived per period
//   from a master secret the parent holds. A ticket from an older period still resumes and is
//   replaced by one under the current key; every child uses the same keys; a ticket older than
//   its lifetime does not resume.
// - mod_status: /server-status shows the session cache and the ticket keys (TLSSession* lines
//   in ?auto, a table in the HTML page), for shmcb and dbm; a full shmcb evicts.
// - Mutex ssl-cache: a flock lock file the children (User nobody) cannot reopen stops start-up
//   with a message that names the directory, the user and the fix; fcntl needs no reopening;
//   'Mutex none' is ignored with a warning (the shared cache needs a lock).
// - SSLMutex (mod_ssl 2.2) is applied as the Mutex line it stands for, with a warning;
//   an unknown mechanism is refused.
// - An SSLSessionCache provider whose module is not loaded is refused at configtest, with the
//   LoadModule line that would fix it.
// (Sessions and tickets outliving a graceful restart: session_cache_beyond_test.cpp.)
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <openssl/ssl.h>

#include "handshake_step.h"
#include "http.h"
#include "httpd.h"
#include "text_search.h"
#include "tls_client.h"
#include "vhost_config.h"

namespace modssl::it {
namespace {

using namespace std::chrono_literals;

TlsOptions at(int version, std::shared_ptr<SSL_SESSION> session = nullptr) {
  return {.min_version = version,
          .max_version = version,
          .session = std::move(session),
          .timeout = 10s};
}

std::string version_name(int version) {
  return version == TLS1_3_VERSION ? "TLS 1.3" : "TLS 1.2";
}

// A copy for each connection (OpenSSL marks a session whose connection ends without a shutdown
// as not resumable). Its client-side clock restarts now, so that the client offers it however
// old it is (a TLS 1.3 client drops a ticket older than its lifetime hint) and the server alone
// decides whether the session is still good: the server reads the session's creation time and
// timeout from the ticket, not from the client.
std::shared_ptr<SSL_SESSION> copy_of(const std::shared_ptr<SSL_SESSION>& session) {
  if (!session) return nullptr;
  SSL_SESSION* dup = SSL_SESSION_dup(session.get());
  if (dup) {
    SSL_SESSION_set_time(dup, static_cast<long>(std::time(nullptr)));
    SSL_SESSION_set_timeout(dup, 3600);
  }
  return {dup, SSL_SESSION_free};
}

// The ticket's key name (its first 16 bytes) in hex; "" when the session has no ticket.
std::string key_name(const std::shared_ptr<SSL_SESSION>& session) {
  if (!session || !SSL_SESSION_has_ticket(session.get())) return "";
  const unsigned char* tick = nullptr;
  size_t len = 0;
  SSL_SESSION_get0_ticket(session.get(), &tick, &len);
  if (!tick || len < 16) return "";
  std::string out;
  char buf[3];
  for (size_t i = 0; i < 16; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", tick[i]);
    out += buf;
  }
  return out;
}

// One request on a connection, kept open (its child stays busy under prefork); the session
// after the response (TLS 1.3 tickets arrive after the handshake).
struct Visit {
  std::unique_ptr<TlsClient> client;
  bool ok = false;
  bool resumed = false;
  std::shared_ptr<SSL_SESSION> session;
};

Visit visit(int port, int version, const std::shared_ptr<SSL_SESSION>& offer = nullptr) {
  Visit v;
  v.client = std::make_unique<TlsClient>(port, at(version, copy_of(offer)));
  if (!v.client->ok() || !v.client->write(get_request("/"))) return v;
  if (read_response(*v.client, 10s).status != 200) return v;
  v.ok = true;
  v.resumed = v.client->resumed();
  v.session = v.client->session();
  return v;
}

bool resumes(int port, int version, const std::shared_ptr<SSL_SESSION>& session) {
  TlsClient c(port, at(version, copy_of(session)));
  return c.ok() && c.resumed();
}

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Sleeps until 0.1 s into the next rotation period (periods are floor(unix time / interval)),
// so that what follows has the rest of the period to itself. Returns that moment.
double wait_for_period_start(int interval_s) {
  const double now = unix_now();
  const double next = (static_cast<long long>(now) / interval_s + 1) * interval_s + 0.1;
  std::this_thread::sleep_for(std::chrono::duration<double>(next - now));
  return next;
}

void sleep_until(double unix_time) {
  const double now = unix_now();
  if (unix_time > now) std::this_thread::sleep_for(std::chrono::duration<double>(unix_time - now));
}

// --- SSLSessionTicketKeyRotation -------------------------------------------------------------

class SessionExtrasTicketRotation : public ::testing::TestWithParam<int> {};

// Rotation every 2 s, tickets good for 3 s; no session cache, so only tickets resume. Prefork:
// connections held open at the same time are served by different children.
TEST_P(SessionExtrasTicketRotation, KeysRotateTicketsRenewAndExpire) {
  MODSSL_SKIP_UNLESS_OURS();
  const int version = GetParam();
  SCOPED_TRACE(version_name(version));
  Httpd h("prefork");
  configure_tls_vhost(h, {.server_lines = "SSLSessionTicketKeyRotation 2\n"
                                          "SSLSessionCacheTimeout 3",
                          .vhost_lines = "SSLSessionTickets on"});
  ASSERT_TRUE(h.start()) << h.startup_log();
  const int port = h.port("tls");
  // Let all children come up before the timed part.
  ASSERT_TRUE(visit(port, version).ok) << h.error_log();

  const double t0 = wait_for_period_start(2);
  // Period n: the first ticket, its connection kept open.
  Visit origin = visit(port, version);
  ASSERT_TRUE(origin.ok) << h.error_log();
  const std::string k0 = key_name(origin.session);
  ASSERT_EQ(k0.size(), 32u) << "no ticket from the server";
  {
    // Three more connections at once, each in another child (the origin's child is busy):
    // all resume the ticket, and the tickets they get carry the same key name.
    std::vector<Visit> held;
    for (int i = 0; i < 3; ++i) {
      SCOPED_TRACE("concurrent resumption " + std::to_string(i));
      held.push_back(visit(port, version, origin.session));
      ASSERT_TRUE(held.back().ok) << h.error_log();
      EXPECT_TRUE(held.back().resumed) << h.error_log();
      EXPECT_EQ(key_name(held.back().session), k0);
    }
  }
  // Fresh full handshakes within the same period: the same key name each time.
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE("full handshake " + std::to_string(i));
    Visit v = visit(port, version);
    ASSERT_TRUE(v.ok) << h.error_log();
    EXPECT_FALSE(v.resumed);
    EXPECT_EQ(key_name(v.session), k0);
  }
  ASSERT_LT(unix_now(), t0 + 1.8) << "the period-n part took too long to stay in one period";
  origin.client.reset();

  // Period n+1: the old ticket still resumes, and the server replaces it with one under the
  // new key.
  sleep_until(t0 + 2.5);
  Visit renewed = visit(port, version, origin.session);
  ASSERT_TRUE(renewed.ok) << h.error_log();
  EXPECT_TRUE(renewed.resumed) << "a ticket of the previous period did not resume\n"
                               << h.error_log();
  const std::string k1 = key_name(renewed.session);
  EXPECT_EQ(k1.size(), 32u);
  EXPECT_NE(k1, k0) << "the resumed connection got no ticket under the new key";
  // A full handshake in this period: the same new key.
  Visit fresh = visit(port, version);
  ASSERT_TRUE(fresh.ok) << h.error_log();
  EXPECT_EQ(key_name(fresh.session), k1);
  EXPECT_NE(key_name(fresh.session), k0) << "tickets of different periods share a key name";
  EXPECT_TRUE(resumes(port, version, renewed.session)) << h.error_log();
  renewed.client.reset();
  fresh.client.reset();

  // Past the 3 s lifetime, while period n's key still decrypts (periods n+2, n+1 and n): the
  // session's own timeout must refuse it. OpenSSL keeps session times in whole seconds and
  // expires a session once more than `timeout` seconds have passed, so the ticket made in
  // second 2n is good up to second 2n+3 and refused from 2n+4: t0 + 4.5.
  sleep_until(t0 + 4.5);
  EXPECT_FALSE(resumes(port, version, origin.session))
      << "a ticket older than SSLSessionCacheTimeout resumed";
  EXPECT_TRUE(resumes(port, version, fresh.session)) << h.error_log();
}

INSTANTIATE_TEST_SUITE_P(Versions, SessionExtrasTicketRotation,
                         ::testing::Values(TLS1_2_VERSION, TLS1_3_VERSION),
                         modssl::testing::tls_version_param_name);

// --- /server-status --------------------------------------------------------------------------

const char* kStatusLocation =
    "<Location /server-status>\n  SetHandler server-status\n</Location>\n";

// Two vhosts: "cache" (tickets off: sessions resume from the cache) and "tickets".
void configure_status_server(Httpd& h, const std::string& cache_line) {
  h.load_module("status");
  h.configure(cache_line + "\n" + kStatusLocation + listen_https("cache") +
              listen_https("tickets") +
              tls_virtual_host("cache", certificate_lines(h.make_cert("cache")) +
                                            "  SSLSessionTickets off\n") +
              tls_virtual_host("tickets", certificate_lines(h.make_cert("tickets")) +
                                              "  SSLSessionTickets on\n"));
}

// "Name: value" lines of /server-status?auto.
std::map<std::string, std::string> status_auto(int port) {
  std::map<std::string, std::string> out;
  HttpResponse r = https_request(port, "/server-status?auto", at(TLS1_2_VERSION));
  std::istringstream in(r.body);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto colon = line.find(": ");
    if (colon != std::string::npos) out[line.substr(0, colon)] = line.substr(colon + 2);
  }
  return out;
}

std::string dump(const std::map<std::string, std::string>& m) {
  std::string out;
  for (const auto& [k, v] : m) out += k + ": " + v + "\n";
  return out;
}

bool is_number(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

long long number(const std::map<std::string, std::string>& m, const std::string& key) {
  auto it = m.find(key);
  return it != m.end() && is_number(it->second) ? std::stoll(it->second) : -1;
}

// A full handshake, then `n` resumptions of its session on the cache vhost (TLS 1.2).
int resume_from_cache(Httpd& h, int n) {
  const int port = h.port("cache");
  Visit first = visit(port, TLS1_2_VERSION);
  if (!first.ok) return 0;
  int resumed = 0;
  for (int i = 0; i < n; ++i) resumed += resumes(port, TLS1_2_VERSION, first.session) ? 1 : 0;
  return resumed;
}

void expect_status_lines(Httpd& h, const std::string& type, int resumptions) {
  const auto st = status_auto(h.port("cache"));
  const std::string all = dump(st);
  EXPECT_EQ(st.count("TLSSessionCacheType") ? st.at("TLSSessionCacheType") : "", type) << all;
  EXPECT_GE(number(st, "TLSSessionCacheHits"), resumptions) << all;
  EXPECT_GE(number(st, "TLSSessionCacheStores"), 1) << all;
  for (const char* key : {"TLSSessionCacheEntries", "TLSSessionCacheEvicted",
                          "TLSSessionCacheExpired", "TLSSessionTicketKeyAgeSeconds"}) {
    EXPECT_TRUE(st.count(key)) << key << " missing:\n" << all;
  }
  // shmcb counts what it holds; a DBM may not know without a walk.
  if (type == "shmcb") {
    EXPECT_GE(number(st, "TLSSessionCacheEntries"), 1) << all;
  }
  EXPECT_GE(number(st, "TLSSessionTicketKeyAgeSeconds"), 0) << all;
  EXPECT_EQ(st.count("TLSSessionTicketKeys") ? st.at("TLSSessionTicketKeys") : "",
            "generated, rotating")
      << all;
}

TEST(SessionExtrasStatus, ShmcbAutoAndHtml) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h;
  configure_status_server(h, "SSLSessionCache shmcb:" + h.path("run/scache") + "(512000)");
  ASSERT_TRUE(h.start()) << h.startup_log();
  const int resumed = resume_from_cache(h, 5);
  ASSERT_EQ(resumed, 5) << h.error_log();
  expect_status_lines(h, "shmcb", resumed);

  HttpResponse page = https_request(h.port("cache"), "/server-status", at(TLS1_2_VERSION));
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_TRUE(contains(page.body, "TLS session cache and ticket keys")) << page.body;
  EXPECT_TRUE(contains(page.body, "<table>")) << page.body;
  EXPECT_TRUE(contains(page.body, "<th align=\"left\">CacheHits</th>")) << page.body;
  EXPECT_TRUE(contains(page.body, "<td>shmcb</td>")) << page.body;
  EXPECT_TRUE(contains(page.body, "generated, rotating")) << page.body;
}

TEST(SessionExtrasStatus, DbmAuto) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h;
  configure_status_server(h, "SSLSessionCache dbm:" + h.path("run/scache.dbm"));
  ASSERT_TRUE(h.start()) << h.startup_log();
  const int resumed = resume_from_cache(h, 4);
  ASSERT_EQ(resumed, 4) << h.error_log();
  expect_status_lines(h, "dbm", resumed);
}

// 8 KB hold a few dozen TLS 1.2 sessions at most: 80 full handshakes evict, and the newest
// session still resumes.
TEST(SessionExtrasStatus, TinyShmcbEvicts) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h;
  configure_status_server(h, "SSLSessionCache shmcb:" + h.path("run/tiny") + "(8192)");
  ASSERT_TRUE(h.start()) << h.startup_log();
  const int port = h.port("cache");
  std::shared_ptr<SSL_SESSION> last;
  for (int i = 0; i < 80; ++i) {
    TlsClient c(port, at(TLS1_2_VERSION));
    ASSERT_TRUE(c.ok()) << c.error();
    last = c.session();
  }
  ASSERT_TRUE(last);
  EXPECT_TRUE(resumes(port, TLS1_2_VERSION, last)) << h.error_log();
  const auto st = status_auto(port);
  EXPECT_GT(number(st, "TLSSessionCacheEvicted"), 0) << dump(st);
  EXPECT_GE(number(st, "TLSSessionCacheHits"), 1) << dump(st);
}

// --- Mutex ssl-cache -------------------------------------------------------------------------

// A lock directory <root>/locked/lock whose parent has `parent_mode`, owned by root.
std::string make_lock_dir(Httpd& h, mode_t parent_mode) {
  h.write("locked/lock/.keep", "");
  ::chmod(h.path("locked/lock").c_str(), 0755);
  ::chmod(h.path("locked").c_str(), parent_mode);
  return h.path("locked/lock");
}

void configure_mutex_server(Httpd& h, const std::string& mutex_line) {
  configure_tls_vhost(h, {.server_lines = "SSLSessionCache shmcb:" + h.path("run/scache") +
                                          "(512000)\n" + mutex_line,
                          .vhost_lines = "SSLSessionTickets off"});
}

// Sessions resume from the cache (tickets off), also in other children (prefork, the first
// connection held open).
void expect_cache_resumption(Httpd& h) {
  const int port = h.port("tls");
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    SCOPED_TRACE(version_name(version));
    Visit first = visit(port, version);
    ASSERT_TRUE(first.ok) << h.error_log();
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(resumes(port, version, first.session)) << h.error_log();
  }
}

TEST(SessionExtrasMutex, FlockBehindClosedDirectoryStopsStartup) {
  MODSSL_SKIP_UNLESS_OURS();
  if (geteuid() != 0) GTEST_SKIP() << "needs root (children drop to User nobody)";
  Httpd h("prefork");
  const std::string dir = make_lock_dir(h, 0700);
  configure_mutex_server(h, "Mutex flock:" + dir + " ssl-cache");
  EXPECT_FALSE(h.start(10s)) << "started with a lock file the children cannot reopen";
  h.wait_for_exit(10s);
  const std::string log = h.startup_log();
  const auto lines = lines_with(log, {h.path("locked"), "'nobody'", "chmod o+x"});
  EXPECT_FALSE(lines.empty()) << log;
}

TEST(SessionExtrasMutex, FlockBehindOpenDirectoryWorks) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h("prefork");
  const std::string dir = make_lock_dir(h, 0755);
  configure_mutex_server(h, "Mutex flock:" + dir + " ssl-cache");
  ASSERT_TRUE(h.start()) << h.startup_log();
  expect_cache_resumption(h);
}

TEST(SessionExtrasMutex, FcntlBehindClosedDirectoryWorks) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h("prefork");
  const std::string dir = make_lock_dir(h, 0700);
  configure_mutex_server(h, "Mutex fcntl:" + dir + " ssl-cache");
  ASSERT_TRUE(h.start()) << h.startup_log();
  expect_cache_resumption(h);
}

// httpd refuses 'Mutex none' for a mutex type registered without AP_MUTEX_ALLOW_NONE ("None is
// not allowed for mutex type ssl-cache", as with the stock module); ours accepts it and uses
// the default lock instead.
TEST(SessionExtrasMutex, NoneIsIgnoredWithAWarning) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h("prefork");
  configure_mutex_server(h, "Mutex none ssl-cache");
  ASSERT_TRUE(h.start()) << h.startup_log();
  EXPECT_FALSE(lines_with(h.startup_log(), {"'Mutex none'", "ssl-cache", "ignored"}).empty())
      << h.startup_log();
  expect_cache_resumption(h);
}

// --- SSLMutex (mod_ssl 2.2) ------------------------------------------------------------------

// 2.2 named the lock file; the Mutex directive takes its directory.
TEST(SessionExtrasLegacyMutex, FlockFileIsAppliedAsMutexWithAWarning) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h("prefork");
  configure_mutex_server(h, "SSLMutex flock:" + h.path("run/ssl_mutex"));
  ASSERT_TRUE(h.start()) << h.startup_log();
  const std::string modern = "Mutex flock:" + h.path("run") + " ssl-cache";
  EXPECT_FALSE(lines_with(h.startup_log(), {"SSLMutex", "obsolete", modern}).empty())
      << "expected a warning naming '" << modern << "':\n"
      << h.startup_log();
  expect_cache_resumption(h);
}

TEST(SessionExtrasLegacyMutex, UnknownMechanismIsRefused) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h;
  configure_mutex_server(h, "SSLMutex bogus");
  ProcessResult r = h.configtest();
  ASSERT_FALSE(r.timed_out);
  EXPECT_NE(r.exit_code, 0) << r.all();
  EXPECT_FALSE(lines_with(r.all(), {"SSLMutex", "bogus", "flock", "fcntl", "sysvsem", "posixsem",
                                    "pthread"})
                   .empty())
      << r.all();
}

// --- A provider whose module is not loaded ---------------------------------------------------

TEST(SessionExtrasProvider, MemcacheWithoutItsModuleNamesTheLoadModuleLine) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h;
  configure_tls_vhost(h, {.server_lines = "SSLSessionCache memcache:127.0.0.1:11211"});
  ProcessResult r = h.configtest();
  ASSERT_FALSE(r.timed_out);
  EXPECT_NE(r.exit_code, 0) << r.all();
  EXPECT_TRUE(contains(r.all(), "LoadModule socache_memcache_module")) << r.all();
  EXPECT_TRUE(contains(r.all(), "/usr/lib/apache2/modules/mod_socache_memcache.so")) << r.all();
}

}  // namespace
}  // namespace modssl::it
