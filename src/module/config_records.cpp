// httpd's config-record callbacks: our C++ records live in httpd's pools, and a pool cleanup
// runs their destructors when httpd clears the pool (restart, shutdown).
#include "module/config_records.h"

#include <new>

#include "adapter/records.h"

namespace {

template <class T>
apr_status_t destroy(void* p) {
  static_cast<T*>(p)->~T();
  return APR_SUCCESS;
}

template <class T>
T* make_in_pool(apr_pool_t* p) {
  void* mem = apr_pcalloc(p, sizeof(T));
  T* obj = new (mem) T();
  apr_pool_cleanup_register(p, obj, destroy<T>, apr_pool_cleanup_null);
  return obj;
}

}  // namespace

extern "C" {

void* modssl_create_server_config(apr_pool_t* p, server_rec* s) {
  auto* rec = make_in_pool<modssl::ServerRecord>(p);
  rec->server = s;
  return rec;
}

void* modssl_merge_server_config(apr_pool_t* p, void* base_v, void* add_v) {
  const auto* base = static_cast<const modssl::ServerRecord*>(base_v);
  const auto* add = static_cast<const modssl::ServerRecord*>(add_v);
  auto* rec = make_in_pool<modssl::ServerRecord>(p);
  rec->config = modssl::config::merge(base->config, add->config);
  rec->global = base->global;  // process-wide settings come from the main server
  rec->socache_store = base->socache_store;
  rec->server = add->server;
  return rec;
}

void* modssl_create_dir_config(apr_pool_t* p, char* /*dir*/) {
  return make_in_pool<modssl::DirRecord>(p);
}

void* modssl_merge_dir_config(apr_pool_t* p, void* base_v, void* add_v) {
  const auto* base = static_cast<const modssl::DirRecord*>(base_v);
  const auto* add = static_cast<const modssl::DirRecord*>(add_v);
  auto* rec = make_in_pool<modssl::DirRecord>(p);
  rec->config = modssl::config::merge(base->config, add->config);
  rec->requirements = base->requirements;
  rec->requirements.insert(rec->requirements.end(), add->requirements.begin(),
                           add->requirements.end());
  return rec;
}

}  // extern "C"
