// Connection-level shims: attach TLS to new connections, drive the handshake, and tell httpd
// (and mod_http2, mod_rewrite, mod_proxy ...) which connections are encrypted.
#include "adapter/records.h"
#include "http_connection.h"
#include "http_log.h"
#include "io/async_handshake.h"
#include "io/tls_connection.h"
#include "module/hooks.h"
#include "startup/random_seed.h"
#include "tls/vhost_context.h"

namespace modssl::module {

int on_pre_connection(conn_rec* c, void* /*csd*/) {
  if (c->master || c->outgoing || io::tls_disabled(c)) return DECLINED;
  ServerRecord* rec = server_record(c->base_server);
  if (!rec || !rec->context) return DECLINED;
  startup::seed_connection(c);  // SSLRandomSeed connect ...; a flag test when none is configured
  return io::attach_tls(c, rec->context->ssl_ctx()) ? OK : DONE;
}

int on_process_connection(conn_rec* c) {
  io::TlsConnection* t = c->master ? nullptr : io::tls_connection(c);
  if (!t || (t->phase != io::Phase::Handshake && t->waited_for_first_request)) return DECLINED;
  // The handshake (and with it SNI and ALPN) runs before httpd or the protocol ALPN chose
  // reads the first request; under the event MPM without holding this thread while waiting.
  const bool can_wait = c->cs && io::mpm_can_wait_io();
  if (can_wait) c->cs->sense = CONN_SENSE_DEFAULT;
  switch (io::advance_connection(t, can_wait)) {
    case io::ConnectionStep::Proceed:
      return DECLINED;
    case io::ConnectionStep::WaitRead:
      c->cs->state = CONN_STATE_ASYNC_WAITIO;
      c->cs->sense = CONN_SENSE_WANT_READ;
      return OK;
    case io::ConnectionStep::WaitWrite:
      c->cs->state = CONN_STATE_ASYNC_WAITIO;
      c->cs->sense = CONN_SENSE_WANT_WRITE;
      return OK;
  }
  return DECLINED;
}

int on_conn_is_ssl(conn_rec* c) {
  io::TlsConnection* t = io::tls_connection(c);
  if (!t) return DECLINED;
  return (t->phase == io::Phase::Handshake || t->phase == io::Phase::Open) ? OK : DECLINED;
}

const char* on_http_scheme(const request_rec* r) {
  ServerRecord* rec = server_record(r->server);
  return rec && rec->config.engine == config::EngineMode::On ? "https" : nullptr;
}

apr_port_t on_default_port(const request_rec* r) {
  ServerRecord* rec = server_record(r->server);
  return rec && rec->config.engine == config::EngineMode::On ? 443 : 0;
}

int on_bind_outgoing(conn_rec* c, ap_conf_vector_t* /*dir_conf*/, int enable) {
  if (!enable) {
    io::disable_tls(c);
    return DECLINED;
  }
  ap_log_cerror(APLOG_MARK, APLOG_ERR, 0, c,
                "TLS to proxy backends (SSLProxyEngine) is not available in this build");
  return DECLINED;
}

}  // namespace modssl::module
