#pragma once
// The `dbm:` backend of SSLSessionCache: sessions in an APR-util DBM file, written by our own code
// (stock mod_ssl borrows mod_socache_dbm; the file format is ours, so the two do not share files).
//
// Which DBM: apr_dbm's build-time default, as mod_socache_dbm uses. Debian 12's apr-util 1.6.3
// is built with Berkeley DB 5.3 as the default ("db": one file, named exactly `path`, no size
// limit per pair); upstream's default without --with-dbm is sdbm (`path.dir` + `path.pag`, and a
// key plus value must fit in 1008 bytes, too little for a session with a client certificate).
// We tell the two apart by the file names apr_dbm_get_usednames reports, and refuse (store()
// returns false) what the DBM could not hold, before handing it to the DBM.
//
// Process model: create() runs once in the parent as root before the children fork; every
// operation opens the database, does its work and closes it again, so no DBM handle (and no
// cached page of a DBM file) ever outlives one call or crosses a fork. That is what stock does,
// and the open costs little next to the full handshake a miss would cost anyway. The caller holds
// `Mutex ssl-cache` around every call (needs_global_lock() is true): the DBMs lock nothing.
// Keeping a handle open per child instead is not safe: Berkeley DB without a shared environment
// caches pages per process and would overwrite other children's writes.
// The price (measured, Debian 12): Berkeley DB syncs the file on each close after a write (two
// fdatasync per store), about 7 ms per store on ext4 against ~55 us on tmpfs; fetches cost
// ~45 us either way. So the file belongs on tmpfs, e.g. under /run/apache2 (APACHE_RUN_DIR).
//
// Values are ours: a header (magic, expiry as little-endian int64, DER length, a checksum over
// id and DER) before the DER bytes. A value that does not decode, is for another id, or has
// expired is a miss and is deleted on sight; it is never handed out.
//
// Time is unix seconds (as everywhere in SessionStore); an entry is live while now < expiry.
//
// Counters (stores, hits, misses, ...) are per process: each child reports what it did itself.
// Keeping them in the DBM would cost a write per fetch. Entry counts in status() are exact: they
// come from walking the whole database.
#include <apr_pools.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "config/result.h"
#include "session/session_store.h"

namespace modssl::session {

class DbmStore final : public SessionStore {
 public:
  // Ids longer than this are refused (OpenSSL's are at most 32 bytes; some room for others).
  static constexpr std::size_t kMaxIdBytes = 64;
  // Largest DER session we store in an unlimited DBM: a session carries at most the peer's
  // certificate (not its chain), so even with a big client certificate this is generous, and it
  // keeps one misbehaving entry from growing the file without bound.
  static constexpr std::size_t kMaxDerBytes = 64 * 1024;
  // How often (at most) a store() in one process walks the database to delete dead entries.
  // Stock mod_socache_dbm uses the same 30 s: a walk reads the whole file, so it must not run on
  // every store, yet expired entries must not pile up between restarts of a busy server.
  static constexpr std::int64_t kPurgeIntervalSeconds = 30;

  // Opens (creating if needed) the database at `path` once to prove it can, then closes it.
  // `pool` must outlive the store; the store keeps a subpool of it for per-call allocations.
  // When `owner` is set and we run as root, every file of the database is chowned to that uid so
  // that children running as httpd's User can write it (without root there is nobody to hand
  // them to: the children run as we do). `type` is apr_dbm_open_ex's ("default" in production;
  // tests also use "sdbm"). Errors name the file, the reason and what to do.
  static config::Result<std::unique_ptr<DbmStore>> create(std::string path, apr_pool_t* pool,
                                                          std::optional<uid_t> owner,
                                                          std::string type = "default");
  ~DbmStore() override;
  DbmStore(const DbmStore&) = delete;
  DbmStore& operator=(const DbmStore&) = delete;

  bool needs_global_lock() const override { return true; }

  bool store(std::span<const std::uint8_t> id, std::span<const std::uint8_t> der,
             std::int64_t expiry, std::int64_t now) override;
  FetchOutcome fetch(std::span<const std::uint8_t> id, std::vector<std::uint8_t>& out,
                     std::int64_t now) override;
  void remove(std::span<const std::uint8_t> id, std::int64_t now) override;
  StoreStatus status(std::int64_t now) override;

  // Walks the database and deletes expired and damaged entries now; returns how many it
  // deleted. store() calls it at most every kPurgeIntervalSeconds; public for tests and for a
  // caller that wants to purge at start-up.
  std::size_t purge(std::int64_t now);

  // The files apr_dbm uses for this database (one or two), for chown and status.
  const std::vector<std::string>& files() const { return files_; }
  // Largest DER session store() accepts for an id of `id_bytes` bytes.
  std::size_t max_der_bytes(std::size_t id_bytes) const;

 private:
  DbmStore(std::string path, std::string type, apr_pool_t* pool, std::vector<std::string> files,
           bool pair_limited);
  static apr_status_t forget_pool(void* self);

  std::string path_;
  std::string type_;
  apr_pool_t* pool_;     // ours (a subpool of the caller's); null once its parent died
  apr_pool_t* scratch_;  // child of pool_ for per-call allocations, cleared after every call
  std::vector<std::string> files_;
  bool pair_limited_;  // sdbm-like: key + value must fit in one page pair
  std::int64_t last_purge_ = 0;

  // Per process, since start-up (or fork).
  std::uint64_t stores_ = 0;
  std::uint64_t store_failures_ = 0;
  std::uint64_t hits_ = 0;
  std::uint64_t misses_ = 0;
  std::uint64_t expired_ = 0;  // deleted because expired (on fetch or by a purge)
  std::uint64_t damaged_ = 0;  // deleted because they did not decode
  std::uint64_t removed_ = 0;  // remove() calls that found an entry
  std::uint64_t errors_ = 0;   // DBM failures (open, fetch, store)
};

}  // namespace modssl::session
