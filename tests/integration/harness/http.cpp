#include "http.h"

#include "process.h"

namespace modssl::it {
namespace {

bool has_whole_response(const std::string& bytes) {
  auto parsed = parse_responses(bytes);
  // Without either header parse_responses() takes the rest of the bytes as the body, which on a
  // keep-alive connection may be only the first part of it.
  return !parsed.empty() && (parsed[0].headers.count("content-length") ||
                             parsed[0].headers.count("transfer-encoding"));
}

}  // namespace

std::string get_request(const std::string& path, const GetOptions& options) {
  return "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n" +
         (options.user_agent.empty() ? "" : "User-Agent: " + options.user_agent + "\r\n") +
         (options.close ? "Connection: close\r\n" : "") + "\r\n";
}

std::string read_until_response(TlsClient& c, std::chrono::milliseconds timeout) {
  std::string got;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!has_whole_response(got) && std::chrono::steady_clock::now() < deadline) {
    std::string part = c.read_some();
    if (part.empty()) break;
    got += part;
  }
  return got;
}

HttpResponse read_response(TlsClient& c, std::chrono::milliseconds timeout) {
  const std::string got = read_until_response(c, timeout);
  if (has_whole_response(got)) return parse_responses(got).front();
  HttpResponse failed;
  failed.body = "incomplete response: " + got.substr(0, 200);
  return failed;
}

std::string https_url(Httpd& h, const std::string& path) {
  return "https://localhost:" + std::to_string(h.port("tls")) + path;
}

std::string curl_status(const std::string& url) {
  return run({"curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-k", "-m", "10", url}).out;
}

}  // namespace modssl::it
