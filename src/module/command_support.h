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

// Splits a RAW_ARGS line the way httpd splits words (quotes respected).
std::vector<std::string_view> split_words(cmd_parms* cmd, const char* args);

}  // namespace modssl::module
