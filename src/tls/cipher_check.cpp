#include "tls/cipher_check.h"

#include <openssl/err.h>

#include "tls/handles.h"
#include "tls/openssl_error.h"

namespace modssl::tls {

config::Result<bool> current_cipher_allowed(const SSL* ssl, const std::string& spec) {
  const SSL_CIPHER* current = SSL_get_current_cipher(ssl);
  if (!current) return false;
  ERR_clear_error();
  SslPtr probe(SSL_new(SSL_get_SSL_CTX(ssl)));
  if (!probe || SSL_set_cipher_list(probe.get(), spec.c_str()) != 1) {
    return config::fail("SSLCipherSuite '" + spec + "' selects no cipher OpenSSL knows (" +
                        drain_openssl_errors() + ")");
  }
  // The list also holds the TLS 1.3 suites, which an SSL-form cipher list does not restrict.
  STACK_OF(SSL_CIPHER)* allowed = SSL_get_ciphers(probe.get());
  const uint32_t id = SSL_CIPHER_get_id(current);
  for (int i = 0; i < sk_SSL_CIPHER_num(allowed); ++i) {
    if (SSL_CIPHER_get_id(sk_SSL_CIPHER_value(allowed, i)) == id) return true;
  }
  return false;
}

}  // namespace modssl::tls
