#include "io/body_replay.h"

#include "adapter/records.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_filter.h"

namespace modssl::io {
namespace {

ap_filter_rec_t* g_replay_filter = nullptr;

struct Held {
  apr_bucket_brigade* body = nullptr;  // the body's buckets, ending with EOS
};

// Hands out the held body in the sizes asked for; the handler never reaches the filters below,
// whose part of the body was consumed while it was held.
apr_status_t replay_filter(ap_filter_t* f, apr_bucket_brigade* bb, ap_input_mode_t mode,
                           apr_read_type_e /*block*/, apr_off_t readbytes) {
  auto* held = static_cast<Held*>(f->ctx);
  if (mode != AP_MODE_READBYTES && mode != AP_MODE_SPECULATIVE) return APR_ENOTIMPL;
  if (APR_BRIGADE_EMPTY(held->body)) {
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(bb->bucket_alloc));
    return APR_SUCCESS;
  }
  apr_bucket* split = nullptr;
  apr_status_t rv = apr_brigade_partition(held->body, readbytes, &split);
  if (rv != APR_SUCCESS && rv != APR_INCOMPLETE) return rv;
  if (mode == AP_MODE_SPECULATIVE) {
    for (apr_bucket* b = APR_BRIGADE_FIRST(held->body); b != split; b = APR_BUCKET_NEXT(b)) {
      apr_bucket* copy = nullptr;
      if (apr_bucket_copy(b, &copy) == APR_SUCCESS) APR_BRIGADE_INSERT_TAIL(bb, copy);
    }
    return APR_SUCCESS;
  }
  while (!APR_BRIGADE_EMPTY(held->body) && APR_BRIGADE_FIRST(held->body) != split) {
    apr_bucket* b = APR_BRIGADE_FIRST(held->body);
    APR_BUCKET_REMOVE(b);
    APR_BRIGADE_INSERT_TAIL(bb, b);
  }
  return APR_SUCCESS;
}

}  // namespace

int hold_request_body(request_rec* r, apr_size_t limit) {
  if (!ap_request_has_body(r)) return OK;
  conn_rec* c = r->connection;
  auto* held = static_cast<Held*>(apr_pcalloc(r->pool, sizeof(Held)));
  held->body = apr_brigade_create(r->pool, c->bucket_alloc);
  apr_bucket_brigade* bb = apr_brigade_create(r->pool, c->bucket_alloc);
  apr_off_t total = 0;
  for (bool eos = false; !eos;) {
    apr_status_t rv = ap_get_brigade(r->input_filters, bb, AP_MODE_READBYTES, APR_BLOCK_READ, 8192);
    if (rv != APR_SUCCESS) {
      ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                    "could not read the request body to hold it during the renegotiation");
      return ap_map_http_request_error(rv, HTTP_BAD_REQUEST);
    }
    while (!APR_BRIGADE_EMPTY(bb)) {
      apr_bucket* b = APR_BRIGADE_FIRST(bb);
      if (APR_BUCKET_IS_EOS(b)) eos = true;
      if (b->length != static_cast<apr_size_t>(-1)) total += static_cast<apr_off_t>(b->length);
      if (apr_bucket_setaside(b, r->pool) != APR_SUCCESS) {
        const char* data = nullptr;  // a bucket that cannot be set aside: read it into memory
        apr_size_t len = 0;
        apr_bucket_read(b, &data, &len, APR_BLOCK_READ);
        apr_bucket_setaside(b, r->pool);
      }
      APR_BUCKET_REMOVE(b);
      if (APR_BUCKET_IS_EOS(b)) {
        apr_bucket_destroy(b);
      } else {
        APR_BRIGADE_INSERT_TAIL(held->body, b);
      }
    }
    if (total > static_cast<apr_off_t>(limit)) {
      ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                    "request body exceeds maximum size (%lu) for SSLRenegBufferSize: %s needs "
                    "the connection renegotiated for client authentication, and only that "
                    "much of a body can be held meanwhile; raise SSLRenegBufferSize for this "
                    "location",
                    static_cast<unsigned long>(limit), r->uri);
      return HTTP_REQUEST_ENTITY_TOO_LARGE;
    }
  }
  ap_add_input_filter_handle(g_replay_filter, held, r, c);
  return OK;
}

void register_body_replay_filter() {
  // Just above the protocol filters: HTTP_IN, which already delivered the body once, must
  // not be asked again.
  g_replay_filter = ap_register_input_filter("SSL/TLS Body Replay", replay_filter, nullptr,
                                             static_cast<ap_filter_type>(AP_FTYPE_PROTOCOL - 1));
}

}  // namespace modssl::io
