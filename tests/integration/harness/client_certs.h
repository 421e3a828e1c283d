#pragma once
// The client-certificate PKI of the SSL_CLIENT_* variable tests: a root CA, an intermediate CA,
// a server certificate and client certificates whose subjects, serials, alt names and
// extensions exercise every formatting rule of the variables (multi-valued RDNs, repeated OUs,
// UTF-8, RFC 2253 escaping, every SAN kind, private extensions), plus certificates that fail
// verification (expired, from an unknown CA). Made once per test process, so that two servers
// (this module and the stock one) can be pointed at the very same files.
#include <map>
#include <string>

#include "vhost_config.h"

namespace modssl::it {

struct ClientPki {
  std::string dir;              // where the files are (world-readable)
  std::string root_ca;          // the root CA certificate (PEM)
  std::string intermediate_ca;  // the intermediate CA certificate (PEM), issued by the root
  std::string ca_bundle;        // root + intermediate, for SSLCACertificateFile
  CertFiles server;             // "localhost", RSA, from the root CA
  // Client certificates by profile name; a .cert file holds the leaf and, for profiles whose
  // client sends a chain, the certificates after it.
  //   rich_rsa          RSA, serial 0xFFEEDDCCBBAA99, multi-valued RDN (CN+UID), three OUs,
  //                     UTF-8 in O/CN, C/ST/L/title/initials/GN/SN/description/emailAddress,
  //                     SANs of every kind, nsComment and a private-OID extension; from the root
  //   escaped_ec        ECDSA P-256, serial 5, attribute values that need RFC 2253 escaping
  //   chained           ECDSA, issued by the intermediate; the file carries the intermediate
  //   expired           from the root, expired a day ago
  //   unknown_ca        from a root the server does not know
  std::map<std::string, CertFiles> clients;

  const CertFiles& client(const std::string& profile) const { return clients.at(profile); }
};

// The PKI, made on first use under $TMPDIR; the same object for the rest of the process.
const ClientPki& client_pki();

// The PEM blocks of a file, each "-----BEGIN ...-----\n...-----END ...-----\n".
std::vector<std::string> pem_blocks(const std::string& path);

}  // namespace modssl::it
