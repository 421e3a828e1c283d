#include "startup/passphrase_dialog.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "adapter/records.h"
#include "ap_release.h"
#include "apr_pools.h"
#include "session/secret_bytes.h"
#include "startup/passphrase_program.h"

namespace modssl::startup {

// Builtin: how many times the terminal (or a |pipe program) is asked for one key.
constexpr int kDialogPrompts = 3;

struct PassphraseMemory {
  // The pass phrase that opened a key file, by "path|mtime|size": a changed file is asked for
  // again.
  std::map<std::string, session::SecretBytes> by_key;
  // Every pass phrase given in this process, in order: tried on further keys before asking.
  std::vector<session::SecretBytes> known;
  std::unique_ptr<PipeProgram> pipe;
  bool banner_shown = false;
};

namespace {

constexpr const char* kMemoryKey = "modssl:passphrase-memory";

apr_status_t delete_memory(void* p) {
  delete static_cast<PassphraseMemory*>(p);
  return APR_SUCCESS;
}

PassphraseMemory& memory_of(server_rec* s) {
  apr_pool_t* pp = s->process->pool;
  void* data = nullptr;
  apr_pool_userdata_get(&data, kMemoryKey, pp);
  if (data) return *static_cast<PassphraseMemory*>(data);
  auto* m = new PassphraseMemory();
  apr_pool_userdata_set(m, kMemoryKey, delete_memory, pp);
  return *m;
}

std::string file_identity(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return path;
  return path + "|" + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec) + "|" + std::to_string(st.st_size);
}

session::SecretBytes secret(const std::string& s) {
  return session::SecretBytes(std::span<const unsigned char>(
      reinterpret_cast<const unsigned char*>(s.data()), s.size()));
}

std::string text(const session::SecretBytes& b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

bool same(const session::SecretBytes& a, const session::SecretBytes& b) {
  return a.size() == b.size() && std::equal(a.data(), a.data() + a.size(), b.data());
}

// Whether `phrase` decrypts the PEM private key in `path`.
int give_phrase(char* buf, int size, int /*rwflag*/, void* u) {
  const auto* phrase = static_cast<const std::string*>(u);
  const int n = static_cast<int>(std::min<std::size_t>(phrase->size(), static_cast<std::size_t>(size)));
  std::memcpy(buf, phrase->data(), static_cast<std::size_t>(n));
  return n;
}

bool opens_key(const std::string& path, const std::string& phrase) {
  BIO* bio = BIO_new_file(path.c_str(), "r");
  if (!bio) {
    ERR_clear_error();
    return false;
  }
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, give_phrase,
                                          const_cast<std::string*>(&phrase));
  BIO_free(bio);
  ERR_clear_error();
  if (!key) return false;
  EVP_PKEY_free(key);
  return true;
}

void tty_write(int fd, const std::string& s) { (void)!write(fd, s.data(), s.size()); }

// Terminal echo off while a pass phrase is typed. Off before the prompt is written, so that
// nothing typed ahead of the prompt is echoed, and without flushing input typed ahead.
class EchoOff {
 public:
  explicit EchoOff(int fd) : fd_(fd), is_tty_(tcgetattr(fd, &old_) == 0) {
    if (!is_tty_) return;
    termios quiet = old_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    tcsetattr(fd_, TCSANOW, &quiet);
  }
  ~EchoOff() {
    if (is_tty_) tcsetattr(fd_, TCSANOW, &old_);
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

 private:
  int fd_;
  termios old_{};
  bool is_tty_;
};

// One line from the terminal; nullopt on end of input or a read error.
std::optional<std::string> read_line(int fd) {
  std::string line;
  bool ended = false;
  for (;;) {
    char c;
    ssize_t n = read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ended = true;
      break;
    }
    if (c == '\n' || c == '\r') break;
    if (line.size() < 8192) line.push_back(c);
  }
  if (ended && line.empty()) return std::nullopt;
  return line;
}

const char* no_terminal_advice =
    "Start it from a terminal, or use 'SSLPassPhraseDialog exec:/path/to/program' (a program "
    "that prints the pass phrase), or remove the pass phrase from the key: `openssl pkey -in "
    "KEY -out KEY.plain` (then chmod 600 KEY.plain and point SSLCertificateKeyFile at it)";

}  // namespace

PassphraseDialog::PassphraseDialog(server_rec* main_server,
                                   const config::PassphraseDialogSpec& spec)
    : s_(main_server), spec_(spec), memory_(memory_of(main_server)) {}

tls::PassphraseSource PassphraseDialog::source(
    std::string vhost_id, std::function<std::string(const std::string&)> key_type) {
  return [this, vhost_id = std::move(vhost_id), key_type = std::move(key_type)](
             const std::string& key_path, int attempt) -> std::optional<std::string> {
    Request r{vhost_id, key_type ? key_type(key_path) : std::string("RSA"), key_path};
    return ask(r, attempt);
  };
}

std::optional<std::string> PassphraseDialog::ask(const Request& r, int attempt) {
  const std::string id = file_identity(r.key_path);
  // Every pass phrase handed out has been checked against the key file, so the loader asking
  // again means the key cannot be read with it after all: stop rather than loop.
  if (attempt > 0) {
    memory_.by_key.erase(id);
    return std::nullopt;
  }
  // What is known first: this file's own pass phrase from an earlier pass or restart, then every
  // pass phrase given so far (several keys often share one).
  std::vector<const session::SecretBytes*> tries;
  if (auto it = memory_.by_key.find(id); it != memory_.by_key.end()) tries.push_back(&it->second);
  for (const session::SecretBytes& k : memory_.known) {
    if (std::none_of(tries.begin(), tries.end(),
                     [&](const session::SecretBytes* t) { return same(*t, k); }))
      tries.push_back(&k);
  }
  for (const session::SecretBytes* t : tries) {
    std::string phrase = text(*t);
    if (opens_key(r.key_path, phrase)) {
      memory_.by_key[id] = secret(phrase);
      return phrase;
    }
    OPENSSL_cleanse(phrase.data(), phrase.size());
  }
  for (int prompt = 0;; ++prompt) {
    std::optional<std::string> phrase = from_dialog(r, prompt);
    if (!phrase) return std::nullopt;
    if (opens_key(r.key_path, *phrase)) {
      session::SecretBytes given = secret(*phrase);
      if (std::none_of(memory_.known.begin(), memory_.known.end(),
                       [&](const session::SecretBytes& k) { return same(k, given); }))
        memory_.known.push_back(given);
      memory_.by_key[id] = std::move(given);
      return phrase;
    }
    OPENSSL_cleanse(phrase->data(), phrase->size());
  }
}

std::optional<std::string> PassphraseDialog::from_dialog(const Request& r, int prompt) {
  using Kind = config::PassphraseDialogSpec::Kind;
  switch (spec_.kind) {
    case Kind::Builtin:
      return from_terminal(r, prompt);
    case Kind::Exec:
      return from_program(r, prompt);
    case Kind::Pipe:
      return from_pipe(r, prompt);
  }
  return std::nullopt;
}

std::optional<std::string> PassphraseDialog::from_terminal(const Request& r, int prompt) {
  if (prompt >= kDialogPrompts) {
    ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s_,
                 "SSLPassPhraseDialog builtin: no valid pass phrase for the private key %s of "
                 "%s (%s) after %d attempts", r.key_path.c_str(), r.vhost_id.c_str(),
                 r.key_type.c_str(), kDialogPrompts);
    return std::nullopt;
  }
  int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s_,
                 "the private key %s of %s (%s) is encrypted and there is no terminal to ask "
                 "for its pass phrase (SSLPassPhraseDialog builtin; started from a boot script "
                 "or service manager?). %s", r.key_path.c_str(), r.vhost_id.c_str(),
                 r.key_type.c_str(), no_terminal_advice);
    return std::nullopt;
  }
  ap_log_error(APLOG_MARK, APLOG_INFO, 0, s_,
               "Init: Requesting pass phrase via builtin terminal dialog");
  if (!memory_.banner_shown) {
    memory_.banner_shown = true;
    tty_write(fd, std::string(AP_SERVER_BASEVERSION) +
                      " mod_ssl (Pass Phrase Dialog)\nSome of your private key files are "
                      "encrypted for security reasons.\nIn order to read them you have to "
                      "provide the pass phrases.\n");
  }
  if (prompt == 0) tty_write(fd, "\nPrivate key " + r.vhost_id + " (" + r.key_path + ")\n");
  else tty_write(fd, "Apache:mod_ssl:Error: Pass phrase incorrect (" +
                         std::to_string(kDialogPrompts - prompt) + " more retr" +
                         (kDialogPrompts - prompt == 1 ? "y" : "ies") + " permitted).\n");
  std::optional<std::string> line;
  for (;;) {
    {
      EchoOff quiet(fd);
      tty_write(fd, "Enter pass phrase for " + r.vhost_id + " (" + r.key_type + "):");
      line = read_line(fd);
    }
    if (!line || !line->empty()) break;
    tty_write(fd, "Apache:mod_ssl:Error: Pass phrase empty (needs to be at least 1 character).\n");
  }
  close(fd);
  if (!line) {
    ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s_,
                 "the terminal closed while asking for the pass phrase of the private key %s "
                 "of %s (%s)", r.key_path.c_str(), r.vhost_id.c_str(), r.key_type.c_str());
  }
  return line;
}

std::optional<std::string> PassphraseDialog::from_program(const Request& r, int prompt) {
  if (prompt >= 1) {
    ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s_,
                 "SSLPassPhraseDialog exec:%s: the pass phrase it printed for %s (%s) does not "
                 "decrypt the private key %s", spec_.program.c_str(), r.vhost_id.c_str(),
                 r.key_type.c_str(), r.key_path.c_str());
    return std::nullopt;
  }
  ap_log_error(APLOG_MARK, APLOG_INFO, 0, s_,
               "Init: Requesting pass phrase from dialog filter program (%s)",
               spec_.program.c_str());
  auto answer = run_for_first_line({spec_.program, r.vhost_id, r.key_type},
                                   kPassphraseProgramTimeout);
  if (!answer) {
    ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s_,
                 "SSLPassPhraseDialog exec:%s gave no pass phrase for %s (%s), private key %s: "
                 "%s", spec_.program.c_str(), r.vhost_id.c_str(), r.key_type.c_str(),
                 r.key_path.c_str(), answer.error().c_str());
    return std::nullopt;
  }
  std::string phrase = std::move(answer).value();
  return phrase;
}

std::optional<std::string> PassphraseDialog::from_pipe(const Request& r, int prompt) {
  if (prompt >= kDialogPrompts) {
    ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s_,
                 "SSLPassPhraseDialog |%s: no valid pass phrase for the private key %s of %s "
                 "(%s) after %d attempts", spec_.program.c_str(), r.key_path.c_str(),
                 r.vhost_id.c_str(), r.key_type.c_str(), kDialogPrompts);
    return std::nullopt;
  }
  if (!memory_.pipe || memory_.pipe->command() != spec_.program) {
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s_,
                 "Init: Creating pass phrase dialog pipe child '%s'", spec_.program.c_str());
    memory_.pipe.reset();
    auto started = PipeProgram::start(spec_.program);
    if (!started) {
      ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s_,
                   "SSLPassPhraseDialog |%s: %s (needed for the private key %s of %s)",
                   spec_.program.c_str(), started.error().c_str(), r.key_path.c_str(),
                   r.vhost_id.c_str());
      return std::nullopt;
    }
    memory_.pipe = std::move(started).value();
  }
  ap_log_error(APLOG_MARK, APLOG_INFO, 0, s_, "Init: Requesting pass phrase via piped dialog");
  auto answer = memory_.pipe->ask(
      "Enter pass phrase for " + r.vhost_id + " (" + r.key_type + "):", kPassphraseProgramTimeout);
  if (!answer) {
    ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s_,
                 "SSLPassPhraseDialog |%s gave no pass phrase for %s (%s), private key %s: %s",
                 spec_.program.c_str(), r.vhost_id.c_str(), r.key_type.c_str(),
                 r.key_path.c_str(), answer.error().c_str());
    memory_.pipe.reset();
    return std::nullopt;
  }
  return std::move(answer).value();
}

}  // namespace modssl::startup
