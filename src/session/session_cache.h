#pragma once
// The server's one inter-process session cache: a SessionStore, the lock that serialises it
// across processes when the store needs one (`Mutex ssl-cache`), and counters every process
// shares. Built once in the parent at start-up, used by every child.
//
// Callers are OpenSSL's session callbacks on worker threads: nothing here throws, and a lock or
// backend failure only ever turns into a miss (a full handshake), counted so that /server-status
// shows it.
#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "apr_global_mutex.h"
#include "session/session_store.h"

namespace modssl::session {

// Lives in memory shared by all processes (the parent places it in shared memory before
// forking); lock-free atomics, so no process needs the cache lock to count.
struct SharedCacheCounters {
  std::atomic<std::uint64_t> stores{0};
  std::atomic<std::uint64_t> store_failures{0};
  std::atomic<std::uint64_t> hits{0};
  std::atomic<std::uint64_t> misses{0};
  std::atomic<std::uint64_t> removes{0};
  std::atomic<std::uint64_t> errors{0};  // backend failures and lock failures
};
static_assert(std::atomic<std::uint64_t>::is_always_lock_free,
              "the counters are shared between processes and must not hide a lock");

struct CacheStatus {
  StoreStatus store;
  std::uint64_t stores = 0, store_failures = 0, hits = 0, misses = 0, removes = 0, errors = 0;
  bool locked = false;  // serialised by `Mutex ssl-cache`
};

class SessionCache {
 public:
  // `mutex` must be non-null when store->needs_global_lock(). `counters` points into shared
  // memory that outlives this object.
  SessionCache(std::shared_ptr<SessionStore> store, apr_global_mutex_t* mutex,
               SharedCacheCounters* counters);

  // In each child after fork: reopens the lock (file-based mechanisms) and the store. Returns
  // an error message, or empty; after an error this process treats every call as a miss.
  std::string child_init(apr_pool_t* pchild);

  bool store(std::span<const std::uint8_t> id, std::span<const std::uint8_t> der,
             std::int64_t expiry, std::int64_t now);
  FetchOutcome fetch(std::span<const std::uint8_t> id, std::vector<std::uint8_t>& out,
                     std::int64_t now);
  void remove(std::span<const std::uint8_t> id, std::int64_t now);

  CacheStatus status(std::int64_t now);

  SessionStore& backend() { return *store_; }

 private:
  class Guard;

  std::shared_ptr<SessionStore> store_;
  apr_global_mutex_t* mutex_;
  // Set in a child whose lock or store could not be reopened: using the parent's handle there
  // would not exclude other processes, so this child leaves the cache alone.
  bool disabled_ = false;
  SharedCacheCounters* counters_;
};

}  // namespace modssl::session
