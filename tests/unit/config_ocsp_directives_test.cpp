// SSLOCSP* directive parsers: the SSLOCSPEnable grammar of mod_ssl 2.4.71 (a mode word, then
// only no_ocsp_for_cert_ok), seconds, responder and proxy URIs.
#include <gtest/gtest.h>

#include <string_view>
#include <vector>

#include "config/ocsp_directives.h"

namespace modssl::config {
namespace {

Result<OcspEnable> enable(std::vector<std::string_view> words) {
  return parse_ocsp_enable(words);
}

TEST(OcspEnableDirective, OnChecksTheWholeChain) {
  auto v = enable({"on"});
  ASSERT_TRUE(v) << v.error();
  EXPECT_EQ(v->enable, Toggle::On);
  EXPECT_FALSE(v->leaf_only);
  EXPECT_FALSE(v->no_ocsp_for_cert_ok);
}

TEST(OcspEnableDirective, LeafIsOnForTheClientCertificateOnly) {
  auto v = enable({"LEAF"});
  ASSERT_TRUE(v) << v.error();
  EXPECT_EQ(v->enable, Toggle::On);
  EXPECT_TRUE(v->leaf_only);
}

TEST(OcspEnableDirective, OffAndKeywordsAreCaseInsensitive) {
  auto v = enable({"Off"});
  ASSERT_TRUE(v) << v.error();
  EXPECT_EQ(v->enable, Toggle::Off);
  auto w = enable({"ON", "No_OCSP_For_Cert_OK"});
  ASSERT_TRUE(w) << w.error();
  EXPECT_TRUE(w->no_ocsp_for_cert_ok);
}

TEST(OcspEnableDirective, NoOcspForCertOkFollowsAnyModeAndMayRepeat) {
  for (std::string_view mode : {"on", "leaf", "off"}) {
    auto v = enable({mode, "no_ocsp_for_cert_ok", "no_ocsp_for_cert_ok"});
    ASSERT_TRUE(v) << mode << ": " << v.error();
    EXPECT_TRUE(v->no_ocsp_for_cert_ok);
  }
}

TEST(OcspEnableDirective, OnLeafIsRefusedAsByModSsl) {
  auto v = enable({"on", "leaf"});
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().find("'leaf'"), std::string::npos) << v.error();
  EXPECT_NE(v.error().find("SSLOCSPEnable leaf"), std::string::npos) << v.error();
}

TEST(OcspEnableDirective, ModeMustComeFirst) {
  EXPECT_FALSE(enable({"no_ocsp_for_cert_ok"}));
  EXPECT_FALSE(enable({"no_ocsp_for_cert_ok", "on"}));
  EXPECT_FALSE(enable({"on", "on"}));
  EXPECT_FALSE(enable({"off", "on"}));
}

TEST(OcspEnableDirective, UnknownAndEmptyAreRefusedWithTheAllowedWords) {
  auto v = enable({"maybe"});
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().find("SSLOCSPEnable"), std::string::npos);
  EXPECT_NE(v.error().find("'maybe'"), std::string::npos);
  EXPECT_NE(v.error().find("on, leaf or off"), std::string::npos) << v.error();
  EXPECT_FALSE(enable({}));
}

TEST(OcspSeconds, WholeNonNegativeNumbers) {
  auto v = parse_ocsp_seconds("SSLOCSPResponderTimeout", "10");
  ASSERT_TRUE(v) << v.error();
  EXPECT_EQ(*v, 10);
  EXPECT_EQ(*parse_ocsp_seconds("SSLOCSPResponseMaxAge", "0"), 0);
}

TEST(OcspSeconds, NegativeAndJunkAreRefusedNamingTheDirective) {
  for (std::string_view bad : {"-1", "abc", "10s", "", "99999999999999999999"}) {
    auto v = parse_ocsp_seconds("SSLOCSPResponseTimeSkew", bad);
    ASSERT_FALSE(v) << bad;
    EXPECT_NE(v.error().find("SSLOCSPResponseTimeSkew"), std::string::npos) << v.error();
    EXPECT_NE(v.error().find("seconds"), std::string::npos) << v.error();
  }
}

TEST(OcspResponderUri, HttpAndHttpsAreAccepted) {
  EXPECT_TRUE(parse_ocsp_responder_uri("http://ocsp.example.com/"));
  EXPECT_TRUE(parse_ocsp_responder_uri("http://127.0.0.1:8888"));
  // Accepted at start-up like mod_ssl does; refused per certificate (cannot be queried).
  EXPECT_TRUE(parse_ocsp_responder_uri("https://ocsp.example.com/"));
}

TEST(OcspResponderUri, OtherSchemesAndHostlessValuesAreRefused) {
  auto v = parse_ocsp_responder_uri("ldap://ocsp.example.com/");
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().find("SSLOCSPDefaultResponder"), std::string::npos);
  EXPECT_NE(v.error().find("http://"), std::string::npos) << v.error();
  EXPECT_FALSE(parse_ocsp_responder_uri("ocsp.example.com"));
  EXPECT_FALSE(parse_ocsp_responder_uri("http:///path"));
  EXPECT_FALSE(parse_ocsp_responder_uri("http://host:99999/"));
}

TEST(OcspProxyUrl, HttpOnly) {
  EXPECT_TRUE(parse_ocsp_proxy_url("http://proxy.example.com:3128/"));
  auto v = parse_ocsp_proxy_url("socks5://proxy:1080");
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().find("SSLOCSPProxyURL"), std::string::npos) << v.error();
  EXPECT_FALSE(parse_ocsp_proxy_url("http://[::1"));
}

TEST(OcspHttpUri, SplitsHostPortAndPath) {
  auto u = split_http_uri("http://127.0.0.1:8888/ocsp?x");
  ASSERT_TRUE(u) << u.error();
  EXPECT_EQ(u->scheme, "http");
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 8888);
  EXPECT_EQ(u->path, "/ocsp?x");
  auto d = split_http_uri("HTTP://ocsp.example.com");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->scheme, "http");
  EXPECT_EQ(d->port, 80);
  EXPECT_EQ(d->path, "/");
  auto v6 = split_http_uri("http://[::1]:81/");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 81);
}

}  // namespace
}  // namespace modssl::config
