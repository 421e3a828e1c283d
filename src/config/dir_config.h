#pragma once
// Per-directory settings (<Directory>, <Location>, .htaccess): SSLOptions, SSLRequireSSL and,
// in later issues, per-directory SSLVerifyClient/SSLCipherSuite and SSLRequire.
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

// SSLOptions as written: absolute options ("StdEnvVars") replace what is inherited; relative ones
// ("+StdEnvVars -ExportCertData") adjust it. A line may mix both forms, as in mod_ssl.
struct OptionSet {
  bool set = false;           // any SSLOptions line seen in this context
  bool relative = false;      // only +/- forms were used
  std::uint32_t options = 0;  // absolute set (when !relative)
  std::uint32_t add = 0;      // +Option
  std::uint32_t remove = 0;   // -Option
};

struct DirConfig {
  OptionSet options;
  bool require_ssl = false;  // SSLRequireSSL (cannot be unset by a sub-directory, as mod_ssl)
  std::optional<std::string> cipher_suite;  // per-directory SSLCipherSuite (renegotiation issue)
  VerifyClient verify_client = VerifyClient::Unset;  // per-directory SSLVerifyClient
  std::optional<int> verify_depth;                   // per-directory SSLVerifyDepth
};

DirConfig merge(const DirConfig& base, const DirConfig& add);

// The options in force after merging (absolute or relative chain resolved).
std::uint32_t effective_options(const OptionSet& s);

}  // namespace modssl::config
