#include "session/session_cache.h"

#include <utility>

namespace modssl::session {

// Holds `Mutex ssl-cache` for one store call when the store needs it. A lock that cannot be
// taken (a broken lock file, say) skips the cache for this call instead of risking a store that
// another process is writing at the same time.
class SessionCache::Guard {
 public:
  explicit Guard(apr_global_mutex_t* mutex) : mutex_(mutex) {
    locked_ = !mutex_ || apr_global_mutex_lock(mutex_) == APR_SUCCESS;
  }
  ~Guard() {
    if (mutex_ && locked_) apr_global_mutex_unlock(mutex_);
  }
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;
  bool ok() const { return locked_; }

 private:
  apr_global_mutex_t* mutex_;
  bool locked_ = false;
};

namespace {
void bump(std::atomic<std::uint64_t>& c) { c.fetch_add(1, std::memory_order_relaxed); }
std::uint64_t read(const std::atomic<std::uint64_t>& c) {
  return c.load(std::memory_order_relaxed);
}
}  // namespace

SessionCache::SessionCache(std::shared_ptr<SessionStore> store, apr_global_mutex_t* mutex,
                           SharedCacheCounters* counters)
    : store_(std::move(store)),
      mutex_(store_->needs_global_lock() ? mutex : nullptr),
      counters_(counters) {}

std::string SessionCache::child_init(apr_pool_t* pchild) {
  if (mutex_) {
    const char* file = apr_global_mutex_lockfile(mutex_);
    apr_status_t rv = apr_global_mutex_child_init(&mutex_, file, pchild);
    if (rv != APR_SUCCESS) {
      char reason[120];
      apr_strerror(rv, reason, sizeof reason);
      disabled_ = true;
      return std::string("cannot reopen the session cache lock") +
             (file ? std::string(" '") + file + "'" : std::string()) + " in this child: " +
             reason;
    }
  }
  std::string err = store_->child_init();
  if (!err.empty()) disabled_ = true;
  return err;
}

bool SessionCache::store(std::span<const std::uint8_t> id, std::span<const std::uint8_t> der,
                         std::int64_t expiry, std::int64_t now) {
  if (disabled_) return false;
  bool stored = false;
  {
    Guard lock(mutex_);
    if (!lock.ok()) {
      bump(counters_->errors);
      return false;
    }
    stored = store_->store(id, der, expiry, now);
  }
  bump(stored ? counters_->stores : counters_->store_failures);
  return stored;
}

FetchOutcome SessionCache::fetch(std::span<const std::uint8_t> id,
                                 std::vector<std::uint8_t>& out, std::int64_t now) {
  if (disabled_) return FetchOutcome::kMiss;
  FetchOutcome outcome;
  {
    Guard lock(mutex_);
    if (!lock.ok()) {
      bump(counters_->errors);
      return FetchOutcome::kError;
    }
    outcome = store_->fetch(id, out, now);
  }
  switch (outcome) {
    case FetchOutcome::kHit: bump(counters_->hits); break;
    case FetchOutcome::kMiss: bump(counters_->misses); break;
    case FetchOutcome::kError: bump(counters_->errors); break;
  }
  return outcome;
}

void SessionCache::remove(std::span<const std::uint8_t> id, std::int64_t now) {
  if (disabled_) return;
  Guard lock(mutex_);
  if (!lock.ok()) {
    bump(counters_->errors);
    return;
  }
  store_->remove(id, now);
  bump(counters_->removes);
}

CacheStatus SessionCache::status(std::int64_t now) {
  CacheStatus s;
  {
    Guard lock(mutex_);
    if (lock.ok()) s.store = store_->status(now);
  }
  s.locked = mutex_ != nullptr;
  s.stores = read(counters_->stores);
  s.store_failures = read(counters_->store_failures);
  s.hits = read(counters_->hits);
  s.misses = read(counters_->misses);
  s.removes = read(counters_->removes);
  s.errors = read(counters_->errors);
  return s;
}

}  // namespace modssl::session
