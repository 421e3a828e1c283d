#pragma once
// The output coalescing filter, just above the TLS output filter: small writes that belong
// together (the response headers, then a short body, in separate passes) are held until a
// flush, the end of the connection or a large write, so they leave in one TLS record instead
// of one record each.
#include "httpd.h"
#include "util_filter.h"

namespace modssl::io {

// At most this much is held back (the size stock mod_ssl uses).
inline constexpr apr_size_t kCoalesceLimit = 8192;

apr_status_t coalesce_output_filter(ap_filter_t* f, apr_bucket_brigade* bb);

}  // namespace modssl::io
