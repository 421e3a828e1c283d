#include "session/ticket_key_file.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "session/secret_bytes.h"

namespace modssl::session {

namespace {

constexpr std::size_t kFileSecretSize = 16;

struct FileCloser {
  void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};

}  // namespace

config::Result<TicketKey> parse_ticket_key_file(std::span<const unsigned char> bytes,
                                                std::string_view source) {
  if (bytes.size() < kTicketKeyFileSize) {
    return config::fail("SSLSessionTicketKeyFile: '" + std::string(source) + "' holds " +
                        std::to_string(bytes.size()) + " bytes, expected at least " +
                        std::to_string(kTicketKeyFileSize) +
                        " (16 bytes key name, 16 bytes HMAC secret, 16 bytes AES key); create one "
                        "with: openssl rand 48 > file");
  }
  TicketKey key;
  auto at = bytes.begin();
  std::copy_n(at, kTicketKeyNameSize, key.name.begin());
  at += kTicketKeyNameSize;
  std::copy_n(at, kFileSecretSize, key.hmac_key.begin());
  key.hmac_key_size = kFileSecretSize;
  at += kFileSecretSize;
  std::copy_n(at, kFileSecretSize, key.cipher_key.begin());
  key.cipher_key_size = kFileSecretSize;
  return key;
}

config::Result<TicketKey> read_ticket_key_file(const std::string& path) {
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    return config::fail("SSLSessionTicketKeyFile: cannot open '" + path +
                        "': " + std::strerror(errno));
  }
  // Only the first 48 bytes count, as in stock mod_ssl: a key file that ends in a newline, or
  // was made with `openssl rand 80`, keeps working.
  SecretBytes buffer(kTicketKeyFileSize);
  const std::size_t got = std::fread(buffer.data(), 1, buffer.size(), file.get());
  if (std::ferror(file.get())) {
    return config::fail("SSLSessionTicketKeyFile: cannot read '" + path +
                        "': " + std::strerror(errno));
  }
  return parse_ticket_key_file(buffer.view().first(got), path);
}

}  // namespace modssl::session
