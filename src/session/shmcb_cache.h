#pragma once
// The shmcb session cache: a fixed-size cyclic cache of (id -> session bytes) entries in a block
// of memory shared by all httpd children.
//
// The cache does not own or create its memory: the parent process creates the block before
// forking (apr_shm_create), calls format() once, and every process (parent and children) then
// works through a ShmcbCache over the same block. Tests do the same with an anonymous shared
// mmap and fork.
//
// Not thread- or process-safe by design: callers serialise every call (format excepted, which
// runs before anyone else sees the block) with one lock shared by all processes, as mod_ssl does
// with `Mutex ssl-cache`. What the cache does guarantee is that no content of the block, however
// damaged, makes it read or write outside the block, or hand out bytes that were not stored for
// the id asked for: damaged entries are misses and are dropped.
//
// Time is whatever unit the caller uses consistently (seconds, or apr_time_t microseconds); an
// entry is live while now < expiry. No operation allocates memory.
#include <cstddef>
#include <cstdint>
#include <span>

#include "session/shmcb_layout.h"
#include "session/shmcb_status.h"

namespace modssl::session {

struct ShmcbStats {
  // Current contents (computed by walking every subcache's index: for status pages, not hot).
  std::uint64_t entries = 0;  // live, unexpired entries
  std::uint64_t bytes = 0;    // data ring bytes in use, dead entries not yet reclaimed included
  std::uint64_t capacity_bytes = 0;  // data ring bytes in all subcaches
  std::uint64_t subcaches = 0;
  // Counters since format(), shared by all processes.
  ShmcbStatsCounters counters{};
};

class ShmcbCache {
 public:
  ShmcbCache() = default;

  // Lays out an empty cache over [block, block + size). The block must be 8-byte aligned.
  ShmcbStatus format(void* block, std::size_t size);
  // Uses a block that format() laid out (in this or another process). The header must carry our
  // magic and version and describe exactly the geometry format() would give this size; anything
  // else is refused and the cache stays unattached.
  ShmcbStatus attach(void* block, std::size_t size);

  bool attached() const { return base_ != nullptr; }
  const ShmcbGeometry& geometry() const { return geometry_; }
  // Largest id.size() + data.size() that store() accepts.
  std::size_t max_entry_bytes() const { return geometry_.max_entry_bytes; }

  // Replaces any entry for the same id. Evicts the oldest entries of the id's subcache when it
  // is full.
  ShmcbStatus store(std::span<const std::uint8_t> id, std::span<const std::uint8_t> data,
                    std::int64_t expiry, std::int64_t now);
  // Copies the session into `out` (kOk and its length), or kMiss, or kBufferTooSmall with the
  // length needed. On anything but kOk the contents of `out` are unspecified.
  ShmcbFetchResult fetch(std::span<const std::uint8_t> id, std::span<std::uint8_t> out,
                         std::int64_t now);
  // kOk when an entry was removed, kNotFound when there was none.
  ShmcbStatus remove(std::span<const std::uint8_t> id, std::int64_t now);

  ShmcbStats stats(std::int64_t now);

  // Which subcache an id belongs to (exposed for tests of the distribution).
  std::uint32_t subcache_of(std::span<const std::uint8_t> id) const;

 private:
  ShmcbHeader& header() const { return *reinterpret_cast<ShmcbHeader*>(base_); }
  std::uint8_t* subcache_base(std::uint32_t index) const;

  std::uint8_t* base_ = nullptr;
  // The private, validated copy: never re-read from shared memory after format/attach.
  ShmcbGeometry geometry_{};
};

}  // namespace modssl::session
