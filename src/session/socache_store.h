#pragma once
// The bridge from SessionStore to any httpd ap_socache provider other than our own shmcb and
// dbm: memcache, redis, dc, or a third party's. The provider is looked up by the module layer
// (ap_lookup_provider is an httpd symbol, and this library links without httpd); this class only
// calls it through the provider table's function pointers, so unit tests can hand it a fake.
//
// Lifecycle, as stock mod_ssl drives a provider:
//   create()  at directive-parse time (provider->create; its allocations live in pconf),
//   init()    in post_config (provider->init; provider->destroy registered on that pool),
//   store/fetch/remove on worker threads of the children.
#include <ap_socache.h>
#include <apr_pools.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "config/result.h"
#include "session/session_store.h"

namespace modssl::session {

class SocacheStore final : public SessionStore {
 public:
  // The largest DER-encoded session stored or fetched: stock mod_ssl's SSL_SESSION_MAX_DER.
  // A longer session is not stored; a longer stored value is a miss.
  static constexpr std::size_t kMaxDerBytes = 10 * 1024;
  // What stock mod_ssl (2.4.5x, as Debian ships it) passes to provider->init as the consumer
  // name. Providers that share one server between consumers (memcache, redis) prefix keys with
  // it ("mod_ssl-sess:<hex id>"), so a fleet that mixes our module and the stock one shares
  // sessions only if both say the same. (Older 2.4 releases said "mod_ssl-session".)
  static constexpr const char* kConsumerName = "mod_ssl-sess";

  // Calls provider->create(args). `provider_name` is the name as written in SSLSessionCache
  // (shown by status()); `args` is everything after the first ':' or nullptr for a bare name.
  // The error names the directive and the value, then quotes the provider's own message.
  static config::Result<std::unique_ptr<SocacheStore>> create(const char* provider_name,
                                                              const ap_socache_provider_t* provider,
                                                              const char* args, apr_pool_t* ptemp,
                                                              apr_pool_t* pconf);

  // post_config: provider->init with stock mod_ssl's hints, and provider->destroy registered
  // as a cleanup of `pool` (pconf: the instance dies with the configuration generation). `s`
  // is kept for later provider calls (they log through it). Call once per generation.
  config::Status init(server_rec* s, apr_pool_t* pool);

  bool needs_global_lock() const override;
  bool store(std::span<const std::uint8_t> id, std::span<const std::uint8_t> der,
             std::int64_t expiry, std::int64_t now) override;
  FetchOutcome fetch(std::span<const std::uint8_t> id, std::vector<std::uint8_t>& out,
                     std::int64_t now) override;
  void remove(std::span<const std::uint8_t> id, std::int64_t now) override;
  StoreStatus status(std::int64_t now) override;

  // mod_status: the provider's own lines (provider->status writes to `r` with ap_rprintf).
  void write_provider_status(request_rec* r, int flags);

  const ap_socache_provider_t* provider() const { return provider_; }
  ap_socache_instance_t* instance() const { return instance_; }

 private:
  SocacheStore(std::string name, std::string args, const ap_socache_provider_t* provider,
               ap_socache_instance_t* instance)
      : name_(std::move(name)), args_(std::move(args)), provider_(provider), instance_(instance) {}

  std::string name_;
  std::string args_;
  const ap_socache_provider_t* provider_;
  ap_socache_instance_t* instance_;
  server_rec* server_ = nullptr;  // set by init(); providers need it for logging
};

}  // namespace modssl::session
