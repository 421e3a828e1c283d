#pragma once
// OpenSSL reports failures on a per-thread error queue. Our messages quote its reason strings so
// an administrator sees e.g. "key values mismatch" rather than a numeric code.
#include <string>

namespace modssl::tls {

// Drains the thread's error queue into one line ("reason1; reason2"), or `fallback` if empty.
std::string drain_openssl_errors(const char* fallback = "no OpenSSL error reported");

// Human reason for one packed error code (ERR_get_error() value).
std::string openssl_reason(unsigned long code);

}  // namespace modssl::tls
