// Placeholder handlers of the SSLOCSP* directives (replaced by the OCSP work): refused.
#include "module/revocation_commands.h"

#include "apr_strings.h"

namespace modssl::module {
namespace {

const char* not_yet(cmd_parms* cmd) {
  return apr_psprintf(cmd->pool, "%s is not supported yet", cmd->directive->directive);
}

}  // namespace

const char* set_ocsp_enable(cmd_parms* cmd, void*, const char*) {
  return not_yet(cmd);
}
const char* set_ocsp_default_responder(cmd_parms* cmd, void*, const char*) {
  return not_yet(cmd);
}
const char* set_ocsp_override_responder(cmd_parms* cmd, void*, const char*) {
  return not_yet(cmd);
}
const char* set_ocsp_response_time_skew(cmd_parms* cmd, void*, const char*) {
  return not_yet(cmd);
}
const char* set_ocsp_response_max_age(cmd_parms* cmd, void*, const char*) {
  return not_yet(cmd);
}
const char* set_ocsp_responder_timeout(cmd_parms* cmd, void*, const char*) {
  return not_yet(cmd);
}
const char* set_ocsp_use_request_nonce(cmd_parms* cmd, void*, const char*) {
  return not_yet(cmd);
}
const char* set_ocsp_proxy_url(cmd_parms* cmd, void*, const char*) {
  return not_yet(cmd);
}
const char* set_ocsp_no_verify(cmd_parms* cmd, void*, const char*) {
  return not_yet(cmd);
}
const char* set_ocsp_responder_certificate_file(cmd_parms* cmd, void*, const char*) {
  return not_yet(cmd);
}

}  // namespace modssl::module
