// The server_name extension parser sees attacker-controlled bytes before anything else does.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tls/server_name.h"

namespace modssl::tls {
namespace {

std::vector<unsigned char> extension_for(const std::string& name, unsigned type = 0) {
  const std::size_t entry_len = 3 + name.size();
  std::vector<unsigned char> ext;
  ext.push_back(static_cast<unsigned char>(entry_len >> 8));
  ext.push_back(static_cast<unsigned char>(entry_len & 0xff));
  ext.push_back(static_cast<unsigned char>(type));
  ext.push_back(static_cast<unsigned char>(name.size() >> 8));
  ext.push_back(static_cast<unsigned char>(name.size() & 0xff));
  for (char ch : name) ext.push_back(static_cast<unsigned char>(ch));
  return ext;
}

TEST(ServerNameExtension, ReadsHostName) {
  auto ext = extension_for("www.example.test");
  auto name = parse_server_name_extension(ext.data(), ext.size());
  ASSERT_TRUE(name.has_value());
  EXPECT_EQ(*name, "www.example.test");
}

TEST(ServerNameExtension, RejectsTruncatedAndOverlongLengths) {
  auto ext = extension_for("a.test");
  for (std::size_t cut = 0; cut < ext.size(); ++cut) {
    EXPECT_FALSE(parse_server_name_extension(ext.data(), cut).has_value()) << "cut at " << cut;
  }
  ext[4] = 0xff;  // name length beyond the list
  EXPECT_FALSE(parse_server_name_extension(ext.data(), ext.size()).has_value());
}

TEST(ServerNameExtension, RejectsNamesThatAreNotHostNames) {
  for (std::string bad : {std::string(), std::string("a\0b", 3), std::string("a b"),
                          std::string("../etc"), std::string(256, 'a'), std::string("a\\b")}) {
    auto ext = extension_for(bad);
    EXPECT_FALSE(parse_server_name_extension(ext.data(), ext.size()).has_value()) << bad;
  }
}

TEST(ServerNameExtension, SkipsUnknownNameTypes) {
  auto ext = extension_for("ignored", 7);
  EXPECT_FALSE(parse_server_name_extension(ext.data(), ext.size()).has_value());
  EXPECT_FALSE(parse_server_name_extension(nullptr, 0).has_value());
}

}  // namespace
}  // namespace modssl::tls
