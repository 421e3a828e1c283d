#include "config/parse_text.h"

#include <cctype>

namespace modssl::config {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string quoted(std::string_view v) { return "'" + std::string(v) + "'"; }

Error bad_value(std::string_view directive, std::string_view value, std::string_view allowed) {
  return fail(std::string(directive) + ": invalid value " + quoted(value) + "; allowed: " +
              std::string(allowed));
}

}  // namespace modssl::config
