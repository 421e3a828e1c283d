#include "client_certs.h"

#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <vector>

#include "process.h"

namespace modssl::it {

namespace {

using testing::CertOptions;
using testing::KeyPair;
using testing::KeyType;
using testing::NameEntry;

constexpr long kDay = 86400;
// Client certificates end 30.5 days from now, so that SSL_CLIENT_V_REMAIN (whole days) is 30
// for the whole run, whenever in the second a request comes.
constexpr long kValidity = 30 * kDay + kDay / 2;

CertFiles write_pair(const std::string& dir, const std::string& name, const KeyPair& leaf,
                     const std::vector<const X509*>& chain = {}) {
  CertFiles files{dir + "/" + name + ".crt", dir + "/" + name + ".key"};
  std::vector<const X509*> certs{leaf.cert};
  certs.insert(certs.end(), chain.begin(), chain.end());
  testing::write_cert_pem(files.cert, certs);
  testing::write_key_pem(files.key, leaf.key);
  return files;
}

CertOptions ca_options(const std::string& cn) {
  return {.common_name = cn,
          .dns_names = {},
          .subject = {{"C", "DE"}, {"O", "modssl test PKI"}, {"CN", cn}},
          .key_type = KeyType::EcP256,
          .is_ca = true,
          .not_after_offset_s = 3650 * kDay};
}

ClientPki make_pki() {
  ClientPki pki;
  pki.dir = testing::make_temp_dir("modssl-client-pki-");
  const KeyPair root = testing::make_self_signed(ca_options("modssl Test Root CA"));
  const KeyPair intermediate =
      testing::make_signed(ca_options("modssl Test Intermediate CA"), root);
  const KeyPair stranger = testing::make_self_signed(ca_options("Unknown Root CA"));

  pki.root_ca = pki.dir + "/root.crt";
  testing::write_cert_pem(pki.root_ca, {root.cert});
  pki.intermediate_ca = pki.dir + "/intermediate.crt";
  testing::write_cert_pem(pki.intermediate_ca, {intermediate.cert});
  pki.ca_bundle = pki.dir + "/ca-bundle.crt";
  testing::write_cert_pem(pki.ca_bundle, {root.cert, intermediate.cert});

  pki.server = write_pair(pki.dir, "server",
                          testing::make_signed({.common_name = "localhost",
                                                .serial = 0x1001,
                                                .key_type = KeyType::Rsa2048,
                                                .not_after_offset_s = kValidity},
                                               root));

  const CertOptions rich{
      .dns_names = {"client.example.com", "alt.example.com"},
      .subject = {{"C", "DE"},
                  {"ST", "Baden-Württemberg"},
                  {"L", "Köln"},
                  {"O", "Société 漢字"},
                  {"OU", "Dev"},
                  {"OU", "Ops"},
                  {"OU", "QA"},
                  {"title", "Dr"},
                  {"initials", "JQ"},
                  {"GN", "Jane"},
                  {"SN", "Doe"},
                  {"description", "test user"},
                  {"CN", "Jäne Døe 漢字"},
                  {"UID", "jdoe", true},
                  {"emailAddress", "jane@example.com"}},
      .extra_alt_names = {"email:jane@example.com", "email:j.doe@example.org", "IP:192.0.2.7",
                          "URI:https://id.example.com/jane",
                          "otherName:1.3.6.1.4.1.311.20.2.3;UTF8:user@realm",
                          "otherName:1.3.6.1.5.5.7.8.7;IA5STRING:_http.example.com"},
      .extensions = {{"nsComment", "hello"},
                     {"1.3.6.1.4.1.55555.1.2", "ASN1:UTF8String:private value"}},
      .serial = 0xFFEEDDCCBBAA99L,
      .key_type = KeyType::Rsa2048,
      .not_after_offset_s = kValidity};
  pki.clients["rich_rsa"] = write_pair(pki.dir, "rich_rsa", testing::make_signed(rich, root));

  const CertOptions escaped{.dns_names = {},
                            .subject = {{"C", "US"},
                                        {"O", "#hash, \"Quoted\" + Co."},
                                        {"OU", " lead and trail "},
                                        {"CN", "back\\slash <lt> >gt; semi=eq"}},
                            .serial = 5,
                            .key_type = KeyType::EcP256,
                            .not_after_offset_s = kValidity};
  pki.clients["escaped_ec"] =
      write_pair(pki.dir, "escaped_ec", testing::make_signed(escaped, root));

  const CertOptions chained{.dns_names = {},
                            .subject = {{"O", "modssl tests"}, {"CN", "Intermediate Client"}},
                            .serial = 0x2A,
                            .key_type = KeyType::EcP256,
                            .not_after_offset_s = kValidity};
  pki.clients["chained"] = write_pair(
      pki.dir, "chained", testing::make_signed(chained, intermediate), {intermediate.cert});

  const CertOptions expired{.dns_names = {},
                            .subject = {{"O", "modssl tests"}, {"CN", "Expired Client"}},
                            .serial = 0x3B,
                            .key_type = KeyType::EcP256,
                            .not_before_offset_s = -10 * kDay,
                            .not_after_offset_s = -kDay};
  pki.clients["expired"] = write_pair(pki.dir, "expired", testing::make_signed(expired, root));

  const CertOptions unknown{.dns_names = {},
                            .subject = {{"O", "elsewhere"}, {"CN", "Unknown CA Client"}},
                            .serial = 0x4C,
                            .key_type = KeyType::EcP256,
                            .not_after_offset_s = kValidity};
  pki.clients["unknown_ca"] =
      write_pair(pki.dir, "unknown_ca", testing::make_signed(unknown, stranger));
  return pki;
}

}  // namespace

const ClientPki& client_pki() {
  static const ClientPki pki = make_pki();
  static const bool cleanup_registered = [] {
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(client_pki().dir, ec);
    });
    return true;
  }();
  (void)cleanup_registered;
  return pki;
}

std::vector<std::string> pem_blocks(const std::string& path) {
  const std::string text = read_file(path);
  std::vector<std::string> blocks;
  static const std::string kEnd = "-----END ";
  std::size_t pos = 0;
  while ((pos = text.find("-----BEGIN ", pos)) != std::string::npos) {
    std::size_t end = text.find(kEnd, pos);
    if (end == std::string::npos) break;
    end = text.find('\n', end);
    end = end == std::string::npos ? text.size() : end + 1;
    blocks.push_back(text.substr(pos, end - pos));
    pos = end;
  }
  return blocks;
}

}  // namespace modssl::it
