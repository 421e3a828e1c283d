#pragma once
// Per-directory settings (<Directory>, <Location>, .htaccess): SSLOptions, SSLRequireSSL,
// SSLUserName, per-directory SSLVerifyClient/SSLCipherSuite. (SSLRequire's parsed expressions
// are httpd objects and live in the DirRecord beside this.)
#include <cstdint>

#include "config/server_config.h"

namespace modssl::config {

enum SslOption : std::uint32_t {
  kOptNone = 0,
  kOptStdEnvVars = 1u << 0,
  kOptExportCertData = 1u << 1,
  kOptFakeBasicAuth = 1u << 2,
  kOptStrictRequire = 1u << 3,
  kOptOptRenegotiate = 1u << 4,
  kOptLegacyDnFormat = 1u << 5,
};

// mod_ssl's marker for "only +/- forms so far": such a set adjusts what it inherits.
inline constexpr std::uint32_t kOptRelativeSet = 1u << 31;

// SSLOptions as mod_ssl keeps it: the options in force, plus the +/- adjustments that a relative
// set applies on merge. A context without an SSLOptions line is an empty relative set.
struct OptionSet {
  std::uint32_t options = kOptRelativeSet;
  std::uint32_t add = 0;     // +Option (or an absolute option)
  std::uint32_t remove = 0;  // -Option
  bool operator==(const OptionSet&) const = default;
};

struct DirConfig {
  OptionSet options;
  bool require_ssl = false;  // SSLRequireSSL (cannot be unset by a sub-directory, as mod_ssl)
  std::optional<std::string> cipher_suite;  // per-directory SSLCipherSuite (renegotiation issue)
  VerifyClient verify_client = VerifyClient::Unset;  // per-directory SSLVerifyClient
  std::optional<int> verify_depth;                   // per-directory SSLVerifyDepth
  // SSLUserName: the variable whose value becomes the request's user (REMOTE_USER).
  std::optional<std::string> user_name;
  // SSLRenegBufferSize: how much of a request body is held while the connection renegotiates
  // (default 128 KiB).
  std::optional<std::size_t> reneg_buffer_size;
};

DirConfig merge(const DirConfig& base, const DirConfig& add);

// The options in force after merging.
std::uint32_t effective_options(const OptionSet& s);

}  // namespace modssl::config
