#include "session/shmcb_hash.h"

#include <cstring>

namespace modssl::session {
namespace {

// Odd constants with well-spread bits (from the golden ratio and two large primes); any such
// constants would do, they only need to avalanche.
constexpr std::uint64_t kMulA = 0x9e3779b97f4a7c15ull;
constexpr std::uint64_t kMulB = 0xc2b2ae3d27d4eb4full;
constexpr std::uint64_t kMulC = 0x165667b19e3779f9ull;

std::uint64_t finish(std::uint64_t h) {
  // Final avalanche: every input bit affects every output bit, so the low bits used to pick a
  // subcache are as good as the high ones.
  h ^= h >> 33;
  h *= kMulB;
  h ^= h >> 29;
  h *= kMulC;
  h ^= h >> 32;
  return h;
}

std::uint64_t absorb(std::uint64_t h, std::uint64_t word) {
  word *= kMulA;
  word ^= word >> 31;
  h ^= word;
  h = (h << 27) | (h >> 37);
  return h * kMulB + kMulC;
}

}  // namespace

std::uint64_t shmcb_hash(std::span<const std::uint8_t> bytes, std::uint64_t seed) {
  // The length goes in first so that inputs differing only by trailing zero bytes differ.
  std::uint64_t h = absorb(seed ^ kMulC, bytes.size());
  std::size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, bytes.data() + i, 8);  // memcpy: the bytes may be unaligned
    h = absorb(h, word);
  }
  if (i < bytes.size()) {
    std::uint64_t tail = 0;
    std::memcpy(&tail, bytes.data() + i, bytes.size() - i);
    h = absorb(h, tail);
  }
  return finish(h);
}

std::uint64_t shmcb_mix(std::uint64_t a, std::uint64_t b) {
  return finish(absorb(absorb(kMulA, a), b));
}

}  // namespace modssl::session
