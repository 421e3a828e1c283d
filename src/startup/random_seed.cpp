#include "startup/random_seed.h"

#define OPENSSL_SUPPRESS_DEPRECATED 1  // ENGINE_*: SSLCryptoDevice names an OpenSSL engine
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/opensslconf.h>
#include <openssl/provider.h>
// OpenSSL 3 keeps the ENGINE API, deprecated; a build without it (no-engine, or
// OPENSSL_API_COMPAT >= 3.0) checks for a provider of that name instead.
#if !defined(OPENSSL_NO_ENGINE) && !defined(OPENSSL_NO_DEPRECATED_3_0)
#define MODSSL_HAVE_ENGINE 1
#include <openssl/engine.h>
#endif
#include <openssl/rand.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "adapter/records.h"
#include "config/random_seed_directives.h"
#include "http_log.h"

extern char** environ;

namespace modssl::startup {
namespace detail {
bool g_have_connect_seeds = false;
}  // namespace detail

namespace {

using Spec = config::RandomSeedSpec;

// The connect seeds of the current generation (set in the parent's post_config, before any
// child exists; read-only afterwards).
std::vector<Spec>& connect_seeds() {
  static std::vector<Spec> seeds;
  return seeds;
}
// Whether this process has already warned about a failing connect source (once per child).
std::atomic<bool> g_connect_failure_logged{false};

std::string errno_text(int err) {
  char buf[128];
  return std::string(strerror_r(err, buf, sizeof buf));
}

// A little data that differs between processes, threads and calls: what stock's builtin source
// gives (time, pid, some stack), without reading uninitialised memory.
void seed_builtin() {
  static std::atomic<unsigned long> counter{0};
  struct {
    timespec realtime;
    timespec monotonic;
    pid_t pid;
    unsigned long count;
    const void* stack;
  } data{};
  clock_gettime(CLOCK_REALTIME, &data.realtime);
  clock_gettime(CLOCK_MONOTONIC, &data.monotonic);
  data.pid = getpid();
  data.count = counter.fetch_add(1, std::memory_order_relaxed);
  data.stack = &data;
  RAND_add(&data, sizeof data, 0.0);
}

// Reads up to the spec's byte count from a file without ever blocking (O_NONBLOCK: a device that
// has nothing to give ends the read). Returns the bytes fed, or -1 with `error` set.
long seed_from_file(const Spec& spec, std::string* error) {
  int fd = ::open(spec.path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    *error = "cannot open '" + spec.path + "': " + errno_text(errno);
    return -1;
  }
  struct stat st {};
  long limit = spec.bytes;
  if (limit <= 0) {
    const bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    limit = regular ? std::min<long>(st.st_size, config::kMaxSeedBytes) : config::kDefaultSeedBytes;
  }
  unsigned char buf[4096];
  long done = 0;
  while (done < limit) {
    const ssize_t n = ::read(fd, buf, std::min<long>(sizeof buf, limit - done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && done == 0 && errno != EAGAIN) {
      *error = "cannot read '" + spec.path + "': " + errno_text(errno);
      ::close(fd);
      return -1;
    }
    if (n <= 0) break;
    RAND_seed(buf, static_cast<int>(n));
    done += n;
  }
  ::close(fd);
  return done;
}

// Runs `path bytes` with stdin from /dev/null and reads at most `bytes` of its output within
// `timeout`. The program must exit with status 0 and print something.
long seed_from_program(const Spec& spec, std::chrono::milliseconds timeout, std::string* error) {
  const long bytes = spec.bytes > 0 ? spec.bytes : config::kDefaultSeedBytes;
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) {
    *error = "cannot create a pipe: " + errno_text(errno);
    return -1;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  const std::string count = std::to_string(bytes);
  std::vector<char*> argv = {const_cast<char*>(spec.path.c_str()), const_cast<char*>(count.c_str()),
                             nullptr};
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, spec.path.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  if (rc != 0) {
    ::close(out[0]);
    *error = "cannot run '" + spec.path + "': " + errno_text(rc);
    return -1;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  unsigned char buf[4096];
  long done = 0;
  bool timed_out = false;
  while (done < bytes) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{out[0], POLLIN, 0};
    const int pr = ::poll(&p, 1, static_cast<int>(left.count()));
    if (pr < 0 && errno == EINTR) continue;
    if (pr == 0) {
      timed_out = true;
      break;
    }
    const ssize_t n = ::read(out[0], buf, std::min<long>(sizeof buf, bytes - done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    RAND_seed(buf, static_cast<int>(n));
    done += n;
  }
  ::close(out[0]);
  // Enough read, end of output, or given up. A program that has given what was asked for may
  // keep printing: it gets a moment to exit, then SIGTERM, and that is not a failure.
  int status = 0;
  const bool enough = done >= bytes;
  const auto wait_until = enough ? std::chrono::steady_clock::now() + std::chrono::milliseconds(200)
                                 : (timed_out ? std::chrono::steady_clock::now() : deadline);
  pid_t w = ::waitpid(pid, &status, WNOHANG);
  while (w == 0 && std::chrono::steady_clock::now() < wait_until) {
    ::usleep(5000);
    w = ::waitpid(pid, &status, WNOHANG);
  }
  if (w == 0) {
    ::kill(pid, enough ? SIGTERM : SIGKILL);
    ::waitpid(pid, &status, 0);
    if (!enough) timed_out = true;
  }
  // What was asked for has been read: how the program ends afterwards (SIGPIPE once we stop
  // reading, our SIGTERM, an exit status) does not matter.
  if (enough) return done;
  if (timed_out) {
    *error = "'" + spec.path + "' did not finish within " + std::to_string(timeout.count()) +
             " ms (" + std::to_string(done) + " of " + std::to_string(bytes) + " bytes read)";
    return -1;
  }
  if (WIFSIGNALED(status)) {
    *error = "'" + spec.path + "' was killed by signal " + std::to_string(WTERMSIG(status));
    return -1;
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
    if (WEXITSTATUS(status) == 127 && done == 0) {
      *error = "cannot run '" + spec.path + "' (exit status 127)";
    } else {
      *error = "'" + spec.path + "' exited with status " + std::to_string(WEXITSTATUS(status));
    }
    return -1;
  }
  if (done == 0) {
    *error = "'" + spec.path + "' printed nothing";
    return -1;
  }
  return done;
}

// The EGD protocol: command 0x01 (read entropy, non-blocking) with a count of at most 255; the
// daemon answers with one byte giving how many bytes follow, then those bytes.
long seed_from_egd(const Spec& spec, std::chrono::milliseconds timeout, std::string* error) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (spec.path.size() >= sizeof addr.sun_path) {
    *error = "socket path '" + spec.path + "' is too long";
    return -1;
  }
  std::memcpy(addr.sun_path, spec.path.c_str(), spec.path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = "cannot create a socket: " + errno_text(errno);
    return -1;
  }
  timeval tv{};
  tv.tv_sec = timeout.count() / 1000;
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  auto fail_with = [&](const std::string& what) {
    *error = what;
    ::close(fd);
    return -1L;
  };
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return fail_with("cannot connect to the EGD socket '" + spec.path + "': " +
                     errno_text(errno));
  }
  const long want = spec.bytes > 0 ? spec.bytes : config::kEgdBytes;
  const unsigned char request[2] = {0x01, static_cast<unsigned char>(want)};
  if (::send(fd, request, sizeof request, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof request)) {
    return fail_with("cannot write to the EGD socket '" + spec.path + "': " + errno_text(errno));
  }
  unsigned char buf[256];
  std::size_t got = 0;
  std::size_t expect = 0;
  bool have_count = false;
  while (!have_count || got < expect) {
    const ssize_t n = have_count ? ::recv(fd, buf + got, expect - got, 0) : ::recv(fd, buf, 1, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (!have_count) {
      have_count = true;
      expect = buf[0];
    } else {
      got += static_cast<std::size_t>(n);
    }
  }
  ::close(fd);
  if (!have_count) {
    *error = "the EGD at '" + spec.path + "' did not answer";
    return -1;
  }
  if (got == 0) {
    *error = "the EGD at '" + spec.path + "' has no entropy to give";
    return -1;
  }
  RAND_seed(buf, static_cast<int>(got));
  return static_cast<long>(got);
}

long seed_one(const Spec& spec, std::chrono::milliseconds timeout, std::string* error) {
  switch (spec.source) {
    case Spec::Source::Builtin:
      seed_builtin();
      return 0;
    case Spec::Source::File:
      return seed_from_file(spec, error);
    case Spec::Source::Exec:
      return seed_from_program(spec, timeout, error);
    case Spec::Source::Egd:
      return seed_from_egd(spec, timeout, error);
  }
  return 0;
}

int apply_crypto_device(server_rec* s, const std::string& id) {
  if (id.empty()) return OK;
#ifdef MODSSL_HAVE_ENGINE
  ENGINE* e = ENGINE_by_id(id.c_str());
  if (!e) {
    ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                 "SSLCryptoDevice: cannot load the OpenSSL engine '%s'", id.c_str());
    return HTTP_INTERNAL_SERVER_ERROR;
  }
  const int set = ENGINE_set_default(e, ENGINE_METHOD_ALL);
  ENGINE_free(e);
  if (!set) {
    ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                 "SSLCryptoDevice: cannot enable the OpenSSL engine '%s' for all algorithms",
                 id.c_str());
    return HTTP_INTERNAL_SERVER_ERROR;
  }
  ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, "SSLCryptoDevice: using the OpenSSL engine '%s'",
               id.c_str());
#else
  // Loaded for the life of the process, next to the default provider.
  if (!OSSL_PROVIDER_available(nullptr, id.c_str()) &&
      !OSSL_PROVIDER_try_load(nullptr, id.c_str(), 1)) {
    ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                 "SSLCryptoDevice: cannot load the OpenSSL provider '%s'", id.c_str());
    return HTTP_INTERNAL_SERVER_ERROR;
  }
  ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, "SSLCryptoDevice: using the OpenSSL provider '%s'",
               id.c_str());
#endif
  return OK;
}

constexpr std::chrono::milliseconds kStartupTimeout{10000};
constexpr std::chrono::milliseconds kChildInitTimeout{2000};
constexpr std::chrono::milliseconds kConnectEgdTimeout{50};

}  // namespace

int apply_random_seeds(apr_pool_t* /*ptemp*/, server_rec* s) {
  const ServerRecord* rec = server_record(s);
  if (!rec) return OK;
  const config::GlobalConfig& g = rec->global;
  if (int rc = apply_crypto_device(s, g.crypto_device); rc != OK) return rc;

  connect_seeds().clear();
  long fed = 0;
  for (const Spec& spec : g.random_seeds) {
    if (spec.source != Spec::Source::Builtin && spec.path == "/dev/random") {
      ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                   "SSLRandomSeed %s: reads from /dev/random can block until the kernel has "
                   "gathered enough entropy, which stalls start-up or connections; use "
                   "file:/dev/urandom instead (reads here never wait: what /dev/random cannot "
                   "give at once is skipped)",
                   config::describe(spec).c_str());
    }
    if (spec.when == Spec::When::Connect) {
      connect_seeds().push_back(spec);
      continue;
    }
    std::string error;
    const long n = seed_one(spec, kStartupTimeout, &error);
    if (n < 0) {
      ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "SSLRandomSeed %s: %s",
                   config::describe(spec).c_str(), error.c_str());
      return HTTP_INTERNAL_SERVER_ERROR;
    }
    fed += n;
  }
  detail::g_have_connect_seeds = !connect_seeds().empty();
  if (fed > 0) {
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                 "SSLRandomSeed: seeded OpenSSL's generator with %ld bytes at start-up", fed);
  }
  return OK;
}

void child_init_random_seeds(apr_pool_t* /*pchild*/, server_rec* s) {
  for (const Spec& spec : connect_seeds()) {
    if (spec.source != Spec::Source::Exec) continue;
    std::string error;
    if (seed_one(spec, kChildInitTimeout, &error) < 0) {
      ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "SSLRandomSeed %s: %s (ignored)",
                   config::describe(spec).c_str(), error.c_str());
    }
  }
}

namespace detail {

void seed_connection_slow(conn_rec* c) {
  for (const Spec& spec : connect_seeds()) {
    if (spec.source == Spec::Source::Exec) continue;  // run once per child, at child_init
    std::string error;
    if (seed_one(spec, kConnectEgdTimeout, &error) >= 0) continue;
    const bool first = !g_connect_failure_logged.exchange(true, std::memory_order_relaxed);
    ap_log_cerror(APLOG_MARK, first ? APLOG_WARNING : APLOG_DEBUG, 0, c,
                  "SSLRandomSeed %s: %s (connection continues; OpenSSL seeds itself from the "
                  "operating system)",
                  config::describe(spec).c_str(), error.c_str());
  }
}

}  // namespace detail

bool crypto_device_exists(const std::string& id, std::string* available) {
#ifdef MODSSL_HAVE_ENGINE
  if (ENGINE* e = ENGINE_by_id(id.c_str())) {
    ENGINE_free(e);
    return true;
  }
  ERR_clear_error();
  std::string list;
  for (ENGINE* e = ENGINE_get_first(); e; e = ENGINE_get_next(e)) {
    if (!list.empty()) list += ", ";
    list += std::string("'") + ENGINE_get_id(e) + "' (" + ENGINE_get_name(e) + ")";
  }
  *available = list;
  return false;
#else
  if (OSSL_PROVIDER_available(nullptr, id.c_str())) return true;
  // Loading it once tells whether it exists; the real load happens at start-up.
  if (OSSL_PROVIDER* p = OSSL_PROVIDER_try_load(nullptr, id.c_str(), 1)) {
    OSSL_PROVIDER_unload(p);
    return true;
  }
  ERR_clear_error();
  available->clear();
  return false;
#endif
}

}  // namespace modssl::startup
