#include "tls/server_name.h"

namespace modssl::tls {
namespace {

unsigned read_u16(const unsigned char* p) { return (unsigned{p[0]} << 8) | p[1]; }

bool plausible_host_name(std::string_view name) {
  if (name.empty() || name.size() > 255) return false;
  for (unsigned char ch : name) {
    if (ch <= 0x20 || ch == 0x7f || ch == '/' || ch == '\\') return false;
  }
  return true;
}

}  // namespace

std::optional<std::string_view> parse_server_name_extension(const unsigned char* data,
                                                            std::size_t len) {
  if (!data || len < 2) return std::nullopt;
  std::size_t list_len = read_u16(data);
  if (list_len + 2 != len) return std::nullopt;
  const unsigned char* p = data + 2;
  const unsigned char* end = p + list_len;
  while (end - p >= 3) {
    unsigned type = p[0];
    std::size_t name_len = read_u16(p + 1);
    p += 3;
    if (static_cast<std::size_t>(end - p) < name_len) return std::nullopt;
    if (type == 0) {  // host_name
      std::string_view name(reinterpret_cast<const char*>(p), name_len);
      if (!plausible_host_name(name)) return std::nullopt;
      return name;
    }
    p += name_len;
  }
  return std::nullopt;
}

}  // namespace modssl::tls
