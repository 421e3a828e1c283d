#include "session/ticket_key_derivation.h"

#include <algorithm>
#include <string>
#include <string_view>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>
#include <openssl/rand.h>

namespace modssl::session {

namespace {

// Labels separate this use of the secret from any other and version the scheme: changing the
// derivation later means changing a label, so old and new names never collide.
constexpr std::string_view kSalt = "modssl session ticket keys v1";
constexpr std::string_view kTagLabel = "modssl ticket key name tag";
constexpr std::string_view kPeriodLabel = "modssl ticket key period ";
constexpr std::size_t kPrkSize = 32;  // HKDF-Extract output = SHA-256 size

struct KdfCtxFree {
  void operator()(EVP_KDF_CTX* ctx) const noexcept { EVP_KDF_CTX_free(ctx); }
};
using KdfCtxPtr = std::unique_ptr<EVP_KDF_CTX, KdfCtxFree>;

bool run_hkdf(EVP_KDF* hkdf, int mode, std::span<const unsigned char> key,
              std::span<const unsigned char> salt, std::span<const unsigned char> info,
              std::span<unsigned char> out) {
  KdfCtxPtr ctx(EVP_KDF_CTX_new(hkdf));
  if (!ctx) return false;
  char digest[] = "SHA256";
  OSSL_PARAM params[6];
  OSSL_PARAM* p = params;
  *p++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
  *p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
  *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                           const_cast<unsigned char*>(key.data()), key.size());
  if (!salt.empty()) {
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
                                             const_cast<unsigned char*>(salt.data()), salt.size());
  }
  if (!info.empty()) {
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
                                             const_cast<unsigned char*>(info.data()), info.size());
  }
  *p = OSSL_PARAM_construct_end();
  return EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) == 1;
}

std::span<const unsigned char> bytes_of(std::string_view text) {
  return {reinterpret_cast<const unsigned char*>(text.data()), text.size()};
}

void put_big_endian(std::int64_t value, unsigned char* out) {
  const auto u = static_cast<std::uint64_t>(value);
  for (int i = 0; i < 8; ++i) out[i] = static_cast<unsigned char>(u >> (56 - 8 * i));
}

std::int64_t get_big_endian(const unsigned char* in) {
  std::uint64_t u = 0;
  for (int i = 0; i < 8; ++i) u = (u << 8) | in[i];
  return static_cast<std::int64_t>(u);
}

}  // namespace

config::Result<SecretBytes> generate_ticket_master_secret() {
  SecretBytes secret(kTicketMasterSecretSize);
  if (RAND_priv_bytes(secret.data(), static_cast<int>(secret.size())) != 1) {
    return config::fail(
        "session tickets: the random generator failed to make a master secret (RAND_priv_bytes)");
  }
  return secret;
}

config::Result<TicketKeyDerivation> TicketKeyDerivation::create(
    std::span<const unsigned char> master_secret) {
  if (master_secret.size() < kTicketMasterSecretSize) {
    return config::fail("session tickets: the master secret has " +
                        std::to_string(master_secret.size()) + " bytes, at least " +
                        std::to_string(kTicketMasterSecretSize) + " are needed");
  }
  TicketKeyDerivation d;
  d.hkdf_.reset(EVP_KDF_fetch(nullptr, OSSL_KDF_NAME_HKDF, nullptr));
  if (!d.hkdf_) return config::fail("session tickets: OpenSSL has no HKDF (EVP_KDF_fetch failed)");
  d.pseudo_random_key_ = SecretBytes(kPrkSize);
  if (!run_hkdf(d.hkdf_.get(), EVP_KDF_HKDF_MODE_EXTRACT_ONLY, master_secret, bytes_of(kSalt), {},
                {d.pseudo_random_key_.data(), d.pseudo_random_key_.size()}) ||
      !d.expand(bytes_of(kTagLabel), d.tag_)) {
    return config::fail("session tickets: HKDF-SHA256 failed to derive the ticket keys");
  }
  return d;
}

bool TicketKeyDerivation::expand(std::span<const unsigned char> info,
                                 std::span<unsigned char> out) const {
  return run_hkdf(hkdf_.get(), EVP_KDF_HKDF_MODE_EXPAND_ONLY, pseudo_random_key_.view(), {}, info,
                  out);
}

std::optional<TicketKey> TicketKeyDerivation::derive(std::int64_t period) const {
  std::array<unsigned char, kPeriodLabel.size() + 8> info{};
  std::copy(kPeriodLabel.begin(), kPeriodLabel.end(), info.begin());
  put_big_endian(period, info.data() + kPeriodLabel.size());

  // One expansion yields both secrets: HKDF output blocks are independent of each other.
  std::array<unsigned char, 2 * kTicketMaxSecretSize> material{};
  const bool ok = expand(info, material);
  TicketKey key;
  if (ok) {
    std::copy_n(tag_.begin(), kTagSize, key.name.begin());
    put_big_endian(period, key.name.data() + kTagSize);
    std::copy_n(material.begin(), kTicketMaxSecretSize, key.hmac_key.begin());
    key.hmac_key_size = kTicketMaxSecretSize;
    std::copy_n(material.begin() + kTicketMaxSecretSize, kTicketMaxSecretSize,
                key.cipher_key.begin());
    key.cipher_key_size = kTicketMaxSecretSize;
  }
  OPENSSL_cleanse(material.data(), material.size());
  if (!ok) return std::nullopt;
  return key;
}

std::optional<std::int64_t> TicketKeyDerivation::period_of(
    std::span<const unsigned char, kTicketKeyNameSize> name) const {
  // The tag is not secret, but comparing in constant time costs nothing and removes the question.
  if (CRYPTO_memcmp(name.data(), tag_.data(), kTagSize) != 0) return std::nullopt;
  return get_big_endian(name.data() + kTagSize);
}

}  // namespace modssl::session
