#include "vars/variables.h"

#include <array>
#include <utility>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "config/parse_text.h"
#include "tls/pem_files.h"

namespace modssl::vars {
namespace {

using Getter = std::optional<std::string> (*)(const Source&);

std::optional<std::string> https(const Source& s) { return s.ssl ? "on" : "off"; }

std::optional<std::string> protocol(const Source& s) {
  if (!s.ssl) return std::nullopt;
  return SSL_get_version(s.ssl);
}

std::optional<std::string> cipher(const Source& s) {
  if (!s.ssl) return std::nullopt;
  const SSL_CIPHER* c = SSL_get_current_cipher(s.ssl);
  if (!c) return std::nullopt;
  return SSL_CIPHER_get_name(c);
}

std::optional<std::string> tls_sni(const Source& s) {
  if (!s.ssl) return std::nullopt;
  const char* name = SSL_get_servername(s.ssl, TLSEXT_NAMETYPE_host_name);
  if (!name) return std::nullopt;
  return name;
}

std::optional<std::string> server_s_dn(const Source& s) {
  if (!s.ssl) return std::nullopt;
  X509* cert = SSL_get_certificate(s.ssl);
  if (!cert) return std::nullopt;
  return tls::name_oneline(X509_get_subject_name(cert));
}

// "Initial" for a full handshake, "Resumed" for an abbreviated one (session cache or ticket).
std::optional<std::string> session_resumed(const Source& s) {
  if (!s.ssl) return std::nullopt;
  return SSL_session_reused(s.ssl) ? "Resumed" : "Initial";
}

// Upper-case hex of the session id, as stock mod_ssl prints it; unset when there is none
// (SSLSessionCache none without tickets gives empty ids).
std::optional<std::string> session_id(const Source& s) {
  if (!s.ssl) return std::nullopt;
  const SSL_SESSION* session = SSL_get_session(s.ssl);
  if (!session) return std::nullopt;
  unsigned int len = 0;
  const unsigned char* id = SSL_SESSION_get_id(session, &len);
  if (len == 0) return std::nullopt;
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[id[i] >> 4];
    out += kHex[id[i] & 0xF];
  }
  return out;
}

std::optional<std::string> version_library(const Source&) {
  // "OpenSSL 3.0.19 1 Jul 2025" -> "OpenSSL/3.0.19", the form mod_ssl reports.
  std::string v = OpenSSL_version(OPENSSL_VERSION);
  auto sp = v.find(' ');
  if (sp == std::string::npos) return v;
  auto end = v.find(' ', sp + 1);
  return v.substr(0, sp) + "/" + v.substr(sp + 1, end == std::string::npos ? end : end - sp - 1);
}

constexpr std::array<std::pair<std::string_view, Getter>, 8> kTable{{
    {"HTTPS", https},
    {"SSL_PROTOCOL", protocol},
    {"SSL_CIPHER", cipher},
    {"SSL_TLS_SNI", tls_sni},
    {"SSL_SERVER_S_DN", server_s_dn},
    {"SSL_SESSION_ID", session_id},
    {"SSL_SESSION_RESUMED", session_resumed},
    {"SSL_VERSION_LIBRARY", version_library},
}};

using config::iequals;

Getter find(std::string_view name) {
  if (iequals(name, "HTTPS")) return https;
  for (const auto& [n, g] : kTable) {
    if (n == name) return g;
  }
  return nullptr;
}

}  // namespace

std::optional<std::string> lookup(std::string_view name, const Source& src) {
  Getter g = find(name);
  return g ? g(src) : std::nullopt;
}

bool is_known(std::string_view name) { return find(name) != nullptr; }

}  // namespace modssl::vars
