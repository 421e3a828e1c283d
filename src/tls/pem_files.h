#pragma once
// Reading certificates, chains and private keys from PEM files, with errors that name the file
// and quote the system's or OpenSSL's reason.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/result.h"
#include "tls/handles.h"

namespace modssl::tls {

using config::Result;

struct CertificateFile {
  X509Ptr leaf;
  std::vector<X509Ptr> chain;  // certificates that follow the leaf in the same file
};

// The first certificate in the file is the leaf; any further ones form its chain.
Result<CertificateFile> load_certificate_file(const std::string& path);

// All certificates in a file (SSLCertificateChainFile).
Result<std::vector<X509Ptr>> load_certificates(const std::string& path);

// Asked for the pass phrase of an encrypted key; `attempt` counts from 0. Returns nullopt when
// no (further) pass phrase can be had, which ends the attempts.
using PassphraseSource =
    std::function<std::optional<std::string>(const std::string& key_path, int attempt)>;

// Loads the private key from `path` (PEM: traditional or PKCS#8, encrypted or not).
Result<EvpPkeyPtr> load_private_key(const std::string& path, const PassphraseSource* passphrases);

// A certificate and an unencrypted key handed over as PEM text by another module (mod_md's
// ACME tls-alpn-01 answers). `what` names the source in errors.
Result<X509Ptr> parse_certificate_pem(std::string_view pem, const std::string& what);
Result<EvpPkeyPtr> parse_private_key_pem(std::string_view pem, const std::string& what);

// "RSA", "ECC", "DSA" ... as mod_ssl's pass-phrase dialog names key types.
std::string key_type_name(const EVP_PKEY* key);

// One-line subject/issuer in RFC 2253 form, for log messages.
std::string name_oneline(const X509_NAME* name);
// OpenSSL's printed form of a time ("Nov 24 10:00:00 2026 GMT"); "(none)" for null, "?" when
// it cannot be printed.
std::string time_text(const ASN1_TIME* t);

}  // namespace modssl::tls
