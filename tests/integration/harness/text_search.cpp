#include "text_search.h"

#include <algorithm>
#include <cctype>
#include <sstream>
#include <thread>

#include "httpd.h"

namespace modssl::it {

bool contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::vector<std::string> lines_with(const std::string& text,
                                    const std::vector<std::string>& needles) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    bool all = true;
    for (const auto& n : needles) all = all && contains(line, n);
    if (all) out.push_back(line);
  }
  return out;
}

std::optional<std::string> wait_for_line(const Httpd& h, const std::vector<std::string>& needles,
                                         std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  do {
    auto found = lines_with(h.error_log(), needles);
    if (!found.empty()) return found.front();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } while (std::chrono::steady_clock::now() < deadline);
  return std::nullopt;
}

}  // namespace modssl::it
