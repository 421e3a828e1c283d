#pragma once
// A real memcached or redis-server on 127.0.0.1 and an ephemeral port, for tests of
// `SSLSessionCache memcache:` / `redis:` (a fleet of httpd instances sharing one session cache).
// Started in the constructor, killed in the destructor (and with the test process, like every
// harness child).
#include <chrono>
#include <string>
#include <vector>

#include "process.h"

namespace modssl::it {

class KvServer {
 public:
  enum class Kind { kMemcached, kRedis };

  // Starts the server; ok() tells whether it came up (error() says why not).
  explicit KvServer(Kind kind, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~KvServer();
  KvServer(const KvServer&) = delete;
  KvServer& operator=(const KvServer&) = delete;

  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }
  Kind kind() const { return kind_; }
  int port() const { return port_; }
  // The SSLSessionCache argument that names this server: "memcache:127.0.0.1:<port>" or
  // "redis:127.0.0.1:<port>".
  std::string session_cache() const;
  // The httpd module that provides the socache ("socache_memcache", "socache_redis").
  std::string socache_module() const;

  // Every key the server holds now (memcached: `lru_crawler metadump all`; redis: KEYS *).
  std::vector<std::string> keys() const;

  // Kills the server (SIGKILL: as abrupt as a crashed cache host). Idempotent.
  void stop();
  bool running() const { return running_; }

  // What the server wrote to stdout and stderr.
  std::string output() const;

 private:
  Kind kind_;
  int port_ = 0;
  std::string dir_;
  Background process_;
  bool ok_ = false;
  bool running_ = false;
  std::string error_;
};

}  // namespace modssl::it
