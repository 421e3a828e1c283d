#include "module/client_auth_commands.h"

#include <string>

#include "adapter/records.h"
#include "config/directives.h"
#include "module/command_support.h"

namespace modssl::module {
namespace {

using Field = std::string config::ServerConfig::*;

template <Field field>
const char* set_file(cmd_parms* cmd, const char* arg) {
  return guarded(cmd, [&]() -> const char* {
    std::string path;
    if (const char* err = existing_file(cmd, arg, &path)) return err;
    server_config(cmd).*field = path;
    return nullptr;
  });
}

template <Field field>
const char* set_directory(cmd_parms* cmd, const char* arg) {
  return guarded(cmd, [&]() -> const char* {
    std::string path;
    if (const char* err = existing_directory(cmd, arg, &path)) return err;
    server_config(cmd).*field = path;
    return nullptr;
  });
}

}  // namespace

const char* set_verify_client(cmd_parms* cmd, void* dirconf, const char* arg) {
  return guarded(cmd, [&]() -> const char* {
    auto v = config::parse_verify_client(arg);
    if (!v) return error_text(cmd, v.error());
    if (cmd->path) {
      static_cast<DirRecord*>(dirconf)->config.verify_client = *v;
    } else {
      server_config(cmd).verify_client = *v;
    }
    return nullptr;
  });
}

const char* set_verify_depth(cmd_parms* cmd, void* dirconf, const char* arg) {
  return guarded(cmd, [&]() -> const char* {
    auto v = config::parse_verify_depth(arg);
    if (!v) return error_text(cmd, v.error());
    if (cmd->path) {
      static_cast<DirRecord*>(dirconf)->config.verify_depth = *v;
    } else {
      server_config(cmd).verify_depth = *v;
    }
    return nullptr;
  });
}

const char* set_ca_certificate_file(cmd_parms* cmd, void*, const char* arg) {
  return set_file<&config::ServerConfig::ca_certificate_file>(cmd, arg);
}
const char* set_ca_certificate_path(cmd_parms* cmd, void*, const char* arg) {
  return set_directory<&config::ServerConfig::ca_certificate_path>(cmd, arg);
}
const char* set_ca_dn_request_file(cmd_parms* cmd, void*, const char* arg) {
  return set_file<&config::ServerConfig::ca_dn_request_file>(cmd, arg);
}
const char* set_ca_dn_request_path(cmd_parms* cmd, void*, const char* arg) {
  return set_directory<&config::ServerConfig::ca_dn_request_path>(cmd, arg);
}

}  // namespace modssl::module
