#include "startup/child_program.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include <openssl/crypto.h>

namespace modssl::startup {
namespace {

using config::fail;
using Clock = std::chrono::steady_clock;

// How long a program that already gave all that was asked may take to exit by itself.
constexpr std::chrono::milliseconds kGraceAfterEnough{200};

std::string errno_text(int e) { return std::strerror(e); }

std::string seconds_text(std::chrono::milliseconds t) {
  return std::to_string((t.count() + 999) / 1000) + " s";
}

// Waits for `pid` until `deadline`, then sends `sig` and waits for good. False when it had to
// be signalled.
bool reap(pid_t pid, Clock::time_point deadline, int sig, int* status) {
  for (;;) {
    pid_t r = waitpid(pid, status, WNOHANG);
    if (r == pid) return true;
    if (r < 0 && errno != EINTR) {  // ECHILD: SIGCHLD ignored, the status is gone
      *status = 0;
      return true;
    }
    if (Clock::now() >= deadline) {
      kill(pid, sig);
      while (waitpid(pid, status, 0) < 0 && errno == EINTR) {
      }
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace

int milliseconds_until(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

void close_descriptors_above_stderr() {
  long max = sysconf(_SC_OPEN_MAX);
  if (max < 0 || max > 65536) max = 65536;
  for (int fd = 3; fd < max; ++fd) close(fd);
}

config::Result<std::string> run_program_output(const std::vector<std::string>& argv,
                                               std::chrono::milliseconds timeout,
                                               std::size_t max_bytes) {
  if (argv.empty()) return fail("no program given");
  const std::string& program = argv[0];
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return fail("cannot create a pipe: " + errno_text(errno));
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(out[0]);
    close(out[1]);
    return fail("cannot start '" + program + "': " + errno_text(e));
  }
  if (pid == 0) {
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    dup2(out[1], 1);
    close_descriptors_above_stderr();
    execv(program.c_str(), args.data());
    const std::string msg = "cannot run '" + program + "': " + errno_text(errno) + "\n";
    (void)!write(2, msg.data(), msg.size());
    _exit(127);
  }
  close(out[1]);
  const Clock::time_point deadline = Clock::now() + timeout;
  std::string output;
  bool timed_out = false;
  while (output.size() < max_bytes) {
    pollfd p{out[0], POLLIN, 0};
    int rc = poll(&p, 1, milliseconds_until(deadline));
    if (rc < 0 && errno == EINTR) continue;
    if (rc == 0) {
      timed_out = true;
      break;
    }
    char buf[4096];
    ssize_t n = read(out[0], buf, std::min(sizeof buf, max_bytes - output.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    output.append(buf, static_cast<std::size_t>(n));
    OPENSSL_cleanse(buf, sizeof buf);
  }
  close(out[0]);
  const bool enough = output.size() >= max_bytes;
  int status = 0;
  if (enough) {
    // What was asked for has been read: how the program ends (SIGPIPE once we stopped
    // reading, our SIGTERM, an exit status) does not matter.
    reap(pid, Clock::now() + kGraceAfterEnough, SIGTERM, &status);
    return output;
  }
  const bool finished = !timed_out && reap(pid, deadline, SIGKILL, &status);
  if (timed_out) reap(pid, Clock::now(), SIGKILL, &status);
  auto failure = [&](const std::string& why) {
    OPENSSL_cleanse(output.data(), output.size());
    return fail("'" + program + "' " + why);
  };
  if (!finished) {
    return failure("did not answer within " + seconds_text(timeout) + " and was stopped");
  }
  if (WIFSIGNALED(status)) return failure("was killed by signal " + std::to_string(WTERMSIG(status)));
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
    return failure("exited with status " + std::to_string(WEXITSTATUS(status)));
  }
  return output;
}

}  // namespace modssl::startup
