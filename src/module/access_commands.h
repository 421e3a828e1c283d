#pragma once
// Handlers of the per-directory access directives: SSLOptions, SSLRequireSSL, SSLRequire,
// SSLUserName, SSLRenegBufferSize.
#include "httpd.h"
// (httpd.h first: the other httpd headers need its types)
#include "http_config.h"

namespace modssl::module {

const char* set_options(cmd_parms* cmd, void* dirconf, const char* args);
const char* set_require_ssl(cmd_parms* cmd, void* dirconf);
const char* add_requirement(cmd_parms* cmd, void* dirconf, const char* expression);
const char* set_user_name(cmd_parms* cmd, void* dirconf, const char* variable);
const char* set_reneg_buffer_size(cmd_parms* cmd, void* dirconf, const char* arg);

}  // namespace modssl::module
