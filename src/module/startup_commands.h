#pragma once
// Handlers of the start-up secret directives: SSLPassPhraseDialog (passphrase_commands.cpp),
// SSLRandomSeed and SSLCryptoDevice (random_seed_commands.cpp).
#include "httpd.h"
#include "http_config.h"

namespace modssl::module {

const char* set_passphrase_dialog(cmd_parms* cmd, void* dirconf, const char* args);
const char* add_random_seed(cmd_parms* cmd, void* dirconf, const char* args);
const char* set_crypto_device(cmd_parms* cmd, void* dirconf, const char* arg);

}  // namespace modssl::module
