#include "config/revocation_directives.h"

#include <string>

#include "config/parse_text.h"

namespace modssl::config {
namespace {

constexpr std::string_view kDirective = "SSLCARevocationCheck";
constexpr std::string_view kModes = "none, chain, leaf";
constexpr std::string_view kFlag = "no_crl_for_cert_ok";

}  // namespace

Result<CrlCheck> parse_crl_check(std::span<const std::string_view> words) {
  if (words.empty()) {
    return fail(std::string(kDirective) + " needs a mode; allowed: " + std::string(kModes) +
                ", optionally followed by " + std::string(kFlag));
  }
  CrlCheck check;
  const std::string_view mode = words[0];
  if (iequals(mode, "none")) {
    check.mode = CrlCheckMode::None;
  } else if (iequals(mode, "chain")) {
    check.mode = CrlCheckMode::Chain;
  } else if (iequals(mode, "leaf")) {
    check.mode = CrlCheckMode::Leaf;
  } else if (iequals(mode, kFlag)) {
    return fail(std::string(kDirective) + ": " + quoted(mode) +
                " must follow the mode, e.g. 'chain " + std::string(kFlag) +
                "'; allowed modes: " + std::string(kModes));
  } else {
    return bad_value(kDirective, mode, kModes);
  }
  for (std::string_view flag : words.subspan(1)) {
    if (!iequals(flag, kFlag)) {
      return fail(std::string(kDirective) + ": invalid flag " + quoted(flag) + " after " +
                  quoted(mode) + "; allowed: " + std::string(kFlag));
    }
    check.no_crl_for_cert_ok = true;
  }
  return check;
}

}  // namespace modssl::config
