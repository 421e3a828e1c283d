#pragma once
// Session ids for cache tests: `len` bytes derived from n, unique and spread like
// server-generated ids (a splitmix-style mix), the same in every process that asks.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace modssl::testing {

inline std::vector<std::uint8_t> make_session_id(std::uint32_t n, std::size_t len = 32,
                                                 std::uint64_t seed = 777) {
  std::vector<std::uint8_t> id(len);
  std::uint64_t x = n * 0x9e3779b97f4a7c15ull + seed;
  for (auto& b : id) {
    x ^= x >> 29;
    x *= 0xbf58476d1ce4e5b9ull;
    b = static_cast<std::uint8_t>(x >> 56);
  }
  return id;
}

}  // namespace modssl::testing
