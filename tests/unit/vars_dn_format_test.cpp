// DN strings and components as mod_ssl shows them: RFC 2253 escaping, multi-valued RDNs, UTF-8
// (also from BMPString), control characters, repeated attributes with _n suffixes (lookup and
// StdEnvVars export), the legacy one-line form.
#include "vars/dn_format.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include <openssl/objects.h>
#include <openssl/x509.h>

#include "pki.h"

namespace modssl::vars {
namespace {

using modssl::testing::CertOptions;
using modssl::testing::KeyPair;
using modssl::testing::NameEntry;

KeyPair cert_with_subject(std::vector<NameEntry> subject) {
  CertOptions o;
  o.subject = std::move(subject);
  return modssl::testing::make_self_signed(o);
}

using Pairs = std::vector<std::pair<std::string, std::string>>;

Pairs exported(const X509_NAME* name, std::string_view prefix) {
  Pairs out;
  each_dn_component(name, prefix, [&](std::string_view k, std::string v) {
    out.emplace_back(std::string(k), std::move(v));
  });
  return out;
}

TEST(VarsDnFormat, Rfc2253EscapesSpecialCharactersButNotComponents) {
  const std::string tricky = "a,b+c\"d\\e<f>g;h";
  KeyPair kp = cert_with_subject({{"O", "#hash"}, {"OU", " spaced "}, {"CN", tricky}});
  const X509_NAME* name = X509_get_subject_name(kp.cert);
  EXPECT_EQ(dn_string(name, false), "CN=a\\,b\\+c\\\"d\\\\e\\<f\\>g\\;h,OU=\\ spaced\\ ,O=\\#hash");
  // Components go through ASN1_STRING_print_ex with ESC_CTRL, which escapes a backslash too.
  EXPECT_EQ(dn_component(name, "CN"), "a,b+c\"d\\\\e<f>g;h");
  EXPECT_EQ(dn_component(name, "O"), "#hash");
  EXPECT_EQ(dn_component(name, "OU"), " spaced ");
}

TEST(VarsDnFormat, MultiValuedRdn) {
  KeyPair kp = cert_with_subject(
      {{"C", "DE"}, {"O", "Org"}, {"CN", "alice"}, {"UID", "u1", /*same_rdn=*/true}});
  const X509_NAME* name = X509_get_subject_name(kp.cert);
  EXPECT_EQ(dn_string(name, false), "UID=u1+CN=alice,O=Org,C=DE");
  EXPECT_EQ(dn_string(name, true), "/C=DE/O=Org/CN=alice+UID=u1");
  EXPECT_EQ(dn_component(name, "CN"), "alice");
  EXPECT_EQ(dn_component(name, "UID"), "u1");
}

TEST(VarsDnFormat, Utf8StaysUtf8ExceptInLegacyAndEscapedForms) {
  KeyPair kp = cert_with_subject({{"O", "Caf\u00e9"}, {"CN", "\u6f22\u5b57"}});
  const X509_NAME* name = X509_get_subject_name(kp.cert);
  EXPECT_EQ(dn_string(name, false), "CN=\u6f22\u5b57,O=Caf\u00e9");
  EXPECT_EQ(dn_component(name, "O"), "Caf\u00e9");
  EXPECT_EQ(dn_component(name, "CN"), "\u6f22\u5b57");
  EXPECT_EQ(dn_string(name, true), "/O=Caf\\xC3\\xA9/CN=\\xE6\\xBC\\xA2\\xE5\\xAD\\x97");
  EXPECT_EQ(dn_string_escaped(name), "CN=\\E6\\BC\\A2\\E5\\AD\\97,O=Caf\\C3\\A9");
}

TEST(VarsDnFormat, BmpStringComponentComesOutAsUtf8) {
  X509_NAME* name = X509_NAME_new();
  const unsigned char bmp[] = {0x00, 'C', 0x00, 0xE9};  // "Cé" in UCS-2
  ASSERT_EQ(
      X509_NAME_add_entry_by_NID(name, NID_commonName, V_ASN1_BMPSTRING, bmp, sizeof bmp, -1, 0),
      1);
  EXPECT_EQ(dn_component(name, "CN"), "C\u00e9");
  EXPECT_EQ(dn_string(name, false), "CN=C\u00e9");
  X509_NAME_free(name);
}

TEST(VarsDnFormat, ControlCharactersAreEscaped) {
  KeyPair kp = cert_with_subject({{"CN", std::string("a\x01"
                                                     "b\x7f")}});
  const X509_NAME* name = X509_get_subject_name(kp.cert);
  EXPECT_EQ(dn_component(name, "CN"), "a\\01b\\7F");
  EXPECT_EQ(dn_string(name, false), "CN=a\\01b\\7F");
}

TEST(VarsDnFormat, RepeatedAttributesAndIndexSuffixes) {
  KeyPair kp = cert_with_subject(
      {{"OU", "one"}, {"CN", "x"}, {"OU", "two"}, {"OU", "three"}, {"emailAddress", "a@b.c"}});
  const X509_NAME* name = X509_get_subject_name(kp.cert);
  EXPECT_EQ(dn_component(name, "OU"), "one");
  EXPECT_EQ(dn_component(name, "OU_0"), "one");
  EXPECT_EQ(dn_component(name, "OU_1"), "two");
  EXPECT_EQ(dn_component(name, "OU_2"), "three");
  EXPECT_EQ(dn_component(name, "OU_3"), std::nullopt);
  EXPECT_EQ(dn_component(name, "OU_"), "one");  // an empty suffix is index 0, as atoi("")
  EXPECT_EQ(dn_component(name, "OU_99999999999999999999"), std::nullopt);
  EXPECT_EQ(dn_component(name, "Email"), "a@b.c");
  EXPECT_EQ(dn_component(name, "CN_1"), std::nullopt);

  // The export numbers later occurrences from _1: the same names lookup answers.
  EXPECT_EQ(exported(name, "SSL_CLIENT_S_DN_"), (Pairs{{"SSL_CLIENT_S_DN_OU", "one"},
                                                       {"SSL_CLIENT_S_DN_CN", "x"},
                                                       {"SSL_CLIENT_S_DN_OU_1", "two"},
                                                       {"SSL_CLIENT_S_DN_OU_2", "three"},
                                                       {"SSL_CLIENT_S_DN_Email", "a@b.c"}}));
}

TEST(VarsDnFormat, TagsAreModSslsTableAndCaseSensitive) {
  KeyPair kp = cert_with_subject({{"C", "DE"},
                                  {"ST", "Bavaria"},
                                  {"L", "Munich"},
                                  {"O", "Org"},
                                  {"title", "Dr"},
                                  {"initials", "AB"},
                                  {"GN", "Alice"},
                                  {"SN", "Smith"},
                                  {"description", "desc"},
                                  {"serialNumber", "42"},
                                  {"CN", "alice"}});
  const X509_NAME* name = X509_get_subject_name(kp.cert);
  EXPECT_EQ(dn_component(name, "C"), "DE");
  EXPECT_EQ(dn_component(name, "ST"), "Bavaria");
  EXPECT_EQ(dn_component(name, "SP"), "Bavaria");
  EXPECT_EQ(dn_component(name, "L"), "Munich");
  EXPECT_EQ(dn_component(name, "T"), "Dr");
  EXPECT_EQ(dn_component(name, "I"), "AB");
  EXPECT_EQ(dn_component(name, "G"), "Alice");
  EXPECT_EQ(dn_component(name, "S"), "Smith");
  EXPECT_EQ(dn_component(name, "D"), "desc");
  EXPECT_EQ(dn_component(name, "cn"), std::nullopt);
  EXPECT_EQ(dn_component(name, "serialNumber"), std::nullopt);  // not in mod_ssl's table
  EXPECT_EQ(dn_component(name, "GN"), std::nullopt);
  EXPECT_TRUE(is_dn_component_spec("Email_3"));
  EXPECT_FALSE(is_dn_component_spec("EMAIL"));
  EXPECT_FALSE(is_dn_component_spec("OU_x"));

  // SP is an alias only: the export says ST; serialNumber is not exported.
  const Pairs all = exported(name, "P_");
  ASSERT_EQ(all.size(), 10u);
  EXPECT_EQ(all[1], (std::pair<std::string, std::string>{"P_ST", "Bavaria"}));
  EXPECT_EQ(all[9], (std::pair<std::string, std::string>{"P_CN", "alice"}));
}

TEST(VarsDnFormat, EmptyNameHasNoValue) {
  X509_NAME* name = X509_NAME_new();
  EXPECT_EQ(dn_string(name, false), std::nullopt);
  EXPECT_EQ(dn_string(name, true), std::nullopt);
  EXPECT_EQ(dn_component(name, "CN"), std::nullopt);
  EXPECT_TRUE(exported(name, "X_").empty());
  X509_NAME_free(name);
}

}  // namespace
}  // namespace modssl::vars
