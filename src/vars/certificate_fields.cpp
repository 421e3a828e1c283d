#include "vars/certificate_fields.h"

#include <array>
#include <cstdint>
#include <utility>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include "tls/pem_files.h"
#include "vars/dn_format.h"
#include "vars/openssl_text.h"
#include "vars/subject_alt_names.h"

namespace modssl::vars {
namespace {

std::optional<std::string> validity_text(const ASN1_TIME* t) {
  if (!t) return std::nullopt;
  return tls::time_text(t);
}

std::optional<std::string> algorithm_name(const ASN1_OBJECT* obj) {
  const int nid = OBJ_obj2nid(obj);
  if (nid == NID_undef) return "UNKNOWN";
  const char* ln = OBJ_nid2ln(nid);
  return ln ? std::optional<std::string>(ln) : std::nullopt;
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
  return validity_text(X509_get0_notBefore(cert));
}

std::optional<std::string> cert_not_after(const X509* cert) {
  return validity_text(X509_get0_notAfter(cert));
}

std::optional<std::string> cert_days_remaining(const X509* cert, std::time_t now) {
  // Whole days from now until notAfter, "0" once it has passed or when it cannot be read: what
  // stock mod_ssl 2.4 reports (30.5 days left reads "30").
  const ASN1_TIME* t = X509_get0_notAfter(cert);
  if (!t || !ASN1_TIME_check(t)) return "0";
  ASN1_TIME* from = ASN1_TIME_set(nullptr, now);
  int days = 0;
  int seconds = 0;
  const bool ok = from && ASN1_TIME_diff(&days, &seconds, from, t) == 1;
  ASN1_TIME_free(from);
  return ok && days > 0 ? std::to_string(days) : "0";
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
