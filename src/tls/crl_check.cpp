#include "tls/crl_check.h"

#include <dirent.h>

#include <cctype>
#include <memory>
#include <string_view>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "tls/openssl_error.h"
#include "tls/pem_files.h"

namespace modssl::tls {
namespace {

using config::CrlCheckMode;

CrlCheckMode effective_mode(const config::ServerConfig& cfg) {
  return cfg.crl_check.mode == CrlCheckMode::Unset ? CrlCheckMode::None : cfg.crl_check.mode;
}

const char* mode_name(CrlCheckMode mode) {
  switch (mode) {
    case CrlCheckMode::Chain:
      return "chain";
    case CrlCheckMode::Leaf:
      return "leaf";
    case CrlCheckMode::Unset:
    case CrlCheckMode::None:
      break;
  }
  return "none";
}

// `openssl rehash` names CRL links <8 hex digits>.r<n>; a CRL under any other name is never
// found by OpenSSL's directory lookup.
bool is_crl_hash_link(std::string_view name) {
  if (name.size() < 11 || name[8] != '.' || name[9] != 'r') return false;
  for (std::size_t i = 0; i < 8; ++i) {
    if (!std::isxdigit(static_cast<unsigned char>(name[i]))) return false;
  }
  for (std::size_t i = 10; i < name.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(name[i]))) return false;
  }
  return true;
}

struct CloseDir {
  void operator()(DIR* d) const { closedir(d); }
};

bool has_crl_hash_links(const std::string& dir) {
  std::unique_ptr<DIR, CloseDir> d(opendir(dir.c_str()));
  if (!d) return true;  // unreadable here: OpenSSL's lookup will tell at verification time
  while (const dirent* e = readdir(d.get())) {
    if (is_crl_hash_link(e->d_name)) return true;
  }
  return false;
}

config::Status load_crl_file(X509_STORE* store, const std::string& file,
                             const std::string& vhost_id) {
  X509_LOOKUP* lookup = X509_STORE_add_lookup(store, X509_LOOKUP_file());
  ERR_clear_error();
  if (!lookup || X509_load_crl_file(lookup, file.c_str(), X509_FILETYPE_PEM) <= 0) {
    return config::fail("SSLCARevocationFile " + file + " (for " + vhost_id +
                        ") holds no usable CRL: " + drain_openssl_errors() +
                        " (it must hold PEM CRLs, '-----BEGIN X509 CRL-----')");
  }
  // A damaged block after good ones: X509_load_crl_file keeps the good ones and says nothing.
  if (ERR_peek_error() != 0) {
    return config::fail("SSLCARevocationFile " + file + " (for " + vhost_id +
                        "): cannot read all of its CRLs: " + drain_openssl_errors());
  }
  return config::ok_status();
}

config::Status add_crl_directory(X509_STORE* store, const std::string& dir,
                                 const std::string& vhost_id, std::vector<std::string>& warnings) {
  X509_LOOKUP* lookup = X509_STORE_add_lookup(store, X509_LOOKUP_hash_dir());
  ERR_clear_error();
  if (!lookup || !X509_LOOKUP_add_dir(lookup, dir.c_str(), X509_FILETYPE_PEM)) {
    return config::fail("cannot use SSLCARevocationPath " + dir + " (for " + vhost_id +
                        "): " + drain_openssl_errors());
  }
  if (!has_crl_hash_links(dir)) {
    warnings.push_back("SSLCARevocationPath " + dir + " (for " + vhost_id +
                       ") holds no CRL hash links (<hash>.r0): no CRL in it will be found; "
                       "run 'openssl rehash " +
                       dir + "' after adding CRLs");
  }
  return config::ok_status();
}

// CRLs loaded at start-up that are out of date refuse every client of their CA ("CRL has
// expired"), which looks like a broken client certificate unless the log says so up front.
void warn_about_stale_crls(X509_STORE* store, const std::string& vhost_id,
                           std::vector<std::string>& warnings) {
  STACK_OF(X509_OBJECT)* objects = X509_STORE_get0_objects(store);
  for (int i = 0; i < sk_X509_OBJECT_num(objects); ++i) {
    X509_CRL* crl = X509_OBJECT_get0_X509_CRL(sk_X509_OBJECT_value(objects, i));
    if (!crl) continue;
    const std::string issuer = name_oneline(X509_CRL_get_issuer(crl));
    const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl);
    const ASN1_TIME* last = X509_CRL_get0_lastUpdate(crl);
    if (next && X509_cmp_current_time(next) < 0) {
      warnings.push_back("the CRL of " + issuer + " (for " + vhost_id + ") expired on " +
                         time_text(next) +
                         ": client certificates from that CA are refused (\"CRL has expired\") "
                         "until a fresh CRL is installed");
    } else if (last && X509_cmp_current_time(last) > 0) {
      warnings.push_back("the CRL of " + issuer + " (for " + vhost_id + ") is not valid before " +
                         time_text(last) +
                         ": client certificates from that CA are refused (\"CRL is not yet "
                         "valid\") until then; check the clocks");
    }
  }
}

}  // namespace

config::Status configure_crl_checking(SSL_CTX* ctx, const config::ServerConfig& cfg,
                                      const std::string& vhost_id,
                                      std::vector<std::string>& warnings) {
  const std::string& file = cfg.ca_revocation_file;
  const std::string& dir = cfg.ca_revocation_path;
  const CrlCheckMode mode = effective_mode(cfg);
  if (file.empty() && dir.empty()) {
    // As stock mod_ssl: checking without any CRL would refuse every client certificate.
    if (mode == CrlCheckMode::None) return config::ok_status();
    return config::fail(std::string("SSLCARevocationCheck ") + mode_name(mode) + " for " +
                        vhost_id +
                        " asks for CRL checks, but neither SSLCARevocationFile nor "
                        "SSLCARevocationPath is set");
  }
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  if (!store) return config::fail("no certificate store for " + vhost_id);
  if (!file.empty()) {
    if (config::Status st = load_crl_file(store, file, vhost_id); !st) return st;
  }
  if (!dir.empty()) {
    if (config::Status st = add_crl_directory(store, dir, vhost_id, warnings); !st) return st;
  }
  switch (mode) {
    case CrlCheckMode::Leaf:
      X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
      break;
    case CrlCheckMode::Chain:
      X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
      break;
    case CrlCheckMode::Unset:
    case CrlCheckMode::None:
      warnings.push_back("SSLCARevocationFile/SSLCARevocationPath for " + vhost_id +
                         " are set, but CRL checking is not enabled: the CRLs are not used "
                         "(add SSLCARevocationCheck chain or leaf)");
      return config::ok_status();
  }
  warn_about_stale_crls(store, vhost_id, warnings);
  return config::ok_status();
}

bool crl_error_forgiven(const config::ServerConfig& cfg, int err) {
  return err == X509_V_ERR_UNABLE_TO_GET_CRL && cfg.crl_check.no_crl_for_cert_ok &&
         effective_mode(cfg) != CrlCheckMode::None;
}

}  // namespace modssl::tls
