// Placeholder until the pass-phrase work lands: the directive is known, not yet applied.
#include "module/startup_commands.h"

namespace modssl::module {

const char* set_passphrase_dialog(cmd_parms* /*cmd*/, void*, const char* /*args*/) {
  return "SSLPassPhraseDialog is not implemented in this build yet";
}

}  // namespace modssl::module
