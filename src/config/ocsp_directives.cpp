#include "config/ocsp_directives.h"

#include <cctype>
#include <charconv>
#include <climits>

#include "config/parse_text.h"

namespace modssl::config {
namespace {

constexpr std::string_view kEnableAllowed =
    "on, leaf or off, optionally followed by no_ocsp_for_cert_ok";

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

Result<OcspEnable> parse_ocsp_enable(std::span<const std::string_view> words) {
  if (words.empty()) return bad_value("SSLOCSPEnable", "", kEnableAllowed);
  OcspEnable out;
  const std::string_view mode = words[0];
  if (iequals(mode, "on")) {
    out.enable = Toggle::On;
  } else if (iequals(mode, "leaf")) {
    out.enable = Toggle::On;
    out.leaf_only = true;
  } else if (iequals(mode, "off")) {
    out.enable = Toggle::Off;
  } else {
    return bad_value("SSLOCSPEnable", mode, kEnableAllowed);
  }
  for (std::string_view w : words.subspan(1)) {
    if (!iequals(w, "no_ocsp_for_cert_ok")) {
      return fail("SSLOCSPEnable: invalid value " + quoted(w) + " after " + quoted(mode) +
                  "; only no_ocsp_for_cert_ok may follow the mode (for leaf-only checks write "
                  "'SSLOCSPEnable leaf', not 'on leaf')");
    }
    out.no_ocsp_for_cert_ok = true;
  }
  return out;
}

Result<long> parse_ocsp_seconds(std::string_view directive, std::string_view arg) {
  long value = 0;
  const char* end = arg.data() + arg.size();
  auto [ptr, ec] = std::from_chars(arg.data(), end, value);
  if (arg.empty() || ec == std::errc::result_out_of_range || ptr != end || value < 0 ||
      value > INT_MAX) {
    return bad_value(directive, arg, "a whole number of seconds, 0 or more");
  }
  return value;
}

Result<HttpUri> split_http_uri(std::string_view uri) {
  HttpUri out;
  const auto scheme_end = uri.find("://");
  if (scheme_end == std::string_view::npos || scheme_end == 0) {
    return fail("not an absolute URI (expected http://host[:port]/path)");
  }
  out.scheme = lower(uri.substr(0, scheme_end));
  std::string_view rest = uri.substr(scheme_end + 3);
  const auto path_start = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, path_start);
  out.path = path_start == std::string_view::npos ? "/" : std::string(rest.substr(path_start));
  if (out.path[0] != '/') out.path.insert(0, "/");
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority = authority.substr(at + 1);
  }
  std::string_view port_text;
  if (!authority.empty() && authority[0] == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return fail("unterminated IPv6 address");
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return fail("unexpected text after the IPv6 address");
      port_text = after.substr(1);
    }
  } else {
    const auto colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (out.host.empty()) return fail("no host name");
  if (!port_text.empty()) {
    int port = 0;
    const char* end = port_text.data() + port_text.size();
    auto [ptr, ec] = std::from_chars(port_text.data(), end, port);
    if (ec != std::errc() || ptr != end || port < 1 || port > 65535) {
      return fail("bad port " + quoted(port_text));
    }
    out.port = port;
  } else {
    out.port = out.scheme == "https" ? 443 : 80;
  }
  return out;
}

Result<std::string> parse_ocsp_responder_uri(std::string_view arg) {
  auto uri = split_http_uri(arg);
  if (!uri) {
    return fail("SSLOCSPDefaultResponder: invalid value " + quoted(arg) + ": " + uri.error() +
                "; allowed: an http:// URI such as http://ocsp.example.com/");
  }
  if (uri->scheme != "http" && uri->scheme != "https") {
    return fail("SSLOCSPDefaultResponder: invalid value " + quoted(arg) + ": scheme " +
                quoted(uri->scheme) + " is not supported; allowed: an http:// URI");
  }
  return std::string(arg);
}

Result<std::string> parse_ocsp_proxy_url(std::string_view arg) {
  auto uri = split_http_uri(arg);
  if (!uri) {
    return fail("SSLOCSPProxyURL: invalid value " + quoted(arg) + ": " + uri.error() +
                "; allowed: http://host[:port]/");
  }
  if (uri->scheme != "http") {
    return fail("SSLOCSPProxyURL: invalid value " + quoted(arg) + ": scheme " +
                quoted(uri->scheme) + " is not supported; allowed: http://host[:port]/");
  }
  return std::string(arg);
}

}  // namespace modssl::config
