#include "weak_cert.h"

namespace modssl::it {

ProcessResult write_weak_rsa_cert(const CertFiles& files) {
  return run({"openssl", "req", "-x509", "-newkey", "rsa:1024", "-nodes", "-keyout", files.key,
              "-out", files.cert, "-subj", "/CN=localhost", "-addext",
              "subjectAltName=DNS:localhost", "-days", "2"});
}

}  // namespace modssl::it
