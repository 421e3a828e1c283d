#pragma once
// SSLPassPhraseDialog builtin | exec:/path/to/program | |/path/to/program [args]
// (owned by the pass-phrase work: parser and spec).
#include <string>
#include <string_view>

#include "config/result.h"

namespace modssl::config {

struct PassphraseDialogSpec {
  enum class Kind { Builtin, Exec, Pipe };
  Kind kind = Kind::Builtin;
  std::string program;  // Exec, Pipe: the program as written (Pipe: with its arguments)
};

}  // namespace modssl::config
