#include "session/shmcb_cache.h"

#include <cstddef>
#include <cstring>

#include "session/shmcb_hash.h"
#include "session/shmcb_subcache.h"

namespace modssl::session {
namespace {

// The header fields that describe the layout, hashed: a header damaged in any of them fails
// attach even when the damaged value happens to look plausible.
std::uint64_t geometry_check(const ShmcbHeader& h) {
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(&h);
  return shmcb_hash(std::span(bytes, offsetof(ShmcbHeader, geometry_check)), kShmcbMagic);
}

ShmcbStatus check_block(void* block, std::size_t size) {
  if (block == nullptr || size < kShmcbMinRegionBytes) return ShmcbStatus::kRegionTooSmall;
  if (reinterpret_cast<std::uintptr_t>(block) % 8 != 0) return ShmcbStatus::kRegionMisaligned;
  return ShmcbStatus::kOk;
}

ShmcbKey make_key(std::span<const std::uint8_t> id) {
  return ShmcbKey{id, static_cast<std::uint32_t>(shmcb_hash(id, 0))};
}

bool id_acceptable(std::span<const std::uint8_t> id) {
  return !id.empty() && id.size() <= kShmcbMaxIdBytes;
}

}  // namespace

ShmcbStatus ShmcbCache::format(void* block, std::size_t size) {
  base_ = nullptr;
  if (const auto st = check_block(block, size); st != ShmcbStatus::kOk) return st;
  const auto geometry = compute_shmcb_geometry(size);
  if (!geometry) return ShmcbStatus::kRegionTooSmall;

  auto* base = static_cast<std::uint8_t*>(block);
  ShmcbHeader h{};
  h.magic = kShmcbMagic;
  h.version = kShmcbVersion;
  h.header_bytes = static_cast<std::uint32_t>(kShmcbHeaderBytes);
  h.region_bytes = size;
  h.subcache_count = geometry->subcache_count;
  h.index_slots = geometry->index_slots;
  h.data_bytes = geometry->data_bytes;
  h.subcache_stride = geometry->subcache_stride;
  h.max_entry_bytes = geometry->max_entry_bytes;
  h.geometry_check = geometry_check(h);
  std::memcpy(base, &h, sizeof h);

  base_ = base;
  geometry_ = *geometry;
  for (std::uint32_t i = 0; i < geometry_.subcache_count; ++i)
    ShmcbSubcache(subcache_base(i), geometry_, header().stats).format();
  return ShmcbStatus::kOk;
}

ShmcbStatus ShmcbCache::attach(void* block, std::size_t size) {
  base_ = nullptr;
  if (const auto st = check_block(block, size); st != ShmcbStatus::kOk) return st;
  ShmcbHeader h;
  std::memcpy(&h, block, sizeof h);
  if (h.magic != kShmcbMagic) return ShmcbStatus::kNotFormatted;
  if (h.version != kShmcbVersion || h.header_bytes != kShmcbHeaderBytes)
    return ShmcbStatus::kVersionMismatch;
  // The geometry is recomputed from the size we were given, not taken from the header: a header
  // that disagrees was formatted for another size (or is damaged) and would make us index past
  // the block.
  const auto expected = compute_shmcb_geometry(size);
  if (!expected) return ShmcbStatus::kRegionTooSmall;
  if (h.region_bytes != size || h.subcache_count != expected->subcache_count ||
      h.index_slots != expected->index_slots || h.data_bytes != expected->data_bytes ||
      h.subcache_stride != expected->subcache_stride ||
      h.max_entry_bytes != expected->max_entry_bytes || h.geometry_check != geometry_check(h))
    return ShmcbStatus::kGeometryMismatch;
  base_ = static_cast<std::uint8_t*>(block);
  geometry_ = *expected;
  return ShmcbStatus::kOk;
}

std::uint8_t* ShmcbCache::subcache_base(std::uint32_t index) const {
  // index < subcache_count, and the geometry guarantees kShmcbHeaderBytes + count * stride <= size.
  return base_ + kShmcbHeaderBytes + std::size_t{index} * geometry_.subcache_stride;
}

std::uint32_t ShmcbCache::subcache_of(std::span<const std::uint8_t> id) const {
  if (geometry_.subcache_count == 0) return 0;
  // subcache_count is a power of two: the mask is a cheap modulo.
  return make_key(id).hash & (geometry_.subcache_count - 1);
}

ShmcbStatus ShmcbCache::store(std::span<const std::uint8_t> id, std::span<const std::uint8_t> data,
                              std::int64_t expiry, std::int64_t now) {
  if (!attached()) return ShmcbStatus::kNotAttached;
  ShmcbStatus refusal = ShmcbStatus::kOk;
  if (!id_acceptable(id)) {
    refusal = ShmcbStatus::kBadId;
  } else if (data.size() > geometry_.max_entry_bytes ||
             id.size() + data.size() > geometry_.max_entry_bytes) {
    refusal = ShmcbStatus::kEntryTooLarge;
  } else if (expiry <= now) {
    refusal = ShmcbStatus::kAlreadyExpired;
  }
  if (refusal != ShmcbStatus::kOk) {
    ++header().stats.rejected;
    return refusal;
  }
  const ShmcbKey key = make_key(id);
  ShmcbSubcache(subcache_base(key.hash & (geometry_.subcache_count - 1)), geometry_, header().stats)
      .store(key, data, expiry, now);
  return ShmcbStatus::kOk;
}

ShmcbFetchResult ShmcbCache::fetch(std::span<const std::uint8_t> id, std::span<std::uint8_t> out,
                                   std::int64_t now) {
  if (!attached()) return {ShmcbStatus::kNotAttached, 0};
  if (!id_acceptable(id)) {
    ++header().stats.misses;
    return {ShmcbStatus::kMiss, 0};
  }
  const ShmcbKey key = make_key(id);
  return ShmcbSubcache(subcache_base(key.hash & (geometry_.subcache_count - 1)), geometry_,
                       header().stats)
      .fetch(key, out, now);
}

ShmcbStatus ShmcbCache::remove(std::span<const std::uint8_t> id, std::int64_t now) {
  if (!attached()) return ShmcbStatus::kNotAttached;
  if (!id_acceptable(id)) return ShmcbStatus::kNotFound;
  const ShmcbKey key = make_key(id);
  const bool removed = ShmcbSubcache(subcache_base(key.hash & (geometry_.subcache_count - 1)),
                                     geometry_, header().stats)
                           .remove(key, now);
  return removed ? ShmcbStatus::kOk : ShmcbStatus::kNotFound;
}

ShmcbStats ShmcbCache::stats(std::int64_t now) {
  ShmcbStats s;
  if (!attached()) return s;
  s.subcaches = geometry_.subcache_count;
  s.capacity_bytes = std::uint64_t{geometry_.data_bytes} * geometry_.subcache_count;
  for (std::uint32_t i = 0; i < geometry_.subcache_count; ++i) {
    const auto u = ShmcbSubcache(subcache_base(i), geometry_, header().stats).usage(now);
    s.entries += u.live_entries;
    s.bytes += u.data_bytes;
  }
  std::memcpy(&s.counters, &header().stats, sizeof s.counters);
  return s;
}

}  // namespace modssl::session
