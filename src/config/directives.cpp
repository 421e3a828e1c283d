#include "config/directives.h"
#include <cerrno>

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "config/parse_text.h"

namespace modssl::config {
namespace {

struct ProtocolName {
  std::string_view name;
  unsigned bits;
};
constexpr ProtocolName kProtocols[] = {{"all", kAllProtocols},
                                       {"TLSv1", kTLSv1},
                                       {"TLSv1.1", kTLSv1_1},
                                       {"TLSv1.2", kTLSv1_2},
                                       {"TLSv1.3", kTLSv1_3}};
constexpr std::string_view kProtocolsAllowed =
    "all, TLSv1, TLSv1.1, TLSv1.2, TLSv1.3, each optionally prefixed with + or -";

struct OptionName {
  std::string_view name;
  std::uint32_t bit;
};
constexpr OptionName kOptions[] = {
    {"StdEnvVars", kOptStdEnvVars},         {"ExportCertData", kOptExportCertData},
    {"FakeBasicAuth", kOptFakeBasicAuth},   {"StrictRequire", kOptStrictRequire},
    {"OptRenegotiate", kOptOptRenegotiate}, {"LegacyDNStringFormat", kOptLegacyDnFormat}};
constexpr std::string_view kOptionsAllowed =
    "StdEnvVars, ExportCertData, FakeBasicAuth, StrictRequire, OptRenegotiate, "
    "LegacyDNStringFormat, each optionally prefixed with + or -";

}  // namespace

Result<EngineMode> parse_engine(std::string_view arg) {
  if (iequals(arg, "on")) return EngineMode::On;
  if (iequals(arg, "off")) return EngineMode::Off;
  if (iequals(arg, "optional")) return EngineMode::Optional;
  return bad_value("SSLEngine", arg, "on, off, optional");
}

Result<unsigned> parse_protocols(std::span<const std::string_view> words) {
  if (words.empty())
    return fail("SSLProtocol needs at least one protocol; allowed: " +
                std::string(kProtocolsAllowed));
  unsigned set = 0;
  for (std::string_view word : words) {
    char action = 0;
    std::string_view name = word;
    if (!name.empty() && (name[0] == '+' || name[0] == '-')) {
      action = name[0];
      name.remove_prefix(1);
    }
    if (iequals(name, "SSLv3") || iequals(name, "SSLv2")) {
      // Removing a protocol OpenSSL 3 does not have is harmless ("all -SSLv3" is common).
      if (action == '-') continue;
      return fail("SSLProtocol: " + quoted(word) + " is not supported: OpenSSL 3 has no " +
                  std::string(name) +
                  " (it is insecure); allowed: " + std::string(kProtocolsAllowed));
    }
    const ProtocolName* found = nullptr;
    for (const auto& p : kProtocols) {
      if (iequals(name, p.name)) found = &p;
    }
    if (!found) {
      return fail("SSLProtocol: unknown protocol " + quoted(word) +
                  "; allowed: " + std::string(kProtocolsAllowed));
    }
    if (action == '+') {
      set |= found->bits;
    } else if (action == '-') {
      set &= ~found->bits;
    } else {
      set = found->bits;
    }
  }
  if (set == 0) {
    return fail("SSLProtocol: the line enables no protocol at all; allowed: " +
                std::string(kProtocolsAllowed));
  }
  return set;
}

Result<CipherSuiteArg> parse_cipher_suite(std::span<const std::string_view> words) {
  CipherSuiteArg out;
  if (words.size() == 1) {
    out.spec = std::string(words[0]);
    return out;
  }
  if (words.size() != 2) {
    return fail(
        "SSLCipherSuite takes a cipher list, optionally preceded by a protocol "
        "(SSL or TLSv1.3)");
  }
  if (iequals(words[0], "TLSv1.3")) {
    out.tls13 = true;
  } else if (!iequals(words[0], "SSL")) {
    return fail("SSLCipherSuite: protocol " + quoted(words[0]) +
                " not supported here; allowed: SSL (TLS 1.2 and below, the default) or TLSv1.3");
  }
  out.spec = std::string(words[1]);
  return out;
}

Result<bool> parse_flag(std::string_view directive, std::string_view arg) {
  if (iequals(arg, "on")) return true;
  if (iequals(arg, "off")) return false;
  return bad_value(directive, arg, "on, off");
}

Result<Toggle> parse_compression(std::string_view arg) {
  auto flag = parse_flag("SSLCompression", arg);
  if (!flag) return fail(flag.error());
  if (*flag) {
    return fail(
        "SSLCompression: 'on' is refused: TLS compression exposes secrets to the CRIME "
        "attack and this OpenSSL has no compression methods; allowed: off");
  }
  return Toggle::Off;
}

Result<SniPolicy> parse_sni_policy(std::string_view arg) {
  if (iequals(arg, "secure")) return SniPolicy::Secure;
  if (iequals(arg, "strict")) return SniPolicy::Strict;
  if (iequals(arg, "authonly")) return SniPolicy::AuthOnly;
  if (iequals(arg, "insecure")) return SniPolicy::Insecure;
  return bad_value("SSLVHostSNIPolicy", arg, "secure, strict, authonly, insecure");
}

Result<OptionSet> parse_options(std::span<const std::string_view> words, const OptionSet& current) {
  OptionSet s = current;
  for (std::string_view word : words) {
    char action = 0;
    std::string_view name = word;
    if (!name.empty() && (name[0] == '+' || name[0] == '-')) {
      action = name[0];
      name.remove_prefix(1);
    }
    std::uint32_t bit = 0;
    for (const auto& o : kOptions) {
      if (iequals(name, o.name)) bit = o.bit;
    }
    if (!bit) {
      return fail("SSLOptions: unknown option " + quoted(word) +
                  "; allowed: " + std::string(kOptionsAllowed));
    }
    // mod_ssl's exact rules, including one that surprises: each option written without + or -
    // replaces the set, so "SSLOptions A B" leaves only B (write "+A +B" for both).
    if (action == '-') {
      s.add &= ~bit;
      s.remove |= bit;
      s.options &= ~bit;
    } else if (action == '+') {
      s.add |= bit;
      s.remove &= ~bit;
      s.options |= bit;
    } else {
      s.options = bit;
      s.add = bit;
      s.remove = 0;
    }
  }
  return s;
}

bool options_line_drops_options(std::span<const std::string_view> words) {
  int absolute = 0;
  for (std::string_view word : words) {
    if (!word.empty() && word[0] != '+' && word[0] != '-') ++absolute;
  }
  return absolute > 1;
}

Result<std::size_t> parse_reneg_buffer_size(std::string_view arg) {
  std::string s(arg);
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || v < 0 || errno == ERANGE) {
    return bad_value("SSLRenegBufferSize", arg, "a number of bytes, 0 or more (default 131072)");
  }
  return static_cast<std::size_t>(v);
}

Result<VerifyClient> parse_verify_client(std::string_view arg) {
  // "off" and "on" are mod_ssl's old spellings of none and require.
  if (iequals(arg, "none") || iequals(arg, "off")) return VerifyClient::None;
  if (iequals(arg, "optional")) return VerifyClient::Optional;
  if (iequals(arg, "require") || iequals(arg, "on")) return VerifyClient::Require;
  if (iequals(arg, "optional_no_ca")) return VerifyClient::OptionalNoCa;
  return bad_value("SSLVerifyClient", arg, "none, optional, require, optional_no_ca");
}

Result<int> parse_verify_depth(std::string_view arg) {
  std::string s(arg);
  char* end = nullptr;
  long v = std::strtol(s.c_str(), &end, 10);
  // Any non-negative depth is accepted, as by stock mod_ssl and OpenSSL.
  if (s.empty() || *end != '\0' || v < 0 || v > INT32_MAX) {
    return bad_value("SSLVerifyDepth", arg, "a whole number, 0 or more");
  }
  return static_cast<int>(v);
}

}  // namespace modssl::config
