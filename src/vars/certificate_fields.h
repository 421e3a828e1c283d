#pragma once
// One certificate's SSL_CLIENT_* / SSL_SERVER_* fields, in mod_ssl's formats.
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

#include <openssl/x509.h>

namespace modssl::vars {

std::optional<std::string> cert_version(const X509* cert);     // "3"
std::optional<std::string> cert_serial(const X509* cert);      // "0A1B", as i2a_ASN1_INTEGER
std::optional<std::string> cert_not_before(const X509* cert);  // "Nov 24 10:00:00 2026 GMT"
std::optional<std::string> cert_not_after(const X509* cert);
// Whole days until notAfter, counted as mod_ssl does (from the day after notAfter, truncated);
// "0" once past or when the time cannot be read.
std::optional<std::string> cert_days_remaining(const X509* cert, std::time_t now);
std::optional<std::string> cert_signature_algorithm(const X509* cert);  // long name or "UNKNOWN"
std::optional<std::string> cert_key_algorithm(const X509* cert);
std::optional<std::string> cert_pem(const X509* cert);
// RFC 4523 CertificateExactAssertion:
// { serialNumber 123, issuer rdnSequence:"CN=ca,O=x" }
std::optional<std::string> cert_rfc4523_cea(const X509* cert);

// Which field of a certificate a name after "SSL_CLIENT_" / "SSL_SERVER_" means.
enum class CertField {
  kVersion,
  kSerial,
  kNotBefore,
  kNotAfter,
  kRemain,
  kSubject,      // S_DN
  kIssuer,       // I_DN
  kSubjectPart,  // S_DN_<tag>[_n]: `arg` is "<tag>[_n]"
  kIssuerPart,   // I_DN_<tag>[_n]
  kAltName,      // SAN_<kind>_<n>: `arg` is "<kind>_<n>"
  kSigAlg,
  kKeyAlg,
  kPem,
};
struct CertFieldRef {
  CertField field;
  std::string_view arg;
};
// nullopt for a name mod_ssl does not answer (field names are case-insensitive; DN tags, the
// S/I letter and otherName forms are not, as in mod_ssl).
std::optional<CertFieldRef> parse_cert_field(std::string_view name);

// The value of a parsed field of `cert`.
std::optional<std::string> cert_field(X509* cert, const CertFieldRef& ref, bool legacy_dn);

}  // namespace modssl::vars
