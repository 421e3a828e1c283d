#include "session/shmcb_layout.h"

#include <limits>

namespace modssl::session {

std::optional<ShmcbGeometry> compute_shmcb_geometry(std::size_t region_bytes) {
  if (region_bytes < kShmcbMinRegionBytes) return std::nullopt;
  const std::size_t body = region_bytes - kShmcbHeaderBytes;

  // Power of two subcaches, as many as keep each at least kShmcbMinSubcacheBytes.
  std::uint32_t count = 1;
  while (count < kShmcbMaxSubcaches && body / (std::size_t{count} * 2) >= kShmcbMinSubcacheBytes)
    count *= 2;

  // Stride rounded down to 8 so every subcache's header and index stay aligned; the few bytes
  // left at the end of the block are unused.
  const std::size_t stride = (body / count) & ~std::size_t{7};
  // Offsets inside a subcache are 32-bit.
  if (stride > std::numeric_limits<std::uint32_t>::max()) return std::nullopt;

  const std::size_t usable = stride - sizeof(ShmcbSubcacheHeader);
  std::size_t slots = usable / (sizeof(ShmcbIndexEntry) + kShmcbTypicalEntryBytes);
  if (slots < 4) return std::nullopt;
  const std::size_t data = usable - slots * sizeof(ShmcbIndexEntry);

  ShmcbGeometry g;
  g.region_bytes = region_bytes;
  g.subcache_count = count;
  g.index_slots = static_cast<std::uint32_t>(slots);
  g.data_bytes = static_cast<std::uint32_t>(data);
  g.subcache_stride = static_cast<std::uint32_t>(stride);
  g.max_entry_bytes = static_cast<std::uint32_t>(data / kShmcbMaxEntryFractionDivisor);
  return g;
}

}  // namespace modssl::session
