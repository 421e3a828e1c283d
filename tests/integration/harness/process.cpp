#include "process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace modssl::it {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string> merged_environment(const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : extra) env[k] = v;
  std::vector<std::string> out;
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// In the child after fork(): own process group (so stop() can kill the whole tree), then exec.
[[noreturn]] void exec_child(std::vector<std::string> argv, std::vector<std::string> env,
                             pid_t test_process) {
  setpgid(0, 0);
  // A test process that dies without its destructors (a crash, a ctest timeout, a killed
  // pipe) must not leave servers behind holding ports: they get SIGTERM when it goes. The
  // signal follows the thread that forked, so servers are started from a test's main thread
  // (and run() waits for its child in the thread that started it).
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != test_process) _exit(127);  // it went before the line above took effect
  signal(SIGPIPE, SIG_DFL);
  auto args = c_strings(argv);
  auto envp = c_strings(env);
  execvpe(args[0], args.data(), envp.data());
  dprintf(2, "exec %s failed: %s\n", args[0], strerror(errno));
  _exit(127);
}

int decode_status(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }

}  // namespace

ProcessResult run(const std::vector<std::string>& argv, const RunOptions& options) {
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
    throw std::runtime_error("pipe failed");
  }
  auto env = merged_environment(options.env);
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    exec_child(argv, env, parent);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  signal(SIGPIPE, SIG_IGN);

  ProcessResult result;
  const auto deadline = Clock::now() + options.timeout;
  std::size_t written = 0;
  int in_fd = in[1];
  if (options.stdin_data.empty()) {
    close(in_fd);
    in_fd = -1;
  } else {
    fcntl(in_fd, F_SETFL, O_NONBLOCK);
  }
  bool out_open = true, err_open = true;
  char buf[65536];
  while (out_open || err_open) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      break;
    }
    pollfd fds[3];
    int n = 0;
    int out_i = -1, err_i = -1, in_i = -1;
    if (out_open) { fds[n] = {out[0], POLLIN, 0}; out_i = n++; }
    if (err_open) { fds[n] = {err[0], POLLIN, 0}; err_i = n++; }
    if (in_fd >= 0) { fds[n] = {in_fd, POLLOUT, 0}; in_i = n++; }
    int rc = poll(fds, static_cast<nfds_t>(n), static_cast<int>(std::min<long>(left.count(), 1000)));
    if (rc < 0 && errno != EINTR) break;
    if (rc <= 0) continue;
    auto drain = [&](int i, int fd, std::string& sink, bool& open) {
      if (i < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) return;
      ssize_t r = read(fd, buf, sizeof buf);
      if (r > 0) sink.append(buf, static_cast<std::size_t>(r));
      else if (r == 0 || errno != EINTR) open = false;
    };
    drain(out_i, out[0], result.out, out_open);
    drain(err_i, err[0], result.err, err_open);
    if (in_i >= 0 && (fds[in_i].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t w = write(in_fd, options.stdin_data.data() + written,
                        options.stdin_data.size() - written);
      if (w > 0) written += static_cast<std::size_t>(w);
      if (w < 0 && errno != EAGAIN && errno != EINTR) written = options.stdin_data.size();
      if (written == options.stdin_data.size()) {
        close(in_fd);
        in_fd = -1;
      }
    }
  }
  if (in_fd >= 0) close(in_fd);
  close(out[0]);
  close(err[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = result.timed_out ? -1 : decode_status(status);
  return result;
}

Background::Background(const std::vector<std::string>& argv, const std::string& output_file,
                       const std::map<std::string, std::string>& env) {
  auto merged = merged_environment(env);
  int fd = open(output_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot open " + output_file);
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    dup2(fd, 1);
    dup2(fd, 2);
    exec_child(argv, merged, parent);
  }
  close(fd);
  setpgid(pid, pid);  // also from the parent, so signal() works before the child runs
  pid_ = pid;
}

Background::Background(Background&& o) noexcept { *this = std::move(o); }

Background& Background::operator=(Background&& o) noexcept {
  std::swap(pid_, o.pid_);
  std::swap(reaped_, o.reaped_);
  std::swap(status_, o.status_);
  return *this;
}

Background::~Background() {
  if (pid_ > 0 && !reaped_) stop(SIGKILL, std::chrono::milliseconds(5000));
}

bool Background::exited(int* code) {
  if (pid_ <= 0) return true;
  if (!reaped_) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      status_ = status;
    }
  }
  if (reaped_ && code) *code = decode_status(status_);
  return reaped_;
}

void Background::signal(int sig) const {
  if (pid_ > 0 && !reaped_) kill(pid_, sig);
}

int Background::stop(int sig, std::chrono::milliseconds timeout) {
  int code = -1;
  if (exited(&code)) return code;
  kill(pid_, sig);
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (exited(&code)) {
      kill(-pid_, SIGKILL);  // stragglers of the group (e.g. CGI daemons)
      return code;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(-pid_, SIGKILL);
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  reaped_ = true;
  status_ = status;
  return -1;
}

sockaddr_in loopback_address(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

int free_port() {
  // Tests run in parallel processes (ctest -j), and a port is only bound by apache2 some time
  // after it is chosen. So a port is reserved first with an flock on a file named after it,
  // held until this test process exits (the kernel drops the lock then, even on a crash), and
  // only then checked by binding it. Starting points are random so processes rarely contend.
  static const std::string dir = [] {
    std::string d = "/tmp/modssl-it-ports";
    mkdir(d.c_str(), 01777);
    chmod(d.c_str(), 01777);
    return d;
  }();
  static std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<int> pick(20000, 59999);
  for (int tries = 0; tries < 500; ++tries) {
    int port = pick(rng);
    std::string lock = dir + "/" + std::to_string(port);
    int lock_fd = open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (lock_fd < 0) continue;
    if (flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
      close(lock_fd);
      continue;  // another test process holds it
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr = loopback_address(port);
    bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    close(fd);
    if (ok) return port;  // lock_fd stays open: the reservation lasts as long as this process
    close(lock_fd);
  }
  throw std::runtime_error("no free port");
}

bool port_open(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = loopback_address(port);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& content, int mode) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("cannot write " + path);
  out << content;
  out.close();
  chmod(path.c_str(), static_cast<mode_t>(mode));
}

}  // namespace modssl::it
