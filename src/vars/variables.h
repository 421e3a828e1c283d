#pragma once
// The SSL_* variables. Every variable is one getter with the same signature, listed in one table
// (variables.cpp), so that ssl_var_lookup, ap_expr, mod_log_config and the CGI environment all
// see the same values, in stock mod_ssl's formats byte for byte.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/ssl.h>

namespace modssl::vars {

// What a lookup may read. The httpd-facing caller fills it from the conn_rec / request_rec.
struct Source {
  const SSL* ssl = nullptr;  // null when the connection is not TLS (or TLS is not up yet)
  // SSLOptions +LegacyDNStringFormat in the request's directory: S_DN/I_DN in OpenSSL's old
  // "/C=../CN=.." one-line form instead of RFC 2253.
  bool legacy_dn_format = false;
};

// The value of `name`, or nullopt when the variable is unknown or has no value here.
// Names match as in mod_ssl: "HTTPS", the "SSL_" prefix and variable names ignore ASCII case;
// DN component tags (CN, Email), the S/I of S_DN/I_DN, otherName forms (msUPN) and the
// SSL_VERSION_* suffixes do not. SSL_VERSION_* has a value without TLS too.
std::optional<std::string> lookup(std::string_view name, const Source& src);

// Whether `name` is one of ours (so that unknown SSL_* names can be reported).
bool is_known(std::string_view name);

using VariableSink = std::function<void(std::string_view name, std::string value)>;

// SSLOptions +StdEnvVars: the variables stock mod_ssl puts into the CGI/SSI environment, in its
// order, each with a non-empty value: the DN components (SSL_SERVER_S_DN_CN,
// SSL_CLIENT_I_DN_OU_1 ...), the subjectAltName entries (SSL_SERVER_SAN_DNS_0 ...), then its
// fixed list. Not HTTPS and SSL_TLS_SNI, which mod_ssl exports with or without StdEnvVars.
void each_standard_variable(const Source& src, const VariableSink& sink);

// SSLOptions +ExportCertData: SSL_SERVER_CERT, SSL_CLIENT_CERT (both even when empty, as
// mod_ssl) and SSL_CLIENT_CERT_CHAIN_n.
void each_certificate_variable(const Source& src, const VariableSink& sink);

// ssl_ext_list(): the printed values of every extension `oid` (long name, short name or dotted
// OID) of the client's (peer) or the server's certificate; empty when there are none.
std::vector<std::string> extension_values(const SSL* ssl, bool peer, std::string_view oid);

}  // namespace modssl::vars
