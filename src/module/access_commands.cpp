#include "module/access_commands.h"

// httpd.h before ap_expr.h, which needs its types.
#include "httpd.h"

#include "adapter/records.h"
#include "ap_expr.h"
#include "config/directives.h"
#include "config/ssl_require_syntax.h"
#include "http_log.h"
#include "module/command_support.h"

namespace modssl::module {

const char* set_options(cmd_parms* cmd, void* dirconf, const char* args) {
  return guarded(cmd, [&]() -> const char* {
    auto* dir = static_cast<DirRecord*>(dirconf);
    auto words = split_words(cmd, args);
    auto v = config::parse_options(words, dir->config.options);
    if (!v) return error_text(cmd, v.error());
    if (config::options_line_drops_options(words)) {
      // A <VirtualHost>'s log settings are not in place while the configuration is read (its
      // messages would be filtered out): such warnings go where start-up messages go.
      ap_log_error(APLOG_MARK, APLOG_WARNING, 0, cmd->server->is_virtual ? nullptr : cmd->server,
                   "SSLOptions %s (%s:%d): options without + or - each replace the ones "
                   "before them, so only the last takes effect (mod_ssl's rule); write "
                   "+Option for each to combine them",
                   args, cmd->directive->filename, cmd->directive->line_num);
    }
    dir->config.options = *v;
    return nullptr;
  });
}

const char* set_require_ssl(cmd_parms* /*cmd*/, void* dirconf) {
  static_cast<DirRecord*>(dirconf)->config.require_ssl = true;
  return nullptr;
}

// SSLRequire is evaluated by httpd's ap_expr in mod_ssl's compatibility mode, as stock does, so
// every expression that worked there means the same here. When ap_expr refuses one, our own
// checker of the legacy grammar says where and what was expected.
const char* add_requirement(cmd_parms* cmd, void* dirconf, const char* expression) {
  return guarded(cmd, [&]() -> const char* {
    const char* err = nullptr;
    const ap_expr_info_t* expr =
        ap_expr_parse_cmd(cmd, expression, AP_EXPR_FLAG_SSL_EXPR_COMPAT, &err, nullptr);
    if (err || !expr) {
      config::Status diagnosis = config::check_ssl_require_syntax(expression);
      return apr_psprintf(
          cmd->pool, "SSLRequire \"%s\": %s", expression,
          diagnosis ? apr_pstrcat(cmd->pool, "cannot parse: ", err ? err : "unknown error", nullptr)
                    : diagnosis.error().c_str());
    }
    static_cast<DirRecord*>(dirconf)->requirements.push_back(
        {apr_pstrdup(cmd->pool, expression), expr});
    return nullptr;
  });
}

const char* set_user_name(cmd_parms* cmd, void* dirconf, const char* variable) {
  return guarded(cmd, [&]() -> const char* {
    static_cast<DirRecord*>(dirconf)->config.user_name = variable;
    return nullptr;
  });
}

const char* set_reneg_buffer_size(cmd_parms* cmd, void* dirconf, const char* arg) {
  return guarded(cmd, [&]() -> const char* {
    auto v = config::parse_reneg_buffer_size(arg);
    if (!v) return error_text(cmd, v.error());
    static_cast<DirRecord*>(dirconf)->config.reneg_buffer_size = *v;
    return nullptr;
  });
}

}  // namespace modssl::module
