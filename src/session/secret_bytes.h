#pragma once
// Bytes that are key material: wiped with OPENSSL_cleanse when dropped, so a key that is no longer
// needed does not linger in freed heap memory (core dumps, later allocations of the same block).
#include <cstddef>
#include <span>
#include <utility>
#include <vector>

#include <openssl/crypto.h>

namespace modssl::session {

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::span<const unsigned char> bytes) : bytes_(bytes.begin(), bytes.end()) {}
  explicit SecretBytes(std::size_t size) : bytes_(size) {}
  SecretBytes(const SecretBytes&) = default;
  SecretBytes& operator=(const SecretBytes& other) {
    if (this != &other) {
      wipe();
      bytes_ = other.bytes_;
    }
    return *this;
  }
  // A moved-from vector hands its buffer over, so nothing is left behind to wipe.
  SecretBytes(SecretBytes&& other) noexcept : bytes_(std::move(other.bytes_)) {
    other.bytes_.clear();
  }
  SecretBytes& operator=(SecretBytes&& other) noexcept {
    if (this != &other) {
      wipe();
      bytes_ = std::move(other.bytes_);
      other.bytes_.clear();
    }
    return *this;
  }
  ~SecretBytes() { wipe(); }

  unsigned char* data() { return bytes_.data(); }
  const unsigned char* data() const { return bytes_.data(); }
  std::size_t size() const { return bytes_.size(); }
  std::span<const unsigned char> view() const { return bytes_; }

 private:
  void wipe() {
    if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
  }
  std::vector<unsigned char> bytes_;
};

}  // namespace modssl::session
