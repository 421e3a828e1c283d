#pragma once
// SSLRandomSeed and SSLCryptoDevice at run time.
//
// OpenSSL 3's DRBG seeds itself from the operating system; the configured sources are mixed in
// on top (RAND_seed / RAND_add), as stock mod_ssl does:
// - `startup` sources once per (re)start, in post_config. A source that cannot be read there
//   (file unreadable, program failing or printing nothing, EGD not answering) stops start-up
//   with a message naming SSLRandomSeed and the source.
// - `connect` sources before the handshake of every new TLS connection. `builtin` and `file:`
//   are read per connection (cheap: a little stack and clock data; one non-blocking open+read,
//   so a /dev/random that has nothing to give never holds a connection). `exec:` runs the program
//   once per child at child_init instead of per connection (a fork per handshake is slow), and
//   `egd:` is asked per connection with a 50 ms limit. A failure here is logged (once per child at
//   warning level) and never drops the connection.
#include <string>

#include "httpd.h"

namespace modssl::startup {

// post_config: applies SSLCryptoDevice and the startup seeds, and remembers the connect seeds for
// seed_connection(). Returns OK, or an httpd error after logging why start-up must stop.
int apply_random_seeds(apr_pool_t* ptemp, server_rec* main_server);

// child_init: runs the connect-time exec: sources once in the new child.
void child_init_random_seeds(apr_pool_t* pchild, server_rec* main_server);

namespace detail {
extern bool g_have_connect_seeds;
void seed_connection_slow(conn_rec* c);
}  // namespace detail

// pre_connection of a TLS connection: mixes in the connect seeds. Free when none are configured.
inline void seed_connection(conn_rec* c) {
  if (detail::g_have_connect_seeds) detail::seed_connection_slow(c);
}

// Whether OpenSSL has an engine called `id` (SSLCryptoDevice's configtest check). Fills
// `available` with "'id' (name), ..." of the engines OpenSSL knows, for the error message.
bool crypto_device_exists(const std::string& id, std::string* available);

}  // namespace modssl::startup
