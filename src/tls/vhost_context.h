#pragma once
// The TLS context of one virtual host: an SSL_CTX built from that host's merged ServerConfig
// (certificates, keys, chains, protocol range, ciphers, options, SSLOpenSSLConfCmd).
// Config objects stay apart from the context that owns OpenSSL state; building one returns a
// Result with a reason an administrator can act on, never throws.
#include <memory>
#include <string>
#include <vector>

#include "config/result.h"
#include "config/server_config.h"
#include "tls/handles.h"
#include "tls/pem_files.h"

namespace modssl::tls {

// Callbacks the httpd-facing layer installs on every context (they need httpd's vhost and
// protocol APIs, which this layer does not use).
struct ContextCallbacks {
  SSL_client_hello_cb_fn client_hello = nullptr;
  int (*servername)(SSL*, int*, void*) = nullptr;
  SSL_CTX_alpn_select_cb_func alpn = nullptr;
  void (*keylog)(const SSL*, const char*) = nullptr;
  void (*info)(const SSL*, int, int) = nullptr;
};

struct ContextSpec {
  const config::ServerConfig* config = nullptr;  // merged, for this vhost
  std::string vhost_id;                          // "name:port", used in messages
  // "ServerName:port" as stock mod_ssl forms it for the session id context (port 443 when the
  // vhost names none); empty: vhost_id.
  std::string session_id_context;
  std::vector<std::string> server_names;         // ServerName and ServerAlias entries
  const PassphraseSource* passphrases = nullptr;
  ContextCallbacks callbacks;
};

class VhostContext {
 public:
  // Builds the context. Problems that should stop start-up come back as the error; problems an
  // administrator should hear about but that still work (expired certificate, name mismatch,
  // missing intermediate, weak key) are appended to `warnings`.
  static config::Result<std::shared_ptr<VhostContext>> create(const ContextSpec& spec,
                                                              std::vector<std::string>& warnings);

  SSL_CTX* ssl_ctx() const { return ctx_.get(); }
  const config::ServerConfig& config() const { return config_; }
  const std::string& id() const { return id_; }

  // Moves a connection that began on another vhost's context to this one (after SNI picked
  // this vhost): certificates, protocol range, ciphers, options and conf commands.
  bool adopt(SSL* ssl) const;

 private:
  VhostContext() = default;
  config::Status load_certificates(const ContextSpec& spec, std::vector<std::string>& warnings);
  config::Status apply_conf_cmds_to_ctx();
  void capture_effective_settings();
  bool adopt_ciphers(SSL* ssl) const;

  SslCtxPtr ctx_;
  config::ServerConfig config_;
  std::string id_;
  // Read back after set-up so that adopt() reproduces exactly what the context negotiates.
  int min_version_ = 0;
  int max_version_ = 0;
  std::string cipher_list_;
  std::string ciphersuites_;
  uint64_t options_ = 0;
};

// The OpenSSL protocol version bounds for an SSLProtocol bit set (min, max); 0/0 if empty.
std::pair<int, int> protocol_bounds(unsigned protocol_bits);

}  // namespace modssl::tls
