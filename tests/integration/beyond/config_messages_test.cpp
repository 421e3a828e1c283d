// Beyond the stock module: a wrong SSL* directive argument fails `apachectl configtest` with a
// message that names the directive, the bad value and what is allowed (the stock module often
// says only "must be On or Off" or "Illegal protocol"). Also values the stock module lets through
// at parse time (SSLVerifyDepth bogus, a bare SSLProtocol) and the errno of a missing file.
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "httpd.h"
#include "text_search.h"

namespace modssl::it {
namespace {

struct Wrong {
  std::string name;
  std::string global;                // server-level lines
  std::string vhost;                 // lines in the TLS vhost
  std::string directive;             // must be named
  std::string value;                 // must be quoted back
  std::vector<std::string> allowed;  // each must appear after the word "allowed"
};

void PrintTo(const Wrong& w, std::ostream* os) {
  *os << w.name;
}

class ConfigMessage : public ::testing::TestWithParam<Wrong> {};

TEST_P(ConfigMessage, NamesDirectiveValueAndWhatIsAllowed) {
  MODSSL_SKIP_UNLESS_OURS();
  const Wrong& w = GetParam();
  Httpd h;
  configure_tls_vhost(h, {.server_lines = w.global, .vhost_lines = w.vhost});
  ProcessResult r = h.configtest();
  ASSERT_NE(r.exit_code, 0) << r.all();
  // The message is the line after httpd's "AH00526: Syntax error on line N of FILE:".
  const std::string out = r.all();
  EXPECT_NE(out.find(w.directive), std::string::npos) << "directive not named:\n" << out;
  EXPECT_NE(out.find("'" + w.value + "'"), std::string::npos)
      << "value '" << w.value << "' not quoted back:\n"
      << out;
  const std::string low = lower(out);
  const auto allowed_at = low.find("allowed");
  ASSERT_NE(allowed_at, std::string::npos) << "no 'allowed' list:\n" << out;
  for (const std::string& a : w.allowed) {
    EXPECT_NE(low.find(lower(a), allowed_at), std::string::npos)
        << "'" << a << "' not listed as allowed:\n"
        << out;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Beyond, ConfigMessage,
    ::testing::Values(
        Wrong{"SSLEngine", "", "SSLEngine bogus", "SSLEngine", "bogus", {"on", "off", "optional"}},
        Wrong{"SSLProtocol",
              "",
              "SSLProtocol bogus",
              "SSLProtocol",
              "bogus",
              {"all", "TLSv1.2", "TLSv1.3", "+", "-"}},
        Wrong{"SSLProtocolPlusSSLv3",
              "",
              "SSLProtocol -all +SSLv3",
              "SSLProtocol",
              "+SSLv3",
              {"TLSv1.2", "TLSv1.3"}},
        Wrong{"SSLProtocolSSLv3",
              "",
              "SSLProtocol SSLv3",
              "SSLProtocol",
              "SSLv3",
              {"TLSv1.2", "TLSv1.3"}},
        Wrong{"SSLCipherSuiteProtocolWord",
              "",
              "SSLCipherSuite TLSv9 HIGH",
              "SSLCipherSuite",
              "TLSv9",
              {"SSL", "TLSv1.3"}},
        Wrong{"SSLHonorCipherOrder",
              "",
              "SSLHonorCipherOrder maybe",
              "SSLHonorCipherOrder",
              "maybe",
              {"on", "off"}},
        Wrong{
            "SSLCompressionBogus", "", "SSLCompression bogus", "SSLCompression", "bogus", {"off"}},
        Wrong{"SSLCompressionOn", "", "SSLCompression on", "SSLCompression", "on", {"off"}},
        Wrong{"SSLSessionTickets",
              "",
              "SSLSessionTickets bogus",
              "SSLSessionTickets",
              "bogus",
              {"on", "off"}},
        Wrong{"SSLStrictSNIVHostCheck",
              "",
              "SSLStrictSNIVHostCheck bogus",
              "SSLStrictSNIVHostCheck",
              "bogus",
              {"on", "off"}},
        Wrong{"SSLVHostSNIPolicy",
              "SSLVHostSNIPolicy bogus",
              "",
              "SSLVHostSNIPolicy",
              "bogus",
              {"secure", "strict", "authonly", "insecure"}},
        Wrong{"SSLInsecureRenegotiation",
              "",
              "SSLInsecureRenegotiation bogus",
              "SSLInsecureRenegotiation",
              "bogus",
              {"on", "off"}},
        Wrong{"SSLOptions",
              "",
              "SSLOptions +StdEnvVars +Bogus",
              "SSLOptions",
              "+Bogus",
              {"StdEnvVars", "ExportCertData", "FakeBasicAuth", "StrictRequire", "OptRenegotiate"}},
        Wrong{"SSLVerifyClient",
              "",
              "SSLVerifyClient bogus",
              "SSLVerifyClient",
              "bogus",
              {"none", "optional", "require", "optional_no_ca"}},
        Wrong{"SSLVerifyDepthNegative", "", "SSLVerifyDepth -1", "SSLVerifyDepth", "-1", {"0"}},
        // The stock module reads "bogus" as depth 0 (atoi) and carries on.
        Wrong{"SSLVerifyDepthNotANumber",
              "",
              "SSLVerifyDepth bogus",
              "SSLVerifyDepth",
              "bogus",
              {"number"}}),
    [](const ::testing::TestParamInfo<Wrong>& i) { return i.param.name; });

// An unknown SSL_CONF command points at the list OpenSSL documents.
TEST(ConfigMessageBeyond, UnknownOpenSSLConfCmdPointsAtTheManual) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h;
  configure_tls_vhost(h, {.vhost_lines = "  SSLOpenSSLConfCmd NoSuchCmd foo"});
  ProcessResult r = h.configtest();
  ASSERT_NE(r.exit_code, 0) << r.all();
  EXPECT_NE(r.all().find("SSLOpenSSLConfCmd"), std::string::npos) << r.all();
  EXPECT_NE(r.all().find("'NoSuchCmd'"), std::string::npos) << r.all();
  EXPECT_NE(r.all().find("SSL_CONF_cmd"), std::string::npos) << r.all();
}

// The stock module accepts a bare "SSLProtocol" (and then enables nothing).
TEST(ConfigMessageBeyond, SSLProtocolWithoutArgumentsIsRefused) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h;
  configure_tls_vhost(h, {.vhost_lines = "  SSLProtocol"});
  ProcessResult r = h.configtest();
  EXPECT_NE(r.exit_code, 0) << r.all();
  EXPECT_NE(r.all().find("SSLProtocol"), std::string::npos) << r.all();
  EXPECT_NE(lower(r.all()).find("allowed"), std::string::npos) << r.all();
}

// A missing file: the path and the system's reason (errno text).
TEST(ConfigMessageBeyond, MissingFileGivesPathAndErrno) {
  MODSSL_SKIP_UNLESS_OURS();
  Httpd h;
  const std::string missing = h.path("certs/missing-chain.pem");
  configure_tls_vhost(h, {.vhost_lines = "  SSLCertificateChainFile " + missing});
  ProcessResult r = h.configtest();
  EXPECT_NE(r.exit_code, 0) << r.all();
  EXPECT_NE(r.all().find(missing), std::string::npos) << r.all();
  EXPECT_NE(r.all().find("No such file or directory"), std::string::npos) << r.all();
}

}  // namespace
}  // namespace modssl::it
