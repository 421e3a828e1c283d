// Per-certificate fields in mod_ssl's formats: version, serials (small, high bit set, large),
// validity dates (UTCTime and GeneralizedTime), days remaining, algorithm
// names, PEM, the RFC 4523 assertion, and which field names parse.
#include "vars/certificate_fields.h"

#include <gtest/gtest.h>

#include <ctime>
#include <string>

#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "pki.h"

namespace modssl::vars {
namespace {

using modssl::testing::CertOptions;
using modssl::testing::KeyPair;
using modssl::testing::KeyType;

KeyPair cert_with_serial(long serial) {
  CertOptions o;
  o.serial = serial;
  return modssl::testing::make_self_signed(o);
}

// Replaces notAfter (the signature no longer matches; nothing here verifies it).
void set_not_after(X509* cert, const char* asn1_time) {
  ASN1_TIME* t = ASN1_TIME_new();
  ASSERT_EQ(ASN1_TIME_set_string(t, asn1_time), 1) << asn1_time;
  ASSERT_EQ(X509_set1_notAfter(cert, t), 1);
  ASN1_TIME_free(t);
}

std::time_t utc(int year, int mon, int mday, int hour, int min, int sec) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = mday;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  return timegm(&tm);
}

TEST(VarsCertificateFields, VersionAndSerials) {
  EXPECT_EQ(cert_version(cert_with_serial(1).cert), "3");
  EXPECT_EQ(cert_serial(cert_with_serial(1).cert), "01");
  EXPECT_EQ(cert_serial(cert_with_serial(0x80).cert), "80");  // DER has a leading 00 byte
  EXPECT_EQ(cert_serial(cert_with_serial(0x0100).cert), "0100");
  EXPECT_EQ(cert_serial(cert_with_serial(0x7FFFFFFFFFFFFFFFL).cert), "7FFFFFFFFFFFFFFF");

  KeyPair random = modssl::testing::make_self_signed(CertOptions{});  // 16 random bytes
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(random.cert), nullptr);
  char* hex = BN_bn2hex(bn);
  std::string expected = hex;
  if (expected.size() % 2) expected = "0" + expected;
  EXPECT_EQ(cert_serial(random.cert), expected);
  OPENSSL_free(hex);
  BN_free(bn);
}

TEST(VarsCertificateFields, Rfc4523AssertionHasDecimalSerialAndEscapedIssuer) {
  CertOptions ca_options;
  ca_options.is_ca = true;
  ca_options.subject = {{"O", "Caf\u00e9"}, {"CN", "Test, CA"}};
  KeyPair ca = modssl::testing::make_self_signed(ca_options);
  CertOptions leaf;
  leaf.serial = 0x80;
  KeyPair cert = modssl::testing::make_signed(leaf, ca);
  EXPECT_EQ(cert_rfc4523_cea(cert.cert),
            "{ serialNumber 128, issuer rdnSequence:\"CN=Test\\, CA,O=Caf\\C3\\A9\" }");
}

TEST(VarsCertificateFields, ValidityDatesAsAsn1TimePrint) {
  KeyPair kp = cert_with_serial(5);
  set_not_after(kp.cert, "261124100000Z");
  EXPECT_EQ(cert_not_after(kp.cert), "Nov 24 10:00:00 2026 GMT");
  set_not_after(kp.cert, "260304050607Z");
  EXPECT_EQ(cert_not_after(kp.cert), "Mar  4 05:06:07 2026 GMT");
  set_not_after(kp.cert, "20600101000000Z");
  EXPECT_EQ(cert_not_after(kp.cert), "Jan  1 00:00:00 2060 GMT");
  ASSERT_TRUE(cert_not_before(kp.cert));
  EXPECT_EQ(cert_not_before(kp.cert)->size(), 24u);
}

TEST(VarsCertificateFields, DaysRemainingCountsAsModSsl) {
  KeyPair kp = cert_with_serial(5);
  set_not_after(kp.cert, "261124100000Z");
  const std::time_t end = utc(2026, 11, 24, 10, 0, 0);
  constexpr std::time_t kDay = 86400;
  // Whole days left, truncated; "0" from the last day on (stock mod_ssl 2.4.71 measured: a
  // certificate with 30.5 days left reads "30").
  EXPECT_EQ(cert_days_remaining(kp.cert, end - 10 * kDay), "10");
  EXPECT_EQ(cert_days_remaining(kp.cert, end - 10 * kDay + 1), "9");
  EXPECT_EQ(cert_days_remaining(kp.cert, end - kDay), "1");
  EXPECT_EQ(cert_days_remaining(kp.cert, end - 1), "0");
  EXPECT_EQ(cert_days_remaining(kp.cert, end + 1), "0");
  EXPECT_EQ(cert_days_remaining(kp.cert, end + 30 * kDay), "0");

  set_not_after(kp.cert, "20600101000000Z");
  EXPECT_EQ(cert_days_remaining(kp.cert, utc(2059, 12, 30, 0, 0, 0)), "2");

  CertOptions expired;
  expired.not_before_offset_s = -10 * kDay;
  expired.not_after_offset_s = -2 * kDay;
  EXPECT_EQ(
      cert_days_remaining(modssl::testing::make_self_signed(expired).cert, std::time(nullptr)),
      "0");
}

TEST(VarsCertificateFields, AlgorithmLongNames) {
  CertOptions rsa;
  rsa.key_type = KeyType::Rsa2048;
  KeyPair r = modssl::testing::make_self_signed(rsa);
  EXPECT_EQ(cert_signature_algorithm(r.cert), "sha256WithRSAEncryption");
  EXPECT_EQ(cert_key_algorithm(r.cert), "rsaEncryption");
  KeyPair e = cert_with_serial(2);
  EXPECT_EQ(cert_signature_algorithm(e.cert), "ecdsa-with-SHA256");
  EXPECT_EQ(cert_key_algorithm(e.cert), "id-ecPublicKey");
  KeyPair on_rsa = modssl::testing::make_signed(CertOptions{}, r);
  EXPECT_EQ(cert_signature_algorithm(on_rsa.cert), "sha256WithRSAEncryption");
  EXPECT_EQ(cert_key_algorithm(on_rsa.cert), "id-ecPublicKey");
}

TEST(VarsCertificateFields, PemIsTheWholeCertificate) {
  KeyPair kp = cert_with_serial(3);
  const auto pem = cert_pem(kp.cert);
  ASSERT_TRUE(pem);
  EXPECT_TRUE(pem->starts_with("-----BEGIN CERTIFICATE-----\n"));
  EXPECT_TRUE(pem->ends_with("-----END CERTIFICATE-----\n"));
  BIO* bio = BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size()));
  X509* back = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(X509_cmp(back, kp.cert), 0);
  X509_free(back);
  BIO_free(bio);
}

TEST(VarsCertificateFields, FieldNames) {
  EXPECT_EQ(parse_cert_field("M_VERSION")->field, CertField::kVersion);
  EXPECT_EQ(parse_cert_field("m_version")->field, CertField::kVersion);
  EXPECT_EQ(parse_cert_field("V_REMAIN")->field, CertField::kRemain);
  EXPECT_EQ(parse_cert_field("S_DN")->field, CertField::kSubject);
  EXPECT_EQ(parse_cert_field("I_dn")->field, CertField::kIssuer);
  EXPECT_FALSE(parse_cert_field("s_DN"));  // the S/I letter is case-sensitive in mod_ssl
  EXPECT_FALSE(parse_cert_field("X_DN"));
  const auto part = parse_cert_field("S_DN_OU_2");
  ASSERT_TRUE(part);
  EXPECT_EQ(part->field, CertField::kSubjectPart);
  EXPECT_EQ(part->arg, "OU_2");
  EXPECT_EQ(parse_cert_field("I_dn_CN")->field, CertField::kIssuerPart);
  EXPECT_FALSE(parse_cert_field("S_DN_cn"));
  EXPECT_FALSE(parse_cert_field("S_DN_"));
  EXPECT_EQ(parse_cert_field("SAN_DNS_0")->arg, "DNS_0");
  EXPECT_EQ(parse_cert_field("san_email_12")->field, CertField::kAltName);
  EXPECT_FALSE(parse_cert_field("SAN_IP_0"));
  EXPECT_FALSE(parse_cert_field("SAN_DNS_12345"));
  EXPECT_FALSE(parse_cert_field("CERT_CHAIN_0"));
  EXPECT_FALSE(parse_cert_field("NOPE"));
}

TEST(VarsCertificateFields, DnThroughTheFieldSwitch) {
  CertOptions o;
  o.subject = {{"O", "Org"}, {"CN", "leaf"}};
  KeyPair kp = modssl::testing::make_self_signed(o);
  EXPECT_EQ(cert_field(kp.cert, *parse_cert_field("S_DN"), false), "CN=leaf,O=Org");
  EXPECT_EQ(cert_field(kp.cert, *parse_cert_field("I_DN"), true), "/O=Org/CN=leaf");
  EXPECT_EQ(cert_field(kp.cert, *parse_cert_field("I_DN_CN"), false), "leaf");
  EXPECT_EQ(cert_field(nullptr, *parse_cert_field("S_DN"), false), std::nullopt);
}

}  // namespace
}  // namespace modssl::vars
