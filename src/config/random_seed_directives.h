#pragma once
// SSLRandomSeed startup|connect builtin|file:/path [bytes]|exec:/path [bytes]|egd:/path and
// SSLCryptoDevice: the parsers. Same contract as directives.h: the words as httpd split them in,
// a value or an administrator-facing error out; no I/O, no httpd calls. Paths come back as
// written: making them ServerRoot-relative and checking that they exist is the caller's job.
#include <string>
#include <string_view>
#include <vector>

#include "config/result.h"

namespace modssl::config {

struct RandomSeedSpec {
  enum class When { Startup, Connect };
  enum class Source { Builtin, File, Exec, Egd };
  When when = When::Startup;
  Source source = Source::Builtin;
  std::string path;
  long bytes = 0;  // 0: the source's default (see below)
};

// Without a byte count: a regular file is read whole (as stock); a device or other non-regular
// file (stock would read /dev/urandom forever) gives this many bytes; an exec: program is asked
// for this many (its argument) and read up to this many.
inline constexpr long kDefaultSeedBytes = 512;
// Largest byte count accepted: more is no use to a DRBG and would make every connect slow.
inline constexpr long kMaxSeedBytes = 1024 * 1024;
// EGD hands out at most 255 bytes per request.
inline constexpr long kEgdBytes = 255;

// `words`: everything after the directive name (2 or 3 words). A source word without one of the
// prefixes file:, exec:, egd: and other than "builtin" is, as in stock mod_ssl, a file path
// (Source::File); the caller reports it as an unknown source when no such file exists.
Result<RandomSeedSpec> parse_random_seed(const std::vector<std::string_view>& words);

// "startup file:/dev/urandom 512" etc., for log lines.
std::string describe(const RandomSeedSpec& spec);

// SSLCryptoDevice name: "builtin" (any case) means none; returns "" for it, else the name.
Result<std::string> parse_crypto_device(std::string_view arg);

}  // namespace modssl::config
