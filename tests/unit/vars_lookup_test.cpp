// lookup() by name over real in-memory handshakes with client certificates: connection
// variables, SSL_CLIENT_*/SSL_SERVER_* fields, CLIENT_VERIFY, the client's chain, the StdEnvVars
// and ExportCertData lists, name matching, and unknown names.
#include "vars/variables.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <ap_release.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "handshake_step.h"
#include "pki.h"
#include "tls/handles.h"

namespace modssl::vars {
namespace {

using modssl::testing::CertOptions;
using modssl::testing::KeyPair;
using tls::SslCtxPtr;
using tls::SslPtr;

struct Pki {
  KeyPair root;
  KeyPair intermediate;
  KeyPair server;
  KeyPair client;
};

Pki make_pki() {
  Pki p;
  CertOptions root;
  root.is_ca = true;
  root.subject = {{"O", "modssl tests"}, {"CN", "Root CA"}};
  p.root = modssl::testing::make_self_signed(root);
  CertOptions inter;
  inter.is_ca = true;
  inter.subject = {{"O", "modssl tests"}, {"OU", "Clients"}, {"CN", "Client CA"}};
  p.intermediate = modssl::testing::make_signed(inter, p.root);
  CertOptions server;
  server.serial = 0x1001;
  p.server = modssl::testing::make_signed(server, p.root);
  CertOptions client;
  client.serial = 0x80;
  client.subject = {{"C", "DE"},   {"O", "Org"},          {"OU", "one"},
                    {"OU", "two"}, {"CN", "J\u00fcrgen"}, {"emailAddress", "j@example.com"}};
  client.dns_names = {"client.example"};
  client.not_after_offset_s = 30L * 86400 + 43200;
  client.extra_alt_names = {"email:j@example.com", "otherName:1.3.6.1.4.1.311.20.2.3;UTF8:j@REALM",
                            "IP:10.0.0.1"};
  client.extensions = {{"nsComment", "client comment"}};
  p.client = modssl::testing::make_signed(client, p.intermediate);
  return p;
}

const Pki& pki() {
  static const Pki p = make_pki();
  return p;
}

struct Options {
  bool request_client_cert = true;
  bool send_client_cert = true;
  bool server_trusts_root = true;
  int max_version = TLS1_3_VERSION;
  const char* sni = "www.example.test";
};

// A completed server-side SSL object with the client's certificate (when asked for).
class Connection {
 public:
  explicit Connection(const Options& o) {
    server_ctx_.reset(SSL_CTX_new(TLS_server_method()));
    client_ctx_.reset(SSL_CTX_new(TLS_client_method()));
    const Pki& p = pki();
    SSL_CTX_use_certificate(server_ctx_.get(), p.server.cert);
    SSL_CTX_use_PrivateKey(server_ctx_.get(), p.server.key);
    if (o.request_client_cert) {
      SSL_CTX_set_verify(server_ctx_.get(), SSL_VERIFY_PEER,
                         [](int, X509_STORE_CTX*) { return 1; });
    }
    if (o.server_trusts_root) {
      X509_STORE_add_cert(SSL_CTX_get_cert_store(server_ctx_.get()), p.root.cert);
    }
    if (o.send_client_cert) {
      SSL_CTX_use_certificate(client_ctx_.get(), p.client.cert);
      SSL_CTX_use_PrivateKey(client_ctx_.get(), p.client.key);
      SSL_CTX_add1_chain_cert(client_ctx_.get(), p.intermediate.cert);
    }
    SSL_CTX_set_max_proto_version(client_ctx_.get(), o.max_version);
    server_.reset(SSL_new(server_ctx_.get()));
    client_.reset(SSL_new(client_ctx_.get()));
    if (o.sni) SSL_set_tlsext_host_name(client_.get(), o.sni);
    auto result = modssl::testing::run_memory_handshake(client_.get(), server_.get(), nullptr);
    SSL_SESSION_free(result.session);
    completed_ = result.completed;
  }

  bool completed() const { return completed_; }
  const SSL* server() const { return server_.get(); }
  Source source(bool legacy = false) const { return Source{server_.get(), legacy}; }
  std::optional<std::string> get(std::string_view name) const { return lookup(name, source()); }

 private:
  SslCtxPtr server_ctx_, client_ctx_;
  SslPtr server_, client_;
  bool completed_ = false;
};

std::string pem_of(const X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, const_cast<X509*>(cert));
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return out;
}

TEST(VarsLookup, ConnectionVariables) {
  Connection c({});
  ASSERT_TRUE(c.completed());
  EXPECT_EQ(c.get("HTTPS"), "on");
  EXPECT_EQ(c.get("https"), "on");
  EXPECT_EQ(c.get("SSL_PROTOCOL"), "TLSv1.3");
  EXPECT_EQ(c.get("SSL_CIPHER"), "TLS_AES_256_GCM_SHA384");
  EXPECT_EQ(c.get("SSL_CIPHER_EXPORT"), "false");
  EXPECT_EQ(c.get("SSL_CIPHER_USEKEYSIZE"), "256");
  EXPECT_EQ(c.get("SSL_CIPHER_ALGKEYSIZE"), "256");
  EXPECT_EQ(c.get("SSL_COMPRESS_METHOD"), "NULL");
  EXPECT_EQ(c.get("SSL_TLS_SNI"), "www.example.test");
  EXPECT_EQ(c.get("SSL_SESSION_RESUMED"), "Initial");
  EXPECT_EQ(c.get("SSL_SECURE_RENEG"), "true");  // OpenSSL's flag, also set with TLS 1.3
  EXPECT_EQ(c.get("SSL_SRP_USER"), std::nullopt);
  EXPECT_EQ(c.get("SSL_SRP_USERINFO"), std::nullopt);
  EXPECT_EQ(c.get("SSL_HANDSHAKE_RTT"), std::nullopt);  // not in mod_ssl 2.4.71
  EXPECT_EQ(c.get("SSL_VERSION_INTERFACE"), "mod_ssl/" AP_SERVER_BASEREVISION);
  EXPECT_TRUE(c.get("SSL_VERSION_LIBRARY")->starts_with("OpenSSL/3."));
  EXPECT_TRUE(c.get("SSL_VERSION_LIBRARY_INTERFACE")->starts_with("OpenSSL/3."));

  const auto id = c.get("SSL_SESSION_ID");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->size(), 64u);
  EXPECT_EQ(id->find_first_not_of("0123456789abcdef"), std::string::npos) << *id;
}

TEST(VarsLookup, Tls12CipherAndRenegotiation) {
  Options o;
  o.max_version = TLS1_2_VERSION;
  o.sni = nullptr;
  Connection c(o);
  ASSERT_TRUE(c.completed());
  EXPECT_EQ(c.get("SSL_PROTOCOL"), "TLSv1.2");
  EXPECT_EQ(c.get("SSL_CIPHER"), "ECDHE-ECDSA-AES256-GCM-SHA384");
  EXPECT_EQ(c.get("SSL_CIPHER_USEKEYSIZE"), "256");
  EXPECT_EQ(c.get("SSL_SECURE_RENEG"), "true");
  EXPECT_EQ(c.get("SSL_TLS_SNI"), std::nullopt);
}

TEST(VarsLookup, ClientCertificateFields) {
  Connection c({});
  ASSERT_TRUE(c.completed());
  EXPECT_EQ(c.get("SSL_CLIENT_M_VERSION"), "3");
  EXPECT_EQ(c.get("SSL_CLIENT_M_SERIAL"), "80");
  EXPECT_EQ(c.get("SSL_CLIENT_S_DN"),
            "emailAddress=j@example.com,CN=J\u00fcrgen,OU=two,OU=one,O=Org,C=DE");
  EXPECT_EQ(c.get("SSL_CLIENT_I_DN"), "CN=Client CA,OU=Clients,O=modssl tests");
  EXPECT_EQ(c.get("SSL_CLIENT_S_DN_CN"), "J\u00fcrgen");
  EXPECT_EQ(c.get("SSL_CLIENT_S_DN_OU"), "one");
  EXPECT_EQ(c.get("SSL_CLIENT_S_DN_OU_1"), "two");
  EXPECT_EQ(c.get("SSL_CLIENT_S_DN_OU_2"), std::nullopt);
  EXPECT_EQ(c.get("SSL_CLIENT_S_DN_Email"), "j@example.com");
  EXPECT_EQ(c.get("SSL_CLIENT_I_DN_OU"), "Clients");
  EXPECT_EQ(c.get("SSL_CLIENT_A_KEY"), "id-ecPublicKey");
  EXPECT_EQ(c.get("SSL_CLIENT_A_SIG"), "ecdsa-with-SHA256");
  // 30.5 days left, truncated.
  EXPECT_EQ(c.get("SSL_CLIENT_V_REMAIN"), "30");
  EXPECT_EQ(c.get("SSL_CLIENT_SAN_DNS_0"), "client.example");
  EXPECT_EQ(c.get("SSL_CLIENT_SAN_Email_0"), "j@example.com");
  EXPECT_EQ(c.get("SSL_CLIENT_SAN_OTHER_msUPN_0"), "j@REALM");
  EXPECT_EQ(c.get("SSL_CLIENT_SAN_OTHER_dnsSRV_0"), std::nullopt);
  EXPECT_EQ(c.get("SSL_CLIENT_CERT"), pem_of(pki().client.cert));
  EXPECT_EQ(c.get("SSL_CLIENT_CERT_CHAIN_0"), pem_of(pki().intermediate.cert));
  EXPECT_EQ(c.get("SSL_CLIENT_CERT_CHAIN_1"), std::nullopt);
  EXPECT_EQ(c.get("SSL_CLIENT_CERT_RFC4523_CEA"),
            "{ serialNumber 128, issuer rdnSequence:\"CN=Client CA,OU=Clients,O=modssl tests\" }");
  EXPECT_EQ(extension_values(c.server(), true, "nsComment"),
            std::vector<std::string>{"client comment"});
  EXPECT_EQ(extension_values(c.server(), false, "nsComment"), std::vector<std::string>{});

  // The legacy form, per directory.
  EXPECT_EQ(lookup("SSL_CLIENT_S_DN", c.source(true)),
            "/C=DE/O=Org/OU=one/OU=two/CN=J\\xC3\\xBCrgen/emailAddress=j@example.com");
  EXPECT_EQ(lookup("SSL_CLIENT_I_DN", c.source(true)), "/O=modssl tests/OU=Clients/CN=Client CA");
}

TEST(VarsLookup, ServerCertificateFields) {
  Connection c({});
  ASSERT_TRUE(c.completed());
  EXPECT_EQ(c.get("SSL_SERVER_M_SERIAL"), "1001");
  EXPECT_EQ(c.get("SSL_SERVER_S_DN"), "CN=localhost,O=modssl tests");
  EXPECT_EQ(c.get("SSL_SERVER_I_DN"), "CN=Root CA,O=modssl tests");
  EXPECT_EQ(c.get("SSL_SERVER_S_DN_CN"), "localhost");
  EXPECT_EQ(c.get("SSL_SERVER_SAN_DNS_0"), "localhost");
  EXPECT_EQ(c.get("SSL_SERVER_CERT"), pem_of(pki().server.cert));
  EXPECT_EQ(c.get("SSL_SERVER_V_END"), c.get("SSL_SERVER_V_END"));
  EXPECT_TRUE(c.get("SSL_SERVER_V_START")->ends_with(" GMT"));
}

TEST(VarsLookup, ClientVerify) {
  {
    Options o;
    o.request_client_cert = false;
    Connection c(o);
    ASSERT_TRUE(c.completed());
    EXPECT_EQ(c.get("SSL_CLIENT_VERIFY"), "NONE");
    EXPECT_EQ(c.get("SSL_CLIENT_S_DN"), std::nullopt);
    EXPECT_EQ(c.get("SSL_CLIENT_CERT"), std::nullopt);
    EXPECT_EQ(c.get("SSL_CLIENT_CERT_CHAIN_0"), std::nullopt);
    EXPECT_EQ(c.get("SSL_CLIENT_CERT_RFC4523_CEA"), std::nullopt);
  }
  {
    Options o;
    o.send_client_cert = false;
    Connection c(o);
    ASSERT_TRUE(c.completed());
    EXPECT_EQ(c.get("SSL_CLIENT_VERIFY"), "NONE");
  }
  {
    Connection c({});
    ASSERT_TRUE(c.completed());
    EXPECT_EQ(c.get("SSL_CLIENT_VERIFY"), "SUCCESS");
  }
  {
    Options o;
    o.server_trusts_root = false;
    Connection c(o);
    ASSERT_TRUE(c.completed());
    EXPECT_EQ(SSL_get_verify_result(c.server()), X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    EXPECT_EQ(c.get("SSL_CLIENT_VERIFY"), "FAILED:unable to get local issuer certificate");
  }
}

TEST(VarsLookup, NameMatching) {
  Connection c({});
  ASSERT_TRUE(c.completed());
  // mod_ssl compares variable names with strcasecmp...
  EXPECT_EQ(c.get("ssl_protocol"), "TLSv1.3");
  EXPECT_EQ(c.get("Ssl_Client_S_dn_CN"), "J\u00fcrgen");
  EXPECT_EQ(c.get("SSL_client_san_dns_0"), "client.example");
  // ...but not DN tags, the S/I letter, otherName forms or the version suffixes.
  EXPECT_EQ(c.get("SSL_CLIENT_S_DN_cn"), std::nullopt);
  EXPECT_EQ(c.get("SSL_CLIENT_s_DN"), std::nullopt);
  EXPECT_EQ(c.get("SSL_CLIENT_SAN_OTHER_MSUPN_0"), std::nullopt);
  EXPECT_EQ(c.get("SSL_VERSION_library"), std::nullopt);
  EXPECT_EQ(c.get("ssl_version_LIBRARY"), c.get("SSL_VERSION_LIBRARY"));

  for (std::string_view unknown :
       {"SSL_", "SSL_NO_SUCH_VAR", "SSL_CIPHERX", "SSL_CLIENT_", "SSL_CLIENT_S_DN_XX",
        "SSL_CLIENT_SAN_DNS_x", "SSL_CLIENT_SAN_IP_0", "SSL_CLIENT_CERT_CHAIN_x",
        "SSL_SERVER_CERT_CHAIN_0", "SSL_HANDSHAKE_RTT", "SSL_VERSION_", "HTTPS_X", ""}) {
    EXPECT_EQ(c.get(unknown), std::nullopt) << unknown;
    EXPECT_FALSE(is_known(unknown)) << unknown;
  }
  for (std::string_view known :
       {"HTTPS", "SSL_PROTOCOL", "SSL_CLIENT_VERIFY", "SSL_CLIENT_S_DN_OU_7",
        "SSL_SERVER_I_DN_Email", "SSL_CLIENT_SAN_OTHER_dnsSRV_3", "SSL_CLIENT_CERT_CHAIN_9",
        "SSL_SRP_USER", "SSL_VERSION_LIBRARY_INTERFACE", "SSL_SERVER_V_REMAIN"}) {
    EXPECT_TRUE(is_known(known)) << known;
  }
}

TEST(VarsLookup, WithoutTls) {
  const Source none{};
  EXPECT_EQ(lookup("HTTPS", none), "off");
  EXPECT_EQ(lookup("SSL_PROTOCOL", none), std::nullopt);
  EXPECT_EQ(lookup("SSL_CLIENT_VERIFY", none), std::nullopt);
  EXPECT_EQ(lookup("SSL_VERSION_INTERFACE", none), "mod_ssl/" AP_SERVER_BASEREVISION);
  EXPECT_TRUE(lookup("SSL_VERSION_LIBRARY", none).has_value());
  std::size_t calls = 0;
  each_standard_variable(none, [&](std::string_view, std::string) { ++calls; });
  each_certificate_variable(none, [&](std::string_view, std::string) { ++calls; });
  EXPECT_EQ(calls, 0u);
}

using Vars = std::vector<std::pair<std::string, std::string>>;

Vars collect_standard(const Source& src) {
  Vars out;
  each_standard_variable(src, [&](std::string_view k, std::string v) {
    out.emplace_back(std::string(k), std::move(v));
  });
  return out;
}

TEST(VarsLookup, StandardVariablesInModSslOrder) {
  Connection c({});
  ASSERT_TRUE(c.completed());
  const Vars vars = collect_standard(c.source());
  std::vector<std::string> names;
  for (const auto& [k, v] : vars) {
    EXPECT_FALSE(v.empty()) << k;
    names.push_back(k);
  }
  const std::vector<std::string> expected{"SSL_SERVER_S_DN_O",
                                          "SSL_SERVER_S_DN_CN",
                                          "SSL_SERVER_I_DN_O",
                                          "SSL_SERVER_I_DN_CN",
                                          "SSL_CLIENT_S_DN_C",
                                          "SSL_CLIENT_S_DN_O",
                                          "SSL_CLIENT_S_DN_OU",
                                          "SSL_CLIENT_S_DN_OU_1",
                                          "SSL_CLIENT_S_DN_CN",
                                          "SSL_CLIENT_S_DN_Email",
                                          "SSL_CLIENT_I_DN_O",
                                          "SSL_CLIENT_I_DN_OU",
                                          "SSL_CLIENT_I_DN_CN",
                                          "SSL_SERVER_SAN_DNS_0",
                                          "SSL_CLIENT_SAN_Email_0",
                                          "SSL_CLIENT_SAN_DNS_0",
                                          "SSL_CLIENT_SAN_OTHER_msUPN_0",
                                          "SSL_VERSION_INTERFACE",
                                          "SSL_VERSION_LIBRARY",
                                          "SSL_PROTOCOL",
                                          "SSL_SECURE_RENEG",
                                          "SSL_COMPRESS_METHOD",
                                          "SSL_CIPHER",
                                          "SSL_CIPHER_EXPORT",
                                          "SSL_CIPHER_USEKEYSIZE",
                                          "SSL_CIPHER_ALGKEYSIZE",
                                          "SSL_CLIENT_VERIFY",
                                          "SSL_CLIENT_M_VERSION",
                                          "SSL_CLIENT_M_SERIAL",
                                          "SSL_CLIENT_V_START",
                                          "SSL_CLIENT_V_END",
                                          "SSL_CLIENT_V_REMAIN",
                                          "SSL_CLIENT_S_DN",
                                          "SSL_CLIENT_I_DN",
                                          "SSL_CLIENT_A_KEY",
                                          "SSL_CLIENT_A_SIG",
                                          "SSL_CLIENT_CERT_RFC4523_CEA",
                                          "SSL_SERVER_M_VERSION",
                                          "SSL_SERVER_M_SERIAL",
                                          "SSL_SERVER_V_START",
                                          "SSL_SERVER_V_END",
                                          "SSL_SERVER_S_DN",
                                          "SSL_SERVER_I_DN",
                                          "SSL_SERVER_A_KEY",
                                          "SSL_SERVER_A_SIG",
                                          "SSL_SESSION_ID",
                                          "SSL_SESSION_RESUMED"};
  EXPECT_EQ(names, expected);
  const std::map<std::string, std::string> by_name(vars.begin(), vars.end());
  EXPECT_EQ(by_name.at("SSL_CLIENT_S_DN_OU_1"), "two");
  EXPECT_EQ(by_name.at("SSL_CLIENT_SAN_OTHER_msUPN_0"), "j@REALM");

  // Legacy DN strings reach the list too.
  const Vars legacy = collect_standard(c.source(true));
  const std::map<std::string, std::string> legacy_by_name(legacy.begin(), legacy.end());
  EXPECT_EQ(legacy_by_name.at("SSL_SERVER_S_DN"), "/O=modssl tests/CN=localhost");
}

TEST(VarsLookup, CertificateVariables) {
  {
    Connection c({});
    ASSERT_TRUE(c.completed());
    Vars vars;
    each_certificate_variable(c.source(), [&](std::string_view k, std::string v) {
      vars.emplace_back(std::string(k), std::move(v));
    });
    EXPECT_EQ(vars, (Vars{{"SSL_SERVER_CERT", pem_of(pki().server.cert)},
                          {"SSL_CLIENT_CERT", pem_of(pki().client.cert)},
                          {"SSL_CLIENT_CERT_CHAIN_0", pem_of(pki().intermediate.cert)}}));
  }
  {
    Options o;
    o.request_client_cert = false;
    Connection c(o);
    ASSERT_TRUE(c.completed());
    Vars vars;
    each_certificate_variable(c.source(), [&](std::string_view k, std::string v) {
      vars.emplace_back(std::string(k), std::move(v));
    });
    EXPECT_EQ(vars,
              (Vars{{"SSL_SERVER_CERT", pem_of(pki().server.cert)}, {"SSL_CLIENT_CERT", ""}}));
  }
}

}  // namespace
}  // namespace modssl::vars
