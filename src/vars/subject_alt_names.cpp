#include "vars/subject_alt_names.h"

#include <memory>

#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "vars/openssl_text.h"

namespace modssl::vars {
namespace {

struct NamesFree {
  void operator()(GENERAL_NAMES* names) const { GENERAL_NAMES_free(names); }
};

int general_name_type(SanKind kind) {
  switch (kind) {
    case SanKind::kEmail:
      return GEN_EMAIL;
    case SanKind::kDns:
      return GEN_DNS;
    default:
      return GEN_OTHERNAME;
  }
}

// An otherName's value when it has the type its form prescribes (UTF8String for msUPN,
// IA5String for dnsSRV); other encodings are skipped but still count for the numbering.
std::optional<std::string> other_name_value(const OTHERNAME* on, SanKind kind) {
  const ASN1_TYPE* v = on->value;
  if (!v) return std::nullopt;
  if (kind == SanKind::kMsUpn && v->type == V_ASN1_UTF8STRING) {
    return asn1_string_utf8(v->value.utf8string);
  }
  if (kind == SanKind::kDnsSrv && v->type == V_ASN1_IA5STRING) {
    return asn1_string_utf8(v->value.ia5string);
  }
  return std::nullopt;
}

// Walks the entries of `kind`, numbering them as mod_ssl does, and collects those whose number
// is `only` (or all when `only` is -1).
std::vector<std::string> collect(X509* cert, SanKind kind, int only) {
  std::vector<std::string> out;
  if (!cert) return out;
  std::unique_ptr<GENERAL_NAMES, NamesFree> names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  if (!names) return out;
  const int type = general_name_type(kind);
  const int other_nid = kind == SanKind::kMsUpn ? NID_ms_upn : NID_SRVName;
  int n = 0;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type != type) continue;
    std::optional<std::string> value;
    if (type == GEN_OTHERNAME) {
      if (OBJ_obj2nid(name->d.otherName->type_id) != other_nid) continue;
      if (only == -1 || n == only) value = other_name_value(name->d.otherName, kind);
    } else if (only == -1 || n == only) {
      value = asn1_string_utf8(name->d.ia5);
    }
    if (value) out.push_back(std::move(*value));
    ++n;
    if (only != -1 && n > only) break;
  }
  return out;
}

}  // namespace

std::vector<std::string> san_entries(X509* cert, SanKind kind) {
  return collect(cert, kind, -1);
}

std::optional<std::string> san_entry(X509* cert, SanKind kind, int n) {
  if (n < 0) return std::nullopt;
  auto found = collect(cert, kind, n);
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

std::optional<SanRef> parse_san_ref(std::string_view ref) {
  SanKind kind;
  if (istarts_with(ref, "Email_")) {
    kind = SanKind::kEmail;
    ref.remove_prefix(6);
  } else if (istarts_with(ref, "DNS_")) {
    kind = SanKind::kDns;
    ref.remove_prefix(4);
  } else if (istarts_with(ref, "OTHER_")) {
    ref.remove_prefix(6);
    if (ref.starts_with("msUPN_")) {
      kind = SanKind::kMsUpn;
      ref.remove_prefix(6);
    } else if (ref.starts_with("dnsSRV_")) {
      kind = SanKind::kDnsSrv;
      ref.remove_prefix(7);
    } else {
      return std::nullopt;
    }
  } else {
    return std::nullopt;
  }
  if (ref.empty() || ref.size() > 4) return std::nullopt;
  const auto n = digits_value(ref);
  if (!n) return std::nullopt;
  return SanRef{kind, *n};
}

}  // namespace modssl::vars
