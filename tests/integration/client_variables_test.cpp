// The SSL_* variables of connections with client certificates, byte for byte what stock mod_ssl
// gives: the CGI environment (+StdEnvVars +ExportCertData, +LegacyDNStringFormat) compared with
// the stock module's for the same certificates; literal values of the formats that matter (so
// that both modules being wrong the same way still fails); and the same variables as other
// modules see them (mod_log_config, mod_headers, ap_expr in <If>/Require, PeerExtList,
// mod_rewrite, mod_include). Certificates: harness/client_certs.h.
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <openssl/ssl.h>

#include "cgi.h"
#include "client_certs.h"
#include "http.h"
#include "httpd.h"
#include "scoped_env.h"
#include "tls_client.h"

namespace modssl::it {
namespace {

using namespace std::chrono_literals;

constexpr const char* kStockModule = "/usr/lib/apache2/modules/mod_ssl.so";

// Prints SSL_* and HTTPS, sorted, NAME=value a line; backslash and newline escaped.
constexpr const char* kEnvCgi = R"(#!/usr/bin/perl
print "Content-Type: text/plain\r\n\r\n";
for my $k (sort keys %ENV) {
  next unless $k =~ /^SSL_/ || $k eq 'HTTPS';
  my $v = $ENV{$k};
  $v =~ s/\\/\\\\/g;
  $v =~ s/\n/\\n/g;
  print "$k=$v\n";
}
)";

constexpr const char* kSsi =
    "[<!--#echo encoding=\"none\" var=\"SSL_CLIENT_S_DN_CN\" -->|"
    "<!--#echo encoding=\"none\" var=\"SSL_CLIENT_S_DN_OU_1\" -->|"
    "<!--#echo encoding=\"none\" var=\"SSL_CLIENT_VERIFY\" -->]\n";

using Env = std::map<std::string, std::string>;

Env parse_env(const std::string& body) {
  Env env;
  std::istringstream in(body);
  std::string line;
  while (std::getline(in, line)) {
    const std::size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string value;
    for (std::size_t i = eq + 1; i < line.size(); ++i) {
      if (line[i] == '\\' && i + 1 < line.size()) {
        value += line[i + 1] == 'n' ? '\n' : line[i + 1];
        ++i;
      } else {
        value += line[i];
      }
    }
    env[line.substr(0, eq)] = value;
  }
  return env;
}

std::string escaped(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '\n' ? std::string("\\n") : std::string(1, c);
  return out;
}

// The differences of two environments but SSL_SESSION_ID, readable; "" when none.
std::string env_diff(const Env& ours, const Env& stock) {
  std::string out;
  std::map<std::string, bool> names;
  for (const auto& [k, v] : ours) names[k] = true;
  for (const auto& [k, v] : stock) names[k] = true;
  for (const auto& [name, unused] : names) {
    if (name == "SSL_SESSION_ID") continue;
    const auto a = ours.find(name);
    const auto b = stock.find(name);
    const std::string va = a == ours.end() ? "(unset)" : "'" + escaped(a->second) + "'";
    const std::string vb = b == stock.end() ? "(unset)" : "'" + escaped(b->second) + "'";
    if (va != vb) out += "  " + name + "\n    ours:  " + va + "\n    stock: " + vb + "\n";
  }
  return out;
}

std::string dump(const Env& env) {
  std::string out;
  for (const auto& [k, v] : env) out += "  " + k + "=" + escaped(v) + "\n";
  return out;
}

// A TLS vhost with the test PKI's server certificate, verifying clients against the test CAs.
std::string client_vhost(const std::string& port_name, const std::string& verify) {
  const ClientPki& pki = client_pki();
  return listen_https(port_name) + tls_virtual_host(port_name, certificate_lines(pki.server) + R"(
  SSLCACertificateFile )" + pki.ca_bundle + R"(
  SSLVerifyClient )" + verify + R"(
  SSLVerifyDepth 3
  RewriteEngine on
  RewriteRule ^/mods/ - [E=RW_CN:%{SSL:SSL_CLIENT_S_DN_CN}]
)");
}

// The whole server: three vhosts (optional, optional_no_ca, require), a plain HTTP listener,
// the environment CGI at /cgi-bin/ (+StdEnvVars +ExportCertData), /legacy/ (the same with
// +LegacyDNStringFormat) and /nostd/ (no SSLOptions), SSI at /ssi/, and /mods/ where
// mod_log_config, mod_headers, ap_expr and mod_rewrite look at the variables. `more`: further
// server-level lines.
void configure_server(Httpd& h, const std::string& more = "") {
  const std::string cgi = enable_cgi(h);
  h.load_module("headers");
  h.load_module("rewrite");
  h.load_module("include");
  h.write("cgi-bin/env.cgi", kEnvCgi, 0755);
  h.write("htdocs/ssi/index.shtml", kSsi);
  h.write("htdocs/mods/index.html", "mods\n");
  h.write("htdocs/verified/index.html", "verified\n");
  h.write("htdocs/ext/index.html", "ext\n");
  h.write("htdocs/private/index.html", "private\n");
  h.configure(cgi + R"conf(
ScriptAlias /legacy/ @ROOT@/cgi-bin/
ScriptAlias /nostd/ @ROOT@/cgi-bin/
Listen 127.0.0.1:@PORT:http@
AddOutputFilter INCLUDES .shtml
DirectoryIndex index.html index.shtml
LogFormat "[%{SSL_CLIENT_S_DN}x|%{SSL_CLIENT_S_DN_OU_2}x|%{SSL_CLIENT_SAN_DNS_1}x|%{SSL_CLIENT_VERIFY}x|%{SSL_CLIENT_CERT_CHAIN_0}x]" clientvars
CustomLog @ROOT@/logs/client-vars.log clientvars "expr=%{REQUEST_URI} =~ m#^/mods/#"
<Location /cgi-bin/>
  SSLOptions +StdEnvVars +ExportCertData
</Location>
<Location /legacy/>
  SSLOptions +StdEnvVars +ExportCertData +LegacyDNStringFormat
</Location>
<Location /ssi/>
  Options +Includes
  SSLOptions +StdEnvVars
</Location>
<Location /mods/>
  RequestHeader set X-Req-Dn "%{SSL_CLIENT_S_DN}s"
  Header always set X-Echo-Dn "expr=%{req:X-Req-Dn}"
  Header always set X-Cn "%{SSL_CLIENT_S_DN_CN}s"
  Header always set X-Ou-1 "%{SSL_CLIENT_S_DN_OU_1}s"
  Header always set X-San-Email-1 "%{SSL_CLIENT_SAN_Email_1}s"
  Header always set X-Verify "%{SSL_CLIENT_VERIFY}s"
  Header always set X-Expr-Upn "expr=%{SSL:SSL_CLIENT_SAN_OTHER_msUPN_0}"
  Header always set X-Expr-Srv "expr=%{SSL:SSL_CLIENT_SAN_OTHER_dnsSRV_0}"
  Header always set X-Rewrite-Cn "%{RW_CN}e"
  <If "%{SSL_CLIENT_S_DN_O} == 'Société 漢字'">
    Header always set X-If-O yes
  </If>
</Location>
<Location /verified/>
  Require expr "%{SSL_CLIENT_VERIFY} == 'SUCCESS'"
</Location>
)conf" + more +
              client_vhost("optional", "optional") +
              client_vhost("optional_no_ca", "optional_no_ca") +
              client_vhost("require", "require"));
}

// Client profiles: a name from client_pki().clients, or "none" (no certificate).
const std::vector<std::string> kProfiles = {"none",    "rich_rsa", "escaped_ec",
                                            "chained", "expired",  "unknown_ca"};

// Certificates that do not verify go to the optional_no_ca vhost (optional fails the handshake).
std::string vhost_for(const std::string& profile) {
  return profile == "expired" || profile == "unknown_ca" ? "optional_no_ca" : "optional";
}

TlsOptions client_options(const std::string& profile, int version) {
  TlsOptions o{.min_version = version, .max_version = version};
  if (profile != "none") {
    o.cert_file = client_pki().client(profile).cert;
    o.key_file = client_pki().client(profile).key;
  }
  return o;
}

std::string version_name(int version) {
  return version == TLS1_3_VERSION ? "TLS13" : "TLS12";
}

// One GET on a new connection; status 0 (and the error in the body) when the handshake failed.
HttpResponse get(Httpd& h, const std::string& vhost, const std::string& path,
                 const std::string& profile, int version) {
  return https_request(h.port(vhost), path, client_options(profile, version));
}

// GET `path` on `vhost` as `profile`; the parsed CGI environment, or a failure.
::testing::AssertionResult fetch_env(Httpd& h, const std::string& vhost, const std::string& path,
                                     const std::string& profile, int version, Env* env) {
  HttpResponse r = get(h, vhost, path, profile, version);
  if (r.status != 200) {
    return ::testing::AssertionFailure() << "GET " << path << " on " << vhost << " as " << profile
                                         << ": status " << r.status << " " << r.body << "\n"
                                         << h.error_log();
  }
  *env = parse_env(r.body);
  return ::testing::AssertionSuccess();
}

// "mod_ssl/2.4.71" for the installed httpd (SSL_VERSION_INTERFACE).
std::string expected_interface_version() {
  const std::string out = run({"/usr/sbin/apache2", "-v"}).out;
  const std::size_t at = out.find("Apache/");
  if (at == std::string::npos) return "(apache2 -v said: " + out + ")";
  const std::size_t end = out.find_first_of(" \n", at);
  return "mod_ssl/" + out.substr(at + 7, end - at - 7);
}

// ---------------------------------------------------------------------------------------------
// 1. Side by side with the stock module: the same config and the same certificate files; the
//    environments may differ in SSL_SESSION_ID only.

class StockParity : public ::testing::TestWithParam<std::tuple<std::string, int>> {};

TEST_P(StockParity, CgiEnv) {
  if (!std::filesystem::exists(kStockModule)) GTEST_SKIP() << kStockModule << " not installed";
  const auto& [profile, version] = GetParam();
  Httpd ours;
  Httpd stock;
  configure_server(ours);
  configure_server(stock);
  ASSERT_TRUE(ours.start()) << ours.startup_log();
  {
    ScopedEnv module("MODSSL_UNDER_TEST", kStockModule);
    ASSERT_TRUE(stock.start()) << stock.startup_log();
  }
  for (const std::string path : {"/cgi-bin/env.cgi", "/legacy/env.cgi", "/nostd/env.cgi"}) {
    SCOPED_TRACE(path);
    const HttpResponse a = get(ours, vhost_for(profile), path, profile, version);
    const HttpResponse b = get(stock, vhost_for(profile), path, profile, version);
    ASSERT_EQ(a.status, b.status) << "module under test: " << a.body << "\nstock: " << b.body;
    if (b.status != 200) continue;  // a refused certificate: both refused it
    const std::string diff = env_diff(parse_env(a.body), parse_env(b.body));
    EXPECT_TRUE(diff.empty()) << "variables that differ (module under test vs stock):\n" << diff;
    if (std::getenv("MODSSL_DUMP_ENV")) std::cout << path << "\n" << dump(parse_env(b.body));
  }
}

INSTANTIATE_TEST_SUITE_P(All, StockParity,
                         ::testing::Combine(::testing::ValuesIn(kProfiles),
                                            ::testing::Values(TLS1_2_VERSION, TLS1_3_VERSION)),
                         [](const auto& info) {
                           return std::get<0>(info.param) + "_" +
                                  version_name(std::get<1>(info.param));
                         });

// ---------------------------------------------------------------------------------------------
// 2. Literal values (stock mod_ssl's, found by running these tests against it).

class ClientVars : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    configure_server(h_);
    ASSERT_TRUE(h_.start()) << h_.startup_log();
  }
  int version() const { return GetParam(); }
  bool tls13() const { return GetParam() == TLS1_3_VERSION; }
  Env env(const std::string& profile, const std::string& path = "/cgi-bin/env.cgi") {
    Env e;
    EXPECT_TRUE(fetch_env(h_, vhost_for(profile), path, profile, version(), &e));
    return e;
  }
  static std::string value(const Env& e, const std::string& name) {
    const auto it = e.find(name);
    return it == e.end() ? "(unset)" : it->second;
  }
  // The access log line of the last /mods/ request (written after the response).
  std::string last_log_line() {
    std::string log;
    for (int i = 0; i < 100; ++i) {
      log = read_file(h_.path("logs/client-vars.log"));
      if (!log.empty() && log.back() == '\n') break;
      std::this_thread::sleep_for(20ms);
    }
    if (log.empty()) return "(no log line)";
    log.pop_back();
    return log.substr(log.rfind('\n') + 1);
  }

  Httpd h_;
};

TEST_P(ClientVars, RichSubject) {
  const Env e = env("rich_rsa");
  EXPECT_EQ(value(e, "SSL_CLIENT_S_DN"),
            "emailAddress=jane@example.com,CN=Jäne Døe 漢字+UID=jdoe,description=test user,"
            "SN=Doe,GN=Jane,initials=JQ,title=Dr,OU=QA,OU=Ops,OU=Dev,O=Société 漢字,L=Köln,"
            "ST=Baden-Württemberg,C=DE");
  const std::map<std::string, std::string> parts = {{"C", "DE"},
                                                    {"ST", "Baden-Württemberg"},
                                                    {"L", "Köln"},
                                                    {"O", "Société 漢字"},
                                                    {"OU", "Dev"},
                                                    {"OU_1", "Ops"},
                                                    {"OU_2", "QA"},
                                                    {"T", "Dr"},
                                                    {"I", "JQ"},
                                                    {"G", "Jane"},
                                                    {"S", "Doe"},
                                                    {"D", "test user"},
                                                    {"CN", "Jäne Døe 漢字"},
                                                    {"UID", "jdoe"},
                                                    {"Email", "jane@example.com"}};
  for (const auto& [part, expected] : parts) {
    EXPECT_EQ(value(e, "SSL_CLIENT_S_DN_" + part), expected) << part;
  }
  EXPECT_EQ(value(e, "SSL_CLIENT_S_DN_OU_3"), "(unset)");
  EXPECT_EQ(value(e, "SSL_CLIENT_I_DN"), "CN=modssl Test Root CA,O=modssl test PKI,C=DE");
  EXPECT_EQ(value(e, "SSL_CLIENT_I_DN_CN"), "modssl Test Root CA");
}

TEST_P(ClientVars, RichCertificateFields) {
  const Env e = env("rich_rsa");
  EXPECT_EQ(value(e, "SSL_CLIENT_VERIFY"), "SUCCESS");
  EXPECT_EQ(value(e, "SSL_CLIENT_M_SERIAL"), "FFEEDDCCBBAA99");
  EXPECT_EQ(value(e, "SSL_CLIENT_M_VERSION"), "3");
  EXPECT_EQ(value(e, "SSL_CLIENT_A_KEY"), "rsaEncryption");
  EXPECT_EQ(value(e, "SSL_CLIENT_A_SIG"), "ecdsa-with-SHA256");
  EXPECT_EQ(value(e, "SSL_CLIENT_V_REMAIN"), "30");  // whole days (valid for 30.5)
  EXPECT_EQ(value(e, "SSL_CLIENT_CERT_RFC4523_CEA"),
            "{ serialNumber 72038755451251353, issuer rdnSequence:\"CN=modssl Test Root CA,"
            "O=modssl test PKI,C=DE\" }");
  EXPECT_EQ(value(e, "SSL_CLIENT_SAN_DNS_0"), "client.example.com");
  EXPECT_EQ(value(e, "SSL_CLIENT_SAN_DNS_1"), "alt.example.com");
  EXPECT_EQ(value(e, "SSL_CLIENT_SAN_Email_0"), "jane@example.com");
  EXPECT_EQ(value(e, "SSL_CLIENT_SAN_Email_1"), "j.doe@example.org");
  EXPECT_EQ(value(e, "SSL_CLIENT_SAN_OTHER_msUPN_0"), "user@realm");
  // StdEnvVars exports DNS, Email and msUPN alt names only (dnsSRV: by lookup, see /mods/).
  EXPECT_EQ(value(e, "SSL_CLIENT_SAN_OTHER_dnsSRV_0"), "(unset)");
  EXPECT_EQ(value(e, "SSL_CLIENT_CERT"), pem_blocks(client_pki().client("rich_rsa").cert).at(0));
  EXPECT_EQ(value(e, "SSL_CLIENT_CERT_CHAIN_0"), "(unset)");  // the client sent no chain
  EXPECT_EQ(value(e, "SSL_SERVER_CERT"), pem_blocks(client_pki().server.cert).at(0));
}

TEST_P(ClientVars, EscapedSubject) {
  const Env e = env("escaped_ec");
  EXPECT_EQ(
      value(e, "SSL_CLIENT_S_DN"),
      R"(CN=back\\slash \<lt\> \>gt\; semi=eq,OU=\ lead and trail\ ,O=\#hash\, \"Quoted\" \+ Co.,C=US)");
  // A component alone escapes the backslash (doubled) but none of the other specials.
  EXPECT_EQ(value(e, "SSL_CLIENT_S_DN_CN"), R"(back\\slash <lt> >gt; semi=eq)");
  EXPECT_EQ(value(e, "SSL_CLIENT_S_DN_OU"), " lead and trail ");
  EXPECT_EQ(value(e, "SSL_CLIENT_S_DN_O"), R"(#hash, "Quoted" + Co.)");
  EXPECT_EQ(value(e, "SSL_CLIENT_M_SERIAL"), "05");
  EXPECT_EQ(value(e, "SSL_CLIENT_A_KEY"), "id-ecPublicKey");
  EXPECT_EQ(value(e, "SSL_CLIENT_CERT_RFC4523_CEA"),
            "{ serialNumber 5, issuer rdnSequence:\"CN=modssl Test Root CA,O=modssl test PKI,"
            "C=DE\" }");
  const Env legacy = env("escaped_ec", "/legacy/env.cgi");
  EXPECT_EQ(
      value(legacy, "SSL_CLIENT_S_DN"),
      R"(/C=US/O=#hash, "Quoted" \+ Co./OU= lead and trail /CN=back\slash <lt> >gt; semi=eq)");
}

TEST_P(ClientVars, LegacyDnStringFormat) {
  const Env e = env("rich_rsa", "/legacy/env.cgi");
  // The one-line format escapes UTF-8 bytes and writes a multi-valued RDN in its own order.
  EXPECT_EQ(value(e, "SSL_CLIENT_S_DN"),
            R"(/C=DE/ST=Baden-W\xC3\xBCrttemberg/L=K\xC3\xB6ln/O=Soci\xC3\xA9t\xC3\xA9 )"
            R"(\xE6\xBC\xA2\xE5\xAD\x97/OU=Dev/OU=Ops/OU=QA/title=Dr/initials=JQ/GN=Jane/SN=Doe/)"
            R"(description=test user/UID=jdoe+CN=J\xC3\xA4ne D\xC3\xB8e \xE6\xBC\xA2\xE5\xAD\x97/)"
            R"(emailAddress=jane@example.com)");
  EXPECT_EQ(value(e, "SSL_CLIENT_I_DN"), "/C=DE/O=modssl test PKI/CN=modssl Test Root CA");
  EXPECT_EQ(value(e, "SSL_SERVER_S_DN"), "/O=modssl tests/CN=localhost");
  EXPECT_EQ(value(e, "SSL_CLIENT_S_DN_CN"), "Jäne Døe 漢字");  // components are not affected
}

TEST_P(ClientVars, ChainSentByClient) {
  const Env e = env("chained");
  const std::vector<std::string> sent = pem_blocks(client_pki().client("chained").cert);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(value(e, "SSL_CLIENT_VERIFY"), "SUCCESS");
  EXPECT_EQ(value(e, "SSL_CLIENT_CERT"), sent[0]);
  EXPECT_EQ(value(e, "SSL_CLIENT_CERT_CHAIN_0"), sent[1]);
  EXPECT_EQ(value(e, "SSL_CLIENT_CERT_CHAIN_1"), "(unset)");
  EXPECT_EQ(value(e, "SSL_CLIENT_I_DN"), "CN=modssl Test Intermediate CA,O=modssl test PKI,C=DE");
  EXPECT_EQ(value(e, "SSL_CLIENT_M_SERIAL"), "2A");
}

TEST_P(ClientVars, VerifyOutcomes) {
  const Env none = env("none");
  EXPECT_EQ(value(none, "SSL_CLIENT_VERIFY"), "NONE");
  EXPECT_EQ(value(none, "SSL_CLIENT_S_DN"), "(unset)");
  EXPECT_EQ(value(none, "SSL_CLIENT_CERT"), "");  // ExportCertData: set, empty
  // optional_no_ca accepts a certificate from an unknown CA; what it reports depends on the
  // protocol version (stock mod_ssl with OpenSSL 3).
  const Env unknown = env("unknown_ca");
  EXPECT_EQ(value(unknown, "SSL_CLIENT_VERIFY"),
            tls13() ? "FAILED:unable to verify the first certificate" : "GENEROUS");
  EXPECT_EQ(value(unknown, "SSL_CLIENT_S_DN"), "CN=Unknown CA Client,O=elsewhere");
  EXPECT_EQ(value(unknown, "SSL_CLIENT_M_SERIAL"), "4C");
  // An expired certificate is not one of the errors optional_no_ca forgives.
  EXPECT_EQ(get(h_, "optional_no_ca", "/cgi-bin/env.cgi", "expired", version()).status, 0);
  // optional refuses a certificate it cannot verify; require refuses a client without one.
  EXPECT_EQ(get(h_, "optional", "/cgi-bin/env.cgi", "unknown_ca", version()).status, 0);
  EXPECT_EQ(get(h_, "require", "/cgi-bin/env.cgi", "none", version()).status, 0);
  Env required;
  ASSERT_TRUE(fetch_env(h_, "require", "/cgi-bin/env.cgi", "rich_rsa", version(), &required));
  EXPECT_EQ(value(required, "SSL_CLIENT_VERIFY"), "SUCCESS");
}

TEST_P(ClientVars, ConnectionValues) {
  const Env e = env("rich_rsa");
  EXPECT_EQ(value(e, "HTTPS"), "on");
  EXPECT_EQ(value(e, "SSL_PROTOCOL"), tls13() ? "TLSv1.3" : "TLSv1.2");
  EXPECT_EQ(value(e, "SSL_CIPHER"),
            tls13() ? "TLS_AES_256_GCM_SHA384" : "ECDHE-RSA-AES256-GCM-SHA384");
  EXPECT_EQ(value(e, "SSL_CIPHER_USEKEYSIZE"), "256");
  EXPECT_EQ(value(e, "SSL_CIPHER_ALGKEYSIZE"), "256");
  EXPECT_EQ(value(e, "SSL_CIPHER_EXPORT"), "false");
  EXPECT_EQ(value(e, "SSL_SECURE_RENEG"), "true");
  EXPECT_EQ(value(e, "SSL_COMPRESS_METHOD"), "NULL");
  EXPECT_EQ(value(e, "SSL_VERSION_INTERFACE"), expected_interface_version());
  EXPECT_EQ(value(e, "SSL_VERSION_LIBRARY").rfind("OpenSSL/3.", 0), 0u)
      << value(e, "SSL_VERSION_LIBRARY");
  EXPECT_EQ(value(e, "SSL_SESSION_RESUMED"), "Initial");
  EXPECT_EQ(value(e, "SSL_TLS_SNI"), "localhost");
  // TLS 1.2 with a session ticket and no session cache has no session ID: unset.
  EXPECT_EQ(value(e, "SSL_SESSION_ID").size(), tls13() ? 64u : 7u) << value(e, "SSL_SESSION_ID");
  EXPECT_EQ(value(e, "SSL_SERVER_M_SERIAL"), "1001");
  EXPECT_EQ(value(e, "SSL_SERVER_S_DN"), "CN=localhost,O=modssl tests");
  EXPECT_EQ(value(e, "SSL_SERVER_SAN_DNS_0"), "localhost");
}

TEST_P(ClientVars, ResumedSessionKeepsClientCertificate) {
  TlsOptions options = client_options("rich_rsa", version());
  std::shared_ptr<SSL_SESSION> session;
  {
    TlsClient c(h_.port("optional"), options);
    ASSERT_TRUE(c.ok()) << c.error();
    ASSERT_TRUE(
        c.write("GET /cgi-bin/env.cgi HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
    const std::vector<HttpResponse> r = parse_responses(c.read_to_close());
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(value(parse_env(r[0].body), "SSL_SESSION_RESUMED"), "Initial");
    session = c.session();
  }
  ASSERT_TRUE(session);
  options.session = session;
  const HttpResponse r = https_request(h_.port("optional"), "/cgi-bin/env.cgi", options);
  ASSERT_EQ(r.status, 200) << r.body;
  const Env e = parse_env(r.body);
  EXPECT_EQ(value(e, "SSL_SESSION_RESUMED"), "Resumed");
  EXPECT_EQ(value(e, "SSL_CLIENT_VERIFY"), "SUCCESS");
  EXPECT_EQ(value(e, "SSL_CLIENT_S_DN_OU_2"), "QA");
  EXPECT_EQ(value(e, "SSL_CLIENT_M_SERIAL"), "FFEEDDCCBBAA99");
}

TEST_P(ClientVars, WithoutStdEnvVars) {
  // Without +StdEnvVars a CGI still sees HTTPS and the SNI name, and nothing else.
  const Env e = env("rich_rsa", "/nostd/env.cgi");
  EXPECT_EQ(dump(e), dump({{"HTTPS", "on"}, {"SSL_TLS_SNI", "localhost"}}));
}

// ---------------------------------------------------------------------------------------------
// 3. The same variables as other modules see them.

TEST_P(ClientVars, HeadersExprRewriteAndLog) {
  const HttpResponse r = get(h_, "optional", "/mods/", "rich_rsa", version());
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string dn =
      "emailAddress=jane@example.com,CN=Jäne Døe 漢字+UID=jdoe,description=test user,SN=Doe,"
      "GN=Jane,initials=JQ,title=Dr,OU=QA,OU=Ops,OU=Dev,O=Société 漢字,L=Köln,"
      "ST=Baden-Württemberg,C=DE";
  EXPECT_EQ(r.header("x-echo-dn"), dn);
  EXPECT_EQ(r.header("x-cn"), "Jäne Døe 漢字");
  EXPECT_EQ(r.header("x-ou-1"), "Ops");
  EXPECT_EQ(r.header("x-san-email-1"), "j.doe@example.org");
  EXPECT_EQ(r.header("x-verify"), "SUCCESS");
  EXPECT_EQ(r.header("x-expr-upn"), "user@realm");
  EXPECT_EQ(r.header("x-expr-srv"), "_http.example.com");
  EXPECT_EQ(r.header("x-rewrite-cn"), "Jäne Døe 漢字");
  EXPECT_EQ(r.header("x-if-o"), "yes");
  // mod_log_config escapes bytes above 0x7f.
  EXPECT_EQ(last_log_line(),
            R"([emailAddress=jane@example.com,CN=J\xc3\xa4ne D\xc3\xb8e \xe6\xbc\xa2\xe5\xad\x97)"
            R"(+UID=jdoe,description=test user,SN=Doe,GN=Jane,initials=JQ,title=Dr,OU=QA,OU=Ops,)"
            R"(OU=Dev,O=Soci\xc3\xa9t\xc3\xa9 \xe6\xbc\xa2\xe5\xad\x97,L=K\xc3\xb6ln,)"
            R"(ST=Baden-W\xc3\xbcrttemberg,C=DE|QA|alt.example.com|SUCCESS|-])");

  const HttpResponse chained = get(h_, "optional", "/mods/", "chained", version());
  ASSERT_EQ(chained.status, 200) << chained.body;
  EXPECT_EQ(chained.header("x-cn"), "Intermediate Client");
  EXPECT_EQ(chained.header("x-if-o"), "");
  const std::string intermediate = pem_blocks(client_pki().client("chained").cert).at(1);
  EXPECT_EQ(last_log_line(),
            "[CN=Intermediate Client,O=modssl tests|-|-|SUCCESS|" + escaped(intermediate) + "]");

  const HttpResponse none = get(h_, "optional", "/mods/", "none", version());
  ASSERT_EQ(none.status, 200) << none.body;
  EXPECT_EQ(none.header("x-cn"), "(null)");
  EXPECT_EQ(none.header("x-verify"), "NONE");
  EXPECT_EQ(last_log_line(), "[-|-|-|NONE|-]");
}

TEST_P(ClientVars, RequireExpr) {
  EXPECT_EQ(get(h_, "optional", "/verified/", "rich_rsa", version()).status, 200);
  EXPECT_EQ(get(h_, "optional", "/verified/", "none", version()).status, 403);
  EXPECT_EQ(get(h_, "optional_no_ca", "/verified/", "unknown_ca", version()).status, 403);
}

TEST_P(ClientVars, ServerSideIncludes) {
  const HttpResponse r = get(h_, "optional", "/ssi/", "rich_rsa", version());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "[Jäne Døe 漢字|Ops|SUCCESS]\n");
}

TEST_P(ClientVars, PlainHttpSeesNone) {
  const std::string base = "http://127.0.0.1:" + std::to_string(h_.port("http"));
  const ProcessResult cgi = run({"curl", "-s", "-m", "10", base + "/cgi-bin/env.cgi"});
  EXPECT_EQ(cgi.out, "");
  const ProcessResult mods =
      run({"curl", "-s", "-D-", "-o", "/dev/null", "-m", "10", base + "/mods/"});
  EXPECT_NE(mods.out.find("X-Cn: (null)\r\n"), std::string::npos) << mods.out;
  EXPECT_EQ(mods.out.find("X-If-O"), std::string::npos) << mods.out;
  EXPECT_EQ(last_log_line(), "[-|-|-|-|-]");
}

// ap_expr's PeerExtList() (the values of an extension of the client certificate), in a server
// of its own: a module without the function refuses the whole config.
class PeerExt : public ::testing::TestWithParam<int> {};

TEST_P(PeerExt, RequireExpr) {
  Httpd h;
  configure_server(h, R"conf(
<Location /ext/>
  Require expr "'hello' in PeerExtList('nsComment')"
</Location>
<Location /private/>
  Require expr "'private value' in PeerExtList('1.3.6.1.4.1.55555.1.2')"
</Location>
)conf");
  ASSERT_TRUE(h.start()) << h.startup_log();
  const int v = GetParam();
  EXPECT_EQ(get(h, "optional", "/ext/", "rich_rsa", v).status, 200);
  EXPECT_EQ(get(h, "optional", "/private/", "rich_rsa", v).status, 200);
  EXPECT_EQ(get(h, "optional", "/ext/", "escaped_ec", v).status, 403);
  EXPECT_EQ(get(h, "optional", "/ext/", "none", v).status, 403);
}

INSTANTIATE_TEST_SUITE_P(Tls, PeerExt, ::testing::Values(TLS1_2_VERSION, TLS1_3_VERSION),
                         [](const auto& info) { return version_name(info.param); });

INSTANTIATE_TEST_SUITE_P(Tls, ClientVars, ::testing::Values(TLS1_2_VERSION, TLS1_3_VERSION),
                         [](const auto& info) { return version_name(info.param); });

}  // namespace
}  // namespace modssl::it
