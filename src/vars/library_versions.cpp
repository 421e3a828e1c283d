#include "vars/library_versions.h"

#include <string>

#include <ap_release.h>
#include <openssl/crypto.h>
#include <openssl/opensslv.h>

namespace modssl::vars {
namespace {

// "OpenSSL 3.0.19 27 Jan 2026" -> "OpenSSL/3.0.19": the first space becomes '/', and the text
// ends at the next one.
std::string product_slash_version(std::string_view text) {
  const auto sp = text.find(' ');
  if (sp == std::string_view::npos) return std::string(text);
  const auto end = text.find(' ', sp + 1);
  std::string out(text.substr(0, end));
  out[sp] = '/';
  return out;
}

}  // namespace

std::string_view version_interface() {
  return "mod_ssl/" AP_SERVER_BASEREVISION;
}

std::string_view version_library() {
  static const std::string v = product_slash_version(OpenSSL_version(OPENSSL_VERSION));
  return v;
}

std::string_view version_library_interface() {
  static const std::string v = product_slash_version(OPENSSL_VERSION_TEXT);
  return v;
}

}  // namespace modssl::vars
