#pragma once
// The on-memory format of the shmcb session cache: what lies in the shared block, byte for byte.
//
// The block is shared by every httpd child (created by the parent before fork), so it is the one
// place where one process's bug or a stray write can hurt all others. Hence two rules, which the
// operations in shmcb_cache.cpp / shmcb_subcache.cpp follow:
//   - geometry (how the block is cut up) is read from shared memory only once, at attach time,
//     checked against what `compute_shmcb_geometry` derives from the block's size, and from then
//     on taken from the process's private copy; a later overwrite of the header cannot make an
//     operation index outside the block;
//   - everything else read from shared memory (ring positions, index entries, lengths) is read
//     once into a local, bounds-checked before use, and an entry that fails a check is a miss
//     and is dropped.
//
// Layout (all fields native-endian, every structure 8-byte aligned, no padding left implicit):
//
//   +--------------------+  offset 0
//   | ShmcbHeader        |  magic, version, geometry (validated on attach), statistics
//   +--------------------+  offset kShmcbHeaderBytes
//   | subcache 0         |  each subcache is `subcache_stride` bytes:
//   | subcache 1         |    ShmcbSubcacheHeader   ring positions of the index and the data
//   | ...                |    ShmcbIndexEntry[index_slots]   a ring, oldest entry at idx_first
//   | subcache N-1       |    data ring [data_bytes]   id bytes then session bytes per entry,
//   +--------------------+      wrapping at the end of the ring
//
// An entry lives in the subcache picked by a hash of its id, so one lookup reads one subcache's
// index (a few KiB) and never the whole block. Entries are appended at the ring's end and the
// oldest are evicted at its front: removal and overwrite only mark an entry, whose space is
// reclaimed when it reaches the front.
#include <cstddef>
#include <cstdint>
#include <optional>

namespace modssl::session {

// "MODSSLCB" in ASCII: a block that does not start with this was not formatted by us.
inline constexpr std::uint64_t kShmcbMagic = 0x4d4f4453534c4342ull;
// Bump whenever any structure below changes: a block formatted by another build is then refused.
inline constexpr std::uint32_t kShmcbVersion = 1;

// TLS session ids are at most 32 bytes; other users (ticket names, socache-like keys) may use
// longer keys, up to this.
inline constexpr std::size_t kShmcbMaxIdBytes = 64;

struct ShmcbStatsCounters {
  std::uint64_t stores;
  std::uint64_t hits;
  std::uint64_t misses;
  std::uint64_t expired;      // entries found or reclaimed past their expiry
  std::uint64_t evicted;      // live entries pushed out to make room
  std::uint64_t removes;      // explicit removals that found an entry
  std::uint64_t rejected;     // stores refused (too large, bad id, already expired)
  std::uint64_t corruptions;  // entries or subcache headers that failed a check and were dropped
};

struct ShmcbHeader {
  std::uint64_t magic;
  std::uint32_t version;
  std::uint32_t header_bytes;     // sizeof(ShmcbHeader) rounded, i.e. kShmcbHeaderBytes
  std::uint64_t region_bytes;     // the size the block was formatted with
  std::uint32_t subcache_count;   // a power of two
  std::uint32_t index_slots;      // per subcache
  std::uint32_t data_bytes;       // per subcache
  std::uint32_t subcache_stride;  // per subcache, header + index + data, multiple of 8
  std::uint32_t max_entry_bytes;  // largest id + data accepted by store
  std::uint32_t reserved;
  std::uint64_t geometry_check;  // hash of the fields above: a header with a flipped bit fails
  ShmcbStatsCounters stats;
};

// Positions in a subcache's two rings. Both are untrusted on every read (see above).
struct ShmcbSubcacheHeader {
  std::uint32_t idx_first;   // slot of the oldest entry, < index_slots
  std::uint32_t idx_used;    // entries in the index ring, <= index_slots
  std::uint32_t data_first;  // byte offset of the oldest entry's data, < data_bytes
  std::uint32_t data_used;   // bytes in the data ring, <= data_bytes
};

enum class ShmcbEntryState : std::uint16_t {
  kLive = 0x4c56,     // "LV": anything else is treated as removed
  kRemoved = 0x524d,  // "RM"
};

struct ShmcbIndexEntry {
  std::int64_t expiry;        // caller's time unit; the entry is expired when now >= expiry
  std::uint64_t checksum;     // over id, data, length and expiry: catches overwritten bytes
  std::uint32_t data_offset;  // where the id starts in the data ring; data follows the id
  std::uint32_t data_len;     // session bytes (the id's bytes come first, id_len of them)
  std::uint32_t id_hash;      // screens candidates before the id bytes are compared
  std::uint16_t id_len;
  std::uint16_t state;  // a ShmcbEntryState
};

static_assert(sizeof(ShmcbStatsCounters) == 64);
static_assert(sizeof(ShmcbSubcacheHeader) == 16);
static_assert(sizeof(ShmcbIndexEntry) == 32);

inline constexpr std::size_t align8(std::size_t n) {
  return (n + 7) & ~std::size_t{7};
}
inline constexpr std::size_t kShmcbHeaderBytes = align8(sizeof(ShmcbHeader));

// How a block of a given size is cut up. A pure function of the size, so attach can recompute it
// and refuse a header that disagrees.
struct ShmcbGeometry {
  std::size_t region_bytes = 0;
  std::uint32_t subcache_count = 0;
  std::uint32_t index_slots = 0;
  std::uint32_t data_bytes = 0;
  std::uint32_t subcache_stride = 0;
  std::uint32_t max_entry_bytes = 0;

  bool operator==(const ShmcbGeometry&) const = default;
};

// Smallest block accepted: one subcache that still holds a handful of typical sessions.
inline constexpr std::size_t kShmcbMinRegionBytes = 8 * 1024;
// A subcache is split off only while each keeps at least this much: lookups stay bounded by the
// subcache size, and a subcache big enough for a few large (client-certificate) sessions.
inline constexpr std::size_t kShmcbMinSubcacheBytes = 16 * 1024;
inline constexpr std::uint32_t kShmcbMaxSubcaches = 256;
// Index slots are sized for sessions of about this many bytes (id + DER of a TLS 1.2/1.3 session
// without a client certificate is 100 to 250 bytes): smaller entries run out of slots first,
// larger ones out of data, and either way the oldest are evicted.
inline constexpr std::size_t kShmcbTypicalEntryBytes = 160;
// One entry may take at most this fraction of a subcache's data ring, so a single huge session
// cannot flush a whole subcache.
inline constexpr std::uint32_t kShmcbMaxEntryFractionDivisor = 4;

// Empty when the size is too small (or a subcache would be too large for 32-bit offsets).
std::optional<ShmcbGeometry> compute_shmcb_geometry(std::size_t region_bytes);

}  // namespace modssl::session
