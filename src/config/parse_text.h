#pragma once
// Small text helpers shared by the directive parsers: case-insensitive comparison and the one
// shape of error message every parser uses ("<directive>: invalid value '<v>'; allowed: ...").
#include <string>
#include <string_view>

#include "config/result.h"

namespace modssl::config {

// ASCII case-insensitive equality (directive keywords are ASCII).
bool iequals(std::string_view a, std::string_view b);

// The value in single quotes, as error messages show it.
std::string quoted(std::string_view v);

// "<directive>: invalid value '<value>'; allowed: <allowed>".
Error bad_value(std::string_view directive, std::string_view value, std::string_view allowed);

}  // namespace modssl::config
