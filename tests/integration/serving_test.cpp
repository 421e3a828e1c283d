// The basics an administrator checks first: HTTPS answers, HTTP and HTTPS live in one server,
// and plain HTTP sent to the HTTPS port gets a 400 page instead of a hang.
#include <gtest/gtest.h>

#include "httpd.h"
#include "tls_client.h"

namespace modssl::it {
namespace {

// One TLS vhost on @PORT:tls@ and a plain HTTP port @PORT:http@.
void configure_basic(Httpd& h) {
  configure_tls_vhost(h, {.server_lines = "Listen 127.0.0.1:@PORT:http@\n"});
}

TEST(Serving, HttpsAndHttpInOneServer) {
  Httpd h;
  configure_basic(h);
  ASSERT_TRUE(h.start()) << h.startup_log();

  HttpResponse tls = https_request(h.port("tls"), "/", {.ca_file = h.ca_file()});
  EXPECT_EQ(tls.status, 200) << tls.body;
  EXPECT_NE(tls.body.find("hello from modssl tests"), std::string::npos);

  ProcessResult plain = run({"curl", "-sS", "http://127.0.0.1:" + std::to_string(h.port("http")) + "/"});
  EXPECT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_NE(plain.out.find("hello from modssl tests"), std::string::npos);

  ProcessResult curl = run({"curl", "-sS", "--cacert", h.ca_file(), "https://localhost:" +
                                std::to_string(h.port("tls")) + "/"});
  EXPECT_EQ(curl.exit_code, 0) << curl.err;
  EXPECT_NE(curl.out.find("hello from modssl tests"), std::string::npos);
}

TEST(Serving, PlainHttpOnTlsPortGets400) {
  Httpd h;
  configure_basic(h);
  ASSERT_TRUE(h.start()) << h.startup_log();
  ProcessResult r = run({"curl", "-sS", "-m", "10", "-w", "\n%{http_code}",
                         "http://127.0.0.1:" + std::to_string(h.port("tls")) + "/"},
                        {.timeout = std::chrono::seconds(15)});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\n400"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Bad Request"), std::string::npos) << r.out;
}

// With ServerTokens Full the Server header names the TLS library, as stock mod_ssl adds it.
TEST(Serving, ServerHeaderNamesTheTlsLibrary) {
  Httpd h;
  CertFiles cert = h.make_cert("localhost");
  h.configure("ServerTokens Full\n" + tls_vhost(cert));
  ASSERT_TRUE(h.start()) << h.startup_log();
  HttpResponse r = https_request(h.port("tls"), "/", {.ca_file = h.ca_file()});
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.header("server").find("OpenSSL/3."), std::string::npos) << r.header("server");
}

}  // namespace
}  // namespace modssl::it
