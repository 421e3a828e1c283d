#pragma once
// Handlers of the session-cache directives: SSLSessionCache, SSLSessionCacheTimeout,
// SSLSessionTicketKeyFile, SSLSessionTicketKeyRotation (ours) and the legacy SSLMutex.
#include "httpd.h"
#include "http_config.h"

namespace modssl::module {

const char* add_session_cache(cmd_parms* cmd, void* dirconf, const char* arg);
const char* set_session_cache_timeout(cmd_parms* cmd, void* dirconf, const char* arg);
const char* set_ticket_key_file(cmd_parms* cmd, void* dirconf, const char* arg);
const char* set_ticket_key_rotation(cmd_parms* cmd, void* dirconf, const char* arg);
const char* set_legacy_mutex(cmd_parms* cmd, void* dirconf, const char* arg);

}  // namespace modssl::module
