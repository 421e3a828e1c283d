// `apachectl configtest` (apache2 -t) on wrong SSL* directives: the test fails with a non-zero exit
// status and an error that points at the offending line and names what is wrong, and valid
// configurations say "Syntax OK". Only what the stock module says too is asserted here; the
// stricter "directive, value and what is allowed" wording is in beyond/config_messages_test.cpp.
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "httpd.h"
#include "text_search.h"
#include "tls_client.h"

namespace modssl::it {
namespace {

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t");
  auto e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// 1-based number of the first line of `text` that is `needle` (ignoring indentation), or else of
// the first line that contains it; 0 when none does.
int line_of(const std::string& text, const std::string& needle) {
  for (bool exact : {true, false}) {
    std::istringstream in(text);
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
      if (exact ? trim(line) == trim(needle) : line.find(needle) != std::string::npos) return n;
    }
  }
  return 0;
}

struct BadConfig {
  std::string name;               // gtest parameter name
  std::string global;             // lines at server level, before the vhost
  std::string vhost;              // lines inside the TLS <VirtualHost>
  std::string marker;             // a unique substring of the offending line (to find its number)
  std::vector<std::string> says;  // case-insensitive substrings the error output must contain
};

// gtest prints parameters in test names and failures; the name is enough.
void PrintTo(const BadConfig& c, std::ostream* os) {
  *os << c.name;
}

// Placeholders in table entries: @ROOT@ is expanded by the harness; @MISSING@ is a file that does
// not exist and @EMPTY@ an empty one (both under the root).
std::string with_files(Httpd& h, std::string text) {
  auto replace_all = [&text](const std::string& from, const std::string& to) {
    for (auto pos = text.find(from); pos != std::string::npos;
         pos = text.find(from, pos + to.size()))
      text.replace(pos, from.size(), to);
  };
  replace_all("@MISSING@", h.path("certs/does-not-exist.pem"));
  replace_all("@EMPTY@", h.path("certs/empty.pem"));
  replace_all("@ROOT@", h.root());
  return text;
}

class ConfigTestRefuses : public ::testing::TestWithParam<BadConfig> {};

TEST_P(ConfigTestRefuses, FailsAndPointsAtTheLine) {
  const BadConfig& c = GetParam();
  Httpd h;
  h.write("certs/empty.pem", "");
  configure_tls_vhost(
      h, {.server_lines = with_files(h, c.global), .vhost_lines = with_files(h, c.vhost)});
  ProcessResult r = h.configtest();
  ASSERT_FALSE(r.timed_out);
  EXPECT_NE(r.exit_code, 0) << r.all();
  EXPECT_EQ(r.all().find("Syntax OK"), std::string::npos) << r.all();

  // httpd prefixes a directive's error with the line it came from; both modules get that.
  std::string conf = read_file(h.path("conf/httpd.conf"));
  int line = line_of(conf, with_files(h, c.marker));
  ASSERT_GT(line, 0) << "marker '" << c.marker << "' not in config:\n" << conf;
  EXPECT_NE(r.all().find("Syntax error on line " + std::to_string(line) + " "), std::string::npos)
      << "expected the error to point at line " << line << ":\n"
      << r.all();

  const std::string said = lower(r.all());
  for (const std::string& s : c.says) {
    EXPECT_NE(said.find(lower(with_files(h, s))), std::string::npos)
        << "configtest output does not mention '" << s << "':\n"
        << r.all();
  }
}

// `says` lists what both the stock module and ours print. The stock module's wording for an
// on/off flag ("SSLHonorCipherOrder must be On or Off") does not repeat the value; SSLEngine's
// ("Argument must be On or Off") does not even name the directive.
INSTANTIATE_TEST_SUITE_P(
    WrongValues, ConfigTestRefuses,
    ::testing::Values(
        BadConfig{"SSLEngineBogus", "", "SSLEngine bogus", "SSLEngine bogus", {}},
        BadConfig{"SSLEngineTwoArgs",
                  "",
                  "SSLEngine on off",
                  "SSLEngine on off",
                  {"SSLEngine takes one argument"}},
        BadConfig{"SSLEngineNoArg", "", "SSLEngine", "SSLEngine", {"SSLEngine takes one argument"}},
        BadConfig{"SSLProtocolBogus",
                  "",
                  "SSLProtocol bogus",
                  "SSLProtocol bogus",
                  {"SSLProtocol", "bogus"}},
        BadConfig{"SSLProtocolTls14",
                  "",
                  "SSLProtocol -all +TLSv1.4",
                  "+TLSv1.4",
                  {"SSLProtocol", "TLSv1.4"}},
        // OpenSSL 3 has no SSLv3: refused at parse time by both modules.
        BadConfig{"SSLProtocolPlusSSLv3",
                  "",
                  "SSLProtocol +SSLv3",
                  "SSLProtocol +SSLv3",
                  {"SSLv3", "not supported"}},
        BadConfig{"SSLProtocolSSLv3",
                  "",
                  "SSLProtocol SSLv3",
                  "SSLProtocol SSLv3",
                  {"SSLv3", "not supported"}},
        BadConfig{"SSLProtocolAllPlusSSLv3",
                  "",
                  "SSLProtocol all +SSLv3",
                  "all +SSLv3",
                  {"SSLv3", "not supported"}},
        BadConfig{"SSLCipherSuiteBadProtocolWord",
                  "",
                  "SSLCipherSuite TLSv9 HIGH",
                  "SSLCipherSuite TLSv9",
                  {"TLSv9", "not supported"}},
        BadConfig{"SSLHonorCipherOrderMaybe",
                  "",
                  "SSLHonorCipherOrder maybe",
                  "SSLHonorCipherOrder maybe",
                  {"SSLHonorCipherOrder"}},
        BadConfig{"SSLCompressionBogus",
                  "",
                  "SSLCompression bogus",
                  "SSLCompression bogus",
                  {"SSLCompression"}},
        // OpenSSL 3 as Debian builds it has no compression methods: both refuse "on".
        BadConfig{
            "SSLCompressionOn", "", "SSLCompression on", "SSLCompression on", {"SSLCompression"}},
        BadConfig{"SSLSessionTicketsBogus",
                  "",
                  "SSLSessionTickets bogus",
                  "SSLSessionTickets bogus",
                  {"SSLSessionTickets"}},
        BadConfig{"SSLStrictSNIVHostCheckBogus",
                  "",
                  "SSLStrictSNIVHostCheck bogus",
                  "SSLStrictSNIVHostCheck bogus",
                  {"SSLStrictSNIVHostCheck"}},
        BadConfig{"SSLVHostSNIPolicyBogus",
                  "SSLVHostSNIPolicy bogus",
                  "",
                  "SSLVHostSNIPolicy bogus",
                  {"SSLVHostSNIPolicy", "bogus"}},
        BadConfig{"SSLInsecureRenegotiationBogus",
                  "",
                  "SSLInsecureRenegotiation bogus",
                  "SSLInsecureRenegotiation bogus",
                  {"SSLInsecureRenegotiation"}},
        BadConfig{"SSLOptionsUnknownPlus",
                  "",
                  "SSLOptions +StdEnvVars +Bogus",
                  "SSLOptions +StdEnvVars +Bogus",
                  {"SSLOptions", "Bogus"}},
        BadConfig{"SSLOptionsUnknownBare",
                  "",
                  "SSLOptions NoSuchOption",
                  "SSLOptions NoSuchOption",
                  {"SSLOptions", "NoSuchOption"}},
        BadConfig{"SSLOpenSSLConfCmdUnknownCommand",
                  "",
                  "SSLOpenSSLConfCmd NoSuchCmd foo",
                  "SSLOpenSSLConfCmd NoSuchCmd",
                  {"NoSuchCmd"}},
        BadConfig{"SSLVerifyClientBogus",
                  "",
                  "SSLVerifyClient bogus",
                  "SSLVerifyClient bogus",
                  {"SSLVerifyClient", "bogus"}},
        BadConfig{"SSLVerifyDepthNegative",
                  "",
                  "SSLVerifyDepth -1",
                  "SSLVerifyDepth -1",
                  {"SSLVerifyDepth", "-1"}}),
    [](const ::testing::TestParamInfo<BadConfig>& i) { return i.param.name; });

// Files named by the certificate directives are checked when the line is read.
INSTANTIATE_TEST_SUITE_P(
    MissingFiles, ConfigTestRefuses,
    ::testing::Values(
        BadConfig{"CertificateFileMissing",
                  "",
                  "SSLCertificateFile @MISSING@",
                  "SSLCertificateFile @MISSING@",
                  {"SSLCertificateFile", "@MISSING@"}},
        BadConfig{"CertificateKeyFileMissing",
                  "",
                  "SSLCertificateKeyFile @MISSING@",
                  "SSLCertificateKeyFile @MISSING@",
                  {"SSLCertificateKeyFile", "@MISSING@"}},
        BadConfig{"CertificateChainFileMissing",
                  "",
                  "SSLCertificateChainFile @MISSING@",
                  "SSLCertificateChainFile @MISSING@",
                  {"SSLCertificateChainFile", "@MISSING@"}},
        BadConfig{"CertificateChainFileEmpty",
                  "",
                  "SSLCertificateChainFile @EMPTY@",
                  "SSLCertificateChainFile @EMPTY@",
                  {"SSLCertificateChainFile", "@EMPTY@"}},
        BadConfig{"CertificateFileIsADirectory",
                  "",
                  "SSLCertificateFile @ROOT@/certs",
                  "SSLCertificateFile @ROOT@/certs",
                  {"SSLCertificateFile", "@ROOT@/certs"}},
        // A relative path is taken relative to ServerRoot, and the message shows the full path.
        BadConfig{"CertificateFileRelativeMissing",
                  "",
                  "SSLCertificateFile certs/nope.crt",
                  "SSLCertificateFile certs/nope.crt",
                  {"SSLCertificateFile", "@ROOT@/certs/nope.crt"}}),
    [](const ::testing::TestParamInfo<BadConfig>& i) { return i.param.name; });

INSTANTIATE_TEST_SUITE_P(
    WrongContext, ConfigTestRefuses,
    ::testing::Values(BadConfig{"SSLVHostSNIPolicyInVirtualHost",
                                "",
                                "SSLVHostSNIPolicy strict",
                                "SSLVHostSNIPolicy strict",
                                {"SSLVHostSNIPolicy", "<VirtualHost>"}},
                      BadConfig{"SSLEngineInDirectory",
                                "<Directory @ROOT@/htdocs>\n  SSLEngine on\n</Directory>",
                                "",
                                "SSLEngine on",
                                {"SSLEngine", "not allowed", "<Directory>"}},
                      BadConfig{
                          "SSLCertificateFileInLocation",
                          "",
                          "<Location />\n  SSLCertificateFile @ROOT@/certs/x.crt\n</Location>",
                          "SSLCertificateFile @ROOT@/certs/x.crt",
                          {"SSLCertificateFile", "not allowed", "<Location>"}},
                      BadConfig{"SSLProtocolInLocation",
                                "",
                                "<Location />\n  SSLProtocol all\n</Location>",
                                "SSLProtocol all",
                                {"SSLProtocol", "not allowed", "<Location>"}},
                      BadConfig{"SSLSessionTicketsInDirectory",
                                "",
                                "<Directory @ROOT@/htdocs>\n  SSLSessionTickets off\n</Directory>",
                                "SSLSessionTickets off",
                                {"SSLSessionTickets", "not allowed", "<Directory>"}},
                      BadConfig{"SSLStrictSNIVHostCheckInLocation",
                                "",
                                "<Location />\n  SSLStrictSNIVHostCheck on\n</Location>",
                                "SSLStrictSNIVHostCheck on",
                                {"SSLStrictSNIVHostCheck", "not allowed"}}),
    [](const ::testing::TestParamInfo<BadConfig>& i) { return i.param.name; });

struct GoodConfig {
  std::string name;
  std::string global;
  std::string vhost;
};

void PrintTo(const GoodConfig& c, std::ostream* os) {
  *os << c.name;
}

class ConfigTestAccepts : public ::testing::TestWithParam<GoodConfig> {};

TEST_P(ConfigTestAccepts, SyntaxOk) {
  const GoodConfig& c = GetParam();
  Httpd h;
  configure_tls_vhost(h, {.server_lines = c.global, .vhost_lines = c.vhost});
  ProcessResult r = h.configtest();
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.all().find("Syntax OK"), std::string::npos) << r.all();
}

INSTANTIATE_TEST_SUITE_P(
    ValidValues, ConfigTestAccepts,
    ::testing::Values(
        GoodConfig{"Minimal", "", ""},
        GoodConfig{"SSLEngineOffUppercase", "", "SSLEngine OFF\nSSLEngine on"},
        GoodConfig{"SSLProtocolAll", "", "SSLProtocol all"},
        GoodConfig{"SSLProtocolAllMinusSSLv3", "", "SSLProtocol all -SSLv3"},
        GoodConfig{"SSLProtocolPlusAll", "", "SSLProtocol +all"},
        GoodConfig{"SSLProtocolTls12And13", "", "SSLProtocol -all +TLSv1.2 +TLSv1.3"},
        GoodConfig{"SSLProtocolMixedCase", "", "SSLProtocol -ALL +tlsv1.2"},
        GoodConfig{"SSLCipherSuiteDefaultProtocolWord", "", "SSLCipherSuite SSL HIGH:!aNULL"},
        GoodConfig{"SSLCipherSuiteOneArg", "", "SSLCipherSuite ECDHE+AESGCM"},
        GoodConfig{"SSLCipherSuiteTls13", "", "SSLCipherSuite TLSv1.3 TLS_AES_128_GCM_SHA256"},
        GoodConfig{"SSLHonorCipherOrderOn", "", "SSLHonorCipherOrder on"},
        GoodConfig{"SSLCompressionOff", "", "SSLCompression off"},
        GoodConfig{"SSLSessionTicketsOff", "", "SSLSessionTickets off"},
        GoodConfig{"SSLSessionTicketsGlobal", "SSLSessionTickets on", ""},
        GoodConfig{"SSLStrictSNIVHostCheckOn", "", "SSLStrictSNIVHostCheck on"},
        GoodConfig{"SSLInsecureRenegotiationOff", "", "SSLInsecureRenegotiation off"},
        GoodConfig{"SSLOptionsPlusMinus", "", "SSLOptions +StdEnvVars -ExportCertData"},
        // Unlike core's Options, SSLOptions accepts a mix of +/- and bare words.
        GoodConfig{"SSLOptionsMixed", "", "SSLOptions +StdEnvVars ExportCertData"},
        GoodConfig{"SSLOptionsInDirectory", "",
                   "<Directory />\n  SSLOptions +StdEnvVars\n</Directory>"},
        GoodConfig{"SSLOpenSSLConfCmdProtocol", "", "SSLOpenSSLConfCmd Protocol -ALL,TLSv1.2"},
        GoodConfig{"SSLOpenSSLConfCmdCurves", "", "SSLOpenSSLConfCmd Curves X25519:P-256"},
        GoodConfig{"SSLVerifyClientNone", "", "SSLVerifyClient none"},
        GoodConfig{"SSLVerifyDepth", "", "SSLVerifyDepth 3"},
        // The stock module takes any non-negative number (OpenSSL does too).
        GoodConfig{"SSLVerifyDepthLarge", "", "SSLVerifyDepth 1000"},
        GoodConfig{"SSLVHostSNIPolicySecure", "SSLVHostSNIPolicy secure", ""},
        GoodConfig{"SSLVHostSNIPolicyStrict", "SSLVHostSNIPolicy strict", ""},
        GoodConfig{"SSLVHostSNIPolicyAuthonly", "SSLVHostSNIPolicy authonly", ""},
        GoodConfig{"SSLVHostSNIPolicyInsecure", "SSLVHostSNIPolicy insecure", ""},
        GoodConfig{"IfModuleModSslC", "<IfModule mod_ssl.c>\n  SSLSessionTickets off\n</IfModule>",
                   ""},
        GoodConfig{"IfModuleSslModule",
                   "<IfModule ssl_module>\n  SSLSessionTickets off\n</IfModule>", ""}),
    [](const ::testing::TestParamInfo<GoodConfig>& i) { return i.param.name; });

// A TLS vhost using most of the directives at once: configtest passes and the server serves.
TEST(ConfigTest, KitchenSinkConfigPassesAndServes) {
  Httpd h;
  CertFiles cert = h.make_cert("localhost", {.key_type = testing::KeyType::Rsa2048});
  CertFiles ec = h.make_cert("localhost-ec");
  h.configure(R"(
SSLVHostSNIPolicy secure
SSLSessionTickets on
Listen 127.0.0.1:@PORT:tls@ https
<VirtualHost 127.0.0.1:@PORT:tls@>
  ServerName localhost
  SSLEngine on
  SSLCertificateFile )" +
              cert.cert + R"(
  SSLCertificateKeyFile )" +
              cert.key + R"(
  SSLCertificateFile )" +
              ec.cert + R"(
  SSLCertificateKeyFile )" +
              ec.key + R"(
  SSLCertificateChainFile )" +
              h.ca_file() + R"(
  SSLProtocol -all +TLSv1.2 +TLSv1.3
  SSLCipherSuite HIGH:!aNULL:!MD5
  SSLCipherSuite TLSv1.3 TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256
  SSLHonorCipherOrder on
  SSLCompression off
  SSLStrictSNIVHostCheck off
  SSLInsecureRenegotiation off
  SSLOpenSSLConfCmd Curves X25519:P-256
  SSLOptions +StdEnvVars -ExportCertData
  SSLVerifyClient none
  SSLVerifyDepth 2
</VirtualHost>
)");
  ProcessResult r = h.configtest();
  EXPECT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.all().find("Syntax OK"), std::string::npos) << r.all();
  ASSERT_TRUE(h.start()) << h.startup_log();
  HttpResponse resp = https_request(h.port("tls"), "/", {.ca_file = h.ca_file()});
  EXPECT_EQ(resp.status, 200) << resp.body;
  EXPECT_NE(resp.body.find("hello from modssl tests"), std::string::npos);
  TlsClient tls12(h.port("tls"), {.max_version = TLS1_2_VERSION, .ca_file = h.ca_file()});
  ASSERT_TRUE(tls12.ok()) << tls12.error();
  EXPECT_EQ(tls12.version(), "TLSv1.2");
}

// A protocol word without +/- replaces what the line said before it (stock mod_ssl semantics,
// with a warning): "TLSv1.2 TLSv1.3" means TLS 1.3 only.
TEST(ConfigTest, SSLProtocolWordWithoutPrefixReplacesEarlierOnes) {
  Httpd h;
  configure_tls_vhost(h, {.vhost_lines = "SSLProtocol TLSv1.2 TLSv1.3"});
  ASSERT_TRUE(h.start()) << h.startup_log();
  TlsClient tls12(h.port("tls"), {.max_version = TLS1_2_VERSION});
  EXPECT_FALSE(tls12.ok()) << "TLS 1.2 accepted; got " << tls12.version();
  TlsClient tls13(h.port("tls"), {.min_version = TLS1_3_VERSION});
  EXPECT_TRUE(tls13.ok()) << tls13.error();
}

// A mistake in one vhost is reported even when another vhost is fine, and names the line of the
// vhost that has it.
TEST(ConfigTest, ErrorInSecondVhostPointsAtItsLine) {
  Httpd h;
  CertFiles a = h.make_cert("a", {.common_name = "a.test", .dns_names = {"a.test"}});
  CertFiles b = h.make_cert("b", {.common_name = "b.test", .dns_names = {"b.test"}});
  h.configure(listen_https("tls") +
              tls_virtual_host(
                  "tls", "  ServerName a.test\n" + certificate_lines(a) + "  SSLProtocol all\n") +
              tls_virtual_host("tls", "  ServerName b.test\n" + certificate_lines(b) +
                                          "  SSLProtocol all -TLSv1.1 +TLSv2\n"));
  ProcessResult r = h.configtest();
  EXPECT_NE(r.exit_code, 0) << r.all();
  int line = line_of(read_file(h.path("conf/httpd.conf")), "+TLSv2");
  EXPECT_NE(r.all().find("Syntax error on line " + std::to_string(line) + " "), std::string::npos)
      << r.all();
  EXPECT_NE(r.all().find("TLSv2"), std::string::npos) << r.all();
}

// configtest checks syntax; a cipher string OpenSSL cannot use is found only at start-up (both
// modules), and then stops the server with OpenSSL's reason.
TEST(ConfigTest, UnknownCipherNamePassesSyntaxButStopsStartup) {
  Httpd h;
  configure_tls_vhost(h, {.vhost_lines = "SSLCipherSuite NOSUCHCIPHER"});
  ProcessResult r = h.configtest();
  EXPECT_EQ(r.exit_code, 0) << r.all();
  EXPECT_FALSE(h.start()) << "started with SSLCipherSuite NOSUCHCIPHER";
  EXPECT_NE(h.startup_log().find("no cipher match"), std::string::npos) << h.startup_log();
}

}  // namespace
}  // namespace modssl::it
