#pragma once
// SSLSessionTicketKeyFile: the 48-byte format of stock mod_ssl 2.4, so existing key files (and the
// tools that write them, e.g. `openssl rand 48`) keep working: 16 bytes key name, 16 bytes HMAC
// secret, 16 bytes AES-128 key.
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "config/result.h"
#include "session/ticket_key.h"

namespace modssl::session {

inline constexpr std::size_t kTicketKeyFileSize = 48;

// Uses the first 48 bytes and ignores any after them (as stock mod_ssl does); fewer is an
// error that quotes `source` (the file's path).
config::Result<TicketKey> parse_ticket_key_file(std::span<const unsigned char> bytes,
                                                std::string_view source);

// Reads and parses the file at `path`.
config::Result<TicketKey> read_ticket_key_file(const std::string& path);

}  // namespace modssl::session
