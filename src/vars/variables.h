#pragma once
// The SSL_* variables. Every variable is one getter with the same signature, listed in one table
// (variables.cpp), so that ssl_var_lookup, ap_expr, mod_log_config and the CGI environment all
// see the same values.
#include <optional>
#include <string>
#include <string_view>

#include <openssl/ssl.h>

namespace modssl::vars {

// What a lookup may read. The httpd-facing caller fills it from the conn_rec / request_rec.
struct Source {
  const SSL* ssl = nullptr;  // null when the connection is not TLS (or TLS is not up yet)
};

// The value of `name`, or nullopt when the variable is unknown or has no value here.
// Names are case-sensitive except for the "HTTPS" variable, as in mod_ssl.
std::optional<std::string> lookup(std::string_view name, const Source& src);

// Whether `name` is one of ours (so that unknown SSL_* names can be reported).
bool is_known(std::string_view name);

}  // namespace modssl::vars
