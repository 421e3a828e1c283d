#pragma once
// Handlers of the revocation directives: SSLCARevocationFile, SSLCARevocationPath,
// SSLCARevocationCheck, and the SSLOCSP* family for client certificates.
#include "httpd.h"
// (httpd.h first: the other httpd headers need its types)
#include "http_config.h"

namespace modssl::module {

const char* set_ca_revocation_file(cmd_parms* cmd, void* dirconf, const char* arg);
const char* set_ca_revocation_path(cmd_parms* cmd, void* dirconf, const char* arg);
const char* set_ca_revocation_check(cmd_parms* cmd, void* dirconf, const char* args);

const char* set_ocsp_enable(cmd_parms* cmd, void* dirconf, const char* args);
const char* set_ocsp_default_responder(cmd_parms* cmd, void* dirconf, const char* arg);
const char* set_ocsp_override_responder(cmd_parms* cmd, void* dirconf, const char* arg);
const char* set_ocsp_response_time_skew(cmd_parms* cmd, void* dirconf, const char* arg);
const char* set_ocsp_response_max_age(cmd_parms* cmd, void* dirconf, const char* arg);
const char* set_ocsp_responder_timeout(cmd_parms* cmd, void* dirconf, const char* arg);
const char* set_ocsp_use_request_nonce(cmd_parms* cmd, void* dirconf, const char* arg);
const char* set_ocsp_proxy_url(cmd_parms* cmd, void* dirconf, const char* arg);
const char* set_ocsp_no_verify(cmd_parms* cmd, void* dirconf, const char* arg);
const char* set_ocsp_responder_certificate_file(cmd_parms* cmd, void* dirconf, const char* arg);

}  // namespace modssl::module
