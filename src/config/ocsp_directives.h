#pragma once
// Parsers for the SSLOCSP* directives (OCSP checking of client certificates). Same contract as
// directives.h: the words as httpd split them in, a value or an administrator-facing error out;
// no I/O, no httpd calls.
#include <span>
#include <string>
#include <string_view>

#include "config/result.h"
#include "config/server_config.h"

namespace modssl::config {

// SSLOCSPEnable on|leaf|off [no_ocsp_for_cert_ok ...]. The first word is the mode ("leaf" is
// "on" for the client's own certificate only); only no_ocsp_for_cert_ok may follow, as in
// mod_ssl 2.4.71 ("on leaf" is refused there too). Keywords are case-insensitive.
struct OcspEnable {
  Toggle enable = Toggle::Off;
  bool leaf_only = false;
  bool no_ocsp_for_cert_ok = false;
};
Result<OcspEnable> parse_ocsp_enable(std::span<const std::string_view> words);

// SSLOCSPResponseTimeSkew, SSLOCSPResponseMaxAge, SSLOCSPResponderTimeout: a whole number of
// seconds, 0 or more. (mod_ssl reads these with atoi(), so "abc" silently became 0; we refuse it.)
Result<long> parse_ocsp_seconds(std::string_view directive, std::string_view arg);

// SSLOCSPDefaultResponder: an absolute http:// URI with a host. https:// is accepted because
// mod_ssl accepts it at start-up, but like mod_ssl we cannot query it (refused per certificate).
Result<std::string> parse_ocsp_responder_uri(std::string_view arg);

// SSLOCSPProxyURL: http://host[:port][/], the forward proxy OCSP requests go through.
Result<std::string> parse_ocsp_proxy_url(std::string_view arg);

// The parts of an http(s) URI that an OCSP query needs. Defaults: port 80 (443 for https),
// path "/".
struct HttpUri {
  std::string scheme;  // lower case
  std::string host;    // without IPv6 brackets
  int port = 0;
  std::string path;
};
Result<HttpUri> split_http_uri(std::string_view uri);

}  // namespace modssl::config
