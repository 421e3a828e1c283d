#include "startup/session_setup.h"

#include <ctime>
#include <new>
#include <string>
#include <utility>

#include "adapter/records.h"
#include "apr_shm.h"
#include "apr_strings.h"
#include "http_core.h"
#include "http_log.h"
#include "http_main.h"
#include "session/dbm_store.h"
#include "session/openssl_session_hooks.h"
#include "session/shmcb_store.h"
#include "session/socache_store.h"
#include "session/ticket_key_file.h"
#include "startup/contexts.h"
#include "startup/lock_file_access.h"
#include "unixd.h"
#include "util_mutex.h"

namespace modssl::startup {
namespace {

constexpr const char* kMutexType = "ssl-cache";
constexpr const char* kPersistentKey = "modssl:session-persistent";

// Kept in the parent's process pool: survives restarts, dies with the parent. Pool-owned APR
// objects (shared memory, the lock) are released by their own pool cleanups.
struct Persistent {
  apr_shm_t* counters_shm = nullptr;
  session::SharedCacheCounters* counters = nullptr;
  apr_shm_t* shmcb_shm = nullptr;
  std::size_t shmcb_bytes = 0;
  apr_global_mutex_t* mutex = nullptr;
  session::SecretBytes ticket_master;
};

// The current generation's objects: replaced at every restart.
session::SessionCache* g_cache = nullptr;
std::shared_ptr<const session::TicketKeyRing> g_main_ring;

template <class T>
apr_status_t delete_object(void* p) {
  delete static_cast<T*>(p);
  return APR_SUCCESS;
}

std::string apr_reason(apr_status_t rv) {
  char buf[160];
  apr_strerror(rv, buf, sizeof buf);
  return buf;
}

Persistent& persistent(server_rec* s) {
  apr_pool_t* pp = s->process->pool;
  void* data = nullptr;
  apr_pool_userdata_get(&data, kPersistentKey, pp);
  if (data) return *static_cast<Persistent*>(data);
  auto* p = new Persistent();
  apr_pool_userdata_set(p, kPersistentKey, delete_object<Persistent>, pp);
  return *p;
}

// Shared memory for the status counters: once per parent process.
bool ensure_counters(Persistent& st, server_rec* s) {
  if (st.counters) return true;
  apr_status_t rv = apr_shm_create(&st.counters_shm, sizeof(session::SharedCacheCounters),
                                   nullptr, s->process->pool);
  if (rv != APR_SUCCESS) {
    ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s,
                 "cannot create shared memory for the session cache counters: %s",
                 apr_reason(rv).c_str());
    return false;
  }
  st.counters = new (apr_shm_baseaddr_get(st.counters_shm)) session::SharedCacheCounters();
  return true;
}

// The directory a `Mutex ... ssl-cache` (or `Mutex ... default`) line puts lock files in, for
// messages; DefaultRuntimeDir when no line names one.
std::string configured_lock_directory(apr_pool_t* p) {
  std::string dir;
  for (ap_directive_t* d = ap_conftree; d; d = d->next) {
    if (strcasecmp(d->directive, "Mutex") != 0 || !d->args) continue;
    const char* args = d->args;
    const char* mech = ap_getword_conf(p, &args);
    bool ours = false;
    while (*args) {
      const char* type = ap_getword_conf(p, &args);
      if (strcasecmp(type, kMutexType) == 0 || strcasecmp(type, "default") == 0) ours = true;
    }
    const char* colon = strchr(mech, ':');
    if (ours && colon) dir = colon + 1;
  }
  if (dir.empty()) {
    const char* rt = ap_runtime_dir_relative(p, "");
    dir = rt ? rt : "DefaultRuntimeDir";
  }
  return dir;
}

const char* user_name() {
  return ap_unixd_config.user_name ? ap_unixd_config.user_name : "the server's User";
}

// `Mutex ssl-cache` as configured, created once per parent and kept (see session_setup.h).
apr_global_mutex_t* ensure_mutex(Persistent& st, server_rec* s, apr_pool_t* ptemp) {
  if (st.mutex) return st.mutex;
  apr_pool_t* pp = s->process->pool;
  apr_status_t rv = ap_global_mutex_create(&st.mutex, nullptr, kMutexType, nullptr, s, pp, 0);
  if (rv != APR_SUCCESS) {
    const std::string dir = configured_lock_directory(ptemp);
    ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s,
                 "cannot create the session cache lock (Mutex ... ssl-cache) in directory '%s': "
                 "%s. The directory must exist and be writable by the user starting httpd; "
                 "or write 'Mutex default ssl-cache', which needs no file.",
                 dir.c_str(), apr_reason(rv).c_str());
    st.mutex = nullptr;
    return nullptr;
  }
  if (!st.mutex) {
    // `Mutex none ssl-cache`: a store that processes share cannot go without a lock.
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                 "'Mutex none' for ssl-cache is ignored: the session cache is shared by all "
                 "processes and would be damaged without a lock; using the platform's default "
                 "lock instead");
    rv = apr_global_mutex_create(&st.mutex, nullptr, APR_LOCK_DEFAULT, pp);
    if (rv != APR_SUCCESS) {
      ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s, "cannot create the session cache lock: %s",
                   apr_reason(rv).c_str());
      st.mutex = nullptr;
      return nullptr;
    }
  }
  // A flock lock file is reopened by each child after it dropped to `User`.
  const char* file = apr_global_mutex_lockfile(st.mutex);
  if (file && geteuid() == 0 && apr_global_mutex_mech(st.mutex) == APR_LOCK_FLOCK) {
    if (auto blocked = first_unsearchable_directory(file, ap_unixd_config.user_name,
                                                    ap_unixd_config.user_id,
                                                    ap_unixd_config.group_id)) {
      ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                   "the session cache lock file '%s' (Mutex ... ssl-cache) cannot be reopened "
                   "by the child processes, which run as user '%s': directory '%s' (mode %04o, "
                   "owner uid %ld, group gid %ld) does not let '%s' through. Fix: "
                   "`chmod o+x %s` (or give it to that user or its group), or move the lock: "
                   "'Mutex flock:/var/run/apache2 ssl-cache', or 'Mutex default ssl-cache' "
                   "(no file)",
                   file, user_name(), blocked->directory.c_str(), blocked->mode,
                   static_cast<long>(blocked->owner), static_cast<long>(blocked->group),
                   user_name(), blocked->directory.c_str());
      apr_global_mutex_destroy(st.mutex);
      st.mutex = nullptr;
      return nullptr;
    }
  }
  return st.mutex;
}

// The shmcb block, kept across restarts while its size stays the same.
config::Result<std::shared_ptr<session::SessionStore>> shmcb_store(
    Persistent& st, server_rec* s, const config::SessionCacheSpec& spec) {
  bool fresh = false;
  if (st.shmcb_shm && st.shmcb_bytes != spec.bytes) {
    // Children of the old generation keep their own mapping until they exit.
    apr_shm_destroy(st.shmcb_shm);
    st.shmcb_shm = nullptr;
  }
  if (!st.shmcb_shm) {
    apr_status_t rv = apr_shm_create(&st.shmcb_shm, spec.bytes, nullptr, s->process->pool);
    if (rv != APR_SUCCESS) {
      st.shmcb_shm = nullptr;
      return config::fail("SSLSessionCache shmcb: cannot create " +
                          std::to_string(spec.bytes) + " bytes of shared memory: " +
                          apr_reason(rv) + "; choose a smaller size in shmcb:path(bytes)");
    }
    st.shmcb_bytes = spec.bytes;
    fresh = true;
  }
  auto store = session::ShmcbStore::over(apr_shm_baseaddr_get(st.shmcb_shm),
                                         apr_shm_size_get(st.shmcb_shm), fresh,
                                         spec.path_or_args);
  if (!store) return config::fail(store.error());
  if (!fresh) {
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, "session cache: shmcb %s kept across restart",
                 (*store)->kept_contents() ? "contents" : "memory (contents were unusable)");
  }
  return std::shared_ptr<session::SessionStore>(std::move(store).value());
}

config::Result<std::shared_ptr<session::SessionStore>> make_store(
    Persistent& st, server_rec* s, apr_pool_t* pconf, const config::SessionCacheSpec& spec) {
  using Kind = config::SessionCacheSpec::Kind;
  switch (spec.kind) {
    case Kind::Shmcb:
      return shmcb_store(st, s, spec);
    case Kind::Dbm: {
      std::optional<uid_t> owner;
      if (geteuid() == 0) owner = ap_unixd_config.user_id;
      auto store = session::DbmStore::create(spec.path_or_args, pconf, owner);
      if (!store) return config::fail(store.error());
      return std::shared_ptr<session::SessionStore>(std::move(store).value());
    }
    case Kind::Provider: {
      auto store = server_record(s)->socache_store;
      if (!store) return config::fail("SSLSessionCache: the provider was not set up");
      if (auto ok = store->init(s, pconf); !ok) return config::fail(ok.error());
      return std::shared_ptr<session::SessionStore>(store);
    }
    case Kind::None:
    case Kind::NoneNotNull:
      break;
  }
  return std::shared_ptr<session::SessionStore>();
}

config::Result<std::shared_ptr<const session::TicketKeyRing>> ticket_keys_for(
    Persistent& st, const config::ServerConfig& cfg) {
  if (!config::is_on(cfg.session_tickets, true)) {
    return std::shared_ptr<const session::TicketKeyRing>();
  }
  if (!cfg.ticket_key_file.empty()) {
    auto key = session::read_ticket_key_file(cfg.ticket_key_file);
    if (!key) return config::fail(key.error());
    return std::make_shared<const session::TicketKeyRing>(
        session::TicketKeyRing::fixed(*key, static_cast<std::int64_t>(std::time(nullptr))));
  }
  if (st.ticket_master.size() == 0) {
    auto secret = session::generate_ticket_master_secret();
    if (!secret) return config::fail(secret.error());
    st.ticket_master = std::move(secret).value();
  }
  auto ring = session::TicketKeyRing::rotating(st.ticket_master.view(),
                                               config::effective_ticket_key_rotation(cfg),
                                               config::effective_session_timeout(cfg));
  if (!ring) return config::fail(ring.error());
  return std::make_shared<const session::TicketKeyRing>(std::move(ring).value());
}

apr_status_t forget_generation(void*) {
  g_cache = nullptr;
  g_main_ring.reset();
  return APR_SUCCESS;
}

}  // namespace

void register_session_mutex(apr_pool_t* pconf) {
  ap_mutex_register(pconf, kMutexType, nullptr, APR_LOCK_DEFAULT, AP_MUTEX_ALLOW_NONE);
}

int setup_sessions(apr_pool_t* pconf, apr_pool_t* ptemp, server_rec* main_server) {
  // httpd reads the configuration once to check it and throws that pass away before it
  // detaches; shared memory and locks are made in the pass that serves, as stock does.
  if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) return OK;
  apr_pool_cleanup_register(pconf, nullptr, forget_generation, apr_pool_cleanup_null);

  Persistent& st = persistent(main_server);
  const config::GlobalConfig& global = server_record(main_server)->global;
  using Kind = config::SessionCacheSpec::Kind;
  const Kind kind = global.session_cache ? global.session_cache->kind : Kind::None;

  session::SessionCache* cache = nullptr;
  if (kind != Kind::None && kind != Kind::NoneNotNull) {
    if (!ensure_counters(st, main_server)) return HTTP_INTERNAL_SERVER_ERROR;
    auto store = make_store(st, main_server, pconf, *global.session_cache);
    if (!store) {
      ap_log_error(APLOG_MARK, APLOG_EMERG, 0, main_server, "%s", store.error().c_str());
      return HTTP_INTERNAL_SERVER_ERROR;
    }
    apr_global_mutex_t* mutex = nullptr;
    if ((*store)->needs_global_lock()) {
      mutex = ensure_mutex(st, main_server, ptemp);
      if (!mutex) return HTTP_INTERNAL_SERVER_ERROR;
    }
    cache = new session::SessionCache(*store, mutex, st.counters);
    apr_pool_cleanup_register(pconf, cache, delete_object<session::SessionCache>,
                              apr_pool_cleanup_null);
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, main_server, "session cache: %s %s",
                 global.session_cache->provider.c_str(),
                 global.session_cache->path_or_args.c_str());
  } else if (!global.session_cache) {
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, main_server,
                 "no SSLSessionCache: TLS sessions are resumed through tickets only "
                 "[hint: SSLSessionCache shmcb:ssl_scache(512000)]");
  }
  g_cache = cache;

  for (server_rec* s = main_server; s; s = s->next) {
    ServerRecord* rec = server_record(s);
    if (!rec->context) continue;
    session::ContextSessionSettings settings;
    settings.mode = cache ? session::ContextSessionSettings::CacheMode::kSharedCache
                    : kind == Kind::NoneNotNull
                        ? session::ContextSessionSettings::CacheMode::kIdsOnly
                        : session::ContextSessionSettings::CacheMode::kOff;
    settings.cache = cache;
    settings.timeout_s = config::effective_session_timeout(rec->config).count();
    auto ring = ticket_keys_for(st, rec->config);
    if (!ring) {
      ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "%s: %s", vhost_id(ptemp, s),
                   ring.error().c_str());
      return HTTP_INTERNAL_SERVER_ERROR;
    }
    settings.ticket_keys = *ring;
    if (s == main_server || !g_main_ring) g_main_ring = *ring;
    if (!session::install_session_hooks(rec->context->ssl_ctx(), std::move(settings))) {
      ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "%s: cannot attach session settings",
                   vhost_id(ptemp, s));
      return HTTP_INTERNAL_SERVER_ERROR;
    }
  }
  return OK;
}

void child_init_sessions(apr_pool_t* pchild, server_rec* main_server) {
  if (!g_cache) return;
  std::string err = g_cache->child_init(pchild);
  if (!err.empty()) {
    ap_log_error(APLOG_MARK, APLOG_ERR, 0, main_server,
                 "session cache: %s; this child resumes sessions through tickets only",
                 err.c_str());
  }
}

session::SessionCache* shared_session_cache() { return g_cache; }

std::shared_ptr<const session::TicketKeyRing> main_ticket_keys() { return g_main_ring; }

}  // namespace modssl::startup
