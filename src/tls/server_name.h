#pragma once
// Reading the server_name extension (RFC 6066 section 3) straight from a ClientHello, so the
// vhost can be chosen before OpenSSL negotiates the protocol version and cipher.
#include <cstddef>
#include <optional>
#include <string_view>

namespace modssl::tls {

// The host_name entry of a server_name extension body, or nullopt when the extension is
// malformed, holds no host_name, or the name is not a plausible DNS name (empty, too long,
// containing NUL, '/', or whitespace).
std::optional<std::string_view> parse_server_name_extension(const unsigned char* data,
                                                            std::size_t len);

}  // namespace modssl::tls
