#include "startup/random_seed.h"

#define OPENSSL_SUPPRESS_DEPRECATED 1  // ENGINE_*: SSLCryptoDevice names an OpenSSL engine
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
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
#include "startup/child_program.h"


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

// Runs `path bytes` (stdin from /dev/null) and seeds with at most `bytes` of its output, read
// within `timeout`. The program must give something: all it was asked for, or exit 0.
long seed_from_program(const Spec& spec, std::chrono::milliseconds timeout, std::string* error) {
  const long bytes = spec.bytes > 0 ? spec.bytes : config::kDefaultSeedBytes;
  auto output = run_program_output({spec.path, std::to_string(bytes)}, timeout,
                                   static_cast<std::size_t>(bytes));
  if (!output) {
    *error = output.error();
    return -1;
  }
  std::string data = std::move(output).value();
  if (data.empty()) {
    *error = "'" + spec.path + "' printed nothing";
    return -1;
  }
  RAND_seed(data.data(), static_cast<int>(data.size()));
  OPENSSL_cleanse(data.data(), data.size());
  return static_cast<long>(data.size());
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
