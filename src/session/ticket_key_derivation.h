#pragma once
// Ticket keys derived from one master secret, one key per rotation period.
//
// Why derive instead of share: every child process computes the same key for the same period from
// the master secret alone, so no shared memory, no lock and no key distribution is needed, and a
// graceful restart keeps the tickets valid as long as the parent keeps the secret.
//
// Why HKDF-SHA256 (RFC 5869): it is the standard way to turn one secret into several independent
// keys; the period number goes into HKDF's `info`, so knowing one period's keys reveals nothing
// about another period's, nor about the master secret.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include <openssl/kdf.h>

#include "config/result.h"
#include "session/secret_bytes.h"
#include "session/ticket_key.h"

namespace modssl::session {

// 32 bytes = the strength of SHA-256; shorter secrets are refused.
inline constexpr std::size_t kTicketMasterSecretSize = 32;

// A fresh random master secret (RAND_priv_bytes); made once by the parent at first start-up.
config::Result<SecretBytes> generate_ticket_master_secret();

class TicketKeyDerivation {
 public:
  static config::Result<TicketKeyDerivation> create(std::span<const unsigned char> master_secret);

  // The key of `period`: name = 8-byte tag of this master secret || period as 64-bit big endian,
  // so a ticket's name says which period made it (decryption looks the period up without
  // trying candidates) and names from another secret are told apart cheaply. The HMAC and AES
  // keys are 32 bytes each. Empty only if OpenSSL's KDF fails.
  // The period number travels in clear; it tells an observer no more than that the ticket was
  // made within that rotation interval, and it is authenticated by the ticket's HMAC like the
  // rest of the name (a forged period only selects a key the forger cannot use).
  std::optional<TicketKey> derive(std::int64_t period) const;

  // The period a name claims to be from, if the name carries this secret's tag.
  std::optional<std::int64_t> period_of(
      std::span<const unsigned char, kTicketKeyNameSize> name) const;

 private:
  struct KdfFree {
    void operator()(EVP_KDF* kdf) const noexcept { EVP_KDF_free(kdf); }
  };
  static constexpr std::size_t kTagSize = 8;

  TicketKeyDerivation() = default;
  bool expand(std::span<const unsigned char> info, std::span<unsigned char> out) const;

  // Fetched once: every derivation reuses it (EVP_KDF is reference counted and thread safe).
  std::unique_ptr<EVP_KDF, KdfFree> hkdf_;
  // HKDF-Extract of the master secret, done once; each period then costs one HKDF-Expand. The
  // master secret itself is not kept here.
  SecretBytes pseudo_random_key_;
  std::array<unsigned char, kTagSize> tag_{};
};

}  // namespace modssl::session
