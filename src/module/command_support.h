#pragma once
// What every directive handler shares: error text in the command's pool, the record it writes,
// C++ exceptions turned into configuration errors, and the ServerRoot-relative file check.
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "adapter/records.h"
#include "apr_strings.h"

namespace modssl::module {

inline const char* error_text(cmd_parms* cmd, const std::string& message) {
  return apr_pstrdup(cmd->pool, message.c_str());
}

inline config::ServerConfig& server_config(cmd_parms* cmd) {
  return server_record(cmd->server)->config;
}

// Runs a handler body, turning any C++ exception into a configuration error.
template <class F>
const char* guarded(cmd_parms* cmd, F&& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    return error_text(cmd, std::string(cmd->directive->directive) + ": " + e.what());
  }
}

// Resolves `arg` against ServerRoot and checks it names a non-empty file, as mod_ssl does at
// configuration time so that typos fail `apachectl configtest`.
const char* existing_file(cmd_parms* cmd, const char* arg, std::string* resolved);

// The same for a directory (SSLCACertificatePath and the like).
const char* existing_directory(cmd_parms* cmd, const char* arg, std::string* resolved);

// Handlers for directives that name a file or directory kept in a string field of the server
// config: checked now (ServerRoot-relative), stored resolved.
using ServerPathField = std::string config::ServerConfig::*;

template <ServerPathField field>
const char* store_existing_file(cmd_parms* cmd, void*, const char* arg) {
  return guarded(cmd, [&]() -> const char* {
    std::string path;
    if (const char* err = existing_file(cmd, arg, &path)) return err;
    server_config(cmd).*field = path;
    return nullptr;
  });
}

template <ServerPathField field>
const char* store_existing_directory(cmd_parms* cmd, void*, const char* arg) {
  return guarded(cmd, [&]() -> const char* {
    std::string path;
    if (const char* err = existing_directory(cmd, arg, &path)) return err;
    server_config(cmd).*field = path;
    return nullptr;
  });
}

// Splits a RAW_ARGS line the way httpd splits words (quotes respected).
std::vector<std::string_view> split_words(cmd_parms* cmd, const char* args);

}  // namespace modssl::module
