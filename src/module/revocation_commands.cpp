// Placeholder handlers of the CRL directives (replaced by the CRL work): refused.
#include "module/revocation_commands.h"

#include "apr_strings.h"

namespace modssl::module {
namespace {

const char* not_yet(cmd_parms* cmd) {
  return apr_psprintf(cmd->pool, "%s is not supported yet", cmd->directive->directive);
}

}  // namespace

const char* set_ca_revocation_file(cmd_parms* cmd, void*, const char*) { return not_yet(cmd); }
const char* set_ca_revocation_path(cmd_parms* cmd, void*, const char*) { return not_yet(cmd); }
const char* set_ca_revocation_check(cmd_parms* cmd, void*, const char*) { return not_yet(cmd); }

}  // namespace modssl::module
