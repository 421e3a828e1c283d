#include "config/passphrase_directives.h"

#include "config/parse_text.h"

namespace modssl::config {
namespace {

constexpr std::string_view kAllowed =
    "builtin, exec:/path/to/program, or |/path/to/program [arguments]";

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' ||
                        s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

Result<PassphraseDialogSpec> parse_passphrase_dialog(std::string_view arg) {
  std::string_view v = trim(arg);
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
    v = trim(v.substr(1, v.size() - 2));
  }
  PassphraseDialogSpec spec;
  if (iequals(v, "builtin")) return spec;
  if (v.size() >= 5 && iequals(v.substr(0, 5), "exec:")) {
    std::string_view path = trim(v.substr(5));
    if (path.empty()) return bad_value("SSLPassPhraseDialog", v, kAllowed);
    if (path.find_first_of(" \t") != std::string_view::npos) {
      return fail("SSLPassPhraseDialog: 'exec:" + std::string(path) +
                  "': exec: takes a program path only (it is run with the arguments "
                  "servername:port and the key type); for a program with arguments of its own "
                  "use a wrapper script, or the pipe form '|/path/to/program args'");
    }
    spec.kind = PassphraseDialogSpec::Kind::Exec;
    spec.program = std::string(path);
    return spec;
  }
  if (!v.empty() && v.front() == '|') {
    std::string_view command = trim(v.substr(1));
    if (command.empty()) return bad_value("SSLPassPhraseDialog", v, kAllowed);
    spec.kind = PassphraseDialogSpec::Kind::Pipe;
    spec.program = std::string(command);
    return spec;
  }
  return bad_value("SSLPassPhraseDialog", v, kAllowed);
}

}  // namespace modssl::config
