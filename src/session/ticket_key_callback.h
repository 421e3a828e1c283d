#pragma once
// The body of OpenSSL 3.0's session-ticket key callback (SSL_CTX_set_tlsext_ticket_key_evp_cb).
// The module registers a thin function that finds the ring for its SSL_CTX, reads the clock and
// calls this; keeping the body here lets it be tested with a fake clock and no httpd.
#include <cstdint>

#include <openssl/evp.h>

#include "session/ticket_keys.h"

namespace modssl::session {

// OpenSSL's meaning of the return value (this code never returns the error value, see below):
inline constexpr int kTicketCallbackError = -1;  // abort the handshake
inline constexpr int kTicketCallbackNoKey = 0;   // decrypt: unknown key, full handshake;
                                                 // encrypt: send no ticket
inline constexpr int kTicketCallbackOk = 1;      // ticket keys set up
inline constexpr int kTicketCallbackRenew = 2;   // decrypt only: valid, but issue a new ticket

// `enc` != 0: choose the current key, write its name to `key_name` and a fresh IV to `iv`, and
// set up `cipher_ctx` for encryption and `mac_ctx` for HMAC-SHA256.
// `enc` == 0: look `key_name` up and set up both contexts for decryption with the given `iv`.
// A ticket problem never aborts the handshake: a full handshake (or no ticket) is always a
// correct answer, so failures return kTicketCallbackNoKey.
int handle_ticket_key_request(const TicketKeyRing& ring, std::int64_t now,
                              unsigned char key_name[16], unsigned char* iv,
                              EVP_CIPHER_CTX* cipher_ctx, EVP_MAC_CTX* mac_ctx, int enc);

}  // namespace modssl::session
