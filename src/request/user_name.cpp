#include "request/user_name.h"

#include "adapter/records.h"
#include "http_log.h"
#include "request/variable_lookup.h"

namespace modssl::request {

void set_user_from_variable(request_rec* r, const std::string& variable) {
  const char* value = lookup_variable(r->pool, r->connection, r, variable.c_str());
  if (value && *value) {
    r->user = const_cast<char*>(value);
    return;
  }
  ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                "SSLUserName %s: the variable has no value for this request from %s (no client "
                "certificate, or it lacks that attribute), so the user is not set",
                variable.c_str(), r->useragent_ip);
}

}  // namespace modssl::request
