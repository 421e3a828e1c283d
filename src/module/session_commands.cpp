#include "module/session_commands.h"

#include <string>

#include "ap_provider.h"
#include "ap_socache.h"
#include "apr_file_info.h"
#include "config/session_directives.h"
#include "http_log.h"
#include "module/command_support.h"
#include "session/socache_store.h"
#include "session/ticket_key_file.h"
#include "util_mutex.h"

namespace modssl::module {
namespace {

// Where Debian (and most builds) keep httpd's modules; used only to print a LoadModule line the
// administrator can paste.
constexpr const char* kModulesDir = "/usr/lib/apache2/modules";

std::string loaded_provider_names(apr_pool_t* p) {
  apr_array_header_t* names =
      ap_list_provider_names(p, AP_SOCACHE_PROVIDER_GROUP, AP_SOCACHE_PROVIDER_VERSION);
  std::string out;
  for (int i = 0; names && i < names->nelts; ++i) {
    const auto* n = &APR_ARRAY_IDX(names, i, ap_list_provider_names_t);
    if (!out.empty()) out += ", ";
    out += n->provider_name;
  }
  return out.empty() ? "none" : out;
}

std::string missing_provider_message(cmd_parms* cmd, const std::string& name) {
  const std::string so = "mod_socache_" + name + ".so";
  const std::string installed = std::string(kModulesDir) + "/" + so;
  apr_finfo_t info;
  const bool exists = apr_stat(&info, installed.c_str(), APR_FINFO_TYPE, cmd->temp_pool) ==
                      APR_SUCCESS;
  std::string msg = "SSLSessionCache: no session cache provider '" + name +
                    "' is loaded (providers loaded now: " + loaded_provider_names(cmd->temp_pool) +
                    "; shmcb and dbm are built in). Load it before this line with: LoadModule "
                    "socache_" + name + "_module " + (exists ? installed : so);
  if (exists) msg += " (on Debian: a2enmod socache_" + name + ")";
  return msg;
}

}  // namespace

const char* add_session_cache(cmd_parms* cmd, void*, const char* arg) {
  return guarded(cmd, [&]() -> const char* {
    if (const char* err = ap_check_cmd_context(cmd, GLOBAL_ONLY)) return err;
    auto spec = config::parse_session_cache(arg);
    if (!spec) return error_text(cmd, spec.error());
    config::SessionCacheSpec v = *spec;
    ServerRecord* rec = server_record(cmd->server);
    rec->socache_store.reset();
    using Kind = config::SessionCacheSpec::Kind;
    if (v.kind == Kind::Shmcb || v.kind == Kind::Dbm) {
      // As the stock providers: relative names live in DefaultRuntimeDir.
      const char* file = v.path_or_args.empty() ? "ssl_scache" : v.path_or_args.c_str();
      const char* resolved = ap_runtime_dir_relative(cmd->pool, file);
      if (!resolved) {
        return error_text(cmd, "SSLSessionCache: '" + v.path_or_args +
                                   "' is not a valid file name");
      }
      v.path_or_args = resolved;
    } else if (v.kind == Kind::Provider) {
      const auto* provider = static_cast<const ap_socache_provider_t*>(ap_lookup_provider(
          AP_SOCACHE_PROVIDER_GROUP, v.provider.c_str(), AP_SOCACHE_PROVIDER_VERSION));
      if (!provider) return error_text(cmd, missing_provider_message(cmd, v.provider));
      auto store = session::SocacheStore::create(
          v.provider.c_str(), provider, v.path_or_args.empty() ? nullptr : v.path_or_args.c_str(),
          cmd->temp_pool, cmd->pool);
      if (!store) return error_text(cmd, store.error());
      rec->socache_store = std::move(store).value();
    }
    rec->global.session_cache = v;
    return nullptr;
  });
}

const char* set_session_cache_timeout(cmd_parms* cmd, void*, const char* arg) {
  return guarded(cmd, [&]() -> const char* {
    auto v = config::parse_session_cache_timeout(arg);
    if (!v) return error_text(cmd, v.error());
    server_config(cmd).session_cache_timeout = *v;
    return nullptr;
  });
}

const char* set_ticket_key_file(cmd_parms* cmd, void*, const char* arg) {
  return guarded(cmd, [&]() -> const char* {
    std::string path;
    if (const char* err = existing_file(cmd, arg, &path)) return err;
    // Read now so that a wrong file fails configtest, not only the start.
    auto key = session::read_ticket_key_file(path);
    if (!key) return error_text(cmd, key.error());
    server_config(cmd).ticket_key_file = path;
    return nullptr;
  });
}

const char* set_ticket_key_rotation(cmd_parms* cmd, void*, const char* arg) {
  return guarded(cmd, [&]() -> const char* {
    auto v = config::parse_ticket_key_rotation(arg);
    if (!v) return error_text(cmd, v.error());
    server_config(cmd).ticket_key_rotation = *v;
    return nullptr;
  });
}

// mod_ssl 2.2's directive. Applied through httpd's own Mutex handling, so that it behaves
// exactly as the line it stands for; the warning shows that line.
const char* set_legacy_mutex(cmd_parms* cmd, void*, const char* arg) {
  return guarded(cmd, [&]() -> const char* {
    if (const char* err = ap_check_cmd_context(cmd, GLOBAL_ONLY)) return err;
    auto v = config::parse_legacy_mutex(arg);
    if (!v) return error_text(cmd, v.error());
    const std::string modern_args = v->modern.substr(v->modern.find(' ') + 1);
    if (const char* err = ap_set_mutex(cmd, nullptr, modern_args.c_str())) {
      return apr_psprintf(cmd->pool, "SSLMutex %s (read as '%s'): %s", arg, v->modern.c_str(),
                          err);
    }
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, cmd->server,
                 "SSLMutex is obsolete since mod_ssl 2.4 (%s:%d); it is applied as '%s'. "
                 "Replace the line with that to silence this warning.",
                 cmd->directive->filename, cmd->directive->line_num, v->modern.c_str());
    return nullptr;
  });
}

}  // namespace modssl::module
