#include "pki.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

namespace modssl::testing {
namespace {

EVP_PKEY* new_key(KeyType type) {
  EVP_PKEY* key = type == KeyType::Rsa2048
                      ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048})
                      : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  if (!key) throw std::runtime_error("key generation failed");
  return key;
}

void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext) throw std::runtime_error("bad extension " + value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

bool has_extension(const CertOptions& o, int nid) {
  for (const auto& [field, value] : o.extensions) {
    if (OBJ_txt2nid(field.c_str()) == nid) return true;
  }
  return false;
}

KeyPair build(const CertOptions& o, const KeyPair* issuer) {
  KeyPair kp;
  kp.key = new_key(o.key_type);
  kp.cert = X509_new();
  X509_set_version(kp.cert, 2);
  if (o.serial != 0) {
    ASN1_INTEGER_set(X509_get_serialNumber(kp.cert), o.serial);
  } else {
    unsigned char serial[16];
    RAND_bytes(serial, sizeof serial);
    serial[0] &= 0x7f;
    BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(kp.cert));
    BN_free(bn);
  }
  X509_gmtime_adj(X509_getm_notBefore(kp.cert), o.not_before_offset_s);
  X509_gmtime_adj(X509_getm_notAfter(kp.cert), o.not_after_offset_s);
  X509_NAME* name = X509_get_subject_name(kp.cert);
  std::vector<NameEntry> subject = o.subject;
  if (subject.empty()) subject = {{"O", "modssl tests"}, {"CN", o.common_name}};
  for (const NameEntry& e : subject) {
    if (!X509_NAME_add_entry_by_txt(name, e.field.c_str(), MBSTRING_UTF8,
                                    reinterpret_cast<const unsigned char*>(e.value.c_str()), -1, -1,
                                    e.same_rdn ? -1 : 0)) {
      throw std::runtime_error("bad subject attribute " + e.field);
    }
  }
  X509* issuer_cert = issuer ? issuer->cert : kp.cert;
  X509_set_issuer_name(kp.cert, X509_get_subject_name(issuer_cert));
  X509_set_pubkey(kp.cert, kp.key);
  if (o.is_ca) {
    add_ext(kp.cert, issuer_cert, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(kp.cert, issuer_cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_ext(kp.cert, issuer_cert, NID_basic_constraints, "CA:FALSE");
    // A second extendedKeyUsage would make OpenSSL reject the certificate as invalid.
    if (!has_extension(o, NID_ext_key_usage)) {
      add_ext(kp.cert, issuer_cert, NID_ext_key_usage, "serverAuth,clientAuth");
    }
  }
  add_ext(kp.cert, issuer_cert, NID_subject_key_identifier, "hash");
  std::string san;
  for (const auto& d : o.dns_names) san += (san.empty() ? "DNS:" : ",DNS:") + d;
  for (const auto& a : o.extra_alt_names) san += (san.empty() ? "" : ",") + a;
  if (!san.empty()) add_ext(kp.cert, issuer_cert, NID_subject_alt_name, san);
  for (const auto& [field, value] : o.extensions) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer_cert, kp.cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf(nullptr, &ctx, field.c_str(), value.c_str());
    if (!ext) throw std::runtime_error("bad extension " + field + "=" + value);
    X509_add_ext(kp.cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
  EVP_PKEY* signer = issuer ? issuer->key : kp.key;
  if (X509_sign(kp.cert, signer, EVP_sha256()) <= 0) throw std::runtime_error("signing failed");
  return kp;
}

}  // namespace

KeyPair::KeyPair(KeyPair&& o) noexcept : key(o.key), cert(o.cert) {
  o.key = nullptr;
  o.cert = nullptr;
}
KeyPair& KeyPair::operator=(KeyPair&& o) noexcept {
  std::swap(key, o.key);
  std::swap(cert, o.cert);
  return *this;
}
KeyPair::~KeyPair() {
  EVP_PKEY_free(key);
  X509_free(cert);
}

CertOptions cert_options(const std::string& common_name, bool is_ca) {
  CertOptions o;
  o.common_name = common_name;
  o.dns_names = is_ca ? std::vector<std::string>{} : std::vector<std::string>{"localhost"};
  o.is_ca = is_ca;
  return o;
}

KeyPair make_self_signed(const CertOptions& options) {
  return build(options, nullptr);
}
KeyPair make_signed(const CertOptions& options, const KeyPair& issuer) {
  return build(options, &issuer);
}

void write_cert_pem(const std::string& path, const std::vector<const X509*>& certs) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (!f) std::abort();
  for (const X509* c : certs) PEM_write_X509(f, const_cast<X509*>(c));
  std::fclose(f);
}

void write_key_pem(const std::string& path, const EVP_PKEY* key) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (!f) std::abort();
  PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  chmod(path.c_str(), 0644);  // httpd reads keys as root; tests run as root too
}

std::string make_temp_dir(const std::string& prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/" + prefix + "XXXXXX";
  if (!mkdtemp(tmpl.data())) std::abort();
  chmod(tmpl.c_str(), 0755);
  return tmpl;
}

}  // namespace modssl::testing
