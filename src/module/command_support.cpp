#include "module/command_support.h"

#include "apr_file_info.h"
#include "http_config.h"

namespace modssl::module {

std::vector<std::string_view> split_words(cmd_parms* cmd, const char* args) {
  std::vector<std::string_view> out;
  while (*args) {
    const char* w = ap_getword_conf(cmd->temp_pool, &args);
    if (*w) out.emplace_back(w);
  }
  return out;
}

const char* existing_file(cmd_parms* cmd, const char* arg, std::string* resolved) {
  const char* path = ap_server_root_relative(cmd->temp_pool, arg);
  apr_finfo_t info;
  apr_status_t rv = path ? apr_stat(&info, path, APR_FINFO_TYPE | APR_FINFO_SIZE, cmd->temp_pool)
                         : APR_EBADPATH;
  if (rv == APR_SUCCESS && info.filetype == APR_REG && info.size > 0) {
    *resolved = path;
    return nullptr;
  }
  char reason[120] = "not a regular file";
  if (rv != APR_SUCCESS) apr_strerror(rv, reason, sizeof reason);
  if (rv == APR_SUCCESS && info.filetype == APR_REG) apr_cpystrn(reason, "empty", sizeof reason);
  return apr_psprintf(cmd->pool, "%s: file '%s' does not exist or is empty (%s)",
                      cmd->directive->directive, path ? path : arg, reason);
}

const char* existing_directory(cmd_parms* cmd, const char* arg, std::string* resolved) {
  const char* path = ap_server_root_relative(cmd->temp_pool, arg);
  apr_finfo_t info;
  apr_status_t rv =
      path ? apr_stat(&info, path, APR_FINFO_TYPE, cmd->temp_pool) : APR_EBADPATH;
  if (rv == APR_SUCCESS && info.filetype == APR_DIR) {
    *resolved = path;
    return nullptr;
  }
  char reason[120] = "not a directory";
  if (rv != APR_SUCCESS) apr_strerror(rv, reason, sizeof reason);
  return apr_psprintf(cmd->pool, "%s: directory '%s' does not exist (%s)",
                      cmd->directive->directive, path ? path : arg, reason);
}

}  // namespace modssl::module
