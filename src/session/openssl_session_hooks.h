#pragma once
// What connects OpenSSL's session machinery to our cache and ticket keys: the cache mode, the
// new/get/remove session callbacks, the session lifetime and the ticket key callback of one
// SSL_CTX. Plain OpenSSL + our session layer: no httpd, so a memory-BIO handshake tests it.
#include <cstdint>
#include <memory>

#include <openssl/ssl.h>

#include "session/session_cache.h"
#include "session/ticket_keys.h"

namespace modssl::session {

struct ContextSessionSettings {
  enum class CacheMode {
    kOff,          // no cache: OpenSSL sends empty session ids (TLS <= 1.2 resumes by ticket only)
    kIdsOnly,      // "nonenotnull": non-empty session ids, but nothing is kept
    kSharedCache,  // every session goes to `cache`, shared by all processes
  };
  CacheMode mode = CacheMode::kOff;
  SessionCache* cache = nullptr;  // kSharedCache only; outlives the SSL_CTX
  std::int64_t timeout_s = 300;   // SSLSessionCacheTimeout: sessions and tickets alike
  // Keys for tickets; null leaves OpenSSL's own per-context keys (tickets off, or a test).
  std::shared_ptr<const TicketKeyRing> ticket_keys;
};

// Applies `settings` to `ctx`, which then owns its copy (freed with the context). Call once per
// context, after the options (SSL_OP_NO_TICKET) are set.
bool install_session_hooks(SSL_CTX* ctx, ContextSessionSettings settings);

// The settings a context was given, or null.
const ContextSessionSettings* session_settings(const SSL_CTX* ctx);

}  // namespace modssl::session
