#include "config/random_seed_directives.h"

#include <charconv>

#include "config/parse_text.h"

namespace modssl::config {
namespace {

constexpr std::string_view kDirective = "SSLRandomSeed";
constexpr std::string_view kSources =
    "builtin, file:/path [bytes], exec:/path [bytes], egd:/path [bytes]";

bool starts_with_prefix(std::string_view word, std::string_view prefix) {
  return word.size() >= prefix.size() && iequals(word.substr(0, prefix.size()), prefix);
}

Result<long> parse_bytes(std::string_view word, RandomSeedSpec::Source source) {
  long n = 0;
  auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), n);
  const long max = source == RandomSeedSpec::Source::Egd ? kEgdBytes : kMaxSeedBytes;
  if (ec != std::errc() || end != word.data() + word.size() || n < 1 || n > max) {
    return fail(std::string(kDirective) + ": invalid number of bytes " + quoted(word) +
                "; allowed: a whole number from 1 to " + std::to_string(max) +
                (source == RandomSeedSpec::Source::Egd ? " (an EGD request is at most 255 bytes)"
                                                       : ""));
  }
  return n;
}

}  // namespace

Result<RandomSeedSpec> parse_random_seed(const std::vector<std::string_view>& words) {
  if (words.size() < 2 || words.size() > 3) {
    return fail(std::string(kDirective) +
                ": takes 2 or 3 arguments: startup|connect, then a source (" +
                std::string(kSources) + ")");
  }
  RandomSeedSpec spec;
  if (iequals(words[0], "startup")) {
    spec.when = RandomSeedSpec::When::Startup;
  } else if (iequals(words[0], "connect")) {
    spec.when = RandomSeedSpec::When::Connect;
  } else {
    return fail(std::string(kDirective) + ": invalid context " + quoted(words[0]) +
                "; allowed: startup, connect");
  }

  const std::string_view src = words[1];
  std::string_view path;
  if (iequals(src, "builtin")) {
    spec.source = RandomSeedSpec::Source::Builtin;
  } else if (starts_with_prefix(src, "file:")) {
    spec.source = RandomSeedSpec::Source::File;
    path = src.substr(5);
  } else if (starts_with_prefix(src, "exec:")) {
    spec.source = RandomSeedSpec::Source::Exec;
    path = src.substr(5);
  } else if (starts_with_prefix(src, "egd:")) {
    spec.source = RandomSeedSpec::Source::Egd;
    path = src.substr(4);
  } else {
    // Stock mod_ssl reads any other word as a file name.
    spec.source = RandomSeedSpec::Source::File;
    path = src;
  }
  if (spec.source != RandomSeedSpec::Source::Builtin) {
    if (path.empty()) {
      return fail(std::string(kDirective) + ": " + quoted(src) +
                  " names no path; allowed: " + std::string(kSources));
    }
    spec.path = std::string(path);
  }

  if (words.size() == 3) {
    if (spec.source == RandomSeedSpec::Source::Builtin) {
      return fail(std::string(kDirective) + ": a byte count (" + quoted(words[2]) +
                  ") is not allowed with builtin; allowed: " + std::string(kSources));
    }
    auto n = parse_bytes(words[2], spec.source);
    if (!n) return fail(n.error());
    spec.bytes = *n;
  }
  return spec;
}

std::string describe(const RandomSeedSpec& spec) {
  std::string out = spec.when == RandomSeedSpec::When::Startup ? "startup " : "connect ";
  switch (spec.source) {
    case RandomSeedSpec::Source::Builtin: return out + "builtin";
    case RandomSeedSpec::Source::File: out += "file:"; break;
    case RandomSeedSpec::Source::Exec: out += "exec:"; break;
    case RandomSeedSpec::Source::Egd: out += "egd:"; break;
  }
  out += spec.path;
  if (spec.bytes > 0) out += " " + std::to_string(spec.bytes);
  return out;
}

Result<std::string> parse_crypto_device(std::string_view arg) {
  if (arg.empty()) {
    return fail("SSLCryptoDevice: needs a name; allowed: builtin, or the id of an OpenSSL "
                "engine");
  }
  if (iequals(arg, "builtin")) return std::string();
  return std::string(arg);
}

}  // namespace modssl::config
