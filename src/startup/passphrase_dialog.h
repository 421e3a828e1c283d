#pragma once
// SSLPassPhraseDialog at start-up: where the pass phrases of encrypted private keys come from
// (the terminal, an exec: program, a |pipe program) and the pass phrases already given, which
// are kept in the parent's process pool so that the second post_config pass of the first start
// and every later restart reuse them without asking again. Kept in memory only, wiped
// (OPENSSL_cleanse) when the parent exits.
#include <functional>
#include <optional>
#include <string>

#include "config/passphrase_directives.h"
#include "httpd.h"
#include "tls/pem_files.h"

namespace modssl::startup {

struct PassphraseMemory;  // in the process pool

class PassphraseDialog {
 public:
  // The dialog of this (re)start: `main_server` gives the process pool and the log.
  PassphraseDialog(server_rec* main_server, const config::PassphraseDialogSpec& spec);

  // A source for the keys of one vhost ("name:port"); `key_type(key_path)` names the key type
  // for prompts and exec: arguments ("RSA", "ECC", ...).
  tls::PassphraseSource source(std::string vhost_id,
                               std::function<std::string(const std::string&)> key_type);

 private:
  struct Request {
    std::string vhost_id, key_type, key_path;
  };
  std::optional<std::string> ask(const Request& r, int attempt);
  std::optional<std::string> from_dialog(const Request& r, int prompt);
  std::optional<std::string> from_terminal(const Request& r, int prompt);
  std::optional<std::string> from_program(const Request& r, int prompt);
  std::optional<std::string> from_pipe(const Request& r, int prompt);

  server_rec* s_;
  config::PassphraseDialogSpec spec_;
  PassphraseMemory& memory_;
};

}  // namespace modssl::startup
