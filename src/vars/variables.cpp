// The one table of SSL_* variables. lookup() resolves a name to a getter and its argument
// without allocating; only the value itself is a new string.
//
// Name matching follows mod_ssl: the "SSL_" prefix and the variable names are ASCII
// case-insensitive (mod_ssl compares them with strcasecmp), while DN component tags ("CN",
// "Email"), the S/I letter of S_DN/I_DN, the otherName forms ("msUPN") and the SSL_VERSION_*
// suffixes are case-sensitive.
#include "vars/variables.h"

#include <array>
#include <utility>

#include <openssl/comp.h>
#include <openssl/x509.h>

#include "vars/certificate_fields.h"
#include "vars/client_verify_text.h"
#include "vars/dn_format.h"
#include "vars/library_versions.h"
#include "vars/openssl_text.h"
#include "vars/subject_alt_names.h"

// SSL_get_srp_username/userinfo are deprecated in OpenSSL 3 but still what mod_ssl reports.
#if !defined(OPENSSL_NO_SRP)
#define MODSSL_HAVE_SRP 1
#endif

namespace modssl::vars {
namespace {

enum class Side : unsigned char { kNone, kClient, kServer };

// What a name resolved to: the getter and what it needs besides the connection.
struct Arg {
  Side side = Side::kNone;
  std::string_view rest;  // the parametric part: chain index, certificate field name
};
using Getter = std::optional<std::string> (*)(const Source&, Arg);

X509* certificate(const SSL* ssl, Side side) {
  return side == Side::kClient ? SSL_get0_peer_certificate(ssl) : SSL_get_certificate(ssl);
}

// ---- connection-wide getters (src.ssl is non-null for all but the version ones) ----

std::optional<std::string> https(const Source& s, Arg) {
  return s.ssl ? "on" : "off";
}

std::optional<std::string> protocol(const Source& s, Arg) {
  return SSL_get_version(s.ssl);
}

// Lower-case hex of the session id, as mod_ssl's ap_bin2hex; unset when there is no id
// (SSLSessionCache none without tickets).
std::optional<std::string> session_id(const Source& s, Arg) {
  const SSL_SESSION* session = SSL_get_session(s.ssl);
  if (!session) return std::nullopt;
  unsigned int len = 0;
  const unsigned char* id = SSL_SESSION_get_id(session, &len);
  if (len == 0) return std::nullopt;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[id[i] >> 4];
    out += kHex[id[i] & 0xF];
  }
  return out;
}

std::optional<std::string> session_resumed(const Source& s, Arg) {
  return SSL_session_reused(s.ssl) == 1 ? "Resumed" : "Initial";
}

std::optional<std::string> cipher(const Source& s, Arg) {
  const SSL_CIPHER* c = SSL_get_current_cipher(s.ssl);
  if (!c) return std::nullopt;
  return SSL_CIPHER_get_name(c);
}

// Secret bits in use and the algorithm's nominal bits; 0 and 0 before a cipher is chosen.
std::pair<int, int> cipher_bits(const SSL* ssl) {
  int alg = 0;
  const SSL_CIPHER* c = SSL_get_current_cipher(ssl);
  const int use = c ? SSL_CIPHER_get_bits(c, &alg) : 0;
  return {use, alg};
}

std::optional<std::string> cipher_export(const Source& s, Arg) {
  return cipher_bits(s.ssl).first < 56 ? "true" : "false";
}

std::optional<std::string> cipher_usekeysize(const Source& s, Arg) {
  return std::to_string(cipher_bits(s.ssl).first);
}

std::optional<std::string> cipher_algkeysize(const Source& s, Arg) {
  return std::to_string(cipher_bits(s.ssl).second);
}

std::optional<std::string> compress_method(const Source& s, Arg) {
  const SSL_SESSION* session = SSL_get_session(s.ssl);
  if (!session) return "NULL";
  switch (SSL_SESSION_get_compress_id(session)) {
    case 0:
      return "NULL";
    case 1:  // RFC 3749
      return "DEFLATE";
    case 0x40:
      return "LZS";
    default:
      return "UNKNOWN";
  }
}

std::optional<std::string> tls_sni(const Source& s, Arg) {
  const char* name = SSL_get_servername(s.ssl, TLSEXT_NAMETYPE_host_name);
  if (!name) return std::nullopt;
  return name;
}

std::optional<std::string> secure_reneg(const Source& s, Arg) {
  return SSL_get_secure_renegotiation_support(const_cast<SSL*>(s.ssl)) ? "true" : "false";
}

#if MODSSL_HAVE_SRP
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
std::optional<std::string> srp_user(const Source& s, Arg) {
  const char* user = SSL_get_srp_username(const_cast<SSL*>(s.ssl));
  if (!user) return std::nullopt;
  return user;
}

std::optional<std::string> srp_userinfo(const Source& s, Arg) {
  const char* info = SSL_get_srp_userinfo(const_cast<SSL*>(s.ssl));
  if (!info) return std::nullopt;
  return info;
}
#pragma GCC diagnostic pop
#else
std::optional<std::string> srp_user(const Source&, Arg) {
  return std::nullopt;
}
std::optional<std::string> srp_userinfo(const Source&, Arg) {
  return std::nullopt;
}
#endif

std::optional<std::string> client_verify(const Source& s, Arg) {
  return client_verify_text(s.ssl);
}

std::optional<std::string> client_cert_cea(const Source& s, Arg) {
  const X509* cert = SSL_get0_peer_certificate(s.ssl);
  if (!cert) return std::nullopt;
  return cert_rfc4523_cea(cert);
}

// SSL_CLIENT_CERT_CHAIN_<n>: the n-th certificate the client sent after its own.
std::optional<std::string> client_cert_chain(const Source& s, Arg a) {
  const auto n = digits_value(a.rest);
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(s.ssl);
  if (!n || !chain || *n >= sk_X509_num(chain)) return std::nullopt;
  return cert_pem(sk_X509_value(chain, *n));
}

std::optional<std::string> cert_variable(const Source& s, Arg a) {
  const auto ref = parse_cert_field(a.rest);
  if (!ref) return std::nullopt;
  return cert_field(certificate(s.ssl, a.side), *ref, s.legacy_dn_format);
}

std::optional<std::string> version_interface_var(const Source&, Arg) {
  return std::string(version_interface());
}
std::optional<std::string> version_library_var(const Source&, Arg) {
  return std::string(version_library());
}
std::optional<std::string> version_library_interface_var(const Source&, Arg) {
  return std::string(version_library_interface());
}

// Names after "SSL_" that need a TLS connection, matched whole.
struct Entry {
  std::string_view name;
  Getter get;
};
constexpr std::array<Entry, 14> kTable{{
    {"PROTOCOL", protocol},
    {"SESSION_ID", session_id},
    {"SESSION_RESUMED", session_resumed},
    {"CIPHER", cipher},
    {"CIPHER_EXPORT", cipher_export},
    {"CIPHER_USEKEYSIZE", cipher_usekeysize},
    {"CIPHER_ALGKEYSIZE", cipher_algkeysize},
    {"CLIENT_CERT_RFC4523_CEA", client_cert_cea},
    {"CLIENT_VERIFY", client_verify},
    {"COMPRESS_METHOD", compress_method},
    {"TLS_SNI", tls_sni},
    {"SECURE_RENEG", secure_reneg},
    {"SRP_USER", srp_user},
    {"SRP_USERINFO", srp_userinfo},
    // No SSL_HANDSHAKE_RTT: mod_ssl 2.4.71 does not have it.
}};

// Names after "SSL_VERSION_": no connection needed; the suffix is case-sensitive.
constexpr std::array<Entry, 3> kVersions{{
    {"INTERFACE", version_interface_var},
    {"LIBRARY", version_library_var},
    {"LIBRARY_INTERFACE", version_library_interface_var},
}};

struct Resolved {
  Getter get = nullptr;
  Arg arg;
  bool needs_tls = true;
};

// Name -> getter, in mod_ssl's order of tests. Certificate field names are checked for syntax
// here, so that is_known() can tell.
Resolved resolve(std::string_view name) {
  if (iequal(name, "HTTPS")) return {https, {}, false};
  if (name.size() <= 4 || !istarts_with(name, "SSL_")) return {};
  const std::string_view var = name.substr(4);
  if (var.size() > 8 && istarts_with(var, "VERSION_")) {
    for (const Entry& e : kVersions) {
      if (e.name == var.substr(8)) return {e.get, {}, false};
    }
    return {};
  }
  for (const Entry& e : kTable) {
    if (iequal(var, e.name)) return {e.get, {}};
  }
  if (var.size() > 18 && istarts_with(var, "CLIENT_CERT_CHAIN_")) {
    const std::string_view n = var.substr(18);
    if (!digits_value(n)) return {};
    return {client_cert_chain, {Side::kClient, n}};
  }
  Side side = Side::kNone;
  if (var.size() > 7 && istarts_with(var, "CLIENT_")) side = Side::kClient;
  if (var.size() > 7 && istarts_with(var, "SERVER_")) side = Side::kServer;
  if (side == Side::kNone) return {};
  const std::string_view field = var.substr(7);
  if (!parse_cert_field(field)) return {};
  return {cert_variable, {side, field}};
}

// StdEnvVars' fixed list, in mod_ssl's order.
constexpr std::array<std::string_view, 32> kStandard{{
    "SSL_VERSION_INTERFACE", "SSL_VERSION_LIBRARY",
    "SSL_PROTOCOL",          "SSL_SECURE_RENEG",
    "SSL_COMPRESS_METHOD",   "SSL_CIPHER",
    "SSL_CIPHER_EXPORT",     "SSL_CIPHER_USEKEYSIZE",
    "SSL_CIPHER_ALGKEYSIZE", "SSL_CLIENT_VERIFY",
    "SSL_CLIENT_M_VERSION",  "SSL_CLIENT_M_SERIAL",
    "SSL_CLIENT_V_START",    "SSL_CLIENT_V_END",
    "SSL_CLIENT_V_REMAIN",   "SSL_CLIENT_S_DN",
    "SSL_CLIENT_I_DN",       "SSL_CLIENT_A_KEY",
    "SSL_CLIENT_A_SIG",      "SSL_CLIENT_CERT_RFC4523_CEA",
    "SSL_SERVER_M_VERSION",  "SSL_SERVER_M_SERIAL",
    "SSL_SERVER_V_START",    "SSL_SERVER_V_END",
    "SSL_SERVER_S_DN",       "SSL_SERVER_I_DN",
    "SSL_SERVER_A_KEY",      "SSL_SERVER_A_SIG",
    "SSL_SESSION_ID",        "SSL_SESSION_RESUMED",
    "SSL_SRP_USER",          "SSL_SRP_USERINFO",
}};

void each_alt_name(X509* cert, SanKind kind, std::string_view prefix, const VariableSink& sink) {
  const auto entries = san_entries(cert, kind);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    sink(std::string(prefix) + "_" + std::to_string(i), entries[i]);
  }
}

}  // namespace

std::optional<std::string> lookup(std::string_view name, const Source& src) {
  const Resolved r = resolve(name);
  if (!r.get || (r.needs_tls && !src.ssl)) return std::nullopt;
  return r.get(src, r.arg);
}

bool is_known(std::string_view name) {
  return resolve(name).get != nullptr;
}

void each_standard_variable(const Source& src, const VariableSink& sink) {
  if (!src.ssl) return;
  X509* server = SSL_get_certificate(src.ssl);
  X509* client = SSL_get0_peer_certificate(src.ssl);
  if (server) {
    each_dn_component(X509_get_subject_name(server), "SSL_SERVER_S_DN_", sink);
    each_dn_component(X509_get_issuer_name(server), "SSL_SERVER_I_DN_", sink);
  }
  if (client) {
    each_dn_component(X509_get_subject_name(client), "SSL_CLIENT_S_DN_", sink);
    each_dn_component(X509_get_issuer_name(client), "SSL_CLIENT_I_DN_", sink);
  }
  if (server) {
    each_alt_name(server, SanKind::kEmail, "SSL_SERVER_SAN_Email", sink);
    each_alt_name(server, SanKind::kDns, "SSL_SERVER_SAN_DNS", sink);
    each_alt_name(server, SanKind::kDnsSrv, "SSL_SERVER_SAN_OTHER_dnsSRV", sink);
  }
  if (client) {
    each_alt_name(client, SanKind::kEmail, "SSL_CLIENT_SAN_Email", sink);
    each_alt_name(client, SanKind::kDns, "SSL_CLIENT_SAN_DNS", sink);
    each_alt_name(client, SanKind::kMsUpn, "SSL_CLIENT_SAN_OTHER_msUPN", sink);
  }
  for (std::string_view name : kStandard) {
    auto value = lookup(name, src);
    if (value && !value->empty()) sink(name, std::move(*value));
  }
}

void each_certificate_variable(const Source& src, const VariableSink& sink) {
  if (!src.ssl) return;
  // mod_ssl sets these two even when empty (no client certificate).
  sink("SSL_SERVER_CERT", lookup("SSL_SERVER_CERT", src).value_or(""));
  sink("SSL_CLIENT_CERT", lookup("SSL_CLIENT_CERT", src).value_or(""));
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(src.ssl);
  const int n = chain ? sk_X509_num(chain) : 0;
  for (int i = 0; i < n; ++i) {
    auto pem = cert_pem(sk_X509_value(chain, i));
    sink("SSL_CLIENT_CERT_CHAIN_" + std::to_string(i), pem.value_or(""));
  }
}

}  // namespace modssl::vars
