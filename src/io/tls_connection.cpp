#include "io/tls_connection.h"

#include <new>

#include <openssl/err.h>

#include "adapter/records.h"
#include "ap_mpm.h"
#include "http_connection.h"
#include "http_log.h"
#include "io/body_replay.h"
#include "io/brigade_bio.h"
#include "io/coalesce.h"
#include "io/filters.h"
#include "tls/openssl_error.h"

namespace modssl::io {
namespace {

ap_filter_rec_t* g_input_filter = nullptr;
ap_filter_rec_t* g_output_filter = nullptr;
ap_filter_rec_t* g_coalesce_filter = nullptr;

// What c->conn_config holds for us: set before pre_connection by other modules (disable) or
// by our pre_connection (the TLS state).
struct ConnRecord {
  bool disabled = false;
  TlsConnection* tls = nullptr;
};

ConnRecord* conn_record(conn_rec* c, bool create) {
  auto* rec = static_cast<ConnRecord*>(ap_get_module_config(c->conn_config, &ssl_module));
  if (!rec && create) {
    rec = static_cast<ConnRecord*>(apr_pcalloc(c->pool, sizeof(ConnRecord)));
    new (rec) ConnRecord();
    ap_set_module_config(c->conn_config, &ssl_module, rec);
  }
  return rec;
}

apr_status_t destroy_tls_connection(void* data) {
  auto* t = static_cast<TlsConnection*>(data);
  // A prefork child told to stop (SIGTERM, "just_die") destroys its pools from the signal
  // handler, possibly while this very connection is inside SSL_read or SSL_write, halfway
  // through OpenSSL's own frees: SSL_free there would free the same buffers twice. The
  // process is exiting, so the SSL object is left to the exit instead.
  int state = AP_MPMQ_RUNNING;
  if (t->ssl && ap_mpm_query(AP_MPMQ_MPM_STATE, &state) == APR_SUCCESS &&
      state == AP_MPMQ_STOPPING) {
    (void)t->ssl.release();
  }
  t->~TlsConnection();
  return APR_SUCCESS;
}

}  // namespace

TlsConnection* tls_connection(conn_rec* c) {
  ConnRecord* rec = conn_record(c, false);
  if ((!rec || !rec->tls) && c->master) rec = conn_record(c->master, false);
  return rec ? rec->tls : nullptr;
}

void disable_tls(conn_rec* c) { conn_record(c, true)->disabled = true; }

bool tls_disabled(conn_rec* c) {
  ConnRecord* rec = conn_record(c, false);
  return rec && rec->disabled;
}

TlsConnection* attach_tls(conn_rec* c, SSL_CTX* ctx) {
  void* mem = apr_pcalloc(c->pool, sizeof(TlsConnection));
  auto* t = new (mem) TlsConnection();
  apr_pool_cleanup_register(c->pool, t, destroy_tls_connection, apr_pool_cleanup_null);
  t->c = c;
  t->handshake_server = c->base_server;

  ERR_clear_error();
  t->ssl.reset(SSL_new(ctx));
  BIO* bio = t->ssl ? new_brigade_bio(t) : nullptr;
  if (!bio) {
    std::string why = tls::drain_openssl_errors();
    ap_log_cerror(APLOG_MARK, APLOG_ERR, 0, c, "cannot set up TLS for a new connection: %s",
                  why.c_str());
    c->aborted = 1;
    return nullptr;
  }
  SSL_set_bio(t->ssl.get(), bio, bio);
  SSL_set_app_data(t->ssl.get(), t);
  SSL_set_accept_state(t->ssl.get());

  t->cipher_in = apr_brigade_create(c->pool, c->bucket_alloc);
  t->cipher_out = apr_brigade_create(c->pool, c->bucket_alloc);
  t->input_filter = ap_add_input_filter_handle(g_input_filter, t, nullptr, c);
  t->output_filter = ap_add_output_filter_handle(g_output_filter, t, nullptr, c);
  ap_add_output_filter_handle(g_coalesce_filter, nullptr, nullptr, c);
  conn_record(c, true)->tls = t;
  return t;
}

void register_filters() {
  register_body_replay_filter();
  // The names are those of the stock module, which other modules and admins may refer to.
  g_input_filter = ap_register_input_filter("SSL/TLS Filter", tls_input_filter, nullptr,
                                            static_cast<ap_filter_type>(AP_FTYPE_CONNECTION + 5));
  g_output_filter = ap_register_output_filter(
      "SSL/TLS Filter", tls_output_filter, nullptr,
      static_cast<ap_filter_type>(AP_FTYPE_CONNECTION + 5));
  g_coalesce_filter = ap_register_output_filter(
      "SSL/TLS Coalescing Filter", coalesce_output_filter, nullptr,
      static_cast<ap_filter_type>(AP_FTYPE_CONNECTION + 4));
}

}  // namespace modssl::io
