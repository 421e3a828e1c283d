#include "session/shmcb_subcache.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "session/shmcb_hash.h"

namespace modssl::session {

std::uint64_t shmcb_entry_checksum(std::span<const std::uint8_t> id,
                                   std::span<const std::uint8_t> data, std::int64_t expiry) {
  const std::uint64_t id_part = shmcb_hash(id, 0x1d);
  const std::uint64_t data_part = shmcb_hash(data, id_part);
  return shmcb_mix(data_part, static_cast<std::uint64_t>(expiry));
}

ShmcbSubcache::ShmcbSubcache(std::uint8_t* base, const ShmcbGeometry& geometry,
                             ShmcbStatsCounters& stats)
    : header_(reinterpret_cast<ShmcbSubcacheHeader*>(base)),
      index_(reinterpret_cast<ShmcbIndexEntry*>(base + sizeof(ShmcbSubcacheHeader))),
      data_(base + sizeof(ShmcbSubcacheHeader) + geometry.index_slots * sizeof(ShmcbIndexEntry)),
      geometry_(geometry),
      stats_(stats) {}

void ShmcbSubcache::format() {
  save_rings(Rings{});
  // Index slots are only read within idx_used, but clear them so a fresh block holds no stale
  // bytes from whoever used the memory before.
  std::memset(index_, 0, geometry_.index_slots * sizeof(ShmcbIndexEntry));
}

ShmcbSubcache::Rings ShmcbSubcache::load_rings() {
  // Read each field once: the validated locals are what the operation uses from here on.
  Rings r;
  r.idx_first = header_->idx_first;
  r.idx_used = header_->idx_used;
  r.data_first = header_->data_first;
  r.data_used = header_->data_used;
  const bool sane = r.idx_first < geometry_.index_slots && r.idx_used <= geometry_.index_slots &&
                    r.data_first < geometry_.data_bytes && r.data_used <= geometry_.data_bytes &&
                    // Data without entries to account for it cannot be reclaimed: a ring that
                    // says so is damaged.
                    (r.idx_used > 0 || r.data_used == 0);
  if (sane) return r;
  // Nothing in this subcache can be located reliably any more: start it empty. Its sessions are
  // lost (clients do a full handshake), which is the worst a damaged cache may cost.
  ++stats_.corruptions;
  r = Rings{};
  save_rings(r);
  return r;
}

void ShmcbSubcache::save_rings(const Rings& r) {
  header_->idx_first = r.idx_first;
  header_->idx_used = r.idx_used;
  header_->data_first = r.data_first;
  header_->data_used = r.data_used;
}

ShmcbIndexEntry ShmcbSubcache::read_entry(std::uint32_t slot) const {
  ShmcbIndexEntry e;
  std::memcpy(&e, &index_[slot], sizeof e);  // one read; checks below look at this copy only
  return e;
}

void ShmcbSubcache::mark_removed(std::uint32_t slot) {
  index_[slot].state = static_cast<std::uint16_t>(ShmcbEntryState::kRemoved);
}

std::uint32_t ShmcbSubcache::slot_at(const Rings& r, std::uint32_t position) const {
  // position < idx_used <= index_slots and idx_first < index_slots: the sum fits in 64 bits and
  // the result is a valid slot.
  return static_cast<std::uint32_t>((std::uint64_t{r.idx_first} + position) %
                                    geometry_.index_slots);
}

bool ShmcbSubcache::entry_in_bounds(const ShmcbIndexEntry& e, const Rings& r) const {
  if (e.id_len == 0 || e.id_len > kShmcbMaxIdBytes) return false;
  // Checked separately first so that the sum below cannot overflow.
  if (e.data_len > geometry_.max_entry_bytes) return false;
  const std::uint64_t total = std::uint64_t{e.id_len} + e.data_len;
  if (total > geometry_.max_entry_bytes) return false;
  if (e.data_offset >= geometry_.data_bytes) return false;
  // The entry must lie inside the used part of the data ring: its distance from the ring's
  // first byte plus its length may not pass data_used. Then copying it, with wrap-around, only
  // reads bytes of this subcache's ring.
  const std::uint64_t distance =
      (std::uint64_t{e.data_offset} + geometry_.data_bytes - r.data_first) % geometry_.data_bytes;
  return distance + total <= r.data_used;
}

bool ShmcbSubcache::id_matches(const ShmcbIndexEntry& e, const ShmcbKey& key) const {
  std::array<std::uint8_t, kShmcbMaxIdBytes> stored;
  // e.id_len == key.id.size() <= kShmcbMaxIdBytes was checked by the caller.
  copy_from_ring(e.data_offset, std::span(stored.data(), e.id_len));
  return std::memcmp(stored.data(), key.id.data(), e.id_len) == 0;
}

void ShmcbSubcache::copy_from_ring(std::uint32_t offset, std::span<std::uint8_t> out) const {
  // offset < data_bytes and out.size() <= data_bytes (entry_in_bounds, max_entry_bytes).
  const std::size_t first = std::min<std::size_t>(out.size(), geometry_.data_bytes - offset);
  std::memcpy(out.data(), data_ + offset, first);
  std::memcpy(out.data() + first, data_, out.size() - first);
}

void ShmcbSubcache::copy_to_ring(std::uint32_t offset, std::span<const std::uint8_t> in) {
  const std::size_t first = std::min<std::size_t>(in.size(), geometry_.data_bytes - offset);
  std::memcpy(data_ + offset, in.data(), first);
  std::memcpy(data_, in.data() + first, in.size() - first);
}

template <class Visit>
void ShmcbSubcache::for_each_match(const ShmcbKey& key, const Rings& r, Visit&& visit) {
  for (std::uint32_t i = r.idx_used; i-- > 0;) {
    const std::uint32_t slot = slot_at(r, i);
    const ShmcbIndexEntry e = read_entry(slot);
    if (e.state != static_cast<std::uint16_t>(ShmcbEntryState::kLive)) continue;
    if (e.id_hash != key.hash || e.id_len != key.id.size()) continue;
    if (!entry_in_bounds(e, r)) {
      ++stats_.corruptions;
      mark_removed(slot);
      continue;
    }
    if (!id_matches(e, key)) continue;
    if (!visit(slot, e)) return;
  }
}

void ShmcbSubcache::drop_front(Rings& r, std::int64_t now, bool making_room) {
  const ShmcbIndexEntry e = read_entry(r.idx_first);
  // Entries are laid out back to back in the order of the index, so the oldest entry must start
  // at data_first. One that does not (or claims more bytes than the ring holds) means the rings
  // no longer describe each other, and nothing after it can be reclaimed correctly.
  const std::uint64_t total = std::uint64_t{e.id_len} + e.data_len;
  const bool consistent =
      e.id_len > 0 && e.id_len <= kShmcbMaxIdBytes && e.data_len <= geometry_.max_entry_bytes &&
      total <= geometry_.max_entry_bytes && e.data_offset == r.data_first && total <= r.data_used;
  if (!consistent) {
    ++stats_.corruptions;
    r = Rings{};
    return;
  }
  if (e.state == static_cast<std::uint16_t>(ShmcbEntryState::kLive)) {
    if (now >= e.expiry) {
      ++stats_.expired;
    } else if (making_room) {
      ++stats_.evicted;
    }
  }
  r.idx_first = (r.idx_first + 1) % geometry_.index_slots;
  --r.idx_used;
  r.data_first = static_cast<std::uint32_t>((r.data_first + total) % geometry_.data_bytes);
  r.data_used -= static_cast<std::uint32_t>(total);
  if (r.idx_used == 0) r = Rings{};  // start again at offset 0: fewer wrapped copies
}

void ShmcbSubcache::reclaim_dead_front(Rings& r, std::int64_t now) {
  // Removed and expired entries at the front cost nothing to reclaim. Ones further back wait
  // until they reach the front (expiry times are mostly increasing along the ring anyway).
  while (r.idx_used > 0) {
    const ShmcbIndexEntry e = read_entry(r.idx_first);
    const bool live = e.state == static_cast<std::uint16_t>(ShmcbEntryState::kLive);
    if (live && now < e.expiry) return;
    drop_front(r, now, /*making_room=*/false);
  }
}

void ShmcbSubcache::store(const ShmcbKey& key, std::span<const std::uint8_t> data,
                          std::int64_t expiry, std::int64_t now) {
  Rings r = load_rings();
  // An id is cached once: the newer session replaces the older one.
  for_each_match(key, r, [&](std::uint32_t slot, const ShmcbIndexEntry&) {
    mark_removed(slot);
    return true;
  });
  reclaim_dead_front(r, now);

  const std::uint32_t total = static_cast<std::uint32_t>(key.id.size() + data.size());
  // total <= max_entry_bytes < data_bytes, so this ends with room (at worst an empty ring).
  while (r.idx_used == geometry_.index_slots || geometry_.data_bytes - r.data_used < total)
    drop_front(r, now, /*making_room=*/true);

  const auto offset = static_cast<std::uint32_t>((std::uint64_t{r.data_first} + r.data_used) %
                                                 geometry_.data_bytes);
  copy_to_ring(offset, key.id);
  copy_to_ring(static_cast<std::uint32_t>((offset + key.id.size()) % geometry_.data_bytes), data);

  ShmcbIndexEntry e{};
  e.expiry = expiry;
  e.checksum = shmcb_entry_checksum(key.id, data, expiry);
  e.data_offset = offset;
  e.data_len = static_cast<std::uint32_t>(data.size());
  e.id_hash = key.hash;
  e.id_len = static_cast<std::uint16_t>(key.id.size());
  e.state = static_cast<std::uint16_t>(ShmcbEntryState::kLive);
  std::memcpy(&index_[slot_at(r, r.idx_used)], &e, sizeof e);

  ++r.idx_used;
  r.data_used += total;
  save_rings(r);
  ++stats_.stores;
}

ShmcbFetchResult ShmcbSubcache::fetch(const ShmcbKey& key, std::span<std::uint8_t> out,
                                      std::int64_t now) {
  Rings r = load_rings();
  ShmcbFetchResult result;
  for_each_match(key, r, [&](std::uint32_t slot, const ShmcbIndexEntry& e) {
    if (now >= e.expiry) {
      ++stats_.expired;
      mark_removed(slot);
      return false;  // the newest entry for the id is expired: a miss
    }
    if (e.data_len > out.size()) {
      result = {ShmcbStatus::kBufferTooSmall, e.data_len};
      return false;
    }
    const auto copy = out.first(e.data_len);
    copy_from_ring(
        static_cast<std::uint32_t>((e.data_offset + key.id.size()) % geometry_.data_bytes), copy);
    if (shmcb_entry_checksum(key.id, copy, e.expiry) != e.checksum) {
      // Bytes of this entry were overwritten: never hand them out. Older entries for the id
      // were marked removed when this one was stored, so there is nothing else to look at.
      ++stats_.corruptions;
      mark_removed(slot);
      std::memset(copy.data(), 0, copy.size());
      return false;
    }
    result = {ShmcbStatus::kOk, e.data_len};
    return false;
  });
  if (result.status == ShmcbStatus::kOk) {
    ++stats_.hits;
  } else if (result.status == ShmcbStatus::kMiss) {
    ++stats_.misses;
  }
  return result;
}

bool ShmcbSubcache::remove(const ShmcbKey& key, std::int64_t now) {
  Rings r = load_rings();
  bool found = false;
  for_each_match(key, r, [&](std::uint32_t slot, const ShmcbIndexEntry&) {
    mark_removed(slot);
    found = true;
    return true;
  });
  // Reclaiming here keeps a cache whose sessions are mostly removed from filling with dead
  // entries; it touches only this subcache.
  reclaim_dead_front(r, now);
  save_rings(r);
  if (found) ++stats_.removes;
  return found;
}

ShmcbSubcache::Usage ShmcbSubcache::usage(std::int64_t now) {
  Rings r = load_rings();
  Usage u;
  u.data_bytes = r.data_used;
  for (std::uint32_t i = 0; i < r.idx_used; ++i) {
    const ShmcbIndexEntry e = read_entry(slot_at(r, i));
    if (e.state == static_cast<std::uint16_t>(ShmcbEntryState::kLive) && now < e.expiry)
      ++u.live_entries;
  }
  return u;
}

}  // namespace modssl::session
