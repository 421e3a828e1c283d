#pragma once
// Printed certificate extension values for ssl_ext_list() and ap_expr's PeerExtList().
#include <string>
#include <string_view>
#include <vector>

#include <openssl/x509.h>

namespace modssl::vars {

// Every extension of `cert` whose type is `oid` (long name, short name or dotted OID), printed
// by OpenSSL's extension printer, or, for a type OpenSSL cannot print, as a plain string when
// its value is one (UTF8String, IA5String, VisibleString, BMPString). Empty when none.
std::vector<std::string> extension_values_of(const X509* cert, std::string_view oid);

}  // namespace modssl::vars
