#pragma once
// The config text of TLS virtual hosts, so that a test spells out only the directives it is
// about. Ports are placeholders (@PORT:<name>@) that Httpd::configure() fills in.
#include <string>

#include "pki.h"

namespace modssl::it {

class Httpd;

struct CertFiles {
  std::string cert;  // PEM: leaf (and chain, if asked for)
  std::string key;   // PEM private key
};

// "Listen 127.0.0.1:@PORT:<port_name>@ https", a line.
std::string listen_https(const std::string& port_name);

// The SSLCertificateFile and SSLCertificateKeyFile lines for `cert`, indented for a vhost.
std::string certificate_lines(const CertFiles& cert);

// <VirtualHost 127.0.0.1:@PORT:<port_name>@> with SSLEngine on and then `inside`, but no Listen
// line and no certificate: for tests that give their own (several, broken, or none at all).
std::string tls_virtual_host(const std::string& port_name, const std::string& inside);

// The config of one TLS virtual host on 127.0.0.1:@PORT:<port_name>@ (with its Listen line):
// SSLEngine on, the certificate and key, then `inside` (more directives for the vhost).
std::string tls_vhost(const CertFiles& cert, const std::string& inside = "",
                      const std::string& port_name = "tls");

// What most tests serve: one TLS vhost on @PORT:tls@ with a certificate for "localhost" from the
// instance's test CA. Lines need no trailing newline.
struct TlsVhostConfig {
  std::string server_lines;     // server-level directives, before the vhost
  std::string vhost_lines;      // directives inside the vhost, after the certificate
  testing::CertOptions cert{};  // e.g. {.key_type = testing::KeyType::Rsa2048} for ECDHE-RSA
  bool with_chain = false;      // the CA certificate appended to the certificate file
};

// Makes the certificate (certs/localhost.{crt,key}), configures the server, returns the files.
CertFiles configure_tls_vhost(Httpd& h, const TlsVhostConfig& config = {});

// The same with an RSA certificate and its chain, for tests that pick ECDHE-RSA cipher suites
// by name; `vhost_lines` go inside the vhost.
CertFiles configure_rsa_tls_vhost(Httpd& h, const std::string& vhost_lines = "");

}  // namespace modssl::it
