#pragma once
// SSLVHostSNIPolicy: may a request whose Host selects vhost `target` be served on a connection
// whose TLS handshake used vhost `handshake` (chosen by SNI, or the address's default vhost
// when the client sent none)? A "no" is answered with 421 Misdirected Request.
#include "config/server_config.h"

namespace modssl::config {

// `same_vhost`: both are the same server_rec (always allowed).
bool request_may_cross_vhosts(SniPolicy policy, const ServerConfig& handshake,
                              const ServerConfig& target);

// The settings that decide who may connect: client verification and its CAs, plus any raw
// SSLOpenSSLConfCmd (which may change anything, verification included).
bool same_client_authentication(const ServerConfig& a, const ServerConfig& b);

}  // namespace modssl::config
