#pragma once
// Running external programs (apache2, curl, openssl, h2load) from tests: argv in, exit status
// and captured output out, always bounded in time.
#include <netinet/in.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace modssl::it {

struct ProcessResult {
  int exit_code = -1;      // -1 when killed by a signal or timed out
  bool timed_out = false;
  std::string out;         // stdout
  std::string err;         // stderr
  std::string all() const { return out + err; }
};

struct RunOptions {
  std::string stdin_data;
  std::chrono::milliseconds timeout{30000};
  std::map<std::string, std::string> env;  // added to (or replacing in) the inherited environment
};

// Runs argv[0] (looked up in PATH) and waits for it; kills it (SIGKILL) after the timeout.
ProcessResult run(const std::vector<std::string>& argv, const RunOptions& options = {});

// A child started in the background (e.g. apache2 -DFOREGROUND); stdout and stderr go to a
// file. The destructor kills the process group if it is still running.
class Background {
 public:
  Background() = default;
  Background(const std::vector<std::string>& argv, const std::string& output_file,
             const std::map<std::string, std::string>& env = {});
  Background(Background&& o) noexcept;
  Background& operator=(Background&& o) noexcept;
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;
  ~Background();

  int pid() const { return pid_; }
  // Non-blocking: true (and the exit status in *code) once the child has exited.
  bool exited(int* code = nullptr);
  // Sends `sig`, waits up to `timeout` for exit, then SIGKILLs the group. Returns exit status.
  int stop(int sig, std::chrono::milliseconds timeout);
  void signal(int sig) const;

 private:
  int pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
};

// 127.0.0.1:port, the only address test servers listen on, for bind() and connect().
sockaddr_in loopback_address(int port);

// A free TCP port on 127.0.0.1 (bound and released; tests bind it again at once).
int free_port();

// True when something accepts TCP connections on 127.0.0.1:port.
bool port_open(int port);

// Reads a whole file; "" when it does not exist.
std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& content, int mode = 0644);

}  // namespace modssl::it
