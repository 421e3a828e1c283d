#include "tls/openssl_error.h"

#include <openssl/err.h>

namespace modssl::tls {

std::string openssl_reason(unsigned long code) {
  if (const char* reason = ERR_reason_error_string(code)) return reason;
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  return buf;
}

std::string drain_openssl_errors(const char* fallback) {
  std::string out;
  const char* data = nullptr;
  int flags = 0;
  while (unsigned long code = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) {
    std::string one = openssl_reason(code);
    if ((flags & ERR_TXT_STRING) && data && *data) one += std::string(" (") + data + ")";
    if (out.find(one) != std::string::npos) continue;  // OpenSSL often repeats itself
    if (!out.empty()) out += "; ";
    out += one;
  }
  return out.empty() ? fallback : out;
}

}  // namespace modssl::tls
