// A client may not start a renegotiation (TLS 1.2): each one would make the server redo a full
// handshake on demand. The attempt fails for that client and the server keeps serving.
// (OpenSSL 3 refuses it unless SSL_OP_ALLOW_CLIENT_RENEGOTIATION is set; the module also sets
// SSL_OP_NO_RENEGOTIATION, as stock mod_ssl does. This test guards the behaviour either way.)
#include <gtest/gtest.h>

#include <openssl/ssl.h>

#include "httpd.h"
#include "tls_client.h"

namespace modssl::it {
namespace {

TEST(Renegotiation, ClientInitiatedRenegotiationIsRefused) {
  Httpd h;
  configure_tls_vhost(h);
  ASSERT_TRUE(h.start()) << h.startup_log();

  TlsClient client(h.port("tls"), {.max_version = TLS1_2_VERSION, .ca_file = h.ca_file()});
  ASSERT_TRUE(client.ok()) << client.error();
  ASSERT_EQ(client.version(), "TLSv1.2");
  ASSERT_EQ(SSL_renegotiate(client.ssl()), 1);
  // The server answers the new ClientHello with a no_renegotiation alert, which ends the
  // client's attempt; a completed second handshake would mean the server accepted it.
  EXPECT_NE(SSL_do_handshake(client.ssl()), 1) << "the server accepted a client-initiated "
                                                  "renegotiation";
  EXPECT_EQ(SSL_total_renegotiations(client.ssl()), 1);  // counts attempts, not completions

  // Other clients are unaffected.
  HttpResponse r = https_request(h.port("tls"), "/", {.ca_file = h.ca_file()});
  EXPECT_EQ(r.status, 200) << r.body;
}

}  // namespace
}  // namespace modssl::it
