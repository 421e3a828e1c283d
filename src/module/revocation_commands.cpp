// Handlers of the CRL directives: SSLCARevocationFile, SSLCARevocationPath, SSLCARevocationCheck
// (server config and virtual host; the vhost's value replaces the main server's at merge time).
#include "module/revocation_commands.h"

#include <string>
#include <vector>

#include "config/revocation_directives.h"
#include "module/command_support.h"

namespace modssl::module {

const char* set_ca_revocation_file(cmd_parms* cmd, void* dirconf, const char* arg) {
  return store_existing_file<&config::ServerConfig::ca_revocation_file>(cmd, dirconf, arg);
}

const char* set_ca_revocation_path(cmd_parms* cmd, void* dirconf, const char* arg) {
  return store_existing_directory<&config::ServerConfig::ca_revocation_path>(cmd, dirconf, arg);
}

const char* set_ca_revocation_check(cmd_parms* cmd, void*, const char* args) {
  return guarded(cmd, [&]() -> const char* {
    const std::vector<std::string_view> words = split_words(cmd, args);
    auto check = config::parse_crl_check(words);
    if (!check) return error_text(cmd, check.error());
    server_config(cmd).crl_check = *check;
    return nullptr;
  });
}

}  // namespace modssl::module
