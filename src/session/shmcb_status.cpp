#include "session/shmcb_status.h"

namespace modssl::session {

const char* describe(ShmcbStatus status) {
  switch (status) {
    case ShmcbStatus::kOk:
      return "ok";
    case ShmcbStatus::kMiss:
      return "no such session in the cache";
    case ShmcbStatus::kNotFound:
      return "no such session to remove";
    case ShmcbStatus::kBufferTooSmall:
      return "caller's buffer is smaller than the cached session";
    case ShmcbStatus::kBadId:
      return "session id is empty or longer than 64 bytes";
    case ShmcbStatus::kEntryTooLarge:
      return "session is too large for this cache (a quarter of a subcache at most); "
             "a larger SSLSessionCache size allows larger sessions";
    case ShmcbStatus::kAlreadyExpired:
      return "session expiry is not in the future";
    case ShmcbStatus::kNotAttached:
      return "session cache is not initialised";
    case ShmcbStatus::kRegionTooSmall:
      return "shared memory block is too small for a session cache";
    case ShmcbStatus::kRegionMisaligned:
      return "shared memory block is not 8-byte aligned";
    case ShmcbStatus::kNotFormatted:
      return "shared memory block does not hold a shmcb session cache";
    case ShmcbStatus::kVersionMismatch:
      return "shared memory block holds a session cache of another version";
    case ShmcbStatus::kGeometryMismatch:
      return "session cache header does not match the block's size, or is damaged";
  }
  return "unknown shmcb status";
}

}  // namespace modssl::session
