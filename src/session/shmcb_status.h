#pragma once
// Results of shmcb cache operations. Plain enums, no exceptions: the cache is called from
// OpenSSL callbacks inside httpd, where nothing may throw.
#include <cstddef>

namespace modssl::session {

enum class ShmcbStatus {
  kOk,
  kMiss,              // fetch: no live entry for the id (absent, expired, or dropped as damaged)
  kNotFound,          // remove: no entry for the id
  kBufferTooSmall,    // fetch: the entry exists but the caller's buffer is smaller than it
  kBadId,             // id empty or longer than kShmcbMaxIdBytes
  kEntryTooLarge,     // id + data larger than the cache's max_entry_bytes()
  kAlreadyExpired,    // store: expiry is not after now
  kNotAttached,       // operation on a cache that was never formatted or attached
  kRegionTooSmall,    // format/attach: the block cannot hold even one subcache
  kRegionMisaligned,  // format/attach: the block is not 8-byte aligned
  kNotFormatted,      // attach: no shmcb magic at the start of the block
  kVersionMismatch,   // attach: formatted by a build with another layout
  kGeometryMismatch,  // attach: header disagrees with the block's size, or is damaged
};

// A short English phrase for logs ("block is too small for a session cache").
const char* describe(ShmcbStatus status);

struct ShmcbFetchResult {
  ShmcbStatus status = ShmcbStatus::kMiss;
  // kOk: bytes copied into the caller's buffer; kBufferTooSmall: bytes the entry needs.
  std::size_t data_len = 0;
};

}  // namespace modssl::session
