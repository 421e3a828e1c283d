#include "io/coalesce.h"

#include "http_connection.h"

namespace modssl::io {
namespace {

struct Held {
  apr_bucket_brigade* bb = nullptr;  // set aside in c->pool, created on first use
  apr_size_t bytes = 0;
};

// Can the whole brigade be held with what is held already? Only small data of known length.
// Metadata always goes on: FLUSH, EOS and EOC end a burst of output, and an EOR must reach the
// core promptly because destroying it logs the request and frees the request's pool (holding
// it would delay the access log line and keep that memory through a keep-alive wait).
bool can_hold(apr_bucket_brigade* bb, apr_size_t held) {
  apr_size_t total = held;
  for (apr_bucket* b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb);
       b = APR_BUCKET_NEXT(b)) {
    if (APR_BUCKET_IS_METADATA(b)) return false;
    if (b->length == static_cast<apr_size_t>(-1)) return false;  // pipes, sockets: unknown
    total += b->length;
    if (total > kCoalesceLimit) return false;
  }
  return true;
}

}  // namespace

apr_status_t coalesce_output_filter(ap_filter_t* f, apr_bucket_brigade* bb) {
  conn_rec* c = f->c;
  auto* held = static_cast<Held*>(f->ctx);
  if (!held) {
    held = static_cast<Held*>(apr_pcalloc(c->pool, sizeof(Held)));
    f->ctx = held;
  }
  if (APR_BRIGADE_EMPTY(bb)) return APR_SUCCESS;

  if (!c->aborted && can_hold(bb, held->bytes)) {
    if (!held->bb) held->bb = apr_brigade_create(c->pool, c->bucket_alloc);
    // Setting aside copies transient data and moves request-pool data to the connection pool,
    // so what is held outlives the request that produced it.
    while (!APR_BRIGADE_EMPTY(bb)) {
      apr_bucket* b = APR_BRIGADE_FIRST(bb);
      apr_status_t rv = apr_bucket_setaside(b, c->pool);
      if (rv != APR_SUCCESS && rv != APR_ENOTIMPL) return rv;
      APR_BUCKET_REMOVE(b);
      APR_BRIGADE_INSERT_TAIL(held->bb, b);
      held->bytes += APR_BUCKET_IS_METADATA(b) ? 0 : b->length;
    }
    return APR_SUCCESS;
  }
  if (held->bb && !APR_BRIGADE_EMPTY(held->bb)) {
    APR_BRIGADE_PREPEND(bb, held->bb);
    held->bytes = 0;
  }
  return ap_pass_brigade(f->next, bb);
}

}  // namespace modssl::io
