#pragma once
// Dynamic TLS record sizing for the output filter. A record can only be decrypted once all of it
// has arrived, so a full 16 KiB record (a dozen TCP segments) at the start of a response holds
// the client's first bytes back until the last segment lands — a round trip later if TCP's
// congestion window is still small. Small records while the window is small, full records once
// data flows: the first bytes are usable at once and bulk data pays the per-record cost rarely.
//
// Header-only and free of httpd and OpenSSL: the policy is unit-tested on its own.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace modssl::io {

// The largest plaintext a TLS record may carry.
inline constexpr std::size_t kFullRecord = 16 * 1024;

// Small records keep record plus TCP/IP headers inside one 1,500-byte Ethernet frame on the
// common paths: IPv6 with TCP timestamps leaves 1,428 bytes of payload per segment (PPPoE 1,420);
// 1,360 bytes of plaintext become at most 1,389 bytes on the wire with any AEAD suite (TLS 1.2
// AES-GCM adds 29, TLS 1.3 22, ChaCha20-Poly1305 21).
inline constexpr std::size_t kSmallRecord = 1360;

// Bytes sent in small records before switching to full ones. TCP starts with ten segments
// (~14 KiB) and doubles per round trip; 64 KiB covers the first two flights with room to spare.
// Later a full record is a small part of a flight, so it rarely waits for the next one.
inline constexpr std::uint32_t kSmallRecordBytes = 64 * 1024;

// A pause this long starts small records again: Linux lets the congestion window fall back to
// its initial size after an idle retransmission timeout (net.ipv4.tcp_slow_start_after_idle),
// and 1 s is the initial RTO (RFC 6298), above the RTO of any ordinary path.
inline constexpr std::chrono::milliseconds kIdleRestart{1000};

// The policy itself: the largest plaintext for the next record, given the bytes sent since
// output (re)started and the time since the last record was written.
constexpr std::size_t max_record_size(std::uint64_t bytes_since_start,
                                      std::chrono::steady_clock::duration since_last_output) {
  if (since_last_output >= kIdleRestart) return kSmallRecord;
  return bytes_since_start < kSmallRecordBytes ? kSmallRecord : kFullRecord;
}

// The policy's state for one connection: 16 bytes in TlsConnection, no buffers.
class RecordSizer {
 public:
  using Clock = std::chrono::steady_clock;

  // The largest plaintext for a record written at `now`.
  std::size_t max_record(Clock::time_point now) const {
    return max_record_size(bytes_, now - last_output_);
  }

  // Counts `bytes` of plaintext written at `now`; after a pause the count starts again.
  void sent(std::size_t bytes, Clock::time_point now) {
    if (now - last_output_ >= kIdleRestart) bytes_ = 0;
    // Saturates: only "below the threshold or not" matters.
    bytes_ = static_cast<std::uint32_t>(
        std::min<std::uint64_t>(std::uint64_t{bytes_} + bytes, kSmallRecordBytes));
    last_output_ = now;
  }

  // Output was handed to the filters below, which may have blocked on a client that reads
  // slowly: the socket had data queued all along, so that time is not a pause.
  void handed_on(Clock::time_point now) { last_output_ = now; }

 private:
  // The clock's epoch (boot time) for a new connection: its output starts small either way,
  // since bytes_ is 0.
  Clock::time_point last_output_{};
  std::uint32_t bytes_ = 0;
};

}  // namespace modssl::io
