#pragma once
// Start-up of session resumption: the shared session cache (SSLSessionCache) with its lock
// (`Mutex ssl-cache`), the ticket keys (SSLSessionTicketKeyFile, or generated and rotated), and
// connecting both to every vhost's TLS context.
//
// What outlives a restart: the parent keeps the shmcb memory, the lock, the status counters and
// the ticket master secret in its process pool, so that a graceful restart neither empties the
// cache nor invalidates issued tickets, and children of the old and the new generation share
// one cache under one lock. (A changed `Mutex ssl-cache` line therefore takes effect at the next
// full stop and start.)
#include <memory>

#include "httpd.h"
#include "session/session_cache.h"
#include "session/ticket_keys.h"

namespace modssl::startup {

// pre_config: makes `Mutex ... ssl-cache` a valid line.
void register_session_mutex(apr_pool_t* pconf);

// post_config, after build_all_contexts. Returns OK or an httpd error after logging why.
int setup_sessions(apr_pool_t* pconf, apr_pool_t* ptemp, server_rec* main_server);

// child_init: reopens the lock and the store in the new child.
void child_init_sessions(apr_pool_t* pchild, server_rec* main_server);

// For /server-status: null when no shared cache is configured.
session::SessionCache* shared_session_cache();
// The main server's ticket keys, or null when tickets are off there.
std::shared_ptr<const session::TicketKeyRing> main_ticket_keys();

}  // namespace modssl::startup
