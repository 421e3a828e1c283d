// SSLRandomSeed and SSLCryptoDevice: parse, resolve paths against ServerRoot and check what can
// be checked at configtest (the source exists, the program is executable, the engine exists).
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "config/random_seed_directives.h"
#include "module/command_support.h"
#include "module/startup_commands.h"
#include "startup/random_seed.h"

namespace modssl::module {
namespace {

using Spec = config::RandomSeedSpec;

const char* check_source(cmd_parms* cmd, const Spec& spec, bool bare_word) {
  struct stat st {};
  if (::stat(spec.path.c_str(), &st) != 0) {
    if (bare_word) {
      return error_text(cmd, "SSLRandomSeed: invalid source '" + std::string(spec.path) +
                                 "' (no such file: a word other than builtin, file:, exec: or "
                                 "egd: is read as a file name); allowed: builtin, "
                                 "file:/path [bytes], exec:/path [bytes], egd:/path [bytes]");
    }
    return error_text(cmd, "SSLRandomSeed: source path '" + spec.path + "' does not exist");
  }
  switch (spec.source) {
    case Spec::Source::Exec:
      if (!S_ISREG(st.st_mode) || ::access(spec.path.c_str(), X_OK) != 0) {
        return error_text(cmd, "SSLRandomSeed: exec: '" + spec.path +
                                   "' is not an executable program");
      }
      break;
    case Spec::Source::Egd:
      if (!S_ISSOCK(st.st_mode)) {
        return error_text(cmd, "SSLRandomSeed: egd: '" + spec.path +
                                   "' is not a socket (the Entropy Gathering Daemon's)");
      }
      break;
    case Spec::Source::File:
      if (S_ISDIR(st.st_mode)) {
        return error_text(cmd, "SSLRandomSeed: file: '" + spec.path + "' is a directory");
      }
      break;
    case Spec::Source::Builtin:
      break;
  }
  return nullptr;
}

}  // namespace

const char* add_random_seed(cmd_parms* cmd, void*, const char* args) {
  return guarded(cmd, [&]() -> const char* {
    if (const char* err = ap_check_cmd_context(cmd, GLOBAL_ONLY)) return err;
    auto words = split_words(cmd, args);
    auto spec = config::parse_random_seed(words);
    if (!spec) return error_text(cmd, spec.error());
    Spec v = *spec;
    if (v.source != Spec::Source::Builtin) {
      const bool bare_word = words.size() >= 2 && words[1].find(':') == std::string_view::npos;
      const char* resolved = ap_server_root_relative(cmd->temp_pool, v.path.c_str());
      if (!resolved) {
        return error_text(cmd, "SSLRandomSeed: invalid path '" + v.path + "'");
      }
      v.path = resolved;
      if (const char* err = check_source(cmd, v, bare_word)) return err;
    }
    server_record(cmd->server)->global.random_seeds.push_back(std::move(v));
    return nullptr;
  });
}

const char* set_crypto_device(cmd_parms* cmd, void*, const char* arg) {
  return guarded(cmd, [&]() -> const char* {
    if (const char* err = ap_check_cmd_context(cmd, GLOBAL_ONLY)) return err;
    auto device = config::parse_crypto_device(arg);
    if (!device) return error_text(cmd, device.error());
    if (!device->empty()) {
      std::string available;
      if (!startup::crypto_device_exists(*device, &available)) {
        return error_text(cmd, "SSLCryptoDevice: invalid value '" + *device +
                                   "': OpenSSL has no engine of that name; allowed: 'builtin' "
                                   "(none)" +
                                   (available.empty() ? "" : ", " + available));
      }
    }
    server_record(cmd->server)->global.crypto_device = *device;
    return nullptr;
  });
}

}  // namespace modssl::module
