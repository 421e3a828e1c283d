#pragma once
// In-memory handshakes for unit tests: a client and a server SSL object over a BIO pair, driven
// in turn by the test, no sockets and no server process.
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace modssl::testing {

// One step: true once this side's handshake is complete; a real failure (not a wait for the
// peer) is reported as a test failure naming `who`.
inline bool handshake_step(SSL* ssl, const char* who) {
  const int rc = SSL_do_handshake(ssl);
  if (rc == 1) return true;
  const int err = SSL_get_error(ssl, rc);
  if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
    char buf[256];
    ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
    ADD_FAILURE() << who << " handshake failed: " << err << " " << buf;
  }
  return false;
}

// Connects `client` to `server` over a fresh BIO pair and runs both handshakes to the end.
// True when both completed; false as soon as either side fails (a refused certificate, say),
// without reporting a test failure: for tests where refusal is the expected outcome.
inline bool try_memory_handshake(SSL* client, SSL* server) {
  BIO* client_end = nullptr;
  BIO* server_end = nullptr;
  if (BIO_new_bio_pair(&client_end, 0, &server_end, 0) != 1) return false;
  SSL_set_bio(client, client_end, client_end);
  SSL_set_bio(server, server_end, server_end);
  SSL_set_connect_state(client);
  SSL_set_accept_state(server);
  bool client_done = false;
  bool server_done = false;
  for (int round = 0; round < 20 && !(client_done && server_done); ++round) {
    for (auto [ssl, done] : {std::pair{client, &client_done}, std::pair{server, &server_done}}) {
      if (*done) continue;
      const int rc = SSL_do_handshake(ssl);
      if (rc == 1) {
        *done = true;
      } else if (SSL_get_error(ssl, rc) != SSL_ERROR_WANT_READ) {
        return false;
      }
    }
  }
  return client_done && server_done;
}

struct MemoryHandshake {
  bool completed = false;
  bool reused = false;
  SSL_SESSION* session = nullptr;        // the client's, to resume later; the caller frees it
  std::vector<unsigned char> server_id;  // the session id the server ended up with
};

// Connects `client` to `server` (fresh SSL objects) over a BIO pair, offering `offer` if given,
// and shuts both down cleanly (a connection freed without a shutdown marks its session
// unresumable). TLS 1.3 tickets arrive after the handshake: a read with nothing to read
// processes them before the session is taken.
inline MemoryHandshake run_memory_handshake(SSL* client, SSL* server, SSL_SESSION* offer) {
  MemoryHandshake out;
  BIO* client_end = nullptr;
  BIO* server_end = nullptr;
  if (BIO_new_bio_pair(&client_end, 0, &server_end, 0) != 1) {
    ADD_FAILURE() << "BIO pair";
    return out;
  }
  SSL_set_bio(client, client_end, client_end);
  SSL_set_bio(server, server_end, server_end);
  SSL_set_connect_state(client);
  SSL_set_accept_state(server);
  if (offer) {
    EXPECT_EQ(SSL_set_session(client, offer), 1);
  }

  bool client_done = false;
  bool server_done = false;
  for (int round = 0; round < 50 && !(client_done && server_done); ++round) {
    if (!client_done) client_done = handshake_step(client, "client");
    if (!server_done) server_done = handshake_step(server, "server");
    if (::testing::Test::HasFailure()) return out;
  }
  EXPECT_TRUE(client_done && server_done) << "handshake did not finish";
  out.completed = client_done && server_done;
  unsigned char byte;
  EXPECT_LE(SSL_read(client, &byte, 1), 0);
  EXPECT_EQ(SSL_get_error(client, -1), SSL_ERROR_WANT_READ);
  out.reused = SSL_session_reused(client) == 1;
  EXPECT_EQ(out.reused, SSL_session_reused(server) == 1) << "client and server disagree";
  out.session = SSL_get1_session(client);
  unsigned int id_len = 0;
  const unsigned char* id = SSL_SESSION_get_id(SSL_get_session(server), &id_len);
  out.server_id.assign(id, id + id_len);
  SSL_shutdown(client);
  SSL_shutdown(server);
  return out;
}

// Test names for suites parametrised over TLS versions ("Tls12", "Tls13").
inline std::string tls_version_param_name(const ::testing::TestParamInfo<int>& info) {
  return info.param == TLS1_3_VERSION ? "Tls13" : "Tls12";
}

}  // namespace modssl::testing
