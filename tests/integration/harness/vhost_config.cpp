#include "vhost_config.h"

#include "httpd.h"

namespace modssl::it {
namespace {

// Callers write directives with or without a final newline; the config needs one.
std::string as_lines(const std::string& text) {
  return text.empty() || text.back() == '\n' ? text : text + "\n";
}

}  // namespace

std::string listen_https(const std::string& port_name) {
  return "Listen 127.0.0.1:@PORT:" + port_name + "@ https\n";
}

std::string certificate_lines(const CertFiles& cert) {
  return "  SSLCertificateFile " + cert.cert + "\n  SSLCertificateKeyFile " + cert.key + "\n";
}

std::string tls_virtual_host(const std::string& port_name, const std::string& inside) {
  return "<VirtualHost 127.0.0.1:@PORT:" + port_name + "@>\n  SSLEngine on\n" + as_lines(inside) +
         "</VirtualHost>\n";
}

std::string tls_vhost(const CertFiles& cert, const std::string& inside,
                      const std::string& port_name) {
  return listen_https(port_name) + tls_virtual_host(port_name, certificate_lines(cert) + inside);
}

CertFiles configure_tls_vhost(Httpd& h, const TlsVhostConfig& config) {
  CertFiles cert = h.make_cert("localhost", config.cert, config.with_chain);
  h.configure(as_lines(config.server_lines) + tls_vhost(cert, config.vhost_lines));
  return cert;
}

CertFiles configure_rsa_tls_vhost(Httpd& h, const std::string& vhost_lines) {
  return configure_tls_vhost(h, {.vhost_lines = vhost_lines,
                                 .cert = {.key_type = testing::KeyType::Rsa2048},
                                 .with_chain = true});
}

}  // namespace modssl::it
