// subjectAltName entries: DNS, email, msUPN and dnsSRV otherNames, numbering from 0, entries of
// other kinds (IP, URI) ignored, otherNames of the wrong string type skipped but counted.
#include "vars/subject_alt_names.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pki.h"

namespace modssl::vars {
namespace {

using modssl::testing::CertOptions;
using modssl::testing::KeyPair;
using Strings = std::vector<std::string>;

KeyPair cert_with_names() {
  CertOptions o;
  o.dns_names = {"a.example", "b.example"};
  o.extra_alt_names = {"IP:127.0.0.1",
                       "email:first@example.com",
                       "URI:https://example.com/",
                       "otherName:1.3.6.1.4.1.311.20.2.3;IA5STRING:wrong-type@realm",
                       "otherName:1.3.6.1.4.1.311.20.2.3;UTF8:user@REALM",
                       "otherName:1.3.6.1.5.5.7.8.7;IA5STRING:_http.example.com",
                       "email:second@example.com",
                       "DNS:caf\u00e9.example"};
  return modssl::testing::make_self_signed(o);
}

TEST(VarsSubjectAltNames, AllEntriesOfAKind) {
  KeyPair kp = cert_with_names();
  // An IA5String's bytes are Latin-1 to ASN1_STRING_print_ex's UTF-8 conversion, so raw UTF-8
  // in a dNSName comes out encoded twice, as in mod_ssl.
  EXPECT_EQ(san_entries(kp.cert, SanKind::kDns),
            (Strings{"a.example", "b.example", "caf\u00c3\u00a9.example"}));
  EXPECT_EQ(san_entries(kp.cert, SanKind::kEmail),
            (Strings{"first@example.com", "second@example.com"}));
  EXPECT_EQ(san_entries(kp.cert, SanKind::kMsUpn), (Strings{"user@REALM"}));
  EXPECT_EQ(san_entries(kp.cert, SanKind::kDnsSrv), (Strings{"_http.example.com"}));
}

TEST(VarsSubjectAltNames, NthEntry) {
  KeyPair kp = cert_with_names();
  EXPECT_EQ(san_entry(kp.cert, SanKind::kDns, 0), "a.example");
  EXPECT_EQ(san_entry(kp.cert, SanKind::kDns, 2), "caf\u00c3\u00a9.example");
  EXPECT_EQ(san_entry(kp.cert, SanKind::kDns, 3), std::nullopt);
  EXPECT_EQ(san_entry(kp.cert, SanKind::kEmail, 1), "second@example.com");
  // The IA5String msUPN counts as number 0 although it has no value.
  EXPECT_EQ(san_entry(kp.cert, SanKind::kMsUpn, 0), std::nullopt);
  EXPECT_EQ(san_entry(kp.cert, SanKind::kMsUpn, 1), "user@REALM");
  EXPECT_EQ(san_entry(kp.cert, SanKind::kDnsSrv, 0), "_http.example.com");
}

TEST(VarsSubjectAltNames, NoExtensionNoEntries) {
  CertOptions o;
  o.dns_names = {};
  KeyPair kp = modssl::testing::make_self_signed(o);
  EXPECT_TRUE(san_entries(kp.cert, SanKind::kDns).empty());
  EXPECT_EQ(san_entry(kp.cert, SanKind::kDns, 0), std::nullopt);
  EXPECT_TRUE(san_entries(nullptr, SanKind::kEmail).empty());
}

TEST(VarsSubjectAltNames, References) {
  auto r = parse_san_ref("DNS_0");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, SanKind::kDns);
  EXPECT_EQ(r->index, 0);
  EXPECT_EQ(parse_san_ref("email_12")->kind, SanKind::kEmail);
  EXPECT_EQ(parse_san_ref("EMAIL_9999")->index, 9999);
  EXPECT_EQ(parse_san_ref("OTHER_msUPN_1")->kind, SanKind::kMsUpn);
  EXPECT_EQ(parse_san_ref("other_dnsSRV_0")->kind, SanKind::kDnsSrv);
  EXPECT_FALSE(parse_san_ref("OTHER_MSUPN_0"));  // the form is case-sensitive
  EXPECT_FALSE(parse_san_ref("DNS_"));
  EXPECT_FALSE(parse_san_ref("DNS_10000"));
  EXPECT_FALSE(parse_san_ref("DNS_1a"));
  EXPECT_FALSE(parse_san_ref("DNS"));
  EXPECT_FALSE(parse_san_ref("IP_0"));
  EXPECT_FALSE(parse_san_ref("URI_0"));
}

}  // namespace
}  // namespace modssl::vars
