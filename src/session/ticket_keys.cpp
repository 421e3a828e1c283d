#include "session/ticket_keys.h"

#include <string>

#include <openssl/crypto.h>

namespace modssl::session {

namespace {

// Floor division: correct for times before the epoch too (a clock set far back must not make
// two different seconds share a period number in the wrong direction).
std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

}  // namespace

config::Result<TicketKeyRing> TicketKeyRing::rotating(std::span<const unsigned char> master_secret,
                                                      std::chrono::seconds interval,
                                                      std::chrono::seconds lifetime) {
  if (interval.count() <= 0) {
    return config::fail("SSLSessionTicketKeyRotation: the interval must be positive, got " +
                        std::to_string(interval.count()) + " seconds");
  }
  if (lifetime.count() < 0) {
    return config::fail("session tickets: the ticket lifetime must not be negative, got " +
                        std::to_string(lifetime.count()) + " seconds");
  }
  auto derivation = TicketKeyDerivation::create(master_secret);
  if (!derivation) return config::fail(derivation.error());
  const std::int64_t i = interval.count();
  return TicketKeyRing(Rotating{std::move(derivation).value(), i, (lifetime.count() + i - 1) / i});
}

TicketKeyRing TicketKeyRing::fixed(const TicketKey& key, std::int64_t loaded_at) {
  return TicketKeyRing(Fixed{key, loaded_at});
}

std::int64_t TicketKeyRing::period_at(std::int64_t now) const {
  if (const auto* r = std::get_if<Rotating>(&form_)) return floor_div(now, r->interval_s);
  return 0;
}

std::optional<TicketKey> TicketKeyRing::encrypt_key(std::int64_t now) const {
  if (const auto* f = std::get_if<Fixed>(&form_)) return f->key;
  const auto& r = std::get<Rotating>(form_);
  return r.derivation.derive(period_at(now));
}

std::optional<TicketDecryptKey> TicketKeyRing::decrypt_key(
    std::span<const unsigned char, kTicketKeyNameSize> name, std::int64_t now) const {
  if (const auto* f = std::get_if<Fixed>(&form_)) {
    if (CRYPTO_memcmp(name.data(), f->key.name.data(), kTicketKeyNameSize) != 0) {
      return std::nullopt;
    }
    return TicketDecryptKey{f->key, false};
  }
  const auto& r = std::get<Rotating>(form_);
  const auto made_in = r.derivation.period_of(name);
  if (!made_in) return std::nullopt;
  const std::int64_t current = period_at(now);
  // A period from the future cannot come from us (all processes share one clock); a period older
  // than the lifetime allows is expired. The name is the client's: the comparison is written so
  // that no value in it can overflow (the subtraction involves only our own clock).
  if (*made_in > current || *made_in < current - r.accepted_old_periods) return std::nullopt;
  auto key = r.derivation.derive(*made_in);
  if (!key) return std::nullopt;
  return TicketDecryptKey{std::move(*key), *made_in < current};
}

TicketKeyStatus TicketKeyRing::status(std::int64_t now) const {
  TicketKeyStatus s;
  if (const auto* f = std::get_if<Fixed>(&form_)) {
    s.current_key_age_s = now - f->loaded_at;
    return s;
  }
  const auto& r = std::get<Rotating>(form_);
  const std::int64_t start = period_at(now) * r.interval_s;
  s.rotating = true;
  s.current_key_age_s = now - start;
  s.next_rotation_in_s = start + r.interval_s - now;
  s.decrypting_keys = r.accepted_old_periods + 1;
  return s;
}

}  // namespace modssl::session
