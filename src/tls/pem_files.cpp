#include "tls/pem_files.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "tls/openssl_error.h"

namespace modssl::tls {
namespace {

using config::fail;

Result<BioPtr> open_for_reading(const std::string& path) {
  std::FILE* fp = std::fopen(path.c_str(), "rb");
  if (!fp) return fail("cannot open '" + path + "': " + std::strerror(errno));
  BioPtr bio(BIO_new_fp(fp, BIO_CLOSE));
  if (!bio) {
    std::fclose(fp);
    return fail("cannot read '" + path + "': " + drain_openssl_errors());
  }
  return bio;
}

// True when the error queue only says "no more PEM blocks", i.e. a clean end of file.
bool only_end_of_pem() {
  unsigned long e = ERR_peek_last_error();
  if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
    ERR_clear_error();
    return true;
  }
  return false;
}

struct PassphraseRequest {
  const PassphraseSource* source;
  const std::string* path;
  int attempt = 0;
  bool asked = false;
  bool exhausted = false;
};

int passphrase_callback(char* buf, int size, int /*rwflag*/, void* u) {
  auto* req = static_cast<PassphraseRequest*>(u);
  req->asked = true;
  if (!req->source || !*req->source) {
    req->exhausted = true;
    return -1;
  }
  std::optional<std::string> phrase = (*req->source)(*req->path, req->attempt++);
  if (!phrase) {
    req->exhausted = true;
    return -1;
  }
  int n = static_cast<int>(std::min<size_t>(phrase->size(), static_cast<size_t>(size)));
  std::memcpy(buf, phrase->data(), static_cast<size_t>(n));
  OPENSSL_cleanse(phrase->data(), phrase->size());
  return n;
}

int no_passphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) { return -1; }

}  // namespace

Result<std::vector<X509Ptr>> load_certificates(const std::string& path) {
  auto bio = open_for_reading(path);
  if (!bio) return fail(bio.error());
  std::vector<X509Ptr> certs;
  ERR_clear_error();
  while (X509* x = PEM_read_bio_X509(bio->get(), nullptr, nullptr, nullptr)) {
    certs.emplace_back(x);
  }
  if (!only_end_of_pem() && ERR_peek_error() != 0) {
    return fail("cannot parse a certificate in '" + path + "': " + drain_openssl_errors());
  }
  if (certs.empty()) return fail("no PEM certificate found in '" + path + "'");
  return certs;
}

Result<CertificateFile> load_certificate_file(const std::string& path) {
  auto certs = load_certificates(path);
  if (!certs) return fail(certs.error());
  std::vector<X509Ptr> all = std::move(certs).value();
  CertificateFile out;
  out.leaf = std::move(all.front());
  for (size_t i = 1; i < all.size(); ++i) out.chain.push_back(std::move(all[i]));
  return out;
}

Result<EvpPkeyPtr> load_private_key(const std::string& path, const PassphraseSource* passphrases) {
  // Each attempt re-reads the file: OpenSSL consumes the PEM block even when decryption fails.
  PassphraseRequest req{passphrases, &path};
  constexpr int kMaxPassphraseAttempts = 10;
  std::string last_decrypt_error;
  for (;;) {
    auto bio = open_for_reading(path);
    if (!bio) return fail(bio.error());
    ERR_clear_error();
    EVP_PKEY* key = PEM_read_bio_PrivateKey(bio->get(), nullptr, passphrase_callback, &req);
    if (key) return EvpPkeyPtr(key);
    unsigned long e = ERR_peek_last_error();
    if (req.exhausted) {
      ERR_clear_error();
      if (req.attempt == 0 && !(passphrases && *passphrases)) {
        return fail("private key '" + path +
                    "' is encrypted and no pass phrase is available (see SSLPassPhraseDialog)");
      }
      return fail("private key '" + path + "': no valid pass phrase was given" +
                  (last_decrypt_error.empty() ? std::string()
                                              : " (OpenSSL: " + last_decrypt_error + ")"));
    }
    // A wrong pass phrase shows as EVP's or PEM's "bad decrypt" for PKCS#8, but for traditional
    // PEM ("Proc-Type: 4,ENCRYPTED") often as a decoding error of the garbage it decrypted to:
    // any failure after a pass phrase was given is treated as a wrong one, and asked again (the
    // source decides when to give up; the cap only guards against a source that never does).
    if (req.asked && req.attempt < kMaxPassphraseAttempts) {
      last_decrypt_error = drain_openssl_errors();
      continue;
    }
    if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
      ERR_clear_error();
      return fail("no PEM private key found in '" + path + "'");
    }
    if (req.asked) {
      std::string why = drain_openssl_errors();
      return fail("cannot decrypt private key '" + path + "': " + why);
    }
    return fail("cannot parse private key '" + path + "': " + drain_openssl_errors());
  }
}

Result<X509Ptr> parse_certificate_pem(std::string_view pem, const std::string& what) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  ERR_clear_error();
  X509* cert = bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr;
  if (!cert) return fail("cannot parse the certificate from " + what + ": " + drain_openssl_errors());
  return X509Ptr(cert);
}

Result<EvpPkeyPtr> parse_private_key_pem(std::string_view pem, const std::string& what) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  ERR_clear_error();
  // No pass-phrase callback: a key handed over in memory is never encrypted, and OpenSSL must
  // not fall back to prompting on the terminal.
  EVP_PKEY* key = bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr)
                      : nullptr;
  if (!key) return fail("cannot parse the private key from " + what + ": " + drain_openssl_errors());
  return EvpPkeyPtr(key);
}

std::string key_type_name(const EVP_PKEY* key) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS:
      return "RSA";
    case EVP_PKEY_DSA:
      return "DSA";
    case EVP_PKEY_EC:
      return "ECC";
    case EVP_PKEY_ED25519:
      return "Ed25519";
    case EVP_PKEY_ED448:
      return "Ed448";
    default:
      return "unknown";
  }
}

std::string name_oneline(const X509_NAME* name) {
  BioPtr mem(BIO_new(BIO_s_mem()));
  if (!mem || !name) return {};
  X509_NAME_print_ex(mem.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  long n = BIO_get_mem_data(mem.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

std::string time_text(const ASN1_TIME* t) {
  if (!t) return "(none)";
  BioPtr mem(BIO_new(BIO_s_mem()));
  if (!mem || ASN1_TIME_print(mem.get(), t) <= 0) return "?";
  char* data = nullptr;
  const long n = BIO_get_mem_data(mem.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

}  // namespace modssl::tls
