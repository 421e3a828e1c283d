#include "session/shmcb_store.h"

#include <string>
#include <utility>

namespace modssl::session {

config::Result<std::unique_ptr<ShmcbStore>> ShmcbStore::over(void* block, std::size_t size,
                                                             bool fresh, std::string where) {
  std::unique_ptr<ShmcbStore> self(new ShmcbStore());
  self->where_ = std::move(where);
  if (!fresh && self->cache_.attach(block, size) == ShmcbStatus::kOk) {
    self->kept_contents_ = true;
    return self;
  }
  const ShmcbStatus st = self->cache_.format(block, size);
  if (st != ShmcbStatus::kOk) {
    return config::fail("SSLSessionCache shmcb: cannot lay out a cache of " +
                        std::to_string(size) + " bytes: " + describe(st));
  }
  return self;
}

bool ShmcbStore::store(std::span<const std::uint8_t> id, std::span<const std::uint8_t> der,
                       std::int64_t expiry, std::int64_t now) {
  return cache_.store(id, der, expiry, now) == ShmcbStatus::kOk;
}

FetchOutcome ShmcbStore::fetch(std::span<const std::uint8_t> id, std::vector<std::uint8_t>& out,
                               std::int64_t now) {
  // Most sessions are a few hundred bytes; a session with a client certificate chain is larger,
  // and the cache says how large, so at most one retry.
  if (out.size() < 2048) out.resize(2048);
  ShmcbFetchResult r = cache_.fetch(id, out, now);
  if (r.status == ShmcbStatus::kBufferTooSmall) {
    out.resize(r.data_len);
    r = cache_.fetch(id, out, now);
  }
  if (r.status != ShmcbStatus::kOk) return FetchOutcome::kMiss;
  out.resize(r.data_len);
  return FetchOutcome::kHit;
}

void ShmcbStore::remove(std::span<const std::uint8_t> id, std::int64_t now) {
  cache_.remove(id, now);
}

StoreStatus ShmcbStore::status(std::int64_t now) {
  const ShmcbStats st = cache_.stats(now);
  StoreStatus s;
  s.type = "shmcb";
  s.where = where_;
  s.size_bytes = st.capacity_bytes;
  s.entries = st.entries;
  s.expired = st.counters.expired;
  s.evicted = st.counters.evicted;
  s.extra.emplace_back("subcaches", std::to_string(st.subcaches));
  s.extra.emplace_back("data bytes in use", std::to_string(st.bytes));
  s.extra.emplace_back("entries dropped as damaged", std::to_string(st.counters.corruptions));
  return s;
}

}  // namespace modssl::session
