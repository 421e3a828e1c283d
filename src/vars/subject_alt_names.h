#pragma once
// subjectAltName entries as mod_ssl reads them: rfc822Name, dNSName and the otherName forms
// msUPN (1.3.6.1.4.1.311.20.2.3) and id-on-dnsSRV (1.3.6.1.5.5.7.8.7). Other kinds (IP
// addresses, URIs, directory names) are not exposed, as in mod_ssl.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/x509.h>

namespace modssl::vars {

enum class SanKind { kEmail, kDns, kMsUpn, kDnsSrv };

// The values of every entry of `kind`, in certificate order.
std::vector<std::string> san_entries(X509* cert, SanKind kind);

// The n-th (from 0) entry of `kind`; nullopt when there is none.
std::optional<std::string> san_entry(X509* cert, SanKind kind, int n);

// "DNS_0", "Email_1", "OTHER_msUPN_0", "OTHER_dnsSRV_2" (the part after SSL_*_SAN_) -> kind and
// index; nullopt when it is not such a name (1 to 4 digits, kind case-insensitive except the
// otherName form).
struct SanRef {
  SanKind kind;
  int index;
};
std::optional<SanRef> parse_san_ref(std::string_view ref);

}  // namespace modssl::vars
