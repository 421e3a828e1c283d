#include "http.h"

#include <unistd.h>

#include <sys/socket.h>

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

HttpResponse plain_http_get(int port, const std::string& path,
                            const std::vector<std::string>& headers) {
  HttpResponse failed;
  const int fd = tcp_connect(port);
  if (fd < 0) {
    failed.body = "connect failed";
    return failed;
  }
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n";
  for (const std::string& line : headers) req += line + "\r\n";
  req += "\r\n";
  std::string got;
  if (send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
    char buf[16384];
    ssize_t n;
    while ((n = recv(fd, buf, sizeof buf, 0)) > 0) got.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  auto responses = parse_responses(got);
  if (responses.empty()) {
    failed.body = "no response: " + got.substr(0, 200);
    return failed;
  }
  return responses.front();
}

}  // namespace modssl::it
