#include "tls/vhost_context.h"

#include <cstring>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include "tls/client_verify.h"
#include "tls/openssl_error.h"

namespace modssl::tls {
namespace {

using config::fail;
using config::Result;
using config::Status;

bool is_self_issued(X509* cert) {
  return X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)) == 0;
}

// Is the leaf's issuer something a client could already have (the system trust store)?
// The system trust store, loaded once per process: reading the CA bundle costs ~20 ms, which
// would otherwise be paid for every certificate on every (graceful) restart.
X509_STORE* system_store() {
  static X509_STORE* store = [] {
    X509_STORE* s = X509_STORE_new();
    if (s && X509_STORE_set_default_paths(s) != 1) {
      X509_STORE_free(s);
      s = nullptr;
    }
    ERR_clear_error();
    return s;
  }();
  return store;
}

bool issuer_in_system_store(X509* leaf) {
  X509_STORE* store = system_store();
  if (!store) return false;
  std::unique_ptr<X509_STORE_CTX, FreeWith<X509_STORE_CTX_free>> sctx(X509_STORE_CTX_new());
  if (!sctx || X509_STORE_CTX_init(sctx.get(), store, leaf, nullptr) != 1) {
    ERR_clear_error();
    return false;
  }
  X509* issuer = nullptr;
  bool found = X509_STORE_CTX_get1_issuer(&issuer, sctx.get(), leaf) == 1;
  X509_free(issuer);
  ERR_clear_error();
  return found;
}

void check_certificate(const std::string& file, X509* leaf, bool has_chain, const EVP_PKEY* key,
                       const ContextSpec& spec, std::vector<std::string>& warnings) {
  const std::string where = "certificate '" + file + "' of " + spec.vhost_id;
  if (X509_cmp_current_time(X509_get0_notAfter(leaf)) < 0) {
    warnings.push_back(where + " expired on " + time_text(X509_get0_notAfter(leaf)) +
                       "; clients will reject it");
  }
  if (X509_cmp_current_time(X509_get0_notBefore(leaf)) > 0) {
    warnings.push_back(where + " is not valid before " + time_text(X509_get0_notBefore(leaf)) +
                       "; check the system clock");
  }
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA && EVP_PKEY_get_bits(key) < 2048) {
    warnings.push_back(where + " has a " + std::to_string(EVP_PKEY_get_bits(key)) +
                       "-bit RSA key; use 2048 bits or more");
  }
  if (!spec.server_names.empty()) {
    bool covered = false;
    for (const std::string& name : spec.server_names) {
      if (name.empty()) continue;
      if (X509_check_host(leaf, name.c_str(), name.size(), 0, nullptr) == 1 ||
          X509_check_ip_asc(leaf, name.c_str(), 0) == 1) {
        covered = true;
        break;
      }
    }
    if (!covered) {
      std::string names;
      for (const std::string& n : spec.server_names) names += (names.empty() ? "" : ", ") + n;
      warnings.push_back(where + " (subject " + name_oneline(X509_get_subject_name(leaf)) +
                         ") does not cover the server name(s) " + names +
                         "; clients will report a name mismatch");
    }
  }
  if (!has_chain && !is_self_issued(leaf) && !issuer_in_system_store(leaf)) {
    warnings.push_back(where + " was issued by " + name_oneline(X509_get_issuer_name(leaf)) +
                       ", which is neither in the file nor in SSLCertificateChainFile; clients "
                       "that do not already have that CA will fail to verify (append the "
                       "intermediate certificates to the certificate file)");
  }
}

// Applies SSLOpenSSLConfCmd pairs to a context or a connection. Returns the first failure.
Status apply_conf_cmds(SSL_CTX* ctx, SSL* ssl,
                       const std::vector<std::pair<std::string, std::string>>& cmds) {
  if (cmds.empty()) return config::ok_status();
  SslConfCtxPtr cctx(SSL_CONF_CTX_new());
  SSL_CONF_CTX_set_flags(cctx.get(), SSL_CONF_FLAG_FILE | SSL_CONF_FLAG_SERVER |
                                         SSL_CONF_FLAG_CERTIFICATE | SSL_CONF_FLAG_SHOW_ERRORS);
  if (ctx) SSL_CONF_CTX_set_ssl_ctx(cctx.get(), ctx);
  if (ssl) SSL_CONF_CTX_set_ssl(cctx.get(), ssl);
  for (const auto& [name, value] : cmds) {
    ERR_clear_error();
    int rc = SSL_CONF_cmd(cctx.get(), name.c_str(), value.c_str());
    if (rc > 0) continue;
    std::string why = rc == -2   ? "unknown command"
                      : rc == -3 ? "a value is required"
                                 : drain_openssl_errors("value refused by OpenSSL");
    return fail("SSLOpenSSLConfCmd " + name + " '" + value + "': " + why);
  }
  if (SSL_CONF_CTX_finish(cctx.get()) != 1) {
    return fail("SSLOpenSSLConfCmd: " + drain_openssl_errors("cannot finish configuration"));
  }
  return config::ok_status();
}

std::string join_cipher_names(STACK_OF(SSL_CIPHER) * ciphers, bool tls13) {
  std::string out;
  for (int i = 0; i < sk_SSL_CIPHER_num(ciphers); ++i) {
    const SSL_CIPHER* c = sk_SSL_CIPHER_value(ciphers, i);
    bool is13 = std::strcmp(SSL_CIPHER_get_version(c), "TLSv1.3") == 0;
    if (is13 != tls13) continue;
    if (!out.empty()) out += ':';
    out += SSL_CIPHER_get_name(c);
  }
  return out;
}

// A certificate without a configured chain gets the one the context's store
// (SSLCACertificateFile/Path) can build for it, once, as OpenSSL's per-handshake automatic
// chaining would (which SSL_MODE_NO_AUTO_CHAIN turns off), and as stock mod_ssl sends it.
// Applies to the certificate just set; true when a chain was found.
bool chain_from_ca_store(SSL_CTX* ctx) {
  SSL_CTX_build_cert_chain(ctx, SSL_BUILD_CHAIN_FLAG_IGNORE_ERROR);
  ERR_clear_error();
  STACK_OF(X509)* chain = nullptr;
  SSL_CTX_get0_chain_certs(ctx, &chain);
  return sk_X509_num(chain) > 0;
}

}  // namespace

std::pair<int, int> protocol_bounds(unsigned bits) {
  static constexpr std::pair<unsigned, int> kOrder[] = {{config::kTLSv1, TLS1_VERSION},
                                                        {config::kTLSv1_1, TLS1_1_VERSION},
                                                        {config::kTLSv1_2, TLS1_2_VERSION},
                                                        {config::kTLSv1_3, TLS1_3_VERSION}};
  int lo = 0, hi = 0;
  for (const auto& [bit, version] : kOrder) {
    if (!(bits & bit)) continue;
    if (!lo) lo = version;
    hi = version;
  }
  return {lo, hi};
}

Result<std::shared_ptr<VhostContext>> VhostContext::create(const ContextSpec& spec,
                                                           std::vector<std::string>& warnings) {
  std::shared_ptr<VhostContext> self(new VhostContext());
  self->config_ = *spec.config;
  self->id_ = spec.vhost_id;
  const config::ServerConfig& cfg = self->config_;

  ERR_clear_error();
  self->ctx_.reset(SSL_CTX_new(TLS_server_method()));
  if (!self->ctx_) return fail("cannot create a TLS context: " + drain_openssl_errors());
  SSL_CTX* ctx = self->ctx_.get();

  // Compression is refused at parse time (CRIME); unsafe legacy renegotiation only on request.
  // Client-initiated renegotiation (TLS <= 1.2) lets one client make the server redo
  // expensive handshakes at will; it is refused, as stock mod_ssl does. Per-directory upgrades
  // that need a server-initiated renegotiation lift this on their own connection only.
  uint64_t opts = SSL_OP_NO_COMPRESSION | SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION;
  if (config::is_on(cfg.honor_cipher_order, false)) opts |= SSL_OP_CIPHER_SERVER_PREFERENCE;
  if (!config::is_on(cfg.session_tickets, true)) opts |= SSL_OP_NO_TICKET;
  if (config::is_on(cfg.insecure_renegotiation, false)) {
    opts |= SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION;
  }
  SSL_CTX_set_options(ctx, opts);
  SSL_CTX_set_dh_auto(ctx, 1);
  // An idle keep-alive connection need not hold OpenSSL's record buffers (about 34 KiB per
  // connection); they are taken again from the allocator when the next record comes.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  // Without a configured chain OpenSSL would otherwise try, on every handshake, to build one
  // from the context's certificate store (an X509_verify_cert per handshake). Chains that the
  // store can complete (SSLCACertificateFile/Path holding the server's issuers, which stock
  // mod_ssl sends) are built once, below, after the store is loaded.
  SSL_CTX_set_mode(ctx, SSL_MODE_NO_AUTO_CHAIN);

  const auto [lo, hi] = protocol_bounds(config::effective_protocols(cfg));
  if (!lo) return fail("SSLProtocol for " + spec.vhost_id + " enables no protocol");
  SSL_CTX_set_min_proto_version(ctx, lo);
  SSL_CTX_set_max_proto_version(ctx, hi);

  if (cfg.cipher_suite && SSL_CTX_set_cipher_list(ctx, cfg.cipher_suite->c_str()) != 1) {
    return fail("SSLCipherSuite '" + *cfg.cipher_suite + "' for " + spec.vhost_id +
                " selects no cipher OpenSSL knows (" + drain_openssl_errors() +
                "); see `openssl ciphers -v '" + *cfg.cipher_suite + "'`");
  }
  if (cfg.tls13_ciphersuites &&
      SSL_CTX_set_ciphersuites(ctx, cfg.tls13_ciphersuites->c_str()) != 1) {
    return fail("SSLCipherSuite TLSv1.3 '" + *cfg.tls13_ciphersuites + "' for " + spec.vhost_id +
                " is not a list of TLS 1.3 cipher suites (" + drain_openssl_errors() +
                "); allowed names: TLS_AES_256_GCM_SHA384, "
                "TLS_CHACHA20_POLY1305_SHA256, TLS_AES_128_GCM_SHA256, TLS_AES_128_CCM_SHA256, "
                "TLS_AES_128_CCM_8_SHA256");
  }

  // No per-process cache, so that all children behave alike; start-up then connects the shared
  // session cache (session/openssl_session_hooks.h) when SSLSessionCache names one.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  // A session resumes only on the vhost that made it. The context is stock mod_ssl's (the
  // lower-case hex MD5 of "ServerName:port"), so that a fleet mixing this module and the stock
  // one, sharing a cache or ticket keys, resumes each other's sessions. MD5 here is a label, not
  // a security function.
  const std::string& sid_source =
      spec.session_id_context.empty() ? spec.vhost_id : spec.session_id_context;
  unsigned char md5[EVP_MAX_MD_SIZE];
  unsigned int md5_len = 0;
  if (!EVP_Digest(sid_source.data(), sid_source.size(), md5, &md5_len, EVP_md5(), nullptr)) {
    return fail("cannot compute the session id context of " + spec.vhost_id + ": " +
                drain_openssl_errors());
  }
  static constexpr char kHex[] = "0123456789abcdef";
  unsigned char sid_ctx[2 * 16];
  for (unsigned int i = 0; i < md5_len && i < 16; ++i) {
    sid_ctx[2 * i] = static_cast<unsigned char>(kHex[md5[i] >> 4]);
    sid_ctx[2 * i + 1] = static_cast<unsigned char>(kHex[md5[i] & 0xF]);
  }
  SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof sid_ctx);

  // The client CAs first: their store may complete the server's own chain (below).
  if (Status st = configure_client_verification(ctx, cfg, spec.vhost_id, warnings); !st) {
    return fail(st.error());
  }
  if (Status st = self->load_certificates(spec, warnings); !st) return fail(st.error());
  if (Status st = self->apply_conf_cmds_to_ctx(); !st) {
    return fail(st.error() + " (in " + spec.vhost_id + ")");
  }

  const ContextCallbacks& cb = spec.callbacks;
  if (cb.client_hello) SSL_CTX_set_client_hello_cb(ctx, cb.client_hello, nullptr);
  if (cb.servername) SSL_CTX_set_tlsext_servername_callback(ctx, cb.servername);
  if (cb.alpn) SSL_CTX_set_alpn_select_cb(ctx, cb.alpn, nullptr);
  if (cb.keylog) SSL_CTX_set_keylog_callback(ctx, cb.keylog);
  if (cb.info) SSL_CTX_set_info_callback(ctx, cb.info);

  self->capture_effective_settings();
  return self;
}

Status VhostContext::load_certificates(const ContextSpec& spec,
                                       std::vector<std::string>& warnings) {
  const config::ServerConfig& cfg = config_;
  if (cfg.certificate_files.empty()) {
    return fail("no SSLCertificateFile configured for " + spec.vhost_id +
                " although SSLEngine is on; add SSLCertificateFile and SSLCertificateKeyFile");
  }
  std::vector<X509Ptr> chain_file_certs;
  if (!cfg.certificate_chain_file.empty()) {
    auto chain = tls::load_certificates(cfg.certificate_chain_file);
    if (!chain) return fail("SSLCertificateChainFile: " + chain.error());
    chain_file_certs = std::move(chain).value();
  }
  for (size_t i = 0; i < cfg.certificate_files.size(); ++i) {
    const std::string& cert_path = cfg.certificate_files[i];
    const bool key_in_cert = i >= cfg.key_files.size() || cfg.key_files[i].empty();
    const std::string& key_path = key_in_cert ? cert_path : cfg.key_files[i];

    auto cert = load_certificate_file(cert_path);
    if (!cert) return fail("SSLCertificateFile: " + cert.error());
    auto key = load_private_key(key_path, spec.passphrases);
    if (!key) {
      return fail((key_in_cert ? "SSLCertificateFile (no SSLCertificateKeyFile given): "
                               : "SSLCertificateKeyFile: ") +
                  key.error());
    }
    X509* leaf = cert->leaf.get();
    EVP_PKEY* pkey = key->get();
    ERR_clear_error();
    if (X509_check_private_key(leaf, pkey) != 1) {
      return fail("private key '" + key_path + "' does not match certificate '" + cert_path +
                  "' (" + drain_openssl_errors("key values mismatch") +
                  "); check that both files belong together, e.g. compare `openssl x509 "
                  "-noout -pubkey -in CERT` with `openssl pkey -pubout -in KEY`");
    }
    if (SSL_CTX_use_certificate(ctx_.get(), leaf) != 1) {
      return fail("certificate '" + cert_path + "' refused by OpenSSL: " + drain_openssl_errors() +
                  " (a key that is too weak for the security level?)");
    }
    const std::vector<X509Ptr>& chain = cert->chain.empty() ? chain_file_certs : cert->chain;
    for (const X509Ptr& c : chain) {
      if (SSL_CTX_add1_chain_cert(ctx_.get(), c.get()) != 1) {
        return fail("chain certificate for '" + cert_path +
                    "' refused by OpenSSL: " + drain_openssl_errors());
      }
    }
    if (SSL_CTX_use_PrivateKey(ctx_.get(), pkey) != 1) {
      return fail("private key '" + key_path + "' refused by OpenSSL: " + drain_openssl_errors());
    }
    bool has_chain = !chain.empty();
    if (!has_chain && (!cfg.ca_certificate_file.empty() || !cfg.ca_certificate_path.empty())) {
      has_chain = chain_from_ca_store(ctx_.get());
    }
    check_certificate(cert_path, leaf, has_chain, pkey, spec, warnings);
  }
  return config::ok_status();
}

Status VhostContext::apply_conf_cmds_to_ctx() {
  return apply_conf_cmds(ctx_.get(), nullptr, config_.openssl_conf_cmds);
}

void VhostContext::capture_effective_settings() {
  SSL_CTX* ctx = ctx_.get();
  min_version_ = static_cast<int>(SSL_CTX_get_min_proto_version(ctx));
  max_version_ = static_cast<int>(SSL_CTX_get_max_proto_version(ctx));
  cipher_list_ = join_cipher_names(SSL_CTX_get_ciphers(ctx), false);
  ciphersuites_ = join_cipher_names(SSL_CTX_get_ciphers(ctx), true);
  options_ = SSL_CTX_get_options(ctx);
}

// A connection without cipher lists of its own negotiates with those of its context, which
// after SSL_set_SSL_CTX are this vhost's: nothing to copy. Setting them anyway would give the
// connection a private pair of lists, about 1 KiB kept for its whole life. Only a connection
// that was given lists of its own before the switch needs this vhost's set on it.
bool VhostContext::adopt_ciphers(SSL* ssl) const {
  if (SSL_get_ciphers(ssl) == SSL_CTX_get_ciphers(ctx_.get())) return true;
  bool ok = true;
  // An empty list means the vhost allows none of that kind; OpenSSL refuses an empty TLS 1.2
  // list, so leave the connection's list alone then and rely on the version bounds.
  if (!cipher_list_.empty()) ok &= SSL_set_cipher_list(ssl, cipher_list_.c_str()) == 1;
  ok &= SSL_set_ciphersuites(ssl, ciphersuites_.c_str()) == 1;
  return ok;
}

bool VhostContext::adopt(SSL* ssl) const {
  if (SSL_get_SSL_CTX(ssl) == ctx_.get()) return true;
  if (!SSL_set_SSL_CTX(ssl, ctx_.get())) return false;
  SSL_clear_options(ssl, SSL_get_options(ssl) & ~options_);
  SSL_set_options(ssl, options_);
  // A vhost that sets no SSLProtocol (not even through the main server) keeps the range the
  // connection started with, as stock mod_ssl does: the default vhost's range still applies.
  if (config_.protocols) {
    SSL_set_min_proto_version(ssl, min_version_);
    SSL_set_max_proto_version(ssl, max_version_);
  }
  bool ok = adopt_ciphers(ssl);
  if (!config_.openssl_conf_cmds.empty()) {
    ok &= static_cast<bool>(apply_conf_cmds(nullptr, ssl, config_.openssl_conf_cmds));
  }
  SSL_set_verify(ssl, SSL_CTX_get_verify_mode(ctx_.get()), SSL_CTX_get_verify_callback(ctx_.get()));
  ERR_clear_error();
  return ok;
}

}  // namespace modssl::tls
