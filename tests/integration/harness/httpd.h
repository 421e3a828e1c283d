#pragma once
// One real /usr/sbin/apache2 per test: a temp ServerRoot, a generated config, ports on
// 127.0.0.1, start/graceful/stop, the error log. The module loaded as ssl_module is ours, or the
// one named by MODSSL_UNDER_TEST (the differential rule: the same tests against stock mod_ssl).
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "pki.h"
#include "process.h"
#include "vhost_config.h"

namespace modssl::it {

// The mod_ssl.so this run tests.
std::string module_under_test();
// True when MODSSL_UNDER_TEST names a module other than the one this tree built.
bool testing_stock_module();

// For tests of features the stock module lacks (ctest label `beyond`): skips in stock mode.
#define MODSSL_SKIP_UNLESS_OURS()                                                  \
  do {                                                                             \
    if (::modssl::it::testing_stock_module())                                      \
      GTEST_SKIP() << "beyond the stock module; skipped with MODSSL_UNDER_TEST";   \
  } while (0)

class Httpd {
 public:
  explicit Httpd(std::string mpm = "event");
  ~Httpd();
  Httpd(const Httpd&) = delete;
  Httpd& operator=(const Httpd&) = delete;

  const std::string& root() const { return root_; }
  const std::string& mpm() const { return mpm_; }
  std::string path(const std::string& relative) const { return root_ + "/" + relative; }
  // A port for `name`, the same one each time it is asked for; also `@PORT:name@` in config.
  int port(const std::string& name);

  // Extra modules from Debian's module directory by short name ("cgid", "http2", "headers").
  void load_module(const std::string& short_name);
  // load_module() only when testing another mod_ssl: ours has what the stock module takes from
  // separate modules built in (e.g. the socache_shmcb and socache_dbm cache providers).
  void load_module_if_stock(const std::string& short_name);
  // A test-only module built from tests/integration/modules/mod_<name>.c.
  void load_test_module(const std::string& name);
  // Config text appended after the common preamble. Placeholders: @ROOT@, @PORT:name@.
  void configure(const std::string& body);
  void set_log_level(const std::string& level) { log_level_ = level; }
  void set_timeout_seconds(int s) { timeout_s_ = s; }
  // An environment variable for the apache2 process (e.g. SSLKEYLOGFILE).
  void set_env(const std::string& name, const std::string& value) { env_[name] = value; }

  // Writes a file under the root (directories created), world-readable by default.
  std::string write(const std::string& relative, const std::string& content, int mode = 0644);

  // A certificate signed by this instance's test CA, and its key, written to
  // certs/<name>.{crt,key}. `with_chain` appends the CA certificate to the .crt file.
  CertFiles make_cert(const std::string& name, testing::CertOptions options = {},
                      bool with_chain = false);
  // A self-signed certificate and its key (the FAQ's "dummy certificate").
  CertFiles make_self_signed_cert(const std::string& name, testing::CertOptions options = {});
  const std::string& ca_file();  // the test CA's certificate (for clients that verify)

  // Writes the config and starts apache2 -DFOREGROUND; true once every Listen port accepts.
  // false when apache2 exits or does not come up in time (see startup_log()).
  bool start(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // apache2 -t on the generated config.
  ProcessResult configtest();
  // The environment apache2 is started with (set_env values, and in sanitizer builds the ASan
  // runtime preload and the sanitizers' log paths), for tests that start it themselves.
  std::map<std::string, std::string> process_environment() const;
  // apache2 -f <generated config> <args...>, with the environment the server gets (e.g.
  // {"-t", "-D", "SSL", "-D", "DUMP_VHOSTS"}).
  ProcessResult run_apache(const std::vector<std::string>& args);
  // SIGUSR1, then waits until the new generation is up (a further "resuming normal
  // operations" line in the error log). False on timeout.
  bool graceful(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  void stop();
  bool running();
  // For servers expected to die (a refused start, a failed reload): waits up to `timeout` for
  // apache2 to exit, so that its log is complete. True once it has.
  bool wait_for_exit(std::chrono::milliseconds timeout);
  // CPU time used so far by apache2 and its children, in clock ticks (sysconf(_SC_CLK_TCK) a
  // second); -1 when it is not running. For tests that a server idles while clients stall.
  long cpu_ticks() const;

  std::string error_log() const;
  // Everything apache2 said while starting: its stderr and the error log.
  std::string startup_log() const;
  // Sanitizer reports written by the server processes (ASan builds), "" when none.
  std::string sanitizer_reports() const;

  // Counts error log lines containing `needle`; waits up to `timeout` for at least `min`.
  bool wait_for_log(const std::string& needle, std::chrono::milliseconds timeout,
                    int min = 1) const;

 private:
  std::string render() const;
  std::vector<int> children() const;
  std::string expand(const std::string& text);

  std::string mpm_;
  std::string root_;
  std::string log_level_ = "info";
  int timeout_s_ = 15;
  std::vector<std::string> modules_;
  std::vector<std::string> test_modules_;
  std::string body_;
  std::map<std::string, int> ports_;
  std::map<std::string, std::string> env_;
  std::vector<int> listen_ports_;
  Background server_;
  bool started_ = false;
  testing::KeyPair ca_;
  std::string ca_file_;
};

}  // namespace modssl::it
