#include "session/dbm_store.h"

#include <apr_dbm.h>
#include <apr_errno.h>
#include <apr_file_info.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

namespace modssl::session {
namespace {

// Value layout (all integers little-endian, so a file moved between machines is still read
// right or refused, never misread):
//   [0,4)   magic "MSD1" (modssl dbm, version 1): anything else, e.g. mod_socache_dbm's
//           values, is foreign
//   [4,12)  expiry, int64 unix seconds
//   [12,16) DER length; must equal value size - header exactly (catches truncation)
//   [16,20) FNV-1a 32 over id, bytes [0,16) and DER: binds the value to its key, so bytes
//           damaged or moved to another key are refused, not handed to OpenSSL
//   [20,..) DER
constexpr std::array<std::uint8_t, 4> kMagic = {'M', 'S', 'D', '1'};
constexpr std::size_t kHeaderBytes = 20;
// sdbm's PAIRMAX (sdbm_private.h, not installed): key + value of one pair must fit a 1 KiB page.
constexpr std::size_t kSdbmPairMax = 1008;
// A bound on a walk of a damaged database whose iteration might never end.
constexpr std::size_t kMaxWalk = std::size_t{1} << 24;
// The files hold session master secrets: owner only (stock uses 0644; we need not).
constexpr apr_fileperms_t kFileMode = APR_FPROT_UREAD | APR_FPROT_UWRITE;

using Bytes = std::vector<std::uint8_t>;

void put_le(std::uint8_t* p, std::uint64_t v, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

std::uint64_t get_le(const std::uint8_t* p, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v |= std::uint64_t{p[i]} << (8 * i);
  return v;
}

std::uint32_t fnv1a(std::uint32_t h, std::span<const std::uint8_t> bytes) {
  for (const auto b : bytes) h = (h ^ b) * 16777619u;
  return h;
}

std::uint32_t checksum(std::span<const std::uint8_t> id, const std::uint8_t* header,
                       std::span<const std::uint8_t> der) {
  std::uint32_t h = fnv1a(2166136261u, id);
  h = fnv1a(h, {header, 16});
  return fnv1a(h, der);
}

Bytes encode(std::span<const std::uint8_t> id, std::span<const std::uint8_t> der,
             std::int64_t expiry) {
  Bytes v(kHeaderBytes + der.size());
  std::memcpy(v.data(), kMagic.data(), kMagic.size());
  put_le(v.data() + 4, static_cast<std::uint64_t>(expiry), 8);
  put_le(v.data() + 12, der.size(), 4);
  if (!der.empty()) std::memcpy(v.data() + kHeaderBytes, der.data(), der.size());
  put_le(v.data() + 16, checksum(id, v.data(), der), 4);
  return v;
}

struct Decoded {
  std::int64_t expiry;
  std::span<const std::uint8_t> der;
};

std::optional<Decoded> decode(std::span<const std::uint8_t> id, std::span<const std::uint8_t> v) {
  if (id.empty() || id.size() > DbmStore::kMaxIdBytes) return std::nullopt;
  if (v.size() < kHeaderBytes) return std::nullopt;
  if (std::memcmp(v.data(), kMagic.data(), kMagic.size()) != 0) return std::nullopt;
  if (get_le(v.data() + 12, 4) != v.size() - kHeaderBytes) return std::nullopt;
  const auto der = v.subspan(kHeaderBytes);
  if (get_le(v.data() + 16, 4) != checksum(id, v.data(), der)) return std::nullopt;
  return Decoded{static_cast<std::int64_t>(get_le(v.data() + 4, 8)), der};
}

apr_datum_t datum(std::span<const std::uint8_t> b) {
  // apr_dbm takes a non-const pointer but does not write through it for keys and stored values.
  return apr_datum_t{reinterpret_cast<char*>(const_cast<std::uint8_t*>(b.data())), b.size()};
}

std::span<const std::uint8_t> bytes_of(const apr_datum_t& d) {
  if (d.dptr == nullptr) return {};
  return {reinterpret_cast<const std::uint8_t*>(d.dptr), d.dsize};
}

std::string apr_reason(apr_status_t rv) {
  std::array<char, 256> buf{};
  apr_strerror(rv, buf.data(), buf.size());
  return buf.data();
}

// One open of the database for the length of one call. Clears the store's pool when done, so
// per-call allocations (the handle, BDB's buffers) never accumulate.
class Session {
 public:
  Session(apr_pool_t* pool, const std::string& type, const std::string& path, apr_int32_t mode)
      : pool_(pool) {
    if (pool_ == nullptr) {
      rv_ = APR_EINVAL;
      return;
    }
    rv_ = apr_dbm_open_ex(&db_, type.c_str(), path.c_str(), mode, kFileMode, pool_);
    if (rv_ != APR_SUCCESS) db_ = nullptr;
  }
  ~Session() {
    if (db_ != nullptr) apr_dbm_close(db_);
    if (pool_ != nullptr) apr_pool_clear(pool_);
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  apr_dbm_t* db() const { return db_; }
  apr_status_t status() const { return rv_; }

 private:
  apr_pool_t* pool_;
  apr_dbm_t* db_ = nullptr;
  apr_status_t rv_ = APR_SUCCESS;
};

bool valid_id(std::span<const std::uint8_t> id) {
  return !id.empty() && id.size() <= DbmStore::kMaxIdBytes;
}

enum class Verdict { kLive, kExpired, kDamaged };

Verdict judge(std::span<const std::uint8_t> key, std::span<const std::uint8_t> value,
              std::int64_t now) {
  const auto d = decode(key, value);
  if (!d) return Verdict::kDamaged;
  return now < d->expiry ? Verdict::kLive : Verdict::kExpired;
}

// Calls f(key, value) for every pair, stopping early when f returns false. Keys and values are
// only valid during the call. Returns false when the DBM reported an error.
template <class F>
bool walk(apr_dbm_t* db, F&& f) {
  apr_datum_t key{};
  if (apr_dbm_firstkey(db, &key) != APR_SUCCESS) return false;
  Bytes k;
  for (std::size_t n = 0; key.dptr != nullptr && n < kMaxWalk; ++n) {
    // A copy: some DBMs return the key in a buffer the next fetch reuses, and GDBM's nextkey
    // needs the previous key as input.
    const auto kb = bytes_of(key);
    k.assign(kb.begin(), kb.end());
    apr_datum_t value{};
    if (apr_dbm_fetch(db, datum(k), &value) != APR_SUCCESS) return false;
    if (!f(std::span<const std::uint8_t>(k), bytes_of(value))) return true;
    key = datum(k);
    if (apr_dbm_nextkey(db, &key) != APR_SUCCESS) return false;
  }
  return true;
}

}  // namespace

config::Result<std::unique_ptr<DbmStore>> DbmStore::create(std::string path, apr_pool_t* pool,
                                                           std::optional<uid_t> owner,
                                                           std::string type) {
  if (path.empty()) return config::fail("SSLSessionCache dbm: the file name is empty");
  apr_pool_t* sub = nullptr;
  if (pool == nullptr || apr_pool_create(&sub, pool) != APR_SUCCESS) {
    return config::fail("SSLSessionCache dbm: out of memory");
  }

  const char* used1 = nullptr;
  const char* used2 = nullptr;
  if (apr_dbm_get_usednames_ex(sub, type.c_str(), path.c_str(), &used1, &used2) != APR_SUCCESS) {
    apr_pool_destroy(sub);
    return config::fail("SSLSessionCache dbm: DBM type '" + type +
                        "' is not available in this apr-util");
  }
  std::vector<std::string> files;
  if (used1 != nullptr) files.emplace_back(used1);
  if (used2 != nullptr) files.emplace_back(used2);
  // Two files is sdbm (or ndbm): page-pair limited. One file is Berkeley DB or GDBM: unlimited.
  const bool pair_limited = used2 != nullptr;

  std::unique_ptr<DbmStore> store(
      new DbmStore(path, std::move(type), sub, std::move(files), pair_limited));

  {
    Session s(store->scratch_, store->type_, store->path_, APR_DBM_RWCREATE);
    if (s.db() == nullptr) {
      return config::fail("SSLSessionCache dbm: cannot create or open '" + store->path_ +
                          "': " + apr_reason(s.status()) +
                          ". Check that its directory exists and is writable by the user "
                          "httpd starts as, or remove the file if it is not a DBM file of "
                          "this apr-util's default type.");
    }
  }

  // The children run as httpd's User and open the files read-write on every call, so they must
  // own them. Only root can give files away; without root the children run as we do.
  if (owner && geteuid() == 0) {
    for (const auto& f : store->files_) {
      struct stat st {};
      if (stat(f.c_str(), &st) != 0) continue;  // a DBM may create its second file lazily
      if (chown(f.c_str(), *owner, static_cast<gid_t>(-1)) != 0) {
        const int err = errno;
        return config::fail("SSLSessionCache dbm: cannot give '" + f + "' to uid " +
                            std::to_string(*owner) +
                            " (the User directive): " + std::strerror(err) +
                            ". Put the cache on a local file system where root may chown.");
      }
    }
  }
  return store;
}

DbmStore::DbmStore(std::string path, std::string type, apr_pool_t* pool,
                   std::vector<std::string> files, bool pair_limited)
    : path_(std::move(path)),
      type_(std::move(type)),
      pool_(pool),
      files_(std::move(files)),
      pair_limited_(pair_limited) {
  // If the parent pool dies first (httpd's pconf at restart), our subpool dies with it; the
  // cleanup tells us so and the store then fails every call instead of using freed memory.
  // Per-call allocations go to a child pool that is cleared after each call: clearing pool_
  // itself would run (and drop) this very cleanup.
  if (apr_pool_create(&scratch_, pool_) != APR_SUCCESS) scratch_ = nullptr;
  apr_pool_cleanup_register(pool_, this, &DbmStore::forget_pool, apr_pool_cleanup_null);
}

DbmStore::~DbmStore() {
  if (pool_ != nullptr) {
    apr_pool_cleanup_kill(pool_, this, &DbmStore::forget_pool);
    apr_pool_destroy(pool_);
  }
}

apr_status_t DbmStore::forget_pool(void* self) {
  static_cast<DbmStore*>(self)->pool_ = nullptr;
  static_cast<DbmStore*>(self)->scratch_ = nullptr;
  return APR_SUCCESS;
}

std::size_t DbmStore::max_der_bytes(std::size_t id_bytes) const {
  if (!pair_limited_) return kMaxDerBytes;
  if (id_bytes + kHeaderBytes >= kSdbmPairMax) return 0;
  return std::min(kMaxDerBytes, kSdbmPairMax - kHeaderBytes - id_bytes);
}

bool DbmStore::store(std::span<const std::uint8_t> id, std::span<const std::uint8_t> der,
                     std::int64_t expiry, std::int64_t now) {
  try {
    if (!valid_id(id) || der.size() > max_der_bytes(id.size()) || expiry <= now) {
      ++store_failures_;
      return false;
    }
    if (now - last_purge_ >= kPurgeIntervalSeconds || now < last_purge_) purge(now);

    const Bytes value = encode(id, der, expiry);
    Session s(scratch_, type_, path_, APR_DBM_RWCREATE);
    if (s.db() == nullptr || apr_dbm_store(s.db(), datum(id), datum(value)) != APR_SUCCESS) {
      ++errors_;
      ++store_failures_;
      return false;
    }
    ++stores_;
    return true;
  } catch (...) {
    ++store_failures_;
    return false;
  }
}

FetchOutcome DbmStore::fetch(std::span<const std::uint8_t> id, std::vector<std::uint8_t>& out,
                             std::int64_t now) {
  try {
    out.clear();
    if (!valid_id(id)) {
      ++misses_;
      return FetchOutcome::kMiss;
    }
    Session s(scratch_, type_, path_, APR_DBM_RWCREATE);
    apr_datum_t value{};
    if (s.db() == nullptr || apr_dbm_fetch(s.db(), datum(id), &value) != APR_SUCCESS) {
      ++errors_;
      return FetchOutcome::kError;
    }
    if (value.dptr == nullptr) {
      ++misses_;
      return FetchOutcome::kMiss;
    }
    const auto d = decode(id, bytes_of(value));
    if (d && now < d->expiry) {
      out.assign(d->der.begin(), d->der.end());
      ++hits_;
      return FetchOutcome::kHit;
    }
    // Dead either way; delete so that the next fetch (and the next purge) need not look again.
    ++(d ? expired_ : damaged_);
    ++misses_;
    apr_dbm_delete(s.db(), datum(id));
    return FetchOutcome::kMiss;
  } catch (...) {
    out.clear();
    ++errors_;
    return FetchOutcome::kError;
  }
}

void DbmStore::remove(std::span<const std::uint8_t> id, std::int64_t /*now*/) {
  try {
    if (!valid_id(id)) return;
    Session s(scratch_, type_, path_, APR_DBM_RWCREATE);
    if (s.db() == nullptr) {
      ++errors_;
      return;
    }
    if (apr_dbm_exists(s.db(), datum(id)) == 0) return;
    if (apr_dbm_delete(s.db(), datum(id)) == APR_SUCCESS) {
      ++removed_;
    } else {
      ++errors_;
    }
  } catch (...) {
    ++errors_;
  }
}

std::size_t DbmStore::purge(std::int64_t now) {
  try {
    last_purge_ = now;
    Session s(scratch_, type_, path_, APR_DBM_RWCREATE);
    if (s.db() == nullptr) {
      ++errors_;
      return 0;
    }
    // Deleting while iterating is undefined for the DBMs (a page split or a moved cursor skips
    // or repeats keys), so collect first and delete after the walk, as mod_socache_dbm does.
    std::vector<Bytes> dead;
    std::uint64_t expired = 0;
    std::uint64_t damaged = 0;
    const bool walked = walk(s.db(), [&](auto key, auto value) {
      switch (judge(key, value, now)) {
        case Verdict::kLive:
          return true;
        case Verdict::kExpired:
          ++expired;
          break;
        case Verdict::kDamaged:
          ++damaged;
          break;
      }
      dead.emplace_back(key.begin(), key.end());
      return true;
    });
    if (!walked) ++errors_;
    std::size_t deleted = 0;
    for (const auto& key : dead) {
      if (apr_dbm_delete(s.db(), datum(key)) == APR_SUCCESS) ++deleted;
    }
    // Counted as intended; a failed delete is retried by the next purge anyway.
    expired_ += expired;
    damaged_ += damaged;
    return deleted;
  } catch (...) {
    ++errors_;
    return 0;
  }
}

StoreStatus DbmStore::status(std::int64_t now) {
  StoreStatus st;
  try {
    st.type = "dbm";
    st.where = path_;
    std::uint64_t size = 0;
    for (const auto& f : files_) {
      struct stat sb {};
      if (stat(f.c_str(), &sb) != 0) continue;
      // Space used, not the apparent size: sdbm's .pag is sparse and can span many times what
      // it holds.
      const auto used = static_cast<std::uint64_t>(sb.st_blocks) * 512;
      size += std::min(used, static_cast<std::uint64_t>(sb.st_size));
    }
    st.size_bytes = size;
    st.expired = expired_;
    st.evicted = 0;  // a DBM grows instead of evicting

    std::uint64_t live = 0;
    std::uint64_t dead = 0;
    {
      Session s(scratch_, type_, path_, APR_DBM_READONLY);
      if (s.db() != nullptr && walk(s.db(), [&](auto key, auto value) {
            ++(judge(key, value, now) == Verdict::kLive ? live : dead);
            return true;
          })) {
        st.entries = live;
      }
    }
    auto add = [&st](const char* name, std::uint64_t v) {
      st.extra.emplace_back(name, std::to_string(v));
    };
    add("dead entries awaiting purge", dead);
    // The cache-wide hit/miss/store counters are kept by SessionCache in shared memory; what
    // only this store sees is counted per process and labelled so.
    st.extra.emplace_back("expired count", "this process only");
    add("damaged dropped by this process", damaged_);
    add("dbm errors in this process", errors_);
  } catch (...) {
    // What was filled in stays; the rest shows as n/a.
  }
  return st;
}

}  // namespace modssl::session
