// Name-based TLS virtual hosts: SNI picks the vhost (its certificate and its content), clients
// without SNI or with an unknown name get the first vhost of the address, a Host header that
// leads to a vhost with other TLS settings gets 421 (SSLVHostSNIPolicy, httpd 2.4.66+),
// SSLStrictSNIVHostCheck refuses clients without SNI, and HTTP and HTTPS vhosts share a server.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "httpd.h"
#include "text_search.h"
#include "tls_client.h"

namespace modssl::it {
namespace {

// The page each test site serves, so a response tells which vhost answered.
std::string site_page(const std::string& site) {
  return "<html><body>site " + site + "</body></html>\n";
}
std::string site_marker(const std::string& site) {
  return "site " + site + "<";
}

// A certificate for `name` (CN and the only DNS name) from the instance's test CA.
CertFiles cert_for(Httpd& h, const std::string& name) {
  return h.make_cert(name, {.common_name = name, .dns_names = {name}});
}

// A <VirtualHost> block on the address of port `port_name` with its own DocumentRoot
// (sites/<docroot_id>/index.html says "site <docroot_id>") and the given certificate.
std::string vhost_block(Httpd& h, const std::string& port_name, const std::string& server_name,
                        const CertFiles& cert, const std::string& extra = "",
                        std::string docroot_id = "") {
  if (docroot_id.empty()) docroot_id = server_name;
  h.write("sites/" + docroot_id + "/index.html", site_page(docroot_id));
  const std::string docroot = "  DocumentRoot \"@ROOT@/sites/" + docroot_id + "\"\n";
  return tls_virtual_host(
      port_name, "  ServerName " + server_name + "\n" + docroot + certificate_lines(cert) + extra);
}

// GET / over TLS with the given SNI ("" = none) and Host header.
HttpResponse get(int port, const std::string& sni, const std::string& host,
                 const std::string& path = "/") {
  return https_request(port, path, {.sni = sni}, host);
}

// Three name-based vhosts on one address, each with its own certificate and content.
void configure_three_sites(Httpd& h) {
  std::string body = listen_https("tls");
  for (const char* name : {"a.example", "b.example", "c.example"}) {
    body += vhost_block(h, "tls", name, cert_for(h, name));
  }
  h.configure(body);
}

TEST(Vhosts, SniSelectsCertificateAndContent) {
  Httpd h;
  configure_three_sites(h);
  ASSERT_TRUE(h.start()) << h.startup_log();
  const int port = h.port("tls");
  for (const std::string name : {"a.example", "b.example", "c.example"}) {
    SCOPED_TRACE(name);
    TlsClient c(port, {.sni = name, .ca_file = h.ca_file()});
    ASSERT_TRUE(c.ok()) << c.error();
    EXPECT_TRUE(c.verified());
    EXPECT_EQ(c.peer_subject(), "CN=" + name + ",O=modssl tests");

    HttpResponse r = get(port, name, name);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(contains(r.body, site_marker(name))) << r.body;
    // A Host header with the port is the same host.
    r = get(port, name, name + ":" + std::to_string(port));
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(contains(r.body, site_marker(name))) << r.body;

    // curl sends SNI and Host from the URL and verifies the name against the certificate.
    ProcessResult curl = run({"curl", "-sS", "-m", "10", "--cacert", h.ca_file(), "--resolve",
                              name + ":" + std::to_string(port) + ":127.0.0.1",
                              "https://" + name + ":" + std::to_string(port) + "/"},
                             {.timeout = std::chrono::seconds(15)});
    EXPECT_EQ(curl.exit_code, 0) << curl.err;
    EXPECT_TRUE(contains(curl.out, site_marker(name))) << curl.out;
  }
}

TEST(Vhosts, ClientWithoutSniGetsFirstVhost) {
  Httpd h;
  configure_three_sites(h);
  ASSERT_TRUE(h.start()) << h.startup_log();
  const int port = h.port("tls");
  TlsClient c(port, {.sni = ""});
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c.peer_subject(), "CN=a.example,O=modssl tests");

  // Host names no vhost: the first vhost of the address answers.
  HttpResponse r = get(port, "", "127.0.0.1");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, site_marker("a.example"))) << r.body;
  r = get(port, "", "a.example");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, site_marker("a.example"))) << r.body;

  // openssl s_client -noservername: the same certificate.
  ProcessResult s =
      run({"openssl", "s_client", "-connect", "127.0.0.1:" + std::to_string(port), "-noservername"},
          {.stdin_data = "", .timeout = std::chrono::seconds(15)});
  EXPECT_TRUE(contains(s.out, "CN = a.example")) << s.out << s.err;
}

TEST(Vhosts, UnknownSniNameGetsFirstVhost) {
  Httpd h;
  configure_three_sites(h);
  ASSERT_TRUE(h.start()) << h.startup_log();
  const int port = h.port("tls");
  TlsClient c(port, {.sni = "unknown.example"});
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c.peer_subject(), "CN=a.example,O=modssl tests");
  HttpResponse r = get(port, "unknown.example", "unknown.example");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, site_marker("a.example"))) << r.body;
}

TEST(Vhosts, SniNamesAreCaseInsensitive) {
  Httpd h;
  configure_three_sites(h);
  ASSERT_TRUE(h.start()) << h.startup_log();
  TlsClient c(h.port("tls"), {.sni = "B.Example"});
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c.peer_subject(), "CN=b.example,O=modssl tests");
  HttpResponse r = get(h.port("tls"), "B.Example", "b.EXAMPLE");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, site_marker("b.example"))) << r.body;
}

// The usual form in real configs: <VirtualHost *:port> for every name.
TEST(Vhosts, WildcardAddressVhostsSelectedBySni) {
  Httpd h;
  std::string body = listen_https("tls");
  for (const char* name : {"a.example", "b.example"}) {
    std::string block = vhost_block(h, "tls", name, cert_for(h, name));
    block.replace(block.find("127.0.0.1:"), 10, "*:");
    body += block;
  }
  h.configure(body);
  ASSERT_TRUE(h.start()) << h.startup_log();
  const int port = h.port("tls");
  for (const std::string name : {"a.example", "b.example"}) {
    TlsClient c(port, {.sni = name});
    ASSERT_TRUE(c.ok()) << c.error();
    EXPECT_EQ(c.peer_subject(), "CN=" + name + ",O=modssl tests");
    HttpResponse r = get(port, name, name);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(contains(r.body, site_marker(name))) << r.body;
  }
  TlsClient none(port, {.sni = ""});
  ASSERT_TRUE(none.ok()) << none.error();
  EXPECT_EQ(none.peer_subject(), "CN=a.example,O=modssl tests");
}

TEST(Vhosts, ServerAliasIsMatchedBySni) {
  Httpd h;
  CertFiles a = cert_for(h, "a.example");
  CertFiles b =
      h.make_cert("b", {.common_name = "b.example", .dns_names = {"b.example", "www.b.example"}});
  h.configure(listen_https("tls") + vhost_block(h, "tls", "a.example", a) +
              vhost_block(h, "tls", "b.example", b, "  ServerAlias www.b.example\n"));
  ASSERT_TRUE(h.start()) << h.startup_log();
  TlsClient c(h.port("tls"), {.sni = "www.b.example"});
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c.peer_subject(), "CN=b.example,O=modssl tests");
  HttpResponse r = get(h.port("tls"), "www.b.example", "www.b.example");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, site_marker("b.example"))) << r.body;
}

// Each name-based vhost has its own TLS context: SNI selects protocols, cipher suites and
// certificate types, not only the certificate.
TEST(Vhosts, SniSelectsVhostTlsSettings) {
  Httpd h;
  CertFiles a = cert_for(h, "a.example");
  CertFiles b = cert_for(h, "b.example");
  CertFiles c = cert_for(h, "c.example");
  CertFiles d_rsa = h.make_cert("d-rsa", {.common_name = "d.example",
                                          .dns_names = {"d.example"},
                                          .key_type = testing::KeyType::Rsa2048});
  CertFiles d_ec = cert_for(h, "d.example");
  h.configure(listen_https("tls") + vhost_block(h, "tls", "a.example", a) +
              vhost_block(h, "tls", "b.example", b, "  SSLProtocol -all +TLSv1.2\n") +
              vhost_block(h, "tls", "c.example", c,
                          "  SSLCipherSuite TLSv1.3 TLS_CHACHA20_POLY1305_SHA256\n") +
              vhost_block(h, "tls", "d.example", d_rsa, certificate_lines(d_ec)));
  ASSERT_TRUE(h.start()) << h.startup_log();
  const int port = h.port("tls");

  TlsClient a13(port, {.sni = "a.example", .min_version = TLS1_3_VERSION});
  ASSERT_TRUE(a13.ok()) << a13.error();
  EXPECT_NE(a13.cipher(), "TLS_CHACHA20_POLY1305_SHA256");

  TlsClient b_any(port, {.sni = "b.example"});
  ASSERT_TRUE(b_any.ok()) << b_any.error();
  EXPECT_EQ(b_any.version(), "TLSv1.2");
  EXPECT_EQ(b_any.peer_subject(), "CN=b.example,O=modssl tests");
  TlsClient b13(port, {.sni = "b.example", .min_version = TLS1_3_VERSION});
  EXPECT_FALSE(b13.ok()) << "negotiated " << b13.version();

  TlsClient c13(port, {.sni = "c.example", .min_version = TLS1_3_VERSION});
  ASSERT_TRUE(c13.ok()) << c13.error();
  EXPECT_EQ(c13.cipher(), "TLS_CHACHA20_POLY1305_SHA256");

  TlsClient d_ecdsa(port,
                    {.sni = "d.example", .min_version = TLS1_3_VERSION, .sigalgs = "ECDSA+SHA256"});
  ASSERT_TRUE(d_ecdsa.ok()) << d_ecdsa.error();
  EXPECT_EQ(d_ecdsa.peer_key_type(), "EC");
  EXPECT_EQ(d_ecdsa.peer_subject(), "CN=d.example,O=modssl tests");
  TlsClient d_rsa_client(port, {.sni = "d.example",
                                .max_version = TLS1_2_VERSION,
                                .cipher_list = "ECDHE-RSA-AES128-GCM-SHA256"});
  ASSERT_TRUE(d_rsa_client.ok()) << d_rsa_client.error();
  EXPECT_EQ(d_rsa_client.peer_key_type(), "RSA");
  // a.example has only an ECDSA certificate: an RSA-only client gets nothing there.
  TlsClient a_rsa(port, {.sni = "a.example",
                         .max_version = TLS1_2_VERSION,
                         .cipher_list = "ECDHE-RSA-AES128-GCM-SHA256"});
  EXPECT_FALSE(a_rsa.ok());
}

// The default vhost allows only TLS 1.2. A vhost with its own SSLProtocol gets its own range
// via SNI; one that sets none keeps the default vhost's (stock: "Don't switch the protocol if
// none is configured for this vhost").
TEST(Vhosts, SniVhostProtocolRangeVersusDefaultVhost) {
  Httpd h;
  CertFiles a = cert_for(h, "a.example");
  CertFiles b = cert_for(h, "b.example");
  CertFiles c = cert_for(h, "c.example");
  h.configure(listen_https("tls") +
              vhost_block(h, "tls", "a.example", a, "  SSLProtocol -all +TLSv1.2\n") +
              vhost_block(h, "tls", "b.example", b, "  SSLProtocol all\n") +
              vhost_block(h, "tls", "c.example", c));
  ASSERT_TRUE(h.start()) << h.startup_log();
  const int port = h.port("tls");
  TlsClient a13(port, {.sni = "a.example", .min_version = TLS1_3_VERSION});
  EXPECT_FALSE(a13.ok()) << "negotiated " << a13.version();
  TlsClient b13(port, {.sni = "b.example", .min_version = TLS1_3_VERSION});
  ASSERT_TRUE(b13.ok()) << b13.error();
  EXPECT_EQ(b13.version(), "TLSv1.3");
  EXPECT_EQ(b13.peer_subject(), "CN=b.example,O=modssl tests");
  TlsClient c_any(port, {.sni = "c.example"});
  ASSERT_TRUE(c_any.ok()) << c_any.error();
  EXPECT_EQ(c_any.peer_subject(), "CN=c.example,O=modssl tests");
  EXPECT_EQ(c_any.version(), "TLSv1.2");
}

// SSLVHostSNIPolicy: what happens when the Host header selects another vhost than SNI did.
// One server per policy; three addresses, each with two vhosts a.example (first) and b.example:
//   "diff": each vhost has its own certificate (server certificate differs);
//   "same": both vhosts use the same certificate and identical TLS settings;
//   "proto": same certificate, but b.example allows only TLS 1.2 (protocol restriction differs);
//   "auth": same certificate, but b.example sets SSLVerifyDepth (client verification differs);
//   "conf": same certificate, but b.example has an SSLOpenSSLConfCmd.
struct PolicyCase {
  std::string policy;  // "" = directive absent (default: secure)
  int diff_cert;       // expected status for SNI a.example + Host b.example, per address
  int same_tls;
  int diff_proto;
  int diff_auth;
  int diff_conf;
};

void PrintTo(const PolicyCase& c, std::ostream* os) {
  *os << (c.policy.empty() ? "default" : c.policy);
}

class SniPolicy : public ::testing::TestWithParam<PolicyCase> {};

TEST_P(SniPolicy, HostDifferentFromSni) {
  const PolicyCase& pc = GetParam();
  Httpd h;
  CertFiles a = cert_for(h, "a.example");
  CertFiles b = cert_for(h, "b.example");
  CertFiles shared =
      h.make_cert("shared", {.common_name = "a.example", .dns_names = {"a.example", "b.example"}});
  std::string body;
  if (!pc.policy.empty()) body += "SSLVHostSNIPolicy " + pc.policy + "\n";
  body += listen_https("diff") + listen_https("same") + listen_https("proto") +
          listen_https("auth") + listen_https("conf");
  body += vhost_block(h, "diff", "a.example", a) + vhost_block(h, "diff", "b.example", b);
  body += vhost_block(h, "same", "a.example", shared) + vhost_block(h, "same", "b.example", shared);
  body += vhost_block(h, "proto", "a.example", shared) +
          vhost_block(h, "proto", "b.example", shared, "  SSLProtocol -all +TLSv1.2\n");
  body += vhost_block(h, "auth", "a.example", shared) +
          vhost_block(h, "auth", "b.example", shared, "  SSLVerifyDepth 3\n");
  body += vhost_block(h, "conf", "a.example", shared) +
          vhost_block(h, "conf", "b.example", shared, "  SSLOpenSSLConfCmd Curves X25519:P-256\n");
  h.configure(body);
  ASSERT_TRUE(h.start()) << h.startup_log();

  struct Check {
    const char* port;
    int expected;
  };
  for (const Check& ck :
       {Check{"diff", pc.diff_cert}, Check{"same", pc.same_tls}, Check{"proto", pc.diff_proto},
        Check{"auth", pc.diff_auth}, Check{"conf", pc.diff_conf}}) {
    SCOPED_TRACE(ck.port);
    const int port = h.port(ck.port);
    // Host and SNI agree: always served, by the named vhost.
    for (const std::string name : {"a.example", "b.example"}) {
      HttpResponse ok = get(port, name, name);
      EXPECT_EQ(ok.status, 200) << name << ": " << ok.body;
      EXPECT_TRUE(contains(ok.body, site_marker(name))) << ok.body;
    }
    HttpResponse r = get(port, "a.example", "b.example");
    EXPECT_EQ(r.status, ck.expected) << r.status_line << "\n" << r.body;
    if (ck.expected == 200) {
      EXPECT_TRUE(contains(r.body, site_marker("b.example"))) << r.body;
    }
    // The other direction, from the second vhost's handshake to the first (default) vhost.
    HttpResponse back = get(port, "b.example", "a.example");
    EXPECT_EQ(back.status, ck.expected) << back.status_line << "\n" << back.body;
    if (ck.expected == 200) {
      EXPECT_TRUE(contains(back.body, site_marker("a.example"))) << back.body;
    }
  }
  if (pc.diff_cert == 421) {
    // Both modules name the two host names in the log line for the refusal.
    std::string log = h.error_log();
    EXPECT_TRUE(contains(log, "a.example") && contains(log, "b.example")) << log;
  }
}

INSTANTIATE_TEST_SUITE_P(Vhosts, SniPolicy,
                         ::testing::Values(PolicyCase{"", 421, 200, 421, 421, 421},
                                           PolicyCase{"secure", 421, 200, 421, 421, 421},
                                           PolicyCase{"strict", 421, 421, 421, 421, 421},
                                           PolicyCase{"authonly", 200, 200, 200, 421, 421},
                                           PolicyCase{"insecure", 200, 200, 200, 200, 200}),
                         [](const ::testing::TestParamInfo<PolicyCase>& info) {
                           return info.param.policy.empty() ? std::string("default")
                                                            : info.param.policy;
                         });

// A client without SNI lands on the first vhost; a Host header naming another vhost with a
// different certificate is the same mismatch as with SNI (stock: "default host as no SNI was
// provided").
TEST(Vhosts, NoSniHostOfOtherVhostFollowsPolicy) {
  for (const std::string policy : {"secure", "insecure"}) {
    SCOPED_TRACE(policy);
    Httpd h;
    CertFiles a = cert_for(h, "a.example");
    CertFiles b = cert_for(h, "b.example");
    h.configure("SSLVHostSNIPolicy " + policy + "\n" + listen_https("tls") +
                vhost_block(h, "tls", "a.example", a) + vhost_block(h, "tls", "b.example", b));
    ASSERT_TRUE(h.start()) << h.startup_log();
    HttpResponse r = get(h.port("tls"), "", "b.example");
    if (policy == "secure") {
      EXPECT_EQ(r.status, 421) << r.status_line << "\n" << r.body;
    } else {
      EXPECT_EQ(r.status, 200) << r.body;
      EXPECT_TRUE(contains(r.body, site_marker("b.example"))) << r.body;
    }
    // Host of the default vhost itself is never misdirected.
    HttpResponse own = get(h.port("tls"), "", "a.example");
    EXPECT_EQ(own.status, 200) << own.body;
  }
}

TEST(Vhosts, SniWithoutHostHeaderIsBadRequest) {
  Httpd h;
  configure_three_sites(h);
  ASSERT_TRUE(h.start()) << h.startup_log();
  TlsClient c(h.port("tls"), {.sni = "b.example"});
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_TRUE(c.write("GET / HTTP/1.0\r\n\r\n"));
  auto responses = parse_responses(c.read_to_close());
  ASSERT_FALSE(responses.empty());
  EXPECT_EQ(responses.front().status, 400) << responses.front().body;
}

// SSLStrictSNIVHostCheck on in the first (default) vhost: no client without SNI is served on
// that address; SNI clients are.
TEST(Vhosts, StrictSniCheckInDefaultVhostRefusesClientsWithoutSni) {
  Httpd h;
  CertFiles a = cert_for(h, "a.example");
  CertFiles b = cert_for(h, "b.example");
  h.configure(listen_https("tls") +
              vhost_block(h, "tls", "a.example", a, "  SSLStrictSNIVHostCheck on\n") +
              vhost_block(h, "tls", "b.example", b));
  ASSERT_TRUE(h.start()) << h.startup_log();
  const int port = h.port("tls");
  for (const std::string name : {"a.example", "b.example"}) {
    HttpResponse r = get(port, name, name);
    EXPECT_EQ(r.status, 200) << name << ": " << r.body;
    EXPECT_TRUE(contains(r.body, site_marker(name))) << r.body;
  }
  HttpResponse r = get(port, "", "a.example");
  EXPECT_EQ(r.status, 403) << r.status_line << "\n" << r.body;
  EXPECT_FALSE(contains(r.body, site_marker("a.example"))) << r.body;
  // Both modules explain the refusal on the error page.
  EXPECT_TRUE(contains(r.body, "SNI") || contains(r.body, "Server Name Indication")) << r.body;
}

// SSLStrictSNIVHostCheck on in a non-default vhost: only that vhost refuses clients without
// SNI. (The SNI policy is "insecure" here so that only the strict check decides.)
TEST(Vhosts, StrictSniCheckInOtherVhostRefusesOnlyThatVhost) {
  Httpd h;
  CertFiles a = cert_for(h, "a.example");
  CertFiles b = cert_for(h, "b.example");
  h.configure("SSLVHostSNIPolicy insecure\n" + listen_https("tls") +
              vhost_block(h, "tls", "a.example", a) +
              vhost_block(h, "tls", "b.example", b, "  SSLStrictSNIVHostCheck on\n"));
  ASSERT_TRUE(h.start()) << h.startup_log();
  const int port = h.port("tls");
  HttpResponse r = get(port, "", "a.example");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, site_marker("a.example"))) << r.body;
  r = get(port, "", "b.example");
  EXPECT_EQ(r.status, 403) << r.status_line << "\n" << r.body;
  r = get(port, "b.example", "b.example");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, site_marker("b.example"))) << r.body;
}

// With SSLStrictSNIVHostCheck off (the default) a client without SNI is served.
TEST(Vhosts, StrictSniCheckOffServesClientsWithoutSni) {
  Httpd h;
  CertFiles a = cert_for(h, "a.example");
  CertFiles b = cert_for(h, "b.example");
  h.configure(listen_https("tls") +
              vhost_block(h, "tls", "a.example", a, "  SSLStrictSNIVHostCheck off\n") +
              vhost_block(h, "tls", "b.example", b));
  ASSERT_TRUE(h.start()) << h.startup_log();
  HttpResponse r = get(h.port("tls"), "", "a.example");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, site_marker("a.example"))) << r.body;
}

// HTTP and HTTPS vhosts in one server on two ports; `Listen N https` on a port that is not 443,
// and a TLS port declared without the protocol argument.
TEST(Vhosts, HttpAndHttpsVhostsOnTwoPorts) {
  Httpd h;
  CertFiles tls = cert_for(h, "secure.example");
  CertFiles bare = cert_for(h, "bare.example");
  h.write("sites/plain/index.html", site_page("plain"));
  h.configure(R"(
Listen 127.0.0.1:@PORT:http@
Listen 127.0.0.1:@PORT:tls@ https
Listen 127.0.0.1:@PORT:bare@
<VirtualHost 127.0.0.1:@PORT:http@>
  ServerName plain.example
  DocumentRoot "@ROOT@/sites/plain"
</VirtualHost>
)" + vhost_block(h, "tls", "secure.example", tls) +
              vhost_block(h, "bare", "bare.example", bare));
  ASSERT_TRUE(h.start()) << h.startup_log();
  const std::string http_port = std::to_string(h.port("http"));
  const std::string tls_port = std::to_string(h.port("tls"));
  ASSERT_NE(h.port("tls"), 443);

  ProcessResult plain = run({"curl", "-sS", "-m", "10", "http://127.0.0.1:" + http_port + "/"},
                            {.timeout = std::chrono::seconds(15)});
  EXPECT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_TRUE(contains(plain.out, site_marker("plain"))) << plain.out;

  ProcessResult secure =
      run({"curl", "-sS", "-m", "10", "--cacert", h.ca_file(), "--resolve",
           "secure.example:" + tls_port + ":127.0.0.1", "-w", "\n%{scheme} %{http_code}",
           "https://secure.example:" + tls_port + "/"},
          {.timeout = std::chrono::seconds(15)});
  EXPECT_EQ(secure.exit_code, 0) << secure.err;
  EXPECT_TRUE(contains(secure.out, site_marker("secure.example"))) << secure.out;
  EXPECT_TRUE(contains(secure.out, "HTTPS 200")) << secure.out;

  // The plain port speaks no TLS; the TLS port answers plain HTTP with 400.
  TlsClient on_plain(h.port("http"), {.timeout = std::chrono::seconds(5)});
  EXPECT_FALSE(on_plain.ok());
  ProcessResult wrong = run({"curl", "-sS", "-m", "10", "-o", "/dev/null", "-w", "%{http_code}",
                             "http://127.0.0.1:" + tls_port + "/"},
                            {.timeout = std::chrono::seconds(15)});
  EXPECT_EQ(wrong.out, "400") << wrong.all();

  // `Listen N` without "https" plus SSLEngine on in the vhost is TLS too.
  HttpResponse r = https_request(h.port("bare"), "/",
                                 {.sni = "bare.example", .ca_file = h.ca_file()}, "bare.example");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, site_marker("bare.example"))) << r.body;
}

// Name-based vhosts on two TLS ports: each port has its own default vhost and SNI choices.
TEST(Vhosts, EachAddressHasItsOwnDefaultVhost) {
  Httpd h;
  CertFiles a = cert_for(h, "a.example");
  CertFiles b = cert_for(h, "b.example");
  h.configure(listen_https("one") + listen_https("two") +
              vhost_block(h, "one", "a.example", a, "", "one-a") +
              vhost_block(h, "one", "b.example", b, "", "one-b") +
              vhost_block(h, "two", "b.example", b, "", "two-b") +
              vhost_block(h, "two", "a.example", a, "", "two-a"));
  ASSERT_TRUE(h.start()) << h.startup_log();
  TlsClient one(h.port("one"), {.sni = ""});
  ASSERT_TRUE(one.ok()) << one.error();
  EXPECT_EQ(one.peer_subject(), "CN=a.example,O=modssl tests");
  TlsClient two(h.port("two"), {.sni = ""});
  ASSERT_TRUE(two.ok()) << two.error();
  EXPECT_EQ(two.peer_subject(), "CN=b.example,O=modssl tests");

  EXPECT_TRUE(contains(get(h.port("one"), "", "x.example").body, site_marker("one-a")));
  EXPECT_TRUE(contains(get(h.port("two"), "", "x.example").body, site_marker("two-b")));
  EXPECT_TRUE(contains(get(h.port("one"), "b.example", "b.example").body, site_marker("one-b")));
  EXPECT_TRUE(contains(get(h.port("two"), "a.example", "a.example").body, site_marker("two-a")));
}

}  // namespace
}  // namespace modssl::it
