#include "httpd.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

namespace modssl::it {
namespace {

constexpr const char* kModuleDir = "/usr/lib/apache2/modules";

std::size_t count_occurrences(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = hay.find(needle); pos != std::string::npos; pos = hay.find(needle, pos + 1)) ++n;
  return n;
}

// User plus system time of one process, from /proc/<pid>/stat; 0 when it is gone.
long process_cpu_ticks(int pid) {
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const auto close_paren = stat.rfind(')');  // the command name may hold spaces and parentheses
  if (close_paren == std::string::npos) return 0;
  std::istringstream fields(stat.substr(close_paren + 2));
  std::string skip;
  for (int i = 0; i < 11; ++i) fields >> skip;  // state, ppid .. cmajflt
  long utime = 0, stime = 0;
  fields >> utime >> stime;
  return utime + stime;
}

std::map<std::string, std::string> server_environment() {
  std::map<std::string, std::string> env;
#ifdef MODSSL_ASAN_RUNTIME
  // The sanitized module needs the ASan runtime first in the (uninstrumented) apache2 process.
  if (!testing_stock_module()) {
    env["LD_PRELOAD"] = MODSSL_ASAN_RUNTIME;
  }
#endif
  return env;
}

}  // namespace

std::string module_under_test() {
  if (const char* m = std::getenv("MODSSL_UNDER_TEST"); m && *m) return m;
  return MODSSL_BUILT_MODULE;
}

bool testing_stock_module() {
  std::error_code ec;
  return !std::filesystem::equivalent(module_under_test(), MODSSL_BUILT_MODULE, ec);
}

Httpd::Httpd(std::string mpm) : mpm_(std::move(mpm)) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string prefix = "modssl-it-";
  if (info) prefix += std::string(info->test_suite_name()) + "." + info->name() + "-";
  for (char& ch : prefix) {
    if (ch == '/' || ch == ' ') ch = '_';
  }
  root_ = testing::make_temp_dir(prefix);
  for (const char* d : {"logs", "htdocs", "certs", "run"}) {
    std::filesystem::create_directories(root_ + "/" + d);
    chmod((root_ + "/" + d).c_str(), 0755);
  }
  // The run dir holds mutex and socket files the unprivileged children create.
  chmod((root_ + "/run").c_str(), 0777);
  chmod((root_ + "/logs").c_str(), 0777);
  write("htdocs/index.html", "<html><body>hello from modssl tests</body></html>\n");
}

Httpd::~Httpd() {
  stop();
  std::string reports = sanitizer_reports();
  if (!reports.empty()) ADD_FAILURE() << "sanitizer reports from apache2:\n" << reports;
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  bool failed = info && info->result() && info->result()->Failed();
  if (!failed && !std::getenv("MODSSL_KEEP_TEST_DIRS")) {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  } else if (failed) {
    std::fprintf(stderr, "[httpd] server root kept for inspection: %s\n", root_.c_str());
  }
}

int Httpd::port(const std::string& name) {
  auto it = ports_.find(name);
  if (it != ports_.end()) return it->second;
  int p = free_port();
  ports_[name] = p;
  return p;
}

void Httpd::load_module(const std::string& short_name) { modules_.push_back(short_name); }

void Httpd::load_module_if_stock(const std::string& short_name) {
  if (testing_stock_module()) load_module(short_name);
}

void Httpd::load_test_module(const std::string& name) { test_modules_.push_back(name); }

void Httpd::configure(const std::string& body) { body_ = expand(body); }

std::string Httpd::expand(const std::string& text) {
  std::string out;
  static const std::regex placeholder(R"(@(ROOT|PORT:([A-Za-z0-9_.-]+))@)");
  auto begin = std::sregex_iterator(text.begin(), text.end(), placeholder);
  std::size_t last = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    const std::smatch& m = *it;
    out.append(text, last, static_cast<std::size_t>(m.position(0)) - last);
    out += m[1] == "ROOT" ? root_ : std::to_string(port(m[2]));
    last = static_cast<std::size_t>(m.position(0) + m.length(0));
  }
  out.append(text, last, std::string::npos);
  return out;
}

std::string Httpd::write(const std::string& relative, const std::string& content, int mode) {
  std::string full = path(relative);
  std::filesystem::create_directories(std::filesystem::path(full).parent_path());
  write_file(full, content, mode);
  return full;
}

const std::string& Httpd::ca_file() {
  if (ca_file_.empty()) {
    testing::CertOptions o;
    o.common_name = "modssl test CA";
    o.dns_names = {};
    o.is_ca = true;
    ca_ = testing::make_self_signed(o);
    ca_file_ = path("certs/ca.crt");
    testing::write_cert_pem(ca_file_, {ca_.cert});
  }
  return ca_file_;
}

CertFiles Httpd::make_cert(const std::string& name, testing::CertOptions options,
                           bool with_chain) {
  CertFiles files{path("certs/" + name + ".crt"), path("certs/" + name + ".key")};
  ca_file();
  testing::KeyPair kp = testing::make_signed(options, ca_);
  std::vector<const X509*> certs{kp.cert};
  if (with_chain) certs.push_back(ca_.cert);
  testing::write_cert_pem(files.cert, certs);
  testing::write_key_pem(files.key, kp.key);
  return files;
}

CertFiles Httpd::make_self_signed_cert(const std::string& name, testing::CertOptions options) {
  CertFiles files{path("certs/" + name + ".crt"), path("certs/" + name + ".key")};
  testing::KeyPair kp = testing::make_self_signed(options);
  testing::write_cert_pem(files.cert, {kp.cert});
  testing::write_key_pem(files.key, kp.key);
  return files;
}

std::string Httpd::render() const {
  std::ostringstream c;
  c << "# generated by the modssl integration harness\n"
    << "ServerRoot \"" << root_ << "\"\n"
    << "DefaultRuntimeDir \"" << root_ << "/run\"\n"
    << "PidFile \"" << root_ << "/run/httpd.pid\"\n"
    << "ErrorLog \"" << root_ << "/logs/error.log\"\n"
    // MODSSL_TEST_LOGLEVEL (e.g. "trace6") overrides every test's level, for debugging.
    << "LogLevel " << (std::getenv("MODSSL_TEST_LOGLEVEL") ? std::getenv("MODSSL_TEST_LOGLEVEL")
                                                           : log_level_)
    << "\n"
    << "Timeout " << timeout_s_ << "\n"
    << "LoadModule mpm_" << mpm_ << "_module " << kModuleDir << "/mod_mpm_" << mpm_ << ".so\n";
  for (const char* m : {"authz_core", "authz_host", "mime", "dir", "setenvif", "alias", "env"}) {
    c << "LoadModule " << m << "_module " << kModuleDir << "/mod_" << m << ".so\n";
  }
  for (const std::string& m : modules_) {
    c << "LoadModule " << m << "_module " << kModuleDir << "/mod_" << m << ".so\n";
  }
  c << "LoadModule ssl_module \"" << module_under_test() << "\"\n";
  for (const std::string& m : test_modules_) {
    c << "LoadModule " << m << "_module \"" << MODSSL_TEST_MODULE_DIR << "/mod_" << m << ".so\"\n";
  }
  c
    << "TypesConfig /etc/mime.types\n"
    << "ServerName localhost\n";
  if (geteuid() == 0) c << "User nobody\nGroup nogroup\n";
  c << "DocumentRoot \"" << root_ << "/htdocs\"\n"
    << "<Directory />\n  Require all granted\n</Directory>\n"
    << "LogFormat \"%h %r %>s %b\" common\n"
    << "CustomLog \"" << root_ << "/logs/access.log\" common\n";
  if (mpm_ == "prefork") {
    c << "StartServers 4\nMinSpareServers 2\nMaxSpareServers 8\nMaxRequestWorkers 64\n";
  } else {
    c << "StartServers 2\nThreadsPerChild 32\nMinSpareThreads 16\nMaxSpareThreads 128\n"
      << "ServerLimit 8\nMaxRequestWorkers 256\n";
  }
  c << "\n" << body_ << "\n";
  return c.str();
}

bool Httpd::start(std::chrono::milliseconds timeout) {
  std::string conf = render();
  write("conf/httpd.conf", conf);
  listen_ports_.clear();
  static const std::regex listen(R"((^|\n)\s*Listen\s+(?:[^\s:]+:)?(\d+))");
  for (auto it = std::sregex_iterator(conf.begin(), conf.end(), listen);
       it != std::sregex_iterator(); ++it) {
    listen_ports_.push_back(std::stoi((*it)[2]));
  }
  std::map<std::string, std::string> env = process_environment();
  server_ = Background({"/usr/sbin/apache2", "-f", path("conf/httpd.conf"), "-DFOREGROUND"},
                       path("logs/stderr.log"), env);
  started_ = true;
  // Listeners open before post_config builds the TLS contexts, so an open port alone does not
  // mean the module accepted its configuration: wait for httpd's "resuming normal operations"
  // (a notice, logged at any LogLevel) as well.
  const std::string ready = "resuming normal operations";
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (server_.exited()) return false;
    bool all = error_log().find(ready) != std::string::npos;
    for (int p : listen_ports_) all = all && port_open(p);
    if (all) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

ProcessResult Httpd::configtest() { return run_apache({"-t"}); }

std::map<std::string, std::string> Httpd::process_environment() const {
  std::map<std::string, std::string> env = server_environment();
  for (const auto& [k, v] : env_) env[k] = v;
  env["ASAN_OPTIONS"] = "detect_leaks=0:log_path=" + root_ + "/logs/asan";
  env["UBSAN_OPTIONS"] = "print_stacktrace=1:log_path=" + root_ + "/logs/ubsan";
  return env;
}

ProcessResult Httpd::run_apache(const std::vector<std::string>& args) {
  write("conf/httpd.conf", render());
  RunOptions o;
  o.env = server_environment();
  for (const auto& [k, v] : env_) o.env[k] = v;
  std::vector<std::string> argv{"/usr/sbin/apache2", "-f", path("conf/httpd.conf")};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, o);
}

// The server's child processes, from /proc (their parent is the apache2 we started).
std::vector<int> Httpd::children() const {
  std::vector<int> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string status = read_file(e.path().string() + "/status");
    auto at = status.find("\nPPid:\t");
    if (at != std::string::npos && std::atoi(status.c_str() + at + 7) == server_.pid()) {
      out.push_back(std::stoi(name));
    }
  }
  return out;
}

bool Httpd::graceful(std::chrono::milliseconds timeout) {
  const std::string marker = "resuming normal operations";
  int before = static_cast<int>(count_occurrences(error_log(), marker));
  const std::vector<int> old_generation = children();
  server_.signal(SIGUSR1);
  if (!wait_for_log(marker, timeout, before + 1)) return false;
  // The new generation is configured, but an old child may still accept a connection until it
  // has seen the signal; callers expect new connections to meet the new configuration. Old
  // children with nothing in flight leave at once; ones busy with requests are not waited for
  // beyond a few seconds.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    bool any_old = false;
    for (int pid : children()) {
      for (int old : old_generation) any_old = any_old || pid == old;
    }
    if (!any_old) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

bool Httpd::running() { return started_ && !server_.exited(); }

long Httpd::cpu_ticks() const {
  if (!started_ || server_.pid() <= 0) return -1;
  long ticks = process_cpu_ticks(server_.pid());
  for (int pid : children()) ticks += process_cpu_ticks(pid);
  return ticks;
}

bool Httpd::wait_for_exit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return !running();
}

void Httpd::stop() {
  if (!started_) return;
  started_ = false;
  server_.stop(SIGTERM, std::chrono::seconds(15));
}

std::string Httpd::error_log() const { return read_file(path("logs/error.log")); }

std::string Httpd::startup_log() const {
  return read_file(path("logs/stderr.log")) + read_file(path("logs/error.log"));
}

std::string Httpd::sanitizer_reports() const {
  std::string out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(path("logs"), ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind("asan", 0) == 0 || name.rfind("ubsan", 0) == 0) {
      out += "== " + name + "\n" + read_file(e.path().string());
    }
  }
  // UBSan without log_path support in some paths writes to stderr.
  std::string err = read_file(path("logs/stderr.log"));
  if (err.find("runtime error:") != std::string::npos ||
      err.find("ERROR: AddressSanitizer") != std::string::npos) {
    out += "== stderr\n" + err;
  }
  return out;
}

bool Httpd::wait_for_log(const std::string& needle, std::chrono::milliseconds timeout,
                         int min) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  do {
    if (static_cast<int>(count_occurrences(error_log(), needle)) >= min) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  } while (std::chrono::steady_clock::now() < deadline);
  return false;
}

}  // namespace modssl::it
