#pragma once
// Test certificates made at run time with OpenSSL's API: a CA, leaf certificates it signs, and
// the PEM files the module reads. Nothing here is ever committed; keys live in temp dirs.
#include <string>
#include <utility>
#include <vector>

#include <openssl/evp.h>
#include <openssl/x509.h>

namespace modssl::testing {

enum class KeyType { Rsa2048, EcP256 };

struct KeyPair {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  KeyPair() = default;
  KeyPair(const KeyPair&) = delete;
  KeyPair& operator=(const KeyPair&) = delete;
  KeyPair(KeyPair&& o) noexcept;
  KeyPair& operator=(KeyPair&& o) noexcept;
  ~KeyPair();
};

// One attribute of a subject name: a short name ("CN", "OU", "emailAddress") or an OID, and a
// UTF-8 value. `same_rdn` joins it to the previous attribute (a multi-valued RDN: CN=a+UID=b).
struct NameEntry {
  std::string field;
  std::string value;
  bool same_rdn = false;
};

struct CertOptions {
  std::string common_name = "localhost";
  std::vector<std::string> dns_names{"localhost"};
  // When set, the whole subject (instead of O=modssl tests, CN=common_name).
  std::vector<NameEntry> subject;
  // More subjectAltName entries in OpenSSL's config syntax: "email:a@b.example",
  // "IP:127.0.0.1", "otherName:1.3.6.1.4.1.311.20.2.3;UTF8:user@realm" (msUPN).
  std::vector<std::string> extra_alt_names;
  // More extensions in OpenSSL's config syntax: {"nsComment", "hello"}, {"1.2.3.4",
  // "ASN1:UTF8String:x"}. An extendedKeyUsage here replaces the default one (serverAuth,clientAuth)
  // of non-CA certificates.
  std::vector<std::pair<std::string, std::string>> extensions;
  long serial = 0;  // 0: 16 random bytes
  KeyType key_type = KeyType::EcP256;
  bool is_ca = false;
  long not_before_offset_s = -3600;       // relative to now
  long not_after_offset_s = 30L * 86400;  // relative to now
};

// Options for a certificate named `common_name`: a CA (no alt names) or a leaf for "localhost".
CertOptions cert_options(const std::string& common_name, bool is_ca = false);

// A self-signed certificate (a root CA when options.is_ca).
KeyPair make_self_signed(const CertOptions& options);
// A certificate signed by `issuer`.
KeyPair make_signed(const CertOptions& options, const KeyPair& issuer);

// PEM writers; abort the test process on I/O failure (tests cannot continue anyway).
void write_cert_pem(const std::string& path, const std::vector<const X509*>& certs);
void write_key_pem(const std::string& path, const EVP_PKEY* key);

// A fresh directory under $TMPDIR (or /tmp), mode 0755 so httpd's children can read it.
std::string make_temp_dir(const std::string& prefix);

}  // namespace modssl::testing
