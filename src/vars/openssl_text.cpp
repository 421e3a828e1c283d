#include "vars/openssl_text.h"

#include <climits>

namespace modssl::vars {

std::optional<std::string> asn1_string_utf8(const ASN1_STRING* s) {
  if (!s) return std::nullopt;
  // Not ASN1_STRFLGS_ESC_MSB: UTF-8 stays UTF-8; not ESC_2253: no DN quoting in components.
  return printed([s](BIO* bio) {
    ASN1_STRING_print_ex(bio, s, ASN1_STRFLGS_ESC_CTRL | ASN1_STRFLGS_UTF8_CONVERT);
  });
}

namespace {
constexpr char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}
}  // namespace

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequal(s.substr(0, prefix.size()), prefix);
}

std::optional<int> digits_value(std::string_view s) {
  long long v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
    if (v > INT_MAX) v = INT_MAX;
  }
  return static_cast<int>(v);
}

}  // namespace modssl::vars
