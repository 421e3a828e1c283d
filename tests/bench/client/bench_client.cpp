// modssl_bench_client: the load client of scripts/bench (tests/bench/bench.py drives it).
//
// Why our own client next to h2load: h2load measures keep-alive and HTTP/2 well, but it cannot
// do "one GET per new connection, never resuming" at a controlled concurrency, resume with a
// ticket or session ID and count how many handshakes really resumed, hold a thousand idle TLS
// connections open on demand, or play a client that sends half a ClientHello and waits. This
// client does those with the OpenSSL the servers use, so client and server cost the same per
// handshake and nothing else (no HTTP/2 framing, no cert-chain verification) is added.
//
// Modes (one per run; every run is bounded by --max-seconds):
//   connect    --connections threads, each: connect, handshake, one GET with "Connection:
//              close", read the response, close; repeat. --resume none|tickets|cache;
//              --session newest (offer the newest session the server gave, as browsers do)
//              or first (offer the session of the thread's first connection every time: a
//              TLS 1.2 session ID, resumed again and again). RESULT counts ok, resumed and
//              full (ok but not resumed) connections.
//              Used for full and resumed handshakes/s and for the "normal clients" of the
//              slow-handshake metric (latency percentiles, failures counted).
//   keepalive  --connections threads, each one keep-alive connection doing GETs back to back
//              (bulk MB/s of a large file).
//   idle       open --count connections (handshake + one keep-alive GET each), print READY,
//              hold them until stdin closes, then close them (memory per idle connection).
//   slow       open --count TCP connections, send the first --partial-bytes of a ClientHello,
//              print READY, wait until stdin closes (the slow-handshake attackers).
//
// Output on stdout, one line each: "MEASURE_START" and "MEASURE_END" when the measurement
// window opens and closes (after --warmup; the driver samples server CPU time there),
// "READY {json}" for idle/slow, and a final "RESULT {json}".
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <openssl/ssl.h>

#include "connection.h"

namespace modssl::bench {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::duration;
using std::chrono::milliseconds;

struct Options {
  std::string mode;
  int port = 0;
  std::string path = "/1k";
  ClientSettings tls;
  std::string resume = "none";  // none | tickets | cache
  std::string session = "newest";  // newest | first: which session a resuming thread offers
  int connections = 16;
  double warmup = 0.5;
  double duration = 5;
  long min_ops = 0;  // keep the window open until this many operations completed (smoke runs)
  double max_seconds = 120;
  int timeout_ms = 5000;
  int count = 1000;
  int partial_bytes = 0;  // 0: half of the ClientHello
  double hold = 120;
  // connect mode: count the attempts that *started* in the window and let them finish (each
  // bounded by --timeout-ms), instead of the ones that completed in it. The slow-handshake probe
  // needs this: against a blocked server nothing completes, and every attempt must count.
  bool drain = false;
};

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr,
               "modssl_bench_client: %s\n"
               "usage: modssl_bench_client --mode connect|keepalive|idle|slow --port N\n"
               "  [--path /1k] [--tls 1.2|1.3|any] [--resume none|tickets|cache] [--session newest|first]\n"
               "  [--connections N] [--warmup S] [--duration S] [--min-ops N] [--max-seconds S]\n"
               "  [--timeout-ms N] [--count N] [--partial-bytes N] [--hold S] [--sni NAME]\n"
               "  [--drain 0|1]\n",
               why.c_str());
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  std::map<std::string, std::string> kv;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    if (k.rfind("--", 0) != 0 || i + 1 >= argc) usage("bad argument '" + k + "'");
    kv[k.substr(2)] = argv[++i];
  }
  auto take = [&](const char* k, auto& out) {
    auto it = kv.find(k);
    if (it == kv.end()) return;
    std::istringstream in(it->second);
    if (!(in >> out)) usage(std::string("bad value for --") + k);
    kv.erase(it);
  };
  take("mode", o.mode);
  take("port", o.port);
  take("path", o.path);
  take("tls", o.tls.tls);
  take("sni", o.tls.sni);
  take("resume", o.resume);
  take("session", o.session);
  take("connections", o.connections);
  take("warmup", o.warmup);
  take("duration", o.duration);
  take("min-ops", o.min_ops);
  take("max-seconds", o.max_seconds);
  take("timeout-ms", o.timeout_ms);
  take("count", o.count);
  take("partial-bytes", o.partial_bytes);
  take("hold", o.hold);
  int drain = 0;
  take("drain", drain);
  o.drain = drain != 0;
  if (!kv.empty()) usage("unknown option --" + kv.begin()->first);
  if (o.port <= 0) usage("--port is required");
  if (o.resume != "none" && o.resume != "tickets" && o.resume != "cache") usage("bad --resume");
  if (o.session != "newest" && o.session != "first") usage("bad --session");
  if (o.tls.tls != "1.2" && o.tls.tls != "1.3" && o.tls.tls != "any") usage("bad --tls");
  o.tls.no_tickets = o.resume == "cache";
  o.connections = std::max(1, o.connections);
  return o;
}

void emit(const std::string& line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out += c;
  }
  return out;
}

// A flat JSON object built field by field (numbers and strings are all we print).
class Json {
 public:
  Json& num(const std::string& k, double v) {
    char b[64];
    std::snprintf(b, sizeof b, "%.6g", v);
    return raw(k, b);
  }
  Json& str(const std::string& k, const std::string& v) {
    return raw(k, "\"" + json_escape(v) + "\"");
  }
  std::string text() const { return "{" + body_ + "}"; }

 private:
  Json& raw(const std::string& k, const std::string& v) {
    if (!body_.empty()) body_ += ",";
    body_ += "\"" + k + "\":" + v;
    return *this;
  }
  std::string body_;
};

// What one worker thread saw inside the measurement window.
struct Tally {
  long ok = 0;
  long failed = 0;
  long resumed = 0;
  std::uint64_t bytes = 0;
  std::vector<double> latency_ms;
  std::string last_error, protocol, cipher;
};

// The measurement window: opens after --warmup, closes after --duration (later if --min-ops is
// not reached yet, never after --max-seconds), then ends blocked reads by shutting sockets down.
class Window {
 public:
  explicit Window(int threads) : slots_(static_cast<std::size_t>(threads)) {
    for (auto& s : slots_) s.store(-1);
  }
  bool measuring() const { return measuring_.load(std::memory_order_relaxed); }
  bool stopped() const { return stop_.load(std::memory_order_relaxed); }
  std::atomic<int>* slot(int i) { return &slots_[static_cast<std::size_t>(i)]; }
  void count_op() { ops_.fetch_add(1, std::memory_order_relaxed); }

  // Without a warm-up the window opens before the workers start, so that their first
  // operations count too.
  void open_now() {
    open_ = Clock::now();
    measuring_ = true;
    emit("MEASURE_START");
  }

  // Runs on the main thread; returns the window's length in seconds.
  double run(const Options& o) {
    const auto start = Clock::now();
    const auto hard_end = start + duration<double>(o.max_seconds);
    if (!measuring_) {
      std::this_thread::sleep_until(std::min(hard_end, start + duration<double>(o.warmup)));
      open_now();
    }
    const auto open = open_;
    std::this_thread::sleep_until(std::min(hard_end, open + duration<double>(o.duration)));
    while (ops_.load() < o.min_ops && Clock::now() < hard_end) {
      std::this_thread::sleep_for(milliseconds(5));
    }
    measuring_ = false;
    const auto close = Clock::now();
    emit("MEASURE_END");
    stop_ = true;
    return duration<double>(close - open).count();
  }

  // Threads finish their current operation; those blocked on a silent server are cut short.
  void unblock() {
    for (auto& s : slots_) {
      int fd = s.load();
      if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
    }
  }

 private:
  std::vector<std::atomic<int>> slots_;
  std::atomic<bool> measuring_{false};
  std::atomic<bool> stop_{false};
  std::atomic<long> ops_{0};
  Clock::time_point open_;
};

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  std::size_t i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

template <typename Worker>
int run_workers(const Options& o, Worker worker, const char* mode_name) {
  Window window(o.connections);
  std::vector<Tally> tallies(static_cast<std::size_t>(o.connections));
  if (o.warmup <= 0) window.open_now();
  std::vector<std::thread> threads;
  std::atomic<int> finished{0};
  for (int i = 0; i < o.connections; ++i) {
    threads.emplace_back([&, i] {
      worker(window, window.slot(i), tallies[static_cast<std::size_t>(i)]);
      ++finished;
    });
  }
  const double seconds = window.run(o);
  // Give in-flight operations a moment to end on their own (with --drain: up to their
  // timeout), then cut the rest short.
  const auto grace_end =
      Clock::now() + (o.drain ? milliseconds(o.timeout_ms + 500) : milliseconds(100));
  while (finished.load() < o.connections && Clock::now() < grace_end) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  window.unblock();
  for (auto& t : threads) t.join();

  Tally all;
  for (auto& t : tallies) {
    all.ok += t.ok;
    all.failed += t.failed;
    all.resumed += t.resumed;
    all.bytes += t.bytes;
    all.latency_ms.insert(all.latency_ms.end(), t.latency_ms.begin(), t.latency_ms.end());
    if (!t.last_error.empty()) all.last_error = t.last_error;
    if (!t.protocol.empty()) all.protocol = t.protocol, all.cipher = t.cipher;
  }
  const long attempts = all.ok + all.failed;
  Json j;
  j.str("mode", mode_name)
      .num("seconds", seconds)
      .num("ok", static_cast<double>(all.ok))
      .num("failed", static_cast<double>(all.failed))
      .num("resumed", static_cast<double>(all.resumed))
      .num("full", static_cast<double>(all.ok - all.resumed))
      .num("rate", seconds > 0 ? static_cast<double>(all.ok) / seconds : 0)
      .num("resumed_rate", seconds > 0 ? static_cast<double>(all.resumed) / seconds : 0)
      .num("success_fraction", attempts ? static_cast<double>(all.ok) / static_cast<double>(attempts) : 0)
      .num("bytes", static_cast<double>(all.bytes))
      .num("mb_per_s", seconds > 0 ? static_cast<double>(all.bytes) / 1e6 / seconds : 0)
      .num("p50_ms", percentile(all.latency_ms, 0.50))
      .num("p99_ms", percentile(all.latency_ms, 0.99))
      .str("protocol", all.protocol)
      .str("cipher", all.cipher)
      .str("last_error", all.last_error);
  emit("RESULT " + j.text());
  return 0;
}

// connect: one GET per new connection.
int run_connect(const Options& o) {
  CtxPtr ctx = make_client_ctx(o.tls);
  const sockaddr_in addr = loopback(o.port);
  const bool resume = o.resume != "none";
  const bool first_only = o.session == "first";
  auto worker = [&](Window& w, std::atomic<int>* slot, Tally& t) {
    SessionPtr session;
    Connection c;
    c.publish_fd_to(slot);
    while (!w.stopped()) {
      const auto t0 = Clock::now();
      const bool started_in_window = w.measuring();
      Response r;
      bool ok = c.open(ctx.get(), addr, o.tls.sni, milliseconds(o.timeout_ms),
                       resume ? session.get() : nullptr) &&
                c.get(o.path, false, r);
      ok = ok && r.status == 200;
      const bool reused = ok && c.reused();
      if (ok && resume && (!first_only || !session)) {
        // Keep the newest ticket, as browsers do (TLS 1.3 tickets come after the handshake);
        // with --session first, only the first connection's session, offered ever after.
        if (SessionPtr fresh = c.session()) session = std::move(fresh);
      }
      if (ok && t.protocol.empty()) t.protocol = c.protocol(), t.cipher = c.cipher();
      std::string error = ok ? "" : (c.error().empty() ? "HTTP status " + std::to_string(r.status) : c.error());
      c.close();
      const double ms = duration<double, std::milli>(Clock::now() - t0).count();
      if (o.drain ? started_in_window : (w.measuring() && !w.stopped())) {
        if (ok) {
          ++t.ok;
          if (reused) ++t.resumed;
          t.latency_ms.push_back(ms);
          w.count_op();
        } else {
          ++t.failed;
        }
      }
      if (!ok) {
        t.last_error = error;
        std::this_thread::sleep_for(milliseconds(10));  // a refusing server must not spin us
      }
    }
  };
  return run_workers(o, worker, "connect");
}

// keepalive: GETs back to back on one connection per thread.
int run_keepalive(const Options& o) {
  CtxPtr ctx = make_client_ctx(o.tls);
  const sockaddr_in addr = loopback(o.port);
  auto worker = [&](Window& w, std::atomic<int>* slot, Tally& t) {
    Connection c;
    c.publish_fd_to(slot);
    bool connected = false;
    while (!w.stopped()) {
      if (!connected) {
        connected = c.open(ctx.get(), addr, o.tls.sni, milliseconds(o.timeout_ms));
        if (!connected) {
          t.last_error = c.error();
          if (w.measuring()) ++t.failed;
          std::this_thread::sleep_for(milliseconds(10));
          continue;
        }
        if (t.protocol.empty()) t.protocol = c.protocol(), t.cipher = c.cipher();
      }
      const auto t0 = Clock::now();
      Response r;
      bool ok = c.get(o.path, true, r, [&](std::size_t n) {
        if (w.measuring()) t.bytes += n;
      });
      ok = ok && r.status == 200;
      if (w.measuring() && !w.stopped()) {
        if (ok) {
          ++t.ok;
          t.latency_ms.push_back(duration<double, std::milli>(Clock::now() - t0).count());
          w.count_op();
        } else {
          ++t.failed;
        }
      }
      if (!ok) t.last_error = c.error().empty() ? "HTTP status " + std::to_string(r.status) : c.error();
      if (!ok || r.server_closes) {
        c.close();
        connected = false;
      }
    }
  };
  return run_workers(o, worker, "keepalive");
}

// Waits until stdin reaches EOF (the driver closes it) or `hold` seconds pass.
void wait_for_release(double hold) {
  const auto end = Clock::now() + duration<double>(hold);
  char buf[256];
  while (Clock::now() < end) {
    pollfd p{0, POLLIN, 0};
    const auto left = std::chrono::duration_cast<milliseconds>(end - Clock::now()).count();
    int rc = poll(&p, 1, static_cast<int>(std::clamp<long long>(left, 0, 1000)));
    if (rc > 0 && read(0, buf, sizeof buf) <= 0) return;
  }
}

// idle: many established, idle keep-alive connections.
int run_idle(const Options& o) {
  CtxPtr ctx = make_client_ctx(o.tls);
  const sockaddr_in addr = loopback(o.port);
  const int threads = std::min(o.connections, o.count);
  std::vector<std::vector<Connection>> held(static_cast<std::size_t>(threads));
  std::vector<long> failed(static_cast<std::size_t>(threads), 0);
  std::vector<std::string> errors(static_cast<std::size_t>(threads));
  const auto deadline = Clock::now() + duration<double>(o.max_seconds);
  const auto t0 = Clock::now();
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i) {
    pool.emplace_back([&, i] {
      const auto k = static_cast<std::size_t>(i);
      const int mine = o.count / threads + (i < o.count % threads ? 1 : 0);
      for (int n = 0; n < mine && Clock::now() < deadline; ++n) {
        Connection c;
        Response r;
        if (c.open(ctx.get(), addr, o.tls.sni, milliseconds(o.timeout_ms)) &&
            c.get(o.path, true, r) && r.status == 200 && !r.server_closes) {
          held[k].push_back(std::move(c));
        } else {
          ++failed[k];
          errors[k] = c.error().empty() ? "HTTP status " + std::to_string(r.status) : c.error();
        }
      }
    });
  }
  for (auto& t : pool) t.join();
  long ok = 0, bad = 0;
  std::string last_error;
  for (std::size_t k = 0; k < held.size(); ++k) {
    ok += static_cast<long>(held[k].size());
    bad += failed[k];
    if (!errors[k].empty()) last_error = errors[k];
  }
  emit("READY " + Json()
                      .num("ok", static_cast<double>(ok))
                      .num("failed", static_cast<double>(bad))
                      .num("seconds", duration<double>(Clock::now() - t0).count())
                      .str("last_error", last_error)
                      .text());
  wait_for_release(o.hold);
  held.clear();  // close_notify and close, connection by connection
  emit("RESULT " + Json().str("mode", "idle").num("ok", static_cast<double>(ok)).num("failed", static_cast<double>(bad)).text());
  return 0;
}

// slow: TCP connections that send part of a ClientHello and then say nothing more.
int run_slow(const Options& o) {
  CtxPtr ctx = make_client_ctx(o.tls);
  const std::string hello = client_hello_bytes(ctx.get(), o.tls.sni);
  if (hello.size() < 16) {
    std::fprintf(stderr, "modssl_bench_client: could not build a ClientHello\n");
    return 1;
  }
  // Half a ClientHello by default: the record header promises more than arrives, so a server
  // that reads the handshake with a blocking read waits for the rest.
  const std::size_t part =
      o.partial_bytes > 0 ? std::min<std::size_t>(static_cast<std::size_t>(o.partial_bytes), hello.size() - 1)
                          : hello.size() / 2;
  const sockaddr_in addr = loopback(o.port);
  const auto t0 = Clock::now();
  std::vector<int> fds;
  for (int i = 0; i < o.count; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) break;
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 &&
        errno != EINPROGRESS) {
      ::close(fd);
      continue;
    }
    fds.push_back(fd);
  }
  // Connections the server has not accepted yet still complete in the kernel's backlog; wait
  // for each to be writable (bounded), then send the first part of the hello.
  long sent = 0;
  const auto deadline = Clock::now() + milliseconds(o.timeout_ms);
  for (int fd : fds) {
    pollfd p{fd, POLLOUT, 0};
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
    int err = 0;
    socklen_t len = sizeof err;
    if (poll(&p, 1, static_cast<int>(std::max<long long>(left, 0))) == 1 &&
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0 &&
        ::send(fd, hello.data(), part, MSG_NOSIGNAL) == static_cast<ssize_t>(part)) {
      ++sent;
    }
  }
  emit("READY " + Json()
                      .num("opened", static_cast<double>(fds.size()))
                      .num("sent", static_cast<double>(sent))
                      .num("hello_bytes", static_cast<double>(hello.size()))
                      .num("partial_bytes", static_cast<double>(part))
                      .num("seconds", duration<double>(Clock::now() - t0).count())
                      .text());
  wait_for_release(o.hold);
  for (int fd : fds) ::close(fd);
  emit("RESULT " + Json().str("mode", "slow").num("sent", static_cast<double>(sent)).text());
  return 0;
}

}  // namespace
}  // namespace modssl::bench

int main(int argc, char** argv) {
  using namespace modssl::bench;
  signal(SIGPIPE, SIG_IGN);  // OpenSSL writes to sockets the server may have closed
  // A thousand idle connections need more descriptors than the usual soft limit of 1024.
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  const Options o = parse(argc, argv);
  if (o.mode == "connect") return run_connect(o);
  if (o.mode == "keepalive") return run_keepalive(o);
  if (o.mode == "idle") return run_idle(o);
  if (o.mode == "slow") return run_slow(o);
  usage("unknown --mode '" + o.mode + "'");
}
