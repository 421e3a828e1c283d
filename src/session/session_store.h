#pragma once
// The inter-process session cache as the rest of the module sees it: one interface over every
// backend SSLSessionCache can name (shmcb and dbm, written here; any other ap_socache provider
// such as memcache or redis through the bridge in socache_store.h).
//
// Keys are OpenSSL session ids (1..32 bytes, TLS 1.3 stateful tickets included); values are
// DER-encoded sessions (i2d_SSL_SESSION). Both are opaque bytes to a store. Times are unix
// seconds, expiry exclusive: an entry is live while now < expiry.
//
// Locking: a store whose needs_global_lock() is true (shmcb, dbm) is not safe across processes
// on its own; the caller (SessionCache) holds `Mutex ssl-cache` around every call. Others
// (memcache, redis) are called without it, as stock mod_ssl does for providers that do not set
// AP_SOCACHE_FLAG_NOTMPSAFE.
//
// No exception leaves a store: it runs inside OpenSSL callbacks, and a cache problem must only
// ever cost a full handshake. Damaged or foreign bytes are a miss, never trusted.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace modssl::session {

enum class FetchOutcome {
  kHit,    // `out` holds the stored bytes
  kMiss,   // nothing live for the id (absent, expired, dropped as damaged)
  kError,  // the backend failed (I/O, network); logged by the caller at debug level
};

// What mod_status shows for the cache. A figure the backend cannot know stays empty and is
// shown as "n/a" (a memcached server does not report per-key expiry to its clients).
struct StoreStatus {
  std::string type;   // "shmcb", "dbm", "memcache", "redis", ...
  std::string where;  // file, or server list
  std::optional<std::uint64_t> size_bytes;  // capacity (shmcb) or file size (dbm)
  std::optional<std::uint64_t> entries;     // live entries now
  std::optional<std::uint64_t> expired;     // entries dropped because they had expired
  std::optional<std::uint64_t> evicted;     // live entries pushed out to make room
  // Anything else worth a line ("subcaches", "16"), in display order.
  std::vector<std::pair<std::string, std::string>> extra;
};

class SessionStore {
 public:
  virtual ~SessionStore() = default;

  virtual bool needs_global_lock() const = 0;

  // Runs in each child process after fork, before any other call there (reopen files that must
  // not be shared between processes, e.g. a dbm). Returns an error message, or empty.
  virtual std::string child_init() { return {}; }

  // Stores (replacing any entry with the same id). False when the entry was not stored (too
  // large, backend failure); the handshake goes on either way.
  virtual bool store(std::span<const std::uint8_t> id, std::span<const std::uint8_t> der,
                     std::int64_t expiry, std::int64_t now) = 0;
  virtual FetchOutcome fetch(std::span<const std::uint8_t> id, std::vector<std::uint8_t>& out,
                             std::int64_t now) = 0;
  virtual void remove(std::span<const std::uint8_t> id, std::int64_t now) = 0;

  // For /server-status; may walk the whole cache (not for the request path).
  virtual StoreStatus status(std::int64_t now) = 0;
};

}  // namespace modssl::session
