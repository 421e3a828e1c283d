#include "module/client_auth_commands.h"

#include <string>

#include "adapter/records.h"
#include "config/directives.h"
#include "module/command_support.h"

namespace modssl::module {

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
  return store_existing_file<&config::ServerConfig::ca_certificate_file>(cmd, nullptr, arg);
}
const char* set_ca_certificate_path(cmd_parms* cmd, void*, const char* arg) {
  return store_existing_directory<&config::ServerConfig::ca_certificate_path>(cmd, nullptr, arg);
}
const char* set_ca_dn_request_file(cmd_parms* cmd, void*, const char* arg) {
  return store_existing_file<&config::ServerConfig::ca_dn_request_file>(cmd, nullptr, arg);
}
const char* set_ca_dn_request_path(cmd_parms* cmd, void*, const char* arg) {
  return store_existing_directory<&config::ServerConfig::ca_dn_request_path>(cmd, nullptr, arg);
}

}  // namespace modssl::module
