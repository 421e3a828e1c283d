#pragma once
// SSLPassPhraseDialog builtin | exec:/path/to/program | |/path/to/program [args]
// Parser and spec; same contract as directives.h: the text in, a value or an
// administrator-facing error out, no I/O. Paths come back as written (the handler makes an
// exec: path ServerRoot-relative and checks that it exists).
#include <string>
#include <string_view>

#include "config/result.h"

namespace modssl::config {

struct PassphraseDialogSpec {
  enum class Kind {
    Builtin,  // ask on the controlling terminal (/dev/tty)
    Exec,     // run `program servername:port keytype` once per key; its stdout is the phrase
    Pipe,     // one long-running `/bin/sh -c program`: prompts to its stdin, answers from stdout
  };
  Kind kind = Kind::Builtin;
  std::string program;  // Exec: the program path; Pipe: the command line (program and arguments)
};

// The directive's argument as written (a RAW_ARGS line: "|/bin/prog arg1 arg2" is one value;
// surrounding quotes are removed, as stock's TAKE1 would).
Result<PassphraseDialogSpec> parse_passphrase_dialog(std::string_view arg);

}  // namespace modssl::config
