#include "kv_server.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <thread>

#include "pki.h"

namespace modssl::it {
namespace {

using Clock = std::chrono::steady_clock;

// Sends `request` to 127.0.0.1:port and reads until the reply ends with `terminator` (or
// `done` says it is complete), the peer closes, or 5 s pass. "" when nothing could be sent.
template <class Done>
std::string exchange(int port, const std::string& request, Done done) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "";
  timeval tv{.tv_sec = 5, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr = loopback_address(port);
  std::string reply;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size())) {
    char buf[16384];
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    while (!done(reply) && Clock::now() < deadline) {
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      reply.append(buf, static_cast<std::size_t>(n));
    }
  }
  close(fd);
  return reply;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// memcached's metadump URL-encodes keys ("mod_ssl-session%3A...").
std::string url_decode(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// A RESP array of bulk strings ("*2\r\n$3\r\nfoo\r\n$3\r\nbar\r\n"): its elements, or nullopt
// while it is incomplete.
std::optional<std::vector<std::string>> parse_resp_array(const std::string& r) {
  if (r.empty() || r[0] != '*') return std::nullopt;
  std::size_t at = r.find("\r\n");
  if (at == std::string::npos) return std::nullopt;
  const long count = std::stol(r.substr(1, at - 1));
  std::vector<std::string> out;
  std::size_t pos = at + 2;
  for (long i = 0; i < count; ++i) {
    if (pos >= r.size() || r[pos] != '$') return std::nullopt;
    std::size_t eol = r.find("\r\n", pos);
    if (eol == std::string::npos) return std::nullopt;
    const std::size_t len = std::stoul(r.substr(pos + 1, eol - pos - 1));
    if (eol + 2 + len + 2 > r.size()) return std::nullopt;
    out.push_back(r.substr(eol + 2, len));
    pos = eol + 2 + len + 2;
  }
  return out;
}

}  // namespace

KvServer::KvServer(Kind kind, std::chrono::milliseconds timeout) : kind_(kind) {
  port_ = free_port();
  dir_ = testing::make_temp_dir(kind == Kind::kMemcached ? "modssl-it-memcached-"
                                                         : "modssl-it-redis-");
  chmod(dir_.c_str(), 0777);  // memcached drops to nobody
  std::vector<std::string> argv;
  // clang-format off
  if (kind == Kind::kMemcached) {
    argv = {"memcached", "-l", "127.0.0.1", "-p", std::to_string(port_), "-U", "0", "-t", "2",
            "-m", "16"};
    // memcached refuses to run as root without a user to switch to.
    if (geteuid() == 0) argv.insert(argv.end(), {"-u", "nobody"});
  } else {
    argv = {"redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--dir", dir_, "--protected-mode", "no", "--daemonize", "no"};
  }
  // clang-format on
  process_ = Background(argv, dir_ + "/output.log");
  running_ = true;
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (process_.exited()) {
      running_ = false;
      error_ = argv[0] + " exited at start: " + output();
      return;
    }
    if (port_open(port_)) {
      // Accepting is not yet serving for redis while it loads; a PING says it is ready.
      if (kind == Kind::kMemcached || exchange(port_, "PING\r\n", [](const std::string& r) {
                                        return ends_with(r, "\r\n");
                                      }).rfind("+PONG", 0) == 0) {
        ok_ = true;
        return;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  error_ =
      argv[0] + " did not accept connections on port " + std::to_string(port_) + ": " + output();
}

KvServer::~KvServer() {
  stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string KvServer::session_cache() const {
  return std::string(kind_ == Kind::kMemcached ? "memcache" : "redis") +
         ":127.0.0.1:" + std::to_string(port_);
}

std::string KvServer::socache_module() const {
  return kind_ == Kind::kMemcached ? "socache_memcache" : "socache_redis";
}

std::vector<std::string> KvServer::keys() const {
  std::vector<std::string> out;
  if (!running_) return out;
  if (kind_ == Kind::kMemcached) {
    const std::string reply = exchange(port_, "lru_crawler metadump all\r\n", [](const auto& r) {
      return ends_with(r, "END\r\n") || ends_with(r, "ERROR\r\n");
    });
    std::size_t pos = 0;
    while (pos < reply.size()) {
      std::size_t eol = reply.find('\n', pos);
      if (eol == std::string::npos) eol = reply.size();
      std::string line = reply.substr(pos, eol - pos);
      pos = eol + 1;
      if (line.rfind("key=", 0) != 0) continue;
      out.push_back(url_decode(line.substr(4, line.find(' ') - 4)));
    }
  } else {
    std::optional<std::vector<std::string>> parsed;
    exchange(port_, "KEYS *\r\n", [&](const std::string& r) {
      parsed = parse_resp_array(r);
      return parsed.has_value() || (!r.empty() && r[0] != '*');
    });
    if (parsed) out = *parsed;
  }
  return out;
}

void KvServer::stop() {
  if (!running_) return;
  process_.stop(SIGKILL, std::chrono::seconds(5));
  running_ = false;
}

std::string KvServer::output() const {
  return read_file(dir_ + "/output.log");
}

}  // namespace modssl::it
