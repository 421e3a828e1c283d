#pragma once
// SSLCARevocationCheck none|chain|leaf [no_crl_for_cert_ok]: the parser. Same contract as
// directives.h: the words as httpd split them in, a value or an administrator-facing error out.
// (SSLCARevocationFile/Path take a path that the handler checks against ServerRoot.)
#include <span>
#include <string_view>

#include "config/result.h"
#include "config/server_config.h"

namespace modssl::config {

// The first word is the mode (none, chain, leaf); the only flag that may follow is
// no_crl_for_cert_ok (repeating it is harmless). Keywords are case-insensitive.
Result<CrlCheck> parse_crl_check(std::span<const std::string_view> words);

}  // namespace modssl::config
