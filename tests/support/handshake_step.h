#pragma once
// One step of an in-memory handshake (client and server SSL objects over a BIO pair, driven in
// turn by a test): true once this side's handshake is complete; a real failure (not a wait for
// the peer) is reported as a test failure naming `who`.
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <gtest/gtest.h>

namespace modssl::testing {

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

}  // namespace modssl::testing
