#pragma once
// Parsers for directive arguments. Each takes the words as httpd split them and returns the
// parsed value or an error that names the directive, the bad value and what is allowed.
// No I/O here: file existence is checked by the caller (module/commands.cpp) against the
// ServerRoot-relative path.
#include <span>
#include <string>
#include <string_view>

#include "config/dir_config.h"
#include "config/result.h"
#include "config/server_config.h"

namespace modssl::config {

// SSLEngine on|off|optional (case-insensitive).
Result<EngineMode> parse_engine(std::string_view arg);

// SSLProtocol [+|-]protocol ...: "all", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"; "SSLv3" may
// only be removed (-SSLv3), adding it is refused (OpenSSL 3 has no SSLv3); "SSLv2" likewise.
// A word without +/- resets the set to that protocol first (mod_ssl semantics), so
// "TLSv1.2 +TLSv1.3" = {1.2, 1.3} and "all -TLSv1 -TLSv1.1" = {1.2, 1.3}.
Result<unsigned> parse_protocols(std::span<const std::string_view> words);

// SSLCipherSuite [protocol] spec: protocol is "SSL" (default, TLS <= 1.2) or "TLSv1.3";
// anything else is refused ("PROXY" is for SSLProxyCipherSuite's context only).
struct CipherSuiteArg {
  bool tls13 = false;
  std::string spec;
};
Result<CipherSuiteArg> parse_cipher_suite(std::span<const std::string_view> words);

// on|off flags; `directive` is used in the message.
Result<bool> parse_flag(std::string_view directive, std::string_view arg);

// SSLCompression: "off" only; "on" is refused with the reason (CRIME, OpenSSL 3 built without).
Result<Toggle> parse_compression(std::string_view arg);

// SSLVHostSNIPolicy secure|strict|authonly|insecure.
Result<SniPolicy> parse_sni_policy(std::string_view arg);

// SSLOptions [+|-]option ... into an OptionSet (applied on top of `current`, as repeated lines
// in one context accumulate).
Result<OptionSet> parse_options(std::span<const std::string_view> words, const OptionSet& current);
// True when a line names more than one option without + or -: only the last one takes effect
// (mod_ssl's rule), which is worth a warning.
bool options_line_drops_options(std::span<const std::string_view> words);

// SSLRenegBufferSize bytes (0 or more).
Result<std::size_t> parse_reneg_buffer_size(std::string_view arg);

// SSLVerifyClient none|optional|require|optional_no_ca, SSLVerifyDepth N.
Result<VerifyClient> parse_verify_client(std::string_view arg);
Result<int> parse_verify_depth(std::string_view arg);

}  // namespace modssl::config
