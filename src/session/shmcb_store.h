#pragma once
// SSLSessionCache shmcb: the SessionStore over a ShmcbCache in a block of shared memory that the
// caller (the parent process, at start-up) created and keeps alive for as long as any process
// may use it.
#include <cstddef>
#include <memory>
#include <string>

#include "config/result.h"
#include "session/session_store.h"
#include "session/shmcb_cache.h"

namespace modssl::session {

class ShmcbStore final : public SessionStore {
 public:
  // `fresh`: lay out an empty cache (a new block); otherwise use the cache already in the block
  // (the same block kept across a graceful restart), and start empty if it does not check out.
  static config::Result<std::unique_ptr<ShmcbStore>> over(void* block, std::size_t size,
                                                          bool fresh, std::string where);

  bool needs_global_lock() const override { return true; }
  bool store(std::span<const std::uint8_t> id, std::span<const std::uint8_t> der,
             std::int64_t expiry, std::int64_t now) override;
  FetchOutcome fetch(std::span<const std::uint8_t> id, std::vector<std::uint8_t>& out,
                     std::int64_t now) override;
  void remove(std::span<const std::uint8_t> id, std::int64_t now) override;
  StoreStatus status(std::int64_t now) override;

  // False when an existing block was not usable and was laid out afresh.
  bool kept_contents() const { return kept_contents_; }

 private:
  ShmcbStore() = default;

  ShmcbCache cache_;
  std::string where_;
  bool kept_contents_ = false;
};

}  // namespace modssl::session
