// SessionCache, the facade every process uses: a SessionStore (here a ShmcbStore in an anonymous
// shared mapping, or a fake), `Mutex ssl-cache` (a real apr_global_mutex) and counters in shared
// memory. Round trips, counters, status, failing backends, stores that need no lock, a child
// whose child_init failed, and forked processes sharing one cache under one lock.
#include "session/session_cache.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <random>
#include <string>
#include <vector>

#include <apr_general.h>
#include <apr_global_mutex.h>
#include <apr_pools.h>

#include "pki.h"
#include "session_ids.h"
#include "shared_block.h"
#include "session/shmcb_store.h"

namespace modssl::session {
namespace {

using Bytes = std::vector<std::uint8_t>;

using modssl::testing::SharedBlock;

Bytes make_id(std::uint32_t n) { return testing::make_session_id(n); }

// A value that names its id: id || writer tag (4 bytes) || filler derived from both. Any byte
// out of place, or a value returned for another id, fails `is_value_for`.
Bytes make_value(const Bytes& id, std::uint32_t tag, std::size_t filler) {
  Bytes v(id);
  for (int i = 0; i < 4; ++i) v.push_back(static_cast<std::uint8_t>(tag >> (8 * i)));
  std::uint32_t x = tag * 2654435761u + static_cast<std::uint32_t>(filler);
  for (std::size_t i = 0; i < filler; ++i) {
    x = x * 1103515245u + 12345u;
    v.push_back(static_cast<std::uint8_t>(x >> 16));
  }
  return v;
}

bool is_value_for(const Bytes& id, const Bytes& got) {
  if (got.size() < id.size() + 4) return false;
  std::uint32_t tag = 0;
  for (int i = 0; i < 4; ++i) tag |= static_cast<std::uint32_t>(got[id.size() + i]) << (8 * i);
  return make_value(id, tag, got.size() - id.size() - 4) == got;
}

// Counters placed in their own shared mapping, as the parent does.
class SharedCounters {
 public:
  SharedCounters() : block_(sizeof(SharedCacheCounters)) {
    if (block_.data()) counters_ = new (block_.data()) SharedCacheCounters{};
  }
  SharedCacheCounters* get() const { return counters_; }

 private:
  SharedBlock block_;
  SharedCacheCounters* counters_ = nullptr;
};

// A configurable fake backend that records how it was called.
class FakeStore final : public SessionStore {
 public:
  bool needs_lock = true;
  bool store_result = true;
  FetchOutcome fetch_outcome = FetchOutcome::kHit;
  // From an array, not an initializer list: GCC 12 warns (maybe-uninitialized) about the list.
  static constexpr std::uint8_t kFetchValue[] = {1, 2, 3};
  Bytes fetch_value = Bytes(std::begin(kFetchValue), std::end(kFetchValue));
  std::string child_init_error;
  // Set by the test when the calls must happen while the mutex is (not) held.
  apr_global_mutex_t* probe_mutex = nullptr;
  bool saw_mutex_free = false;  // a trylock from inside a call succeeded: the caller held nothing
  int stores = 0, fetches = 0, removes = 0, statuses = 0, child_inits = 0;

  bool needs_global_lock() const override { return needs_lock; }
  std::string child_init() override {
    ++child_inits;
    return child_init_error;
  }
  bool store(std::span<const std::uint8_t>, std::span<const std::uint8_t>, std::int64_t,
             std::int64_t) override {
    ++stores;
    probe();
    return store_result;
  }
  FetchOutcome fetch(std::span<const std::uint8_t>, std::vector<std::uint8_t>& out,
                     std::int64_t) override {
    ++fetches;
    probe();
    if (fetch_outcome == FetchOutcome::kHit) out = fetch_value;
    return fetch_outcome;
  }
  void remove(std::span<const std::uint8_t>, std::int64_t) override {
    ++removes;
    probe();
  }
  StoreStatus status(std::int64_t) override {
    ++statuses;
    StoreStatus s;
    s.type = "fake";
    s.where = "nowhere";
    s.entries = 42;
    return s;
  }

 private:
  void probe() {
    if (!probe_mutex) return;
    if (apr_global_mutex_trylock(probe_mutex) == APR_SUCCESS) {
      saw_mutex_free = true;
      apr_global_mutex_unlock(probe_mutex);
    }
  }
};

class CacheFacade : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { apr_initialize(); }

  void SetUp() override {
    ASSERT_EQ(apr_pool_create(&pool_, nullptr), APR_SUCCESS);
    ASSERT_NE(counters_.get(), nullptr);
    ASSERT_NE(block_.data(), nullptr);
  }
  void TearDown() override { apr_pool_destroy(pool_); }

  apr_global_mutex_t* make_mutex() {
    const std::string dir = testing::make_temp_dir("session-cache-lock");
    lock_file_ = dir + "/ssl-cache.lock";
    apr_global_mutex_t* m = nullptr;
    const apr_status_t rv =
        apr_global_mutex_create(&m, lock_file_.c_str(), APR_LOCK_DEFAULT, pool_);
    EXPECT_EQ(rv, APR_SUCCESS);
    return m;
  }

  std::shared_ptr<ShmcbStore> make_shmcb() {
    auto store = ShmcbStore::over(block_.data(), block_.size(), true, "anonymous mapping");
    if (!store) {
      ADD_FAILURE() << store.error();
      return nullptr;
    }
    return std::shared_ptr<ShmcbStore>(std::move(store).value());
  }

  static Bytes fetched(SessionCache& cache, const Bytes& id, std::int64_t now,
                       FetchOutcome want = FetchOutcome::kHit) {
    Bytes out;
    EXPECT_EQ(cache.fetch(id, out, now), want);
    return out;
  }

  apr_pool_t* pool_ = nullptr;
  std::string lock_file_;
  SharedBlock block_{256 * 1024};
  SharedCounters counters_;
};

TEST_F(CacheFacade, StoreFetchRemoveAndCounters) {
  apr_global_mutex_t* mutex = make_mutex();
  ASSERT_NE(mutex, nullptr);
  SessionCache cache(make_shmcb(), mutex, counters_.get());
  const Bytes a = make_id(1), b = make_id(2);
  const Bytes va = make_value(a, 1, 300), vb = make_value(b, 2, 500);

  EXPECT_TRUE(cache.store(a, va, 1000, 10));
  EXPECT_TRUE(cache.store(b, vb, 1000, 10));
  EXPECT_EQ(fetched(cache, a, 11), va);
  EXPECT_EQ(fetched(cache, b, 11), vb);
  fetched(cache, make_id(3), 11, FetchOutcome::kMiss);  // never stored

  // Replacement.
  const Bytes va2 = make_value(a, 9, 100);
  EXPECT_TRUE(cache.store(a, va2, 1000, 12));
  EXPECT_EQ(fetched(cache, a, 13), va2);

  cache.remove(a, 14);
  fetched(cache, a, 15, FetchOutcome::kMiss);
  EXPECT_EQ(fetched(cache, b, 15), vb);  // the other entry is untouched

  // Expiry is exclusive: live while now < expiry.
  const Bytes c = make_id(4);
  EXPECT_TRUE(cache.store(c, make_value(c, 4, 50), 100, 20));
  fetched(cache, c, 99);
  fetched(cache, c, 100, FetchOutcome::kMiss);

  // Too large for a 256 KiB cache's subcache: refused, counted as a store failure.
  EXPECT_FALSE(cache.store(make_id(5), Bytes(200 * 1024, 0xab), 1000, 21));

  const SharedCacheCounters& n = *counters_.get();
  EXPECT_EQ(n.stores.load(), 4u);
  EXPECT_EQ(n.store_failures.load(), 1u);
  EXPECT_EQ(n.hits.load(), 5u);
  EXPECT_EQ(n.misses.load(), 3u);
  EXPECT_EQ(n.removes.load(), 1u);
  EXPECT_EQ(n.errors.load(), 0u);
}

TEST_F(CacheFacade, StatusReportsStoreAndCounters) {
  apr_global_mutex_t* mutex = make_mutex();
  ASSERT_NE(mutex, nullptr);
  SessionCache cache(make_shmcb(), mutex, counters_.get());
  for (std::uint32_t i = 0; i < 10; ++i) {
    ASSERT_TRUE(cache.store(make_id(i), make_value(make_id(i), i, 200), 1000, 10));
  }
  cache.store(make_id(100), make_value(make_id(100), 100, 200), 50, 10);  // expires at 50
  fetched(cache, make_id(0), 11);
  fetched(cache, make_id(77), 11, FetchOutcome::kMiss);
  cache.remove(make_id(1), 12);

  const CacheStatus s = cache.status(60);
  EXPECT_TRUE(s.locked);
  EXPECT_EQ(s.store.type, "shmcb");
  EXPECT_EQ(s.store.where, "anonymous mapping");
  ASSERT_TRUE(s.store.size_bytes.has_value());
  EXPECT_GT(*s.store.size_bytes, 0u);
  EXPECT_LE(*s.store.size_bytes, block_.size());
  ASSERT_TRUE(s.store.entries.has_value());
  EXPECT_EQ(*s.store.entries, 9u);  // 11 stored, one removed, one expired by now=60
  EXPECT_TRUE(s.store.expired.has_value());
  EXPECT_TRUE(s.store.evicted.has_value());
  EXPECT_EQ(*s.store.evicted, 0u);
  const auto has_subcaches = std::any_of(s.store.extra.begin(), s.store.extra.end(),
                                         [](const auto& kv) { return kv.first == "subcaches"; });
  EXPECT_TRUE(has_subcaches);
  EXPECT_EQ(s.stores, 11u);
  EXPECT_EQ(s.store_failures, 0u);
  EXPECT_EQ(s.hits, 1u);
  EXPECT_EQ(s.misses, 1u);
  EXPECT_EQ(s.removes, 1u);
  EXPECT_EQ(s.errors, 0u);
}

TEST_F(CacheFacade, FailingBackendShowsInCounters) {
  auto fake = std::make_shared<FakeStore>();
  apr_global_mutex_t* mutex = make_mutex();
  ASSERT_NE(mutex, nullptr);
  SessionCache cache(fake, mutex, counters_.get());
  const Bytes id = make_id(1);

  fake->store_result = false;
  EXPECT_FALSE(cache.store(id, make_value(id, 1, 10), 1000, 10));
  EXPECT_FALSE(cache.store(id, make_value(id, 2, 10), 1000, 10));
  fake->fetch_outcome = FetchOutcome::kError;
  Bytes out;
  EXPECT_EQ(cache.fetch(id, out, 11), FetchOutcome::kError);
  fake->fetch_outcome = FetchOutcome::kMiss;
  EXPECT_EQ(cache.fetch(id, out, 11), FetchOutcome::kMiss);
  fake->fetch_outcome = FetchOutcome::kHit;
  EXPECT_EQ(cache.fetch(id, out, 11), FetchOutcome::kHit);
  EXPECT_EQ(out, fake->fetch_value);

  const CacheStatus s = cache.status(12);
  EXPECT_EQ(s.stores, 0u);
  EXPECT_EQ(s.store_failures, 2u);
  EXPECT_EQ(s.errors, 1u);
  EXPECT_EQ(s.misses, 1u);
  EXPECT_EQ(s.hits, 1u);
  EXPECT_EQ(s.store.type, "fake");
  EXPECT_EQ(s.store.entries, std::optional<std::uint64_t>(42));
  EXPECT_FALSE(s.store.size_bytes.has_value());
  EXPECT_EQ(fake->stores, 2);
  EXPECT_EQ(fake->fetches, 3);
}

TEST_F(CacheFacade, LockedStoreIsCalledUnderTheMutex) {
  auto fake = std::make_shared<FakeStore>();
  apr_global_mutex_t* mutex = make_mutex();
  ASSERT_NE(mutex, nullptr);
  fake->probe_mutex = mutex;
  SessionCache cache(fake, mutex, counters_.get());
  // apr's global mutex is a process lock plus a thread mutex; a trylock from the holding thread
  // fails with EBUSY, so the probe only sees the lock free if the cache did not take it.
  const Bytes id = make_id(1);
  cache.store(id, id, 100, 1);
  Bytes out;
  cache.fetch(id, out, 2);
  cache.remove(id, 3);
  EXPECT_EQ(fake->stores + fake->fetches + fake->removes, 3);
  EXPECT_FALSE(fake->saw_mutex_free);
  EXPECT_TRUE(cache.status(4).locked);
}

TEST_F(CacheFacade, StoreThatNeedsNoLockIsCalledWithoutTheMutex) {
  // Without a mutex at all (memcache/redis-like backends).
  {
    auto fake = std::make_shared<FakeStore>();
    fake->needs_lock = false;
    SessionCache cache(fake, nullptr, counters_.get());
    EXPECT_EQ(cache.child_init(pool_), "");
    const Bytes id = make_id(1);
    EXPECT_TRUE(cache.store(id, id, 100, 1));
    Bytes out;
    EXPECT_EQ(cache.fetch(id, out, 2), FetchOutcome::kHit);
    cache.remove(id, 3);
    const CacheStatus s = cache.status(4);
    EXPECT_FALSE(s.locked);
    EXPECT_EQ(s.stores, 1u);
    EXPECT_EQ(s.hits, 1u);
    EXPECT_EQ(s.removes, 1u);
    EXPECT_EQ(fake->child_inits, 1);
  }
  // Given a mutex anyway, the cache must still not take it.
  auto fake = std::make_shared<FakeStore>();
  fake->needs_lock = false;
  apr_global_mutex_t* mutex = make_mutex();
  ASSERT_NE(mutex, nullptr);
  fake->probe_mutex = mutex;
  SessionCache cache(fake, mutex, counters_.get());
  const Bytes id = make_id(2);
  cache.store(id, id, 100, 1);
  Bytes out;
  cache.fetch(id, out, 2);
  cache.remove(id, 3);
  EXPECT_TRUE(fake->saw_mutex_free);
  EXPECT_FALSE(cache.status(4).locked);
}

TEST_F(CacheFacade, FailedChildInitLeavesTheStoreAlone) {
  auto fake = std::make_shared<FakeStore>();
  fake->needs_lock = false;
  fake->child_init_error = "cannot reopen";
  SessionCache cache(fake, nullptr, counters_.get());
  EXPECT_EQ(cache.child_init(pool_), "cannot reopen");
  const Bytes id = make_id(1);
  EXPECT_FALSE(cache.store(id, id, 100, 1));
  Bytes out;
  EXPECT_EQ(cache.fetch(id, out, 2), FetchOutcome::kMiss);
  cache.remove(id, 3);
  EXPECT_EQ(fake->stores, 0);
  EXPECT_EQ(fake->fetches, 0);
  EXPECT_EQ(fake->removes, 0);
}

// ---- Many processes, one cache, one apr_global_mutex. ----

struct ForkTally {
  std::atomic<int> inside{0};    // calls into the store in progress, over all processes
  std::atomic<int> overlaps{0};  // times a call found another one in progress
  std::atomic<std::uint64_t> stores{0}, fetches{0}, hits{0}, removes{0};
};

// Delegates to the shared ShmcbStore, checking that no two processes are ever inside at once.
class ExclusionCheckingStore final : public SessionStore {
 public:
  ExclusionCheckingStore(std::shared_ptr<SessionStore> inner, ForkTally* tally)
      : inner_(std::move(inner)), tally_(tally) {}
  bool needs_global_lock() const override { return true; }
  bool store(std::span<const std::uint8_t> id, std::span<const std::uint8_t> der,
             std::int64_t expiry, std::int64_t now) override {
    Enter e(tally_);
    return inner_->store(id, der, expiry, now);
  }
  FetchOutcome fetch(std::span<const std::uint8_t> id, std::vector<std::uint8_t>& out,
                     std::int64_t now) override {
    Enter e(tally_);
    return inner_->fetch(id, out, now);
  }
  void remove(std::span<const std::uint8_t> id, std::int64_t now) override {
    Enter e(tally_);
    inner_->remove(id, now);
  }
  StoreStatus status(std::int64_t now) override { return inner_->status(now); }

 private:
  struct Enter {
    explicit Enter(ForkTally* t) : t_(t) {
      if (t_->inside.fetch_add(1) != 0) t_->overlaps.fetch_add(1);
      sched_yield();  // widen the window a missing lock would leave open
    }
    ~Enter() { t_->inside.fetch_sub(1); }
    ForkTally* t_;
  };
  std::shared_ptr<SessionStore> inner_;
  ForkTally* tally_;
};

// One child's work: 0 when every hit returned exactly a value stored for that id.
int child_work(SessionCache& cache, ForkTally& tally, int me, int ops) {
  apr_pool_t* pchild = nullptr;
  if (apr_pool_create(&pchild, nullptr) != APR_SUCCESS) return 10;
  if (!cache.child_init(pchild).empty()) return 11;
  std::mt19937 rng(4242 + me);
  Bytes out;
  for (int i = 0; i < ops; ++i) {
    const Bytes id = make_id(rng() % 48);  // few ids: the children overlap constantly
    const unsigned what = rng() % 100;
    const std::int64_t now = 1000 + i;
    if (what < 40) {
      const Bytes v =
          make_value(id, static_cast<std::uint32_t>(me * 1000000 + i), 50 + rng() % 400);
      if (!cache.store(id, v, now + 100000, now)) return 12;
      tally.stores.fetch_add(1);
    } else if (what < 92) {
      out.clear();
      const FetchOutcome r = cache.fetch(id, out, now);
      tally.fetches.fetch_add(1);
      if (r == FetchOutcome::kHit) {
        tally.hits.fetch_add(1);
        if (!is_value_for(id, out)) return 13;
      } else if (r != FetchOutcome::kMiss) {
        return 14;
      }
    } else {
      cache.remove(id, now);
      tally.removes.fetch_add(1);
    }
  }
  return 0;
}

TEST_F(CacheFacade, ForkedChildrenShareCacheCountersAndLock) {
  constexpr int kChildren = 4;
  constexpr int kOps = 1000;
  SharedBlock tally_block(sizeof(ForkTally));
  ASSERT_NE(tally_block.data(), nullptr);
  auto* tally = new (tally_block.data()) ForkTally{};
  apr_global_mutex_t* mutex = make_mutex();
  ASSERT_NE(mutex, nullptr);
  auto store = std::make_shared<ExclusionCheckingStore>(make_shmcb(), tally);
  SessionCache cache(store, mutex, counters_.get());

  std::vector<pid_t> children;
  for (int c = 0; c < kChildren; ++c) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      alarm(30);  // a deadlocked child must not hang the suite
      _exit(child_work(cache, *tally, c, kOps));
    }
    children.push_back(pid);
  }
  for (const pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status)) << "child killed by signal " << WTERMSIG(status);
    EXPECT_EQ(WEXITSTATUS(status), 0)
        << "10/11: child set-up, 12: store failed, 13: wrong bytes for an id, 14: fetch error";
  }

  EXPECT_EQ(tally->overlaps.load(), 0) << "two processes were inside the store at once";
  const CacheStatus s = cache.status(1000 + kOps);
  EXPECT_EQ(s.stores + s.store_failures, tally->stores.load());
  EXPECT_EQ(s.store_failures, 0u);
  EXPECT_EQ(s.hits, tally->hits.load());
  EXPECT_EQ(s.hits + s.misses, tally->fetches.load());
  EXPECT_EQ(s.removes, tally->removes.load());
  EXPECT_EQ(s.errors, 0u);
  EXPECT_EQ(s.stores + s.hits + s.misses + s.removes, static_cast<std::uint64_t>(kChildren) * kOps);
  EXPECT_GT(s.hits, 0u);
  EXPECT_GT(s.misses, 0u);
}

}  // namespace
}  // namespace modssl::session
