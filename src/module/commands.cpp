// The SSL* directive table. Each handler checks the context, calls a parser in src/config and
// stores the result; the wording of errors lives with the parsers.
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "adapter/records.h"
#include "apr_file_info.h"
#include "apr_strings.h"
#include "config/directives.h"
#include "config/session_directives.h"
#include "http_log.h"
#include "module/access_commands.h"
#include "module/client_auth_commands.h"
#include "module/command_support.h"
#include "module/config_records.h"
#include "module/revocation_commands.h"
#include "module/session_commands.h"
#include "module/startup_commands.h"
#include "tls/conf_commands.h"

namespace {

using namespace modssl;
using config::Result;
using module::error_text;
using module::existing_file;
using module::guarded;
using module::server_config;
using module::split_words;

const char* set_engine(cmd_parms* cmd, void*, const char* arg) {
  return guarded(cmd, [&]() -> const char* {
    auto v = config::parse_engine(arg);
    if (!v) return error_text(cmd, v.error());
    server_config(cmd).engine = *v;
    return nullptr;
  });
}

const char* add_certificate_file(cmd_parms* cmd, void*, const char* arg) {
  return guarded(cmd, [&]() -> const char* {
    std::string path;
    if (const char* err = existing_file(cmd, arg, &path)) return err;
    server_config(cmd).certificate_files.push_back(path);
    return nullptr;
  });
}

const char* add_key_file(cmd_parms* cmd, void*, const char* arg) {
  return guarded(cmd, [&]() -> const char* {
    std::string path;
    if (const char* err = existing_file(cmd, arg, &path)) return err;
    server_config(cmd).key_files.push_back(path);
    return nullptr;
  });
}

const char* set_protocol(cmd_parms* cmd, void*, const char* args) {
  return guarded(cmd, [&]() -> const char* {
    auto words = split_words(cmd, args);
    auto v = config::parse_protocols(words);
    if (!v) return error_text(cmd, v.error());
    server_config(cmd).protocols = *v;
    return nullptr;
  });
}

const char* set_cipher_suite(cmd_parms* cmd, void* dirconf, const char* args) {
  return guarded(cmd, [&]() -> const char* {
    auto words = split_words(cmd, args);
    auto v = config::parse_cipher_suite(words);
    if (!v) return error_text(cmd, v.error());
    if (cmd->path) {  // <Directory>/<Location>/.htaccess: a per-directory upgrade
      if (v->tls13) {
        return "SSLCipherSuite TLSv1.3 cannot be set per directory: TLS 1.3 cannot change "
               "its cipher after the handshake";
      }
      static_cast<DirRecord*>(dirconf)->config.cipher_suite = v->spec;
    } else if (v->tls13) {
      server_config(cmd).tls13_ciphersuites = v->spec;
    } else {
      server_config(cmd).cipher_suite = v->spec;
    }
    return nullptr;
  });
}

// on/off directives that land in a Toggle of the server config.
template <config::Toggle config::ServerConfig::*Field>
const char* set_toggle(cmd_parms* cmd, void*, const char* arg) {
  return guarded(cmd, [&]() -> const char* {
    auto v = config::parse_flag(cmd->directive->directive, arg);
    if (!v) return error_text(cmd, v.error());
    server_config(cmd).*Field = *v ? config::Toggle::On : config::Toggle::Off;
    return nullptr;
  });
}

const char* set_compression(cmd_parms* cmd, void*, const char* arg) {
  return guarded(cmd, [&]() -> const char* {
    auto v = config::parse_compression(arg);
    if (!v) return error_text(cmd, v.error());
    server_config(cmd).compression = *v;
    return nullptr;
  });
}

const char* add_conf_cmd(cmd_parms* cmd, void*, const char* name, const char* value) {
  return guarded(cmd, [&]() -> const char* {
    if (!tls::is_known_conf_command(name)) {
      return apr_psprintf(cmd->pool,
                          "SSLOpenSSLConfCmd: '%s' is not a configuration command this OpenSSL "
                          "knows; see the SSL_CONF_cmd(3) manual page for the list",
                          name);
    }
    server_config(cmd).openssl_conf_cmds.emplace_back(name, value);
    return nullptr;
  });
}

const char* set_sni_policy(cmd_parms* cmd, void*, const char* arg) {
  return guarded(cmd, [&]() -> const char* {
    if (const char* err = ap_check_cmd_context(cmd, GLOBAL_ONLY)) return err;
    auto v = config::parse_sni_policy(arg);
    if (!v) return error_text(cmd, v.error());
    server_record(cmd->server)->global.sni_policy = *v;
    return nullptr;
  });
}

using SC = config::ServerConfig;
using namespace modssl::module;

}  // namespace

extern "C" const command_rec modssl_commands[] = {
    AP_INIT_TAKE1("SSLEngine", set_engine, nullptr, RSRC_CONF,
                  "Use TLS for this virtual host: on, off or optional"),
    AP_INIT_TAKE1("SSLCertificateFile", add_certificate_file, nullptr, RSRC_CONF,
                  "PEM file with the server certificate (and optionally its chain and key); "
                  "repeat for RSA and ECDSA certificates"),
    AP_INIT_TAKE1("SSLCertificateKeyFile", add_key_file, nullptr, RSRC_CONF,
                  "PEM file with the private key of the matching SSLCertificateFile"),
    AP_INIT_TAKE1("SSLCertificateChainFile", store_existing_file<&SC::certificate_chain_file>,
                  nullptr, RSRC_CONF,
                  "PEM file with the intermediate CA certificates of the server certificate"),
    AP_INIT_RAW_ARGS("SSLProtocol", set_protocol, nullptr, RSRC_CONF,
                     "Enabled protocols: [+-]all, TLSv1, TLSv1.1, TLSv1.2, TLSv1.3"),
    AP_INIT_RAW_ARGS("SSLCipherSuite", set_cipher_suite, nullptr, RSRC_CONF | OR_AUTHCFG,
                     "OpenSSL cipher list, optionally after a protocol (SSL or TLSv1.3)"),
    AP_INIT_TAKE1("SSLHonorCipherOrder", set_toggle<&SC::honor_cipher_order>, nullptr, RSRC_CONF,
                  "Prefer the server's cipher order to the client's: on or off"),
    AP_INIT_TAKE1("SSLCompression", set_compression, nullptr, RSRC_CONF,
                  "TLS-level compression: off (on is refused: CRIME)"),
    AP_INIT_TAKE1("SSLSessionTickets", set_toggle<&SC::session_tickets>, nullptr, RSRC_CONF,
                  "Issue TLS session tickets: on or off"),
    AP_INIT_RAW_ARGS("SSLPassPhraseDialog", set_passphrase_dialog, nullptr, RSRC_CONF,
                     "How encrypted private keys are unlocked at start-up: builtin (ask on "
                     "the terminal), exec:/path/to/program, or |/path/to/program [args]"),
    AP_INIT_RAW_ARGS("SSLRandomSeed", add_random_seed, nullptr, RSRC_CONF,
                     "Seed source for OpenSSL's generator: startup|connect builtin|"
                     "file:/path [bytes]|exec:/path [bytes]|egd:/path"),
    AP_INIT_TAKE1("SSLCryptoDevice", set_crypto_device, nullptr, RSRC_CONF,
                  "OpenSSL engine or provider for key operations: builtin (default)"),
    AP_INIT_TAKE1("SSLSessionCache", add_session_cache, nullptr, RSRC_CONF,
                  "Inter-process session cache: none, nonenotnull, shmcb:/path[(bytes)], "
                  "dbm:/path, or an socache provider such as memcache:host:port"),
    AP_INIT_TAKE1("SSLSessionCacheTimeout", set_session_cache_timeout, nullptr, RSRC_CONF,
                  "Seconds a session (and a ticket) can be resumed; default 300"),
    AP_INIT_TAKE1("SSLSessionTicketKeyFile", set_ticket_key_file, nullptr, RSRC_CONF,
                  "48-byte file with the session ticket key shared by a fleet of servers"),
    AP_INIT_TAKE1("SSLSessionTicketKeyRotation", set_ticket_key_rotation, nullptr, RSRC_CONF,
                  "How long a generated ticket key encrypts new tickets (e.g. 12h); default 12h"),
    AP_INIT_TAKE1("SSLMutex", set_legacy_mutex, nullptr, RSRC_CONF,
                  "Deprecated: write 'Mutex mechanism ssl-cache' instead"),
    AP_INIT_TAKE2("SSLOpenSSLConfCmd", add_conf_cmd, nullptr, RSRC_CONF,
                  "An OpenSSL SSL_CONF command and its value, e.g. Curves X25519:P-256"),
    AP_INIT_TAKE1("SSLStrictSNIVHostCheck", set_toggle<&SC::strict_sni_vhost_check>, nullptr,
                  RSRC_CONF, "Refuse clients without SNI on name-based TLS vhosts: on or off"),
    AP_INIT_TAKE1("SSLVHostSNIPolicy", set_sni_policy, nullptr, RSRC_CONF,
                  "When a request may reach a vhost other than the one SNI chose: "
                  "secure, strict, authonly or insecure"),
    AP_INIT_TAKE1("SSLInsecureRenegotiation", set_toggle<&SC::insecure_renegotiation>, nullptr,
                  RSRC_CONF, "Allow renegotiation with clients lacking RFC 5746: on or off"),
    AP_INIT_RAW_ARGS("SSLOptions", set_options, nullptr, OR_OPTIONS,
                     "[+-]StdEnvVars, ExportCertData, FakeBasicAuth, StrictRequire, "
                     "OptRenegotiate, LegacyDNStringFormat"),
    AP_INIT_NO_ARGS("SSLRequireSSL", set_require_ssl, nullptr, OR_AUTHCFG,
                    "Refuse requests that did not arrive over TLS"),
    AP_INIT_TAKE1("SSLVerifyClient", set_verify_client, nullptr, RSRC_CONF | OR_AUTHCFG,
                  "Client certificate verification: none, optional, require, optional_no_ca"),
    AP_INIT_TAKE1("SSLVerifyDepth", set_verify_depth, nullptr, RSRC_CONF | OR_AUTHCFG,
                  "Maximum depth of CA certificates in client certificate verification"),
    AP_INIT_TAKE1("SSLCACertificateFile", set_ca_certificate_file, nullptr, RSRC_CONF,
                  "PEM file with the CA certificates that verify client certificates"),
    AP_INIT_TAKE1("SSLCACertificatePath", set_ca_certificate_path, nullptr, RSRC_CONF,
                  "Directory of CA certificates (with hash links, `openssl rehash`) that "
                  "verify client certificates"),
    AP_INIT_TAKE1("SSLCADNRequestFile", set_ca_dn_request_file, nullptr, RSRC_CONF,
                  "PEM file whose certificates' subjects are the CA names sent to clients"),
    AP_INIT_TAKE1("SSLCADNRequestPath", set_ca_dn_request_path, nullptr, RSRC_CONF,
                  "Directory (hash links) whose certificates' subjects are the CA names sent "
                  "to clients"),
    AP_INIT_TAKE1("SSLCARevocationFile", set_ca_revocation_file, nullptr, RSRC_CONF,
                  "PEM file with the CRLs of the client CAs"),
    AP_INIT_TAKE1("SSLCARevocationPath", set_ca_revocation_path, nullptr, RSRC_CONF,
                  "Directory of CRLs with hash links (<hash>.r0, `openssl rehash`)"),
    AP_INIT_RAW_ARGS("SSLCARevocationCheck", set_ca_revocation_check, nullptr, RSRC_CONF,
                     "Which client certificates are checked against CRLs: none, chain or "
                     "leaf, optionally followed by no_crl_for_cert_ok"),
    AP_INIT_RAW_ARGS("SSLOCSPEnable", set_ocsp_enable, nullptr, RSRC_CONF,
                     "Check client certificates with OCSP: on, off, leaf, no_ocsp_for_cert_ok"),
    AP_INIT_TAKE1("SSLOCSPDefaultResponder", set_ocsp_default_responder, nullptr, RSRC_CONF,
                  "OCSP responder URI for certificates that name none"),
    AP_INIT_TAKE1("SSLOCSPOverrideResponder", set_ocsp_override_responder, nullptr, RSRC_CONF,
                  "Always use SSLOCSPDefaultResponder: on or off"),
    AP_INIT_TAKE1("SSLOCSPResponseTimeSkew", set_ocsp_response_time_skew, nullptr, RSRC_CONF,
                  "Seconds of clock difference tolerated in OCSP responses (default 300)"),
    AP_INIT_TAKE1("SSLOCSPResponseMaxAge", set_ocsp_response_max_age, nullptr, RSRC_CONF,
                  "Oldest OCSP response accepted, in seconds (default -1: any)"),
    AP_INIT_TAKE1("SSLOCSPResponderTimeout", set_ocsp_responder_timeout, nullptr, RSRC_CONF,
                  "Seconds to wait for the OCSP responder (default 10)"),
    AP_INIT_TAKE1("SSLOCSPUseRequestNonce", set_ocsp_use_request_nonce, nullptr, RSRC_CONF,
                  "Send a nonce in OCSP requests and require it back: on or off"),
    AP_INIT_TAKE1("SSLOCSPProxyURL", set_ocsp_proxy_url, nullptr, RSRC_CONF,
                  "HTTP proxy for OCSP requests, e.g. http://proxy:3128/"),
    AP_INIT_TAKE1("SSLOCSPNoVerify", set_ocsp_no_verify, nullptr, RSRC_CONF,
                  "Skip the signature check of OCSP responses: on or off"),
    AP_INIT_TAKE1("SSLOCSPResponderCertificateFile", set_ocsp_responder_certificate_file, nullptr,
                  RSRC_CONF, "PEM file with trusted OCSP responder certificates"),
    AP_INIT_RAW_ARGS("SSLRequire", add_requirement, nullptr, OR_AUTHCFG,
                     "Boolean expression (mod_ssl's legacy syntax) that must hold for access"),
    AP_INIT_TAKE1("SSLRenegBufferSize", set_reneg_buffer_size, nullptr, OR_AUTHCFG,
                  "Bytes of a request body held while the connection renegotiates (default "
                  "131072)"),
    AP_INIT_TAKE1("SSLUserName", set_user_name, nullptr, OR_AUTHCFG,
                  "Variable whose value becomes the request's user, e.g. SSL_CLIENT_S_DN_CN"),
    {nullptr, {nullptr}, nullptr, 0, RAW_ARGS, nullptr},
};
