#pragma once
// Distinguished names as mod_ssl prints them: the whole name (RFC 2253, or OpenSSL's legacy
// "/C=../CN=.." form with LegacyDNStringFormat), one component by its mod_ssl tag ("CN", "OU_1"),
// and every component for the StdEnvVars export.
#include <optional>
#include <string>
#include <string_view>

#include <openssl/x509.h>

#include "vars/variables.h"

namespace modssl::vars {

// SSL_*_S_DN / SSL_*_I_DN: RFC 2253 with UTF-8 left as UTF-8, or the legacy one-line form.
// nullopt for an empty name.
std::optional<std::string> dn_string(const X509_NAME* name, bool legacy);

// RFC 2253 with bytes above 0x7f escaped (\C3\A9), as in SSL_CLIENT_CERT_RFC4523_CEA.
std::optional<std::string> dn_string_escaped(const X509_NAME* name);

// Whether `spec` is a component reference mod_ssl knows: a tag of its table ("C", "ST", "SP",
// "L", "O", "OU", "CN", "T", "I", "G", "S", "D", "UID", "Email"; case-sensitive), optionally
// followed by "_<n>" for the (n+1)-th occurrence.
bool is_dn_component_spec(std::string_view spec);

// The value of component `spec` of `name`; nullopt when it is absent or `spec` is not valid.
std::optional<std::string> dn_component(const X509_NAME* name, std::string_view spec);

// StdEnvVars: every component of `name` whose tag is exported, as `prefix` + tag for the first
// occurrence and `prefix` + tag + "_1", "_2" ... for later ones, in the name's order.
void each_dn_component(const X509_NAME* name, std::string_view prefix, const VariableSink& sink);

}  // namespace modssl::vars
