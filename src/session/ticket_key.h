#pragma once
// One session-ticket key: the name a ticket carries in clear (RFC 5077 key_name, how the server
// finds the key again) and the two secrets that protect the ticket (HMAC-SHA256 and AES-CBC).
#include <array>
#include <cstddef>
#include <span>

#include <openssl/crypto.h>

namespace modssl::session {

// OpenSSL's ticket callback passes the key name as unsigned char[16].
inline constexpr std::size_t kTicketKeyNameSize = 16;
// Derived keys use the full strength of the primitives: a 32-byte HMAC-SHA256 key (the hash's
// output size; longer keys add nothing) and an AES-256 key. The 48-byte file form of stock
// mod_ssl carries 16-byte secrets and therefore uses AES-128.
inline constexpr std::size_t kTicketMaxSecretSize = 32;

struct TicketKey {
  using Name = std::array<unsigned char, kTicketKeyNameSize>;
  using Secret = std::array<unsigned char, kTicketMaxSecretSize>;

  Name name{};
  Secret hmac_key{};
  std::size_t hmac_key_size = 0;
  Secret cipher_key{};
  std::size_t cipher_key_size = 0;  // 16: AES-128-CBC, 32: AES-256-CBC

  TicketKey() = default;
  TicketKey(const TicketKey&) = default;
  TicketKey& operator=(const TicketKey&) = default;
  ~TicketKey() {
    OPENSSL_cleanse(hmac_key.data(), hmac_key.size());
    OPENSSL_cleanse(cipher_key.data(), cipher_key.size());
  }

  std::span<const unsigned char> hmac() const { return {hmac_key.data(), hmac_key_size}; }
  std::span<const unsigned char> cipher() const { return {cipher_key.data(), cipher_key_size}; }
};

}  // namespace modssl::session
