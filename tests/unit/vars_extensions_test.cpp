// Extension values for ssl_ext_list()/PeerExtList(): by short name, long name or dotted OID,
// unknown types as plain strings when they are strings, nothing otherwise.
#include "vars/extensions.h"
#include "vars/variables.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pki.h"

namespace modssl::vars {
namespace {

using modssl::testing::CertOptions;
using modssl::testing::KeyPair;
using Strings = std::vector<std::string>;

KeyPair cert_with_extensions() {
  CertOptions o;
  o.extensions = {{"nsComment", "hello comment"},
                  {"1.2.3.4", "ASN1:FORMAT:UTF8,UTF8String:caf\u00e9 text"},
                  {"1.2.3.5", "ASN1:INTEGER:5"},
                  {"1.2.3.6", "ASN1:IA5STRING:ia5 text"}};
  return modssl::testing::make_self_signed(o);
}

TEST(VarsExtensions, KnownExtensionByAnyName) {
  KeyPair kp = cert_with_extensions();
  EXPECT_EQ(extension_values_of(kp.cert, "nsComment"), (Strings{"hello comment"}));
  EXPECT_EQ(extension_values_of(kp.cert, "Netscape Comment"), (Strings{"hello comment"}));
  EXPECT_EQ(extension_values_of(kp.cert, "2.16.840.1.113730.1.13"), (Strings{"hello comment"}));
  EXPECT_EQ(extension_values_of(kp.cert, "basicConstraints"), (Strings{"CA:FALSE"}));
  EXPECT_EQ(extension_values_of(kp.cert, "subjectAltName"), (Strings{"DNS:localhost"}));
  EXPECT_EQ(extension_values_of(kp.cert, "extendedKeyUsage"),
            (Strings{"TLS Web Server Authentication, TLS Web Client Authentication"}));
}

TEST(VarsExtensions, UnknownTypesAsStringsOrNothing) {
  KeyPair kp = cert_with_extensions();
  EXPECT_EQ(extension_values_of(kp.cert, "1.2.3.4"), (Strings{"caf\u00e9 text"}));
  EXPECT_EQ(extension_values_of(kp.cert, "1.2.3.6"), (Strings{"ia5 text"}));
  EXPECT_EQ(extension_values_of(kp.cert, "1.2.3.5"), Strings{});
}

TEST(VarsExtensions, AbsentOrUnparsable) {
  KeyPair kp = cert_with_extensions();
  EXPECT_EQ(extension_values_of(kp.cert, "1.2.3.99"), Strings{});
  EXPECT_EQ(extension_values_of(kp.cert, "no such extension"), Strings{});
  EXPECT_EQ(extension_values_of(kp.cert, ""), Strings{});
  EXPECT_EQ(extension_values_of(nullptr, "nsComment"), Strings{});
  EXPECT_EQ(extension_values(nullptr, true, "nsComment"), Strings{});
}

}  // namespace
}  // namespace modssl::vars
