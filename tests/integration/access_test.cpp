// SSLRequireSSL: a location that must only be reached over TLS refuses plain HTTP with 403,
// whichever vhost or port the request came through.
#include <gtest/gtest.h>

#include "httpd.h"
#include "tls_client.h"

namespace modssl::it {
namespace {

std::string curl_status(const std::string& url) {
  ProcessResult r = run({"curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-k", "-m", "10",
                         url});
  return r.out;
}

TEST(Access, RequireSslRefusesPlainHttpAndServesTls) {
  Httpd h;
  CertFiles cert = h.make_cert("localhost");
  h.write("htdocs/secure/index.html", "secret page\n");
  h.configure(R"(
Listen 127.0.0.1:@PORT:http@
Listen 127.0.0.1:@PORT:tls@ https
<Location /secure>
  SSLRequireSSL
</Location>
<VirtualHost 127.0.0.1:@PORT:tls@>
  SSLEngine on
  SSLCertificateFile )" + cert.cert + R"(
  SSLCertificateKeyFile )" + cert.key + R"(
</VirtualHost>
)");
  ASSERT_TRUE(h.start()) << h.startup_log();
  const std::string http = "http://127.0.0.1:" + std::to_string(h.port("http"));
  const std::string https = "https://localhost:" + std::to_string(h.port("tls"));

  EXPECT_EQ(curl_status(http + "/secure/"), "403");
  EXPECT_EQ(curl_status(http + "/"), "200");  // only the protected location is refused
  EXPECT_EQ(curl_status(https + "/secure/"), "200");
  HttpResponse r = https_request(h.port("tls"), "/secure/", {.ca_file = h.ca_file()});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "secret page\n");
}

TEST(Access, RequireSslInheritsIntoSubdirectories) {
  Httpd h;
  h.write("htdocs/secure/deeper/index.html", "deeper\n");
  h.configure(R"(
Listen 127.0.0.1:@PORT:http@
<Directory @ROOT@/htdocs/secure>
  SSLRequireSSL
</Directory>
<Directory @ROOT@/htdocs/secure/deeper>
  SSLOptions +StdEnvVars
</Directory>
)");
  ASSERT_TRUE(h.start()) << h.startup_log();
  EXPECT_EQ(curl_status("http://127.0.0.1:" + std::to_string(h.port("http")) +
                        "/secure/deeper/"),
            "403");
}

}  // namespace
}  // namespace modssl::it
