#include "config/session_directives.h"

#include <cctype>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "config/parse_text.h"

namespace modssl::config {
namespace {

// Digits only (no sign, no blanks), at most `max`; nullopt on anything else, overflow included.
std::optional<std::uint64_t> parse_unsigned(std::string_view s, std::uint64_t max) {
  if (s.empty()) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (v > (max - digit) / 10) return std::nullopt;
    v = v * 10 + digit;
  }
  return v;
}

constexpr std::string_view kSessionCacheAllowed =
    "none, nonenotnull, shmcb[:/path/to/datafile[(bytes)]], shm:... (alias of shmcb), default (shmcb), "
    "dbm[:/path/to/datafile], or provider:arguments of another socache provider (e.g. "
    "memcache:host:port[,host:port...], redis:host:port)";

bool valid_provider_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

// "path" or "path(bytes)", split the way mod_socache_shmcb does: the last '(' opens the size,
// which must then run to a ')' that ends the argument.
Status split_shmcb_size(std::string_view arg, SessionCacheSpec& out) {
  const std::string allowed_size = "a size in bytes from " + std::to_string(kShmcbMinBytes) +
                                   " (8 KiB) to " + std::to_string(kShmcbMaxBytesExclusive - 1) +
                                   " (just under 4 GiB)";
  const auto open = arg.rfind('(');
  const bool closes = !arg.empty() && arg.back() == ')';
  if (open == std::string_view::npos) {
    if (closes) {
      return fail("SSLSessionCache: " + quoted(arg) +
                  " ends with ')' but has no '('; write shmcb:/path/to/datafile(bytes)");
    }
    out.path_or_args = std::string(arg);
  } else {
    if (!closes) {
      return fail("SSLSessionCache: " + quoted(arg) +
                  " has a '(' without a closing ')' at the end; write "
                  "shmcb:/path/to/datafile(bytes)");
    }
    const std::string_view size = arg.substr(open + 1, arg.size() - open - 2);
    const auto bytes = parse_unsigned(size, std::numeric_limits<std::uint64_t>::max());
    if (!bytes) {
      return fail("SSLSessionCache: cache size " + quoted(size) + " in " + quoted(arg) +
                  " is not a whole number; allowed: " + allowed_size);
    }
    if (*bytes < kShmcbMinBytes || *bytes >= kShmcbMaxBytesExclusive) {
      return fail("SSLSessionCache: cache size " + quoted(size) + " in " + quoted(arg) +
                  " is out of range; allowed: " + allowed_size);
    }
    out.bytes = static_cast<std::size_t>(*bytes);
    out.path_or_args = std::string(arg.substr(0, open));
  }
  if (out.path_or_args.empty()) {
    return fail("SSLSessionCache: " + quoted(arg) +
                " names no data file; write shmcb:/path/to/datafile[(bytes)], or 'shmcb' alone "
                "for the provider's default file");
  }
  return ok_status();
}

// memcache and redis take a comma-separated list of servers and have no default.
Status check_server_list(std::string_view whole, std::string_view provider, std::string_view args) {
  const std::string example = std::string(provider) + ":host:port[,host:port...]";
  if (args.empty()) {
    return fail("SSLSessionCache: " + quoted(whole) + " names no server; " + std::string(provider) +
                " needs a list of servers: " + example);
  }
  std::size_t start = 0;
  while (true) {
    const auto comma = args.find(',', start);
    const auto item =
        args.substr(start, comma == std::string_view::npos ? args.npos : comma - start);
    if (item.empty()) {
      return fail("SSLSessionCache: " + quoted(whole) +
                  " has an empty entry in its server list; write " + example);
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return ok_status();
}

struct MutexName {
  std::string_view word;
  LegacyMutex::Mechanism mechanism;
  std::string_view modern;  // the word the Mutex directive uses for it
  bool takes_path;
};
// "yes"/"no" are the AcceptMutex-era spellings that ap_parse_mutex still accepts.
constexpr MutexName kMutexNames[] = {
    {"none", LegacyMutex::Mechanism::None, "none", false},
    {"no", LegacyMutex::Mechanism::None, "none", false},
    {"default", LegacyMutex::Mechanism::Default, "default", false},
    {"yes", LegacyMutex::Mechanism::Default, "default", false},
    {"file", LegacyMutex::Mechanism::File, "file", true},
    {"fcntl", LegacyMutex::Mechanism::Fcntl, "fcntl", true},
    {"flock", LegacyMutex::Mechanism::Flock, "flock", true},
    {"sem", LegacyMutex::Mechanism::Sem, "sem", false},
    {"posixsem", LegacyMutex::Mechanism::PosixSem, "posixsem", false},
    {"sysvsem", LegacyMutex::Mechanism::SysvSem, "sysvsem", false},
    {"pthread", LegacyMutex::Mechanism::Pthread, "pthread", false},
};
constexpr std::string_view kMutexAllowed =
    "none, no, default, yes, file[:/path/to/lockfile], fcntl[:/path/to/lockfile], "
    "flock[:/path/to/lockfile], sem, posixsem, sysvsem, pthread";

// SSLMutex named the lock *file* (httpd 2.2 appended the parent's PID to it); the Mutex
// directive takes the *directory* and names the file itself (after the mutex, plus the PID
// unless OmitPID). So the modern equivalent keeps the old file's directory. A relative path
// stays relative: both directives resolve it against ServerRoot.
std::string lock_directory(std::string_view file) {
  if (file.back() == '/') {  // names a directory already (callers never pass an empty path)
    while (file.size() > 1 && file.back() == '/') file.remove_suffix(1);
    return std::string(file);
  }
  const auto slash = file.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(file.substr(0, slash));
}

}  // namespace

Result<SessionCacheSpec> parse_session_cache(std::string_view arg) {
  SessionCacheSpec out;
  if (iequals(arg, "none")) return out;
  if (iequals(arg, "nonenotnull")) {
    out.kind = SessionCacheSpec::Kind::NoneNotNull;
    return out;
  }
  // Like mod_ssl: the provider name runs to the first ':', the rest goes to the provider. A bare
  // name (no ':') is allowed: httpd then creates the provider with no argument, and shmcb and
  // dbm fall back on a default file of their own (mod_socache_shmcb: "Use defaults" when given
  // no argument; the 2.4 manual: a relative path is relative to DefaultRuntimeDir).
  const auto colon = arg.find(':');
  const bool bare = colon == std::string_view::npos;
  const std::string_view name = arg.substr(0, colon);
  const std::string_view rest = bare ? std::string_view{} : arg.substr(colon + 1);
  if (arg.empty()) return bad_value("SSLSessionCache", arg, kSessionCacheAllowed);
  if (!valid_provider_name(name)) {
    return fail("SSLSessionCache: " + quoted(arg) +
                " does not start with a cache type: " + quoted(name) +
                " is not a provider name (lower-case letters, digits and '_'); allowed: " +
                std::string(kSessionCacheAllowed));
  }
  // "default" is httpd's name for its default socache provider, which is shmcb (2.4.42+).
  if (name == "shmcb" || name == "shm" || (name == "default" && bare)) {
    out.kind = SessionCacheSpec::Kind::Shmcb;
    out.provider = "shmcb";
    if (bare) return out;
    auto st = split_shmcb_size(rest, out);
    if (!st) return fail(st.error());
    return out;
  }
  if (name == "dbm") {
    out.kind = SessionCacheSpec::Kind::Dbm;
    out.provider = "dbm";
    if (!bare && rest.empty()) {
      return fail("SSLSessionCache: " + quoted(arg) +
                  " names no data file; write dbm:/path/to/datafile, or 'dbm' alone for the "
                  "provider's default file");
    }
    out.path_or_args = std::string(rest);
    return out;
  }
  if (name == "memcache" || name == "redis") {
    auto st = check_server_list(arg, name, rest);
    if (!st) return fail(st.error());
  } else if (!bare && rest.empty()) {
    return fail("SSLSessionCache: " + quoted(arg) +
                " has a ':' but no arguments after it; "
                "write " +
                std::string(name) + ":arguments, or " + quoted(name) +
                " alone if the provider needs none");
  }
  out.kind = SessionCacheSpec::Kind::Provider;
  out.provider = std::string(name);
  out.path_or_args = std::string(rest);
  return out;
}

Result<std::chrono::seconds> parse_session_cache_timeout(std::string_view arg) {
  const auto v = parse_unsigned(arg, std::numeric_limits<std::int32_t>::max());
  if (!v) {
    return bad_value("SSLSessionCacheTimeout", arg,
                     "a whole number of seconds from 0 to " +
                         std::to_string(std::numeric_limits<std::int32_t>::max()) +
                         " (default 300)");
  }
  return std::chrono::seconds(static_cast<std::int64_t>(*v));
}

Result<std::chrono::seconds> parse_ticket_key_rotation(std::string_view arg) {
  constexpr std::string_view kAllowed =
      "a number of seconds, or a number followed by s, m, h or d (e.g. 90m, 12h), more than 0 "
      "and at most 30 days (30d)";
  std::string_view digits = arg;
  std::uint64_t unit = 1;
  if (!digits.empty() && !std::isdigit(static_cast<unsigned char>(digits.back()))) {
    switch (std::tolower(static_cast<unsigned char>(digits.back()))) {
      case 's':
        unit = 1;
        break;
      case 'm':
        unit = 60;
        break;
      case 'h':
        unit = 3600;
        break;
      case 'd':
        unit = 86400;
        break;
      default:
        return bad_value("SSLSessionTicketKeyRotation", arg, kAllowed);
    }
    digits.remove_suffix(1);
  }
  const auto n = parse_unsigned(digits, std::numeric_limits<std::uint64_t>::max() / 86400);
  if (!n) return bad_value("SSLSessionTicketKeyRotation", arg, kAllowed);
  const std::uint64_t secs = *n * unit;
  if (secs == 0) {
    return fail("SSLSessionTicketKeyRotation: " + quoted(arg) +
                " is zero; keys must live for some time; allowed: " + std::string(kAllowed));
  }
  if (secs > static_cast<std::uint64_t>(kMaxTicketKeyRotation.count())) {
    return fail("SSLSessionTicketKeyRotation: " + quoted(arg) +
                " is longer than 30 days: a ticket key used that long protects too many "
                "sessions if it leaks; allowed: " +
                std::string(kAllowed));
  }
  return std::chrono::seconds(static_cast<std::int64_t>(secs));
}

Result<LegacyMutex> parse_legacy_mutex(std::string_view arg) {
  // Like ap_parse_mutex: the mechanism runs to the first ':', the rest is the lock file, and an
  // empty rest ("file:") counts as no path.
  const auto colon = arg.find(':');
  const std::string_view word = arg.substr(0, colon);
  const std::string_view path =
      colon == std::string_view::npos ? std::string_view{} : arg.substr(colon + 1);
  const MutexName* found = nullptr;
  for (const auto& m : kMutexNames) {
    if (iequals(word, m.word)) found = &m;
  }
  if (!found) {
    return fail("SSLMutex: unknown mechanism " + quoted(arg) +
                "; allowed: " + std::string(kMutexAllowed));
  }
  if (!path.empty() && !found->takes_path) {
    return fail("SSLMutex: " + quoted(arg) + ": mechanism " + quoted(word) +
                " takes no path (only file, fcntl and flock use a lock file); allowed: " +
                std::string(kMutexAllowed));
  }
  LegacyMutex out;
  out.mechanism = found->mechanism;
  out.path = std::string(path);
  out.modern = "Mutex " + std::string(found->modern);
  if (!path.empty()) out.modern += ":" + lock_directory(path);
  out.modern += " ssl-cache";
  return out;
}

}  // namespace modssl::config
