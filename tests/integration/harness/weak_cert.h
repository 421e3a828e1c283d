#pragma once
// Certificates the test PKI (tests/support/pki.h) does not make.
#include "process.h"
#include "vhost_config.h"

namespace modssl::it {

// Writes a self-signed "localhost" certificate with a 1024-bit RSA key to files.cert and
// files.key. Debian's OpenSSL refuses such a key at its default security level, which is what
// the tests of it are about; the openssl tool makes it. The result says whether that worked.
ProcessResult write_weak_rsa_cert(const CertFiles& files);

}  // namespace modssl::it
