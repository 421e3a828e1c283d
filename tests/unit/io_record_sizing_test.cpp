// The output record sizing policy: small records at the start of a connection's output and
// after a pause, full-size records once data flows.
#include "io/record_sizing.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <limits>

namespace modssl::io {
namespace {

using namespace std::chrono_literals;
using Clock = RecordSizer::Clock;

// A fixed, arbitrary point well after the clock's epoch, as on a machine that has been up a
// while.
const Clock::time_point kT0 = Clock::time_point{} + 3600s;

TEST(RecordSizingPolicy, SmallRecordFitsOneSegmentWithAnyAeadSuite) {
  // TLS 1.2 AES-GCM adds the most: 5 header + 8 explicit nonce + 16 tag.
  EXPECT_LE(kSmallRecord + 29, 1400u);
  EXPECT_EQ(kFullRecord, 16384u);
}

TEST(RecordSizingPolicy, SmallUntilTheThresholdThenFull) {
  EXPECT_EQ(max_record_size(0, 0ms), kSmallRecord);
  EXPECT_EQ(max_record_size(kSmallRecordBytes - 1, 0ms), kSmallRecord);
  EXPECT_EQ(max_record_size(kSmallRecordBytes, 0ms), kFullRecord);
  EXPECT_EQ(max_record_size(std::numeric_limits<std::uint64_t>::max(), 0ms), kFullRecord);
}

TEST(RecordSizingPolicy, PauseOfTheIdleTimeOrMoreStartsSmallAgain) {
  EXPECT_EQ(max_record_size(10u << 20, kIdleRestart - 1ms), kFullRecord);
  EXPECT_EQ(max_record_size(10u << 20, kIdleRestart), kSmallRecord);
  EXPECT_EQ(max_record_size(10u << 20, 1h), kSmallRecord);
}

TEST(RecordSizer, NewConnectionStartsSmall) {
  RecordSizer s;
  EXPECT_EQ(s.max_record(kT0), kSmallRecord);
  // Even when the clock has barely left its epoch (a machine just booted).
  EXPECT_EQ(s.max_record(Clock::time_point{} + 1ms), kSmallRecord);
}

TEST(RecordSizer, SwitchesToFullRecordsAfterTheThreshold) {
  RecordSizer s;
  Clock::time_point now = kT0;
  std::size_t sent = 0;
  while (s.max_record(now) == kSmallRecord) {
    ASSERT_LT(sent, kSmallRecordBytes) << "still small after the threshold";
    s.sent(kSmallRecord, now);
    sent += kSmallRecord;
    now += 1ms;
  }
  EXPECT_GE(sent, kSmallRecordBytes);
  EXPECT_LT(sent, kSmallRecordBytes + kSmallRecord);
  // Stays full while data keeps flowing, however much of it.
  for (int i = 0; i < 100000; ++i) {
    s.sent(kFullRecord, now);
    now += 100us;
    ASSERT_EQ(s.max_record(now), kFullRecord);
  }
}

TEST(RecordSizer, OnePauseStartsOverTheSmallRecords) {
  RecordSizer s;
  s.sent(1 << 20, kT0);
  ASSERT_EQ(s.max_record(kT0 + 10ms), kFullRecord);
  // A pause just short of the idle time keeps full records.
  s.sent(100, kT0 + 10ms);
  EXPECT_EQ(s.max_record(kT0 + 10ms + kIdleRestart - 1ms), kFullRecord);
  // A full pause: small again, and the count starts over from the first write after it.
  const Clock::time_point later = kT0 + 10ms + kIdleRestart;
  EXPECT_EQ(s.max_record(later), kSmallRecord);
  s.sent(kSmallRecord, later);
  EXPECT_EQ(s.max_record(later + 1ms), kSmallRecord);
  s.sent(kSmallRecordBytes - kSmallRecord - 1, later + 1ms);
  EXPECT_EQ(s.max_record(later + 2ms), kSmallRecord);
  s.sent(1, later + 2ms);
  EXPECT_EQ(s.max_record(later + 3ms), kFullRecord);
}

TEST(RecordSizer, TimeBlockedHandingOutputOnIsNotAPause) {
  RecordSizer s;
  s.sent(1 << 20, kT0);
  // The filters below blocked for 5 s on a client that reads slowly, then returned.
  s.handed_on(kT0 + 5s);
  EXPECT_EQ(s.max_record(kT0 + 5s + 1ms), kFullRecord);
  s.sent(kFullRecord, kT0 + 5s + 1ms);
  EXPECT_EQ(s.max_record(kT0 + 5s + 2ms), kFullRecord);
  // But a pause after that is one.
  EXPECT_EQ(s.max_record(kT0 + 5s + 1ms + kIdleRestart), kSmallRecord);
}

TEST(RecordSizer, SteadyTrickleOfSmallWritesKeepsItsCount) {
  // A stream of small messages less than the idle time apart (server-sent events, say) reaches
  // full-size records once enough has gone out; each message is smaller than a record anyway.
  RecordSizer s;
  Clock::time_point now = kT0;
  for (std::size_t sent = 0; sent < kSmallRecordBytes; sent += 200) {
    s.sent(200, now);
    now += 900ms;
  }
  EXPECT_EQ(s.max_record(now), kFullRecord);
}

TEST(RecordSizer, StateIsTiny) {
  // Lives in every connection's TlsConnection.
  EXPECT_LE(sizeof(RecordSizer), 16u);
}

}  // namespace
}  // namespace modssl::io
