// Beyond the stock module: mod_ssl 2.2's "SSLSessionCache shm:path(bytes)" still works (2.4
// refuses it: "'shm' session cache not supported (known names: default,shmcb)"), as the shmcb
// cache shared by all children; and an SSLSessionCacheTimeout that is not a number is refused
// (the stock module reads it with atoi(), so "abc" silently means 0).
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include <openssl/ssl.h>

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

// Under prefork, with the session's first connection still open (its child busy), every
// resumption is served by another child: only the shared cache can resume it.
TEST(SessionCacheAlias, ShmIsTheSharedShmcbCache) {
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
    // A copy each time: OpenSSL marks a session whose connection ends without a shutdown as
    // not resumable.
    TlsClient c(h.port("tls"), tls12({SSL_SESSION_dup(session.get()), SSL_SESSION_free}));
    ASSERT_TRUE(c.ok()) << c.error();
    EXPECT_TRUE(c.resumed()) << h.error_log();
  }
}

TEST(SessionCacheAlias, NonNumericTimeoutIsRefused) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h;
  configure_tls_vhost(h, {.server_lines = "SSLSessionCacheTimeout abc"});
  ProcessResult r = h.configtest();
  ASSERT_FALSE(r.timed_out);
  EXPECT_NE(r.exit_code, 0) << r.all();
  EXPECT_TRUE(contains(r.all(), "SSLSessionCacheTimeout")) << r.all();
  EXPECT_TRUE(contains(r.all(), "abc")) << r.all();
}

}  // namespace
}  // namespace modssl::it
