// Certificates and keys handed over as PEM text (another module's ACME challenge answer).
#include <gtest/gtest.h>

#include <openssl/pem.h>

#include "pki.h"
#include "tls/pem_files.h"

namespace modssl::tls {
namespace {

std::string to_pem(const testing::KeyPair& kp, bool key) {
  BioPtr mem(BIO_new(BIO_s_mem()));
  if (key) {
    PEM_write_bio_PrivateKey(mem.get(), kp.key, nullptr, nullptr, 0, nullptr, nullptr);
  } else {
    PEM_write_bio_X509(mem.get(), kp.cert);
  }
  char* data = nullptr;
  long n = BIO_get_mem_data(mem.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

TEST(PemText, ParsesCertificateAndKey) {
  testing::KeyPair kp = testing::make_self_signed({.common_name = "challenge"});
  auto cert = parse_certificate_pem(to_pem(kp, false), "the test answer");
  ASSERT_TRUE(cert) << cert.error();
  auto key = parse_private_key_pem(to_pem(kp, true), "the test answer");
  ASSERT_TRUE(key) << key.error();
  EXPECT_EQ(X509_check_private_key(cert->get(), key->get()), 1);
}

TEST(PemText, GarbageIsAnErrorNamingTheSource) {
  auto cert = parse_certificate_pem("not a certificate", "the answer for 'x.example'");
  ASSERT_FALSE(cert);
  EXPECT_NE(cert.error().find("the answer for 'x.example'"), std::string::npos) << cert.error();
  auto key = parse_private_key_pem("", "the answer for 'x.example'");
  ASSERT_FALSE(key);
  EXPECT_NE(key.error().find("private key"), std::string::npos) << key.error();
}

TEST(PemText, EncryptedKeyIsRefusedWithoutPrompting) {
  testing::KeyPair kp = testing::make_self_signed({.common_name = "challenge"});
  BioPtr mem(BIO_new(BIO_s_mem()));
  const char pass[] = "secret";
  PEM_write_bio_PKCS8PrivateKey(mem.get(), kp.key, EVP_aes_256_cbc(), nullptr, 0, nullptr,
                                const_cast<char*>(pass));
  char* data = nullptr;
  long n = BIO_get_mem_data(mem.get(), &data);
  auto key = parse_private_key_pem(std::string(data, static_cast<size_t>(n)), "the answer");
  EXPECT_FALSE(key);
}

}  // namespace
}  // namespace modssl::tls
