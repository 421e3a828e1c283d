// SSLPassPhraseDialog (server config only). An exec: program is made ServerRoot-relative and,
// like a pipe program, must exist and be executable, so that `apachectl configtest` catches a
// typo before a start-up that needs the pass phrase.
#include <unistd.h>

#include <string>

#include "module/command_support.h"
#include "module/startup_commands.h"
#include "config/passphrase_directives.h"
#include "http_config.h"

namespace modssl::module {
namespace {

// The program of a pipe command line: its first word (quotes are the shell's business).
std::string first_word(const std::string& command) {
  const std::size_t end = command.find_first_of(" \t");
  return command.substr(0, end);
}

const char* check_executable(cmd_parms* cmd, const std::string& path) {
  if (access(path.c_str(), X_OK) == 0) return nullptr;
  const bool exists = access(path.c_str(), F_OK) == 0;
  return error_text(cmd, "SSLPassPhraseDialog: program '" + path + "' " +
                             (exists ? "is not executable (chmod +x it)" : "does not exist"));
}

}  // namespace

const char* set_passphrase_dialog(cmd_parms* cmd, void*, const char* args) {
  return guarded(cmd, [&]() -> const char* {
    if (const char* err = ap_check_cmd_context(cmd, GLOBAL_ONLY)) return err;
    auto spec = config::parse_passphrase_dialog(args ? args : "");
    if (!spec) return error_text(cmd, spec.error());
    config::PassphraseDialogSpec v = *spec;
    using Kind = config::PassphraseDialogSpec::Kind;
    if (v.kind == Kind::Exec) {
      const char* resolved = ap_server_root_relative(cmd->pool, v.program.c_str());
      if (!resolved) {
        return error_text(cmd, "Invalid SSLPassPhraseDialog exec: path " + v.program);
      }
      v.program = resolved;
      if (const char* err = check_executable(cmd, v.program)) return err;
    } else if (v.kind == Kind::Pipe) {
      const std::string program = first_word(v.program);
      // A bare name is looked up in PATH by the shell: only check absolute paths.
      if (!program.empty() && program.front() == '/') {
        if (const char* err = check_executable(cmd, program)) return err;
      }
    }
    server_record(cmd->server)->global.passphrase_dialog = std::move(v);
    return nullptr;
  });
}

}  // namespace modssl::module
