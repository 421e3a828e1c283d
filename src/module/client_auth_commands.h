#pragma once
// Handlers of the client-certificate directives: SSLVerifyClient, SSLVerifyDepth,
// SSLCACertificateFile/Path, SSLCADNRequestFile/Path.
#include "httpd.h"
// (httpd.h first: the other httpd headers need its types)
#include "http_config.h"

namespace modssl::module {

const char* set_verify_client(cmd_parms* cmd, void* dirconf, const char* arg);
const char* set_verify_depth(cmd_parms* cmd, void* dirconf, const char* arg);
const char* set_ca_certificate_file(cmd_parms* cmd, void* dirconf, const char* arg);
const char* set_ca_certificate_path(cmd_parms* cmd, void* dirconf, const char* arg);
const char* set_ca_dn_request_file(cmd_parms* cmd, void* dirconf, const char* arg);
const char* set_ca_dn_request_path(cmd_parms* cmd, void* dirconf, const char* arg);

}  // namespace modssl::module
