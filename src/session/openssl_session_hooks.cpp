#include "session/openssl_session_hooks.h"

#include <ctime>
#include <span>
#include <vector>

#include <openssl/err.h>

#include "session/ticket_key_callback.h"

namespace modssl::session {
namespace {

void free_settings(void* /*parent*/, void* ptr, CRYPTO_EX_DATA* /*ad*/, int /*idx*/,
                   long /*argl*/, void* /*argp*/) {
  delete static_cast<ContextSessionSettings*>(ptr);
}

int settings_index() {
  // Function-local static: initialised once, thread-safe, before any context is built.
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, free_settings);
  return index;
}

// OpenSSL calls the session and ticket callbacks of the context the connection started on; the
// settings that apply are those of the vhost it is on now (after SNI), whose context carries
// its own copy.
const ContextSessionSettings* for_connection(SSL* ssl) {
  return session_settings(SSL_get_SSL_CTX(ssl));
}

std::int64_t now_s() { return static_cast<std::int64_t>(std::time(nullptr)); }

int on_new_session(SSL* ssl, SSL_SESSION* session) {
  const ContextSessionSettings* st = for_connection(ssl);
  if (!st || !st->cache) return 0;
  // A TLS 1.3 stateless ticket carries the whole session and is never looked up by id; OpenSSL
  // still reports it here. Storing it would only push useful entries out of the cache.
  if (SSL_version(ssl) == TLS1_3_VERSION && (SSL_get_options(ssl) & SSL_OP_NO_TICKET) == 0) {
    return 0;
  }
  SSL_SESSION_set_timeout(session, st->timeout_s);
  unsigned int id_len = 0;
  const unsigned char* id = SSL_SESSION_get_id(session, &id_len);
  if (id_len == 0) return 0;
  const int der_len = i2d_SSL_SESSION(session, nullptr);
  if (der_len <= 0) return 0;
  thread_local std::vector<std::uint8_t> der;
  der.resize(static_cast<std::size_t>(der_len));
  unsigned char* p = der.data();
  if (i2d_SSL_SESSION(session, &p) != der_len) return 0;
  const std::int64_t expiry = static_cast<std::int64_t>(SSL_SESSION_get_time(session)) +
                              st->timeout_s;
  st->cache->store({id, id_len}, der, expiry, now_s());
  return 0;  // we kept no reference to `session`
}

SSL_SESSION* on_get_session(SSL* ssl, const unsigned char* id, int id_len, int* copy) {
  *copy = 0;
  const ContextSessionSettings* st = for_connection(ssl);
  if (!st || !st->cache || id_len <= 0) return nullptr;
  thread_local std::vector<std::uint8_t> der;
  if (st->cache->fetch({id, static_cast<std::size_t>(id_len)}, der, now_s()) !=
      FetchOutcome::kHit) {
    return nullptr;
  }
  const unsigned char* p = der.data();
  SSL_SESSION* session = d2i_SSL_SESSION(nullptr, &p, static_cast<long>(der.size()));
  // Bytes that do not decode as a session (or decode with bytes left over) are not trusted.
  if (session && p != der.data() + der.size()) {
    SSL_SESSION_free(session);
    session = nullptr;
  }
  if (!session) ERR_clear_error();
  return session;
}

void on_remove_session(SSL_CTX* ctx, SSL_SESSION* session) {
  const ContextSessionSettings* st = session_settings(ctx);
  if (!st || !st->cache) return;
  unsigned int id_len = 0;
  const unsigned char* id = SSL_SESSION_get_id(session, &id_len);
  if (id_len > 0) st->cache->remove({id, id_len}, now_s());
}

int on_ticket_key(SSL* ssl, unsigned char key_name[16], unsigned char* iv,
                  EVP_CIPHER_CTX* cipher_ctx, EVP_MAC_CTX* mac_ctx, int enc) {
  const ContextSessionSettings* st = for_connection(ssl);
  if (!st || !st->ticket_keys) return kTicketCallbackNoKey;
  return handle_ticket_key_request(*st->ticket_keys, now_s(), key_name, iv, cipher_ctx, mac_ctx,
                                   enc);
}

}  // namespace

const ContextSessionSettings* session_settings(const SSL_CTX* ctx) {
  if (!ctx) return nullptr;
  return static_cast<const ContextSessionSettings*>(SSL_CTX_get_ex_data(ctx, settings_index()));
}

bool install_session_hooks(SSL_CTX* ctx, ContextSessionSettings settings) {
  auto* owned = new ContextSessionSettings(std::move(settings));
  if (!SSL_CTX_set_ex_data(ctx, settings_index(), owned)) {
    delete owned;
    return false;
  }
  // Tickets and cached sessions expire alike (the manual's SSLSessionCacheTimeout covers both).
  SSL_CTX_set_timeout(ctx, static_cast<long>(owned->timeout_s));
  switch (owned->mode) {
    case ContextSessionSettings::CacheMode::kOff:
      SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
      break;
    case ContextSessionSettings::CacheMode::kIdsOnly:
      // OpenSSL's own in-process cache stays off: it would make resumption depend on which
      // child a client reaches.
      SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL);
      break;
    case ContextSessionSettings::CacheMode::kSharedCache:
      SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL);
      SSL_CTX_sess_set_new_cb(ctx, on_new_session);
      SSL_CTX_sess_set_get_cb(ctx, on_get_session);
      SSL_CTX_sess_set_remove_cb(ctx, on_remove_session);
      break;
  }
  if (owned->ticket_keys) SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, on_ticket_key);
  return true;
}

}  // namespace modssl::session
