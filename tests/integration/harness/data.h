#pragma once
// Test payloads and their digests: large bodies are made at run time, never committed.
#include <cstdint>
#include <string>
#include <string_view>

namespace modssl::it {

// Lower-case hex, as sha256sum and OpenSSL's key log print bytes.
std::string hex(const unsigned char* bytes, std::size_t n);

// Lower-case hex SHA-256, as sha256sum prints it.
std::string sha256_hex(std::string_view data);

// `n` incompressible bytes (splitmix64), different for each seed; fast enough for 50 MiB.
std::string random_bytes(std::size_t n, std::uint64_t seed);

}  // namespace modssl::it
