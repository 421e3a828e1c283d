#pragma once
// The one hash the shmcb cache uses, for three jobs: picking a subcache from an id, screening
// index entries before comparing id bytes, and checksumming an entry so that bytes overwritten in
// shared memory are noticed instead of returned. Not cryptographic: the ids it spreads are random
// (server-generated session ids), and a client that sends chosen ids can only pick which one
// bounded subcache its lookup reads.
#include <cstddef>
#include <cstdint>
#include <span>

namespace modssl::session {

// 64-bit hash of `bytes`, seeded; reads eight bytes at a time (session data is up to a few KiB).
std::uint64_t shmcb_hash(std::span<const std::uint8_t> bytes, std::uint64_t seed);

// Combines two 64-bit values into one (order matters).
std::uint64_t shmcb_mix(std::uint64_t a, std::uint64_t b);

}  // namespace modssl::session
