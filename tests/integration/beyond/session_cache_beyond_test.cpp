// Beyond the stock module: mod_ssl 2.2's "SSLSessionCache shm:path(bytes)" still works (2.4
// refuses it: "'shm' session cache not supported (known names: default,shmcb)"), as the shmcb
// cache shared by all children; an SSLSessionCacheTimeout that is not a number is refused (the
// stock module reads it with atoi(), so "abc" silently means 0); and sessions outlive a graceful
// restart (the stock module starts a new cache and new ticket keys with each generation, and
// in our runs did not even resume tickets made with an SSLSessionTicketKeyFile after one).
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
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

TlsOptions tls12(std::shared_ptr<SSL_SESSION> session = nullptr) {
  return {.min_version = TLS1_2_VERSION,
          .max_version = TLS1_2_VERSION,
          .session = std::move(session),
          .timeout = 10s};
}

TlsOptions at(int version, std::shared_ptr<SSL_SESSION> session = nullptr) {
  return {.min_version = version,
          .max_version = version,
          .session = std::move(session),
          .timeout = 10s};
}

// A copy for each connection: OpenSSL marks a session whose connection ends without a shutdown
// as not resumable.
std::shared_ptr<SSL_SESSION> copy_of(const std::shared_ptr<SSL_SESSION>& session) {
  return {session ? SSL_SESSION_dup(session.get()) : nullptr, SSL_SESSION_free};
}

// The session of one request (TLS 1.3 tickets arrive with the response).
std::shared_ptr<SSL_SESSION> fetch_session(int port, int version) {
  TlsClient c(port, at(version));
  if (!c.ok() || !c.write(get_request("/"))) return nullptr;
  if (read_response(c, 10s).status != 200) return nullptr;
  return c.session();
}

bool resumes(int port, int version, const std::shared_ptr<SSL_SESSION>& session) {
  TlsClient c(port, at(version, copy_of(session)));
  return c.ok() && c.resumed();
}

// Under prefork, with the session's first connection still open (its child busy), every
// resumption is served by another child: only the shared cache can resume it.
TEST(SessionCacheBeyond, ShmIsTheSharedShmcbCache) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h("prefork");
  configure_tls_vhost(h,
                      {.server_lines = "SSLSessionCache shm:" + h.path("run/scache") + "(512000)",
                       .vhost_lines = "SSLSessionTickets off"});
  ASSERT_TRUE(h.start()) << h.startup_log();
  TlsClient origin(h.port("tls"), tls12());
  ASSERT_TRUE(origin.ok()) << origin.error();
  ASSERT_TRUE(origin.write(get_request("/")));
  ASSERT_EQ(read_response(origin, 10s).status, 200);
  std::shared_ptr<SSL_SESSION> session = origin.session();
  ASSERT_TRUE(session);
  for (int i = 0; i < 8; ++i) {
    SCOPED_TRACE(i);
    TlsClient c(h.port("tls"), tls12({SSL_SESSION_dup(session.get()), SSL_SESSION_free}));
    ASSERT_TRUE(c.ok()) << c.error();
    EXPECT_TRUE(c.resumed()) << h.error_log();
  }
}

TEST(SessionCacheBeyond, NonNumericTimeoutIsRefused) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h;
  configure_tls_vhost(h, {.server_lines = "SSLSessionCacheTimeout abc"});
  ProcessResult r = h.configtest();
  ASSERT_FALSE(r.timed_out);
  EXPECT_NE(r.exit_code, 0) << r.all();
  EXPECT_TRUE(contains(r.all(), "SSLSessionCacheTimeout")) << r.all();
  EXPECT_TRUE(contains(r.all(), "abc")) << r.all();
}

// Sessions from the shared cache (tickets off) and tickets (random keys, and keys from a file)
// made before a graceful restart resume after it, in the new generation's children.
TEST(SessionCacheBeyond, SessionsOutliveGracefulRestart) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h("prefork");
  h.write("certs/ticket.key", random_bytes(48, 0x9ace), 0600);
  h.configure("SSLSessionCache shmcb:" + h.path("run/scache") + "(512000)\n" +
              listen_https("cache") + listen_https("tickets") + listen_https("keyfile") +
              tls_virtual_host(
                  "cache", certificate_lines(h.make_cert("cache")) + "  SSLSessionTickets off\n") +
              tls_virtual_host("tickets", certificate_lines(h.make_cert("tickets")) +
                                              "  SSLSessionTickets on\n") +
              tls_virtual_host("keyfile", certificate_lines(h.make_cert("keyfile")) +
                                              "  SSLSessionTickets on\n  SSLSessionTicketKeyFile " +
                                              h.path("certs/ticket.key") + "\n"));
  ASSERT_TRUE(h.start()) << h.startup_log();
  std::vector<std::tuple<std::string, int, std::shared_ptr<SSL_SESSION>>> sessions;
  for (const char* port : {"cache", "tickets", "keyfile"}) {
    for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
      sessions.emplace_back(port, version, fetch_session(h.port(port), version));
      ASSERT_TRUE(std::get<2>(sessions.back())) << port << "\n" << h.error_log();
    }
  }
  ASSERT_TRUE(h.graceful()) << h.error_log();
  for (const auto& [port, version, session] : sessions) {
    SCOPED_TRACE(port + (version == TLS1_3_VERSION ? " TLS 1.3" : " TLS 1.2"));
    EXPECT_TRUE(resumes(h.port(port), version, session)) << h.error_log();
  }
}

}  // namespace
}  // namespace modssl::it
