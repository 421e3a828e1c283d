#include "io/async_handshake.h"

#include <cstring>

#include <openssl/ssl.h>

#include "adapter/records.h"
#include "ap_mpm.h"
#include "http_connection.h"
#include "http_protocol.h"
#include "http_log.h"
#include "io/brigade_bio.h"
#include "io/handshake.h"

namespace modssl::io {
namespace {

// The core output filter: the last one of the connection's chain.
ap_filter_t* network_filter(TlsConnection* t) {
  ap_filter_t* f = t->output_filter ? t->output_filter->next : nullptr;
  while (f && f->next) f = f->next;
  return f && f->frec && f->frec->ftype == AP_FTYPE_NETWORK ? f : nullptr;
}

// Hands what OpenSSL wrote to the network without blocking. The ciphertext goes through the
// filters below ours (so mod_logio counts it); then the core output filter is asked for a
// non-blocking write of everything it holds, which is how the event MPM itself completes
// writes. APR_EAGAIN: some of it is still waiting for room in the socket.
apr_status_t send_without_blocking(TlsConnection* t) {
  conn_rec* c = t->c;
  ap_filter_t* core = network_filter(t);
  if (!core) return pass_cipher_out(t, true);  // an unknown chain: a plain blocking flush
  if (!APR_BRIGADE_EMPTY(t->cipher_out)) {
    apr_status_t rv = pass_cipher_out(t, false);
    if (rv != APR_SUCCESS) return rv;
  }
  if (c->data_in_output_filters) {
    apr_status_t rv = core->frec->filter_func.out_func(core, nullptr);
    if (rv != APR_SUCCESS) {
      c->aborted = 1;
      return rv;
    }
  }
  return c->data_in_output_filters ? APR_EAGAIN : APR_SUCCESS;
}

// Runs the handshake through the whole input chain (AP_MODE_INIT), as stock mod_ssl does, so
// filters above ours (mod_reqtimeout's handshake stage) see it.
// A brigade for one read, made once per connection (each apr_brigade_create takes memory from
// c->pool that is only returned when the connection ends).
apr_bucket_brigade* scratch_brigade(TlsConnection* t) {
  if (!t->handshake_bb) t->handshake_bb = apr_brigade_create(t->c->pool, t->c->bucket_alloc);
  return t->handshake_bb;
}

void init_read(TlsConnection* t, apr_read_type_e block) {
  apr_bucket_brigade* bb = scratch_brigade(t);
  ap_get_brigade(t->c->input_filters, bb, AP_MODE_INIT, block, 0);
  apr_brigade_cleanup(bb);
}

// HTTP/1.x and HTTP/2 clients speak first, so waiting for their first bytes is safe; a
// protocol in which the server speaks first must get the connection at once.
bool client_speaks_first(conn_rec* c) {
  const char* protocol = ap_get_protocol(c);
  return protocol && (std::strcmp(protocol, AP_PROTOCOL_HTTP1) == 0 ||
                      std::strcmp(protocol, "h2") == 0);
}

// Is anything (data, or the end of the stream) ready to be read right now?
bool input_ready(TlsConnection* t) {
  if (SSL_pending(t->ssl.get()) > 0 || !t->plain_pending.empty() ||
      !APR_BRIGADE_EMPTY(t->cipher_in)) {
    return true;
  }
  apr_bucket_brigade* bb = scratch_brigade(t);
  // A speculative read leaves what it finds in the core input filter for the real read.
  apr_status_t rv = ap_get_brigade(t->input_filter->next, bb, AP_MODE_SPECULATIVE,
                                   APR_NONBLOCK_READ, 1);
  const bool empty = APR_BRIGADE_EMPTY(bb);
  apr_brigade_cleanup(bb);
  return !(APR_STATUS_IS_EAGAIN(rv) || (rv == APR_SUCCESS && empty));
}

// Returns `step` after saying (at trace level) why the connection goes back to the MPM.
ConnectionStep wait_for(TlsConnection* t, ConnectionStep step, const char* what) {
  if (APLOG_C_IS_LEVEL(t->c, APLOG_TRACE2)) {
    ap_log_cerror(APLOG_MARK, APLOG_TRACE2, 0, t->c,
                  "client %s: %s; the connection waits in the MPM, not in a worker",
                  client_label(t->c), what);
  }
  return step;
}

}  // namespace

bool mpm_can_wait_io() {
  static const bool can = [] {
    int answer = 0;
    return ap_mpm_query(AP_MPMQ_CAN_WAITIO, &answer) == APR_SUCCESS && answer != 0;
  }();
  return can;
}

ConnectionStep advance_connection(TlsConnection* t, bool can_wait) {
  if (!can_wait) {
    if (t->phase == Phase::Handshake) init_read(t, APR_BLOCK_READ);
    return ConnectionStep::Proceed;
  }
  conn_rec* c = t->c;
  t->async_handshake = true;

  // First what an earlier call could not write: the client may be waiting for it.
  if (c->data_in_output_filters || !APR_BRIGADE_EMPTY(t->cipher_out)) {
    apr_status_t rv = send_without_blocking(t);
    if (APR_STATUS_IS_EAGAIN(rv)) {
      return wait_for(t, ConnectionStep::WaitWrite, "the socket still cannot take our output");
    }
    if (rv != APR_SUCCESS) return ConnectionStep::Proceed;  // aborted; the protocol sees it
  }

  if (t->phase == Phase::Handshake) {
    init_read(t, APR_NONBLOCK_READ);
    apr_status_t rv = send_without_blocking(t);
    if (APR_STATUS_IS_EAGAIN(rv)) {
      return wait_for(t, ConnectionStep::WaitWrite, "the handshake flight does not fit the socket");
    }
    if (rv != APR_SUCCESS) return ConnectionStep::Proceed;
    if (t->phase == Phase::Handshake) {
      return wait_for(t, ConnectionStep::WaitRead, "the handshake waits for the client's next flight");
    }
  }

  t->async_handshake = false;
  if (t->phase == Phase::Open && !t->waited_for_first_request) {
    t->waited_for_first_request = true;
    if (client_speaks_first(c) && !input_ready(t)) {
      return wait_for(t, ConnectionStep::WaitRead, "handshake done, no request yet");
    }
  }
  return ConnectionStep::Proceed;
}

}  // namespace modssl::io
