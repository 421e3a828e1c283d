#pragma once
// A syntax checker for SSLRequire's expression language, as httpd 2.4's ap_expr parses it in
// mod_ssl compatibility mode (AP_EXPR_FLAG_SSL_EXPR_COMPAT changes how comparisons evaluate, not
// what parses). ap_expr does the real parsing; when it refuses a text its message is bison's
// terse "syntax error, unexpected ...", so the module runs this checker on the same text to tell
// the administrator where the problem is and what was expected there.
//
// It checks syntax only: whether a variable, function or -operator name exists, and whether a
// regular expression compiles, is left to ap_expr, whose messages for those are already clear.
// It is safe on any input: linear time, nesting bounded (kMaxSslRequireNesting), no allocation
// proportional to the nesting.
#include <cstddef>
#include <string_view>

#include "config/result.h"

namespace modssl::config {

// Deepest nesting of parentheses, function calls and %{NAME:%{...}} variables accepted.
inline constexpr int kMaxSslRequireNesting = 64;

// ap_expr's scanner buffer: one string, regex or %{NAME:argument} piece holds at most this many
// bytes (a %{...} or $1 inside a string starts a new piece).
inline constexpr std::size_t kMaxSslRequireLiteral = 8191;

// ok when `text` parses; otherwise an error such as
//   column 18: expected a value (a number, a "string", %{VARIABLE} or a function call) after
//   '==' but found ')'
// Columns count bytes from 1. The message quotes at most 30 bytes of the text at the error
// position (non-printable bytes as \xNN) and does not name the directive: the caller prefixes
// `SSLRequire "<text>": `.
Status check_ssl_require_syntax(std::string_view text);

}  // namespace modssl::config
