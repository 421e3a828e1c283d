#pragma once
// Parsers for the session-cache directives: SSLSessionCache, SSLSessionCacheTimeout,
// SSLSessionTicketKeyRotation (ours) and the legacy SSLMutex. Same contract as directives.h:
// the words as httpd split them in, a value or an administrator-facing error out; no I/O, no
// httpd calls. Paths are returned as written: making them ServerRoot- or DefaultRuntimeDir-
// relative is the caller's job.
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "config/result.h"

namespace modssl::config {

// What mod_socache_shmcb allocates when no "(bytes)" is given: 512 KiB. (The manual's examples
// write "(512000)", but that is an example, not the provider's default.)
inline constexpr std::size_t kShmcbDefaultBytes = 512 * 1024;
// mod_socache_shmcb refuses anything smaller ("size has to be >= 8192 bytes").
inline constexpr std::size_t kShmcbMinBytes = 8192;
// Exclusive upper bound: the provider keeps sizes in an unsigned int and refuses sizes from
// UINT_MAX up, so the largest accepted size is 4 GiB - 2.
inline constexpr std::size_t kShmcbMaxBytesExclusive = 0xFFFFFFFFu;

// SSLSessionCache none | nonenotnull | shmcb[:path[(bytes)]] | shm[:path[(bytes)]] |
//                 dbm[:path] | provider[:args]
struct SessionCacheSpec {
  enum class Kind {
    None,         // "none": no inter-process cache
    NoneNotNull,  // "nonenotnull": no cache, but OpenSSL still sends a non-empty session id
    Shmcb,        // "shmcb:" or its legacy alias "shm:"
    Dbm,          // "dbm:"
    Provider,     // any other ap_socache provider ("memcache:", "redis:", "dc:", ...)
  };
  Kind kind = Kind::None;
  // The socache provider to look up: "shmcb", "dbm", or the name as written; empty for None
  // and NoneNotNull.
  std::string provider;
  // Shmcb/Dbm: the data file as written, without the "(bytes)" suffix. Empty means the
  // provider's default file (a bare "shmcb" or "dbm": httpd hands the provider no argument and
  // it picks a file of its own under DefaultRuntimeDir). Provider: everything after the first
  // ':' (e.g. "host1:11211,host2:11211"), empty for a bare name.
  std::string path_or_args;
  // Shmcb only: the shared memory size in bytes.
  std::size_t bytes = kShmcbDefaultBytes;
};
Result<SessionCacheSpec> parse_session_cache(std::string_view arg);

// SSLSessionCacheTimeout seconds: a whole number, 0 or more (default 300, mod_ssl's).
inline constexpr std::chrono::seconds kDefaultSessionCacheTimeout{300};
Result<std::chrono::seconds> parse_session_cache_timeout(std::string_view arg);

// SSLSessionTicketKeyRotation duration (ours, not in stock mod_ssl): how long one ticket key
// is used for new tickets. Plain seconds or a number with one suffix s, m, h, d ("90m",
// "12h"); more than zero and at most 30 days.
inline constexpr std::chrono::seconds kDefaultTicketKeyRotation{12 * 3600};
inline constexpr std::chrono::seconds kMaxTicketKeyRotation{30 * 24 * 3600};
Result<std::chrono::seconds> parse_ticket_key_rotation(std::string_view arg);

// SSLMutex type (mod_ssl 2.2; 2.4 replaced it by "Mutex mechanism ssl-cache"). We accept the old
// spelling, translate it, and the caller logs a deprecation warning quoting `modern`.
struct LegacyMutex {
  enum class Mechanism {
    None,     // "none" or "no"
    Default,  // "default" or "yes": APR's default for the platform
    File,     // "file": APR picks fcntl or flock
    Fcntl,
    Flock,
    Sem,  // "sem": APR picks posixsem or sysvsem
    PosixSem,
    SysvSem,
    Pthread,
  };
  Mechanism mechanism = Mechanism::Default;
  // File, Fcntl, Flock: the lock file as written after the ':'; empty if none was given.
  std::string path;
  // The equivalent modern line, e.g. "Mutex fcntl:/var/run/apache2 ssl-cache".
  std::string modern;
};
Result<LegacyMutex> parse_legacy_mutex(std::string_view arg);

}  // namespace modssl::config
