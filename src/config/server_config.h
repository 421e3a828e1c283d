#pragma once
// Per-virtual-host TLS configuration, as set by the SSL* directives in server and <VirtualHost>
// context. Plain data: no OpenSSL objects, no httpd calls. Unset fields inherit on merge, exactly
// like mod_ssl 2.4 (a vhost value, when given, replaces the main server's).
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/passphrase_directives.h"
#include "config/random_seed_directives.h"
#include "config/result.h"
#include "config/session_directives.h"

namespace modssl::config {

enum class EngineMode : std::uint8_t { Unset, Off, On, Optional };

// A flag directive that may be left unset so it inherits on merge.
enum class Toggle : std::uint8_t { Unset, Off, On };
inline bool is_on(Toggle t, bool default_value) {
  return t == Toggle::Unset ? default_value : t == Toggle::On;
}

// TLS protocol versions as a bit set (SSLProtocol).
enum ProtocolBit : unsigned {
  kTLSv1 = 1u << 0,
  kTLSv1_1 = 1u << 1,
  kTLSv1_2 = 1u << 2,
  kTLSv1_3 = 1u << 3,
};
inline constexpr unsigned kAllProtocols = kTLSv1 | kTLSv1_1 | kTLSv1_2 | kTLSv1_3;

// SSLVHostSNIPolicy (httpd 2.4.66+, server config only): when may a request's Host select a
// vhost whose TLS settings differ from those the handshake (SNI) used?
enum class SniPolicy : std::uint8_t { Unset, Secure, Strict, AuthOnly, Insecure };

// SSLVerifyClient (used from the client-certificate issue on; present now so that vhost TLS
// settings can be compared for the SNI/Host check).
enum class VerifyClient : std::uint8_t { Unset, None, Optional, Require, OptionalNoCa };

// SSLCARevocationCheck none|chain|leaf [no_crl_for_cert_ok].
enum class CrlCheckMode : std::uint8_t { Unset, None, Chain, Leaf };
struct CrlCheck {
  CrlCheckMode mode = CrlCheckMode::Unset;  // default none
  bool no_crl_for_cert_ok = false;          // a certificate whose CA has no CRL is not refused
  bool operator==(const CrlCheck&) const = default;
};

// Client-certificate OCSP checking (SSLOCSP*). Unset members take stock's defaults.
struct OcspClientSettings {
  Toggle enable = Toggle::Unset;              // SSLOCSPEnable on|off (default off)
  bool leaf_only = false;                     // SSLOCSPEnable ... leaf
  bool no_ocsp_for_cert_ok = false;           // SSLOCSPEnable ... no_ocsp_for_cert_ok
  std::string default_responder;              // SSLOCSPDefaultResponder URI
  Toggle override_responder = Toggle::Unset;  // SSLOCSPOverrideResponder (default off)
  std::optional<long> response_time_skew;     // SSLOCSPResponseTimeSkew seconds (default 300)
  std::optional<long> response_max_age;       // SSLOCSPResponseMaxAge seconds (default -1: any)
  std::optional<long> responder_timeout;      // SSLOCSPResponderTimeout seconds (default 10)
  Toggle use_request_nonce = Toggle::Unset;   // SSLOCSPUseRequestNonce (default on)
  std::string proxy_url;                      // SSLOCSPProxyURL
  Toggle no_verify = Toggle::Unset;           // SSLOCSPNoVerify (default off)
  std::string responder_certificate_file;     // SSLOCSPResponderCertificateFile
  bool operator==(const OcspClientSettings&) const = default;
};

struct ServerConfig {
  EngineMode engine = EngineMode::Unset;

  // SSLCertificateFile / SSLCertificateKeyFile: parallel lists; key_files[i] belongs to
  // certificate_files[i]; a missing key entry means the key sits in the certificate file.
  std::vector<std::string> certificate_files;
  std::vector<std::string> key_files;
  std::string certificate_chain_file;  // SSLCertificateChainFile; empty = unset

  std::optional<unsigned> protocols;              // SSLProtocol bit set
  std::optional<std::string> cipher_suite;        // SSLCipherSuite [SSL] spec (TLS <= 1.2)
  std::optional<std::string> tls13_ciphersuites;  // SSLCipherSuite TLSv1.3 spec
  Toggle honor_cipher_order = Toggle::Unset;      // default off
  Toggle compression = Toggle::Unset;             // default off; on is refused at parse time
  Toggle session_tickets = Toggle::Unset;         // default on
  // SSLSessionCacheTimeout: lifetime of cached sessions and of tickets (default 300 s).
  std::optional<std::chrono::seconds> session_cache_timeout;
  // SSLSessionTicketKeyFile: 48 bytes shared by a fleet; empty = keys generated and rotated.
  std::string ticket_key_file;
  // SSLSessionTicketKeyRotation (ours): how long a generated key encrypts new tickets.
  std::optional<std::chrono::seconds> ticket_key_rotation;
  Toggle strict_sni_vhost_check = Toggle::Unset;  // default off
  Toggle insecure_renegotiation = Toggle::Unset;  // default off

  // SSLOpenSSLConfCmd name value, applied in order (main server's first, then the vhost's).
  std::vector<std::pair<std::string, std::string>> openssl_conf_cmds;

  // Client certificates: SSLVerifyClient (default none), SSLVerifyDepth (default 1),
  // SSLCACertificateFile/Path (the CAs that verify them), SSLCADNRequestFile/Path (the CA names
  // sent to the client instead of those of SSLCACertificate*).
  VerifyClient verify_client = VerifyClient::Unset;
  std::optional<int> verify_depth;
  std::string ca_certificate_file;
  std::string ca_certificate_path;
  std::string ca_dn_request_file;
  std::string ca_dn_request_path;
  // Revocation of client certificates: SSLCARevocationFile/Path, SSLCARevocationCheck, and
  // OCSP. Each member merges on its own (a vhost's value replaces the main server's).
  std::string ca_revocation_file;
  std::string ca_revocation_path;
  CrlCheck crl_check;
  OcspClientSettings ocsp;
};

// mod_ssl's merge: scalar settings of `add` win when set; certificate/key lists merge by index
// (add[i] replaces base[i], base entries beyond add's length stay); conf cmds are base then add.
ServerConfig merge(const ServerConfig& base, const ServerConfig& add);
OcspClientSettings merge(const OcspClientSettings& base, const OcspClientSettings& add);

// Effective values after merge, with mod_ssl's defaults applied.
unsigned effective_protocols(const ServerConfig& c);          // default: all (TLSv1 .. TLSv1.3)
VerifyClient effective_verify_client(const ServerConfig& c);  // default: none
int effective_verify_depth(const ServerConfig& c);            // default: 1
bool engine_enabled(const ServerConfig& c);                   // On (or Optional)
std::chrono::seconds effective_session_timeout(const ServerConfig& c);      // default 300 s
std::chrono::seconds effective_ticket_key_rotation(const ServerConfig& c);  // default 12 h

// True when two vhosts present the same TLS to a client: the same certificates, keys and
// chain, protocols, ciphers, client verification and raw SSLOpenSSLConfCmd settings. Under the
// default SSLVHostSNIPolicy a request may only cross between vhosts that are the same this way.
bool same_tls_parameters(const ServerConfig& a, const ServerConfig& b);

// Process-wide settings (server config context only, main server).
struct GlobalConfig {
  SniPolicy sni_policy = SniPolicy::Unset;  // default Secure
  // SSLSessionCache; unset = no inter-process cache (start-up warns, as stock does).
  std::optional<SessionCacheSpec> session_cache;
  // SSLPassPhraseDialog (default builtin).
  PassphraseDialogSpec passphrase_dialog;
  // SSLRandomSeed lines in order; SSLCryptoDevice (empty = builtin).
  std::vector<RandomSeedSpec> random_seeds;
  std::string crypto_device;
};

}  // namespace modssl::config
