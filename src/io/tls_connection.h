#pragma once
// Per-connection TLS state, allocated in c->pool and found through c->conn_config.
#include <memory>
#include <string>

#include "io/record_sizing.h"
#include "tls/handles.h"

#include "httpd.h"
#include "util_filter.h"

namespace modssl::io {

enum class Phase {
  Handshake,  // ClientHello not yet answered in full
  Open,       // application data flows
  PlainHttp,  // the client spoke plain HTTP to this TLS port; we answer 400 in clear text
  Closed,     // close_notify sent (EOC seen)
  Failed,     // handshake or record layer failed; the connection is aborted
};

enum class ShutdownType {
  Unset,     // no request seen yet
  Standard,  // send close_notify, do not wait for the client's
  Unclean,   // send nothing (clients that break on close_notify)
  Accurate,  // send close_notify and wait for the client's (RFC-exact)
};

struct TlsConnection {
  conn_rec* c = nullptr;
  tls::SslPtr ssl;
  Phase phase = Phase::Handshake;
  // The vhost whose TLS context the handshake used (SNI), and whether SNI named it.
  server_rec* handshake_server = nullptr;
  bool sni_matched = false;

  ap_filter_t* input_filter = nullptr;
  ap_filter_t* output_filter = nullptr;

  // Ciphertext read from the filter below and not yet taken by OpenSSL.
  apr_bucket_brigade* cipher_in = nullptr;
  // Ciphertext OpenSSL produced, waiting to be passed to the filter below.
  apr_bucket_brigade* cipher_out = nullptr;
  apr_size_t cipher_out_bytes = 0;

  // The last status from the filters below, so the TLS filters can return it as it was.
  apr_status_t read_status = APR_SUCCESS;
  apr_status_t write_status = APR_SUCCESS;
  apr_read_type_e read_block = APR_BLOCK_READ;  // mode of the read in progress
  bool read_eof = false;
  bool first_bytes_checked = false;

  // Set while the MPM drives the handshake without a thread waiting on the socket (event MPM,
  // see io/async_handshake.h): output is passed down without a blocking flush, and reads that
  // find no data return to the MPM instead of waiting.
  bool async_handshake = false;
  // The connection went back to the MPM once after the handshake to wait for the first
  // request bytes; the next process_connection call hands it to the protocol.
  bool waited_for_first_request = false;
  // The last per-directory SSLCipherSuite checked against this connection's cipher, so that
  // keep-alive requests to such a directory do not parse the list again (allocated on first
  // use: most connections never need it).
  struct CipherVerdict {
    std::string spec;
    unsigned long cipher_id = 0;
    bool allowed = false;
  };
  std::unique_ptr<CipherVerdict> cipher_verdict;
  // A TLS 1.3 post-handshake certificate request was made on this connection (once only).
  bool post_handshake_auth_done = false;
  // A scratch brigade for the reads that drive the handshake (made on first use, reused).
  apr_bucket_brigade* handshake_bb = nullptr;

  // Decrypted bytes read ahead for GETLINE / SPECULATIVE and not yet handed up.
  std::string plain_pending;
  std::size_t plain_pending_off = 0;

  // How the connection ends (SetEnvIf ssl-unclean-shutdown / ssl-accurate-shutdown); settled
  // by the first request on the connection, as in stock mod_ssl.
  ShutdownType shutdown = ShutdownType::Unset;

  // How large the next output record may be: small at the start and after a pause, full once
  // data flows (see record_sizing.h).
  RecordSizer record_sizer;
};

// The connection's TLS state (for HTTP/2 secondary connections, the primary's), or null.
TlsConnection* tls_connection(conn_rec* c);

// Creates the TLS state for a new inbound connection whose base server has TLS enabled and
// inserts the TLS filters. Returns null (and logs) when the connection cannot be set up.
TlsConnection* attach_tls(conn_rec* c, SSL_CTX* ctx);

// Marks `c` as not to be encrypted (ssl_engine_disable / ssl_engine_set from other modules).
void disable_tls(conn_rec* c);
bool tls_disabled(conn_rec* c);

// Registers the TLS input and output filters; called once from register_hooks.
void register_filters();

}  // namespace modssl::io
