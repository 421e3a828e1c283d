// Session resumption as mod_ssl 2.4 does it: SSLSessionCache (shmcb, dbm, none, nonenotnull),
// SSLSessionCacheTimeout, SSLSessionTickets and SSLSessionTicketKeyFile. (mod_ssl 2.4 no longer
// knows 2.2's "shm:" spelling: "'shm' session cache not supported (known names: default,shmcb)".
// Ours still takes it as shmcb: beyond/session_cache_alias_test.cpp.)
// Under prefork the session's first connection is kept open while it is resumed, so every
// resumption happens in another child and has to go through the shared cache (or a ticket key
// the children share). The stock module takes the shmcb and dbm providers from
// mod_socache_shmcb / mod_socache_dbm; ours has them built in (Httpd::load_module_if_stock).
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <openssl/ssl.h>

#include "data.h"
#include "http.h"
#include "httpd.h"
#include "text_search.h"
#include "tls_client.h"
#include "vhost_config.h"

namespace modssl::it {
namespace {

using namespace std::chrono_literals;

constexpr int kResumptions = 20;

std::string version_name(int version) {
  return version == TLS1_3_VERSION ? "tls13" : "tls12";
}

// A log of who served what: "<pid> <Initial|Resumed> <protocol>" a request.
constexpr const char* kSessionLog =
    "LogFormat \"%P %{SSL_SESSION_RESUMED}x %{SSL_PROTOCOL}x\" sessions\n"
    "CustomLog \"@ROOT@/logs/sessions.log\" sessions\n";

// The provider module the stock module needs for `spec` ("shmcb:...", "dbm:..."), if any.
void load_cache_provider(Httpd& h, const std::string& spec) {
  if (spec.rfind("shm", 0) == 0) h.load_module_if_stock("socache_shmcb");
  if (spec.rfind("dbm", 0) == 0) h.load_module_if_stock("socache_dbm");
}

TlsOptions at(int version, std::shared_ptr<SSL_SESSION> session = nullptr,
              const std::string& sni = "localhost") {
  return {.sni = sni,
          .min_version = version,
          .max_version = version,
          .session = std::move(session),
          .timeout = 10s};
}

// A connection that has made one keep-alive request: its session (TLS 1.3 tickets have arrived
// by then) and, while it stays open, a prefork child that serves no one else.
struct Origin {
  std::unique_ptr<TlsClient> client;
  std::shared_ptr<SSL_SESSION> session;
};

Origin open_origin(int port, int version, const std::string& sni = "localhost") {
  Origin o;
  o.client = std::make_unique<TlsClient>(port, at(version, nullptr, sni));
  if (!o.client->ok()) return o;
  if (!o.client->write(get_request("/"))) return o;
  if (read_response(*o.client, 10s).status != 200) return o;
  o.session = o.client->session();
  return o;
}

// The session of one request on a connection of its own (closed again).
std::shared_ptr<SSL_SESSION> fetch_session(int port, int version,
                                           const std::string& sni = "localhost") {
  return open_origin(port, version, sni).session;
}

// A copy of `session` for one connection: OpenSSL marks the session of a connection that ends
// without a shutdown (as TlsClient's do) not resumable, and the same session is offered again.
std::shared_ptr<SSL_SESSION> copy_of(const std::shared_ptr<SSL_SESSION>& session) {
  return {session ? SSL_SESSION_dup(session.get()) : nullptr, SSL_SESSION_free};
}

// A new connection offering `session`: did it resume, and was the request served?
bool resumes(int port, int version, const std::shared_ptr<SSL_SESSION>& session,
             const std::string& sni = "localhost") {
  TlsClient c(port, at(version, copy_of(session), sni));
  if (!c.ok()) return false;
  const bool resumed = c.resumed();
  if (!c.write(get_request("/", {.close = true}))) return false;
  auto responses = parse_responses(c.read_to_close());
  return resumed && !responses.empty() && responses.front().status == 200;
}

// How many of `n` new connections offering `session` resumed it.
int count_resumed(int port, int version, const std::shared_ptr<SSL_SESSION>& session, int n) {
  int resumed = 0;
  for (int i = 0; i < n; ++i) resumed += resumes(port, version, session) ? 1 : 0;
  return resumed;
}

struct LogLine {
  std::string pid, resumed, protocol;
};

std::vector<LogLine> session_log(const Httpd& h) {
  std::vector<LogLine> out;
  std::istringstream in(read_file(h.path("logs/sessions.log")));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    LogLine l;
    fields >> l.pid >> l.resumed >> l.protocol;
    out.push_back(l);
  }
  return out;
}

// Waits until the log has `n` lines (a request is logged just after its response is sent).
std::vector<LogLine> wait_for_session_log(const Httpd& h, std::size_t n) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  auto lines = session_log(h);
  while (lines.size() < n && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
    lines = session_log(h);
  }
  return lines;
}

// One session, kResumptions resumptions on fresh connections while its first connection is
// still open; every one must resume. Under prefork the server's log must show them served by
// children other than the first connection's, by more than one of them.
void expect_every_resumption(Httpd& h, int version) {
  SCOPED_TRACE(version_name(version));
  const std::size_t logged_before = session_log(h).size();
  Origin origin = open_origin(h.port("tls"), version);
  ASSERT_TRUE(origin.session) << (origin.client ? origin.client->error() : "") << h.error_log();
  // httpd logs a request after its response has gone out: wait for the first request's line, so
  // that it comes before those of the resumptions.
  ASSERT_EQ(wait_for_session_log(h, logged_before + 1).size(), logged_before + 1);
  EXPECT_EQ(count_resumed(h.port("tls"), version, origin.session, kResumptions), kResumptions)
      << h.error_log();

  auto lines = wait_for_session_log(h, logged_before + 1 + kResumptions);
  ASSERT_EQ(lines.size(), logged_before + 1 + kResumptions);
  const LogLine& first = lines[logged_before];
  EXPECT_EQ(first.resumed, "Initial");
  std::set<std::string> pids;
  for (std::size_t i = logged_before + 1; i < lines.size(); ++i) {
    EXPECT_EQ(lines[i].resumed, "Resumed") << "request " << i;
    EXPECT_EQ(lines[i].protocol, version == TLS1_3_VERSION ? "TLSv1.3" : "TLSv1.2");
    pids.insert(lines[i].pid);
  }
  if (h.mpm() == "prefork") {
    EXPECT_EQ(pids.count(first.pid), 0u) << "a resumption was served by the session's own child";
    EXPECT_GE(pids.size(), 2u) << "all resumptions were served by one child";
  }
}

// --- shared caches with tickets off ------------------------------------------------------------

class SessionCacheShared : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

// The cache lines for each variant: a file of our own, the provider's default file (under
// DefaultRuntimeDir), and the cache's mutex placed with httpd's `Mutex` directive.
std::string shared_cache_lines(Httpd& h, const std::string& kind) {
  if (kind == "shmcb") return "SSLSessionCache shmcb:" + h.path("run/scache") + "(512000)";
  if (kind == "dbm") return "SSLSessionCache dbm:" + h.path("run/scache");
  if (kind == "shmcb_default") return "SSLSessionCache shmcb";
  if (kind == "dbm_default") return "SSLSessionCache dbm";
  if (kind == "shmcb_file_mutex") {
    return "SSLSessionCache shmcb:" + h.path("run/scache") +
           "(512000)\nMutex file:" + h.path("run") + " ssl-cache";
  }
  ADD_FAILURE() << "unknown cache variant " << kind;
  return "";
}

TEST_P(SessionCacheShared, EveryResumptionAcrossChildrenSucceeds) {
  const auto& [mpm, kind] = GetParam();
  Httpd h(mpm);
  load_cache_provider(h, kind);
  configure_tls_vhost(h, {.server_lines = shared_cache_lines(h, kind) + "\n" + kSessionLog,
                          .vhost_lines = "SSLSessionTickets off"});
  ASSERT_TRUE(h.start()) << h.startup_log();
  expect_every_resumption(h, TLS1_2_VERSION);
  expect_every_resumption(h, TLS1_3_VERSION);
}

INSTANTIATE_TEST_SUITE_P(Mpm, SessionCacheShared,
                         ::testing::Combine(::testing::Values("prefork", "event"),
                                            ::testing::Values("shmcb", "dbm", "shmcb_default",
                                                              "dbm_default", "shmcb_file_mutex")),
                         [](const auto& info) {
                           return std::get<0>(info.param) + "_" + std::get<1>(info.param);
                         });

// --- no cache -----------------------------------------------------------------------------------

// "none", "nonenotnull" and no SSLSessionCache line at all: with tickets off nothing resumes.
class SessionCacheNone : public ::testing::TestWithParam<std::string> {};

TEST_P(SessionCacheNone, TicketsOffNothingResumes) {
  const std::string& line = GetParam();
  Httpd h("prefork");
  configure_tls_vhost(h, {.server_lines = line, .vhost_lines = "SSLSessionTickets off"});
  ASSERT_TRUE(h.start()) << h.startup_log();
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    SCOPED_TRACE(version_name(version));
    auto session = fetch_session(h.port("tls"), version);
    ASSERT_TRUE(session) << h.error_log();
    EXPECT_EQ(count_resumed(h.port("tls"), version, session, 4), 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Lines, SessionCacheNone,
                         ::testing::Values("SSLSessionCache none", "SSLSessionCache nonenotnull",
                                           ""),
                         [](const auto& info) {
                           return info.param.empty() ? std::string("NoLine")
                                                     : info.param.substr(16);
                         });

// Tickets (the default) without any cache: stateless resumption, across prefork children too
// (they share the ticket keys made before they were forked).
class SessionCacheTicketsOnly : public ::testing::TestWithParam<std::string> {};

TEST_P(SessionCacheTicketsOnly, EveryResumptionSucceeds) {
  Httpd h(GetParam());
  configure_tls_vhost(h, {.server_lines = std::string("SSLSessionCache none\n") + kSessionLog,
                          .vhost_lines = "SSLSessionTickets on"});
  ASSERT_TRUE(h.start()) << h.startup_log();
  expect_every_resumption(h, TLS1_2_VERSION);
  expect_every_resumption(h, TLS1_3_VERSION);
}

INSTANTIATE_TEST_SUITE_P(Mpm, SessionCacheTicketsOnly, ::testing::Values("prefork", "event"));

// --- SSLSessionCacheTimeout --------------------------------------------------------------------

// A 2 s lifetime: sessions resume at once and no longer 3.5 s later, from the cache (tickets
// off) and from tickets (no cache). Two sessions per case, one for each check, so that a session
// used once (TLS 1.3 tickets from the cache are) does not decide the late one.
TEST(SessionCacheTimeout, SessionsExpire) {
  Httpd cached("event"), ticketed("event");
  load_cache_provider(cached, "shmcb");
  configure_tls_vhost(cached,
                      {.server_lines = "SSLSessionCache shmcb:" + cached.path("run/scache") +
                                       "(512000)\nSSLSessionCacheTimeout 2",
                       .vhost_lines = "SSLSessionTickets off"});
  configure_tls_vhost(ticketed, {.server_lines = "SSLSessionCacheTimeout 2",
                                 .vhost_lines = "SSLSessionTickets on"});
  ASSERT_TRUE(cached.start()) << cached.startup_log();
  ASSERT_TRUE(ticketed.start()) << ticketed.startup_log();

  struct Case {
    Httpd* h;
    int version;
    std::shared_ptr<SSL_SESSION> now, later;
  };
  std::vector<Case> cases;
  for (Httpd* h : {&cached, &ticketed}) {
    for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
      cases.push_back({h, version, fetch_session(h->port("tls"), version),
                       fetch_session(h->port("tls"), version)});
    }
  }
  for (Case& c : cases) {
    SCOPED_TRACE((c.h == &cached ? "cache " : "tickets ") + version_name(c.version));
    ASSERT_TRUE(c.now && c.later);
    EXPECT_TRUE(resumes(c.h->port("tls"), c.version, c.now)) << c.h->error_log();
  }
  std::this_thread::sleep_for(3500ms);
  for (Case& c : cases) {
    SCOPED_TRACE((c.h == &cached ? "cache " : "tickets ") + version_name(c.version));
    EXPECT_FALSE(resumes(c.h->port("tls"), c.version, c.later)) << "resumed after its timeout";
  }
}

// --- openssl s_client -sess_out / -sess_in ------------------------------------------------------

// s_client with -ign_eof sends the request and reads until the server closes, so a TLS 1.3
// session (sent after the handshake) is there to be saved.
ProcessResult s_client(int port, const std::string& version_flag, const std::string& sess_arg,
                       const std::string& sess_file) {
  return run({"openssl", "s_client", "-connect", "127.0.0.1:" + std::to_string(port), "-servername",
              "localhost", version_flag, sess_arg, sess_file, "-ign_eof"},
             {.stdin_data = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
              .timeout = 15s});
}

TEST(SessionCacheSClient, SessOutThenSessInIsReused) {
  Httpd h("prefork");
  load_cache_provider(h, "shmcb");
  configure_tls_vhost(h,
                      {.server_lines = "SSLSessionCache shmcb:" + h.path("run/scache") + "(512000)",
                       .vhost_lines = "SSLSessionTickets off"});
  ASSERT_TRUE(h.start()) << h.startup_log();
  for (const std::string flag : {"-tls1_2", "-tls1_3"}) {
    SCOPED_TRACE(flag);
    const std::string file = h.path("run/session" + flag + ".pem");
    ProcessResult first = s_client(h.port("tls"), flag, "-sess_out", file);
    ASSERT_EQ(first.exit_code, 0) << first.all();
    EXPECT_TRUE(contains(first.out, "New, TLSv1.")) << first.out;
    ASSERT_FALSE(read_file(file).empty()) << "s_client saved no session\n" << first.all();
    ProcessResult second = s_client(h.port("tls"), flag, "-sess_in", file);
    EXPECT_EQ(second.exit_code, 0) << second.all();
    EXPECT_TRUE(contains(second.out, "Reused, TLSv1.")) << second.out;
    EXPECT_TRUE(contains(second.out, "hello from modssl tests")) << second.out;
  }
}

// --- SSLSessionTicketKeyFile --------------------------------------------------------------------

// Two servers (as behind a load balancer: the same ServerName, so the same session id context)
// with the same 48-byte key file resume each other's tickets; with different key files they do
// not.
TEST(SessionCacheTicketKeyFile, SharedKeyFileResumesAcrossServers) {
  const std::string key = random_bytes(48, 0x71c4e7);
  const std::string other_key = random_bytes(48, 0x71c4e8);
  Httpd a("event"), b("event"), c("event");
  const std::string lines =
      "ServerName localhost:443\n  SSLSessionTickets on\n"
      "  SSLSessionTicketKeyFile ";
  configure_tls_vhost(a, {.vhost_lines = lines + a.write("certs/ticket.key", key, 0600)});
  configure_tls_vhost(b, {.vhost_lines = lines + b.write("certs/ticket.key", key, 0600)});
  configure_tls_vhost(c, {.vhost_lines = lines + c.write("certs/ticket.key", other_key, 0600)});
  ASSERT_TRUE(a.start()) << a.startup_log();
  ASSERT_TRUE(b.start()) << b.startup_log();
  ASSERT_TRUE(c.start()) << c.startup_log();
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    SCOPED_TRACE(version_name(version));
    auto from_a = fetch_session(a.port("tls"), version);
    ASSERT_TRUE(from_a) << a.error_log();
    EXPECT_TRUE(resumes(a.port("tls"), version, from_a)) << a.error_log();
    EXPECT_TRUE(resumes(b.port("tls"), version, from_a)) << b.error_log();
    EXPECT_FALSE(resumes(c.port("tls"), version, from_a)) << "resumed with another key";
    auto from_c = fetch_session(c.port("tls"), version);
    ASSERT_TRUE(from_c) << c.error_log();
    EXPECT_FALSE(resumes(b.port("tls"), version, from_c)) << "resumed with another key";
  }
}

// The stock module reads the first 48 bytes of the key file and ignores the rest: a longer file
// works, and two servers whose files start with the same 48 bytes share their tickets.
TEST(SessionCacheTicketKeyFile, LongerKeyFileUsesItsFirst48Bytes) {
  const std::string key = random_bytes(48, 0x71c4e9);
  Httpd a("event"), b("event");
  const std::string lines =
      "ServerName localhost:443\n  SSLSessionTickets on\n"
      "  SSLSessionTicketKeyFile ";
  configure_tls_vhost(a, {.vhost_lines = lines + a.write("certs/ticket.key", key + "\n", 0600)});
  configure_tls_vhost(
      b, {.vhost_lines = lines + b.write("certs/ticket.key", key + random_bytes(16, 9), 0600)});
  ASSERT_TRUE(a.start()) << a.startup_log();
  ASSERT_TRUE(b.start()) << b.startup_log();
  auto from_a = fetch_session(a.port("tls"), TLS1_2_VERSION);
  ASSERT_TRUE(from_a) << a.error_log();
  EXPECT_TRUE(resumes(b.port("tls"), TLS1_2_VERSION, from_a)) << b.error_log();
}

// --- refused configurations ---------------------------------------------------------------------

TEST(SessionCacheConfig, UnknownProviderIsRefused) {
  Httpd h;
  configure_tls_vhost(h, {.server_lines = "SSLSessionCache bogus:xyz"});
  ProcessResult r = h.configtest();
  ASSERT_FALSE(r.timed_out);
  EXPECT_NE(r.exit_code, 0) << r.all();
  EXPECT_FALSE(contains(r.all(), "Syntax OK")) << r.all();
  EXPECT_TRUE(contains(r.all(), "Syntax error on line ")) << r.all();
  EXPECT_FALSE(contains(r.all(), "Invalid command")) << "the directive is not known:\n" << r.all();
  EXPECT_TRUE(contains(r.all(), "SSLSessionCache")) << r.all();
  EXPECT_TRUE(contains(r.all(), "bogus")) << r.all();
  EXPECT_FALSE(h.start()) << "started with an unknown session cache";
}

// shmcb refuses less than 8 KiB of shared memory (mod_socache_shmcb: "size has to be >= 8192
// bytes").
TEST(SessionCacheConfig, TinyShmcbIsRefused) {
  Httpd h;
  load_cache_provider(h, "shmcb");
  configure_tls_vhost(h,
                      {.server_lines = "SSLSessionCache shmcb:" + h.path("run/scache") + "(1000)"});
  ProcessResult r = h.configtest();
  ASSERT_FALSE(r.timed_out);
  EXPECT_NE(r.exit_code, 0) << r.all();
  EXPECT_TRUE(contains(r.all(), "Syntax error on line ")) << r.all();
  EXPECT_FALSE(contains(r.all(), "Invalid command")) << "the directive is not known:\n" << r.all();
  EXPECT_TRUE(contains(r.all(), "SSLSessionCache")) << r.all();
  EXPECT_TRUE(contains(r.all(), "8192")) << r.all();
}

// The stock module reads the number with atoi(): only a negative one is refused ("abc" passes
// as 0), so that is the case both modules share.
TEST(SessionCacheConfig, NegativeTimeoutIsRefused) {
  Httpd h;
  configure_tls_vhost(h, {.server_lines = "SSLSessionCacheTimeout -5"});
  ProcessResult r = h.configtest();
  ASSERT_FALSE(r.timed_out);
  EXPECT_NE(r.exit_code, 0) << r.all();
  EXPECT_TRUE(contains(r.all(), "Syntax error on line ")) << r.all();
  EXPECT_FALSE(contains(r.all(), "Invalid command")) << "the directive is not known:\n" << r.all();
  EXPECT_TRUE(contains(r.all(), "SSLSessionCacheTimeout")) << r.all();
}

// A ticket key file of 47 bytes: the server does not start, and says which file. (The stock
// module finds this only at start-up, not in configtest: "AH02287: Failed to read 48 bytes
// from <file>: (70014) End of file found".)
TEST(SessionCacheTicketKeyFile, ShortKeyFileStopsStartup) {
  Httpd h;
  const std::string file = h.write("certs/ticket.key", random_bytes(47, 47), 0600);
  configure_tls_vhost(h, {.vhost_lines = "SSLSessionTicketKeyFile " + file});
  EXPECT_FALSE(h.start(10s)) << "started with a 47-byte ticket key file";
  h.wait_for_exit(10s);
  EXPECT_TRUE(contains(h.startup_log(), file)) << h.startup_log();
}

// --- session id context -------------------------------------------------------------------------

// Two name-based vhosts with their own certificates on one port: a session of a.example is not
// resumed when the client asks for b.example (TLS 1.2, session ids from the shared cache).
TEST(SessionCacheIdContext, SessionOfOneVhostIsNotResumedOnAnother) {
  Httpd h("event");
  load_cache_provider(h, "shmcb");
  CertFiles a = h.make_cert("a", {.common_name = "a.example", .dns_names = {"a.example"}});
  CertFiles b = h.make_cert("b", {.common_name = "b.example", .dns_names = {"b.example"}});
  h.configure("SSLSessionCache shmcb:" + h.path("run/scache") + "(512000)\n" + listen_https("tls") +
              tls_virtual_host("tls", "  ServerName a.example\n" + certificate_lines(a) +
                                          "  SSLSessionTickets off\n") +
              tls_virtual_host("tls", "  ServerName b.example\n" + certificate_lines(b) +
                                          "  SSLSessionTickets off\n"));
  ASSERT_TRUE(h.start()) << h.startup_log();
  auto from_a = fetch_session(h.port("tls"), TLS1_2_VERSION, "a.example");
  ASSERT_TRUE(from_a) << h.error_log();
  TlsClient on_a(h.port("tls"), at(TLS1_2_VERSION, copy_of(from_a), "a.example"));
  ASSERT_TRUE(on_a.ok()) << on_a.error();
  EXPECT_TRUE(on_a.resumed());
  TlsClient on_b(h.port("tls"), at(TLS1_2_VERSION, copy_of(from_a), "b.example"));
  ASSERT_TRUE(on_b.ok()) << on_b.error();
  EXPECT_FALSE(on_b.resumed()) << "a.example's session was resumed for b.example";
  EXPECT_TRUE(contains(on_b.peer_subject(), "b.example")) << on_b.peer_subject();
}

}  // namespace
}  // namespace modssl::it
