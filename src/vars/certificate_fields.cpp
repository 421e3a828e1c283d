#include "vars/certificate_fields.h"

#include <array>
#include <cstdint>
#include <utility>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include "vars/dn_format.h"
#include "vars/openssl_text.h"
#include "vars/subject_alt_names.h"

namespace modssl::vars {
namespace {

std::optional<std::string> time_text(const ASN1_TIME* t) {
  if (!t) return std::nullopt;
  return printed([t](BIO* bio) { ASN1_TIME_print(bio, t); });
}

std::optional<std::string> algorithm_name(const ASN1_OBJECT* obj) {
  const int nid = OBJ_obj2nid(obj);
  if (nid == NID_undef) return "UNKNOWN";
  const char* ln = OBJ_nid2ln(nid);
  return ln ? std::optional<std::string>(ln) : std::nullopt;
}

int two_digits(const unsigned char* p) {
  return (p[0] - '0') * 10 + (p[1] - '0');
}

// Seconds since the epoch of a broken-down UTC time, with the arithmetic of APR's
// apr_time_exp_get (days from 1 March 1900), so that out-of-range days roll over the same way.
std::optional<std::int64_t> apr_epoch_seconds(std::int64_t year_since_1900, int mon, int mday,
                                              int hour, int min, int sec) {
  static constexpr std::array<int, 12> kDayOffset{306, 337, 0,   31,  61,  92,
                                                  122, 153, 184, 214, 245, 275};
  if (mon < 0 || mon >= 12) return std::nullopt;
  std::int64_t year = year_since_1900;
  if (mon < 2) --year;
  std::int64_t days = year * 365 + year / 4 - year / 100 + (year / 100 + 3) / 4;
  days += kDayOffset[static_cast<std::size_t>(mon)] + mday - 1;
  days -= 25508;
  const std::int64_t secs = ((days * 24 + hour) * 60 + min) * 60 + sec;
  if (secs < 0) return std::nullopt;
  return secs;
}

}  // namespace

std::optional<std::string> cert_version(const X509* cert) {
  return std::to_string(X509_get_version(cert) + 1);
}

std::optional<std::string> cert_serial(const X509* cert) {
  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert);
  return printed([serial](BIO* bio) { i2a_ASN1_INTEGER(bio, serial); });
}

std::optional<std::string> cert_not_before(const X509* cert) {
  return time_text(X509_get0_notBefore(cert));
}

std::optional<std::string> cert_not_after(const X509* cert) {
  return time_text(X509_get0_notAfter(cert));
}

std::optional<std::string> cert_days_remaining(const X509* cert, std::time_t now) {
  const ASN1_TIME* t = X509_get0_notAfter(cert);
  const int type = t ? ASN1_STRING_type(t) : 0;
  const int len = t ? ASN1_STRING_length(t) : 0;
  // mod_ssl reads the digits itself. Without seconds (shorter than RFC 5280 allows) it reads the
  // 'Z' and the string's terminating NUL as the seconds, as this does: ASN1_STRING data is
  // always NUL-terminated, so the read stays in bounds.
  if (!t || (type == V_ASN1_UTCTIME && len < 11) || (type == V_ASN1_GENERALIZEDTIME && len < 13) ||
      !ASN1_TIME_check(t)) {
    return "0";
  }
  const unsigned char* d = ASN1_STRING_get0_data(t);
  std::int64_t year;
  const unsigned char* rest;
  if (type == V_ASN1_UTCTIME) {
    year = two_digits(d);
    if (year <= 50) year += 100;
    rest = d + 2;
  } else {
    year = two_digits(d) * 100 + two_digits(d + 2) - 1900;
    rest = d + 4;
  }
  // mod_ssl counts from the day after notAfter (its day-of-month is one higher than the
  // certificate's), so a certificate valid for 24 more hours still has "1" day left.
  const auto then =
      apr_epoch_seconds(year, two_digits(rest) - 1, two_digits(rest + 2) + 1, two_digits(rest + 4),
                        two_digits(rest + 6), two_digits(rest + 8));
  if (!then) return "0";
  const std::int64_t diff = (*then - static_cast<std::int64_t>(now)) / (60 * 60 * 24);
  return diff > 0 ? std::to_string(diff) : "0";
}

std::optional<std::string> cert_signature_algorithm(const X509* cert) {
  const ASN1_OBJECT* obj = nullptr;
  X509_ALGOR_get0(&obj, nullptr, nullptr, X509_get0_tbs_sigalg(cert));
  return algorithm_name(obj);
}

std::optional<std::string> cert_key_algorithm(const X509* cert) {
  ASN1_OBJECT* obj = nullptr;
  X509_PUBKEY_get0_param(&obj, nullptr, nullptr, nullptr, X509_get_X509_PUBKEY(cert));
  return algorithm_name(obj);
}

std::optional<std::string> cert_pem(const X509* cert) {
  return printed([cert](BIO* bio) { PEM_write_bio_X509(bio, const_cast<X509*>(cert)); });
}

std::optional<std::string> cert_rfc4523_cea(const X509* cert) {
  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert);
  const X509_NAME* issuer = X509_get_issuer_name(cert);
  if (!serial || !issuer) return std::nullopt;
  BIGNUM* bn = ASN1_INTEGER_to_BN(serial, nullptr);
  char* decimal = bn ? BN_bn2dec(bn) : nullptr;
  std::string out = "{ serialNumber ";
  if (decimal) out += decimal;
  OPENSSL_free(decimal);
  BN_free(bn);
  out += ", issuer rdnSequence:\"";
  // mod_ssl joins the pieces with apr_pstrcat, which stops at an absent (empty) issuer string.
  if (auto dn = dn_string_escaped(issuer)) {
    out += *dn;
    out += "\" }";
  }
  return out;
}

std::optional<CertFieldRef> parse_cert_field(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, CertField>, 8> kFixed{{
      {"M_VERSION", CertField::kVersion},
      {"M_SERIAL", CertField::kSerial},
      {"V_START", CertField::kNotBefore},
      {"V_END", CertField::kNotAfter},
      {"V_REMAIN", CertField::kRemain},
      {"A_SIG", CertField::kSigAlg},
      {"A_KEY", CertField::kKeyAlg},
      {"CERT", CertField::kPem},
  }};
  for (const auto& [n, f] : kFixed) {
    if (iequal(name, n)) return CertFieldRef{f, {}};
  }
  if (name.size() == 4 && iequal(name.substr(1), "_DN")) {
    if (name[0] == 'S') return CertFieldRef{CertField::kSubject, {}};
    if (name[0] == 'I') return CertFieldRef{CertField::kIssuer, {}};
    return std::nullopt;
  }
  if (name.size() > 5 && iequal(name.substr(1, 4), "_DN_")) {
    const std::string_view spec = name.substr(5);
    if (!is_dn_component_spec(spec)) return std::nullopt;
    if (name[0] == 'S') return CertFieldRef{CertField::kSubjectPart, spec};
    if (name[0] == 'I') return CertFieldRef{CertField::kIssuerPart, spec};
    return std::nullopt;
  }
  if (name.size() > 4 && istarts_with(name, "SAN_")) {
    const std::string_view ref = name.substr(4);
    if (!parse_san_ref(ref)) return std::nullopt;
    return CertFieldRef{CertField::kAltName, ref};
  }
  return std::nullopt;
}

std::optional<std::string> cert_field(X509* cert, const CertFieldRef& ref, bool legacy_dn) {
  if (!cert) return std::nullopt;
  switch (ref.field) {
    case CertField::kVersion:
      return cert_version(cert);
    case CertField::kSerial:
      return cert_serial(cert);
    case CertField::kNotBefore:
      return cert_not_before(cert);
    case CertField::kNotAfter:
      return cert_not_after(cert);
    case CertField::kRemain:
      return cert_days_remaining(cert, std::time(nullptr));
    case CertField::kSubject:
      return dn_string(X509_get_subject_name(cert), legacy_dn);
    case CertField::kIssuer:
      return dn_string(X509_get_issuer_name(cert), legacy_dn);
    case CertField::kSubjectPart:
      return dn_component(X509_get_subject_name(cert), ref.arg);
    case CertField::kIssuerPart:
      return dn_component(X509_get_issuer_name(cert), ref.arg);
    case CertField::kAltName: {
      const auto san = parse_san_ref(ref.arg);
      if (!san) return std::nullopt;
      return san_entry(cert, san->kind, san->index);
    }
    case CertField::kSigAlg:
      return cert_signature_algorithm(cert);
    case CertField::kKeyAlg:
      return cert_key_algorithm(cert);
    case CertField::kPem:
      return cert_pem(cert);
  }
  return std::nullopt;
}

}  // namespace modssl::vars
