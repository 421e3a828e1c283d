#pragma once
// SSLOpenSSLConfCmd names are OpenSSL's SSL_CONF commands; which exist depends on the library,
// so the directive asks OpenSSL at configuration time.
#include <string>

namespace modssl::tls {

// True when OpenSSL knows `name` as a server-side configuration command.
bool is_known_conf_command(const std::string& name);

}  // namespace modssl::tls
