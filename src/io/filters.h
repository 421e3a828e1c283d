#pragma once
// The TLS connection filters (AP_FTYPE_CONNECTION + 5): plaintext above, ciphertext below.
#include "httpd.h"
#include "util_filter.h"

namespace modssl::io {

apr_status_t tls_input_filter(ap_filter_t* f, apr_bucket_brigade* bb, ap_input_mode_t mode,
                              apr_read_type_e block, apr_off_t readbytes);
apr_status_t tls_output_filter(ap_filter_t* f, apr_bucket_brigade* bb);

}  // namespace modssl::io
