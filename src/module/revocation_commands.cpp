// Handlers of the CRL directives: SSLCARevocationFile, SSLCARevocationPath, SSLCARevocationCheck
// (server config and virtual host; the vhost's value replaces the main server's at merge time).
#include "module/revocation_commands.h"

#include <string>
#include <vector>

#include "config/revocation_directives.h"
#include "module/command_support.h"

namespace modssl::module {

// Paths are resolved against ServerRoot and checked now, so that a typo fails configtest.
const char* set_ca_revocation_file(cmd_parms* cmd, void*, const char* arg) {
  return guarded(cmd, [&]() -> const char* {
    std::string path;
    if (const char* err = existing_file(cmd, arg, &path)) return err;
    server_config(cmd).ca_revocation_file = path;
    return nullptr;
  });
}

const char* set_ca_revocation_path(cmd_parms* cmd, void*, const char* arg) {
  return guarded(cmd, [&]() -> const char* {
    std::string path;
    if (const char* err = existing_directory(cmd, arg, &path)) return err;
    server_config(cmd).ca_revocation_path = path;
    return nullptr;
  });
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
