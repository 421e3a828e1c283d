// Placeholder until the random-seed work lands: the directives are known, not yet applied.
#include "module/startup_commands.h"

namespace modssl::module {

const char* add_random_seed(cmd_parms* /*cmd*/, void*, const char* /*args*/) {
  return "SSLRandomSeed is not implemented in this build yet";
}

const char* set_crypto_device(cmd_parms* /*cmd*/, void*, const char* /*arg*/) {
  return "SSLCryptoDevice is not implemented in this build yet";
}

}  // namespace modssl::module
