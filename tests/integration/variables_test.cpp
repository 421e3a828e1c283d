// The first SSL_* variables as other modules see them: mod_log_config (%{VAR}x and the legacy
// %{version}c / %{cipher}c), mod_headers (%{VAR}s), ap_expr (%{SSL_*} variables, the
// %{SSL:VAR} function form, <If>, Require expr) and mod_rewrite (%{HTTPS}, %{SSL:VAR}).
// The full variable set is tested with its own issue; the values here are byte-for-byte what
// stock mod_ssl gives.
#include <gtest/gtest.h>

#include <thread>

#include <openssl/ssl.h>

#include "http.h"
#include "httpd.h"
#include "tls_client.h"

namespace modssl::it {
namespace {

using namespace std::chrono_literals;

class Variables : public ::testing::Test {
 protected:
  void SetUp() override {
    CertFiles cert = h_.make_cert("localhost", {.common_name = "localhost",
                                                .key_type = testing::KeyType::Rsa2048});
    h_.load_module("headers");
    h_.load_module("rewrite");
    h_.write("htdocs/p/tls13.html", "tls13 page\n");
    h_.write("htdocs/p/protected.html", "protected\n");
    h_.configure(R"(
Listen 127.0.0.1:@PORT:http@
LogFormat "[%{SSL_PROTOCOL}x|%{SSL_CIPHER}x|%{SSL_TLS_SNI}x|%{HTTPS}x|%{SSL_SERVER_S_DN}x|%{version}c|%{cipher}c|%{SSL_NO_SUCH_VAR}x]" sslvars
CustomLog @ROOT@/logs/ssl-vars.log sslvars
Header always set X-Proto "%{SSL_PROTOCOL}s"
Header always set X-Dn "%{SSL_SERVER_S_DN}s"
Header always set X-Expr-Var "expr=%{SSL_CIPHER}"
Header always set X-Expr-Func "expr=%{SSL:SSL_PROTOCOL}"
<If "%{SSL_PROTOCOL} == 'TLSv1.2'">
  Header always set X-If-Tls12 yes
</If>
<Location /p/protected.html>
  Require expr "%{SSL_PROTOCOL} == 'TLSv1.3' && %{HTTPS} == 'on'"
</Location>
RewriteEngine on
RewriteCond %{HTTPS} =on
RewriteCond %{SSL:SSL_PROTOCOL} =TLSv1.3
RewriteRule ^/rewritten$ /p/tls13.html [L]
)" + tls_vhost(cert, "  RewriteEngine on\n  RewriteOptions Inherit"));
    ASSERT_TRUE(h_.start()) << h_.startup_log();
  }

  HttpResponse tls(const std::string& path, int max_version = 0) {
    return https_request(h_.port("tls"), path, {.max_version = max_version, .ca_file = h_.ca_file()});
  }
  std::string plain_status(const std::string& path) {
    return curl_status("http://127.0.0.1:" + std::to_string(h_.port("http")) + path);
  }
  // The access log line of the last request (the log is written after the response).
  std::string last_log_line() {
    std::string log;
    for (int i = 0; i < 100; ++i) {
      log = read_file(h_.path("logs/ssl-vars.log"));
      if (!log.empty() && log.back() == '\n') break;
      std::this_thread::sleep_for(20ms);
    }
    log.pop_back();
    return log.substr(log.rfind('\n') + 1);
  }

  Httpd h_;
};

TEST_F(Variables, TlsRequestSeesProtocolCipherSniAndServerDn) {
  HttpResponse r = tls("/");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("x-proto"), "TLSv1.3");
  EXPECT_EQ(r.header("x-dn"), "CN=localhost,O=modssl tests");
  EXPECT_EQ(r.header("x-expr-var"), "TLS_AES_256_GCM_SHA384");
  EXPECT_EQ(r.header("x-expr-func"), "TLSv1.3");
  EXPECT_EQ(r.header("x-if-tls12"), "");
  EXPECT_EQ(last_log_line(),
            "[TLSv1.3|TLS_AES_256_GCM_SHA384|localhost|on|CN=localhost,O=modssl tests|TLSv1.3|"
            "TLS_AES_256_GCM_SHA384|-]");
}

TEST_F(Variables, Tls12ValuesAndIfBlock) {
  HttpResponse r = tls("/", TLS1_2_VERSION);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("x-proto"), "TLSv1.2");
  EXPECT_EQ(r.header("x-expr-var"), "ECDHE-RSA-AES256-GCM-SHA384");
  EXPECT_EQ(r.header("x-if-tls12"), "yes");
  EXPECT_EQ(last_log_line(),
            "[TLSv1.2|ECDHE-RSA-AES256-GCM-SHA384|localhost|on|CN=localhost,O=modssl tests|"
            "TLSv1.2|ECDHE-RSA-AES256-GCM-SHA384|-]");
}

TEST_F(Variables, PlainHttpSeesHttpsOffAndNoSslValues) {
  ProcessResult r = run({"curl", "-s", "-D-", "-o", "/dev/null", "-m", "10",
                         "http://127.0.0.1:" + std::to_string(h_.port("http")) + "/"});
  EXPECT_NE(r.out.find("X-Proto: (null)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("X-Expr-Var: \r\n"), std::string::npos) << r.out;
  EXPECT_EQ(last_log_line(), "[-|-|-|off|-|-|-|-]");
}

TEST_F(Variables, RequireExprAndRewriteConditionsUseTheVariables) {
  EXPECT_EQ(tls("/p/protected.html").status, 200);
  EXPECT_EQ(tls("/p/protected.html", TLS1_2_VERSION).status, 403);
  EXPECT_EQ(plain_status("/p/protected.html"), "403");
  HttpResponse rewritten = tls("/rewritten");
  EXPECT_EQ(rewritten.status, 200);
  EXPECT_EQ(rewritten.body, "tls13 page\n");
  EXPECT_EQ(tls("/rewritten", TLS1_2_VERSION).status, 404);
  EXPECT_EQ(plain_status("/rewritten"), "404");
}

}  // namespace
}  // namespace modssl::it
