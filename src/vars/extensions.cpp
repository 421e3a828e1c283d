#include "vars/extensions.h"

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "vars/openssl_text.h"
#include "vars/variables.h"

namespace modssl::vars {
namespace {

// The fallback for unknown types: a DisplayText (one of the four string types), as UTF-8.
bool print_as_string(BIO* bio, const ASN1_OCTET_STRING* der) {
  const unsigned char* p = ASN1_STRING_get0_data(der);
  ASN1_STRING* text = ASN1_STRING_new();
  if (!text) return false;
  bool ok = false;
  if (d2i_DISPLAYTEXT(&text, &p, ASN1_STRING_length(der))) {
    ASN1_STRING_print_ex(bio, text, ASN1_STRFLGS_UTF8_CONVERT);
    ok = true;
  }
  ASN1_STRING_free(text);
  return ok;
}

}  // namespace

std::vector<std::string> extension_values_of(const X509* cert, std::string_view oid) {
  std::vector<std::string> out;
  if (!cert) return out;
  const std::string text(oid);
  ASN1_OBJECT* wanted = OBJ_txt2obj(text.c_str(), 0);
  if (!wanted) {
    ERR_clear_error();
    return out;
  }
  const int count = X509_get_ext_count(cert);
  for (int i = 0; i < count; ++i) {
    X509_EXTENSION* ext = X509_get_ext(cert, i);
    if (OBJ_cmp(X509_EXTENSION_get_object(ext), wanted) != 0) continue;
    BIO* bio = BIO_new(BIO_s_mem());
    if (!bio) break;
    // One BIO for both attempts, as mod_ssl: a printer that fails half-way leaves its output.
    if (X509V3_EXT_print(bio, ext, 0, 0) == 1 ||
        print_as_string(bio, X509_EXTENSION_get_data(ext))) {
      char* data = nullptr;
      const long n = BIO_get_mem_data(bio, &data);
      out.emplace_back(data, n > 0 ? static_cast<std::size_t>(n) : 0);
    }
    BIO_free(bio);
  }
  ASN1_OBJECT_free(wanted);
  ERR_clear_error();
  return out;
}

std::vector<std::string> extension_values(const SSL* ssl, bool peer, std::string_view oid) {
  if (!ssl) return {};
  const X509* cert = peer ? SSL_get0_peer_certificate(ssl) : SSL_get_certificate(ssl);
  return extension_values_of(cert, oid);
}

}  // namespace modssl::vars
