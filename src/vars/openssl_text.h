#pragma once
// Text out of OpenSSL's printers: whatever a function writes into a memory BIO, as a string.
#include <optional>
#include <string>
#include <string_view>

#include <openssl/asn1.h>
#include <openssl/bio.h>

namespace modssl::vars {

// Runs `print(bio)` on a fresh memory BIO and returns what it wrote; nullopt when it wrote
// nothing (mod_ssl treats an empty printout as no value).
template <class Print>
std::optional<std::string> printed(Print&& print) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (!bio) return std::nullopt;
  print(bio);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::optional<std::string> out;
  if (n > 0) out.emplace(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return out;
}

// An ASN.1 string as UTF-8 with control characters escaped (\XX) and nothing else: the form of
// DN components and subjectAltName entries in mod_ssl. nullopt for an empty string.
std::optional<std::string> asn1_string_utf8(const ASN1_STRING* s);

// ASCII case-insensitive comparisons, the strcasecmp/strncasecmp of mod_ssl's name matching.
bool iequal(std::string_view a, std::string_view b);
bool istarts_with(std::string_view s, std::string_view prefix);

// "123" -> 123 for a string of digits only (empty -> 0, as atoi), saturating instead of
// overflowing; nullopt when there is anything but digits.
std::optional<int> digits_value(std::string_view s);

}  // namespace modssl::vars
