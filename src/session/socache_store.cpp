#include "session/socache_store.h"

#include <apr_errno.h>
#include <apr_strings.h>
#include <apr_time.h>

#include <climits>
#include <new>

#include "config/parse_text.h"

namespace modssl::session {
namespace {

// Providers allocate per call from the pool they are given (apr_memcache_getp's value, redis
// reply buffers, key strings). Stores run on many worker threads at once, and an APR pool is not
// thread-safe, so each thread gets its own: an *unmanaged* pool (no parent, its own allocator,
// so creating and clearing it touches no pool or allocator another thread uses and takes no
// lock), created on the thread's first call and cleared after every call, so its memory is
// bounded by the largest single call and reused from then on. It is destroyed when the thread
// exits. Only worker threads in the children call stores; the parent process never does, so
// the thread_local destructor never pins this module in the parent across a restart's dlclose.
class ScratchPool {
 public:
  ~ScratchPool() {
    if (pool_ != nullptr) apr_pool_destroy(pool_);
  }
  // nullptr when APR is out of memory (the call is then a cache failure, not a crash).
  apr_pool_t* get() {
    if (pool_ == nullptr) {
      if (apr_pool_create_unmanaged_ex(&pool_, abort_quietly, nullptr) != APR_SUCCESS) {
        pool_ = nullptr;
      }
    }
    return pool_;
  }

 private:
  // The default abort function is none (a failed allocation returns NULL to callers that do
  // not check); returning keeps it that way instead of aborting the child.
  static int abort_quietly(int) { return 0; }
  apr_pool_t* pool_ = nullptr;
};

thread_local ScratchPool scratch;

// Clears the thread's scratch pool when a provider call is done with it.
class ScratchUse {
 public:
  ScratchUse() : pool_(scratch.get()) {}
  ~ScratchUse() {
    if (pool_ != nullptr) apr_pool_clear(pool_);
  }
  ScratchUse(const ScratchUse&) = delete;
  ScratchUse& operator=(const ScratchUse&) = delete;
  apr_pool_t* get() const { return pool_; }

 private:
  apr_pool_t* pool_;
};

// What the pool cleanup needs, allocated in the pool itself: the cleanup must not reach back
// into the SocacheStore, which its owner may have destroyed before the pool is cleared.
struct DestroyArgs {
  const ap_socache_provider_t* provider;
  ap_socache_instance_t* instance;
  server_rec* server;
};

extern "C" apr_status_t destroy_instance(void* data) {
  const auto* args = static_cast<const DestroyArgs*>(data);
  if (args->provider->destroy != nullptr) args->provider->destroy(args->instance, args->server);
  return APR_SUCCESS;
}

std::string apr_error_text(apr_status_t rv) {
  char buf[256];
  apr_strerror(rv, buf, sizeof buf);
  return std::string(buf) + " (" + std::to_string(rv) + ")";
}

bool id_fits(std::span<const std::uint8_t> id) {
  return !id.empty() && id.size() <= UINT_MAX;
}

}  // namespace

config::Result<std::unique_ptr<SocacheStore>> SocacheStore::create(
    const char* provider_name, const ap_socache_provider_t* provider, const char* args,
    apr_pool_t* ptemp, apr_pool_t* pconf) {
  std::string value = provider_name != nullptr ? provider_name : "";
  if (args != nullptr) value += std::string(":") + args;
  if (provider == nullptr || provider->create == nullptr) {
    return config::fail("SSLSessionCache " + config::quoted(value) +
                        ": no session cache provider to create");
  }
  ap_socache_instance_t* instance = nullptr;
  // Stock mod_ssl reports "SSLSessionCache: <provider's message>"; the value is added so that
  // a configuration with several caches says which one failed.
  if (const char* err = provider->create(&instance, args, ptemp, pconf); err != nullptr) {
    return config::fail(std::string("SSLSessionCache: ") + err + " (in SSLSessionCache " +
                        config::quoted(value) + ")");
  }
  std::unique_ptr<SocacheStore> store(
      new (std::nothrow) SocacheStore(provider_name != nullptr ? provider_name : provider->name,
                                      args != nullptr ? args : "", provider, instance));
  if (!store) return config::fail("SSLSessionCache " + config::quoted(value) + ": out of memory");
  return store;
}

config::Status SocacheStore::init(server_rec* s, apr_pool_t* pool) {
  server_ = s;
  ap_socache_hints hints{};
  hints.avg_id_len = 30;
  hints.avg_obj_size = 150;
  // Stock passes a bare 30 here, which the type makes 30 microseconds (the dbm provider then
  // sweeps expired entries on every store); 30 seconds is what the hint means.
  hints.expiry_interval = apr_time_from_sec(30);
  if (apr_status_t rv = provider_->init(instance_, kConsumerName, &hints, s, pool);
      rv != APR_SUCCESS) {
    std::string value = name_ + (args_.empty() ? "" : ":" + args_);
    return config::fail("Could not initialize session cache SSLSessionCache " +
                        config::quoted(value) + ": " + apr_error_text(rv));
  }
  auto* args = static_cast<DestroyArgs*>(apr_palloc(pool, sizeof(DestroyArgs)));
  *args = DestroyArgs{provider_, instance_, s};
  apr_pool_cleanup_register(pool, args, destroy_instance, apr_pool_cleanup_null);
  return config::ok_status();
}

bool SocacheStore::needs_global_lock() const {
  return (provider_->flags & AP_SOCACHE_FLAG_NOTMPSAFE) != 0;
}

bool SocacheStore::store(std::span<const std::uint8_t> id, std::span<const std::uint8_t> der,
                         std::int64_t expiry, std::int64_t now) {
  if (!id_fits(id) || der.empty() || der.size() > kMaxDerBytes) return false;
  // An entry already expired is not stored: memcached reads a relative expiry of 0 as "never".
  if (expiry <= now) return false;
  ScratchUse pool;
  if (pool.get() == nullptr) return false;
  // The provider's data parameter is not const, but no provider writes to it.
  auto* data = const_cast<unsigned char*>(der.data());
  return provider_->store(instance_, server_, id.data(), static_cast<unsigned int>(id.size()),
                          apr_time_from_sec(expiry), data, static_cast<unsigned int>(der.size()),
                          pool.get()) == APR_SUCCESS;
}

FetchOutcome SocacheStore::fetch(std::span<const std::uint8_t> id, std::vector<std::uint8_t>& out,
                                 std::int64_t /*now*/) {
  out.clear();
  if (!id_fits(id)) return FetchOutcome::kMiss;
  ScratchUse pool;
  if (pool.get() == nullptr) return FetchOutcome::kError;
  out.resize(kMaxDerBytes);
  unsigned int len = static_cast<unsigned int>(out.size());
  const apr_status_t rv =
      provider_->retrieve(instance_, server_, id.data(), static_cast<unsigned int>(id.size()),
                          out.data(), &len, pool.get());
  if (rv != APR_SUCCESS || len == 0 || len > kMaxDerBytes) {
    out.clear();
    // APR_ENOSPC: the stored value is longer than any session we store, so not ours to trust.
    return rv == APR_SUCCESS || APR_STATUS_IS_NOTFOUND(rv) || APR_STATUS_IS_ENOSPC(rv)
               ? FetchOutcome::kMiss
               : FetchOutcome::kError;
  }
  out.resize(len);
  return FetchOutcome::kHit;
}

void SocacheStore::remove(std::span<const std::uint8_t> id, std::int64_t /*now*/) {
  if (!id_fits(id)) return;
  ScratchUse pool;
  if (pool.get() == nullptr) return;
  provider_->remove(instance_, server_, id.data(), static_cast<unsigned int>(id.size()),
                    pool.get());
}

StoreStatus SocacheStore::status(std::int64_t /*now*/) {
  StoreStatus st;
  st.type = name_;
  st.where = args_;
  return st;
}

void SocacheStore::write_provider_status(request_rec* r, int flags) {
  if (provider_->status != nullptr) provider_->status(instance_, r, flags);
}

}  // namespace modssl::session
