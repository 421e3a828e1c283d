// The shmcb session cache over a caller-provided block: round trips, replacement, expiry,
// eviction, subcache spread, statistics, header validation, damaged memory, and many processes
// sharing one block under one lock.
#include "session_ids.h"
#include "shared_block.h"
#include "session/shmcb_cache.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <new>
#include <optional>
#include <random>
#include <span>
#include <vector>

#include "session/shmcb_layout.h"

namespace modssl::session {
namespace {

using Bytes = std::vector<std::uint8_t>;

using modssl::testing::SharedBlock;

Bytes make_id(std::uint32_t n, std::size_t len = 32) {
  return testing::make_session_id(n, len, 12345);
}

// Session bytes that can be checked without knowing who stored them: a 4-byte version, then a
// pattern derived from (id, version) and the length. Any process can tell whether a fetched
// value is one that some process stored for that id.
Bytes make_payload(std::span<const std::uint8_t> id, std::uint32_t version, std::size_t len) {
  Bytes out(len < 4 ? 4 : len);
  std::memcpy(out.data(), &version, 4);
  std::uint64_t x = version * 0x100000001b3ull + out.size();
  for (const auto b : id) x = (x ^ b) * 0x100000001b3ull;
  for (std::size_t i = 4; i < out.size(); ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    out[i] = static_cast<std::uint8_t>(x);
  }
  return out;
}

bool is_stored_payload(std::span<const std::uint8_t> id, std::span<const std::uint8_t> got) {
  if (got.size() < 4) return false;
  std::uint32_t version;
  std::memcpy(&version, got.data(), 4);
  const Bytes want = make_payload(id, version, got.size());
  return std::equal(want.begin(), want.end(), got.begin(), got.end());
}

// Fetches id; the value, or nothing on a miss.
std::optional<Bytes> fetch(ShmcbCache& cache, std::span<const std::uint8_t> id, std::int64_t now) {
  Bytes buf(16 * 1024);
  const auto r = cache.fetch(id, buf, now);
  if (r.status != ShmcbStatus::kOk) return std::nullopt;
  buf.resize(r.data_len);
  return buf;
}

constexpr std::size_t kSmallBlock = 16 * 1024;  // one subcache
constexpr std::size_t kModuleDefault = 512000;  // Debian's shmcb:...(512000)

class ShmcbCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(block_.data(), nullptr);
    ASSERT_EQ(cache_.format(block_.data(), block_.size()), ShmcbStatus::kOk);
  }
  SharedBlock block_{kModuleDefault};
  ShmcbCache cache_;
};

TEST(ShmcbGeometry, CutsTheDefaultSizeIntoBoundedSubcaches) {
  const auto g = compute_shmcb_geometry(kModuleDefault);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->subcache_count, 16u);
  EXPECT_LE(kShmcbHeaderBytes + std::size_t{g->subcache_count} * g->subcache_stride,
            kModuleDefault);
  EXPECT_EQ(g->subcache_stride % 8, 0u);
  EXPECT_EQ(sizeof(ShmcbSubcacheHeader) + g->index_slots * sizeof(ShmcbIndexEntry) + g->data_bytes,
            g->subcache_stride);
  // A session with a client certificate chain of a few KiB still fits.
  EXPECT_GE(g->max_entry_bytes, 4096u);
  EXPECT_LE(g->max_entry_bytes, g->data_bytes / 4);
}

TEST(ShmcbGeometry, SmallBlocksHaveOneSubcacheAndTinyOnesNone) {
  const auto g = compute_shmcb_geometry(kSmallBlock);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->subcache_count, 1u);
  EXPECT_FALSE(compute_shmcb_geometry(kShmcbMinRegionBytes - 1));
  EXPECT_FALSE(compute_shmcb_geometry(0));
}

TEST(ShmcbGeometry, LargeBlocksStopAtTheSubcacheLimit) {
  const auto g = compute_shmcb_geometry(64u << 20);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->subcache_count, kShmcbMaxSubcaches);
}

TEST_F(ShmcbCacheTest, StoreThenFetchReturnsTheSameBytes) {
  const Bytes id = make_id(1);
  const Bytes data = make_payload(id, 7, 300);
  ASSERT_EQ(cache_.store(id, data, 1000, 10), ShmcbStatus::kOk);
  EXPECT_EQ(fetch(cache_, id, 11), data);
}

TEST_F(ShmcbCacheTest, UnknownIdIsAMiss) {
  const Bytes id = make_id(1);
  ASSERT_EQ(cache_.store(id, make_payload(id, 1, 100), 1000, 10), ShmcbStatus::kOk);
  EXPECT_FALSE(fetch(cache_, make_id(2), 11));
  // A prefix of a stored id is another id.
  EXPECT_FALSE(fetch(cache_, std::span(id).first(16), 11));
  Bytes buf(100);
  EXPECT_EQ(cache_.fetch({}, buf, 11).status, ShmcbStatus::kMiss);
}

TEST_F(ShmcbCacheTest, RemoveMakesTheIdAMiss) {
  const Bytes a = make_id(1), b = make_id(2);
  ASSERT_EQ(cache_.store(a, make_payload(a, 1, 100), 1000, 10), ShmcbStatus::kOk);
  ASSERT_EQ(cache_.store(b, make_payload(b, 1, 100), 1000, 10), ShmcbStatus::kOk);
  EXPECT_EQ(cache_.remove(a, 11), ShmcbStatus::kOk);
  EXPECT_FALSE(fetch(cache_, a, 12));
  EXPECT_EQ(fetch(cache_, b, 12), make_payload(b, 1, 100));
  EXPECT_EQ(cache_.remove(a, 13), ShmcbStatus::kNotFound);
  EXPECT_EQ(cache_.remove(make_id(3), 13), ShmcbStatus::kNotFound);
}

TEST_F(ShmcbCacheTest, StoringAnIdAgainReplacesItsSession) {
  const Bytes id = make_id(1);
  ASSERT_EQ(cache_.store(id, make_payload(id, 1, 100), 1000, 10), ShmcbStatus::kOk);
  ASSERT_EQ(cache_.store(id, make_payload(id, 2, 250), 2000, 20), ShmcbStatus::kOk);
  EXPECT_EQ(fetch(cache_, id, 21), make_payload(id, 2, 250));
  EXPECT_EQ(cache_.stats(21).entries, 1u);
  // The replacement's expiry applies, not the first one's.
  EXPECT_TRUE(fetch(cache_, id, 1500));
  // And removing it leaves nothing behind.
  EXPECT_EQ(cache_.remove(id, 1501), ShmcbStatus::kOk);
  EXPECT_FALSE(fetch(cache_, id, 1502));
}

TEST_F(ShmcbCacheTest, ExpiredEntryIsAMissAndIsCounted) {
  const Bytes id = make_id(1);
  ASSERT_EQ(cache_.store(id, make_payload(id, 1, 100), 100, 10), ShmcbStatus::kOk);
  EXPECT_TRUE(fetch(cache_, id, 99));
  EXPECT_FALSE(fetch(cache_, id, 100));  // expiry is exclusive
  EXPECT_FALSE(fetch(cache_, id, 101));
  const auto s = cache_.stats(101);
  EXPECT_EQ(s.entries, 0u);
  EXPECT_GE(s.counters.expired, 1u);
}

TEST_F(ShmcbCacheTest, ExpiredEntriesAreReclaimedByLaterStores) {
  // Fill one id's subcache with entries that then expire; the next store there reclaims them.
  const Bytes first = make_id(1);
  const std::uint32_t sub = cache_.subcache_of(first);
  std::vector<Bytes> same_subcache;
  for (std::uint32_t n = 1; same_subcache.size() < 21; ++n)
    if (cache_.subcache_of(make_id(n)) == sub) same_subcache.push_back(make_id(n));
  const Bytes fresh = same_subcache.back();
  same_subcache.pop_back();
  for (const auto& id : same_subcache)
    ASSERT_EQ(cache_.store(id, make_payload(id, 1, 500), 100, 10), ShmcbStatus::kOk);
  const auto before = cache_.stats(50);
  EXPECT_EQ(before.entries, 20u);
  ASSERT_EQ(cache_.store(fresh, make_payload(fresh, 1, 100), 1000, 200), ShmcbStatus::kOk);
  const auto after = cache_.stats(200);
  EXPECT_EQ(after.entries, 1u);
  EXPECT_LT(after.bytes, before.bytes);
  EXPECT_EQ(after.counters.evicted, 0u);
  EXPECT_EQ(after.counters.expired, 20u);
}

TEST_F(ShmcbCacheTest, StoreRefusesWhatItCannotHold) {
  const Bytes id = make_id(1);
  const std::size_t max = cache_.max_entry_bytes();
  EXPECT_EQ(cache_.store(id, make_payload(id, 1, max - id.size() + 1), 1000, 10),
            ShmcbStatus::kEntryTooLarge);
  EXPECT_EQ(cache_.store(id, make_payload(id, 1, max - id.size()), 1000, 10), ShmcbStatus::kOk);
  EXPECT_EQ(fetch(cache_, id, 11), make_payload(id, 1, max - id.size()));

  EXPECT_EQ(cache_.store({}, make_payload(id, 1, 10), 1000, 10), ShmcbStatus::kBadId);
  const Bytes long_id = make_id(2, kShmcbMaxIdBytes + 1);
  EXPECT_EQ(cache_.store(long_id, make_payload(long_id, 1, 10), 1000, 10), ShmcbStatus::kBadId);
  const Bytes longest_id = make_id(3, kShmcbMaxIdBytes);
  EXPECT_EQ(cache_.store(longest_id, make_payload(longest_id, 1, 10), 1000, 10), ShmcbStatus::kOk);
  EXPECT_EQ(fetch(cache_, longest_id, 11), make_payload(longest_id, 1, 10));

  EXPECT_EQ(cache_.store(make_id(4), make_payload(id, 1, 10), 10, 10),
            ShmcbStatus::kAlreadyExpired);
  EXPECT_EQ(cache_.stats(11).counters.rejected, 3u + 1u);
  EXPECT_STRNE(describe(ShmcbStatus::kEntryTooLarge), "");
}

TEST_F(ShmcbCacheTest, FetchIntoASmallBufferSaysHowMuchIsNeeded) {
  const Bytes id = make_id(1);
  ASSERT_EQ(cache_.store(id, make_payload(id, 1, 300), 1000, 10), ShmcbStatus::kOk);
  Bytes small(299);
  const auto r = cache_.fetch(id, small, 11);
  EXPECT_EQ(r.status, ShmcbStatus::kBufferTooSmall);
  EXPECT_EQ(r.data_len, 300u);
  EXPECT_TRUE(fetch(cache_, id, 11));  // still there
}

TEST(ShmcbEviction, WhenFullTheOldestGoFirst) {
  SharedBlock block(kSmallBlock);
  ShmcbCache cache;
  ASSERT_EQ(cache.format(block.data(), block.size()), ShmcbStatus::kOk);
  ASSERT_EQ(cache.geometry().subcache_count, 1u);
  constexpr std::uint32_t kCount = 400;  // far more than fit in 16 KiB
  for (std::uint32_t n = 0; n < kCount; ++n) {
    const Bytes id = make_id(n);
    ASSERT_EQ(cache.store(id, make_payload(id, n, 200 + n % 50), 1000000, n + 1), ShmcbStatus::kOk);
  }
  const std::int64_t now = kCount + 1;
  // Present ids form a suffix of the insertion order: once one is present, all later ones are.
  std::uint32_t oldest_present = kCount;
  for (std::uint32_t n = 0; n < kCount; ++n) {
    const Bytes id = make_id(n);
    const auto got = fetch(cache, id, now);
    if (got) {
      EXPECT_EQ(*got, make_payload(id, n, 200 + n % 50));
      if (oldest_present == kCount) oldest_present = n;
    } else {
      EXPECT_EQ(oldest_present, kCount) << "id " << n << " missing after a newer one was present";
    }
  }
  EXPECT_GT(oldest_present, 0u);           // something was evicted
  EXPECT_LT(oldest_present, kCount - 10);  // and the newest are all there
  const auto s = cache.stats(now);
  EXPECT_EQ(s.entries, kCount - oldest_present);
  EXPECT_EQ(s.counters.evicted, oldest_present);
  EXPECT_LE(s.bytes, s.capacity_bytes);
}

TEST(ShmcbEviction, ManyTinyEntriesRunOutOfIndexSlotsNotData) {
  SharedBlock block(kSmallBlock);
  ShmcbCache cache;
  ASSERT_EQ(cache.format(block.data(), block.size()), ShmcbStatus::kOk);
  const std::uint32_t slots = cache.geometry().index_slots;
  for (std::uint32_t n = 0; n < slots * 3; ++n) {
    const Bytes id = make_id(n, 8);
    ASSERT_EQ(cache.store(id, make_payload(id, n, 8), 1000000, 1), ShmcbStatus::kOk);
  }
  const auto s = cache.stats(2);
  EXPECT_EQ(s.entries, slots);
  EXPECT_EQ(s.counters.evicted, slots * 2);
  for (std::uint32_t n = slots * 2; n < slots * 3; ++n) EXPECT_TRUE(fetch(cache, make_id(n, 8), 2));
}

TEST(ShmcbEviction, ALargeEntryEvictsAsManySmallOnesAsItNeeds) {
  SharedBlock block(kSmallBlock);
  ShmcbCache cache;
  ASSERT_EQ(cache.format(block.data(), block.size()), ShmcbStatus::kOk);
  std::uint32_t n = 0;
  // Fill until the first eviction.
  while (cache.stats(1).counters.evicted == 0) {
    const Bytes id = make_id(n);
    ASSERT_EQ(cache.store(id, make_payload(id, n, 150), 1000000, 1), ShmcbStatus::kOk);
    ++n;
  }
  const Bytes big = make_id(999999);
  const auto big_data = make_payload(big, 1, cache.max_entry_bytes() - big.size());
  ASSERT_EQ(cache.store(big, big_data, 1000000, 1), ShmcbStatus::kOk);
  EXPECT_EQ(fetch(cache, big, 2), big_data);
  EXPECT_TRUE(fetch(cache, make_id(n - 1), 2));  // the newest small one survived
}

TEST(ShmcbSubcaches, IdsSpreadOverAllSubcachesAndStayFindable) {
  SharedBlock block(2u << 20);
  ShmcbCache cache;
  ASSERT_EQ(cache.format(block.data(), block.size()), ShmcbStatus::kOk);
  const std::uint32_t count = cache.geometry().subcache_count;
  ASSERT_GE(count, 64u);
  std::vector<std::uint32_t> per_subcache(count);
  const std::uint32_t ids = count * 20;
  for (std::uint32_t n = 0; n < ids; ++n) {
    const Bytes id = make_id(n);
    ++per_subcache[cache.subcache_of(id)];
    ASSERT_EQ(cache.store(id, make_payload(id, n, 120), 1000000, 1), ShmcbStatus::kOk);
  }
  for (const auto c : per_subcache) {
    EXPECT_GT(c, 0u);
    EXPECT_LT(c, 20u * 3);  // no subcache gets three times its share
  }
  // Twenty 150-byte entries fit in every subcache: nothing was evicted, everything is found.
  for (std::uint32_t n = 0; n < ids; ++n)
    EXPECT_EQ(fetch(cache, make_id(n), 2), make_payload(make_id(n), n, 120));
  EXPECT_EQ(cache.stats(2).counters.evicted, 0u);
  EXPECT_EQ(cache.stats(2).entries, ids);
}

TEST_F(ShmcbCacheTest, StatisticsCountEveryOutcome) {
  const Bytes a = make_id(1), b = make_id(2);
  ASSERT_EQ(cache_.store(a, make_payload(a, 1, 100), 1000, 10), ShmcbStatus::kOk);
  ASSERT_EQ(cache_.store(b, make_payload(b, 1, 200), 50, 10), ShmcbStatus::kOk);
  EXPECT_TRUE(fetch(cache_, a, 20));
  EXPECT_TRUE(fetch(cache_, b, 20));
  EXPECT_FALSE(fetch(cache_, make_id(3), 20));
  EXPECT_FALSE(fetch(cache_, b, 60));  // expired
  EXPECT_EQ(cache_.remove(a, 61), ShmcbStatus::kOk);
  EXPECT_EQ(cache_.remove(a, 61), ShmcbStatus::kNotFound);
  const auto s = cache_.stats(61);
  EXPECT_EQ(s.counters.stores, 2u);
  EXPECT_EQ(s.counters.hits, 2u);
  EXPECT_EQ(s.counters.misses, 2u);
  EXPECT_EQ(s.counters.expired, 1u);
  EXPECT_EQ(s.counters.removes, 1u);
  EXPECT_EQ(s.counters.evicted, 0u);
  EXPECT_EQ(s.counters.corruptions, 0u);
  EXPECT_EQ(s.entries, 0u);
  EXPECT_EQ(s.subcaches, 16u);
  EXPECT_GT(s.capacity_bytes, kModuleDefault / 2);
}

TEST(ShmcbAttach, SeesWhatAnotherCacheObjectStored) {
  SharedBlock block(kModuleDefault);
  ShmcbCache parent, child;
  ASSERT_EQ(parent.format(block.data(), block.size()), ShmcbStatus::kOk);
  const Bytes id = make_id(1);
  ASSERT_EQ(parent.store(id, make_payload(id, 1, 100), 1000, 10), ShmcbStatus::kOk);
  ASSERT_EQ(child.attach(block.data(), block.size()), ShmcbStatus::kOk);
  EXPECT_EQ(child.geometry(), parent.geometry());
  EXPECT_EQ(fetch(child, id, 11), make_payload(id, 1, 100));
}

TEST(ShmcbAttach, RefusesBlocksItDidNotFormat) {
  SharedBlock block(kModuleDefault);
  ShmcbCache cache;
  EXPECT_EQ(cache.attach(block.data(), block.size()), ShmcbStatus::kNotFormatted);  // zeros
  std::memset(block.data(), 0x5a, block.size());
  EXPECT_EQ(cache.attach(block.data(), block.size()), ShmcbStatus::kNotFormatted);  // foreign
  EXPECT_FALSE(cache.attached());
  Bytes buf(64);
  EXPECT_EQ(cache.fetch(make_id(1), buf, 1).status, ShmcbStatus::kNotAttached);
  EXPECT_EQ(cache.store(make_id(1), buf, 10, 1), ShmcbStatus::kNotAttached);
  EXPECT_EQ(cache.remove(make_id(1), 1), ShmcbStatus::kNotAttached);
  EXPECT_EQ(cache.stats(1).entries, 0u);
}

TEST(ShmcbAttach, RefusesTooSmallMisalignedOrResizedBlocks) {
  SharedBlock block(kModuleDefault);
  ShmcbCache cache;
  EXPECT_EQ(cache.format(block.data(), kShmcbMinRegionBytes - 1), ShmcbStatus::kRegionTooSmall);
  EXPECT_EQ(cache.format(nullptr, kModuleDefault), ShmcbStatus::kRegionTooSmall);
  EXPECT_EQ(cache.format(block.bytes() + 4, kModuleDefault - 4), ShmcbStatus::kRegionMisaligned);
  ASSERT_EQ(cache.format(block.data(), kModuleDefault), ShmcbStatus::kOk);
  ShmcbCache other;
  EXPECT_EQ(other.attach(block.data(), kShmcbMinRegionBytes - 1), ShmcbStatus::kRegionTooSmall);
  EXPECT_EQ(other.attach(block.data(), kModuleDefault - 8), ShmcbStatus::kGeometryMismatch);
  EXPECT_EQ(other.attach(block.data(), kModuleDefault / 2), ShmcbStatus::kGeometryMismatch);
  EXPECT_FALSE(other.attached());
  EXPECT_EQ(other.attach(block.data(), kModuleDefault), ShmcbStatus::kOk);
}

TEST(ShmcbAttach, RefusesADamagedOrOtherVersionHeader) {
  SharedBlock block(kModuleDefault);
  ShmcbCache cache;
  ASSERT_EQ(cache.format(block.data(), block.size()), ShmcbStatus::kOk);
  auto* header = static_cast<ShmcbHeader*>(block.data());

  ++header->version;
  EXPECT_EQ(cache.attach(block.data(), block.size()), ShmcbStatus::kVersionMismatch);
  --header->version;

  // Every geometry field, and the check itself: each one changed is refused.
  for (std::size_t off = offsetof(ShmcbHeader, region_bytes); off < offsetof(ShmcbHeader, stats);
       ++off) {
    block.bytes()[off] ^= 0x10;
    EXPECT_NE(cache.attach(block.data(), block.size()), ShmcbStatus::kOk) << "byte " << off;
    block.bytes()[off] ^= 0x10;
  }
  EXPECT_EQ(cache.attach(block.data(), block.size()), ShmcbStatus::kOk);
}

// Writes damage over a block holding `stored` sessions, then checks that every answer is either
// a miss or a value some store put there, and that the cache still works afterwards.
class ShmcbDamage : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(cache_.format(block_.data(), block_.size()), ShmcbStatus::kOk);
    for (std::uint32_t n = 0; n < kIds * 3; ++n) {
      const Bytes id = make_id(n % kIds);
      // Mixed sizes, and enough of them to evict and wrap the data rings.
      ASSERT_EQ(cache_.store(id, make_payload(id, n, 20 + (n * 37) % 700), 1000000, 1),
                ShmcbStatus::kOk);
    }
    if (cache_.stats(2).counters.evicted == 0) FAIL() << "the rings did not wrap";
  }

  // Fetches every id: each answer is a miss or a value some store put there for that id.
  void expect_only_stored_data() {
    Bytes buf(16 * 1024);
    for (std::uint32_t n = 0; n < kIds; ++n) {
      const Bytes id = make_id(n);
      const auto r = cache_.fetch(id, buf, 2);
      if (r.status == ShmcbStatus::kOk) {
        ASSERT_LE(r.data_len, buf.size());
        ASSERT_TRUE(is_stored_payload(id, std::span(buf).first(r.data_len))) << "id " << n;
      } else {
        ASSERT_TRUE(r.status == ShmcbStatus::kMiss || r.status == ShmcbStatus::kBufferTooSmall);
      }
    }
  }

  void expect_only_stored_data_and_still_working(std::mt19937& rng) {
    expect_only_stored_data();
    if (HasFatalFailure()) return;
    // Removes and stores walk and rewrite the damaged rings; reads afterwards stay sound.
    for (std::uint32_t n = 0; n < kIds; ++n) {
      const Bytes id = make_id(n);
      if (rng() % 4 == 0) cache_.remove(id, 2);
      if (rng() % 3 == 0) cache_.store(id, make_payload(id, rng(), rng() % 900), 1000000, 2);
    }
    expect_only_stored_data();
    if (HasFatalFailure()) return;
    // Every subcache recovers: a fresh entry in each is found again.
    for (std::uint32_t n = 0; n < 200; ++n) {
      const Bytes id = make_id(5000000 + n);
      const Bytes data = make_payload(id, n, 300);
      ASSERT_EQ(cache_.store(id, data, 1000000, 3), ShmcbStatus::kOk);
      ASSERT_EQ(fetch(cache_, id, 3), data) << "fresh id " << n;
    }
    (void)cache_.stats(3);  // walks every index: must not trip on anything either
  }

  std::uint8_t* subcaches() { return block_.bytes() + kShmcbHeaderBytes; }
  std::size_t subcaches_size() { return block_.size() - kShmcbHeaderBytes; }

  static constexpr std::uint32_t kIds = 600;
  SharedBlock block_{64 * 1024};  // four subcaches
  ShmcbCache cache_;
};

TEST_F(ShmcbDamage, RandomBytesOverRandomRanges) {
  std::mt19937 rng(20261124);
  for (int round = 0; round < 30; ++round) {
    for (int hit = 0; hit < 8; ++hit) {
      const std::size_t len = 1 + rng() % 256;
      const std::size_t at = rng() % (subcaches_size() - len);
      for (std::size_t i = 0; i < len; ++i) subcaches()[at + i] = static_cast<std::uint8_t>(rng());
    }
    expect_only_stored_data_and_still_working(rng);
    if (HasFatalFailure()) return;
  }
  const auto s = cache_.stats(4);
  EXPECT_GT(s.counters.corruptions, 0u);
  EXPECT_GT(s.counters.hits, 0u);  // the checks above saw real data, not only misses
}

TEST_F(ShmcbDamage, EveryFieldOfEveryIndexEntryAndRingHeader) {
  // Aim at the structures directly: each subcache's ring positions, and index entries' offsets,
  // lengths, states and hashes, with extreme and random values.
  std::mt19937 rng(7);
  const auto& g = cache_.geometry();
  const std::uint32_t extremes[] = {0,
                                    1,
                                    0x7fffffff,
                                    0xffffffff,
                                    g.data_bytes,
                                    g.data_bytes - 1,
                                    g.index_slots,
                                    g.index_slots + 1,
                                    g.max_entry_bytes + 1};
  for (int round = 0; round < 40; ++round) {
    const std::uint32_t sub = rng() % g.subcache_count;
    std::uint8_t* base = subcaches() + std::size_t{sub} * g.subcache_stride;
    auto* rings = reinterpret_cast<std::uint32_t*>(base);
    auto* index = reinterpret_cast<ShmcbIndexEntry*>(base + sizeof(ShmcbSubcacheHeader));
    const std::uint32_t value = round % 3 == 0 ? rng() : extremes[rng() % std::size(extremes)];
    switch (rng() % 7) {
      case 0:
        rings[rng() % 4] = value;
        break;
      case 1:
        index[rng() % g.index_slots].data_offset = value;
        break;
      case 2:
        index[rng() % g.index_slots].data_len = value;
        break;
      case 3:
        index[rng() % g.index_slots].id_len = static_cast<std::uint16_t>(value);
        break;
      case 4:
        index[rng() % g.index_slots].state = static_cast<std::uint16_t>(rng());
        break;
      case 5:
        index[rng() % g.index_slots].expiry = static_cast<std::int64_t>(value) << 20;
        break;
      case 6:
        index[rng() % g.index_slots].checksum ^= value;
        break;
    }
    expect_only_stored_data_and_still_working(rng);
    if (HasFatalFailure()) return;
  }
  EXPECT_GT(cache_.stats(4).counters.hits, 0u);
}

// Finds the index entry of `id` in a one-subcache block by looking for its bytes in the ring.
ShmcbIndexEntry* find_entry(const SharedBlock& block, const ShmcbGeometry& g,
                            std::span<const std::uint8_t> id) {
  std::uint8_t* base = block.bytes() + kShmcbHeaderBytes;
  auto* index = reinterpret_cast<ShmcbIndexEntry*>(base + sizeof(ShmcbSubcacheHeader));
  const std::uint8_t* data = base + sizeof(ShmcbSubcacheHeader) + g.index_slots * sizeof(*index);
  for (std::uint32_t slot = 0; slot < g.index_slots; ++slot) {
    const ShmcbIndexEntry& e = index[slot];
    if (e.state != static_cast<std::uint16_t>(ShmcbEntryState::kLive) || e.id_len != id.size() ||
        e.data_offset >= g.data_bytes)
      continue;
    bool same = true;
    for (std::size_t i = 0; i < id.size() && same; ++i)
      same = data[(e.data_offset + i) % g.data_bytes] == id[i];
    if (same) return &index[slot];
  }
  return nullptr;
}

TEST(ShmcbDamagedEntry, EveryBadFieldOfAKnownEntryIsAMissNeverAnOverread) {
  // The entry asked for is found by hash and id length, so each damaged field below is really
  // acted on by fetch (not skipped as another id's entry). The block is small so that an offset
  // past the ring would leave the mapping.
  SharedBlock block(kSmallBlock);
  ShmcbCache cache;
  ASSERT_EQ(cache.format(block.data(), block.size()), ShmcbStatus::kOk);
  const auto& g = cache.geometry();
  const std::uint32_t bad_values[] = {
      g.data_bytes, g.data_bytes + 1,      g.data_bytes * 2, 0x7fffffff,
      0xffffffff,   g.max_entry_bytes + 1, g.data_bytes - 1, 1};
  for (int field = 0; field < 3; ++field) {
    for (const std::uint32_t bad : bad_values) {
      ASSERT_EQ(cache.format(block.data(), block.size()), ShmcbStatus::kOk);
      // A few neighbours, then the victim in the middle of the ring.
      for (std::uint32_t n = 0; n < 5; ++n)
        ASSERT_EQ(cache.store(make_id(n), make_payload(make_id(n), n, 300), 1000, 1),
                  ShmcbStatus::kOk);
      const Bytes id = make_id(77);
      ASSERT_EQ(cache.store(id, make_payload(id, 1, 300), 1000, 1), ShmcbStatus::kOk);
      ASSERT_EQ(cache.store(make_id(5), make_payload(make_id(5), 5, 300), 1000, 1),
                ShmcbStatus::kOk);
      ShmcbIndexEntry* e = find_entry(block, g, id);
      ASSERT_NE(e, nullptr);
      switch (field) {
        case 0:
          e->data_offset = bad;
          break;
        case 1:
          e->data_len = bad;
          break;
        case 2:
          e->id_len = static_cast<std::uint16_t>(bad);
          break;
      }
      Bytes buf(64 * 1024);
      const auto r = cache.fetch(id, buf, 2);
      if (r.status == ShmcbStatus::kOk) {
        // Only possible where the damage changed nothing that matters (none of these values).
        ADD_FAILURE() << "field " << field << " value " << bad << " was a hit";
      }
      EXPECT_TRUE(fetch(cache, make_id(5), 2)) << "field " << field << " value " << bad;
      // Storing and removing around the damaged entry stays sound too.
      for (std::uint32_t n = 100; n < 200; ++n)
        ASSERT_EQ(cache.store(make_id(n), make_payload(make_id(n), n, 250), 1000, 3),
                  ShmcbStatus::kOk);
      EXPECT_TRUE(fetch(cache, make_id(199), 3));
    }
  }
}

TEST_F(ShmcbDamage, OverwrittenSessionBytesAreNeverHandedOut) {
  // Damage only the data rings (not the index): the checksum must catch every changed entry.
  const auto& g = cache_.geometry();
  std::mt19937 rng(99);
  for (std::uint32_t sub = 0; sub < g.subcache_count; ++sub) {
    std::uint8_t* data = subcaches() + std::size_t{sub} * g.subcache_stride +
                         sizeof(ShmcbSubcacheHeader) + g.index_slots * sizeof(ShmcbIndexEntry);
    for (std::uint32_t i = 0; i < g.data_bytes; i += 97) data[i] ^= 1 + rng() % 255;
  }
  expect_only_stored_data();
  // Most live entries had a byte changed in their data; none of those was a hit.
  const auto s = cache_.stats(2);
  EXPECT_GT(s.counters.corruptions, 0u);
  EXPECT_LT(s.counters.hits, s.counters.corruptions);
  expect_only_stored_data_and_still_working(rng);
}

TEST_F(ShmcbDamage, WholeBlockOfGarbage) {
  std::mt19937 rng(3);
  for (std::size_t i = 0; i < subcaches_size(); ++i)
    subcaches()[i] = static_cast<std::uint8_t>(rng());
  expect_only_stored_data_and_still_working(rng);
}

// Shared between the forked processes: the lock mod_ssl would hold (Mutex ssl-cache), a clock
// all of them agree on, and per-process tallies to compare with the cache's counters.
struct StressShared {
  pthread_mutex_t lock;
  std::int64_t clock;
  std::uint64_t stores[8];
  std::uint64_t fetches[8];
  std::uint64_t hits[8];
};

// One child's work; returns its exit code (0: every fetched value was one stored for that id).
int hammer(ShmcbCache& cache, StressShared& shared, int me, int ops) {
  std::mt19937 rng(1000 + me);
  std::vector<std::uint8_t> buf(16 * 1024);
  constexpr std::uint32_t kIds = 800;
  for (int i = 0; i < ops; ++i) {
    const Bytes id = make_id(rng() % kIds);
    const unsigned what = rng() % 100;
    // Mostly session-sized, sometimes client-certificate-sized, so subcaches evict.
    const std::size_t len = rng() % 10 == 0 ? 1500 + rng() % 2000 : 60 + rng() % 300;
    const Bytes data = what < 40 ? make_payload(id, rng(), len) : Bytes{};
    if (pthread_mutex_lock(&shared.lock) != 0) return 3;
    const std::int64_t now = ++shared.clock;
    int failure = 0;
    if (what < 40) {
      if (cache.store(id, data, now + 500 + rng() % 20000, now) != ShmcbStatus::kOk) failure = 4;
      ++shared.stores[me];
    } else if (what < 90) {
      const auto r = cache.fetch(id, buf, now);
      ++shared.fetches[me];
      if (r.status == ShmcbStatus::kOk) {
        ++shared.hits[me];
        if (!is_stored_payload(id, std::span(buf).first(r.data_len))) failure = 1;
      } else if (r.status != ShmcbStatus::kMiss) {
        failure = 2;
      }
    } else {
      cache.remove(id, now);
    }
    pthread_mutex_unlock(&shared.lock);
    if (failure != 0) return failure;
  }
  return 0;
}

TEST(ShmcbStress, ForkedProcessesShareOneCacheUnderOneLock) {
  constexpr int kChildren = 8;
  constexpr int kOpsPerChild = 10000;
  SharedBlock block(256 * 1024);
  SharedBlock shared_block(sizeof(StressShared));
  ASSERT_NE(shared_block.data(), nullptr);
  auto* shared = new (shared_block.data()) StressShared{};
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  ASSERT_EQ(pthread_mutex_init(&shared->lock, &attr), 0);
  pthread_mutexattr_destroy(&attr);

  // As in httpd: the parent formats before forking, each child attaches to the same block.
  ShmcbCache parent;
  ASSERT_EQ(parent.format(block.data(), block.size()), ShmcbStatus::kOk);

  std::vector<pid_t> children;
  for (int c = 0; c < kChildren; ++c) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ShmcbCache cache;
      int code = cache.attach(block.data(), block.size()) == ShmcbStatus::kOk ? 0 : 5;
      if (code == 0) code = hammer(cache, *shared, c, kOpsPerChild);
      _exit(code);  // never return into the test runner in the child
    }
    children.push_back(pid);
  }
  for (const pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status)) << "child killed by signal " << WTERMSIG(status);
    EXPECT_EQ(WEXITSTATUS(status), 0)
        << "1: fetched bytes not stored for the id, 2: bad status, 4: store failed, 5: attach";
  }

  std::uint64_t stores = 0, fetches = 0, hits = 0;
  for (int c = 0; c < kChildren; ++c) {
    stores += shared->stores[c];
    fetches += shared->fetches[c];
    hits += shared->hits[c];
  }
  const auto s = parent.stats(shared->clock);
  EXPECT_EQ(s.counters.stores, stores);
  EXPECT_EQ(s.counters.hits, hits);
  EXPECT_EQ(s.counters.hits + s.counters.misses, fetches);
  EXPECT_GT(hits, 0u);
  EXPECT_GT(s.counters.evicted, 0u);
  EXPECT_EQ(s.counters.corruptions, 0u);
  pthread_mutex_destroy(&shared->lock);
}

}  // namespace
}  // namespace modssl::session
