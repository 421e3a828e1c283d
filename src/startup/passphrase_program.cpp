#include "startup/passphrase_program.h"

#include "startup/child_program.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include <openssl/crypto.h>

namespace modssl::startup {
namespace {

using config::fail;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxOutput = 8192;

std::string errno_text(int e) { return std::strerror(e); }

void wipe(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

std::string seconds_text(std::chrono::milliseconds t) {
  return std::to_string((t.count() + 999) / 1000) + " s";
}

std::string first_line(std::string& out) {
  std::size_t end = out.find('\n');
  std::string line = out.substr(0, end);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  wipe(out);
  return line;
}

// A write that does not kill the process with SIGPIPE when the reader has gone.
bool write_all(int fd, const std::string& data) {
  struct sigaction ignore {}, old {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGPIPE, &ignore, &old);
  std::size_t done = 0;
  bool ok = true;
  while (done < data.size()) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = false;
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  sigaction(SIGPIPE, &old, nullptr);
  return ok;
}

}  // namespace

config::Result<std::string> run_for_first_line(const std::vector<std::string>& argv,
                                               std::chrono::milliseconds timeout) {
  auto output = run_program_output(argv, timeout, kMaxOutput);
  if (!output) return fail(output.error());
  std::string all = std::move(output).value();
  std::string line = first_line(all);
  if (line.empty()) {
    return fail("'" + argv[0] + "' printed no pass phrase on its standard output");
  }
  return line;
}

config::Result<std::unique_ptr<PipeProgram>> PipeProgram::start(const std::string& command) {
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0) return fail("cannot create a pipe: " + errno_text(errno));
  if (pipe2(out, O_CLOEXEC) != 0) {
    int e = errno;
    close(in[0]);
    close(in[1]);
    return fail("cannot create a pipe: " + errno_text(e));
  }
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    for (int fd : {in[0], in[1], out[0], out[1]}) close(fd);
    return fail("cannot start '" + command + "': " + errno_text(e));
  }
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    close_descriptors_above_stderr();
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  std::unique_ptr<PipeProgram> p(new PipeProgram());
  p->command_ = command;
  p->pid_ = pid;
  p->to_program_ = in[1];
  p->from_program_ = out[0];
  return p;
}

PipeProgram::~PipeProgram() {
  if (to_program_ >= 0) close(to_program_);
  if (from_program_ >= 0) close(from_program_);
  wipe(pending_);
  int status;
  if (pid_ > 0) waitpid(pid_, &status, WNOHANG);  // collect it if it has already gone
}

config::Result<std::string> PipeProgram::ask(const std::string& prompt,
                                             std::chrono::milliseconds timeout) {
  if (!write_all(to_program_, prompt + "\n")) {
    return fail("cannot write to '" + command_ + "': " + errno_text(errno) +
                " (has it exited?)");
  }
  const Clock::time_point deadline = Clock::now() + timeout;
  while (pending_.find('\n') == std::string::npos) {
    pollfd p{from_program_, POLLIN, 0};
    int rc = poll(&p, 1, milliseconds_until(deadline));
    if (rc < 0 && errno == EINTR) continue;
    if (rc == 0) {
      return fail("'" + command_ + "' did not answer within " + seconds_text(timeout));
    }
    char buf[512];
    ssize_t n = read(from_program_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (!pending_.empty()) break;  // a last line without a line end
      return fail("'" + command_ + "' closed its output without answering (has it exited?)");
    }
    if (pending_.size() < kMaxOutput) pending_.append(buf, static_cast<std::size_t>(n));
    OPENSSL_cleanse(buf, sizeof buf);
  }
  std::size_t end = pending_.find('\n');
  std::string line = pending_.substr(0, end);
  std::string rest = end == std::string::npos ? std::string() : pending_.substr(end + 1);
  wipe(pending_);
  pending_ = std::move(rest);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) return fail("'" + command_ + "' answered with an empty line");
  return line;
}

}  // namespace modssl::startup
