#pragma once
// One subcache of the shmcb block: an index ring and a data ring (see shmcb_layout.h). Every
// operation touches only this subcache's bytes, and trusts nothing it reads from them.
#include <cstddef>
#include <cstdint>
#include <span>

#include "session/shmcb_layout.h"
#include "session/shmcb_status.h"

namespace modssl::session {

// An id with its hash, computed once per operation by the caller (the hash also picked the
// subcache).
struct ShmcbKey {
  std::span<const std::uint8_t> id;
  std::uint32_t hash;
};

class ShmcbSubcache {
 public:
  // `base` is the subcache's first byte; `geometry` is the validated private copy.
  ShmcbSubcache(std::uint8_t* base, const ShmcbGeometry& geometry, ShmcbStatsCounters& stats);

  void format();
  // The caller has checked id and sizes against the geometry (max_entry_bytes, kShmcbMaxIdBytes).
  void store(const ShmcbKey& key, std::span<const std::uint8_t> data, std::int64_t expiry,
             std::int64_t now);
  ShmcbFetchResult fetch(const ShmcbKey& key, std::span<std::uint8_t> out, std::int64_t now);
  bool remove(const ShmcbKey& key, std::int64_t now);

  struct Usage {
    std::size_t live_entries = 0;
    std::size_t data_bytes = 0;
  };
  Usage usage(std::int64_t now);

 private:
  // A local copy of the subcache header, validated.
  struct Rings {
    std::uint32_t idx_first = 0;
    std::uint32_t idx_used = 0;
    std::uint32_t data_first = 0;
    std::uint32_t data_used = 0;
  };

  Rings load_rings();
  void save_rings(const Rings& rings);
  ShmcbIndexEntry read_entry(std::uint32_t slot) const;
  void mark_removed(std::uint32_t slot);
  std::uint32_t slot_at(const Rings& rings, std::uint32_t position) const;
  bool entry_in_bounds(const ShmcbIndexEntry& entry, const Rings& rings) const;
  bool id_matches(const ShmcbIndexEntry& entry, const ShmcbKey& key) const;
  void drop_front(Rings& rings, std::int64_t now, bool making_room);
  void reclaim_dead_front(Rings& rings, std::int64_t now);
  void copy_from_ring(std::uint32_t offset, std::span<std::uint8_t> out) const;
  void copy_to_ring(std::uint32_t offset, std::span<const std::uint8_t> in);

  // Calls visit(slot, entry) for each live, in-bounds entry whose id is key's, newest first;
  // stops when visit returns false. Live entries that match the key's hash and length but fail
  // the bounds check are dropped on the way.
  template <class Visit>
  void for_each_match(const ShmcbKey& key, const Rings& rings, Visit&& visit);

  ShmcbSubcacheHeader* header_;
  ShmcbIndexEntry* index_;
  std::uint8_t* data_;
  const ShmcbGeometry& geometry_;
  ShmcbStatsCounters& stats_;
};

// The checksum an index entry carries for its id, data and expiry.
std::uint64_t shmcb_entry_checksum(std::span<const std::uint8_t> id,
                                   std::span<const std::uint8_t> data, std::int64_t expiry);

}  // namespace modssl::session
