#include "session/ticket_key_callback.h"

#include <algorithm>
#include <span>

#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/rand.h>

namespace modssl::session {

namespace {

// CBC as RFC 5077's recommended ticket format and stock mod_ssl use it; the cipher follows the
// key's size so the 48-byte file form (16-byte AES key) keeps stock mod_ssl's AES-128.
const EVP_CIPHER* cipher_for(const TicketKey& key) {
  return key.cipher_key_size == 16 ? EVP_aes_128_cbc() : EVP_aes_256_cbc();
}

bool set_mac_key(EVP_MAC_CTX* mac_ctx, const TicketKey& key) {
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(
          OSSL_MAC_PARAM_KEY, const_cast<unsigned char*>(key.hmac_key.data()), key.hmac_key_size),
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end(),
  };
  return EVP_MAC_CTX_set_params(mac_ctx, params) == 1;
}

int set_up_encryption(const TicketKeyRing& ring, std::int64_t now, unsigned char key_name[16],
                      unsigned char* iv, EVP_CIPHER_CTX* cipher_ctx, EVP_MAC_CTX* mac_ctx) {
  const auto key = ring.encrypt_key(now);
  if (!key) return kTicketCallbackNoKey;
  const EVP_CIPHER* cipher = cipher_for(*key);
  // A fresh random IV per ticket, as CBC requires; OpenSSL sends it next to the key name.
  if (RAND_bytes(iv, EVP_CIPHER_get_iv_length(cipher)) != 1) return kTicketCallbackNoKey;
  if (EVP_EncryptInit_ex(cipher_ctx, cipher, nullptr, key->cipher_key.data(), iv) != 1 ||
      !set_mac_key(mac_ctx, *key)) {
    return kTicketCallbackNoKey;
  }
  std::copy(key->name.begin(), key->name.end(), key_name);
  return kTicketCallbackOk;
}

int set_up_decryption(const TicketKeyRing& ring, std::int64_t now, const unsigned char* key_name,
                      const unsigned char* iv, EVP_CIPHER_CTX* cipher_ctx, EVP_MAC_CTX* mac_ctx) {
  const auto found = ring.decrypt_key(
      std::span<const unsigned char, kTicketKeyNameSize>(key_name, kTicketKeyNameSize), now);
  if (!found) return kTicketCallbackNoKey;
  if (!set_mac_key(mac_ctx, found->key) ||
      EVP_DecryptInit_ex(cipher_ctx, cipher_for(found->key), nullptr, found->key.cipher_key.data(),
                         iv) != 1) {
    return kTicketCallbackNoKey;
  }
  return found->renew ? kTicketCallbackRenew : kTicketCallbackOk;
}

}  // namespace

int handle_ticket_key_request(const TicketKeyRing& ring, std::int64_t now,
                              unsigned char key_name[16], unsigned char* iv,
                              EVP_CIPHER_CTX* cipher_ctx, EVP_MAC_CTX* mac_ctx, int enc) {
  if (enc) return set_up_encryption(ring, now, key_name, iv, cipher_ctx, mac_ctx);
  return set_up_decryption(ring, now, key_name, iv, cipher_ctx, mac_ctx);
}

}  // namespace modssl::session
