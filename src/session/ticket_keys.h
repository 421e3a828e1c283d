#pragma once
// The set of session-ticket keys a server uses at a given time: which key encrypts new tickets
// and which keys still decrypt old ones.
//
// Two forms:
// - rotating (no SSLSessionTicketKeyFile): keys derived from a master secret per rotation period
//   n = floor(now / interval). Period n's key encrypts; periods n-1 .. n-k still decrypt, with
//   k = ceil(lifetime / interval), so a ticket made at the last second of its period stays usable
//   for its whole lifetime. A ticket under an older key asks for renewal.
// - fixed (SSLSessionTicketKeyFile): the file's one key encrypts and decrypts; no rotation.
//
// The ring is immutable after construction, so any number of threads may use it without a lock.
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <variant>

#include "config/result.h"
#include "session/ticket_key.h"
#include "session/ticket_key_derivation.h"

namespace modssl::session {

struct TicketDecryptKey {
  TicketKey key;
  bool renew = false;  // the ticket is valid but under an older key: issue a fresh one
};

// For mod_status.
struct TicketKeyStatus {
  bool rotating = false;
  std::int64_t current_key_age_s = 0;    // since the encrypting key came into use (or was loaded)
  std::int64_t next_rotation_in_s = -1;  // -1: never (fixed key)
  std::int64_t decrypting_keys = 1;      // keys accepted for decryption, the current one included
};

class TicketKeyRing {
 public:
  // `interval` > 0, `lifetime` >= 0 (the ticket lifetime, i.e. the session timeout).
  static config::Result<TicketKeyRing> rotating(std::span<const unsigned char> master_secret,
                                                std::chrono::seconds interval,
                                                std::chrono::seconds lifetime);
  // `loaded_at`: when the key file was read (unix seconds), for the key's age.
  static TicketKeyRing fixed(const TicketKey& key, std::int64_t loaded_at);

  // The key for new tickets at `now` (unix seconds). Empty only if key derivation fails.
  std::optional<TicketKey> encrypt_key(std::int64_t now) const;
  // The key a ticket named `name` was made with, if it is still accepted at `now`.
  std::optional<TicketDecryptKey> decrypt_key(
      std::span<const unsigned char, kTicketKeyNameSize> name, std::int64_t now) const;

  TicketKeyStatus status(std::int64_t now) const;

  std::int64_t period_at(std::int64_t now) const;  // rotating form only; 0 for fixed

 private:
  struct Rotating {
    TicketKeyDerivation derivation;
    std::int64_t interval_s;
    std::int64_t accepted_old_periods;
  };
  struct Fixed {
    TicketKey key;
    std::int64_t loaded_at;
  };
  explicit TicketKeyRing(Rotating r) : form_(std::move(r)) {}
  explicit TicketKeyRing(Fixed f) : form_(std::move(f)) {}

  std::variant<Rotating, Fixed> form_;
};

}  // namespace modssl::session
