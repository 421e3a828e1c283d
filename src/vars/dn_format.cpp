#include "vars/dn_format.h"

#include <array>

#include <openssl/crypto.h>
#include <openssl/objects.h>

#include "vars/openssl_text.h"

namespace modssl::vars {
namespace {

struct Tag {
  std::string_view name;
  int nid;
  bool exported;  // "SP" is an alias that StdEnvVars does not use
};

constexpr std::array<Tag, 14> kTags{{
    {"C", NID_countryName, true},
    {"ST", NID_stateOrProvinceName, true},
    {"SP", NID_stateOrProvinceName, false},
    {"L", NID_localityName, true},
    {"O", NID_organizationName, true},
    {"OU", NID_organizationalUnitName, true},
    {"CN", NID_commonName, true},
    {"T", NID_title, true},
    {"I", NID_initials, true},
    {"G", NID_givenName, true},
    {"S", NID_surname, true},
    {"D", NID_description, true},
    {"UID", NID_userId, true},
    {"Email", NID_pkcs9_emailAddress, true},
}};

struct Spec {
  int nid = NID_undef;
  int index = 0;
};

// "OU" -> (OU, 0), "OU_2" -> (OU, 2). As in mod_ssl, the first '_' splits only when all that
// follows it is digits (so "OU_" is the first OU); otherwise the whole text is the tag.
std::optional<Spec> parse_spec(std::string_view spec) {
  std::string_view tag = spec;
  int index = 0;
  if (auto us = spec.find('_'); us != std::string_view::npos) {
    if (auto n = digits_value(spec.substr(us + 1))) {
      tag = spec.substr(0, us);
      index = *n;
    }
  }
  for (const Tag& t : kTags) {
    if (t.name == tag) return Spec{t.nid, index};
  }
  return std::nullopt;
}

int entry_nid(const X509_NAME_ENTRY* e) {
  return OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
}

}  // namespace

std::optional<std::string> dn_string(const X509_NAME* name, bool legacy) {
  if (!name) return std::nullopt;
  if (legacy) {
    char* line = X509_NAME_oneline(name, nullptr, 0);
    if (!line) return std::nullopt;
    std::optional<std::string> out;
    if (*line) out.emplace(line);
    OPENSSL_free(line);
    return out;
  }
  return printed([name](BIO* bio) {
    X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  });
}

std::optional<std::string> dn_string_escaped(const X509_NAME* name) {
  if (!name) return std::nullopt;
  return printed([name](BIO* bio) { X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253); });
}

bool is_dn_component_spec(std::string_view spec) {
  return parse_spec(spec).has_value();
}

std::optional<std::string> dn_component(const X509_NAME* name, std::string_view spec) {
  const auto parsed = parse_spec(spec);
  if (!name || !parsed) return std::nullopt;
  int remaining = parsed->index;
  const int count = X509_NAME_entry_count(name);
  for (int i = 0; i < count; ++i) {
    const X509_NAME_ENTRY* e = X509_NAME_get_entry(name, i);
    if (entry_nid(e) != parsed->nid) continue;
    if (remaining-- == 0) return asn1_string_utf8(X509_NAME_ENTRY_get_data(e));
  }
  return std::nullopt;
}

void each_dn_component(const X509_NAME* name, std::string_view prefix, const VariableSink& sink) {
  if (!name) return;
  std::array<int, kTags.size()> seen{};
  const int count = X509_NAME_entry_count(name);
  for (int i = 0; i < count; ++i) {
    const X509_NAME_ENTRY* e = X509_NAME_get_entry(name, i);
    const int nid = entry_nid(e);
    std::size_t t = 0;
    while (t < kTags.size() && !(kTags[t].exported && kTags[t].nid == nid)) ++t;
    if (t == kTags.size()) continue;
    std::string key(prefix);
    key += kTags[t].name;
    if (seen[t] > 0) {
      key += '_';
      key += std::to_string(seen[t]);
    }
    ++seen[t];
    if (auto value = asn1_string_utf8(X509_NAME_ENTRY_get_data(e))) sink(key, std::move(*value));
  }
}

}  // namespace modssl::vars
